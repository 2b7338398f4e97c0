package supervisiondb

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/org"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
)

// PlanEntry is a project of a year's list and its inspection group (M3.5).
type PlanEntry struct {
	ProjectID   uuid.UUID  `bun:"project_id" json:"project_id"`
	ProjectCode string     `bun:"project_code" json:"project_code"`
	ProjectName string     `bun:"project_name" json:"project_name"`
	UnitName    string     `bun:"unit_name" json:"unit_name"`
	Tags        []string   `bun:"tags,array" json:"tags"`
	GroupID     *uuid.UUID `bun:"group_id" json:"group_id"`
	GroupNumber *int       `bun:"group_number" json:"group_number"`
	GroupName   *string    `bun:"group_name" json:"group_name"`
}

// InspectionPlan is the grouping plan of a year: every project on the list.
func InspectionPlan(ctx context.Context, tx bun.IDB, year int) ([]PlanEntry, error) {
	var out []PlanEntry
	err := tx.NewRaw(`SELECT p.id AS project_id, p.code AS project_code, p.name AS project_name, u.name AS unit_name, p.tags,
		  g.id AS group_id, g.number AS group_number, g.name AS group_name
		FROM key_list_entries e JOIN key_lists k ON k.id = e.key_list_id AND k.year = ?0
		JOIN projects p ON p.id = e.project_id JOIN units u ON u.id = p.responsible_unit_id
		LEFT JOIN inspection_assignments a ON a.project_id = p.id AND a.year = ?0
		LEFT JOIN org_groups g ON g.id = a.group_id
		WHERE e.removed_on IS NULL ORDER BY g.number NULLS LAST, p.code`, year).Scan(ctx, &out)
	return out, err
}

// InspectionGroupOf is the group a project on a year's list is assigned to
// (nil: not in the plan).
func InspectionGroupOf(ctx context.Context, tx bun.IDB, year int, projectID uuid.UUID) (*uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewRaw(`SELECT a.group_id FROM inspection_assignments a
		JOIN key_list_entries e ON e.project_id = a.project_id AND e.removed_on IS NULL
		JOIN key_lists k ON k.id = e.key_list_id AND k.year = a.year
		WHERE a.year = ? AND a.project_id = ?`, year, projectID).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return &ids[0], nil
}

// AssignInspection puts a project of a year's list into a group (audited).
// Projects tagged 百城提质 belong to group 6 and only there.
func AssignInspection(ctx context.Context, tx bun.IDB, year int, projectID, groupID uuid.UUID) error {
	g, err := postgres.GetGroup(ctx, tx, groupID)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return err
	}
	if err != nil || g.Kind != org.GroupInspection {
		var v errs.Validation
		v.Add("group_id", "not_inspection_group", "请选择联合督导组", "choose a joint inspection group")
		return v.Err()
	}
	var tags []string
	if err := tx.NewRaw(`SELECT p.tags FROM projects p JOIN key_list_entries e ON e.project_id = p.id
		JOIN key_lists k ON k.id = e.key_list_id AND k.year = ? WHERE p.id = ?`, year, projectID).Scan(ctx, pgdialect.Array(&tags)); err != nil {
		if db.NoRows(err) {
			return errs.E(errs.NotFound, "project_not_listed", "该项目不在本年度重点项目清单上", "the project is not on the year's key list")
		}
		return err
	}
	hundred := false
	for _, t := range tags {
		hundred = hundred || t == project.TagHundredCities
	}
	if hundred != (g.Number == 6) {
		var v errs.Validation
		v.Add("group_id", "group6_rule", "“百城提质”项目由第六督导组督导，其他项目不归第六组", "Hundred Cities projects go to group 6, and only they do")
		return v.Err()
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO inspection_assignments (year, project_id, group_id) VALUES (?, ?, ?)
		ON CONFLICT (project_id, year) DO UPDATE SET group_id = EXCLUDED.group_id`, year, projectID, groupID)
	if err != nil {
		return postgres.MapErr(err)
	}
	return postgres.Audit(ctx, tx, audit.Entry{Action: "inspection.assign", EntityType: "project", EntityID: projectID.String(),
		After: map[string]any{"year": year, "group_id": groupID, "group": g.Number}})
}

// AutoPlan assigns every unassigned project of a year: 百城提质 projects to
// group 6, the others in turn to groups 1–5 by responsible unit, so a unit's
// projects are seen by one group. It returns how many were assigned.
func AutoPlan(ctx context.Context, tx bun.IDB, year int) (int, error) {
	list, err := postgres.ListGroups(ctx, tx, string(org.GroupInspection))
	if err != nil {
		return 0, err
	}
	groups := map[int]uuid.UUID{}
	for _, g := range list {
		groups[g.Number] = g.ID
	}
	plan, err := InspectionPlan(ctx, tx, year)
	if err != nil {
		return 0, err
	}
	var general []int
	for n := 1; n <= 5; n++ {
		if _, ok := groups[n]; ok {
			general = append(general, n)
		}
	}
	if len(general) == 0 {
		return 0, errs.E(errs.Conflict, "no_inspection_groups", "尚未设立联合督导组", "no joint inspection groups are set up")
	}
	unitGroup := map[string]int{}
	n := 0
	for _, e := range plan {
		if e.GroupID != nil {
			continue
		}
		target := 0
		for _, t := range e.Tags {
			if t == project.TagHundredCities {
				target = 6
			}
		}
		if target == 0 {
			g, ok := unitGroup[e.UnitName]
			if !ok {
				g = general[len(unitGroup)%len(general)]
				unitGroup[e.UnitName] = g
			}
			target = g
		}
		id, ok := groups[target]
		if !ok {
			continue
		}
		if err := AssignInspection(ctx, tx, year, e.ProjectID, id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Inspection is a joint inspection group's visit to a project in a week.
type Inspection struct {
	bun.BaseModel          `bun:"table:inspections,alias:ins"`
	ID                     uuid.UUID       `bun:"id,pk,type:uuid" json:"id"`
	CountyID               uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	ProjectID              uuid.UUID       `bun:"project_id,type:uuid" json:"project_id"`
	GroupID                uuid.UUID       `bun:"group_id,type:uuid" json:"group_id"`
	WeekStart              time.Time       `bun:"week_start,type:date" json:"-"`
	VisitedOn              time.Time       `bun:"visited_on,type:date" json:"-"`
	Nodes                  json.RawMessage `bun:"nodes,type:jsonb" json:"nodes"`
	VerifiedInvestmentYuan int64           `bun:"verified_investment_yuan" json:"verified_investment_yuan"`
	Findings               string          `bun:"findings" json:"findings"`
	RecordedBy             *uuid.UUID      `bun:"recorded_by,type:uuid" json:"recorded_by"`
	CreatedAt              time.Time       `bun:"created_at,nullzero,default:now()" json:"created_at"`
}

// NodeCheck is a node's planned against actual state as found on site.
type NodeCheck struct {
	Node    string  `json:"node"`
	Planned *string `json:"planned"`
	Reached bool    `json:"reached"`
	Note    string  `json:"note"`
}

// FindingInput is a problem found on site, to be handled by a deadline.
type FindingInput struct {
	Category       string
	Description    string
	Deadline       time.Time
	AssignedUnitID *uuid.UUID
}

// RecordInspection stores an inspection with its node checks (planned
// dates filled in from the node plan) and turns each finding into a problem
// with a deadline (audited).
func RecordInspection(ctx context.Context, tx bun.IDB, p project.Project, in Inspection, checks []NodeCheck, findings []FindingInput, by *uuid.UUID) (Inspection, []reportingdb.Problem, error) {
	var v errs.Validation
	if in.VisitedOn.Before(in.WeekStart) || in.VisitedOn.After(in.WeekStart.AddDate(0, 0, 6)) {
		v.Add("visited_on", "outside_week", "检查日期须在所选周内", "the visit date must be inside the week")
	}
	if in.VerifiedInvestmentYuan < 0 {
		v.Add("verified_investment_yuan", "out_of_range", "核实投资不能为负数", "verified investment cannot be negative")
	}
	if len([]rune(in.Findings)) > 4000 {
		v.Add("findings", "too_long", "检查情况不能超过4000字", "findings are at most 4000 characters")
	}
	planned := map[string]*string{}
	var nodes []struct {
		Node    string     `bun:"node"`
		Planned *time.Time `bun:"planned_date"`
	}
	if err := tx.NewRaw("SELECT node, planned_date FROM project_nodes WHERE project_id = ?", p.ID).Scan(ctx, &nodes); err != nil {
		return Inspection{}, nil, err
	}
	for _, n := range nodes {
		if n.Planned != nil {
			s := n.Planned.Format(time.DateOnly)
			planned[n.Node] = &s
		}
	}
	for i := range checks {
		if _, ok := project.NodeNames[project.Node(checks[i].Node)]; !ok {
			v.Add("nodes", "invalid_node", "节点须为三通一平、主体开工、工程施工、竣工验收、投入使用之一", "unknown node")
		}
		checks[i].Planned = planned[checks[i].Node]
	}
	for _, f := range findings {
		if len([]rune(f.Description)) < 2 {
			v.Add("findings", "required", "每条发现问题须有描述", "each finding needs a description")
		}
		if f.Deadline.Before(in.VisitedOn) {
			v.Add("findings", "deadline_before_visit", "整改期限不能早于检查日期", "a deadline cannot be before the visit")
		}
	}
	if err := v.Err(); err != nil {
		return Inspection{}, nil, err
	}
	if checks == nil {
		checks = []NodeCheck{}
	}
	in.Nodes, _ = json.Marshal(checks)
	in.ID, in.ProjectID, in.RecordedBy = uuid.New(), p.ID, by
	if _, err := tx.NewInsert().Model(&in).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			return Inspection{}, nil, errs.E(errs.Conflict, "inspection_exists", "该项目本周已有督导检查记录", "this project already has an inspection this week")
		}
		return Inspection{}, nil, postgres.MapErr(err)
	}
	var raised []reportingdb.Problem
	for _, f := range findings {
		pr, err := reportingdb.RaiseProblem(ctx, tx, reportingdb.Problem{ProjectID: p.ID, Source: "inspection", Category: f.Category, Description: f.Description, RaisedBy: nil})
		if err != nil {
			return Inspection{}, nil, err
		}
		d := f.Deadline
		unit := f.AssignedUnitID
		if unit == nil {
			unit = &p.ResponsibleUnitID
		}
		if _, err := tx.ExecContext(ctx, "UPDATE problems SET level = 'office', deadline = ?, assigned_unit_id = ? WHERE id = ?", d, *unit, pr.ID); err != nil {
			return Inspection{}, nil, postgres.MapErr(err)
		}
		pr.Level, pr.Deadline, pr.AssignedUnitID = "office", &d, unit
		raised = append(raised, pr)
	}
	return in, raised, postgres.Audit(ctx, tx, audit.Entry{Action: "inspection.record", EntityType: "project", EntityID: p.ID.String(), After: in})
}

// InspectionRow is a project of a group's weekly list with its record, if any.
type InspectionRow struct {
	PlanEntry
	Inspection *Inspection `bun:"-" json:"inspection"`
}

// WeekInspections is each group's list for a week: the projects assigned to
// it and whether they were inspected (missing inspections are those without).
func WeekInspections(ctx context.Context, tx bun.IDB, week time.Time, groupID *uuid.UUID) ([]InspectionRow, error) {
	// The projects listed in the week with the group of their listing's year.
	var plan []PlanEntry
	err := tx.NewRaw(`SELECT p.id AS project_id, p.code AS project_code, p.name AS project_name, u.name AS unit_name, p.tags,
		  g.id AS group_id, g.number AS group_number, g.name AS group_name
		FROM `+reportingdb.ListedSQL+` l JOIN projects p ON p.id = l.project_id JOIN units u ON u.id = p.responsible_unit_id
		LEFT JOIN inspection_assignments a ON a.project_id = p.id AND a.year = l.year
		LEFT JOIN org_groups g ON g.id = a.group_id
		ORDER BY g.number NULLS LAST, p.code`, week, week.AddDate(0, 0, 6)).Scan(ctx, &plan)
	if err != nil {
		return nil, err
	}
	var recs []Inspection
	if err := tx.NewSelect().Model(&recs).Where("ins.week_start = ?", week).Scan(ctx); err != nil {
		return nil, err
	}
	byProject := map[uuid.UUID]*Inspection{}
	for i := range recs {
		byProject[recs[i].ProjectID] = &recs[i]
	}
	var out []InspectionRow
	for _, e := range plan {
		if e.GroupID == nil || (groupID != nil && *e.GroupID != *groupID) {
			continue
		}
		out = append(out, InspectionRow{PlanEntry: e, Inspection: byProject[e.ProjectID]})
	}
	return out, nil
}
