package workbook

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/project"
)

// ErrNotWorkbook is a file that is not an .xlsx workbook.
var ErrNotWorkbook = errs.E(errs.Invalid, "not_a_workbook", "文件不是有效的 Excel（.xlsx）工作簿", "the file is not an Excel (.xlsx) workbook")

var typeWords = map[string]project.ConstructionType{"新开工": "new", "新建": "new", "新开": "new", "续建": "continuing",
	"年内竣工": "completing", "竣工": "completing", "完工": "completing", "续建竣工": "completing"}
var levelWords = map[string]project.Level{"": "county", "县重点": "county", "县级": "county", "县": "county",
	"市重点": "municipal", "市级": "municipal", "市": "municipal", "省重点": "provincial", "省级": "provincial", "省": "provincial"}

// TypeWord and LevelWord are the words the export writes.
var TypeWord = map[project.ConstructionType]string{"new": "新开工", "continuing": "续建", "completing": "年内竣工"}
var LevelWord = map[project.Level]string{"county": "县重点", "municipal": "市重点", "provincial": "省重点"}

type parser struct {
	cat      Catalogue
	year     int
	problems []Problem
	sheet    string
}

func (p *parser) bad(row, col int, header, zh, en string) {
	p.problems = append(p.problems, Problem{Sheet: p.sheet, Row: row, Col: columnLetter(col), Header: header, ZH: zh, EN: en})
}

// Parse reads a key list workbook for a year. Problems are every bad cell
// found; the caller imports nothing when there is one. The error is for a
// file that cannot be read at all.
func Parse(r io.Reader, year int, cat Catalogue) (Result, []Problem, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return Result{}, nil, ErrNotWorkbook.Wrap(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Result{}, nil, ErrNotWorkbook
	}
	p := &parser{cat: cat, year: year, sheet: sheets[0]}
	if slicesContains(sheets, ListSheet) {
		p.sheet = ListSheet
	}
	rows, err := f.GetRows(p.sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return Result{}, nil, ErrNotWorkbook.Wrap(err)
	}
	var res Result
	res.Rows = p.listRows(rows)
	if slicesContains(sheets, LedgerSheet) {
		lrows, err := f.GetRows(LedgerSheet, excelize.Options{RawCellValue: true})
		if err != nil {
			return Result{}, nil, ErrNotWorkbook.Wrap(err)
		}
		codes := map[string]bool{}
		for _, r := range res.Rows {
			codes[r.Project.Code] = true
		}
		p.sheet = LedgerSheet
		res.Ledger = p.ledgerRows(lrows, codes)
	}
	return res, p.problems, nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// findHeader locates the header row (and a second header row under merged
// group headers) and maps column keys to indexes.
func findHeader(rows [][]string, syn map[string]int) (cols map[int]int, dataStart int) {
	best, bestRow := 0, -1
	for i := 0; i < len(rows) && i < 15; i++ {
		n := 0
		for _, h := range rows[i] {
			if _, ok := syn[normalize(h)]; ok {
				n++
			}
		}
		if n > best {
			best, bestRow = n, i
		}
	}
	if bestRow < 0 || best < 3 {
		return nil, 0
	}
	cols = map[int]int{}
	for i, h := range rows[bestRow] {
		if k, ok := syn[normalize(h)]; ok {
			if _, dup := cols[k]; !dup {
				cols[k] = i
			}
		}
	}
	dataStart = bestRow + 1
	if bestRow+1 < len(rows) { // a second header row under merged group cells
		sub := 0
		for i, h := range rows[bestRow+1] {
			if k, ok := syn[normalize(h)]; ok {
				if _, have := cols[k]; !have {
					cols[k] = i
					sub++
				}
			}
		}
		if sub > 0 {
			dataStart = bestRow + 2
		}
	}
	return cols, dataStart
}

func (p *parser) listRows(rows [][]string) []Row {
	cols, start := findHeader(rows, synonyms)
	if cols == nil {
		p.problems = append(p.problems, Problem{Sheet: p.sheet, Header: "表头", ZH: "找不到表头行（应含“项目名称”“建设性质”“总投资”等列）",
			EN: "no header row found (it should have 项目名称, 建设性质, 总投资 …)"})
		return nil
	}
	missing := false
	for _, k := range required {
		if _, ok := cols[k]; !ok {
			missing = true
			p.problems = append(p.problems, Problem{Sheet: p.sheet, Header: headers[k], ZH: "缺少必需的列“" + headers[k] + "”",
				EN: "required column missing: " + headers[k]})
		}
	}
	if missing {
		return nil
	}
	get := func(row []string, k int) string {
		if i, ok := cols[k]; ok {
			return cell(row, i)
		}
		return ""
	}
	at := func(k int) int { return cols[k] }
	var out []Row
	seenCode := map[string]int{}
	category := ""
	for i := start; i < len(rows); i++ {
		row, line := rows[i], i+1
		nonEmpty := 0
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				nonEmpty++
			}
		}
		if nonEmpty == 0 {
			continue
		}
		name := get(row, colName)
		if s := normalize(get(row, colSeq) + name); strings.Contains(s, "合计") || strings.Contains(s, "总计") {
			continue
		}
		if nonEmpty <= 2 && get(row, colTotal) == "" { // a section row: "一、工业项目（15个）"
			if c := p.sectionCategory(row); c != "" {
				category = c
				continue
			}
		}
		var pr project.Project
		pr.Name = name
		pr.Code = get(row, colCode)
		if pr.Code == "" {
			seq := get(row, colSeq)
			if n, err := strconv.Atoi(seq); err == nil {
				pr.Code = fmt.Sprintf("%d-%03d", p.year, n)
			} else {
				pr.Code = fmt.Sprintf("%d-R%04d", p.year, line)
			}
		}
		if prev, dup := seenCode[pr.Code]; dup {
			codeCol, codeHeader := at(colSeq), "序号"
			if i, ok := cols[colCode]; ok {
				codeCol, codeHeader = i, "项目编码"
			}
			p.bad(line, codeCol, codeHeader, fmt.Sprintf("项目编码“%s”与第%d行重复", pr.Code, prev), fmt.Sprintf("code %q repeats row %d", pr.Code, prev))
		}
		seenCode[pr.Code] = line
		if name == "" {
			p.bad(line, at(colName), "项目名称", "项目名称为空", "project name is empty")
		}
		cname := get(row, colCategory)
		if cname == "" {
			cname = category
		}
		if id, ok := p.cat.Categories[cname]; ok {
			pr.CategoryID = id
		} else if cname == "" {
			p.bad(line, at(colCategory), "项目类别", "未填写项目类别（或所在分类行）", "no category (column or section row)")
		} else {
			p.bad(line, at(colCategory), "项目类别", "项目类别“"+cname+"”不在本县类别目录中", "category not in the county's catalogue: "+cname)
		}
		if lv, ok := levelWords[get(row, colLevel)]; ok {
			pr.Level = lv
		} else {
			p.bad(line, at(colLevel), "项目级别", "项目级别“"+get(row, colLevel)+"”无效（省重点、市重点、县重点）", "level must be 省重点, 市重点 or 县重点")
		}
		if t, ok := typeWords[get(row, colType)]; ok {
			pr.ConstructionType = t
		} else {
			p.bad(line, at(colType), "建设性质", "建设性质“"+get(row, colType)+"”无效（新开工、续建、年内竣工）", "construction type must be 新开工, 续建 or 年内竣工")
		}
		pr.Content = get(row, colContent)
		pr.TotalInvestmentYuan = p.amount(line, at(colTotal), "总投资", get(row, colTotal))
		planned := p.amount(line, at(colYearPlan), "年度计划投资", get(row, colYearPlan))
		if planned > pr.TotalInvestmentYuan && pr.TotalInvestmentYuan > 0 {
			p.bad(line, at(colYearPlan), "年度计划投资", "年度计划投资大于总投资", "the year's plan exceeds the total investment")
		}
		uname := get(row, colUnit)
		if id, ok := p.cat.Units[uname]; ok {
			pr.ResponsibleUnitID = id
		} else {
			p.bad(line, at(colUnit), "责任单位", "责任单位“"+uname+"”不存在", "no such responsible unit: "+uname)
		}
		if t := get(row, colTownship); t != "" {
			if id, ok := p.cat.Units[t]; ok {
				pr.TownshipUnitID = &id
			} else {
				p.bad(line, at(colTownship), "所在乡镇", "乡镇（街区）“"+t+"”不存在", "no such township: "+t)
			}
		}
		pr.PlannedStart = p.date(line, at(colStart), "计划开工", get(row, colStart), false)
		pr.PlannedCompletion = p.date(line, at(colCompletion), "计划竣工", get(row, colCompletion), true)
		lng, lat := get(row, colLongitude), get(row, colLatitude)
		if lng != "" || lat != "" {
			x, err1 := strconv.ParseFloat(lng, 64)
			y, err2 := strconv.ParseFloat(lat, 64)
			if err1 != nil || err2 != nil {
				p.bad(line, at(colLongitude), "经度", "经纬度须为数字（度）", "longitude and latitude must be numbers (degrees)")
			} else {
				pr.Longitude, pr.Latitude = &x, &y
			}
		}
		if tags := get(row, colTags); tags != "" {
			pr.Tags = strings.FieldsFunc(tags, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' })
		}
		if err := pr.Validate(); err != nil {
			p.fromValidation(line, err, cols)
		}
		holders := map[project.Role]uuid.UUID{}
		for role, k := range map[project.Role]int{project.RoleChief: colChief, project.RoleAssistant: colAssistant,
			project.RoleResponsible: colResponsible, project.RoleHelper: colHelper} {
			if who := get(row, k); who != "" {
				if id, ok := p.holder(line, at(k), headers[k], who, role, pr.ResponsibleUnitID); ok {
					holders[role] = id
				}
			}
		}
		out = append(out, Row{Line: line, Project: pr, PlannedYuan: planned, Holders: holders})
	}
	return out
}

func (p *parser) sectionCategory(row []string) string {
	for _, c := range row {
		c = strings.TrimSpace(c)
		for name := range p.cat.Categories {
			if c != "" && strings.Contains(c, name) {
				return name
			}
		}
	}
	return ""
}

func (p *parser) fromValidation(line int, err error, cols map[int]int) {
	var e *errs.Error
	if !errors.As(err, &e) {
		return
	}
	fieldCol := map[string]int{"code": colCode, "name": colName, "content": colContent, "total_investment_yuan": colTotal,
		"latitude": colLatitude, "planned_completion": colCompletion, "tags": colTags, "level": colLevel, "construction_type": colType}
	for _, f := range e.Fields {
		k, ok := fieldCol[f.Field]
		if !ok || (k == colLevel || k == colType || k == colName) { // already reported with the cell's text
			continue
		}
		p.bad(line, cols[k], headers[k], f.ZH, f.EN)
	}
}

func (p *parser) amount(line, col int, header, s string) int64 {
	if s == "" {
		p.bad(line, col, header, header+"为空", header+" is empty")
		return 0
	}
	y, err := project.ParseWan(s)
	if err != nil {
		p.bad(line, col, header, header+"“"+s+"”不是有效金额（万元，最多4位小数）", header+" is not an amount in 10k yuan: "+s)
	}
	return y
}

// date reads Excel date serials and the ways offices write dates: 2026-03-01,
// 2026/3/1, 2026.3.1, 2026年3月1日, and month precision (2026年3月, 2026.3),
// which means the first day of the month for a start and the last for an end.
func (p *parser) date(line, col int, header, s string, end bool) *time.Time {
	if s == "" {
		return nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 20000 && n < 80000 {
		t, err := excelize.ExcelDateToTime(n, false)
		if err == nil {
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			return &d
		}
	}
	norm := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-").Replace(s)
	norm = strings.TrimSuffix(norm, "-")
	parts := strings.Split(norm, "-")
	nums := make([]int, 0, 3)
	for _, x := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			nums = nil
			break
		}
		nums = append(nums, n)
	}
	if len(nums) == 2 && nums[1] >= 1 && nums[1] <= 12 {
		d := time.Date(nums[0], time.Month(nums[1]), 1, 0, 0, 0, 0, time.UTC)
		if end {
			d = d.AddDate(0, 1, -1)
		}
		return &d
	}
	if len(nums) == 3 {
		d := time.Date(nums[0], time.Month(nums[1]), nums[2], 0, 0, 0, 0, time.UTC)
		if d.Year() == nums[0] && int(d.Month()) == nums[1] && d.Day() == nums[2] && nums[0] >= 2000 && nums[0] <= 2100 {
			return &d
		}
	}
	p.bad(line, col, header, header+"“"+s+"”不是有效日期（如2026-03-01或2026年3月）", header+" is not a date: "+s)
	return nil
}

func (p *parser) holder(line, col int, header, name string, role project.Role, unit uuid.UUID) (uuid.UUID, bool) {
	candidates := p.cat.People[name]
	if len(candidates) == 0 {
		p.bad(line, col, header, "人员“"+name+"”不存在，请先在人员中登记", "no such person: "+name)
		return uuid.Nil, false
	}
	var fit []Person
	var firstErr error
	for _, c := range candidates {
		hu, ok := p.cat.Heads[unit]
		if !ok {
			hu = project.HolderUnit{ID: unit}
		}
		if err := project.CheckHolder(role, project.Candidate{ID: c.ID, Rank: c.Rank, UnitID: c.UnitID}, hu); err == nil {
			fit = append(fit, c)
		} else if firstErr == nil {
			firstErr = err
		}
	}
	switch len(fit) {
	case 1:
		return fit[0].ID, true
	case 0:
		var e *errs.Error
		if errors.As(firstErr, &e) && len(e.Fields) > 0 {
			p.bad(line, col, header, "“"+name+"”："+e.Fields[0].ZH, name+": "+e.Fields[0].EN)
		}
	default:
		p.bad(line, col, header, "有多名同名人员“"+name+"”，无法确定是哪一位", "several people are called "+name)
	}
	return uuid.Nil, false
}
