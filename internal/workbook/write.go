package workbook

import (
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/project"
)

// ExportRow is one project of the list sheet, with names resolved.
type ExportRow struct {
	Project      project.Project
	CategoryName string
	UnitName     string
	TownshipName string
	PlannedYuan  int64
	Holders      map[project.Role]string
}

// ExportLedger is one ledger item with names resolved.
type ExportLedger struct {
	ProjectCode, ProjectName, TypeName, UnitName, Roadmap string
	Planned, Actual                                       *time.Time
	Status                                                string
	Flags                                                 [5]bool
}

func wan(yuan int64) float64 {
	f, _ := strconvParseFloat(project.FormatWan(yuan))
	return f
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Write writes the list and ledger sheets in the layout Parse reads back.
func Write(w io.Writer, title string, rows []ExportRow, ledger []ExportLedger) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", ListSheet); err != nil {
		return err
	}
	if err := header(f, ListSheet, title, headers[:]); err != nil {
		return err
	}
	for i, r := range rows {
		p := r.Project
		vals := []any{i + 1, p.Code, p.Name, r.CategoryName, LevelWord[p.Level], TypeWord[p.ConstructionType], p.Content,
			wan(p.TotalInvestmentYuan), wan(r.PlannedYuan), r.UnitName, r.TownshipName,
			r.Holders[project.RoleChief], r.Holders[project.RoleAssistant], r.Holders[project.RoleResponsible], r.Holders[project.RoleHelper],
			dateText(p.PlannedStart), dateText(p.PlannedCompletion), floatOrEmpty(p.Longitude), floatOrEmpty(p.Latitude), strings.Join(p.Tags, "、")}
		if err := f.SetSheetRow(ListSheet, cellName(0, i+3), &vals); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(LedgerSheet); err != nil {
		return err
	}
	if err := header(f, LedgerSheet, title+" · 手续台账", ledgerHeaders[:]); err != nil {
		return err
	}
	mark := func(b bool) string {
		if b {
			return "是"
		}
		return ""
	}
	for i, l := range ledger {
		vals := []any{l.ProjectCode, l.ProjectName, l.TypeName, l.UnitName, l.Roadmap, dateText(l.Planned), dateText(l.Actual),
			StatusWord[l.Status], mark(l.Flags[0]), mark(l.Flags[1]), mark(l.Flags[2]), mark(l.Flags[3]), mark(l.Flags[4])}
		if err := f.SetSheetRow(LedgerSheet, cellName(0, i+3), &vals); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// Template writes an empty workbook with the headers and a guide sheet.
func Template(w io.Writer, title string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", ListSheet); err != nil {
		return err
	}
	if err := header(f, ListSheet, title, headers[:]); err != nil {
		return err
	}
	if _, err := f.NewSheet(LedgerSheet); err != nil {
		return err
	}
	if err := header(f, LedgerSheet, title+" · 手续台账", ledgerHeaders[:]); err != nil {
		return err
	}
	if _, err := f.NewSheet(GuideSheet); err != nil {
		return err
	}
	guide := [][]any{
		{"填写说明"},
		{"1. 每行一个项目；第1行为标题，第2行为表头，请勿改动表头文字。也可按“一、工业项目”这样的分类行分组，此时可不填“项目类别”列。"},
		{"2. 金额单位为万元，最多4位小数，不要填“约”“亿元”等文字。"},
		{"3. 建设性质填：新开工、续建、年内竣工；项目级别填：省重点、市重点、县重点（空白视为县重点）。"},
		{"4. 责任单位、所在乡镇须与系统中单位名称一致；分包县领导须为县级领导，项目长助理须为科级干部，项目责任人、帮办人员须为责任单位人员。"},
		{"5. 日期填 2026-03-01，或只填年月（2026年3月）。"},
		{"6. 项目编码用于更新已有项目：同一编码再次导入会更新该项目；不填编码时按“年度-序号”生成。"},
		{"7. “手续台账”表的项目编码须出现在“重点项目”表中；状态填：待办、办理中、已办结、不需办理；办理方式列填“是”或留空。"},
		{"8. 导入前可先“预检”：系统列出每个有问题的单元格，有任一问题时不会导入任何数据。"},
	}
	for i, row := range guide {
		if err := f.SetSheetRow(GuideSheet, cellName(0, i+1), &row); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(GuideSheet, "A", "A", 120)
	return f.Write(w)
}

func header(f *excelize.File, sheet, title string, hs []string) error {
	last := cellName(len(hs)-1, 1)
	if err := f.SetCellValue(sheet, "A1", title); err != nil {
		return err
	}
	if err := f.MergeCell(sheet, "A1", last); err != nil {
		return err
	}
	titleStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	_ = f.SetCellStyle(sheet, "A1", last, titleStyle)
	row := make([]any, len(hs))
	for i, h := range hs {
		row[i] = h
	}
	if err := f.SetSheetRow(sheet, "A2", &row); err != nil {
		return err
	}
	headStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"F2F2F2"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	_ = f.SetCellStyle(sheet, "A2", cellName(len(hs)-1, 2), headStyle)
	_ = f.SetColWidth(sheet, "A", columnLetter(len(hs)-1), 14)
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"})
	return nil
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col+1, row)
	return n
}

func floatOrEmpty(f *float64) any {
	if f == nil {
		return ""
	}
	return *f
}
