package workbook

import (
	"strconv"
	"strings"
)

const (
	lCode = iota
	lName
	lType
	lUnit
	lRoadmap
	lPlanned
	lActual
	lStatus
	lDeficiencies
	lMerged
	lRegional
	lJoint
	lAgency
	numLedgerCols
)

var ledgerHeaders = [numLedgerCols]string{"项目编码", "项目名称", "手续事项", "服务单位", "办理路线图", "计划办结", "实际办结", "办理状态",
	"容缺办理", "多评合一", "区域评估", "联合审验", "代办"}

var ledgerSynonyms = map[string]int{
	"项目编码": lCode, "编码": lCode, "项目名称": lName, "手续事项": lType, "审批事项": lType, "手续名称": lType,
	"服务单位": lUnit, "办理单位": lUnit, "办理路线图": lRoadmap, "路线图": lRoadmap,
	"计划办结": lPlanned, "计划办结时间": lPlanned, "实际办结": lActual, "实际办结时间": lActual, "办理状态": lStatus, "状态": lStatus,
	"容缺办理": lDeficiencies, "多评合一": lMerged, "区域评估": lRegional, "联合审验": lJoint, "代办": lAgency, "代办制": lAgency,
}

// StatusWord is what the export writes for a procedure status.
var StatusWord = map[string]string{"pending": "待办", "in_progress": "办理中", "done": "已办结", "not_needed": "不需办理"}
var statusWords = map[string]string{"": "pending", "待办": "pending", "未办": "pending", "办理中": "in_progress", "在办": "in_progress",
	"已办结": "done", "办结": "done", "已完成": "done", "不需办理": "not_needed", "无需办理": "not_needed"}

func yes(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "", "否", "无", "×":
		return false, true
	case "是", "√", "✓", "有", "Y", "y":
		return true, true
	}
	return false, false
}

func (p *parser) ledgerRows(codes map[string]bool) ([]LedgerRow, error) {
	var cols map[int]int
	header := func(rows [][]string) int {
		var start int
		cols, start = findHeader(rows, ledgerSynonyms)
		if cols == nil {
			return 0
		}
		for _, k := range []int{lCode, lType, lUnit} {
			if _, ok := cols[k]; !ok {
				p.problem(Problem{Sheet: p.sheet, Header: ledgerHeaders[k], ZH: "缺少必需的列“" + ledgerHeaders[k] + "”",
					EN: "required column missing: " + ledgerHeaders[k]})
				return 0
			}
		}
		return start + 1
	}
	get := func(row []string, k int) string {
		if i, ok := cols[k]; ok {
			return cell(row, i)
		}
		return ""
	}
	var out []LedgerRow
	seen := map[string]int{}
	err := p.stream(header, func(sr sheetRow) {
		row, line := sr.cells, sr.line
		code := get(row, lCode)
		if code == "" && get(row, lType) == "" {
			return
		}
		lr := LedgerRow{Line: line, ProjectCode: code}
		if !codes[code] {
			p.bad(line, cols[lCode], "项目编码", "项目编码“"+code+"”不在“重点项目”表中", "project code not on the list sheet: "+code)
		}
		tname := get(row, lType)
		if id, ok := p.cat.ProcedureTypes[tname]; ok {
			lr.TypeID = id
		} else {
			p.bad(line, cols[lType], "手续事项", "手续事项“"+tname+"”不在本县手续目录中", "procedure not in the county's catalogue: "+tname)
		}
		if prev, dup := seen[code+"\x00"+tname]; dup {
			p.bad(line, cols[lType], "手续事项", "与第"+itoa(prev)+"行重复", "repeats row "+itoa(prev))
		}
		seen[code+"\x00"+tname] = line
		uname := get(row, lUnit)
		if id, ok := p.cat.Units[uname]; ok {
			lr.UnitID = id
		} else {
			p.bad(line, cols[lUnit], "服务单位", "服务单位“"+uname+"”不存在", "no such service unit: "+uname)
		}
		lr.Roadmap = get(row, lRoadmap)
		lr.Planned = p.date(line, cols[lPlanned], "计划办结", get(row, lPlanned), true)
		lr.Actual = p.date(line, cols[lActual], "实际办结", get(row, lActual), true)
		st, ok := statusWords[get(row, lStatus)]
		if !ok {
			p.bad(line, cols[lStatus], "办理状态", "办理状态“"+get(row, lStatus)+"”无效（待办、办理中、已办结、不需办理）", "status must be 待办, 办理中, 已办结 or 不需办理")
		}
		lr.Status = st
		if (st == "done") != (lr.Actual != nil) && ok {
			p.bad(line, cols[lStatus], "办理状态", "已办结的事项须填写实际办结日期，未办结的不能填写", "a done item needs its actual date, and only a done item has one")
		}
		for j, k := range []int{lDeficiencies, lMerged, lRegional, lJoint, lAgency} {
			v, ok := yes(get(row, k))
			if !ok {
				p.bad(line, cols[k], ledgerHeaders[k], ledgerHeaders[k]+"须填“是”或留空", ledgerHeaders[k]+" must be 是 or empty")
			}
			lr.Flags[j] = v
		}
		out = append(out, lr)
	})
	return out, err
}

func itoa(n int) string { return strconv.Itoa(n) }
