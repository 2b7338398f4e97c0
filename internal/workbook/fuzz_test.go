package workbook_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/workbook"
)

// These fuzz targets call Parse only, so that they hold whatever columns
// the parser learns.

func fuzzCatalogue() workbook.Catalogue {
	unit, dept := uuid.New(), uuid.New()
	return workbook.Catalogue{
		Units:      map[string]uuid.UUID{"紫水街道": unit, "县政府办": dept},
		Categories: map[string]uuid.UUID{"城建": uuid.New(), "工业": uuid.New()},
		People: map[string][]workbook.Person{
			"刘志强": {{ID: uuid.New(), Rank: "county_leader", UnitID: &dept}},
			"唐明":  {{ID: uuid.New(), Rank: "section_level", UnitID: &unit}},
		},
		ProcedureTypes: map[string]uuid.UUID{"环境影响评价": uuid.New()},
	}
}

// listHeader is a county office's header row; fuzzRow fills one data row.
var listHeader = []any{"序号", "项目编码", "项目名称", "项目类别", "建设性质", "总投资（万元）", "年度计划投资（万元）", "责任单位",
	"分包县领导", "帮办人员", "计划开工", "计划竣工", "经度", "纬度", "标签"}

func sheetBytes(t testing.TB, rows [][]any, ledger [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", workbook.ListSheet); err != nil {
		t.Fatal(err)
	}
	_ = f.SetCellValue(workbook.ListSheet, "A1", "光山县2026年重点项目")
	for i, r := range append([][]any{listHeader}, rows...) {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(workbook.ListSheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if ledger != nil {
		if _, err := f.NewSheet(workbook.LedgerSheet); err != nil {
			t.Fatal(err)
		}
		for i, r := range ledger {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(workbook.LedgerSheet, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkParse: Parse answers every input without panicking, with a kinded
// error for a file it cannot read, and otherwise with rows whose amounts
// lie within the bounds and problems that name their place.
func checkParse(t *testing.T, data []byte) (workbook.Result, []workbook.Problem, error) {
	t.Helper()
	res, problems, err := workbook.Parse(bytes.NewReader(data), 2026, fuzzCatalogue())
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			t.Fatalf("unkinded error: %v", err)
		}
		return res, problems, err
	}
	for _, p := range problems {
		if p.Sheet == "" || p.Row < 0 || (p.Row > 0 && p.Col == "") || p.ZH == "" || p.EN == "" {
			t.Fatalf("problem without its place or message: %+v", p)
		}
	}
	for _, r := range res.Rows {
		if r.PlannedYuan < 0 || r.PlannedYuan > project.MaxYuan || r.Project.TotalInvestmentYuan < 0 || r.Project.TotalInvestmentYuan > project.MaxYuan {
			t.Fatalf("row %d: amounts out of bounds: total %d, planned %d", r.Line, r.Project.TotalInvestmentYuan, r.PlannedYuan)
		}
	}
	return res, problems, nil
}

// FuzzParse feeds Parse arbitrary bytes, starting from real workbooks.
func FuzzParse(f *testing.F) {
	f.Add(sheetBytes(f, [][]any{
		{1, "GS-001", "紫水街道老旧小区改造", "城建", "新开工", "12345.67", "3000", "紫水街道", "刘志强", "唐明", "2026年3月", "2027-06", "114.9", "32.1", "百城提质"},
		{"一、工业项目"},
		{2, "", "纺织产业园", "工业", "续建", "8,000", "1500.5", "县政府办", "", "", "2025.10", "2026年12月", "", "", ""},
	}, [][]any{{"项目编码", "手续名称", "服务单位", "计划办结", "实际办结", "状态"}, {"GS-001", "环境影响评价", "县政府办", "2026-04-01", "", "办理中"}}))
	f.Add(sheetBytes(f, nil, nil))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("not a workbook"))
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, data) })
}

// FuzzParseCells writes fuzzed text into the cells of one project row of a
// well-formed workbook: the file always opens, and every row comes back as
// a project or as problems.
func FuzzParseCells(f *testing.F) {
	f.Add("紫水街道老旧小区改造", "新开工", "12345.67", "3000", "紫水街道", "2026年3月", "2027-06", "114.9", "32.1", "百城提质")
	f.Add("", "", "", "", "", "", "", "", "", "")
	f.Add("x", "续建", "-1", "1e9", "无此单位", "2026年13月", "0000-00", "181", "-91", "a,b,,c")
	f.Add("合计", "竣工", "99999999.99999", "１２", "县政府办", "45292", "2026/02/30", "NaN", "Inf", "标签")
	f.Fuzz(func(t *testing.T, name, typ, total, plan, unit, start, end, lng, lat, tags string) {
		data := sheetBytes(t, [][]any{{1, "", name, "城建", typ, total, plan, unit, "刘志强", "唐明", start, end, lng, lat, tags}}, nil)
		res, problems, err := checkParse(t, data)
		if errors.Is(err, workbook.ErrEmpty) {
			return // its one row was a 合计 (total) row: the sheet has no projects, and says so
		}
		if err != nil {
			t.Fatalf("a well-formed workbook was refused: %v", err)
		}
		if len(res.Rows) == 0 && len(problems) == 0 && name+typ+total+plan+unit+start+end+lng+lat+tags != "" {
			t.Logf("row neither read nor refused (taken as a section or total row)")
		}
	})
}
