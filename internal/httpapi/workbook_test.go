package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
)

const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

var townships = []string{"弦山街道", "紫水街道", "十里镇", "寨河镇", "孙铁铺镇", "马畈镇", "泼陂河镇", "白雀园镇", "砖桥镇", "仙居乡"}
var leaders = []string{"王立新", "刘志强", "陈国庆", "赵文斌"}
var cats = []string{"农林水", "工业", "能源", "城建", "交通", "社会事业"}

// officeWorkbook is a county office's sheet: a merged title, the 1+3 task
// force under a merged group header, amounts in 万元 (numbers and text).
func officeWorkbook(t testing.TB, n int, codePrefix string, mutate func(i int, row []any) []any) []byte {
	t.Helper()
	f := excelize.NewFile()
	s := "Sheet1"
	_ = f.SetCellValue(s, "A1", "光山县2030年度重点项目建设推进表")
	_ = f.MergeCell(s, "A1", "O1")
	top := []any{"序号", "项目编码", "项目名称", "项目类别", "建设性质", "建设内容及规模", "总投资（万元）", "年度计划投资（万元）", "责任单位", "1+3专班", "", "", "", "计划开工", "计划竣工"}
	sub := []any{"", "", "", "", "", "", "", "", "", "分包县领导", "项目长助理", "项目责任人", "帮办人员", "", ""}
	_ = f.SetSheetRow(s, "A2", &top)
	_ = f.MergeCell(s, "J2", "M2")
	_ = f.SetSheetRow(s, "A3", &sub)
	for i := 0; i < n; i++ {
		unit := townships[i%len(townships)]
		resp, helper := "", ""
		if unit == "紫水街道" {
			resp, helper = "罗军", "唐明"
		}
		row := []any{i + 1, fmt.Sprintf("%s-%03d", codePrefix, i+1), fmt.Sprintf("测试重点项目%03d", i+1), cats[i%len(cats)],
			[]string{"新开工", "续建", "年内竣工"}[i%3], "建设内容" + fmt.Sprint(i), fmt.Sprintf("%d.%d", 1000+i*7, i%10), 500 + i,
			unit, leaders[i%len(leaders)], "许晨", resp, helper, "2030年3月", "2031-12-31"}
		if mutate != nil {
			row = mutate(i, row)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+4)
		_ = f.SetSheetRow(s, cell, &row)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func projectCount(t *testing.T) int { return countRows(t, "projects") }

func TestImportRealisticWorkbook(t *testing.T) {
	gs := login(t, "gs.office")
	wb := officeWorkbook(t, 120, "IMP", nil)
	before := projectCount(t)
	r := gs.doWith("POST", "/api/v1/imports/key-list?year=2030&dry_run=true&on=2030-01-02", wb, xlsx)
	var rep postgres.ImportReport
	r.decode(t, &rep)
	if r.Status != 200 || rep.Created != 120 || len(rep.Rows) != 120 {
		t.Fatalf("dry run: %d created=%d %.300s", r.Status, rep.Created, r.Body)
	}
	if projectCount(t) != before {
		t.Fatal("a dry run wrote projects")
	}
	progressID := uuid.NewString()
	r = gs.doWith("POST", "/api/v1/imports/key-list?year=2030&on=2030-01-02&progress="+progressID, wb, xlsx)
	r.decode(t, &rep)
	if r.Status != 200 || rep.Created != 120 || projectCount(t) != before+120 {
		t.Fatalf("import: %d %+v", r.Status, rep)
	}
	var prog httpapi.ImportProgress
	gs.do("GET", "/api/v1/imports/progress/"+progressID, nil).decode(t, &prog)
	if prog.Phase != "done" || prog.Done != 120 || prog.Total != 120 {
		t.Fatalf("progress after the import: %+v", prog)
	}
	if r := login(t, "gs.leader").do("GET", "/api/v1/imports/progress/"+progressID, nil); r.Status != 403 {
		t.Fatalf("another role reads the progress: %d", r.Status)
	}
	var entries []struct {
		ProjectCode           string `json:"project_code"`
		PlannedInvestmentYuan int64  `json:"planned_investment_yuan"`
	}
	gs.do("GET", "/api/v1/key-lists/2030", nil).decode(t, &entries)
	if len(entries) != 120 || entries[0].ProjectCode != "IMP-001" || entries[0].PlannedInvestmentYuan != 5000000 {
		t.Fatalf("list: %d entries, first %+v", len(entries), entries[0])
	}
	// A second import of a changed sheet updates, and says what changed.
	changed := officeWorkbook(t, 120, "IMP", func(i int, row []any) []any {
		if i == 4 {
			row[6] = "9999.5"
			row[9] = "陈国庆" // was 王立新
		}
		return row
	})
	r = gs.doWith("POST", "/api/v1/imports/key-list?year=2030&on=2030-03-02&dry_run=true", changed, xlsx)
	r.decode(t, &rep)
	if rep.Updated != 1 || rep.Unchanged != 119 || rep.Rows[4].Action != "update" || strings.Join(rep.Rows[4].Changes, ",") != "总投资,项目长" {
		t.Fatalf("changed sheet: updated=%d unchanged=%d row5=%+v", rep.Updated, rep.Unchanged, rep.Rows[4])
	}
}

func TestImportBadWorkbookImportsNothing(t *testing.T) {
	gs := login(t, "gs.office")
	bad := officeWorkbook(t, 10, "BAD", func(i int, row []any) []any {
		switch i {
		case 1:
			row[6] = "约3亿元" // text in an amount
		case 3:
			row[8] = "火星乡" // unknown unit
		case 5:
			row[1] = "BAD-001" // duplicate code
		case 7:
			row[9] = "许晨" // chief who is not a county-level leader
		}
		return row
	})
	before := projectCount(t)
	r := gs.doWith("POST", "/api/v1/imports/key-list?year=2030", bad, xlsx)
	if r.Status != 400 || r.code() != "workbook_invalid" {
		t.Fatalf("bad workbook: %d %.300s", r.Status, r.Body)
	}
	body := string(r.Body)
	for _, want := range []string{"Sheet1!G5（总投资）", "约3亿元", "Sheet1!I7（责任单位）", "火星乡", "Sheet1!B9（项目编码）", "重复", "Sheet1!J11（分包县领导）", "县级领导"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if projectCount(t) != before {
		t.Fatal("a bad workbook imported something")
	}
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"序号", "项目名称", "建设性质", "责任单位"})
	var buf bytes.Buffer
	_ = f.Write(&buf)
	r = gs.doWith("POST", "/api/v1/imports/key-list?year=2030", buf.Bytes(), xlsx)
	if r.Status != 400 || !strings.Contains(string(r.Body), "缺少必需的列") {
		t.Fatalf("missing columns: %d %s", r.Status, r.Body)
	}
	if r := gs.doWith("POST", "/api/v1/imports/key-list?year=2030", "序号,项目名称", xlsx); r.Status != 400 || r.code() != "not_a_workbook" {
		t.Fatalf("csv as xlsx: %d %s", r.Status, r.Body)
	}
	if r := gs.doWith("POST", "/api/v1/imports/key-list?year=2030", bad, "text/csv"); r.Status != 400 || r.code() != "unsupported_media_type" {
		t.Fatalf("wrong content type: %d %s", r.Status, r.Body)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	gs := login(t, "gs.office")
	wb := officeWorkbook(t, 30, "RT", nil)
	if r := gs.doWith("POST", "/api/v1/imports/key-list?year=2029&on=2029-01-02", wb, xlsx); r.Status != 200 {
		t.Fatalf("import: %d %.300s", r.Status, r.Body)
	}
	r := gs.do("GET", "/api/v1/exports/key-list?year=2029", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), xlsx) || !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
		t.Fatalf("export: %d %v", r.Status, r.Header)
	}
	back := gs.doWith("POST", "/api/v1/imports/key-list?year=2029&dry_run=true", r.Body, xlsx)
	var rep postgres.ImportReport
	back.decode(t, &rep)
	if back.Status != 200 || rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != 30 || rep.Procedures != 0 {
		t.Fatalf("export → import is not unchanged: %d %+v", back.Status, rep)
	}
	tpl := gs.do("GET", "/api/v1/exports/key-list-template", nil)
	if tpl.Status != 200 {
		t.Fatalf("template: %d", tpl.Status)
	}
	// The empty template is read (its headers are right) and said to be empty.
	if r := gs.doWith("POST", "/api/v1/imports/key-list?year=2029&dry_run=true", tpl.Body, xlsx); r.Status != 400 || r.code() != "workbook_empty" {
		t.Fatalf("the empty template: %d %s", r.Status, r.Body)
	}
	if r := login(t, "gs.unit").do("GET", "/api/v1/exports/key-list?year=2029", nil); r.Status != http.StatusForbidden {
		t.Fatalf("a unit user exported the whole list: %d", r.Status)
	}
}
