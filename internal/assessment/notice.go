package assessment

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/document"
)

// Notice is the published result of an approved assessment (关于…年度重点
// 项目建设考核结果的通报): its tables of ranks and outcomes, as issued.
type Notice struct {
	County   string `json:"county"`
	IssueNo  int    `json:"issue_no"` // 0 in a draft
	Year     int    `json:"year"`
	IssuedOn string `json:"issued_on"`
	Version  int    `json:"version"` // the assessment version it publishes
	Result   Result `json:"result"`
}

// Heading is the notice's title.
func (n Notice) Heading() string {
	return n.County + "重点项目建设领导小组关于" + n.Result.Label + "重点项目建设考核结果的通报"
}

// IssueLine is 光项领〔2026〕3号, or the draft's label.
func (n Notice) IssueLine(version string) string {
	if n.IssueNo == 0 {
		return version
	}
	short := []rune(n.County + "县")[:1] // 光山县 → 光
	s := fmt.Sprintf("%s项领〔%d〕%d号", string(short), n.Year, n.IssueNo)
	if version != "第1版" {
		s += "（" + version + "）"
	}
	return s
}

// Opening is the first paragraph.
func (n Notice) Opening() string {
	return fmt.Sprintf("根据全县重点项目建设协调推进机制和考评奖惩办法，县重点项目建设领导小组组织对各乡镇（街道）、县直有关单位和服务单位%s重点项目建设情况进行了综合考评（投资目标完成、节点计划、观摩评比、督导问政、责任书承诺事项兑现等），经领导小组审定，现将考核结果通报如下：",
		n.Result.Label)
}

// Closing is the last paragraph.
func (n Notice) Closing() string {
	s := "希望受到表彰的单位再接再厉，受到通报批评的单位认真反思、切实整改。考核结果在新闻媒体公布。"
	if n.Result.SharedPrize != "" {
		s += "并列名次的奖惩：" + n.Result.SharedPrize + "。"
	}
	return s
}

var kindNames = map[string]string{"reward": "奖励", "fine": "罚款", "merit": "记功", "criticism": "通报批评", "pledge": "表态发言", "fiscal_cut": "扣减财政预算", "admonishment": "诫勉谈话"}

// Tables are the notice's tables with their titles.
func (n Notice) Tables() ([]string, []document.Table) {
	var titles []string
	var tables []document.Table
	num := 0
	next := func(s string) string { num++; return fmt.Sprintf("%s、%s", numeral(num), s) }
	pools := []struct{ key, name string }{{"townships", "乡镇（街道）考核结果"}, {"zones", "产业集聚区（园区）考核结果"}, {"departments", "县直单位考核结果"}}
	for _, p := range pools {
		t := document.Table{Header: []string{"名次", "单位", "得分", "投资", "节点", "观摩", "督导", "承诺", "说明"},
			Widths: []float64{0.6, 2, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 2.6}, Left: []int{1, 8}}
		for _, u := range n.Result.Units {
			if u.Pool != p.key {
				continue
			}
			rank := "—"
			if u.Rank > 0 {
				rank = strconv.Itoa(u.Rank)
			}
			pts := map[string]string{}
			for _, c := range u.Components {
				pts[c.Name] = c.Points
				if pts[c.Name] == "" {
					pts[c.Name] = "—"
				}
			}
			note := strings.Trim(u.Note+"；"+u.TieNote, "；")
			t.Rows = append(t.Rows, []string{rank, u.Name, dashed(u.Score), dashed(pts["investment"]), dashed(pts["node_plan"]), dashed(pts["observation"]),
				dashed(pts["supervision"]), dashed(pts["letters"]), note})
		}
		if len(t.Rows) > 0 {
			titles, tables = append(titles, next(p.name)), append(tables, t)
		}
	}
	if len(n.Result.Services) > 0 {
		t := document.Table{Header: []string{"名次", "服务单位", "得分", "评价数", "评价均分", "联审办结率", "说明"}, Widths: []float64{0.6, 2.2, 0.9, 0.8, 1, 1.1, 2.4}, Left: []int{1, 6}}
		for _, s := range n.Result.Services {
			rank := "—"
			if s.Rank > 0 {
				rank = strconv.Itoa(s.Rank)
			}
			t.Rows = append(t.Rows, []string{rank, s.Name, dashed(s.Score), strconv.Itoa(s.Ratings), dashed(s.RatingMean), dashed(s.ReviewRate), s.TieNote})
		}
		titles, tables = append(titles, next("服务单位考核结果")), append(tables, t)
	}
	out := document.Table{Header: []string{"类别", "单位", "金额（万元）", "对象", "事由"}, Widths: []float64{1, 1.8, 1, 2.2, 3}, Left: []int{1, 3, 4}}
	for _, o := range n.Result.Outcomes {
		amount := ""
		if o.AmountYuan > 0 {
			amount = bulletin.Wan(o.AmountYuan)
		}
		out.Rows = append(out.Rows, []string{kindNames[o.Kind], o.Unit, amount, o.Persons, o.Reason})
	}
	if len(out.Rows) > 0 {
		titles, tables = append(titles, next("奖惩结果")), append(tables, out)
	}
	return titles, tables
}

func dashed(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func numeral(n int) string {
	d := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	if n >= 0 && n < len(d) {
		return d[n]
	}
	return strconv.Itoa(n)
}

// NoticeFormats are the renderings an issued notice is kept in.
var NoticeFormats = map[string]string{
	"html": "text/html; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pdf":  "application/pdf",
}

// NoticeStyle is the page's style sheet (issued notices keep their files).
var NoticeStyle = `@page { size: A4; margin: 18mm 15mm; }
body { font-family: "Noto Serif CJK SC", "SimSun", "WenQuanYi Micro Hei", "Droid Sans Fallback", serif; max-width: 190mm; margin: 0 auto; line-height: 1.7; }
h1 { text-align: center; color: #b00; font-size: 18pt; margin: .6em 0 .2em; } .issue { text-align: center; }
.meta { display: flex; justify-content: space-between; border-bottom: 2px solid #b00; margin-bottom: 1em; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin-bottom: 1em; } th, td { border: 1px solid #444; padding: 2px 4px; } th { background: #eee; }
p { text-indent: 2em; }`

var noticePage = template.Must(template.New("notice").Parse(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{.N.Heading}}</title><style>{{.Style}}</style></head><body>
<h1>{{.N.Heading}}</h1><p class="issue">{{.Issue}}</p>
<div class="meta"><span>{{.N.County}}重点项目建设领导小组</span><span>{{.N.IssuedOn}}</span></div>
<p>{{.N.Opening}}</p>
{{range $i, $t := .Tables}}<h2>{{index $.Titles $i}}</h2><table><tr>{{range $t.Header}}<th>{{.}}</th>{{end}}</tr>{{range $t.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{end}}<p>{{.N.Closing}}</p>
</body></html>`))

// NoticeHTML is the printable page.
func NoticeHTML(n Notice, version string) ([]byte, error) {
	titles, tables := n.Tables()
	var b bytes.Buffer
	err := noticePage.Execute(&b, map[string]any{"N": n, "Issue": n.IssueLine(version), "Titles": titles, "Tables": tables, "Style": template.CSS(NoticeStyle)})
	return b.Bytes(), err
}

// NoticeXLSX is the workbook: a sheet per table, figures as numbers.
func NoticeXLSX(n Notice, version string) ([]byte, error) {
	titles, tables := n.Tables()
	var sheets []document.Sheet
	for i, t := range tables {
		name := titles[i][strings.Index(titles[i], "、")+len("、"):]
		if len([]rune(name)) > 30 {
			name = string([]rune(name)[:30])
		}
		sheets = append(sheets, document.Sheet{Name: name, Title: n.Heading() + " " + n.IssueLine(version), Table: t, Widths: map[string]float64{"B": 22}})
	}
	return document.Workbook(sheets)
}

// NoticePDF is the notice on A4 with every glyph drawn.
func NoticePDF(n Notice, version, fontSpec string) ([]byte, error) {
	w, err := document.NewPDF(fontSpec, n.Heading())
	if err != nil {
		return nil, err
	}
	w.Masthead(n.Heading(), 16, 9, n.IssueLine(version), n.County+"重点项目建设领导小组", n.IssuedOn)
	w.Paragraph(n.Opening(), 6, true)
	titles, tables := n.Tables()
	for i, t := range tables {
		w.Size(13)
		w.Need(28)
		w.Line(document.Left, w.Y()+1, document.Width, titles[i], "L", 8)
		w.Table(t)
		w.Skip(2)
	}
	w.Size(10.5)
	w.Paragraph(n.Closing(), 6, true)
	return w.Bytes()
}

// RenderNotice renders the notice in every format.
func RenderNotice(n Notice, version, fontSpec string) (map[string][]byte, error) {
	html, err := NoticeHTML(n, version)
	if err != nil {
		return nil, err
	}
	xlsx, err := NoticeXLSX(n, version)
	if err != nil {
		return nil, err
	}
	pdf, err := NoticePDF(n, version, fontSpec)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"html": html, "xlsx": xlsx, "pdf": pdf}, nil
}
