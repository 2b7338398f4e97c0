package observation

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/tuijin/tuijin/internal/document"
)

// Review is the monthly review (月点评) of an observation as issued: the
// results per pool, each site's score with its judges' comments, the best
// and the worst sites. It is the whole input of the rendered files.
type Review struct {
	County   string       `json:"county"`
	Title    string       `json:"title"`     // 9月份重点项目观摩
	Month    string       `json:"month"`     // 2026年9月
	HeldOn   string       `json:"held_on"`   // 2026年9月24日
	HalfYear bool         `json:"half_year"` // the half-year observation
	IssueNo  int          `json:"issue_no"`  // 第N期 per county and year; 0 in a draft
	Year     int          `json:"year"`
	IssuedOn string       `json:"issued_on"`
	Method   string       `json:"method"` // how the sheets combine
	Rubric   string       `json:"rubric"` // 形象进度30分、投资完成30分……
	Judges   []string     `json:"judges"` // names
	Sites    []ReviewSite `json:"sites"`  // by rank
	Pools    []ReviewPool `json:"pools"`  // each pool's unit ranking
	Best     []string     `json:"best"`   // the best sites
	Worst    []string     `json:"worst"`  // the worst sites
	Note     string       `json:"note"`   // the office's note at close (sheets missing)
}

// ReviewSite is a site's result.
type ReviewSite struct {
	Rank     int    `json:"rank"`
	Name     string `json:"name"`
	Unit     string `json:"unit"`
	Score    string `json:"score"`
	Judges   int    `json:"judges"`
	Comments string `json:"comments"` // the judges' comments, in order, joined
}

// ReviewPool is a pool's unit ranking.
type ReviewPool struct {
	Name string          `json:"name"`
	Rows []ReviewUnitRow `json:"rows"`
}

// ReviewUnitRow is a unit's result in its pool.
type ReviewUnitRow struct {
	Rank    int    `json:"rank"`
	Unit    string `json:"unit"`
	Score   string `json:"score"`
	TieNote string `json:"tie_note"`
}

// Heading is the review's title: 光山县2026年9月份重点项目观摩点评.
func (r Review) Heading() string {
	kind := "重点项目观摩点评"
	if r.HalfYear {
		kind = "重点项目半年观摩点评"
	}
	return r.County + r.Month + kind
}

// IssueLine is 2026年第9期, or 草稿（未签发） for a draft.
func (r Review) IssueLine(version string) string {
	if r.IssueNo == 0 {
		return version
	}
	s := fmt.Sprintf("%d年第%d期", r.Year, r.IssueNo)
	if version != "第1版" {
		s += "（" + version + "）"
	}
	return s
}

// Opening is the review's first paragraph.
func (r Review) Opening() string {
	s := fmt.Sprintf("%s，县重点项目建设领导小组组织%s，对%d个重点项目进行现场观摩评比，评委%d人（%s）。评分细则：%s；得分为%s，保留两位小数。",
		r.HeldOn, r.Title, len(r.Sites), len(r.Judges), strings.Join(r.Judges, "、"), r.Rubric, r.Method)
	if r.Note != "" {
		s += "说明：" + r.Note + "。"
	}
	return s
}

// Summary is the closing paragraph: the best and the worst sites.
func (r Review) Summary() string {
	var parts []string
	if len(r.Best) > 0 {
		parts = append(parts, "得分靠前的项目为"+strings.Join(r.Best, "、"))
	}
	if len(r.Worst) > 0 {
		parts = append(parts, "得分靠后的项目为"+strings.Join(r.Worst, "、")+"，请责任单位对照点评意见抓紧整改")
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "；") + "。"
}

// Tables are the review's tables: the sites, then each pool.
func (r Review) Tables() []document.Table {
	sites := document.Table{Header: []string{"名次", "项目", "责任单位", "得分", "评委数", "评委点评"}, Widths: []float64{0.6, 2.6, 1.5, 0.8, 0.7, 3.4}, Left: []int{1, 5}}
	for _, s := range r.Sites {
		sites.Rows = append(sites.Rows, []string{strconv.Itoa(s.Rank), s.Name, s.Unit, s.Score, strconv.Itoa(s.Judges), s.Comments})
	}
	out := []document.Table{sites}
	for _, p := range r.Pools {
		t := document.Table{Header: []string{"名次", "单位", "得分", "说明"}, Widths: []float64{0.7, 2.5, 1, 4}, Left: []int{1, 3}}
		for _, row := range p.Rows {
			t.Rows = append(t.Rows, []string{strconv.Itoa(row.Rank), row.Unit, row.Score, row.TieNote})
		}
		out = append(out, t)
	}
	return out
}

// TableTitles name the tables in order.
func (r Review) TableTitles() []string {
	out := []string{"一、观摩项目得分及排名"}
	for i, p := range r.Pools {
		out = append(out, fmt.Sprintf("%s、%s排名", numerals[i+2], p.Name))
	}
	return out
}

var numerals = []string{"", "一", "二", "三", "四", "五", "六", "七"}

// ReviewFormats are the renderings an issued review is kept in.
var ReviewFormats = map[string]string{
	"html": "text/html; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pdf":  "application/pdf",
}

// ReviewStyle is the page's style sheet (issued reviews keep their files).
var ReviewStyle = `@page { size: A4; margin: 18mm 15mm; }
body { font-family: "Noto Serif CJK SC", "SimSun", "WenQuanYi Micro Hei", "Droid Sans Fallback", serif; max-width: 190mm; margin: 0 auto; line-height: 1.7; }
h1 { text-align: center; color: #b00; font-size: 20pt; margin: .6em 0 .2em; }
.issue { text-align: center; } .meta { display: flex; justify-content: space-between; border-bottom: 2px solid #b00; margin-bottom: 1em; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; margin-bottom: 1em; } th, td { border: 1px solid #444; padding: 2px 4px; } th { background: #eee; }
p { text-indent: 2em; }`

var reviewPage = template.Must(template.New("review").Parse(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{.R.Heading}}</title><style>{{.Style}}</style></head><body>
<h1>{{.R.Heading}}</h1><p class="issue">{{.Issue}}</p>
<div class="meta"><span>{{.R.County}}重点项目建设领导小组办公室</span><span>{{.R.IssuedOn}}</span></div>
<p>{{.R.Opening}}</p>
{{range $i, $t := .Tables}}<h2>{{index $.Titles $i}}</h2><table><tr>{{range $t.Header}}<th>{{.}}</th>{{end}}</tr>{{range $t.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{end}}{{with .R.Summary}}<p>{{.}}</p>{{end}}
</body></html>`))

// ReviewHTML is the printable page.
func ReviewHTML(r Review, version string) ([]byte, error) {
	var b bytes.Buffer
	err := reviewPage.Execute(&b, map[string]any{"R": r, "Issue": r.IssueLine(version), "Tables": r.Tables(), "Titles": r.TableTitles(), "Style": template.CSS(ReviewStyle)})
	return b.Bytes(), err
}

// ReviewXLSX is the workbook: the sites and each pool as sheets, scores as numbers.
func ReviewXLSX(r Review, version string) ([]byte, error) {
	titles := r.TableTitles()
	var sheets []document.Sheet
	for i, t := range r.Tables() {
		name := strings.TrimSuffix(titles[i][strings.Index(titles[i], "、")+len("、"):], "排名")
		if i == 0 {
			name = "项目得分"
		}
		text := map[int]bool{}
		for j, h := range t.Header {
			text[j] = h == "说明"
		}
		sheets = append(sheets, document.Sheet{Name: name, Title: r.Heading() + " " + r.IssueLine(version), Table: t, Text: text,
			Widths: map[string]float64{"B": 30, "F": 50}})
	}
	return document.Workbook(sheets)
}

// ReviewPDF is the review on A4 with every glyph drawn.
func ReviewPDF(r Review, version, fontSpec string) ([]byte, error) {
	w, err := document.NewPDF(fontSpec, r.Heading())
	if err != nil {
		return nil, err
	}
	w.Masthead(r.Heading(), 18, 10, r.IssueLine(version), r.County+"重点项目建设领导小组办公室", r.IssuedOn)
	w.Size(10.5)
	w.Paragraph(r.Opening(), 6, true)
	titles := r.TableTitles()
	for i, t := range r.Tables() {
		w.Size(13)
		w.Need(28)
		w.Line(document.Left, w.Y()+1, document.Width, titles[i], "L", 8)
		if len(t.Rows) == 0 {
			w.Size(10.5)
			w.Paragraph("无。", 6, true)
			continue
		}
		w.Table(t)
		w.Skip(2)
	}
	if s := r.Summary(); s != "" {
		w.Size(10.5)
		w.Paragraph(s, 6, true)
	}
	return w.Bytes()
}

// RenderReview renders the review in every format.
func RenderReview(r Review, version, fontSpec string) (map[string][]byte, error) {
	html, err := ReviewHTML(r, version)
	if err != nil {
		return nil, err
	}
	xlsx, err := ReviewXLSX(r, version)
	if err != nil {
		return nil, err
	}
	pdf, err := ReviewPDF(r, version, fontSpec)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"html": html, "xlsx": xlsx, "pdf": pdf}, nil
}
