// Package workbook reads and writes the yearly key project list in the
// spreadsheet layout county offices already use (issue 5 §7): one row per
// project with Chinese headers (a merged title above, possibly two header
// rows, possibly category section rows such as "一、工业项目"), amounts in
// 万元; and a second sheet with the procedure ledger. It knows nothing of the
// database: names are resolved through a Catalogue.
package workbook

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/project"
)

// Sheet names.
const (
	ListSheet   = "重点项目"
	LedgerSheet = "手续台账"
	GuideSheet  = "填写说明"
)

// Column keys, in the order the export writes them.
const (
	colSeq = iota
	colCode
	colName
	colCategory
	colLevel
	colType
	colContent
	colTotal
	colYearPlan
	colUnit
	colTownship
	colChief
	colAssistant
	colResponsible
	colHelper
	colStart
	colCompletion
	colLongitude
	colLatitude
	colTags
	colBaseline
	numCols
)

// headers are the export's column titles; synonyms are what an import accepts.
var headers = [numCols]string{"序号", "项目编码", "项目名称", "项目类别", "项目级别", "建设性质", "建设内容及规模", "总投资（万元）",
	"年度计划投资（万元）", "责任单位", "所在乡镇", "分包县领导", "项目长助理", "项目责任人", "帮办人员", "计划开工", "计划竣工", "经度", "纬度", "标签", "列入时形象进度（%）"}

var synonyms = map[string]int{
	"序号": colSeq, "编号": colSeq,
	"项目编码": colCode, "编码": colCode, "项目代码": colCode,
	"项目名称": colName, "名称": colName,
	"项目类别": colCategory, "类别": colCategory, "行业类别": colCategory, "项目类型": colCategory,
	"项目级别": colLevel, "级别": colLevel,
	"建设性质": colType, "性质": colType,
	"建设内容及规模": colContent, "建设规模及内容": colContent, "主要建设内容": colContent, "建设内容": colContent,
	"总投资": colTotal, "计划总投资": colTotal,
	"年度计划投资": colYearPlan, "年计划投资": colYearPlan, "本年计划投资": colYearPlan, "年度投资计划": colYearPlan,
	"责任单位": colUnit, "牵头单位": colUnit,
	"所在乡镇": colTownship, "所在乡镇街区": colTownship, "建设地点": colTownship,
	"分包县领导": colChief, "项目长": colChief, "分包领导": colChief,
	"项目长助理": colAssistant,
	"项目责任人": colResponsible, "责任人": colResponsible,
	"帮办人员": colHelper, "帮办人": colHelper,
	"计划开工": colStart, "计划开工时间": colStart, "开工时间": colStart,
	"计划竣工": colCompletion, "计划竣工时间": colCompletion, "竣工时间": colCompletion,
	"经度": colLongitude, "纬度": colLatitude,
	"标签":      colTags,
	"列入时形象进度": colBaseline, "形象进度基数": colBaseline, "入库时形象进度": colBaseline, "列入清单时形象进度": colBaseline,
}

var required = []int{colName, colType, colTotal, colYearPlan, colUnit}

var yearPrefix = regexp.MustCompile(`^(19|20)\d{2}年`)
var parens = regexp.MustCompile(`[（(][^）)]*[）)]`)

func normalize(h string) string {
	h = parens.ReplaceAllString(h, "")
	h = strings.Join(strings.Fields(h), "")
	h = yearPrefix.ReplaceAllString(h, "") // "2026年计划投资" → "计划投资"
	if h == "计划投资" {
		h = "年度计划投资"
	}
	return h
}

// Person is what the import needs to know of a person.
type Person struct {
	ID     uuid.UUID
	Rank   string
	UnitID *uuid.UUID
}

// Catalogue resolves the names used in a workbook.
type Catalogue struct {
	Units          map[string]uuid.UUID
	Heads          map[uuid.UUID]project.HolderUnit // units with a main head, by id
	Categories     map[string]uuid.UUID
	People         map[string][]Person
	ProcedureTypes map[string]uuid.UUID
}

// Problem is one bad cell (or a missing column: Row 0, Col ""). A problem
// summarised from several cells with one cause lists all their rows.
type Problem struct {
	Sheet  string
	Row    int
	Col    string // column letter, e.g. "H"
	Header string // its header, e.g. "总投资"
	ZH, EN string
	Rows   []int // every row with this cause (Summarize); nil for one cell
}

// Cell names the problem's place, e.g. "重点项目!H12（总投资）", or for a
// cause found in several rows "重点项目!H列第12、15、31行（总投资）".
func (p Problem) Cell() string {
	switch {
	case p.Row == 0:
		return p.Sheet + "（" + p.Header + "）"
	case len(p.Rows) > 1:
		shown := make([]string, 0, 5)
		for i, r := range p.Rows {
			if i == 5 {
				break
			}
			shown = append(shown, strconv.Itoa(r))
		}
		more := ""
		if len(p.Rows) > 5 {
			more = fmt.Sprintf("等共%d行", len(p.Rows))
		}
		return fmt.Sprintf("%s!%s列第%s行%s（%s）", p.Sheet, p.Col, strings.Join(shown, "、"), more, p.Header)
	}
	return fmt.Sprintf("%s!%s%d（%s）", p.Sheet, p.Col, p.Row, p.Header)
}

// Summarize gives one complaint per cause: problems with the same sheet,
// column and message (the same unknown unit on forty rows) become one,
// listing their rows, in the order first found. It returns at most limit
// of them and how many there are in all.
func Summarize(problems []Problem, limit int) ([]Problem, int) {
	type cause struct{ sheet, col, header, zh string }
	index := map[cause]int{}
	var out []Problem
	for _, p := range problems {
		k := cause{p.Sheet, p.Col, p.Header, p.ZH}
		if i, ok := index[k]; ok && p.Row > 0 {
			out[i].Rows = append(out[i].Rows, p.Row)
			continue
		}
		index[k] = len(out)
		p.Rows = nil
		if p.Row > 0 {
			p.Rows = []int{p.Row}
		}
		out = append(out, p)
	}
	total := len(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, total
}

// Complaints gathers a workbook's problems as they are found, in memory
// that stays bounded whatever the workbook: one complaint per cause, as
// Summarize groups them, for the first limit causes (with every row of
// each); only a count of the causes after those; and the first keep
// problems as they were found, for the annotated copy.
type Complaints struct {
	limit, keep int
	index       map[causeKey]int
	listed      []Problem
	others      map[uint64]struct{}
	kept        []Problem
	count       int
	cells       int
}

type causeKey struct{ sheet, col, header, zh string }

// NewComplaints keeps limit causes and keep problems.
func NewComplaints(limit, keep int) *Complaints {
	return &Complaints{limit: limit, keep: keep, index: map[causeKey]int{}, others: map[uint64]struct{}{}}
}

func (c *Complaints) add(p Problem) {
	c.count++
	if p.Row > 0 {
		c.cells++
	}
	if len(c.kept) < c.keep {
		c.kept = append(c.kept, p)
	}
	k := causeKey{p.Sheet, p.Col, p.Header, p.ZH}
	if i, ok := c.index[k]; ok && p.Row > 0 {
		c.listed[i].Rows = append(c.listed[i].Rows, p.Row)
		return
	}
	if len(c.listed) < c.limit {
		c.index[k] = len(c.listed)
		p.Rows = nil
		if p.Row > 0 {
			p.Rows = []int{p.Row}
		}
		c.listed = append(c.listed, p)
		return
	}
	h := fnv.New64a()
	if p.Row == 0 { // a sheet-wide problem is a cause of its own each time
		fmt.Fprintf(h, "#%d", c.count)
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", k.sheet, k.col, k.header, k.zh)
	c.others[h.Sum64()] = struct{}{}
}

// Summary gives the complaints kept, one per cause in the order first
// found, and how many causes there are in all.
func (c *Complaints) Summary() ([]Problem, int) { return c.listed, len(c.listed) + len(c.others) }

// Kept are the first problems found, each as found (one cell, or a sheet's
// missing column).
func (c *Complaints) Kept() []Problem { return c.kept }

// Count is how many problems were found; Cells, how many of them are cells.
func (c *Complaints) Count() int { return c.count }

// Cells is how many of the problems are of one cell.
func (c *Complaints) Cells() int { return c.cells }

// Row is one project as read from the list sheet.
type Row struct {
	Line        int
	Project     project.Project
	PlannedYuan int64
	Baseline    *int // image progress (percent) at listing
	Holders     map[project.Role]uuid.UUID
}

// LedgerRow is one procedure item as read from the ledger sheet.
type LedgerRow struct {
	Line        int
	ProjectCode string
	TypeID      uuid.UUID
	UnitID      uuid.UUID
	Roadmap     string
	Planned     *time.Time
	Actual      *time.Time
	Status      string
	Flags       [5]bool // 容缺办理, 多评合一, 区域评估, 联合审验, 代办
}

// Result is a parsed workbook.
type Result struct {
	Rows   []Row
	Ledger []LedgerRow
	// Inflated is how many bytes the parts read inflated to.
	Inflated int64
}

func columnLetter(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

func strconvParseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
