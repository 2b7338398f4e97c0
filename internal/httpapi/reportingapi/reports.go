package reportingapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

// WeeklyReport is a project's report of a week with its review state.
type WeeklyReport struct {
	ProjectID        uuid.UUID  `json:"project_id"`
	Week             string     `json:"week" format:"date"`
	Status           string     `json:"status" enum:"draft,submitted,confirmed,verified,returned"`
	Revision         int        `json:"revision"`
	ImageProgress    string     `json:"image_progress"`
	ImagePercent     int        `json:"image_percent"`
	NodesReached     []string   `json:"nodes_reached"`
	InvestmentYuan   int64      `json:"investment_yuan"`
	Workers          int        `json:"workers"`
	Machines         int        `json:"machines"`
	Problems         string     `json:"problems"`
	RuleProgress     *bool      `json:"rule_progress"`
	RuleReasons      []string   `json:"rule_reasons"`
	OverrideProgress *bool      `json:"override_progress"`
	OverrideReason   string     `json:"override_reason"`
	Progress         *bool      `json:"progress"`
	Late             bool       `json:"late"`
	Deadline         time.Time  `json:"deadline"`
	SubmittedAt      *time.Time `json:"submitted_at"`
	ConfirmedAt      *time.Time `json:"confirmed_at"`
	VerifiedAt       *time.Time `json:"verified_at"`
	ReturnComment    string     `json:"return_comment"`
	Version          int        `json:"version"`
}

// ReportInput is the helper's draft of a week.
type ReportInput struct {
	ImageProgress  string   `json:"image_progress"`
	ImagePercent   int      `json:"image_percent"`
	NodesReached   []string `json:"nodes_reached,omitempty"`
	InvestmentYuan int64    `json:"investment_yuan"`
	Workers        int      `json:"workers,omitempty"`
	Machines       int      `json:"machines,omitempty"`
	Problems       string   `json:"problems,omitempty"`
}

// ReviewInput carries the office's comment when returning a report.
type ReviewInput struct {
	Comment string `json:"comment,omitempty"`
}

// OverrideInput is the office's own decision on substantive progress.
type OverrideInput struct {
	Progress bool   `json:"progress"`
	Reason   string `json:"reason"`
}

// ReportRevision is a verified state of a report.
type ReportRevision struct {
	Revision  int       `json:"revision"`
	CreatedAt time.Time `json:"created_at"`
	Snapshot  any       `json:"snapshot"`
}

// GridRow is one project's weeks in the reporting grid.
type GridRow struct {
	ProjectID   uuid.UUID  `json:"project_id"`
	ProjectCode string     `json:"project_code"`
	ProjectName string     `json:"project_name"`
	UnitName    string     `json:"unit_name"`
	Cells       []GridCell `json:"cells"`
}

// GridCell is one week of a project: on_time, late, missing, draft,
// pending, or unlisted (not on the key list that week).
type GridCell struct {
	Week     string `json:"week" format:"date"`
	State    string `json:"state" enum:"on_time,late,missing,draft,pending,unlisted"`
	Status   string `json:"status"`
	Progress *bool  `json:"progress" description:"the week's substantive progress; null while the week is open or unlisted"`
}

// ReportGrid is a page of projects × weeks; NextCursor is empty on the last page.
type ReportGrid struct {
	Weeks      []string  `json:"weeks"`
	Rows       []GridRow `json:"rows"`
	NextCursor string    `json:"next_cursor"`
}

func (s *API) toReportAPI(r *httpapi.Req, x reportingdb.Report) (WeeklyReport, error) {
	rules, err := postgres.SettingsOn(r.Ctx, r.Tx, x.WeekStart)
	if err != nil {
		return WeeklyReport{}, err
	}
	nodes := x.NodesReached
	if nodes == nil {
		nodes = []string{}
	}
	reasons := x.RuleReasons
	if reasons == nil {
		reasons = []string{}
	}
	return WeeklyReport{ProjectID: x.ProjectID, Week: x.WeekStart.Format(time.DateOnly), Status: x.Status, Revision: x.Revision,
		ImageProgress: x.ImageProgress, ImagePercent: x.ImagePercent, NodesReached: nodes, InvestmentYuan: x.InvestmentYuan,
		Workers: x.Workers, Machines: x.Machines, Problems: x.Problems, RuleProgress: x.RuleProgress, RuleReasons: reasons,
		OverrideProgress: x.OverrideProgress, OverrideReason: x.OverrideReason, Progress: x.Progress(), Late: x.Late,
		Deadline: reporting.Deadline(x.WeekStart, rules.Values), SubmittedAt: x.SubmittedAt, ConfirmedAt: x.ConfirmedAt,
		VerifiedAt: x.VerifiedAt, ReturnComment: x.ReturnComment, Version: x.Version}, nil
}

func pathWeek(r *httpapi.Req) (time.Time, error) {
	w, err := reporting.ParseWeek(r.C.Param("week"))
	if err != nil {
		return time.Time{}, errs.ErrNotFound
	}
	return w, nil
}

// holdsSeat requires the caller to hold a task-force seat of the project in
// the report's week (on the week's last day, or today if earlier).
func (s *API) holdsSeat(r *httpapi.Req, p project.Project, role project.Role, week time.Time) error {
	day := week.AddDate(0, 0, 6)
	if t := s.Today(); t.Before(day) {
		day = t
	}
	if r.Session.PersonID != nil {
		as, err := postgres.TaskForceOn(r.Ctx, r.Tx, p.ID, day)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Role == role && a.PersonID == *r.Session.PersonID {
				return nil
			}
		}
	}
	return errs.E(errs.Forbidden, "not_your_seat", "只有本项目的"+project.RoleNames[role]+"可以进行此操作",
		"only this project's "+string(role)+" may do this")
}

func (s *API) reportTarget(r *httpapi.Req) (project.Project, time.Time, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return p, time.Time{}, err
	}
	w, err := pathWeek(r)
	if err == nil && w.After(reporting.WeekStart(s.Now())) {
		err = errs.E(errs.Invalid, "report_future_week", "不能填报尚未开始的周", "a week that has not begun cannot be reported")
	}
	return p, w, err
}

func (s *API) listReports(r *httpapi.Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	rs, err := reportingdb.ListReports(r.Ctx, r.Tx, p.ID)
	if err != nil {
		return nil, err
	}
	out := make([]WeeklyReport, 0, len(rs))
	for _, x := range rs {
		w, err := s.toReportAPI(r, x)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func (s *API) getReport(r *httpapi.Req) (any, error) {
	p, w, err := s.reportTarget(r)
	if err != nil {
		return nil, err
	}
	x, err := reportingdb.GetReport(r.Ctx, r.Tx, p.ID, w)
	if err != nil {
		return nil, err
	}
	return s.toReportAPI(r, x)
}

// seatStep runs one step of the flow that only a seat of the project may
// take (the helper drafts and submits, the responsible person confirms).
func (s *API) seatStep(role project.Role, step func(r *httpapi.Req, p project.Project, week time.Time) (reportingdb.Report, error)) func(*httpapi.Req) (any, error) {
	return func(r *httpapi.Req) (any, error) {
		p, w, err := s.reportTarget(r)
		if err != nil {
			return nil, err
		}
		if err := s.holdsSeat(r, p, role, w); err != nil {
			return nil, err
		}
		x, err := step(r, p, w)
		if err != nil {
			return nil, err
		}
		return s.toReportAPI(r, x)
	}
}

func (s *API) draftReport(r *httpapi.Req, p project.Project, w time.Time) (reportingdb.Report, error) {
	var in ReportInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return reportingdb.Report{}, err
	}
	c := reporting.Content{ImageProgress: in.ImageProgress, ImagePercent: in.ImagePercent, InvestmentYuan: in.InvestmentYuan,
		Workers: in.Workers, Machines: in.Machines, Problems: in.Problems}
	for _, n := range in.NodesReached {
		c.NodesReached = append(c.NodesReached, project.Node(n))
	}
	return reportingdb.SaveDraft(r.Ctx, r.Tx, p.ID, w, c, r.Session.AccountID)
}

func (s *API) submitReport(r *httpapi.Req, p project.Project, w time.Time) (reportingdb.Report, error) {
	return reportingdb.Submit(r.Ctx, r.Tx, p.ID, w, r.Session.AccountID, s.Now())
}

func (s *API) confirmReport(r *httpapi.Req, p project.Project, w time.Time) (reportingdb.Report, error) {
	return reportingdb.Transition(r.Ctx, r.Tx, p.ID, w, "confirm", r.Session.AccountID, "", s.Now())
}

func (s *API) reviewReport(action string) func(*httpapi.Req) (any, error) {
	return func(r *httpapi.Req) (any, error) {
		p, w, err := s.reportTarget(r)
		if err != nil {
			return nil, err
		}
		var in ReviewInput
		if action == "return" {
			if err := httpapi.BindJSON(r.C, &in); err != nil {
				return nil, err
			}
		}
		x, err := reportingdb.Transition(r.Ctx, r.Tx, p.ID, w, action, r.Session.AccountID, in.Comment, s.Now())
		if err != nil {
			return nil, err
		}
		return s.toReportAPI(r, x)
	}
}

func (s *API) overrideReport(r *httpapi.Req) (any, error) {
	p, w, err := s.reportTarget(r)
	if err != nil {
		return nil, err
	}
	var in OverrideInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	x, err := reportingdb.Override(r.Ctx, r.Tx, p.ID, w, in.Progress, in.Reason, r.Session.AccountID)
	if err != nil {
		return nil, err
	}
	// A closed week is closed again, with the later weeks that depend on it.
	c, err := supervisiondb.CorrectWeeks(r.Ctx, r.Tx, p.ID, w, in.Reason, &r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	rep, err := s.toReportAPI(r, x)
	if err != nil {
		return nil, err
	}
	out := OverrideResult{Report: rep}
	if c.Changed() {
		out.Correction = &c
	}
	return out, nil
}

// OverrideResult is the report as decided and, when its week had closed,
// what closing it again changed.
type OverrideResult struct {
	Report     WeeklyReport              `json:"report"`
	Correction *supervisiondb.Correction `json:"correction" description:"null: the week had not closed, or its close stands as it was"`
}

func (s *API) reportRevisions(r *httpapi.Req) (any, error) {
	p, w, err := s.reportTarget(r)
	if err != nil {
		return nil, err
	}
	x, err := reportingdb.GetReport(r.Ctx, r.Tx, p.ID, w)
	if err != nil {
		return nil, err
	}
	rvs, err := reportingdb.Revisions(r.Ctx, r.Tx, x.ID)
	out := make([]ReportRevision, len(rvs))
	for i, rv := range rvs {
		out[i] = ReportRevision{Revision: rv.Revision, CreatedAt: rv.CreatedAt, Snapshot: httpapi.RawJSON(rv.Snapshot)}
	}
	return out, err
}

// reportGrid answers projects × weeks (?from=<Monday>&weeks=N, default the
// last 8 weeks up to this one).
func (s *API) reportGrid(r *httpapi.Req) (any, error) {
	n, err := httpapi.WeeksQuery(r.C, 8, 26)
	if err != nil {
		return nil, err
	}
	from := reporting.WeekStart(s.Now()).AddDate(0, 0, -7*(n-1))
	if q := r.C.QueryParam("from"); q != "" {
		w, err := reporting.ParseWeek(q)
		if err != nil {
			return nil, err
		}
		from = w
	}
	weeks := make([]time.Time, n)
	out := ReportGrid{Weeks: make([]string, n), Rows: []GridRow{}}
	for i := range weeks {
		weeks[i] = from.AddDate(0, 0, 7*i)
		out.Weeks[i] = weeks[i].Format(time.DateOnly)
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	page, err := httpapi.PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	projects, cells, next, err := reportingdb.Grid(r.Ctx, r.Tx, weeks, s.Now(), sc, page)
	if err != nil {
		return nil, err
	}
	out.NextCursor = next
	rows := map[uuid.UUID]*GridRow{}
	for _, p := range projects {
		out.Rows = append(out.Rows, GridRow{ProjectID: p.ProjectID, ProjectCode: p.Code, ProjectName: p.Name, UnitName: p.UnitName, Cells: []GridCell{}})
	}
	for i := range out.Rows {
		rows[out.Rows[i].ProjectID] = &out.Rows[i]
	}
	for _, c := range cells {
		row := rows[c.ProjectID]
		row.Cells = append(row.Cells, GridCell{Week: c.Week.Format(time.DateOnly), State: string(c.State), Status: c.Status, Progress: c.Progress})
	}
	return out, nil
}

// QueuedReport is a report waiting for review, with its project's name.
type QueuedReport struct {
	Report      WeeklyReport `json:"report"`
	ProjectName string       `json:"project_name"`
}

func (s *API) reportQueue(r *httpapi.Req) (any, error) {
	status := r.C.QueryParam("status")
	if status == "" {
		status = string(reporting.Confirmed)
	}
	switch reporting.Status(status) {
	case reporting.Submitted, reporting.Confirmed, reporting.Returned, reporting.Draft, reporting.Verified:
	default:
		var v errs.Validation
		v.Add("status", "invalid_status", "状态筛选无效", "unknown status filter")
		return nil, v.Err()
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	page, err := httpapi.PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	items, next, err := reportingdb.ReportsByStatus(r.Ctx, r.Tx, status, sc, s.Today(), page)
	if err != nil {
		return nil, err
	}
	out := make([]QueuedReport, 0, len(items))
	for _, it := range items {
		w, err := s.toReportAPI(r, it.Report)
		if err != nil {
			return nil, err
		}
		out = append(out, QueuedReport{Report: w, ProjectName: it.ProjectName})
	}
	return httpapi.NewList(out, next), nil
}

// reportingRoutes are the reporting area's routes.
func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/projects/:id/reports", Summary: "A project's weekly reports, newest week first", Tag: "reports", Roles: httpapi.CountyRead, County: true, Resp: []WeeklyReport{}, Handler: s.listReports},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/reports/:week", Summary: "A project's report of a week (given by its Monday)", Tag: "reports", Roles: httpapi.CountyRead, County: true, Resp: WeeklyReport{}, Handler: s.getReport},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/reports/:week", Summary: "Save the week's draft (the project's helper)", Tag: "reports", Roles: httpapi.FieldWrite, County: true, Body: ReportInput{}, Resp: WeeklyReport{}, Handler: s.seatStep(project.RoleHelper, s.draftReport)},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/submit", Summary: "Submit the draft; the rules decide substantive progress; late after the deadline (the helper)", Tag: "reports", Roles: httpapi.FieldWrite, County: true, Resp: WeeklyReport{}, Handler: s.seatStep(project.RoleHelper, s.submitReport)},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/confirm", Summary: "Confirm the submitted report (the responsible person)", Tag: "reports", Roles: httpapi.FieldWrite, County: true, Resp: WeeklyReport{}, Handler: s.seatStep(project.RoleResponsible, s.confirmReport)},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/verify", Summary: "Verify a confirmed report (office); keeps a revision", Tag: "reports", Roles: httpapi.OfficeOnly, County: true, Resp: WeeklyReport{}, Handler: s.reviewReport("verify")},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/return", Summary: "Return a report with a comment (office)", Tag: "reports", Roles: httpapi.OfficeOnly, County: true, Body: ReviewInput{}, Resp: WeeklyReport{}, Handler: s.reviewReport("return")},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/override", Summary: "Decide substantive progress with a reason (office, audited)", Tag: "reports", Roles: httpapi.OfficeOnly, County: true, Body: OverrideInput{}, Resp: OverrideResult{}, Handler: s.overrideReport},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/reports/:week/revisions", Summary: "The verified revisions of a report", Tag: "reports", Roles: httpapi.CountyRead, County: true, Resp: []ReportRevision{}, Handler: s.reportRevisions},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/visits", Summary: "Check in at the site with the phone's location (a task-force member of the project)", Tag: "reports", Roles: httpapi.FieldWrite, County: true, Status: http.StatusCreated, Body: VisitInput{}, Resp: Visit{}, Handler: s.recordVisit},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/visits", Summary: "A project's site visits of a week (default this week)", Tag: "reports", Roles: httpapi.CountyRead, County: true, Query: []httpapi.Param{{Name: "week", Description: "周（星期一）", Type: "date"}}, Resp: []Visit{}, Handler: s.listVisits},
		{Method: http.MethodGet, Path: v1 + "/visits/compliance", Summary: "Each seat of a page of the projects listed in the week: verified visits against the minimum (M2.2)", Tag: "reports", Roles: httpapi.CountyRead, County: true, Query: append([]httpapi.Param{{Name: "week", Description: "周（星期一）", Type: "date"}}, httpapi.PageParams...), Resp: httpapi.List[ComplianceRow]{}, Handler: s.visitCompliance},
		{Method: http.MethodGet, Path: v1 + "/problems", Summary: "Problems (field roles: their projects'), most urgent first", Tag: "reports", Roles: httpapi.CountyRead, County: true, Query: []httpapi.Param{{Name: "project_id", Description: "项目", Type: "uuid"}, {Name: "status", Description: "open | in_progress | resolved | closed", Type: "string"}, {Name: "overdue", Description: "true: 只看逾期", Type: "string"}}, Resp: []Problem{}, Handler: s.listProblems},
		{Method: http.MethodGet, Path: v1 + "/problems/:id", Summary: "Get a problem", Tag: "reports", Roles: httpapi.CountyRead, County: true, Resp: Problem{}, Handler: s.getProblem},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/problems", Summary: "Raise a problem of a project", Tag: "reports", Roles: httpapi.ProblemRaise, County: true, Status: http.StatusCreated, Body: ProblemInput{}, Resp: Problem{}, Handler: s.raiseProblem},
		{Method: http.MethodPut, Path: v1 + "/problems/:id", Summary: "Take a problem to a level, assign it with a deadline, resolve it (office)", Tag: "reports", Roles: httpapi.OfficeOnly, County: true, Body: ProblemUpdate{}, Resp: Problem{}, Handler: s.handleProblem},
		{Method: http.MethodGet, Path: v1 + "/reports", Summary: "Reports of a status across projects (default confirmed: the office's review queue)", Tag: "reports", Roles: httpapi.DeskRead, County: true, Query: append([]httpapi.Param{{Name: "status", Description: "draft | submitted | confirmed | verified | returned", Type: "string"}}, httpapi.PageParams...), Resp: httpapi.List[QueuedReport]{}, Handler: s.reportQueue},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/photos", Summary: "Add a site photo to a week (JPEG/PNG by content; pixel limit before decoding; EXIF kept restricted)", Tag: "reports", Roles: httpapi.ProblemRaise, County: true, Status: http.StatusCreated, Upload: "image/jpeg,image/png", Query: []httpapi.Param{{Name: "week", Description: "周（星期一），默认本周", Type: "date"}}, Resp: Photo{}, Handler: s.uploadPhoto},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/photos", Summary: "A project's photos of a week, with short-lived URLs", Tag: "reports", Roles: httpapi.CountyRead, County: true, Query: []httpapi.Param{{Name: "week", Description: "周（星期一）", Type: "date"}}, Resp: []Photo{}, Handler: s.listPhotos},
		{Method: http.MethodGet, Path: v1 + "/photos/duplicates", Summary: "Photos whose bytes were uploaded before (office)", Tag: "reports", Roles: httpapi.OfficeOnly, County: true, Query: httpapi.PageParams, Resp: httpapi.List[Photo]{}, Handler: s.duplicatePhotos},
		{Method: http.MethodGet, Path: v1 + "/photos/:id/:variant", Summary: "A photo by its signed, short-lived URL (display, thumb; original for the office)", Tag: "reports", Roles: httpapi.CountyRead, County: true, Query: []httpapi.Param{{Name: "exp", Description: "过期时间", Type: "integer"}, {Name: "sig", Description: "签名", Type: "string"}}, Download: "image/jpeg,image/png", Handler: s.servePhoto},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/monthly/:year", Summary: "A year's monthly figures against the monthly targets (M4.4)", Tag: "reports", Roles: httpapi.CountyRead, County: true, Resp: MonthlyView{}, Handler: s.monthlyView},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/monthly/:year/:month", Summary: "Report or correct a month's figures (the project's helper or responsible person, or the office); a correction clears verification", Tag: "reports", Roles: httpapi.MonthlyWrite, County: true, Body: MonthlyInput{}, Resp: MonthlyView{}, Handler: s.putMonthly},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/monthly/:year/:month/verify", Summary: "Mark a month's figures verified (the Statistics Bureau)", Tag: "reports", Roles: []authz.Role{authz.Statistics}, County: true, Resp: MonthlyView{}, Handler: s.verifyMonthly},
		{Method: http.MethodGet, Path: v1 + "/reports/grid", Summary: "A page of the projects listed in the weeks × weeks: on time, late, missing, unlisted, substantive progress", Tag: "reports", Roles: httpapi.DeskRead, County: true, Query: append([]httpapi.Param{{Name: "from", Description: "起始周（星期一）", Type: "date"}, {Name: "weeks", Description: "周数 1-26", Type: "integer"}}, httpapi.PageParams...), Resp: ReportGrid{}, Handler: s.reportGrid},
	}
}
