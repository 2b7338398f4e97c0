package bulletin

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"

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
		{f.Subtitle() + " " + version},
		{"指标", "数值"},
		{"项目数（个）", o.Projects},
		{"总投资（万元）", num(Wan(o.TotalYuan))},
		{"年度计划投资（万元）", num(Wan(o.PlanYuan))},
		{"累计完成投资（万元）", num(Wan(o.DoneYuan))},
		{"年度投资完成率（%）", num(o.CompletionRate)},
		{"时序进度（%）", num(f.Schedule)},
		{"与时序进度差（百分点）", num(o.Lead)},
		{"已开工（个）", o.Started},
		{"开工率（%）", num(o.StartRate)},
		{"已完成年度计划（个）", o.FinishedYearPlan},
		{"在建（个）", o.UnderConstruction},
		{"未开工（个）", o.NotStarted},
		{"其中未到开工时间（个）", o.NotYetDue},
		{},
		{f.OverviewText()},
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

var fontCache struct {
	sync.Mutex
	path string
	data []byte
}

func fontBytes(path string) ([]byte, error) {
	fontCache.Lock()
	defer fontCache.Unlock()
	if fontCache.path == path && fontCache.data != nil {
		return fontCache.data, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("PDF font %s (install fonts-droid-fallback or set TUIJIN_PDF_FONT): %w", path, err)
	}
	fontCache.path, fontCache.data = path, b
	return b, nil
}

// PDF renders the bulletin on A4 with the CJK TrueType font at fontPath
// embedded (subset), so the Chinese text is real text, not pictures.
func PDF(f Figures, version, fontPath string) ([]byte, error) {
	font, err := fontBytes(fontPath)
	if err != nil {
		return nil, err
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(15, 15, 15)
	p.SetAutoPageBreak(true, 15)
	p.AddUTF8FontFromBytes("cjk", "", font)
	p.SetTitle(f.Title(), true)
	p.SetCreator("tuijin", true)
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		p.SetY(-12)
		p.SetFont("cjk", "", 8)
		p.CellFormat(0, 5, fmt.Sprintf("第 %d 页 / 共 {nb} 页", p.PageNo()), "", 0, "C", false, 0, "")
	})
	p.AddPage()
	p.SetFont("cjk", "", 18)
	p.SetTextColor(176, 0, 0)
	p.CellFormat(0, 12, f.Title(), "", 1, "C", false, 0, "")
	p.SetTextColor(0, 0, 0)
	p.SetFont("cjk", "", 10.5)
	p.CellFormat(0, 7, f.Subtitle(), "", 1, "C", false, 0, "")
	p.CellFormat(90, 6, f.Inputs.County+"重点项目建设领导小组办公室", "B", 0, "L", false, 0, "")
	p.CellFormat(0, 6, version, "B", 1, "R", false, 0, "")
	p.Ln(3)
	heading := func(s string) {
		p.SetFont("cjk", "", 13)
		p.CellFormat(0, 9, s, "", 1, "L", false, 0, "")
		p.SetFont("cjk", "", 10)
	}
	heading("一、总体情况")
	p.MultiCell(0, 6, "    "+f.OverviewText(), "", "L", false)
	width := 180.0
	for _, t := range f.Tables() {
		heading(t.Title)
		if len(t.Rows) == 0 {
			p.MultiCell(0, 6, "    "+t.Empty, "", "L", false)
			continue
		}
		sum := 0.0
		for _, w := range t.Widths {
			sum += w
		}
		ws := make([]float64, len(t.Widths))
		for i, w := range t.Widths {
			ws[i] = width * w / sum
		}
		p.SetFont("cjk", "", 8.5)
		p.SetFillColor(242, 242, 242)
		row := func(cells []string, fill bool) {
			// Each cell wraps within its width; the row is as tall as its tallest cell.
			lines := 1
			for i, c := range cells {
				if n := len(p.SplitText(c, ws[i]-2)); n > lines {
					lines = n
				}
			}
			h := 5.0 * float64(lines)
			if p.GetY()+h > 282 {
				p.AddPage()
			}
			x, y := p.GetX(), p.GetY()
			for i, c := range cells {
				p.Rect(x, y, ws[i], h, map[bool]string{true: "FD", false: "D"}[fill])
				p.SetXY(x, y)
				align := "C"
				if i == 1 || len([]rune(c)) > 12 {
					align = "L"
				}
				p.MultiCell(ws[i], 5, c, "", align, false)
				x += ws[i]
			}
			p.SetXY(15, y+h)
		}
		row(t.Header, true)
		for _, r := range t.Rows {
			row(r, false)
		}
		p.SetFont("cjk", "", 10)
		p.Ln(2)
	}
	if len(f.Inputs.MissingInspections) > 0 {
		s := "本周未按计划督导检查的项目："
		for i, m := range f.Inputs.MissingInspections {
			if i > 0 {
				s += "、"
			}
			s += m
		}
		p.MultiCell(0, 6, s+"。", "", "L", false)
	}
	p.Ln(3)
	p.SetFont("cjk", "", 8.5)
	p.MultiCell(0, 5, RoundingRule, "", "L", false)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
