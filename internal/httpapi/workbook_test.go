package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/workbook"
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

// libreOffice rewrites a workbook with LibreOffice Calc (as an office saving
// its sheet from LibreOffice would) and returns the file LibreOffice wrote.
func libreOffice(t *testing.T, data []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "ledger.xlsx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+dir+"/lo", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
		"--outdir", dir, filepath.Join(in, "ledger.xlsx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice (libreoffice-calc-nogui): %v %s", err, out)
	}
	out, err := os.ReadFile(filepath.Join(dir, "ledger.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportLibreOfficeWorkbook: a ledger as offices write it — merged title
// and group headers, 建设性质 in their own words (计划竣工, 年内竣工项目), dates
// as month cells and as month texts, the image progress at listing, a 合计
// row — saved by LibreOffice, imports; month cells and month texts mean the
// same day.
func TestImportLibreOfficeWorkbook(t *testing.T) {
	f := excelize.NewFile()
	s := "Sheet1"
	_ = f.SetCellValue(s, "A1", "光山县2036年度重点项目台账")
	_ = f.MergeCell(s, "A1", "O1")
	top := []any{"序号", "项目名称", "项目类别", "建设性质", "总投资（万元）", "2036年计划投资（万元）", "责任单位", "1+3专班", "", "", "", "计划开工时间", "计划竣工时间", "列入时形象进度（%）"}
	sub := []any{"", "", "", "", "", "", "", "分包县领导", "项目长助理", "项目责任人", "帮办人员", "", "", ""}
	_ = f.SetSheetRow(s, "A2", &top)
	_ = f.MergeCell(s, "H2", "K2")
	_ = f.SetSheetRow(s, "A3", &sub)
	rows := [][]any{
		{1, "LO台账项目一", "城建", "计划竣工", 1200, 800, "紫水街道", "刘志强", "许晨", "罗军", "唐明",
			time.Date(2036, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2036, 11, 1, 0, 0, 0, 0, time.UTC), 35},
		{2, "LO台账项目二", "工业", "年内竣工项目", "1,500.5", 900, "十里镇", "陈国庆", "许晨", "", "", "2036年3月", "2036年11月", "40%"},
		{3, "LO台账项目三", "交通", "新开工", 3000, 1000, "十里镇", "赵文斌", "", "", "", time.Date(2036, 4, 15, 0, 0, 0, 0, time.UTC), "", ""},
		{"", "合计", "", "", 5700.5, 2700},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+4)
		_ = f.SetSheetRow(s, cell, &r)
	}
	month, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptrTo(`yyyy"年"m"月"`)})
	date, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptrTo("yyyy-mm-dd")})
	_ = f.SetCellStyle(s, "L4", "M4", month)
	_ = f.SetCellStyle(s, "L6", "L6", date)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	wb := libreOffice(t, buf.Bytes())
	gs := login(t, "gs.office")
	r := gs.doWith("POST", "/api/v1/imports/key-list?year=2036&on=2036-01-02&file_name=台账.xlsx", wb, xlsx)
	var rep postgres.ImportReport
	r.decode(t, &rep)
	if r.Status != 200 || rep.Created != 3 {
		t.Fatalf("LibreOffice workbook: %d %.600s", r.Status, r.Body)
	}
	var list httpapi.List[httpapi.Project]
	gs.do("GET", "/api/v1/projects?q=LO台账&limit=10", nil).decode(t, &list)
	got := map[string]httpapi.Project{}
	for _, p := range list.Items {
		got[p.Name] = p
	}
	one, two, three := got["LO台账项目一"], got["LO台账项目二"], got["LO台账项目三"]
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	if one.ConstructionType != "completing" || two.ConstructionType != "completing" || three.ConstructionType != "new" {
		t.Errorf("types: %s %s %s", one.ConstructionType, two.ConstructionType, three.ConstructionType)
	}
	// A month cell and a month text are the same day: the 1st for a start, the last for a completion.
	if str(one.PlannedStart) != "2036-03-01" || str(one.PlannedCompletion) != "2036-11-30" ||
		str(two.PlannedStart) != str(one.PlannedStart) || str(two.PlannedCompletion) != str(one.PlannedCompletion) || str(three.PlannedStart) != "2036-04-15" {
		t.Errorf("dates: %s–%s, %s–%s, %s", str(one.PlannedStart), str(one.PlannedCompletion), str(two.PlannedStart), str(two.PlannedCompletion), str(three.PlannedStart))
	}
	var entries []httpapi.ListEntry
	gs.do("GET", "/api/v1/key-lists/2036", nil).decode(t, &entries)
	baselines := map[string]string{}
	for _, e := range entries {
		baselines[e.ProjectName] = fmt.Sprint(deref(e.BaselineImagePercent))
	}
	if baselines["LO台账项目一"] != "35" || baselines["LO台账项目二"] != "40" || baselines["LO台账项目三"] != "<nil>" {
		t.Errorf("image progress at listing: %v", baselines)
	}
	var attempts httpapi.List[httpapi.ImportAttempt]
	gs.do("GET", "/api/v1/imports/attempts", nil).decode(t, &attempts)
	if len(attempts.Items) == 0 || attempts.Items[0].Outcome != "imported" || attempts.Items[0].FileName != "台账.xlsx" || attempts.Items[0].RowsRead != 3 {
		t.Errorf("attempts: %+v", attempts.Items)
	}
}

func ptrTo[T any](v T) *T { return &v }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestImportComplaintsCappedAndAnnotated: 300 bad rows give one complaint
// per cause — an unknown unit on 150 rows is one complaint, and its rows'
// correct people none — at most 200 of them with the total, and a copy of
// the workbook with every bad cell highlighted and commented.
func TestImportComplaintsCappedAndAnnotated(t *testing.T) {
	gs := login(t, "gs.office")
	bad := officeWorkbook(t, 300, "CAP", func(i int, row []any) []any {
		if i%2 == 0 {
			row[8] = "火星乡" // unknown unit: one cause over 150 rows (紫水街道 rows keep 罗军 and 唐明)
		}
		row[6] = fmt.Sprintf("约%d万", 100+i) // 300 different bad amounts: 300 causes
		return row
	})
	before := projectCount(t)
	r := gs.doWith("POST", "/api/v1/imports/key-list?year=2037&file_name=bad.xlsx", bad, xlsx)
	var e httpapi.ErrorBody
	r.decode(t, &e)
	if r.Status != 400 || e.Error.Code != "workbook_invalid" || len(e.Error.Fields) != 200 || e.Error.Ref == "" {
		t.Fatalf("complaints: %d %s, %d fields, ref %q", r.Status, e.Error.Code, len(e.Error.Fields), e.Error.Ref)
	}
	if !strings.Contains(e.Error.MessageZH, "有301处问题（450个单元格）") || !strings.Contains(e.Error.MessageZH, "前200处") {
		t.Errorf("message: %s", e.Error.MessageZH)
	}
	units := 0
	for _, f := range e.Error.Fields {
		if strings.Contains(f.ZH, "火星乡") {
			units++
			if !strings.Contains(f.Field, "等共150行") {
				t.Errorf("the unit's complaint does not say its rows: %s", f.Field)
			}
		}
		if strings.Contains(f.ZH, "罗军") || strings.Contains(f.ZH, "唐明") || strings.Contains(f.Field, "项目责任人") || strings.Contains(f.Field, "帮办人员") {
			t.Errorf("a complaint about a correct person: %+v", f)
		}
	}
	if units != 1 {
		t.Errorf("the unknown unit gave %d complaints", units)
	}
	if projectCount(t) != before {
		t.Fatal("a refused workbook imported something")
	}
	// The annotated copy is the worker's.
	if a := gs.do("GET", "/api/v1/imports/attempts/"+e.Error.Ref+"/annotated", nil); a.Status != 404 || a.code() != "annotation_pending" {
		t.Fatalf("the annotated workbook before the worker made it: %d %.200s", a.Status, a.Body)
	}
	runUploadJobs(t)
	a := gs.do("GET", "/api/v1/imports/attempts/"+e.Error.Ref+"/annotated", nil)
	if a.Status != 200 || !strings.HasPrefix(a.Header.Get("Content-Type"), xlsx) {
		t.Fatalf("annotated workbook: %d %.200s", a.Status, a.Body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(a.Body))
	if err != nil {
		t.Fatal(err)
	}
	comments, _ := f.GetComments("Sheet1")
	marked := map[string]string{}
	for _, c := range comments {
		marked[c.Cell] = c.Text
		for _, p := range c.Paragraph {
			marked[c.Cell] += p.Text
		}
	}
	// Row 4 is the first project: its unit and its amount are marked.
	if !strings.Contains(marked["I4"], "火星乡") || !strings.Contains(marked["G4"], "约100万") || len(comments) != 450 {
		t.Errorf("comments: %d, I4 %q, G4 %q", len(comments), marked["I4"], marked["G4"])
	}
	style, _ := f.GetCellStyle("Sheet1", "I4")
	if st, _ := f.GetStyle(style); st == nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FFC7CE" {
		t.Errorf("I4 not highlighted: %+v", st)
	}
	rows, _ := f.GetRows(workbook.ProblemSheet)
	if len(rows) != 451 || !strings.Contains(strings.Join(rows[0], " "), "共450处问题") {
		t.Errorf("problem sheet: %d rows, %v", len(rows), rows[0])
	}
	var attempts httpapi.List[httpapi.ImportAttempt]
	gs.do("GET", "/api/v1/imports/attempts", nil).decode(t, &attempts)
	if x := attempts.Items[0]; x.Outcome != "refused" || x.ProblemsTotal != 301 || len(x.Problems) != 200 || !x.Annotated {
		t.Errorf("attempt: %+v", x)
	}
	if r := login(t, "ls.office").do("GET", "/api/v1/imports/attempts/"+e.Error.Ref+"/annotated", nil); r.Status != 404 {
		t.Errorf("another county's office reads the workbook: %d", r.Status)
	}
}

// TestImportKeepsTheCellsAsWritten: what the import writes is what the
// cells say, characters the bulk write must escape (tabs, line ends,
// backslashes, quotes, braces, \N) and every optional column included;
// importing the same workbook again changes nothing.
func TestImportKeepsTheCellsAsWritten(t *testing.T) {
	gs := login(t, "gs.office")
	f := excelize.NewFile()
	s := "Sheet1"
	head := []any{"序号", "项目编码", "项目名称", "项目类别", "项目级别", "建设性质", "建设内容及规模", "总投资（万元）", "年度计划投资（万元）",
		"责任单位", "所在乡镇", "分包县领导", "项目长助理", "计划开工", "计划竣工", "经度", "纬度", "标签", "列入时形象进度（%）"}
	_ = f.SetSheetRow(s, "A1", &head)
	type want struct {
		name, content string
		tags          []string
	}
	wants := []want{
		{"制表符\t之后", "第一行\n第二行\n\\N 与 \\. 与 C:\\dir\\", []string{`引"号`, `反\斜`, `{括}`, "NULL", "a b"}},
		{`引号"与'撇号`, "\\", nil},
		{"普通项目", "", []string{"百城提质"}},
	}
	for i, w := range wants {
		row := []any{i + 1, fmt.Sprintf("ESC-%03d", i+1), w.name, cats[i%len(cats)], "省重点", "新开工", w.content, "1234.5678", 100,
			"紫水街道", "十里镇", leaders[i%len(leaders)], "许晨", "2031年3月", "2032-06-30", "114.123456", "32.1", strings.Join(w.tags, "，"), 35}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		_ = f.SetSheetRow(s, cell, &row)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r := gs.doWith("POST", "/api/v1/imports/key-list?year=2031&on=2031-01-05", buf.Bytes(), xlsx)
	var rep postgres.ImportReport
	r.decode(t, &rep)
	if r.Status != 200 || rep.Created != len(wants) {
		t.Fatalf("import: %d %.500s", r.Status, r.Body)
	}
	for i, w := range wants {
		p := projectByCode(t, gs, fmt.Sprintf("ESC-%03d", i+1))
		tags := w.tags
		if tags == nil {
			tags = []string{}
		}
		if p.Name != w.name || p.Content != w.content || strings.Join(p.Tags, "|") != strings.Join(tags, "|") || len(p.Tags) != len(tags) ||
			p.Level != "provincial" || p.TotalInvestmentYuan != 12345678 || p.TownshipUnitID == nil || p.Latitude == nil || *p.Latitude != 32.1 ||
			*p.Longitude != 114.123456 || p.PlannedStart == nil || *p.PlannedStart != "2031-03-01" || *p.PlannedCompletion != "2032-06-30" || p.Version != 1 {
			t.Errorf("row %d: %+v", i+1, p)
		}
	}
	r = gs.doWith("POST", "/api/v1/imports/key-list?year=2031&on=2031-01-05&dry_run=true", buf.Bytes(), xlsx)
	r.decode(t, &rep)
	if r.Status != 200 || rep.Unchanged != len(wants) {
		t.Fatalf("the same workbook again: %d %.500s", r.Status, r.Body)
	}
}
