package workbook

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/project"
)

type fixture struct {
	cat                    Catalogue
	zishui, shili, dept    uuid.UUID
	leader, deputy, helper uuid.UUID
	chengjian, gongye, p1  uuid.UUID
}

func newFixture() fixture {
	f := fixture{zishui: uuid.New(), shili: uuid.New(), dept: uuid.New(), leader: uuid.New(), deputy: uuid.New(), helper: uuid.New(),
		chengjian: uuid.New(), gongye: uuid.New(), p1: uuid.New()}
	zs := f.zishui
	f.cat = Catalogue{
		Units:      map[string]uuid.UUID{"紫水街道": f.zishui, "十里镇": f.shili, "县政府办": f.dept},
		Categories: map[string]uuid.UUID{"城建": f.chengjian, "工业": f.gongye},
		People: map[string][]Person{
			"刘志强": {{ID: f.leader, Rank: "county_leader", UnitID: &f.dept}},
			"许晨":  {{ID: f.deputy, Rank: "section_level", UnitID: &f.dept}},
			"唐明":  {{ID: f.helper, Rank: "section_level", UnitID: &zs}},
		},
		ProcedureTypes: map[string]uuid.UUID{"环境影响评价": f.p1},
	}
	return f
}

// officeSheet is laid out the way county offices make them: a merged title,
// a "1+3专班" group header over four sub-headers, category section rows.
func officeSheet(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	s := "Sheet1"
	_ = f.SetCellValue(s, "A1", "光山县2026年重点项目建设推进表")
	_ = f.MergeCell(s, "A1", "L1")
	top := []any{"序号", "项目名称", "建设性质", "建设内容及规模", "总投资\n（万元）", "2026年计划投资（万元）", "责任单位", "1+3专班", "", "", "", "计划开工时间"}
	sub := []any{"", "", "", "", "", "", "", "分包县领导", "项目长助理", "项目责任人", "帮办人员", ""}
	_ = f.SetSheetRow(s, "A2", &top)
	_ = f.MergeCell(s, "H2", "K2")
	_ = f.SetSheetRow(s, "A3", &sub)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+4)
		_ = f.SetSheetRow(s, cell, &r)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseOfficeLayout(t *testing.T) {
	fx := newFixture()
	data := officeSheet(t, [][]any{
		{"一、城建项目（2个）"},
		{1, "紫水街道老旧小区改造项目", "新开工", "改造小区12个", 12600.5, "8,000", "紫水街道", "刘志强", "许晨", "", "唐明", 46082},
		{2, "十里镇污水管网项目", "续建", "管网15公里", "3000", 1500.25, "十里镇", "刘志强", "", "", "", "2026年4月"},
		{"二、工业项目"},
		{3, "产业集聚区厂房", "年内竣工", "", 20000, 20000, "县政府办", "", "", "", "", ""},
		{"", "合计", "", "", 35600.5, 29500.25},
	})
	res, problems, err := Parse(bytes.NewReader(data), 2026, fx.cat)
	if err != nil || len(problems) > 0 {
		t.Fatalf("err %v, problems %+v", err, problems)
	}
	if len(res.Rows) != 3 {
		t.Fatalf("%d rows", len(res.Rows))
	}
	a, b, c := res.Rows[0], res.Rows[1], res.Rows[2]
	if a.Project.Code != "2026-001" || a.Project.CategoryID != fx.chengjian || a.Project.TotalInvestmentYuan != 126005000 || a.PlannedYuan != 80000000 ||
		a.Project.ConstructionType != "new" || a.Holders[project.RoleChief] != fx.leader || a.Holders[project.RoleHelper] != fx.helper {
		t.Errorf("row 1: %+v", a)
	}
	if a.Project.PlannedStart == nil || a.Project.PlannedStart.Format("2006-01-02") != "2026-03-01" {
		t.Errorf("date serial: %v", a.Project.PlannedStart)
	}
	if b.PlannedYuan != 15002500 || b.Project.PlannedStart.Format("2006-01-02") != "2026-04-01" || b.Project.ConstructionType != "continuing" {
		t.Errorf("row 2: %+v", b)
	}
	if c.Project.CategoryID != fx.gongye || c.Project.ConstructionType != "completing" || c.Project.Level != "county" {
		t.Errorf("row 3: %+v", c)
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	fx := newFixture()
	data := officeSheet(t, [][]any{
		{"一、城建项目"},
		{1, "甲项目", "新开工", "", "约3亿", 100, "紫水街道", "许晨", "", "", "", ""},
		{2, "乙项目", "新开工", "", 100, 100, "不存在的单位", "", "", "", "", ""},
		{1, "丙项目", "扩建", "", 100, 200, "十里镇", "", "", "", "", "2026年13月"},
	})
	_, problems, err := Parse(bytes.NewReader(data), 2026, fx.cat)
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, p := range problems {
		text += p.Cell() + " " + p.ZH + "\n"
	}
	for _, want := range []string{"Sheet1!E5（总投资）", "不是有效金额", "Sheet1!H5（分包县领导）", "县级领导", "Sheet1!G6（责任单位）", "不存在的单位",
		"Sheet1!A7（序号）", "与第5行重复", "Sheet1!C7（建设性质）", "Sheet1!F7（年度计划投资）", "Sheet1!L7（计划开工）", "不是有效日期"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	missing := officeSheet(t, nil)
	f, _ := excelize.OpenReader(bytes.NewReader(missing))
	_ = f.SetCellValue("Sheet1", "E2", "备注") // no 总投资 any more
	var buf bytes.Buffer
	_ = f.Write(&buf)
	_, problems, _ = Parse(&buf, 2026, fx.cat)
	if len(problems) != 1 || !strings.Contains(problems[0].ZH, "总投资") {
		t.Fatalf("missing column: %+v", problems)
	}
	if _, _, err := Parse(strings.NewReader("not a workbook"), 2026, fx.cat); err == nil {
		t.Fatal("text accepted as a workbook")
	}
}

func TestWriteParseRoundTrip(t *testing.T) {
	fx := newFixture()
	lat, lng := 32.0123, 114.9211
	p := project.Project{Code: "GS-1", Name: "官渡河综合治理项目", CategoryID: fx.chengjian, Level: "municipal", ConstructionType: "continuing",
		ResponsibleUnitID: fx.zishui, TownshipUnitID: &fx.zishui, Content: "河道治理8公里", TotalInvestmentYuan: 1500000001,
		Latitude: &lat, Longitude: &lng, Tags: []string{"百城提质"}}
	rows := []ExportRow{{Project: p, CategoryName: "城建", UnitName: "紫水街道", TownshipName: "紫水街道", PlannedYuan: 320000000,
		Holders: map[project.Role]string{project.RoleChief: "刘志强", project.RoleHelper: "唐明"}}}
	ledger := []ExportLedger{{ProjectCode: "GS-1", ProjectName: p.Name, TypeName: "环境影响评价", UnitName: "县政府办", Status: "in_progress", Flags: [5]bool{true, false, true, false, false}}}
	var buf bytes.Buffer
	if err := Write(&buf, "测试", rows, ledger); err != nil {
		t.Fatal(err)
	}
	res, problems, err := Parse(&buf, 2026, fx.cat)
	if err != nil || len(problems) > 0 {
		t.Fatalf("%v %+v", err, problems)
	}
	got := res.Rows[0]
	if got.Project.TotalInvestmentYuan != p.TotalInvestmentYuan || got.PlannedYuan != 320000000 || got.Project.Code != "GS-1" ||
		*got.Project.Latitude != lat || got.Project.Tags[0] != "百城提质" || got.Project.Level != "municipal" || got.Holders[project.RoleHelper] != fx.helper {
		t.Fatalf("round trip: %+v", got)
	}
	if len(res.Ledger) != 1 || !res.Ledger[0].Flags[0] || !res.Ledger[0].Flags[2] || res.Ledger[0].Status != "in_progress" {
		t.Fatalf("ledger: %+v", res.Ledger)
	}
	var tpl bytes.Buffer
	if err := Template(&tpl, "模板"); err != nil {
		t.Fatal(err)
	}
	// The template's headers are right; it has no rows, and says so.
	if _, problems, err := Parse(&tpl, 2026, fx.cat); !errors.Is(err, ErrEmpty) || len(problems) > 0 {
		t.Fatalf("the empty template: %v %+v", err, problems)
	}
}
