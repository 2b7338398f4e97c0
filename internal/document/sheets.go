package document

import (
	"bytes"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Sheet is a table written as a worksheet: its title in A1, the header in
// row 2, then the rows. A cell that reads as a number is written as one
// (so that totals can be checked in any spreadsheet), except in the Text
// columns.
type Sheet struct {
	Name   string
	Title  string
	Table  Table
	Text   map[int]bool       // columns kept as text
	Widths map[string]float64 // column letter → width
}

// Workbook writes the sheets in order.
func Workbook(sheets []Sheet) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", s.Name); err != nil {
				return nil, err
			}
		} else if _, err := x.NewSheet(s.Name); err != nil {
			return nil, err
		}
		head := []any{s.Title}
		_ = x.SetSheetRow(s.Name, "A1", &head)
		cols := make([]any, len(s.Table.Header))
		for j, h := range s.Table.Header {
			cols[j] = h
		}
		_ = x.SetSheetRow(s.Name, "A2", &cols)
		for k, row := range s.Table.Rows {
			vals := make([]any, len(row))
			for j, c := range row {
				if f, err := strconv.ParseFloat(c, 64); err == nil && !s.Text[j] {
					vals[j] = f
				} else {
					vals[j] = c
				}
			}
			if err := x.SetSheetRow(s.Name, "A"+strconv.Itoa(k+3), &vals); err != nil {
				return nil, err
			}
		}
		for col, w := range s.Widths {
			_ = x.SetColWidth(s.Name, col, col, w)
		}
	}
	var b bytes.Buffer
	err := x.Write(&b)
	return b.Bytes(), err
}

// Masthead draws an issued document's head: the red heading (wrapped,
// centred, at size pt with lines of h millimetres), the issue line, the
// issuer on the left and the date on the right over a red rule.
func (w *PDF) Masthead(heading string, pt, h float64, issue, issuer, date string) {
	w.P.SetTextColor(176, 0, 0)
	w.Size(pt)
	for _, l := range w.Wrap(heading, Width, false) {
		w.Line(Left, w.Y(), Width, l, "C", h)
	}
	w.P.SetTextColor(0, 0, 0)
	w.Size(11)
	w.Line(Left, w.Y(), Width, issue, "C", 7)
	y := w.Y()
	w.Size(10.5)
	w.Line(Left, y, 120, issuer, "L", 6)
	w.Line(135, y, 60, date, "R", 6)
	w.Rule(176, 0, 0, 0.6)
	w.Skip(3)
}
