package workbook

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// ProblemSheet is the sheet Annotate adds with every problem listed.
const ProblemSheet = "导入问题"

// Annotate returns a copy of an uploaded workbook with each problem cell
// highlighted and commented (its message in Chinese and English), and a
// sheet listing the problems, so that the office can correct the file it
// has and upload it again. problems are the first found (Complaints.Kept);
// count and cells say how many problems, and of them cells, there were in
// all. At most limit cells are marked; the list sheet says how many there
// were. It holds the whole workbook in memory: the worker calls it.
func Annotate(original []byte, problems []Problem, count, cells, limit int) ([]byte, error) {
	f, err := excelize.OpenReader(bytes.NewReader(original), excelize.Options{UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return nil, ErrNotWorkbook.Wrap(err)
	}
	defer f.Close()
	marked := 0
	styles := map[int]int{} // a cell's style → the same with the warning fill
	for _, p := range problems {
		if p.Row == 0 || marked >= limit {
			continue
		}
		cell := p.Col + fmt.Sprint(p.Row)
		old, err := f.GetCellStyle(p.Sheet, cell)
		if err != nil {
			continue
		}
		st, ok := styles[old]
		if !ok {
			s, err := f.GetStyle(old)
			if err != nil {
				return nil, err
			}
			s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}
			if s.Font == nil {
				s.Font = &excelize.Font{}
			}
			s.Font.Color = "9C0006"
			if st, err = f.NewStyle(s); err != nil {
				return nil, err
			}
			styles[old] = st
		}
		if err := f.SetCellStyle(p.Sheet, cell, cell, st); err != nil {
			return nil, err
		}
		_ = f.DeleteComment(p.Sheet, cell)
		if err := f.AddComment(p.Sheet, excelize.Comment{Cell: cell, Author: "推进平台", Text: p.ZH + "\n" + p.EN}); err != nil {
			return nil, err
		}
		marked++
	}
	if idx, _ := f.GetSheetIndex(ProblemSheet); idx >= 0 {
		_ = f.DeleteSheet(ProblemSheet)
	}
	if _, err := f.NewSheet(ProblemSheet); err != nil {
		return nil, err
	}
	head := []any{"工作表", "单元格", "列", "问题", "Problem"}
	if err := f.SetSheetRow(ProblemSheet, "A1", &head); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("共%d处问题", count)
	if marked < cells {
		note += fmt.Sprintf("；已在表中标出前%d处", marked)
	}
	if err := f.SetCellValue(ProblemSheet, "G1", note); err != nil {
		return nil, err
	}
	for i, p := range problems {
		if i >= limit {
			break
		}
		cell := ""
		if p.Row > 0 {
			cell = p.Col + fmt.Sprint(p.Row)
		}
		row := []any{p.Sheet, cell, p.Header, p.ZH, p.EN}
		if err := f.SetSheetRow(ProblemSheet, cellName(0, i+2), &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetColWidth(ProblemSheet, "D", "E", 60)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
