package bulletin

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/tuijin/tuijin/internal/supervision"
)

// Title is the bulletin's heading.
func (f Figures) Title() string {
	week := f.Inputs.Span().Kind == PeriodWeek
	switch {
	case f.Inputs.Kind == "group6" && week:
		return f.Inputs.County + "“百城提质”项目督导检查通报"
	case f.Inputs.Kind == "group6":
		return f.Inputs.County + "“百城提质”项目建设进展情况通报"
	case week:
		return f.Inputs.County + "重点项目建设周通报"
	}
	return f.Inputs.County + "重点项目建设进展情况通报"
}

// IssueLine is the bulletin's issue number ("2026年第13期"); empty for a draft.
func (f Figures) IssueLine() string {
	if f.Inputs.IssueNo == 0 {
		return ""
	}
	return fmt.Sprintf("%d年第%d期", f.Inputs.Year, f.Inputs.IssueNo)
}

// Subtitle names the period: "2026年第13周（3月23日—3月29日）", "（2026年1-3月）".
func (f Figures) Subtitle() string {
	p := f.Inputs.Span()
	if p.Kind == PeriodWeek {
		return p.Label()
	}
	return "（" + p.Label() + "）"
}

// LeadText says a lead in words: 快于/慢于时序进度N个百分点, or 持平.
func LeadText(lead string) string {
	switch {
	case lead == "":
		return "—"
	case strings.Trim(lead, "-0.") == "":
		return "与时序进度持平"
	case strings.HasPrefix(lead, "-"):
		return "慢于时序进度" + lead[1:] + "个百分点"
	}
	return "快于时序进度" + lead + "个百分点"
}

// OverviewText is the opening paragraph, totals in 亿元 as bulletins state them.
func (f Figures) OverviewText() string {
	o := f.Overview
	p := f.Inputs.Span()
	end := p.End
	scope := "全县"
	if f.Inputs.Kind == "group6" {
		scope = "“百城提质”"
	}
	if o.Projects == 0 {
		return fmt.Sprintf("截至%d月%d日，%s无列入%d年度清单的重点项目，本期无可通报的数据。", end.Month(), end.Day(), scope, f.Inputs.Year)
	}
	s := fmt.Sprintf("%s纳入%d年度重点推进项目%d个，总投资%s亿元，年度计划投资%s亿元。截至%d月%d日，已开工%d个，开工率%s%%；累计完成投资%s亿元，占年度计划的%s%%，时序进度%s%%（%s），%s。",
		scope, f.Inputs.Year, o.Projects, Yi(o.TotalYuan), Yi(o.PlanYuan), end.Month(), end.Day(), o.Started, dash(o.StartRate),
		Yi(o.DoneYuan), dash(o.CompletionRate), f.Schedule, f.ScheduleHow, LeadText(o.Lead))
	if f.Inputs.Rules >= 2 && p.Kind != PeriodYear {
		s += fmt.Sprintf("%s完成投资%s亿元。", p.ThisPeriod(), Yi(o.PeriodYuan))
	}
	s += fmt.Sprintf("已完成年度投资计划的项目%d个，在建项目%d个，未开工项目%d个（其中未到计划开工时间%d个）。",
		o.FinishedYearPlan, o.UnderConstruction, o.NotStarted, o.NotYetDue)
	return s
}

// SourceText says where the completed investment comes from (M4.4).
func (f Figures) SourceText() string {
	if f.Inputs.Rules < 2 {
		return ""
	}
	projects, months := 0, 0
	for _, p := range f.Inputs.Projects {
		if p.StatMonths > 0 {
			projects++
			months += p.StatMonths
		}
	}
	s := "完成投资口径：经项目责任人确认的周报，按周日所在月份归月；县统计局已核实的月份以核实数为准。"
	if projects > 0 {
		s += fmt.Sprintf("本期累计完成投资中，%d个项目共%d个月采用统计局核实数，其余为周报汇总数。", projects, months)
	} else {
		s += "本期累计完成投资均为周报汇总数。"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

var escStatus = map[string]string{"pending": "待安排", "scheduled": "已安排", "done": "已问政", "waived": "免于问政"}

// Table is a titled grid of text, the shape all three renderings share.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Widths []float64 // relative column widths for the PDF
	Empty  string
	Unit   string // the units of its figures, said above it ("单位：万元、%")
	Left   []int  // the columns of text in the PDF (nil: the second)
}

// LeadShort is a lead in a table's 与时序进度比较 column: 快/慢N个百分点, 持平.
func LeadShort(lead string) string {
	switch {
	case lead == "":
		return "—"
	case strings.Trim(lead, "-0.") == "":
		return "持平"
	case strings.HasPrefix(lead, "-"):
		return "慢" + lead[1:] + "个百分点"
	}
	return "快" + lead + "个百分点"
}

func summaryRow(name string, s Summary) []string {
	return []string{name, strconv.Itoa(s.Projects), Wan(s.PlanYuan), Wan(s.DoneYuan), Wan(s.PeriodYuan), dash(s.CompletionRate), LeadShort(s.Lead), strconv.Itoa(s.Started), dash(s.StartRate)}
}

func summaryHeader(p Period) []string {
	return []string{"分类", "项目数", "年度计划", "累计完成", p.ThisPeriod() + "完成", "完成率", "与时序进度比较", "已开工", "开工率"}
}

var summaryWidths = []float64{1.5, 0.75, 1.35, 1.35, 1.3, 0.9, 1.6, 0.75, 0.9}

// Tables are the bulletin's sections after the overview.
func (f Figures) Tables() []Table {
	var ts []Table
	p := f.Inputs.Span()
	const money = "单位：个、万元、%"
	t := Table{Title: "二、分建设类型推进情况", Header: summaryHeader(p), Widths: summaryWidths, Unit: money}
	for _, g := range f.ByType {
		t.Rows = append(t.Rows, summaryRow(g.Name, g.Summary))
	}
	ts = append(ts, t)
	t = Table{Title: "三、分项目类别推进情况", Header: summaryHeader(p), Widths: summaryWidths, Unit: money}
	for _, g := range f.ByCategory {
		t.Rows = append(t.Rows, summaryRow(g.Name, g.Summary))
	}
	ts = append(ts, t)
	t = Table{Title: "四、责任单位推进情况及排名（按年度投资完成率）", Header: []string{"排名", "责任单位", "项目数", "年度计划", "累计完成", p.ThisPeriod() + "完成", "完成率", "与时序进度比较"},
		Widths: []float64{0.6, 2.1, 0.75, 1.35, 1.35, 1.3, 0.9, 1.6}, Unit: money}
	for _, u := range f.ByUnit {
		rank := "—"
		if u.Rank > 0 {
			rank = strconv.Itoa(u.Rank)
		}
		t.Rows = append(t.Rows, []string{rank, u.Name, strconv.Itoa(u.Projects), Wan(u.PlanYuan), Wan(u.DoneYuan), Wan(u.PeriodYuan), dash(u.CompletionRate), LeadShort(u.Lead)})
	}
	ts = append(ts, t)
	t = Table{Title: "五、停滞项目（连续无实质进度达到问政周数）", Header: []string{"项目编号", "项目名称", "责任单位", "连续无实质进度（周）"}, Widths: []float64{1.2, 3.2, 1.8, 1.8}, Empty: "本期无停滞项目。"}
	for _, p := range f.Stalled {
		t.Rows = append(t.Rows, []string{p.Code, p.Name, p.Unit, strconv.Itoa(p.Streak)})
	}
	ts = append(ts, t)
	t = Table{Title: "六、电视问政", Header: []string{"项目", "问政对象", "职务", "层级", "连续周数", "状态"}, Widths: []float64{3, 1.2, 1.8, 1.6, 0.8, 1}, Empty: "本期无新增问政。"}
	for _, e := range f.Inputs.Escalations {
		person := e.Person
		if person == "" {
			person = "（岗位空缺）"
		}
		t.Rows = append(t.Rows, []string{e.Project, person, e.Post, supervision.LevelName(e.Level), strconv.Itoa(e.Weeks), escStatus[e.Status]})
	}
	ts = append(ts, t)
	t = Table{Title: "七、逾期未办结审批事项", Header: []string{"项目", "审批事项", "服务单位", "计划办结", "逾期（天）"}, Widths: []float64{3, 2, 1.8, 1.2, 0.8}, Empty: "无逾期审批事项。"}
	for _, a := range f.Inputs.OverdueApprovals {
		t.Rows = append(t.Rows, []string{a.Project, a.Item, a.ServiceUnit, a.Planned, strconv.Itoa(a.DaysOver)})
	}
	ts = append(ts, t)
	t = Table{Title: "八、督导检查发现问题", Header: []string{"项目", "督导组", "检查日期", "核实投资（万元）", "发现问题"}, Widths: []float64{2.4, 1.4, 1.1, 1.3, 3.6}, Empty: "本期无督导检查记录。"}
	for _, x := range f.Inputs.Findings {
		t.Rows = append(t.Rows, []string{x.Project, x.Group, x.VisitedOn, Wan(x.VerifiedYuan), x.Findings})
	}
	ts = append(ts, t)
	// Batch ground-breaking, in a bulletin of a period that ends a round.
	if len(f.Inputs.BatchStarts) > 0 {
		t = Table{Title: "九、集中开工（双月开工）", Header: []string{"轮次", "计划开工", "已开工", "提前", "按期", "延期", "未填日期", "未开工", "开工率"},
			Widths: []float64{1.6, 0.9, 0.9, 0.7, 0.7, 0.7, 0.9, 0.9, 0.9}, Unit: "单位：个、%", Left: []int{0}}
		w := Table{Title: "十、集中开工轮次中未开工项目", Header: []string{"轮次", "项目", "责任单位", "计划开工", "未开工原因"},
			Widths: []float64{1.2, 3, 1.6, 1.1, 2.6}, Empty: "计划开工的项目均已开工。"}
		for _, r := range f.Inputs.BatchStarts {
			label := r.Label
			if r.Ceremony != "" {
				label += "（" + r.Ceremony + "）"
			}
			t.Rows = append(t.Rows, []string{label, strconv.Itoa(r.Planned), strconv.Itoa(r.Started), strconv.Itoa(r.Early), strconv.Itoa(r.OnTime),
				strconv.Itoa(r.Late), strconv.Itoa(r.Undated), strconv.Itoa(r.NotStarted), dash(r.Rate)})
			for _, p := range r.Waiting {
				reason := p.Reason
				if reason == "" {
					reason = "（责任单位未说明）"
				}
				w.Rows = append(w.Rows, []string{r.Label, p.Name, p.Unit, p.PlannedStart, reason})
			}
		}
		ts = append(ts, t, w)
	}
	return ts
}

// PageStyle is the printable page's style sheet. An issued bulletin keeps
// the files it was issued with, whatever this becomes later.
var PageStyle = template.CSS(`
@page { size: A4; margin: 18mm 15mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "WenQuanYi Micro Hei", "Droid Sans Fallback", serif; color: #111; max-width: 190mm; margin: 0 auto; line-height: 1.7; }
h1 { text-align: center; font-size: 22pt; color: #b00; margin: 0.6em 0 0.2em; letter-spacing: 0.1em; }
.sub { text-align: center; margin-bottom: 1em; }
.issue { text-align: center; font-size: 12pt; }
.meta { display: flex; justify-content: space-between; border-bottom: 2px solid #b00; padding-bottom: 4px; margin-bottom: 1em; font-size: 10.5pt; }
h2 { font-size: 14pt; margin: 1.2em 0 0.4em; }
p { text-indent: 2em; margin: 0.3em 0; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; page-break-inside: auto; }
th, td { border: 1px solid #444; padding: 3px 5px; text-align: center; }
td:nth-child(2) { text-align: left; }
th { background: #f2f2f2; }
tr { page-break-inside: avoid; }
.note { font-size: 9pt; color: #444; margin-top: 1.5em; text-indent: 0; }
.missing { font-size: 10pt; }
.unit { text-align: right; font-size: 9pt; }
`)

var page = template.Must(template.New("bulletin").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.F.Title}}</title>
<style>{{.Style}}</style></head><body>
<h1>{{.F.Title}}</h1>
{{with .F.IssueLine}}<div class="issue">{{.}}</div>{{end}}
<div class="sub">{{.F.Subtitle}}</div>
<div class="meta"><span>{{.F.Inputs.County}}重点项目建设领导小组办公室</span><span>{{.Version}}</span></div>
<h2>一、总体情况</h2>
<p>{{.F.OverviewText}}</p>
{{range .Tables}}<h2>{{.Title}}</h2>
{{if .Rows}}{{with .Unit}}<div class="unit">{{.}}</div>{{end}}<table><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>{{else}}<p>{{.Empty}}</p>{{end}}
{{end}}{{if .F.Inputs.MissingInspections}}<p class="missing">本期未按计划督导检查的项目：{{range $i, $p := .F.Inputs.MissingInspections}}{{if $i}}、{{end}}{{$p}}{{end}}。</p>{{end}}
{{with .F.SourceText}}<p class="note">{{.}}</p>{{end}}
<p class="note">{{.Rule}}</p>
</body></html>
`))

// HTML renders the printable page. version labels an issued bulletin
// ("第1版"), or a draft.
func HTML(f Figures, version string) ([]byte, error) {
	var b bytes.Buffer
	err := page.Execute(&b, map[string]any{"F": f, "Tables": f.Tables(), "Rule": RoundingRule, "Version": version, "Style": PageStyle})
	return b.Bytes(), err
}
