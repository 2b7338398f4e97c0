// Package org is a county's organisation (M3.1, M3.5): its units, its people
// and the bodies they sit in — the leading group, the key project office and
// the joint inspection groups.
package org

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
)

// UnitKind is what sort of unit a unit is.
type UnitKind string

const (
	KindStreet     UnitKind = "street"     // 街道
	KindTown       UnitKind = "town"       // 镇
	KindTownship   UnitKind = "township"   // 乡
	KindZone       UnitKind = "zone"       // 产业集聚区、管理区等
	KindDepartment UnitKind = "department" // 县直单位
	KindEnterprise UnitKind = "enterprise" // 供电公司等服务企业
)

// UnitKinds lists the kinds with their Chinese names.
var UnitKinds = map[UnitKind]string{
	KindStreet: "街道", KindTown: "镇", KindTownship: "乡", KindZone: "功能区",
	KindDepartment: "县直单位", KindEnterprise: "服务企业",
}

// IsTownshipLevel reports whether the unit is one of the 乡镇(街区) ranked together (M5.2).
func (k UnitKind) IsTownshipLevel() bool {
	return k == KindStreet || k == KindTown || k == KindTownship || k == KindZone
}

// Unit is a township/street/zone, a county department or a service enterprise.
type Unit struct {
	ID            uuid.UUID
	CountyID      uuid.UUID
	Code          string
	Name          string
	Kind          UnitKind
	IsServiceUnit bool
	ParentID      *uuid.UUID
	// HeadPersonID is the unit's main head (主要负责人, M2.1): the one
	// eligible for the responsible seat of its projects, and the one named
	// for TV questioning when that seat is empty.
	HeadPersonID *uuid.UUID
	SortOrder    int
	Active       bool
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

// Validate checks the unit's fields.
func (u *Unit) Validate() error {
	var v errs.Validation
	u.Code = strings.TrimSpace(u.Code)
	u.Name = strings.TrimSpace(u.Name)
	if !codeRE.MatchString(u.Code) {
		v.Add("code", "invalid_code", "编码须为1-40位字母、数字、点、下划线或连字符", "code must be 1-40 letters, digits, '.', '_' or '-'")
	}
	checkName(&v, "name", u.Name, 100)
	if _, ok := UnitKinds[u.Kind]; !ok {
		v.Add("kind", "invalid_kind", "单位类型无效", "unknown unit kind")
	}
	return v.Err()
}

// Rank is a person's cadre rank, which decides the task-force roles they may hold (M2.1).
type Rank string

const (
	RankCountyLeader Rank = "county_leader" // 县级领导
	RankSection      Rank = "section_level" // 科级干部
	RankOther        Rank = "other"
)

// Ranks lists the ranks with their Chinese names.
var Ranks = map[Rank]string{RankCountyLeader: "县级领导", RankSection: "科级干部", RankOther: "其他"}

// Person is an official or staff member of the county.
type Person struct {
	ID        uuid.UUID
	CountyID  uuid.UUID
	Name      string
	Post      string
	Rank      Rank
	UnitID    *uuid.UUID
	Phone     string
	Active    bool
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

var phoneRE = regexp.MustCompile(`^[0-9+\- ]{5,20}$`)

// Validate checks the person's fields.
func (p *Person) Validate() error {
	var v errs.Validation
	p.Name = strings.TrimSpace(p.Name)
	p.Post = strings.TrimSpace(p.Post)
	p.Phone = strings.TrimSpace(p.Phone)
	checkName(&v, "name", p.Name, 50)
	if utf8.RuneCountInString(p.Post) > 100 {
		v.Add("post", "too_long", "职务不能超过100个字", "post must be at most 100 characters")
	}
	if _, ok := Ranks[p.Rank]; !ok {
		v.Add("rank", "invalid_rank", "职级无效（县级领导、科级干部、其他）", "rank must be county_leader, section_level or other")
	}
	if p.Phone != "" && !phoneRE.MatchString(p.Phone) {
		v.Add("phone", "invalid_phone", "电话号码格式不正确", "phone number is not valid")
	}
	return v.Err()
}

// GroupKind is the sort of body a group is.
type GroupKind string

const (
	GroupLeading    GroupKind = "leading_group"  // 重点项目建设领导小组
	GroupOffice     GroupKind = "project_office" // 县重点项目办
	GroupInspection GroupKind = "inspection"     // 联合督导组
)

// GroupKinds lists the kinds with their Chinese names.
var GroupKinds = map[GroupKind]string{GroupLeading: "领导小组", GroupOffice: "重点项目办", GroupInspection: "联合督导组"}

// Position is a member's place in a group.
type Position string

// Positions lists the positions with their Chinese names.
var Positions = map[Position]string{"leader": "组长", "deputy": "副组长", "member": "成员", "director": "主任", "staff": "工作人员"}

// Group is the leading group, the key project office or an inspection group.
type Group struct {
	ID         uuid.UUID
	CountyID   uuid.UUID
	Kind       GroupKind
	Number     int
	Name       string
	LeadUnitID *uuid.UUID
	Duty       string
	Version    int
	Members    []Member
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Member is a person's membership of a group.
type Member struct {
	ID         uuid.UUID
	GroupID    uuid.UUID
	PersonID   uuid.UUID
	PersonName string
	Position   Position
}

// Validate checks the group's fields. Inspection groups are numbered from 1;
// the leading group and the office are unique per county (number 0).
func (g *Group) Validate() error {
	var v errs.Validation
	g.Name = strings.TrimSpace(g.Name)
	checkName(&v, "name", g.Name, 100)
	if _, ok := GroupKinds[g.Kind]; !ok {
		v.Add("kind", "invalid_kind", "机构类型无效", "unknown group kind")
	}
	switch {
	case g.Kind == GroupInspection && (g.Number < 1 || g.Number > 99):
		v.Add("number", "out_of_range", "督导组编号须在1到99之间", "inspection group number must be 1 to 99")
	case g.Kind != GroupInspection && g.Number != 0:
		v.Add("number", "not_allowed", "只有督导组有编号", "only inspection groups are numbered")
	}
	if utf8.RuneCountInString(g.Duty) > 500 {
		v.Add("duty", "too_long", "职责说明不能超过500个字", "duty must be at most 500 characters")
	}
	return v.Err()
}

// ValidatePosition checks a membership's position.
func ValidatePosition(p Position) error {
	if _, ok := Positions[p]; !ok {
		var v errs.Validation
		v.Add("position", "invalid_position", "职位无效", "unknown position")
		return v.Err()
	}
	return nil
}

func checkName(v *errs.Validation, field, s string, max int) {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		v.Add(field, "required", "名称不能为空", "must not be empty")
	} else if n > max {
		v.Add(field, "too_long", "名称过长", "too long")
	}
}
