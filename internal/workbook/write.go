package workbook

import (
	"fmt"
	"io"
	"sort"
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
	Baseline     *int // image progress (percent) at listing
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

// dateCell is a date as a real date cell ("" when absent).
func dateCell(t *time.Time) any {
	if t == nil {
		return ""
	}
	return *t
}

func intOrEmpty(n *int) any {
	if n == nil {
		return ""
	}
	return *n
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
	dates, err := f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	var total, plan int64
	for i, r := range rows {
		p := r.Project
		vals := []any{i + 1, p.Code, p.Name, r.CategoryName, LevelWord[p.Level], TypeWord[p.ConstructionType], p.Content,
			wan(p.TotalInvestmentYuan), wan(r.PlannedYuan), r.UnitName, r.TownshipName,
			r.Holders[project.RoleChief], r.Holders[project.RoleAssistant], r.Holders[project.RoleResponsible], r.Holders[project.RoleHelper],
			dateCell(p.PlannedStart), dateCell(p.PlannedCompletion), floatOrEmpty(p.Longitude), floatOrEmpty(p.Latitude), strings.Join(p.Tags, "、"),
			intOrEmpty(r.Baseline)}
		if err := f.SetSheetRow(ListSheet, cellName(0, i+3), &vals); err != nil {
			return err
		}
		total, plan = total+p.TotalInvestmentYuan, plan+r.PlannedYuan
	}
	if len(rows) > 0 {
		if err := f.SetCellStyle(ListSheet, cellName(colStart, 3), cellName(colCompletion, len(rows)+2), dates); err != nil {
			return err
		}
		// The 合计 row offices put under the list (the import skips it).
		sum := []any{"合计", "", fmt.Sprintf("共%d个项目", len(rows)), "", "", "", "", wan(total), wan(plan)}
		if err := f.SetSheetRow(ListSheet, cellName(0, len(rows)+3), &sum); err != nil {
			return err
		}
		bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		_ = f.SetCellStyle(ListSheet, cellName(0, len(rows)+3), cellName(numCols-1, len(rows)+3), bold)
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
	if len(ledger) > 0 {
		if err := f.SetCellStyle(LedgerSheet, cellName(lPlanned, 3), cellName(lActual, len(ledger)+2), dates); err != nil {
			return err
		}
	}
	for i, l := range ledger {
		vals := []any{l.ProjectCode, l.ProjectName, l.TypeName, l.UnitName, l.Roadmap, dateCell(l.Planned), dateCell(l.Actual),
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
		{"3. 建设性质可填：" + typeGuide() + "（末尾带“项目”二字也可）；项目级别填：省重点、市重点、县重点（空白视为县重点）。"},
		{"4. 责任单位、所在乡镇须与系统中单位名称一致；分包县领导须为县级领导，项目长助理须为科级干部，项目责任人、帮办人员须为责任单位人员。"},
		{"5. 日期填 2026-03-01，或只填年月（2026年3月，或设置为“年-月”格式的日期单元格）：开工按当月1日、竣工按当月最后一天计。"},
		{"6. 项目编码用于更新已有项目：同一编码再次导入会更新该项目；不填编码时按“年度-序号”生成。"},
		{"7. “手续台账”表的项目编码须出现在“重点项目”表中；状态填：待办、办理中、已办结、不需办理；办理方式列填“是”或留空。"},
		{"8. 导入前可先“预检”：系统列出每个有问题的单元格，有任一问题时不会导入任何数据；可下载标出问题单元格（红底并附批注）的工作簿副本，改正后重新上传。"},
		{"9. “列入时形象进度（%）”填项目列入清单时的形象进度（0-100的整数）；首次周报的形象进度按它计算增幅。可不填。"},
		{"10. 末尾的“合计”行不导入，可保留。"},
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

func ptr[T any](v T) *T { return &v }

// typeGuide lists the accepted construction-type words by type.
func typeGuide() string {
	by := map[project.ConstructionType][]string{}
	for w, t := range TypeWords {
		by[t] = append(by[t], w)
	}
	var parts []string
	for _, t := range []project.ConstructionType{"new", "continuing", "completing"} {
		ws := by[t]
		sort.Strings(ws)
		parts = append(parts, strings.Join(ws, "、"))
	}
	return strings.Join(parts, "；")
}
