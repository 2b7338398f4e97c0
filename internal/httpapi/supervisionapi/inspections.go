package supervisionapi

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/reportingapi"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

// PlanEntry is a listed project and its joint inspection group (M3.5).
type PlanEntry struct {
	ProjectID   uuid.UUID  `json:"project_id"`
	ProjectCode string     `json:"project_code"`
	ProjectName string     `json:"project_name"`
	UnitName    string     `json:"unit_name"`
	Tags        []string   `json:"tags"`
	GroupID     *uuid.UUID `json:"group_id"`
	GroupNumber *int       `json:"group_number"`
	GroupName   *string    `json:"group_name"`
}

// PlanAssign puts a project into a group.
type PlanAssign struct {
	GroupID uuid.UUID `json:"group_id"`
}

// AutoPlanResult says how many projects the automatic plan assigned.
type AutoPlanResult struct {
	Assigned int `json:"assigned"`
}

// InspectionRow is a project of a group's weekly list and its record (null: not inspected yet).
type InspectionRow struct {
	Project    PlanEntry         `json:"project"`
	Inspection *InspectionRecord `json:"inspection"`
}

// InspectionRecord is a joint inspection of a project in a week.
type InspectionRecord struct {
	ID                     uuid.UUID              `json:"id"`
	ProjectID              uuid.UUID              `json:"project_id"`
	GroupID                uuid.UUID              `json:"group_id"`
	Week                   string                 `json:"week" format:"date"`
	VisitedOn              string                 `json:"visited_on" format:"date"`
	Nodes                  []NodeSeen             `json:"nodes"`
	VerifiedInvestmentYuan int64                  `json:"verified_investment_yuan"`
	Findings               string                 `json:"findings"`
	CreatedAt              time.Time              `json:"created_at"`
	Problems               []reportingapi.Problem `json:"problems"`
}

// NodeSeen is a node's state as found against its plan.
type NodeSeen struct {
	Node    string  `json:"node" enum:"site_ready,main_start,construction,acceptance,in_use"`
	Planned *string `json:"planned,omitempty" format:"date"`
	Reached bool    `json:"reached"`
	Note    string  `json:"note,omitempty"`
}

// FindingProblem is a finding to be fixed by a deadline (it becomes a problem).
type FindingProblem struct {
	Category       string     `json:"category" enum:"land,funding,approvals,power,relocation,other"`
	Description    string     `json:"description"`
	Deadline       string     `json:"deadline" format:"date"`
	AssignedUnitID *uuid.UUID `json:"assigned_unit_id,omitempty"`
}

// InspectionInput records an inspection.
type InspectionInput struct {
	Week                   string           `json:"week" format:"date"`
	VisitedOn              string           `json:"visited_on" format:"date"`
	Nodes                  []NodeSeen       `json:"nodes"`
	VerifiedInvestmentYuan int64            `json:"verified_investment_yuan"`
	Findings               string           `json:"findings"`
	Problems               []FindingProblem `json:"problems"`
}

func toGroupingAPI(e supervisiondb.PlanEntry) PlanEntry {
	tags := e.Tags
	if tags == nil {
		tags = []string{}
	}
	return PlanEntry{ProjectID: e.ProjectID, ProjectCode: e.ProjectCode, ProjectName: e.ProjectName, UnitName: e.UnitName, Tags: tags,
		GroupID: e.GroupID, GroupNumber: e.GroupNumber, GroupName: e.GroupName}
}

func toInspectionAPI(in supervisiondb.Inspection) *InspectionRecord {
	var nodes []NodeSeen
	_ = json.Unmarshal(in.Nodes, &nodes)
	if nodes == nil {
		nodes = []NodeSeen{}
	}
	return &InspectionRecord{ID: in.ID, ProjectID: in.ProjectID, GroupID: in.GroupID, Week: in.WeekStart.Format(time.DateOnly),
		VisitedOn: in.VisitedOn.Format(time.DateOnly), Nodes: nodes, VerifiedInvestmentYuan: in.VerifiedInvestmentYuan,
		Findings: in.Findings, CreatedAt: in.CreatedAt, Problems: []reportingapi.Problem{}}
}

func (s *API) inspectionPlan(r *httpapi.Req) (any, error) {
	year, err := s.YearQuery(r)
	if err != nil {
		return nil, err
	}
	plan, err := supervisiondb.InspectionPlan(r.Ctx, r.Tx, year)
	return httpapi.APIList(plan, toGroupingAPI), err
}

func (s *API) assignInspection(r *httpapi.Req) (any, error) {
	year, err := httpapi.PathYear(r.C)
	if err != nil {
		return nil, err
	}
	projectID, err := httpapi.PathID(r.C, "projectId")
	if err != nil {
		return nil, err
	}
	var in PlanAssign
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	return nil, supervisiondb.AssignInspection(r.Ctx, r.Tx, year, projectID, in.GroupID)
}

func (s *API) autoPlan(r *httpapi.Req) (any, error) {
	year, err := httpapi.PathYear(r.C)
	if err != nil {
		return nil, err
	}
	n, err := supervisiondb.AutoPlan(r.Ctx, r.Tx, year)
	return AutoPlanResult{Assigned: n}, err
}

func (s *API) weekInspections(r *httpapi.Req) (any, error) {
	week, err := s.WeekQuery(r)
	if err != nil {
		return nil, err
	}
	group, err := httpapi.QueryUUID(r.C, "group_id")
	if err != nil {
		return nil, err
	}
	rows, err := supervisiondb.WeekInspections(r.Ctx, r.Tx, week, group)
	out := make([]InspectionRow, len(rows))
	for i, x := range rows {
		out[i] = InspectionRow{Project: toGroupingAPI(x.PlanEntry)}
		if x.Inspection != nil {
			out[i].Inspection = toInspectionAPI(*x.Inspection)
		}
	}
	return out, err
}

var errNotYourGroup = errs.E(errs.Forbidden, "not_inspection_member", "您不是该项目所属督导组的成员", "you are not a member of this project's inspection group")

// recordInspection stores a group's inspection of a project; an inspector
// must belong to the project's group, the office may record for any.
func (s *API) recordInspection(r *httpapi.Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	var in InspectionInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	week, err := reporting.ParseWeek(in.Week)
	if err != nil {
		return nil, err
	}
	var d httpapi.Dates
	visited := d.Req("visited_on", in.VisitedOn)
	var findings []supervisiondb.FindingInput
	for _, f := range in.Problems {
		findings = append(findings, supervisiondb.FindingInput{Category: f.Category, Description: f.Description,
			Deadline: d.Req("problems.deadline", f.Deadline), AssignedUnitID: f.AssignedUnitID})
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	group, err := supervisiondb.InspectionGroupOf(r.Ctx, r.Tx, week.Year(), p.ID)
	if err != nil {
		return nil, err
	}
	if group == nil {
		return nil, errs.E(errs.Conflict, "not_in_plan", "该项目尚未编入督导分组方案", "the project is not in the inspection plan")
	}
	if !s.IsOffice(r) {
		member := false
		if r.Session.PersonID != nil {
			member, err = r.Tx.NewSelect().Table("org_group_members").Where("group_id = ? AND person_id = ?", *group, *r.Session.PersonID).Exists(r.Ctx)
			if err != nil {
				return nil, err
			}
		}
		if !member {
			return nil, errNotYourGroup
		}
	}
	checks := make([]supervisiondb.NodeCheck, len(in.Nodes))
	for i, n := range in.Nodes {
		checks[i] = supervisiondb.NodeCheck{Node: n.Node, Reached: n.Reached, Note: n.Note}
	}
	rec, problems, err := supervisiondb.RecordInspection(r.Ctx, r.Tx, p, supervisiondb.Inspection{GroupID: *group, WeekStart: week, VisitedOn: visited,
		VerifiedInvestmentYuan: in.VerifiedInvestmentYuan, Findings: in.Findings}, checks, findings, r.Session.PersonID)
	if err != nil {
		return nil, err
	}
	out := toInspectionAPI(rec)
	for _, pr := range problems {
		pr.ProjectName = p.Name
		out.Problems = append(out.Problems, reportingapi.ToProblemAPI(pr, s.Today()))
	}
	return out, nil
}
