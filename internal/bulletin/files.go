package bulletin

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/document"
)

// XLSX renders the bulletin as a workbook: the first sheet holds the
// overview with amounts as numbers (万元, two decimals) so totals can be
// checked by any spreadsheet; one sheet per section follows.
func XLSX(f Figures, version string) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	const first = "总体情况"
	if err := x.SetSheetName("Sheet1", first); err != nil {
		return nil, err
	}
	bold, _ := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	o := f.Overview
	rows := [][]any{
		{f.Title()},
		{strings.TrimSpace(f.IssueLine() + " " + f.Subtitle() + " " + version)},
		{"指标", "数值"},
		{"项目数（个）", o.Projects},
		{"总投资（万元）", num(Wan(o.TotalYuan))},
		{"年度计划投资（万元）", num(Wan(o.PlanYuan))},
		{"累计完成投资（万元）", num(Wan(o.DoneYuan))},
		{f.Inputs.Span().ThisPeriod() + "完成投资（万元）", num(Wan(o.PeriodYuan))},
		{"年度投资完成率（%）", num(o.CompletionRate)},
		{"时序进度（%）", num(f.Schedule)},
		{"时序进度计算方式", f.ScheduleHow},
		{"与时序进度差（百分点）", num(o.Lead)},
		{"已开工（个）", o.Started},
		{"开工率（%）", num(o.StartRate)},
		{"已完成年度计划（个）", o.FinishedYearPlan},
		{"在建（个）", o.UnderConstruction},
		{"未开工（个）", o.NotStarted},
		{"其中未到开工时间（个）", o.NotYetDue},
		{},
		{f.OverviewText()},
		{f.SourceText()},
		{RoundingRule},
	}
	for i, r := range rows {
		if err := x.SetSheetRow(first, "A"+strconv.Itoa(i+1), &r); err != nil {
			return nil, err
		}
	}
	_ = x.SetCellStyle(first, "A1", "A1", bold)
	_ = x.SetColWidth(first, "A", "A", 28)
	_ = x.SetColWidth(first, "B", "B", 18)
	for i, t := range f.Tables() {
		name := fmt.Sprintf("%d %s", i+2, sheetName(t.Title))
		if _, err := x.NewSheet(name); err != nil {
			return nil, err
		}
		title := []any{t.Title}
		_ = x.SetSheetRow(name, "A1", &title)
		_ = x.SetCellStyle(name, "A1", "A1", bold)
		head := make([]any, len(t.Header))
		for j, h := range t.Header {
			head[j] = h
		}
		_ = x.SetSheetRow(name, "A2", &head)
		for r, row := range t.Rows {
			vals := make([]any, len(row))
			for j, c := range row {
				vals[j] = cell(c)
			}
			if err := x.SetSheetRow(name, "A"+strconv.Itoa(r+3), &vals); err != nil {
				return nil, err
			}
		}
		_ = x.SetColWidth(name, "A", "H", 16)
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// sheetName shortens a section title to a valid sheet name (≤ 31 characters).
func sheetName(title string) string {
	r := []rune(title)
	for i, c := range r {
		if c == '、' {
			r = r[i+1:]
			break
		}
	}
	for i, c := range r {
		if c == '（' {
			r = r[:i]
			break
		}
	}
	if len(r) > 20 {
		r = r[:20]
	}
	return string(r)
}

// num is a figure for the overview sheet: a dash when there is none.
func num(s string) any {
	if s == "" {
		return "—"
	}
	return cell(s)
}

// cell keeps numbers numeric and everything else text.
func cell(s string) any {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v
	}
	return s
}

// PDF renders the bulletin on A4 with the fonts of fontSpec (see
// document.LoadFonts) embedded as subsets, so the text is real text: each
// character drawn by the first face that has it, lines wrapped without
// losing a character, long numbers broken inside their cells.
func PDF(f Figures, version, fontSpec string) ([]byte, error) {
	w, err := document.NewPDF(fontSpec, f.Title())
	if err != nil {
		return nil, err
	}
	p := w.P
	p.SetTextColor(176, 0, 0)
	w.Size(18)
	w.Line(document.Left, w.Y(), document.Width, f.Title(), "C", 11)
	p.SetTextColor(0, 0, 0)
	w.Size(11)
	if issue := f.IssueLine(); issue != "" {
		w.Line(document.Left, w.Y(), document.Width, issue, "C", 7)
	}
	w.Size(10.5)
	w.Line(document.Left, w.Y(), document.Width, f.Subtitle(), "C", 7)
	y := w.Y()
	w.Line(document.Left, y, 120, f.Inputs.County+"重点项目建设领导小组办公室", "L", 6)
	w.Line(135, y, 60, version, "R", 6)
	w.Rule(176, 0, 0, 0.6)
	w.Skip(3)
	heading := func(s string) {
		w.Size(13)
		w.Need(28) // a heading never ends a page: its first lines come with it
		w.Line(document.Left, w.Y()+1, document.Width, s, "L", 8)
		w.Size(10)
	}
	heading("一、总体情况")
	w.Paragraph(f.OverviewText(), 6, true)
	for _, t := range f.Tables() {
		heading(t.Title)
		if len(t.Rows) == 0 {
			w.Paragraph(t.Empty, 6, true)
			continue
		}
		if t.Unit != "" {
			w.Size(8.5)
			w.Line(document.Left, w.Y(), document.Width, t.Unit, "R", 5)
		}
		w.Table(document.Table{Header: t.Header, Rows: t.Rows, Widths: t.Widths, Left: t.Left})
		w.Size(10)
		w.Skip(2)
	}
	if len(f.Inputs.MissingInspections) > 0 {
		w.Paragraph("本期未按计划督导检查的项目："+strings.Join(f.Inputs.MissingInspections, "、")+"。", 6, false)
	}
	w.Skip(3)
	w.Size(8.5)
	if src := f.SourceText(); src != "" {
		w.Paragraph(src, 5, false)
	}
	w.Paragraph(RoundingRule, 5, false)
	return w.Bytes()
}

// Formats are the renderings an issued bulletin is kept in, with their
// content types.
var Formats = map[string]string{
	"html": "text/html; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pdf":  "application/pdf",
}

// Render renders the bulletin in every format, as issued with its version label.
func Render(f Figures, version, fontSpec string) (map[string][]byte, error) {
	html, err := HTML(f, version)
	if err != nil {
		return nil, err
	}
	xlsx, err := XLSX(f, version)
	if err != nil {
		return nil, err
	}
	pdf, err := PDF(f, version, fontSpec)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"html": html, "xlsx": xlsx, "pdf": pdf}, nil
}

// FileName is an issued file's name: county, kind, period, issue number
// and version ("光山县-重点项目建设周通报-2026-03-23-第13期-第1版.pdf").
func FileName(f Figures, version, format string) string {
	issue := f.IssueLine()
	if issue != "" {
		issue = "-" + strings.TrimPrefix(issue, fmt.Sprintf("%d年", f.Inputs.Year))
	}
	title := strings.TrimPrefix(f.Title(), f.Inputs.County)
	return fmt.Sprintf("%s-%s-%s%s-%s.%s", f.Inputs.County, title, f.Inputs.Span().Value(), issue, version, format)
}
