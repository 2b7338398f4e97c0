package bulletin

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/xuri/excelize/v2"
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
// LoadFonts) embedded as subsets, so the text is real text: each character
// drawn by the first face that has it, lines wrapped without losing a
// character, long numbers broken inside their cells.
func PDF(f Figures, version, fontSpec string) ([]byte, error) {
	fs, err := LoadFonts(fontSpec)
	if err != nil {
		return nil, err
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(15, 15, 15)
	p.SetAutoPageBreak(false, 15)
	for _, fc := range fs.faces {
		p.AddUTF8FontFromBytes(fc.name, "", fc.data)
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("PDF fonts: %w", err)
	}
	w := &pdfWriter{p: p, fs: fs}
	p.SetTitle(f.Title(), true)
	p.SetCreator("tuijin", true)
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		w.size(8)
		w.line(15, 285, 180, fmt.Sprintf("第 %d 页 / 共 {nb} 页", p.PageNo()), "C", 5)
	})
	p.AddPage()
	p.SetTextColor(176, 0, 0)
	w.size(18)
	w.line(15, p.GetY(), 180, f.Title(), "C", 11)
	p.SetTextColor(0, 0, 0)
	w.size(11)
	if issue := f.IssueLine(); issue != "" {
		w.line(15, p.GetY(), 180, issue, "C", 7)
	}
	w.size(10.5)
	w.line(15, p.GetY(), 180, f.Subtitle(), "C", 7)
	y := p.GetY()
	w.line(15, y, 120, f.Inputs.County+"重点项目建设领导小组办公室", "L", 6)
	w.line(135, y, 60, version, "R", 6)
	p.SetDrawColor(176, 0, 0)
	p.SetLineWidth(0.6)
	p.Line(15, p.GetY(), 195, p.GetY())
	p.SetDrawColor(0, 0, 0)
	p.SetLineWidth(0.2)
	p.SetY(p.GetY() + 3)
	heading := func(s string) {
		w.size(13)
		w.need(28) // a heading never ends a page: its first lines come with it
		w.line(15, p.GetY()+1, 180, s, "L", 8)
		w.size(10)
	}
	heading("一、总体情况")
	w.paragraph(f.OverviewText(), 6, true)
	for _, t := range f.Tables() {
		heading(t.Title)
		if len(t.Rows) == 0 {
			w.paragraph(t.Empty, 6, true)
			continue
		}
		if t.Unit != "" {
			w.size(8.5)
			w.line(15, p.GetY(), 180, t.Unit, "R", 5)
		}
		w.table(t)
		w.size(10)
		p.SetY(p.GetY() + 2)
	}
	if len(f.Inputs.MissingInspections) > 0 {
		w.paragraph("本期未按计划督导检查的项目："+strings.Join(f.Inputs.MissingInspections, "、")+"。", 6, false)
	}
	p.SetY(p.GetY() + 3)
	w.size(8.5)
	if src := f.SourceText(); src != "" {
		w.paragraph(src, 5, false)
	}
	w.paragraph(RoundingRule, 5, false)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pdfWriter lays text out in runs of one face each.
type pdfWriter struct {
	p  *fpdf.Fpdf
	fs *Fonts
	pt float64
}

const pageBottom = 280.0

func (w *pdfWriter) size(pt float64) { w.pt = pt }

// need starts a new page when h millimetres do not fit on this one.
func (w *pdfWriter) need(h float64) {
	if w.p.GetY()+h > pageBottom {
		w.newPage()
	}
}

// newPage adds a page keeping the text size (the footer sets its own).
func (w *pdfWriter) newPage() {
	pt := w.pt
	w.p.AddPage()
	w.pt = pt
}

func (w *pdfWriter) runeWidth(r rune) float64 {
	i := w.fs.FaceOf(r)
	if i < 0 {
		i = 0
	}
	w.p.SetFont(w.fs.faces[i].name, "", w.pt)
	return w.p.GetStringWidth(string(r))
}

func (w *pdfWriter) width(s string) float64 {
	total := 0.0
	for _, r := range w.fs.runs(s) {
		w.p.SetFont(w.fs.faces[r.face].name, "", w.pt)
		total += w.p.GetStringWidth(r.text)
	}
	return total
}

// hangs are characters that may stay at the end of a full line rather than
// begin the next (closing punctuation).
const hangs = "，。、；：）》」』”’！？％,.;:)%"

// wrap breaks s into lines no wider than max, between any two characters
// (Chinese text and long numbers alike), keeping every character; with
// hang, closing punctuation may overhang a full line (paragraphs, not cells).
func (w *pdfWriter) wrap(s string, max float64, hang bool) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var cur []rune
		width := 0.0
		for _, r := range para {
			rw := w.runeWidth(r)
			if width+rw > max && len(cur) > 0 && !(hang && strings.ContainsRune(hangs, r)) {
				lines = append(lines, string(cur))
				cur, width = nil, 0
			}
			cur = append(cur, r)
			width += rw
		}
		lines = append(lines, string(cur))
	}
	return lines
}

// line draws one line of text in the box [x, x+width] at y, aligned L, C or
// R, and moves below it by h.
func (w *pdfWriter) line(x, y, width float64, s, align string, h float64) {
	tw := w.width(s)
	switch align {
	case "C":
		x += (width - tw) / 2
	case "R":
		x += width - tw
	}
	w.p.SetXY(x, y)
	for _, r := range w.fs.runs(s) {
		w.p.SetFont(w.fs.faces[r.face].name, "", w.pt)
		w.p.CellFormat(w.p.GetStringWidth(r.text), h, r.text, "", 0, "L", false, 0, "")
	}
	w.p.SetXY(15, y+h)
}

// paragraph wraps text across the page width (indented two characters when
// indent), breaking pages between lines.
func (w *pdfWriter) paragraph(text string, h float64, indent bool) {
	if indent {
		text = "\u3000\u3000" + text
	}
	for _, l := range w.wrap(text, 180, true) {
		w.need(h)
		w.line(15, w.p.GetY(), 180, l, "L", h)
	}
}

// table draws a table across the page width: each cell wraps within its
// column, a row is as tall as its tallest cell, a row never splits across
// pages, and the header is repeated on every page.
func (w *pdfWriter) table(t Table) {
	sum := 0.0
	for _, x := range t.Widths {
		sum += x
	}
	ws := make([]float64, len(t.Widths))
	for i, x := range t.Widths {
		ws[i] = 180 * x / sum
	}
	const lh = 4.6
	w.size(8.5)
	row := func(cells []string, header bool) {
		wrapped := make([][]string, len(cells))
		lines := 1
		for i, c := range cells {
			wrapped[i] = w.wrap(c, ws[i]-2, false)
			if len(wrapped[i]) > lines {
				lines = len(wrapped[i])
			}
		}
		h := lh*float64(lines) + 1.2
		y := w.p.GetY()
		x := 15.0
		w.p.SetFillColor(242, 242, 242)
		for i := range cells {
			style := "D"
			if header {
				style = "FD"
			}
			w.p.Rect(x, y, ws[i], h, style)
			align := "C"
			if !header && (i == 1 || len(wrapped[i]) > 1 || len([]rune(cells[i])) > 12) {
				align = "L"
			}
			for k, l := range wrapped[i] {
				w.line(x+1, y+0.6+lh*float64(k), ws[i]-2, l, align, lh)
			}
			x += ws[i]
		}
		w.p.SetXY(15, y+h)
	}
	heightOf := func(cells []string) float64 {
		lines := 1
		for i, c := range cells {
			if n := len(w.wrap(c, ws[i]-2, false)); n > lines {
				lines = n
			}
		}
		return lh*float64(lines) + 1.2
	}
	w.need(heightOf(t.Header) + heightOf(t.Rows[0]))
	row(t.Header, true)
	for _, r := range t.Rows {
		if w.p.GetY()+heightOf(r) > pageBottom {
			w.newPage()
			row(t.Header, true)
		}
		row(r, false)
	}
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
