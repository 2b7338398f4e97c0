package meeting

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/tuijin/tuijin/internal/document"
)

// MinutesFormats are the renderings issued minutes are kept in.
var MinutesFormats = map[string]string{
	"html": "text/html; charset=utf-8",
	"pdf":  "application/pdf",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

// RenderMinutes renders minutes in every format with its version label.
func RenderMinutes(m Minutes, version, fontSpec string) (map[string][]byte, error) {
	html, err := MinutesHTML(m, version)
	if err != nil {
		return nil, err
	}
	pdf, err := MinutesPDF(m, version, fontSpec)
	if err != nil {
		return nil, err
	}
	docx, err := MinutesDOCX(m, version)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"html": html, "pdf": pdf, "docx": docx}, nil
}

// MinutesStyle is the printable page's style sheet, in GB/T 9704's
// proportions: A4, 仿宋 body, red heading and rule.
var MinutesStyle = `@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
body { font-family: "FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC", serif; font-size: 16pt; line-height: 28pt; color: #000; max-width: 156mm; margin: 2em auto; }
h1 { font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体", "SimSun", "Noto Serif CJK SC", serif; color: #c00000; font-size: 26pt; line-height: 1.3; text-align: center; font-weight: normal; margin: 0 0 .4em; }
.issue { text-align: center; margin: 0; }
.masthead { display: flex; justify-content: space-between; border-bottom: 2px solid #c00000; padding-bottom: 4pt; margin-bottom: 14pt; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal; margin: 0; }
p { margin: 0; text-indent: 2em; text-align: justify; }
p.list { text-indent: 0; padding-left: 3em; text-indent: -3em; }
`

// minutesPage is the printable page; MinutesHTML renders with it. Issued
// minutes are served from their stored files, never rendered again.
var minutesPage = template.Must(template.New("minutes").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
{{.Style}}
</style></head><body>
{{range .Blocks}}{{if eq .Kind 0}}<h1>{{.Text}}</h1>
{{else if eq .Kind 1}}<p class="issue">{{.Text}}</p>
{{else if eq .Kind 2}}<div class="masthead">{{range .Parts}}<span>{{.}}</span>{{end}}</div>
{{else if eq .Kind 3}}<h2>{{.Text}}</h2>
{{else if eq .Kind 5}}<p class="list">{{.Text}}</p>
{{else}}<p>{{.Text}}</p>
{{end}}{{end}}</body></html>
`))

type htmlBlock struct {
	Kind  int
	Text  string
	Parts []string
}

// MinutesHTML is the printable page.
func MinutesHTML(m Minutes, version string) ([]byte, error) {
	var blocks []htmlBlock
	for _, b := range m.Blocks(version) {
		blocks = append(blocks, htmlBlock{Kind: int(b.Kind), Text: b.Text, Parts: strings.Split(b.Text, "\t")})
	}
	var out bytes.Buffer
	err := minutesPage.Execute(&out, map[string]any{"Title": m.Title() + " " + m.IssueLine(), "Blocks": blocks, "Style": template.CSS(MinutesStyle)})
	return out.Bytes(), err
}

// MinutesPDF is the minutes on A4 with every glyph drawn (document.PDF).
func MinutesPDF(m Minutes, version, fontSpec string) ([]byte, error) {
	w, err := document.NewPDF(fontSpec, m.Title()+" "+m.IssueLine())
	if err != nil {
		return nil, err
	}
	w.Skip(6)
	for _, b := range m.Blocks(version) {
		switch b.Kind {
		case BlockTitle:
			w.P.SetTextColor(192, 0, 0)
			w.Size(22)
			for _, l := range w.Wrap(b.Text, document.Width, false) {
				w.Line(document.Left, w.Y(), document.Width, l, "C", 12)
			}
			w.P.SetTextColor(0, 0, 0)
			w.Skip(2)
		case BlockIssue:
			w.Size(13)
			w.Line(document.Left, w.Y(), document.Width, b.Text, "C", 8)
		case BlockMasthead:
			parts := strings.SplitN(b.Text, "\t", 2)
			w.Size(12)
			y := w.Y()
			w.Line(document.Left, y, 120, parts[0], "L", 8)
			if len(parts) > 1 {
				w.Line(document.Left+100, y, document.Width-100, parts[1], "R", 8)
			}
			w.Rule(192, 0, 0, 0.8)
			w.Skip(5)
		case BlockHeading:
			w.Size(14)
			w.Need(24) // a heading never ends a page
			w.Line(document.Left, w.Y()+1, document.Width, b.Text, "L", 9)
		case BlockList:
			w.Size(12.5)
			w.Skip(2)
			w.Paragraph(b.Text, 7.5, false)
		default:
			w.Size(12.5)
			w.Paragraph(b.Text, 7.5, true)
		}
	}
	return w.Bytes()
}

// MinutesDOCX is the minutes as a Word document offices edit in WPS or Word.
func MinutesDOCX(m Minutes, version string) ([]byte, error) {
	var paras []document.Para
	for _, b := range m.Blocks(version) {
		switch b.Kind {
		case BlockTitle:
			paras = append(paras, document.Para{Text: b.Text, Size: 22, Color: "C00000", Align: "center", Font: "方正小标宋简体", SpaceLine: 36})
		case BlockIssue:
			paras = append(paras, document.Para{Text: b.Text, Align: "center"})
		case BlockMasthead:
			paras = append(paras, document.Para{Text: b.Text, RuleBelow: "C00000", Align: "left"})
		case BlockHeading:
			paras = append(paras, document.Para{Text: b.Text, Font: "黑体", Align: "left"})
		case BlockList:
			paras = append(paras, document.Para{Text: b.Text, Align: "left"})
		default:
			paras = append(paras, document.Para{Text: b.Text, Indent: true})
		}
	}
	return document.Docx(m.Title(), "仿宋_GB2312", paras)
}
