// Package project is the key project registry (issue 5): projects, the
// county's yearly key list (M1.8), the pipeline of candidates (M3.6), the
// dated 1+3 task force (M2.1), the procedure ledger (M4.2, M4.3) and node
// plans with monthly targets (M4.4). Money is whole yuan.
package project

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
)

// Level is the level at which a project is listed.
type Level string

// Levels with their Chinese names.
var Levels = map[Level]string{"provincial": "省重点", "municipal": "市重点", "county": "县重点"}

// ConstructionType is 建设性质.
type ConstructionType string

// ConstructionTypes with their Chinese names.
var ConstructionTypes = map[ConstructionType]string{"new": "新开工", "continuing": "续建", "completing": "年内竣工"}

// Status is where a project stands.
type Status string

// Statuses with their Chinese names.
var Statuses = map[Status]string{"preparing": "前期", "under_construction": "在建", "completed": "竣工", "suspended": "停工"}

// TagHundredCities marks projects inspected by group 6 (M3.5).
const TagHundredCities = "百城提质"

// Project is a construction project of the county.
type Project struct {
	ID                  uuid.UUID
	Code                string
	Name                string
	CategoryID          uuid.UUID
	Level               Level
	ConstructionType    ConstructionType
	Status              Status
	ResponsibleUnitID   uuid.UUID
	TownshipUnitID      *uuid.UUID
	Latitude, Longitude *float64
	Content             string
	TotalInvestmentYuan int64
	InvestedToDateYuan  int64
	PlannedStart        *time.Time
	PlannedCompletion   *time.Time
	Tags                []string
	Version             int
	UpdatedAt           time.Time
}

// Validate checks a project's own fields (references are checked by the store).
func (p *Project) Validate() error {
	var v errs.Validation
	p.Code, p.Name, p.Content = strings.TrimSpace(p.Code), strings.TrimSpace(p.Name), strings.TrimSpace(p.Content)
	if n := utf8.RuneCountInString(p.Code); n == 0 || n > 40 {
		v.Add("code", "invalid_code", "项目编码须为1-40个字符", "code must be 1-40 characters")
	}
	if n := utf8.RuneCountInString(p.Name); n == 0 || n > 200 {
		v.Add("name", "invalid_name", "项目名称须为1-200个字符", "name must be 1-200 characters")
	}
	if _, ok := Levels[p.Level]; !ok {
		v.Add("level", "invalid_level", "项目级别无效（provincial、municipal、county）", "level must be provincial, municipal or county")
	}
	if _, ok := ConstructionTypes[p.ConstructionType]; !ok {
		v.Add("construction_type", "invalid_type", "建设性质无效（new、continuing、completing）", "construction type must be new, continuing or completing")
	}
	if p.Status == "" {
		p.Status = "preparing"
	}
	if _, ok := Statuses[p.Status]; !ok {
		v.Add("status", "invalid_status", "项目状态无效", "unknown status")
	}
	if p.TotalInvestmentYuan < 0 || p.TotalInvestmentYuan > MaxYuan {
		v.Add("total_investment_yuan", "out_of_range", "总投资须在0到1万亿元之间", "total investment must be between 0 and 1,000,000,000,000 yuan")
	}
	if p.InvestedToDateYuan < 0 || p.InvestedToDateYuan > MaxYuan {
		v.Add("invested_to_date_yuan", "out_of_range", "累计完成投资须在0到1万亿元之间", "investment to date must be between 0 and 1,000,000,000,000 yuan")
	}
	if (p.Latitude == nil) != (p.Longitude == nil) {
		v.Add("latitude", "incomplete_location", "经纬度须同时填写", "latitude and longitude go together")
	} else if p.Latitude != nil && (*p.Latitude < 3 || *p.Latitude > 54 || *p.Longitude < 73 || *p.Longitude > 136) {
		v.Add("latitude", "outside_china", "坐标不在中国境内，请检查经纬度是否填反", "the location is outside China; are latitude and longitude swapped?")
	}
	if p.PlannedStart != nil && p.PlannedCompletion != nil && p.PlannedCompletion.Before(*p.PlannedStart) {
		v.Add("planned_completion", "before_start", "计划竣工日期不能早于计划开工日期", "planned completion is before planned start")
	}
	if utf8.RuneCountInString(p.Content) > 2000 {
		v.Add("content", "too_long", "建设内容不能超过2000字", "content must be at most 2000 characters")
	}
	seen := map[string]bool{}
	tags := p.Tags[:0]
	for _, t := range p.Tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		if utf8.RuneCountInString(t) > 20 {
			v.Add("tags", "too_long", "标签不能超过20字", "a tag must be at most 20 characters")
		}
		seen[t] = true
		tags = append(tags, t)
	}
	p.Tags = tags
	return v.Err()
}

// Role is a seat of the 1+3 task force.
type Role string

const (
	RoleChief       Role = "chief"       // 项目长（分包县领导）
	RoleAssistant   Role = "assistant"   // 项目长助理
	RoleResponsible Role = "responsible" // 项目责任人（责任单位主要负责人）
	RoleHelper      Role = "helper"      // 帮办人员
)

// Roles in their order, with Chinese names.
var Roles = []Role{RoleChief, RoleAssistant, RoleResponsible, RoleHelper}

// RoleNames are the Chinese names of the roles.
var RoleNames = map[Role]string{RoleChief: "项目长", RoleAssistant: "项目长助理", RoleResponsible: "项目责任人", RoleHelper: "帮办人员"}

// Candidate is who may hold a role: their rank and unit.
type Candidate struct {
	ID     uuid.UUID
	Rank   string
	UnitID *uuid.UUID
}

// HolderUnit is the project's responsible unit as the seat rules see it.
type HolderUnit struct {
	ID       uuid.UUID
	HeadID   *uuid.UUID // its main head, nil when none is recorded
	HeadName string
}

// CheckHolder enforces M2.1: the chief is a county-level leader; the
// assistant a section-level cadre; the responsible person is the
// responsible unit's main head (any person of the unit while none is
// recorded); the helper is a section-level cadre of that unit.
func CheckHolder(role Role, who Candidate, unit HolderUnit) error {
	var v errs.Validation
	inUnit := who.UnitID != nil && *who.UnitID == unit.ID
	switch role {
	case RoleChief:
		if who.Rank != "county_leader" {
			v.Add("person_id", "chief_not_county_leader", "项目长须由县级领导担任", "the project chief must be a county-level leader")
		}
	case RoleAssistant:
		if who.Rank != "section_level" {
			v.Add("person_id", "assistant_not_section_level", "项目长助理须为科级干部", "the assistant must be a section-level cadre")
		}
	case RoleResponsible:
		switch {
		case !inUnit:
			v.Add("person_id", "responsible_not_in_unit", "项目责任人须为责任单位的主要负责人", "the responsible person must head the responsible unit")
		case unit.HeadID != nil && *unit.HeadID != who.ID:
			v.Add("person_id", "responsible_not_unit_head", "项目责任人须为责任单位的主要负责人（"+unit.HeadName+"）",
				"the responsible person must be the responsible unit's main head ("+unit.HeadName+")")
		}
	case RoleHelper:
		if !inUnit || who.Rank != "section_level" {
			v.Add("person_id", "helper_not_unit_deputy", "帮办人员须为责任单位的科级副职", "the helper must be a section-level deputy of the responsible unit")
		}
	default:
		v.Add("role", "invalid_role", "专班角色无效", "unknown task-force role")
	}
	return v.Err()
}

// Assignment is one person holding one role for a period [ValidFrom, ValidTo).
type Assignment struct {
	ID         uuid.UUID
	ProjectID  uuid.UUID
	Role       Role
	PersonID   uuid.UUID
	PersonName string
	ValidFrom  time.Time
	ValidTo    *time.Time
	Note       string
}

// Node is one of the five construction nodes of M4.4.
type Node string

// Nodes in order, with Chinese names.
var Nodes = []Node{"site_ready", "main_start", "construction", "acceptance", "in_use"}

// NodeNames are the Chinese names of the nodes.
var NodeNames = map[Node]string{"site_ready": "三通一平", "main_start": "主体开工", "construction": "工程施工进度", "acceptance": "竣工验收", "in_use": "投入使用"}

// NodeDates are a node's planned and actual dates.
type NodeDates struct {
	Node    Node
	Planned *time.Time
	Actual  *time.Time
}

// MonthTarget is a month's image-progress and investment target.
type MonthTarget struct {
	Month          int
	ImageTarget    string
	InvestmentYuan int64
}

// Plan is a project's node plan and monthly targets for a year.
type Plan struct {
	Year   int
	Nodes  []NodeDates
	Months []MonthTarget // 12, January first
}

// CheckPlan validates a plan; when yearPlan is not nil (the project is on
// that year's key list) the months must add up to it exactly.
func CheckPlan(p Plan, yearPlan *int64) error {
	var v errs.Validation
	seen := map[Node]bool{}
	for _, n := range p.Nodes {
		if _, ok := NodeNames[n.Node]; !ok || seen[n.Node] {
			v.Add("nodes", "invalid_node", "节点无效或重复", "unknown or repeated node")
			continue
		}
		seen[n.Node] = true
	}
	if len(p.Months) != 12 {
		v.Add("months", "twelve_months", "须填写全年12个月的目标", "give targets for all 12 months")
		return v.Err()
	}
	var sum int64
	for i, m := range p.Months {
		if m.Month != i+1 {
			v.Add("months", "month_order", "月份须为1到12月依次排列", "months must be 1 to 12 in order")
			break
		}
		if m.InvestmentYuan < 0 || m.InvestmentYuan > MaxYuan {
			v.Add("months", "out_of_range", "月度投资目标超出范围", "a monthly investment target is out of range")
			break
		}
		sum += m.InvestmentYuan
	}
	if yearPlan != nil && sum != *yearPlan {
		v.Add("months", "targets_do_not_add_up",
			"各月投资目标之和（"+FormatWan(sum)+"万元）与年度计划投资（"+FormatWan(*yearPlan)+"万元）不一致",
			"the monthly investment targets add up to "+FormatWan(sum)+" (10k yuan), the year's plan is "+FormatWan(*yearPlan))
	}
	return v.Err()
}

// Overdue reports whether a procedure planned for planned and not finished is late on day.
func Overdue(status string, planned *time.Time, day time.Time) bool {
	return planned != nil && planned.Before(day) && (status == "pending" || status == "in_progress")
}
