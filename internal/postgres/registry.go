package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/project"
)

// KeyList is a county's key project list for a year.
type KeyList struct {
	bun.BaseModel `bun:"table:key_lists"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Year          int       `bun:"year"`
	Title         string    `bun:"title"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
}

// ListEntry is a project's membership of a year's list.
type ListEntry struct {
	bun.BaseModel         `bun:"table:key_list_entries,alias:e"`
	ID                    uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID              uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	KeyListID             uuid.UUID  `bun:"key_list_id,type:uuid"`
	ProjectID             uuid.UUID  `bun:"project_id,type:uuid"`
	PlannedInvestmentYuan int64      `bun:"planned_investment_yuan"`
	AddedOn               time.Time  `bun:"added_on,type:date"`
	AddedReason           string     `bun:"added_reason"`
	RemovedOn             *time.Time `bun:"removed_on,type:date"`
	RemovedReason         string     `bun:"removed_reason"`
	BaselineImagePercent  *int       `bun:"baseline_image_percent"`
	ProjectCode           string     `bun:"project_code,scanonly"`
	ProjectName           string     `bun:"project_name,scanonly"`
}

var errNoList = errs.E(errs.NotFound, "key_list_not_found", "该年度的重点项目清单不存在", "there is no key list for that year")

// KeyLists lists the county's lists, newest year first.
func KeyLists(ctx context.Context, tx bun.IDB) ([]KeyList, error) {
	out := []KeyList{}
	return out, tx.NewSelect().Model(&out).OrderExpr("year DESC").Scan(ctx)
}

// GetKeyList returns the list of a year.
func GetKeyList(ctx context.Context, tx bun.IDB, year int) (KeyList, error) {
	var l KeyList
	if err := tx.NewSelect().Model(&l).Where("year = ?", year).Scan(ctx); err != nil {
		if db := MapErr(err); errs.KindOf(db) == errs.NotFound {
			return l, errNoList
		}
		return l, err
	}
	return l, nil
}

// CreateKeyList opens the list of a year.
func CreateKeyList(ctx context.Context, tx bun.IDB, year int, title string) (KeyList, error) {
	var v errs.Validation
	if year < 2000 || year > 2100 {
		v.Add("year", "out_of_range", "年度须在2000到2100之间", "year must be between 2000 and 2100")
	}
	if title == "" {
		title = fmt.Sprintf("%d年度重点项目", year)
	}
	if err := v.Err(); err != nil {
		return KeyList{}, err
	}
	l := KeyList{ID: uuid.New(), Year: year, Title: title}
	if _, err := tx.NewInsert().Model(&l).Exec(ctx); err != nil {
		return l, MapErr(err)
	}
	return l, Audit(ctx, tx, audit.Entry{Action: "key_list.create", EntityType: "key_list", EntityID: fmt.Sprint(year), After: l})
}

// ListEntries lists a year's entries by project code: every period a
// project spent on the list, removed ones with their dates (M1.8).
func ListEntries(ctx context.Context, tx bun.IDB, year int) ([]ListEntry, error) {
	l, err := GetKeyList(ctx, tx, year)
	if err != nil {
		return nil, err
	}
	out := []ListEntry{}
	err = tx.NewSelect().Model(&out).ColumnExpr("e.*, p.code AS project_code, p.name AS project_name").
		Join("JOIN projects p ON p.id = e.project_id").Where("e.key_list_id = ?", l.ID).OrderExpr("p.code, e.added_on").Scan(ctx)
	return out, err
}

// PutEntry adds a project to a year's list, or changes the planned
// investment (and the image progress at listing, when baseline is given) of
// its open period. A project removed earlier gets a new period from on; its
// earlier period stays, so the weeks it was listed stay listed.
func PutEntry(ctx context.Context, tx bun.IDB, year int, projectID uuid.UUID, planned int64, baseline *int, on time.Time, reason string) (ListEntry, error) {
	l, err := GetKeyList(ctx, tx, year)
	if err != nil {
		return ListEntry{}, err
	}
	var v errs.Validation
	if planned < 0 || planned > project.MaxYuan {
		v.Add("planned_investment_yuan", "out_of_range", "年度计划投资超出范围", "planned investment out of range")
	}
	if baseline != nil && (*baseline < 0 || *baseline > 100) {
		v.Add("baseline_image_percent", "out_of_range", "列入时形象进度须在0到100之间", "the image progress at listing must be 0 to 100")
	}
	if err := v.Err(); err != nil {
		return ListEntry{}, err
	}
	var periods []ListEntry
	if err := tx.NewSelect().Model(&periods).Where("e.key_list_id = ? AND e.project_id = ?", l.ID, projectID).OrderExpr("e.added_on").Scan(ctx); err != nil {
		return ListEntry{}, err
	}
	var before *ListEntry
	for i := range periods {
		if periods[i].RemovedOn == nil {
			before = &periods[i]
		}
	}
	e := ListEntry{ID: uuid.New(), KeyListID: l.ID, ProjectID: projectID, PlannedInvestmentYuan: planned, AddedOn: on, AddedReason: reason, BaselineImagePercent: baseline}
	if before != nil { // a change of plan, not a new addition
		e.ID, e.AddedOn, e.AddedReason = before.ID, before.AddedOn, before.AddedReason
		if baseline == nil {
			e.BaselineImagePercent = before.BaselineImagePercent
		}
		_, err = tx.NewUpdate().Model(&e).Column("planned_investment_yuan", "baseline_image_percent").WherePK().Exec(ctx)
	} else {
		if n := len(periods); n > 0 && on.Before(*periods[n-1].RemovedOn) {
			last := periods[n-1].RemovedOn.Format(time.DateOnly)
			v.Add("on", "before_removal", "重新列入的日期不能早于上次移出的日期（"+last+"）", "a project is put back on the list on or after the day it was removed ("+last+")")
			return ListEntry{}, v.Err()
		}
		_, err = tx.NewInsert().Model(&e).Exec(ctx)
	}
	if err != nil {
		return ListEntry{}, MapErr(err)
	}
	return e, Audit(ctx, tx, audit.Entry{Action: "key_list.put", EntityType: "project", EntityID: projectID.String(), Before: before,
		After: map[string]any{"year": year, "planned_investment_yuan": planned, "baseline_image_percent": e.BaselineImagePercent,
			"added_on": e.AddedOn.Format(time.DateOnly), "reason": reason}})
}

// RemoveEntry takes a project off a year's list on a date, with a reason (M1.8).
func RemoveEntry(ctx context.Context, tx bun.IDB, year int, projectID uuid.UUID, on time.Time, reason string) error {
	l, err := GetKeyList(ctx, tx, year)
	if err != nil {
		return err
	}
	if reason == "" {
		var v errs.Validation
		v.Add("reason", "required", "移出清单须说明原因", "a removal needs a reason")
		return v.Err()
	}
	res, err := tx.NewUpdate().Table("key_list_entries").Set("removed_on = ?", on).Set("removed_reason = ?", reason).
		Where("key_list_id = ? AND project_id = ? AND removed_on IS NULL", l.ID, projectID).Exec(ctx)
	if err != nil {
		return MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	return Audit(ctx, tx, audit.Entry{Action: "key_list.remove", EntityType: "project", EntityID: projectID.String(),
		After: map[string]any{"year": year, "removed_on": on.Format(time.DateOnly), "reason": reason}})
}

// CarryOver puts every project still on the previous year's list and not
// completed onto this year's list (续建结转), keeping its history; returns how many.
func CarryOver(ctx context.Context, tx bun.IDB, year int, on time.Time) (int, error) {
	to, err := GetKeyList(ctx, tx, year)
	if err != nil {
		return 0, err
	}
	from, err := GetKeyList(ctx, tx, year-1)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO key_list_entries (key_list_id, project_id, planned_investment_yuan, added_on, added_reason)
		SELECT ?, e.project_id, 0, ?, ? FROM key_list_entries e JOIN projects p ON p.id = e.project_id
		 WHERE e.key_list_id = ? AND e.removed_on IS NULL AND p.status <> 'completed'
		   AND NOT EXISTS (SELECT 1 FROM key_list_entries x WHERE x.key_list_id = ? AND x.project_id = e.project_id)`,
		to.ID, on, fmt.Sprintf("%d年续建项目结转", year-1), from.ID, to.ID)
	if err != nil {
		return 0, MapErr(err)
	}
	n, _ := res.RowsAffected()
	return int(n), Audit(ctx, tx, audit.Entry{Action: "key_list.carry_over", EntityType: "key_list", EntityID: fmt.Sprint(year),
		After: map[string]any{"from": year - 1, "projects": n}})
}

type assignmentRow struct {
	bun.BaseModel `bun:"table:task_force_assignments,alias:a"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID     uuid.UUID  `bun:"project_id,type:uuid"`
	Role          string     `bun:"role"`
	PersonID      uuid.UUID  `bun:"person_id,type:uuid"`
	ValidFrom     time.Time  `bun:"valid_from,type:date"`
	ValidTo       *time.Time `bun:"valid_to,type:date"`
	Note          string     `bun:"note"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	PersonName    string     `bun:"person_name,scanonly"`
}

func toAssignment(r assignmentRow) project.Assignment {
	return project.Assignment{ID: r.ID, ProjectID: r.ProjectID, Role: project.Role(r.Role), PersonID: r.PersonID,
		PersonName: r.PersonName, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Note: r.Note}
}

// TaskForceHistory lists every assignment of a project, oldest first per role.
func TaskForceHistory(ctx context.Context, tx bun.IDB, projectID uuid.UUID) ([]project.Assignment, error) {
	var rows []assignmentRow
	err := tx.NewSelect().Model(&rows).ColumnExpr("a.*, pe.name AS person_name").Join("JOIN people pe ON pe.id = a.person_id").
		Where("a.project_id = ?", projectID).
		OrderExpr("array_position(ARRAY['chief','assistant','responsible','helper'], a.role), a.valid_from").Scan(ctx)
	out := make([]project.Assignment, len(rows))
	for i, r := range rows {
		out[i] = toAssignment(r)
	}
	return out, err
}

// TaskForceOn returns who held each role of a project on a day.
func TaskForceOn(ctx context.Context, tx bun.IDB, projectID uuid.UUID, day time.Time) ([]project.Assignment, error) {
	all, err := TaskForceHistory(ctx, tx, projectID)
	if err != nil {
		return nil, err
	}
	out := []project.Assignment{}
	for _, a := range all {
		if !a.ValidFrom.After(day) && (a.ValidTo == nil || a.ValidTo.After(day)) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Assign puts a person into a task-force role from a date: the current
// holder's period ends that day. The person must fit the role (M2.1).
func Assign(ctx context.Context, tx bun.IDB, p project.Project, role project.Role, personID uuid.UUID, from time.Time, note string) (project.Assignment, error) {
	person, err := GetPerson(ctx, tx, personID)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			var v errs.Validation
			v.Add("person_id", "not_found", "人员不存在", "no such person")
			return project.Assignment{}, v.Err()
		}
		return project.Assignment{}, err
	}
	unit, err := HolderUnitOf(ctx, tx, p.ResponsibleUnitID)
	if err != nil {
		return project.Assignment{}, err
	}
	if err := project.CheckHolder(role, project.Candidate{ID: person.ID, Rank: string(person.Rank), UnitID: person.UnitID}, unit); err != nil {
		return project.Assignment{}, err
	}
	var later int
	if err := tx.NewSelect().Model((*assignmentRow)(nil)).ColumnExpr("count(*)").
		Where("a.project_id = ? AND a.role = ? AND a.valid_from >= ?", p.ID, role, from).Scan(ctx, &later); err != nil {
		return project.Assignment{}, err
	}
	if later > 0 {
		var v errs.Validation
		v.Add("valid_from", "not_after_current", "生效日期须晚于该角色现任人员的起始日期", "the date must be after the current holder's start")
		return project.Assignment{}, v.Err()
	}
	// One seat per person (the same rule is a trigger in the database).
	var other []string
	if err := tx.NewSelect().Model((*assignmentRow)(nil)).Column("a.role").
		Where("a.project_id = ? AND a.person_id = ? AND a.role <> ? AND (a.valid_to IS NULL OR a.valid_to > ?)", p.ID, personID, role, from).
		Scan(ctx, &other); err != nil {
		return project.Assignment{}, err
	}
	if len(other) > 0 {
		var v errs.Validation
		v.Add("person_id", "one_seat_per_person", "该人员已在本项目任务组担任"+project.RoleNames[project.Role(other[0])]+"，一人不能兼任两个岗位；请先为原岗位另行指定人员",
			"this person already holds the "+other[0]+" seat of the project's task force: one person, one seat; appoint someone else to that seat first")
		return project.Assignment{}, v.Err()
	}
	if _, err := tx.NewUpdate().Model((*assignmentRow)(nil)).Set("valid_to = ?", from).
		Where("a.project_id = ? AND a.role = ? AND a.valid_to IS NULL", p.ID, role).Exec(ctx); err != nil {
		return project.Assignment{}, MapErr(err)
	}
	r := assignmentRow{ID: uuid.New(), ProjectID: p.ID, Role: string(role), PersonID: personID, ValidFrom: from, Note: note}
	if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
		return project.Assignment{}, MapErr(err)
	}
	r.PersonName = person.Name
	out := toAssignment(r)
	return out, Audit(ctx, tx, audit.Entry{Action: "task_force.assign", EntityType: "project", EntityID: p.ID.String(),
		After: map[string]any{"role": role, "person_id": personID, "person": person.Name, "from": from.Format(time.DateOnly)}})
}

// Procedure is one approval item of a project's ledger.
type Procedure struct {
	bun.BaseModel          `bun:"table:project_procedures,alias:pp"`
	ID                     uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID               uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID              uuid.UUID  `bun:"project_id,type:uuid"`
	TypeID                 uuid.UUID  `bun:"type_id,type:uuid"`
	ServiceUnitID          uuid.UUID  `bun:"service_unit_id,type:uuid"`
	Roadmap                string     `bun:"roadmap"`
	PlannedDate            *time.Time `bun:"planned_date,type:date"`
	ActualDate             *time.Time `bun:"actual_date,type:date"`
	Status                 string     `bun:"status"`
	AcceptWithDeficiencies bool       `bun:"accept_with_deficiencies"`
	MergedAssessment       bool       `bun:"merged_assessment"`
	RegionalAssessment     bool       `bun:"regional_assessment"`
	JointAcceptance        bool       `bun:"joint_acceptance"`
	AgencyService          bool       `bun:"agency_service"`
	Version                int        `bun:"version"`
	UpdatedAt              time.Time  `bun:"updated_at,nullzero,default:now()"`
	TypeName               string     `bun:"type_name,scanonly"`
	ProjectName            string     `bun:"project_name,scanonly"`
}

var procedureStatuses = map[string]bool{"pending": true, "in_progress": true, "done": true, "not_needed": true}

func (p *Procedure) validate() error {
	var v errs.Validation
	if !procedureStatuses[p.Status] {
		v.Add("status", "invalid_status", "办理状态无效（pending、in_progress、done、not_needed）", "status must be pending, in_progress, done or not_needed")
	}
	if (p.Status == "done") != (p.ActualDate != nil) {
		v.Add("actual_date", "done_needs_date", "已办结的事项须填写实际办结日期，未办结的不能填写", "a done item needs its actual date, and only a done item has one")
	}
	if len([]rune(p.Roadmap)) > 2000 {
		v.Add("roadmap", "too_long", "办理路线图不能超过2000字", "roadmap must be at most 2000 characters")
	}
	return v.Err()
}

func selectProcedures(tx bun.IDB, out *[]Procedure) *bun.SelectQuery {
	return tx.NewSelect().Model(out).ColumnExpr("pp.*, t.name AS type_name, p.name AS project_name").
		Join("JOIN procedure_types t ON t.id = pp.type_id").Join("JOIN projects p ON p.id = pp.project_id")
}

// ProjectProcedures lists a project's ledger in catalogue order.
func ProjectProcedures(ctx context.Context, tx bun.IDB, projectID uuid.UUID) ([]Procedure, error) {
	out := []Procedure{}
	return out, selectProcedures(tx, &out).Where("pp.project_id = ?", projectID).OrderExpr("t.sort_order, t.code").Scan(ctx)
}

// OverdueProcedures lists unfinished items planned before day, oldest first (M3.7).
func OverdueProcedures(ctx context.Context, tx bun.IDB, day time.Time, scope *Scope) ([]Procedure, error) {
	out := []Procedure{}
	q := selectProcedures(tx, &out).Where("pp.status IN ('pending','in_progress') AND pp.planned_date < ?", day).OrderExpr("pp.planned_date, p.name")
	scope.Apply(q, day)
	return out, q.Scan(ctx)
}

// PutProcedure creates or replaces (by version) a ledger item, audited; a
// replacement may change the item's type (Conflict when the project has an
// item of that type already, Invalid when the type is not the county's).
func PutProcedure(ctx context.Context, tx bun.IDB, p Procedure) (Procedure, error) {
	if err := p.validate(); err != nil {
		return Procedure{}, err
	}
	var before *Procedure
	if p.ID != uuid.Nil {
		var cur Procedure
		if err := tx.NewSelect().Model(&cur).Where("pp.id = ? AND pp.project_id = ?", p.ID, p.ProjectID).Scan(ctx); err != nil {
			return Procedure{}, MapErr(err)
		}
		before = &cur
		res, err := tx.NewUpdate().Model(&p).ExcludeColumn("id", "county_id", "project_id", "version", "updated_at").
			Set("version = version + 1").Set("updated_at = now()").Where("pp.id = ? AND pp.version = ?", p.ID, p.Version).Exec(ctx)
		if err != nil {
			return Procedure{}, MapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Procedure{}, errs.ErrVersionConflict
		}
		p.Version++
	} else {
		p.ID, p.Version = uuid.New(), 1
		if _, err := tx.NewInsert().Model(&p).Exec(ctx); err != nil {
			return Procedure{}, MapErr(err)
		}
	}
	return p, Audit(ctx, tx, audit.Entry{Action: "procedure.put", EntityType: "project", EntityID: p.ProjectID.String(), Before: before, After: p})
}

type nodeRow struct {
	bun.BaseModel `bun:"table:project_nodes"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID     uuid.UUID  `bun:"project_id,type:uuid"`
	Node          string     `bun:"node"`
	PlannedDate   *time.Time `bun:"planned_date,type:date"`
	ActualDate    *time.Time `bun:"actual_date,type:date"`
}

type monthRow struct {
	bun.BaseModel  `bun:"table:project_month_targets"`
	CountyID       uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID      uuid.UUID `bun:"project_id,type:uuid"`
	Year           int       `bun:"year"`
	Month          int       `bun:"month"`
	ImageTarget    string    `bun:"image_target"`
	InvestmentYuan int64     `bun:"investment_yuan"`
}

// YearPlan returns the project's planned investment on a year's key list, if listed.
func YearPlan(ctx context.Context, tx bun.IDB, projectID uuid.UUID, year int) (*int64, error) {
	var planned []int64
	err := tx.NewSelect().Table("key_list_entries").Column("planned_investment_yuan").
		Join("JOIN key_lists l ON l.id = key_list_entries.key_list_id").
		Where("key_list_entries.project_id = ? AND l.year = ? AND key_list_entries.removed_on IS NULL", projectID, year).Scan(ctx, &planned)
	if err != nil || len(planned) == 0 {
		return nil, err
	}
	return &planned[0], nil
}

// GetPlan returns a project's nodes and the year's monthly targets.
func GetPlan(ctx context.Context, tx bun.IDB, projectID uuid.UUID, year int) (project.Plan, error) {
	plan := project.Plan{Year: year, Nodes: []project.NodeDates{}, Months: []project.MonthTarget{}}
	var nodes []nodeRow
	if err := tx.NewSelect().Model(&nodes).Where("project_id = ?", projectID).
		OrderExpr("array_position(ARRAY['site_ready','main_start','construction','acceptance','in_use'], node)").Scan(ctx); err != nil {
		return plan, err
	}
	for _, n := range nodes {
		plan.Nodes = append(plan.Nodes, project.NodeDates{Node: project.Node(n.Node), Planned: n.PlannedDate, Actual: n.ActualDate})
	}
	var months []monthRow
	if err := tx.NewSelect().Model(&months).Where("project_id = ? AND year = ?", projectID, year).Order("month").Scan(ctx); err != nil {
		return plan, err
	}
	for _, m := range months {
		plan.Months = append(plan.Months, project.MonthTarget{Month: m.Month, ImageTarget: m.ImageTarget, InvestmentYuan: m.InvestmentYuan})
	}
	return plan, nil
}

// PutPlan replaces a project's nodes and a year's monthly targets; on a
// listed year the months must add up to the year's planned investment.
func PutPlan(ctx context.Context, tx bun.IDB, projectID uuid.UUID, plan project.Plan) error {
	yearPlan, err := YearPlan(ctx, tx, projectID, plan.Year)
	if err != nil {
		return err
	}
	if err := project.CheckPlan(plan, yearPlan); err != nil {
		return err
	}
	before, err := GetPlan(ctx, tx, projectID, plan.Year)
	if err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*nodeRow)(nil)).Where("project_id = ?", projectID).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*monthRow)(nil)).Where("project_id = ? AND year = ?", projectID, plan.Year).Exec(ctx); err != nil {
		return err
	}
	if len(plan.Nodes) > 0 {
		rows := make([]nodeRow, len(plan.Nodes))
		for i, n := range plan.Nodes {
			rows[i] = nodeRow{ProjectID: projectID, Node: string(n.Node), PlannedDate: n.Planned, ActualDate: n.Actual}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return MapErr(err)
		}
	}
	months := make([]monthRow, len(plan.Months))
	for i, m := range plan.Months {
		months[i] = monthRow{ProjectID: projectID, Year: plan.Year, Month: m.Month, ImageTarget: m.ImageTarget, InvestmentYuan: m.InvestmentYuan}
	}
	if _, err := tx.NewInsert().Model(&months).Exec(ctx); err != nil {
		return MapErr(err)
	}
	return Audit(ctx, tx, audit.Entry{Action: "plan.put", EntityType: "project", EntityID: projectID.String(), Before: before, After: plan})
}

// Candidate is a project in the pipeline (谋划项目, M3.6).
type Candidate struct {
	bun.BaseModel           `bun:"table:candidate_projects,alias:c"`
	ID                      uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID                uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Name                    string     `bun:"name"`
	Stage                   string     `bun:"stage"`
	OwnerUnitID             uuid.UUID  `bun:"owner_unit_id,type:uuid"`
	OwnerPersonID           *uuid.UUID `bun:"owner_person_id,type:uuid"`
	EstimatedInvestmentYuan int64      `bun:"estimated_investment_yuan"`
	Note                    string     `bun:"note"`
	PromotedProjectID       *uuid.UUID `bun:"promoted_project_id,type:uuid"`
	Version                 int        `bun:"version"`
	UpdatedAt               time.Time  `bun:"updated_at,nullzero,default:now()"`
}

var candidateStages = map[string]bool{"idea": true, "proposal": true, "preparation": true}

func (c *Candidate) validate() error {
	var v errs.Validation
	if c.Name == "" || len([]rune(c.Name)) > 200 {
		v.Add("name", "invalid_name", "项目名称须为1-200个字符", "name must be 1-200 characters")
	}
	if !candidateStages[c.Stage] {
		v.Add("stage", "invalid_stage", "谋划阶段无效（idea、proposal、preparation）", "stage must be idea, proposal or preparation")
	}
	if c.EstimatedInvestmentYuan < 0 || c.EstimatedInvestmentYuan > project.MaxYuan {
		v.Add("estimated_investment_yuan", "out_of_range", "估算投资超出范围", "estimated investment out of range")
	}
	return v.Err()
}

// ListCandidates lists the pipeline by stage.
func ListCandidates(ctx context.Context, tx bun.IDB) ([]Candidate, error) {
	out := []Candidate{}
	return out, tx.NewSelect().Model(&out).OrderExpr("array_position(ARRAY['idea','proposal','preparation','promoted'], c.stage), c.name").Scan(ctx)
}

// errPromoted refuses a change to a candidate that has become a project.
var errPromoted = errs.E(errs.Conflict, "already_promoted", "该谋划项目已转入重点项目", "the candidate has already been promoted")

// candidateUnchanged says why a candidate's update changed no row: it does
// not exist (NotFound), it was promoted, or its version moved on.
func candidateUnchanged(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	var stage string
	err := tx.NewSelect().Model((*Candidate)(nil)).Column("stage").Where("c.id = ?", id).Scan(ctx, &stage)
	switch {
	case err != nil:
		return MapErr(err)
	case stage == "promoted":
		return errPromoted
	}
	return errs.ErrVersionConflict
}

// PutCandidate creates or replaces (by version) a candidate, audited. A
// replacement fails with NotFound for an unknown candidate, Conflict for a
// promoted one or a stale version.
func PutCandidate(ctx context.Context, tx bun.IDB, c Candidate) (Candidate, error) {
	if err := c.validate(); err != nil {
		return Candidate{}, err
	}
	if c.ID == uuid.Nil {
		c.ID, c.Version = uuid.New(), 1
		if _, err := tx.NewInsert().Model(&c).Exec(ctx); err != nil {
			return Candidate{}, MapErr(err)
		}
	} else {
		res, err := tx.NewUpdate().Model(&c).Column("name", "stage", "owner_unit_id", "owner_person_id", "estimated_investment_yuan", "note").
			Set("version = version + 1").Set("updated_at = now()").Where("c.id = ? AND c.version = ? AND c.stage <> 'promoted'", c.ID, c.Version).Exec(ctx)
		if err != nil {
			return Candidate{}, MapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Candidate{}, candidateUnchanged(ctx, tx, c.ID)
		}
		c.Version++
	}
	return c, Audit(ctx, tx, audit.Entry{Action: "candidate.put", EntityType: "candidate", EntityID: c.ID.String(), After: c})
}

// Promote turns a candidate into a project on a year's key list.
func Promote(ctx context.Context, tx bun.IDB, candidateID uuid.UUID, p project.Project, year int, planned int64, on time.Time) (project.Project, error) {
	var c Candidate
	if err := tx.NewSelect().Model(&c).Where("c.id = ?", candidateID).Scan(ctx); err != nil {
		return project.Project{}, MapErr(err)
	}
	if c.Stage == "promoted" {
		return project.Project{}, errPromoted
	}
	if p.Name == "" {
		p.Name = c.Name
	}
	created, err := CreateProject(ctx, tx, p)
	if err != nil {
		return project.Project{}, err
	}
	if _, err := PutEntry(ctx, tx, year, created.ID, planned, nil, on, "由谋划项目转入"); err != nil {
		return project.Project{}, err
	}
	if _, err := tx.NewUpdate().Model((*Candidate)(nil)).Set("stage = 'promoted'").Set("promoted_project_id = ?", created.ID).
		Set("updated_at = now()").Where("c.id = ?", candidateID).Exec(ctx); err != nil {
		return project.Project{}, MapErr(err)
	}
	return created, Audit(ctx, tx, audit.Entry{Action: "candidate.promote", EntityType: "candidate", EntityID: candidateID.String(),
		After: map[string]any{"project_id": created.ID, "year": year}})
}
