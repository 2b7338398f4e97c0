package supervisionapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

// Escalation is a row of the TV-questioning register (M1.3).
type Escalation struct {
	ID          uuid.UUID  `json:"id"`
	ProjectID   uuid.UUID  `json:"project_id"`
	ProjectCode string     `json:"project_code"`
	ProjectName string     `json:"project_name"`
	UnitName    string     `json:"unit_name"`
	Level       int        `json:"level" description:"1: 责任单位主要负责人; 2: 分包县级领导"`
	LevelName   string     `json:"level_name" description:"the level's one wording: 责任单位主要负责人 or 分包县级领导"`
	Role        string     `json:"role" enum:"responsible,chief"`
	PersonID    *uuid.UUID `json:"person_id" description:"null: nobody to name (the seat was empty and so was the substitute)"`
	NamedAs     string     `json:"named_as" enum:"seat,unit_head,group_leader" description:"seat: held the seat during the streak; unit_head: the responsible seat was empty, the unit's main head; group_leader: no county leader subcontracted the project, the leading group's leader"`
	HasAccount  bool       `json:"has_account" description:"false: the person has no account and must be told offline (无账号，请线下通知)"`
	PersonName  string     `json:"person_name"`
	PersonPost  string     `json:"person_post"`
	StreakStart string     `json:"streak_start" format:"date"`
	RaisedWeek  string     `json:"raised_week" format:"date"`
	Weeks       int        `json:"weeks"`
	Status      string     `json:"status" enum:"pending,scheduled,done,waived,withdrawn"`
	ScheduledOn *string    `json:"scheduled_on" format:"date"`
	Note        string     `json:"note"`
	WithdrawnAt *time.Time `json:"withdrawn_at" description:"when a correction of the weeks it rested on withdrew it"`
	// WithdrawnReason says which correction withdrew it.
	WithdrawnReason string `json:"withdrawn_reason"`
	Version         int    `json:"version"`
}

// EscalationDetail is an escalation with the evidence of its streak.
type EscalationDetail struct {
	Escalation Escalation     `json:"escalation"`
	Evidence   []EvidenceWeek `json:"evidence"`
}

// EvidenceWeek is one week of a streak: the report, its photos and the visits.
type EvidenceWeek struct {
	Week           string      `json:"week" format:"date"`
	ReportState    string      `json:"report_state" enum:"on_time,late,missing"`
	Progress       bool        `json:"progress"`
	ReportStatus   string      `json:"report_status"`
	ImageProgress  string      `json:"image_progress"`
	InvestmentYuan int64       `json:"investment_yuan"`
	Overridden     bool        `json:"overridden"`
	PhotoIDs       []uuid.UUID `json:"photo_ids"`
	Visits         int         `json:"visits"`
	VerifiedVisits int         `json:"verified_visits"`
}

// EscalationUpdate moves an escalation through the register.
type EscalationUpdate struct {
	Status      string  `json:"status" enum:"scheduled,done,waived"`
	ScheduledOn *string `json:"scheduled_on,omitempty" format:"date"`
	Note        string  `json:"note,omitempty"`
	Version     int     `json:"version"`
}

// WeekCloseInput names the week to close.
type WeekCloseInput struct {
	Week string `json:"week" format:"date" description:"星期一; its close time must have passed"`
}

// WeekCloseResult is what a week close found.
type WeekCloseResult struct {
	Week              string `json:"week" format:"date"`
	Projects          int    `json:"projects"`
	NoProgress        int    `json:"no_progress"`
	Missing           int    `json:"missing"`
	Late              int    `json:"late"`
	Stalled           int    `json:"stalled"`
	Escalations       int    `json:"escalations"`
	VisitShortfalls   int    `json:"visit_shortfalls"`
	OverdueProcedures int    `json:"overdue_procedures"`
	OverdueNodes      int    `json:"overdue_nodes"`
	OverdueProblems   int    `json:"overdue_problems"`
	Messages          int    `json:"messages"`
	// CaughtUp are the earlier weeks closed first (after downtime), oldest first.
	CaughtUp []WeekCloseResult `json:"caught_up,omitempty"`
	// Corrections are the changes made to the week after it closed.
	Corrections []WeekCorrection `json:"corrections,omitempty"`
}

// WeekCorrection is a project's week judged again after the week closed.
type WeekCorrection struct {
	At        time.Time  `json:"at"`
	ProjectID uuid.UUID  `json:"project_id"`
	Reason    string     `json:"reason"`
	Progress  bool       `json:"progress"`
	Streak    int        `json:"streak"`
	By        *uuid.UUID `json:"by,omitempty"`
}

func toWeekCloseAPI(r supervisiondb.WeekCloseResult) WeekCloseResult {
	out := WeekCloseResult{Week: r.Week, Projects: r.Projects, NoProgress: r.NoProgress, Missing: r.Missing, Late: r.Late, Stalled: r.Stalled,
		Escalations: r.Escalations, VisitShortfalls: r.VisitShortfalls, OverdueProcedures: r.OverdueProcedures, OverdueNodes: r.OverdueNodes,
		OverdueProblems: r.OverdueProblems, Messages: r.Messages}
	for _, c := range r.CaughtUp {
		out.CaughtUp = append(out.CaughtUp, toWeekCloseAPI(c))
	}
	for _, c := range r.Corrections {
		out.Corrections = append(out.Corrections, WeekCorrection(c))
	}
	return out
}

// Dashboard is the supervision overview: trend, stalled projects, compliance.
type Dashboard struct {
	LatestWeek *string          `json:"latest_week" format:"date"`
	Trend      []TrendWeek      `json:"trend"`
	Stalled    []StalledProject `json:"stalled"`
	Compliance []RoleCompliance `json:"compliance"`
	Open       int              `json:"open_escalations"`
}

// TrendWeek is one closed week.
type TrendWeek struct {
	Week        string `json:"week" format:"date"`
	Projects    int    `json:"projects"`
	NoProgress  int    `json:"no_progress"`
	Missing     int    `json:"missing"`
	Stalled     int    `json:"stalled"`
	Escalations int    `json:"escalations"`
}

// StalledProject is a project without substantive progress at the latest close.
type StalledProject struct {
	ProjectID uuid.UUID `json:"project_id"`
	Name      string    `json:"name"`
	UnitName  string    `json:"unit_name"`
	Streak    int       `json:"streak"`
}

// RoleCompliance is a seat's weekly site-presence compliance at the latest close.
type RoleCompliance struct {
	Role  string `json:"role" enum:"chief,assistant,responsible,helper"`
	Seats int    `json:"seats"`
	Met   int    `json:"met"`
}

func toEscalationAPI(e supervisiondb.Escalation) Escalation {
	return Escalation{ID: e.ID, ProjectID: e.ProjectID, ProjectCode: e.ProjectCode, ProjectName: e.ProjectName, UnitName: e.UnitName,
		Level: e.Level, LevelName: supervision.LevelName(e.Level), Role: e.Role, PersonID: e.PersonID, NamedAs: e.NamedAs, HasAccount: e.HasAccount, PersonName: e.PersonName, PersonPost: e.PersonPost,
		StreakStart: e.StreakStart.Format(time.DateOnly), RaisedWeek: e.RaisedWeek.Format(time.DateOnly), Weeks: e.Weeks,
		Status: e.Status, ScheduledOn: httpapi.DateString(e.ScheduledOn), Note: e.Note, WithdrawnAt: e.WithdrawnAt, WithdrawnReason: e.WithdrawnWhy, Version: e.Version}
}

func (s *API) listEscalations(r *httpapi.Req) (any, error) {
	f := supervisiondb.EscalationFilter{Status: r.C.QueryParam("status")}
	if l := r.C.QueryParam("level"); l != "" {
		f.Level, _ = strconv.Atoi(l)
	}
	var err error
	if f.ProjectID, err = httpapi.QueryUUID(r.C, "project_id"); err != nil {
		return nil, err
	}
	page, err := httpapi.PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	list, next, err := supervisiondb.ListEscalations(r.Ctx, r.Tx, f, s.Today(), page)
	return httpapi.NewList(httpapi.APIList(list, toEscalationAPI), next), err
}

func (s *API) getEscalation(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	e, err := supervisiondb.GetEscalation(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	ev, err := supervisiondb.EscalationEvidence(r.Ctx, r.Tx, e)
	out := EscalationDetail{Escalation: toEscalationAPI(e), Evidence: []EvidenceWeek{}}
	for _, w := range ev.Weeks {
		x := EvidenceWeek{Week: w.Week, ReportState: w.ReportState, Progress: w.Progress, PhotoIDs: w.PhotoIDs, Visits: w.Visits, VerifiedVisits: w.Verified}
		if w.Report != nil {
			x.ReportStatus, x.ImageProgress, x.InvestmentYuan, x.Overridden = w.Report.Status, w.Report.ImageProgress, w.Report.InvestmentYuan, w.Report.OverrideProgress != nil
		}
		out.Evidence = append(out.Evidence, x)
	}
	return out, err
}

func (s *API) updateEscalation(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in EscalationUpdate
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, httpapi.ErrVersionRequired
	}
	var d httpapi.Dates
	on := d.Opt("scheduled_on", in.ScheduledOn)
	if err := d.Err(); err != nil {
		return nil, err
	}
	e, err := supervisiondb.UpdateEscalation(r.Ctx, r.Tx, id, supervisiondb.EscalationChange{Status: in.Status, ScheduledOn: on, Note: in.Note, Version: in.Version}, s.Now())
	return toEscalationAPI(e), err
}

var errWeekNotOver = errs.E(errs.Conflict, "week_not_closed_yet", "该周尚未到结算时间，不能提前结算", "the week's close time has not come yet")

// closeWeek runs a week close now (the office, e.g. after the worker was down).
func (s *API) closeWeek(r *httpapi.Req) (any, error) {
	var in WeekCloseInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	week, err := reporting.ParseWeek(in.Week)
	if err != nil {
		return nil, err
	}
	rules, err := postgres.SettingsOn(r.Ctx, r.Tx, week)
	if err != nil {
		return nil, err
	}
	if s.Now().Before(supervision.CloseAt(week, rules.Values)) {
		return nil, errWeekNotOver
	}
	res, err := supervisiondb.CloseWeek(r.Ctx, r.Tx, week, s.Now())
	return toWeekCloseAPI(res), err
}

func (s *API) dashboard(r *httpapi.Req) (any, error) {
	weeks, err := httpapi.WeeksQuery(r.C, 12, 52)
	if err != nil {
		return nil, err
	}
	d, err := supervisiondb.SupervisionDashboard(r.Ctx, r.Tx, weeks)
	if err != nil {
		return nil, err
	}
	out := Dashboard{LatestWeek: httpapi.DateString(d.LatestWeek), Trend: []TrendWeek{}, Stalled: []StalledProject{}, Compliance: []RoleCompliance{}, Open: d.Open}
	for _, t := range d.Trend {
		out.Trend = append(out.Trend, TrendWeek{Week: t.Week.Format(time.DateOnly), Projects: t.Projects, NoProgress: t.NoProgress, Missing: t.Missing, Stalled: t.Stalled, Escalations: t.Escalations})
	}
	for _, p := range d.Stalled {
		out.Stalled = append(out.Stalled, StalledProject{ProjectID: p.ProjectID, Name: p.Name, UnitName: p.UnitName, Streak: p.Streak})
	}
	for _, c := range d.Compliance {
		out.Compliance = append(out.Compliance, RoleCompliance{Role: c.Role, Seats: c.Seats, Met: c.Met})
	}
	return out, nil
}

// supervisionRoutes are the supervision area's routes.
func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/escalations", Summary: "The TV-questioning register (M1.3), newest week first", Tag: "supervision", Roles: httpapi.RegisterRead, County: true, Query: append([]httpapi.Param{{Name: "status", Description: "pending | scheduled | done | waived | withdrawn", Type: "string"}, {Name: "level", Description: "1 | 2", Type: "integer"}, {Name: "project_id", Description: "项目", Type: "uuid"}}, httpapi.PageParams...), Resp: httpapi.List[Escalation]{}, Handler: s.listEscalations},
		{Method: http.MethodGet, Path: v1 + "/escalations/:id", Summary: "An escalation with the evidence of its streak (reports, photos, visits)", Tag: "supervision", Roles: httpapi.RegisterRead, County: true, Resp: EscalationDetail{}, Handler: s.getEscalation},
		{Method: http.MethodPut, Path: v1 + "/escalations/:id", Summary: "Schedule, record or waive (with a reason) a TV questioning", Tag: "supervision", Roles: httpapi.OfficeOnly, County: true, Body: EscalationUpdate{}, Resp: Escalation{}, Handler: s.updateEscalation},
		{Method: http.MethodPost, Path: v1 + "/supervision/week-close", Summary: "Close a week now (normally the worker does at the county's close time); idempotent", Tag: "supervision", Roles: httpapi.OfficeOnly, County: true, Body: WeekCloseInput{}, Resp: WeekCloseResult{}, Handler: s.closeWeek},
		{Method: http.MethodGet, Path: v1 + "/supervision/dashboard", Summary: "Stalled projects, the trend of weeks without progress, seat compliance", Tag: "supervision", Roles: httpapi.DeskRead, County: true, Query: []httpapi.Param{{Name: "weeks", Description: "最近周数 1-52，默认12", Type: "integer"}}, Resp: Dashboard{}, Handler: s.dashboard},
		{Method: http.MethodGet, Path: v1 + "/inspections/plan", Summary: "The joint inspection grouping plan of a year (M3.5)", Tag: "supervision", Roles: httpapi.DeskRead, County: true, Query: []httpapi.Param{{Name: "year", Description: "年度", Type: "integer"}}, Resp: []PlanEntry{}, Handler: s.inspectionPlan},
		{Method: http.MethodPut, Path: v1 + "/inspections/plan/:year/:projectId", Summary: "Put a project into an inspection group (百城提质 projects: group 6)", Tag: "supervision", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusNoContent, Body: PlanAssign{}, Handler: s.assignInspection},
		{Method: http.MethodPost, Path: v1 + "/inspections/plan/:year/auto", Summary: "Assign every unassigned project (百城提质 to group 6, the rest by unit to groups 1-5)", Tag: "supervision", Roles: httpapi.OfficeOnly, County: true, Resp: AutoPlanResult{}, Handler: s.autoPlan},
		{Method: http.MethodGet, Path: v1 + "/inspections", Summary: "Each group's list for a week with its records; a null record is a missing inspection", Tag: "supervision", Roles: httpapi.DeskRead, County: true, Query: []httpapi.Param{{Name: "week", Description: "周（星期一）", Type: "date"}, {Name: "group_id", Description: "督导组", Type: "uuid"}}, Resp: []InspectionRow{}, Handler: s.weekInspections},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/inspections", Summary: "Record a joint inspection: nodes as found, verified investment, findings (each becomes a problem with a deadline)", Tag: "supervision", Roles: httpapi.InspectW, County: true, Status: http.StatusCreated, Body: InspectionInput{}, Resp: InspectionRecord{}, Handler: s.recordInspection},
	}
}
