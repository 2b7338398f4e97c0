package workbook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
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

// TypeWords are the ways county ledgers write a construction type (建设性质),
// after a trailing 项目 is dropped: the guide sheet lists them.
var TypeWords = map[string]project.ConstructionType{
	"新开工": "new", "新建": "new", "新开": "new", "计划新开工": "new", "年内新开工": "new", "拟新开工": "new", "计划开工": "new",
	"续建": "continuing", "在建": "continuing", "续建在建": "continuing",
	"年内竣工": "completing", "计划竣工": "completing", "当年竣工": "completing", "本年竣工": "completing", "竣工": "completing",
	"完工": "completing", "续建竣工": "completing", "竣工投产": "completing", "建成投产": "completing"}

// typeOf reads a construction type as written ("计划竣工项目" → completing).
func typeOf(s string) (project.ConstructionType, bool) {
	s = strings.TrimSuffix(strings.Join(strings.Fields(s), ""), "项目")
	t, ok := TypeWords[s]
	return t, ok
}

// ErrEmpty is a workbook whose list sheet has headers but no project rows.
var ErrEmpty = errs.E(errs.Invalid, "workbook_empty", "工作簿的“重点项目”表中没有项目行（表头下为空），未导入任何数据", "the workbook's list sheet has no project rows; nothing was imported")
var levelWords = map[string]project.Level{"": "county", "县重点": "county", "县级": "county", "县": "county",
	"市重点": "municipal", "市级": "municipal", "市": "municipal", "省重点": "provincial", "省级": "provincial", "省": "provincial"}

// TypeWord and LevelWord are the words the export writes.
var TypeWord = map[project.ConstructionType]string{"new": "新开工", "continuing": "续建", "completing": "年内竣工"}
var LevelWord = map[project.Level]string{"county": "县重点", "municipal": "市重点", "provincial": "省重点"}

type parser struct {
	cat   Catalogue
	year  int
	c     *Complaints
	sheet string
	book  *book
	row   *sheetRow // the row being read (its cells' formats)
}

func (p *parser) bad(row, col int, header, zh, en string) {
	p.c.add(Problem{Sheet: p.sheet, Row: row, Col: columnLetter(col), Header: header, ZH: zh, EN: en})
}

func (p *parser) problem(pr Problem) { p.c.add(pr) }

// Parse reads a key list workbook for a year from r, within DefaultLimits,
// keeping every problem: for tests and tools. The API reads uploads with
// ParseFile.
func Parse(r io.Reader, year int, cat Catalogue) (Result, []Problem, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Result{}, nil, err
	}
	c := NewComplaints(math.MaxInt, math.MaxInt)
	res, err := ParseFile(bytes.NewReader(data), int64(len(data)), year, cat, DefaultLimits, c)
	return res, c.Kept(), err
}

// ParseFile reads a key list workbook for a year from r (size bytes, a
// spooled upload): the list sheet and then the ledger sheet, each a stream
// of rows, within lim. Every bad cell goes to c; the caller imports nothing
// when there is one. The error is for a file that cannot be read at all, or
// that is over a limit (TooLarge: workbook_too_large, workbook_too_many_rows,
// workbook_too_many_columns); an empty list sheet is ErrEmpty. Memory: the
// rows kept for the import and c's bounded complaints, whatever the file.
func ParseFile(r io.ReaderAt, size int64, year int, cat Catalogue, lim Limits, c *Complaints) (res Result, err error) {
	b, err := openBook(r, size, lim)
	if err != nil {
		return Result{}, err
	}
	defer b.close()
	sheets := b.sheetNames()
	if len(sheets) == 0 {
		return Result{}, ErrNotWorkbook
	}
	p := &parser{cat: cat, year: year, c: c, sheet: sheets[0], book: b}
	if slicesContains(sheets, ListSheet) {
		p.sheet = ListSheet
	}
	defer func() { res.Inflated = b.inflated }()
	if res.Rows, err = p.listRows(); err != nil {
		return res, err
	}
	if len(res.Rows) == 0 && c.Count() == 0 {
		return res, ErrEmpty
	}
	if slicesContains(sheets, LedgerSheet) {
		codes := map[string]bool{}
		for _, r := range res.Rows {
			codes[r.Project.Code] = true
		}
		p.sheet = LedgerSheet
		if res.Ledger, err = p.ledgerRows(codes); err != nil {
			return res, err
		}
	}
	return res, nil
}

// headerLines are the rows a header may be found in (findHeader looks at
// the first 15 and the row under the best of them).
const headerLines = 16

// errStop ends a sheet's rows early.
var errStop = errors.New("stop")

// stream reads the sheet's rows: the first headerLines go to header, which
// finds the header and returns the row number data starts at (0: no
// header, the sheet is not read further); every later row from there goes
// to each. p.row is the row being handled.
func (p *parser) stream(header func(rows [][]string) int, each func(sheetRow)) error {
	var head []sheetRow
	start := -1
	flush := func() {
		dense := make([][]string, 0, headerLines)
		for _, r := range head {
			for len(dense) < r.line-1 {
				dense = append(dense, nil)
			}
			dense = append(dense, r.cells)
		}
		start = header(dense)
		if start > 0 {
			for i := range head {
				if head[i].line >= start {
					p.row = &head[i]
					each(head[i])
				}
			}
		}
		head = nil
	}
	err := p.book.rows(p.sheet, func(r sheetRow) error {
		if start < 0 && r.line <= headerLines {
			r.cells, r.styles = slices.Clone(r.cells), slices.Clone(r.styles)
			head = append(head, r)
			return nil
		}
		if start < 0 {
			flush()
		}
		if start <= 0 {
			return errStop
		}
		if r.line >= start {
			p.row = &r
			each(r)
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err == nil && start < 0 {
		flush()
	}
	p.row = nil
	return err
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

func (p *parser) listRows() ([]Row, error) {
	var cols map[int]int
	header := func(rows [][]string) int {
		var start int
		cols, start = findHeader(rows, synonyms)
		if cols == nil {
			p.problem(Problem{Sheet: p.sheet, Header: "表头", ZH: "找不到表头行（应含“项目名称”“建设性质”“总投资”等列）",
				EN: "no header row found (it should have 项目名称, 建设性质, 总投资 …)"})
			return 0
		}
		missing := false
		for _, k := range required {
			if _, ok := cols[k]; !ok {
				missing = true
				p.problem(Problem{Sheet: p.sheet, Header: headers[k], ZH: "缺少必需的列“" + headers[k] + "”",
					EN: "required column missing: " + headers[k]})
			}
		}
		if missing {
			return 0
		}
		return start + 1
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
	err := p.stream(header, func(sr sheetRow) {
		row, line := sr.cells, sr.line
		nonEmpty := 0
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				nonEmpty++
			}
		}
		if nonEmpty == 0 {
			return
		}
		name := get(row, colName)
		if s := normalize(get(row, colSeq) + name); strings.Contains(s, "合计") || strings.Contains(s, "总计") {
			return
		}
		if nonEmpty <= 2 && get(row, colTotal) == "" { // a section row: "一、工业项目（15个）"
			if c := p.sectionCategory(row); c != "" {
				category = c
				return
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
		if t, ok := typeOf(get(row, colType)); ok {
			pr.ConstructionType = t
		} else {
			p.bad(line, at(colType), "建设性质", "建设性质“"+get(row, colType)+"”无效（新开工、续建、计划竣工等，见“填写说明”）",
				"construction type must be 新开工, 续建, 计划竣工 … (see the guide sheet)")
		}
		pr.Content = get(row, colContent)
		pr.TotalInvestmentYuan = p.amount(line, at(colTotal), "总投资", get(row, colTotal))
		planned := p.amount(line, at(colYearPlan), "年度计划投资", get(row, colYearPlan))
		if planned > pr.TotalInvestmentYuan && pr.TotalInvestmentYuan > 0 {
			p.bad(line, at(colYearPlan), "年度计划投资", "年度计划投资大于总投资", "the year's plan exceeds the total investment")
		}
		uname := get(row, colUnit)
		unitKnown := false
		if id, ok := p.cat.Units[uname]; ok {
			pr.ResponsibleUnitID, unitKnown = id, true
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
		var baseline *int
		if b := get(row, colBaseline); b != "" {
			baseline = p.percent(line, at(colBaseline), headers[colBaseline], b)
		}
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
			// An unknown unit is the one cause: the seats that must belong
			// to it are not judged against it as well.
			unitSeat := role == project.RoleResponsible || role == project.RoleHelper
			if who := get(row, k); who != "" && (unitKnown || !unitSeat) {
				if id, ok := p.holder(line, at(k), headers[k], who, role, pr.ResponsibleUnitID); ok {
					holders[role] = id
				}
			}
		}
		out = append(out, Row{Line: line, Project: pr, PlannedYuan: planned, Baseline: baseline, Holders: holders})
	})
	return out, err
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

// dateSeparators turns the ways dates are written into 2026-3-1. Built
// once: a replacer costs kilobytes to build, and every date cell uses it.
var dateSeparators = strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-")

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
			if month, _ := p.format(line, col); month {
				// A cell shown as a month (2026-03, 2026年3月) means the
				// month, as the same words typed as text do.
				d = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
				if end {
					d = d.AddDate(0, 1, -1)
				}
			}
			return &d
		}
	}
	norm := dateSeparators.Replace(s)
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

// percent reads an image progress in percent: 60, 60%, or 0.6 in a cell
// formatted as a percentage.
func (p *parser) percent(line, col int, header, s string) *int {
	raw := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "%"), "％"))
	f, err := strconv.ParseFloat(raw, 64)
	if err == nil {
		if _, pct := p.format(line, col); pct && !strings.ContainsAny(s, "%％") {
			f *= 100
		}
		if n := int(math.Round(f)); f >= 0 && f <= 100 && math.Abs(f-float64(n)) < 1e-6 {
			return &n
		}
	}
	p.bad(line, col, header, header+"“"+s+"”须为0到100之间的整数（百分比）", header+" must be a whole percentage from 0 to 100: "+s)
	return nil
}

// builtinMonthFormats are Excel's built-in number formats that show only a
// year and a month (mmm-yy; yyyy"年"m"月" in the Chinese locales).
var builtinMonthFormats = map[int]bool{17: true, 27: true, 36: true, 50: true, 52: true, 55: true, 57: true}

// format says whether the cell of the row being read at column index col
// is shown as a month (no day) or as a percentage.
func (p *parser) format(line, col int) (month, percent bool) {
	if p.row == nil || p.row.line != line || col < 0 || col >= len(p.row.styles) || p.book == nil {
		return false, false
	}
	id, custom := p.book.numFmt(p.row.styles[col])
	if custom == nil {
		return builtinMonthFormats[id], id == 9 || id == 10
	}
	code := formatLetters(*custom)
	return strings.ContainsAny(code, "yY") && strings.ContainsAny(code, "mM") && !strings.ContainsAny(code, "dD"), strings.Contains(code, "%")
}

// formatLetters is a number format code without its quoted and escaped
// literals and bracketed parts ("yyyy\"年\"m\"月\"" → "yyyym").
func formatLetters(code string) string {
	var b strings.Builder
	quoted, bracket := false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\\':
			i++
		case c == '[':
			bracket = true
		case c == ']':
			bracket = false
		case bracket:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
