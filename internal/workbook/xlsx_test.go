package workbook

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/errs"
)

// streamRows reads every row of every sheet with the streaming reader,
// dense by row number as excelize's GetRows gives them.
func streamRows(t *testing.T, data []byte, lim Limits) (map[string][][]string, error) {
	t.Helper()
	b, err := openBook(bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		return nil, err
	}
	defer b.close()
	out := map[string][][]string{}
	for _, name := range b.sheetNames() {
		var rows [][]string
		err := b.rows(name, func(r sheetRow) error {
			for len(rows) < r.line-1 {
				rows = append(rows, nil)
			}
			rows = append(rows, slices.Clone(r.cells))
			return nil
		})
		if err != nil {
			return nil, err
		}
		out[name] = rows
	}
	return out, nil
}

func excelizeRows(t *testing.T, data []byte) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			for len(rows[i]) > 0 && rows[i][len(rows[i])-1] == "" { // a formula without a result: nothing to read
				rows[i] = rows[i][:len(rows[i])-1]
			}
			if len(rows[i]) == 0 {
				rows[i] = nil
			}
		}
		out[name] = rows
	}
	return out
}

// TestStreamReadsAsExcelize: the streaming reader gives the rows excelize
// gives (raw values: shared and inline strings, rich text, escapes, numbers,
// dates, booleans, formulas' results, sparse rows and cells) for the
// workbooks tuijin writes and those county offices make.
func TestStreamReadsAsExcelize(t *testing.T) {
	var books [][]byte
	books = append(books, officeSheet(t, [][]any{
		{"一、城建项目（2个）"},
		{1, "紫水街道老旧小区改造项目", "新开工", "改造小区12个", 12600.5, "8,000", "紫水街道", "刘志强", "许晨", "", "唐明", 46082},
		{"", "合计", "", "", 35600.5, 29500.25},
	}))
	var buf bytes.Buffer
	if err := Template(&buf, "光山县重点项目"); err != nil {
		t.Fatal(err)
	}
	books = append(books, bytes.Clone(buf.Bytes()))

	f := excelize.NewFile()
	s := "Sheet1"
	_ = f.SetCellValue(s, "A1", "text")
	_ = f.SetCellValue(s, "C1", 12.5)
	_ = f.SetCellValue(s, "D1", true)
	_ = f.SetCellValue(s, "E1", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	_ = f.SetCellValue(s, "B3", "line\r\nbreak _x and _x0041_ literal")
	_ = f.SetCellFormula(s, "F1", "C1*2")
	_ = f.SetCellStr(s, "AA7", "far right")
	_ = f.SetCellRichText(s, "A9", []excelize.RichTextRun{{Text: "粗体"}, {Text: "普通", Font: &excelize.Font{Bold: true}}})
	_ = f.SetCellInt(s, "B12", -42)
	_, _ = f.NewSheet("第二页")
	_ = f.SetCellValue("第二页", "A2", "second sheet")
	buf.Reset()
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	books = append(books, bytes.Clone(buf.Bytes()))

	// A streamed sheet with inline strings, as large writers make them.
	f = excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 1; i <= 300; i++ {
		cell, _ := excelize.CoordinatesToCellName(1+i%3, i*2)
		_ = sw.SetRow(cell, []any{fmt.Sprintf("行%d", i), r.Float64() * 1e6, i, "", "尾"})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	books = append(books, bytes.Clone(buf.Bytes()))

	for i, data := range books {
		got, err := streamRows(t, data, DefaultLimits)
		if err != nil {
			t.Fatalf("book %d: %v", i, err)
		}
		want := excelizeRows(t, data)
		for name, rows := range want {
			for len(rows) > 0 && rows[len(rows)-1] == nil {
				rows = rows[:len(rows)-1]
			}
			if !reflect.DeepEqual(got[name], rows) {
				t.Errorf("book %d sheet %s:\n got %q\nwant %q", i, name, got[name], rows)
			}
		}
	}
}

// bigSheet is a workbook whose list sheet has rows rows of cols text cells
// (inline strings, so that the sheet itself is large).
func bigSheet(t testing.TB, rows, cols int) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	row := make([]any, cols)
	for i := 1; i <= rows; i++ {
		for j := range row {
			row[j] = fmt.Sprintf("第%d行第%d列的内容", i, j)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStreamLimits: a workbook over a limit is refused as soon as the
// reading reaches it, with a TooLarge error naming the limit; images and
// other parts not read do not count.
func TestStreamLimits(t *testing.T) {
	lim := Limits{MaxRows: 100, MaxColumns: 30, MaxInflated: 1 << 20}
	cases := []struct {
		name string
		data []byte
		lim  Limits
		code string
	}{
		{"101 rows", bigSheet(t, 101, 3), lim, "workbook_too_many_rows"},
		{"31 columns", bigSheet(t, 2, 31), lim, "workbook_too_many_columns"},
		{"a sheet inflating past 100 kB", bigSheet(t, 90, 25), Limits{MaxRows: 100, MaxColumns: 30, MaxInflated: 100 << 10}, "workbook_too_large"},
	}
	for _, c := range cases {
		_, err := streamRows(t, c.data, c.lim)
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != c.code || e.Kind != errs.TooLarge {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := streamRows(t, bigSheet(t, 100, 30), Limits{MaxRows: 100, MaxColumns: 30, MaxInflated: 8 << 20}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	// A 4 MB picture in the workbook is never read.
	withPicture := addPart(t, bigSheet(t, 10, 5), "xl/media/image1.png", bytes.Repeat([]byte{0x89}, 4<<20))
	if _, err := streamRows(t, withPicture, lim); err != nil {
		t.Errorf("a workbook with a large picture: %v", err)
	}
}

// addPart copies a workbook's zip with one more part.
func addPart(t testing.TB, data []byte, name string, content []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestComplaintsSummarizeAlike: whatever the problems, the bounded
// Complaints summarise them as Summarize does over the whole list, and
// count them all.
func TestComplaintsSummarizeAlike(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 50; round++ {
		var all []Problem
		c := NewComplaints(1+r.IntN(20), 10)
		for i := 0; i < r.IntN(400); i++ {
			p := Problem{Sheet: []string{"重点项目", "手续台账"}[r.IntN(2)], Row: r.IntN(30), Col: string(rune('A' + r.IntN(4))),
				Header: "h", ZH: fmt.Sprintf("问题%d", r.IntN(15)), EN: "x"}
			if p.Row == 0 {
				p.Col = ""
			}
			all = append(all, p)
			c.add(p)
		}
		want, wantTotal := Summarize(all, c.limit)
		got, gotTotal := c.Summary()
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) || gotTotal != wantTotal || c.Count() != len(all) || len(c.Kept()) != min(10, len(all)) {
			t.Fatalf("round %d: got %d causes of %d, want %d of %d", round, len(got), gotTotal, len(want), wantTotal)
		}
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{"a_x000D_b": "a\rb", "_x005F_": "_", "no escape": "no escape", "_x00zz_": "_x00zz_"} {
		if got := unescape(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	if !strings.Contains(unescape("_x4E2D_"), "中") {
		t.Error("_x4E2D_")
	}
}
