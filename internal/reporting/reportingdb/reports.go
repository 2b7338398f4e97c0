package reportingdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/settings"
)

// Report is a project's weekly report as stored.
type Report struct {
	bun.BaseModel    `bun:"table:weekly_reports,alias:wr"`
	ID               uuid.UUID  `bun:"id,pk,type:uuid" json:"id"`
	CountyID         uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	ProjectID        uuid.UUID  `bun:"project_id,type:uuid" json:"project_id"`
	WeekStart        time.Time  `bun:"week_start,type:date" json:"week_start"`
	Status           string     `bun:"status" json:"status"`
	Revision         int        `bun:"revision" json:"revision"`
	ImageProgress    string     `bun:"image_progress" json:"image_progress"`
	ImagePercent     int        `bun:"image_percent" json:"image_percent"`
	NodesReached     []string   `bun:"nodes_reached,array" json:"nodes_reached"`
	InvestmentYuan   int64      `bun:"investment_yuan" json:"investment_yuan"`
	Workers          int        `bun:"workers" json:"workers"`
	Machines         int        `bun:"machines" json:"machines"`
	Problems         string     `bun:"problems" json:"problems"`
	RuleProgress     *bool      `bun:"rule_progress" json:"rule_progress"`
	RuleReasons      []string   `bun:"rule_reasons,array" json:"rule_reasons"`
	OverrideProgress *bool      `bun:"override_progress" json:"override_progress"`
	OverrideReason   string     `bun:"override_reason" json:"override_reason"`
	OverrideBy       *uuid.UUID `bun:"override_by,type:uuid" json:"override_by"`
	Late             bool       `bun:"late" json:"late"`
	DraftedBy        *uuid.UUID `bun:"drafted_by,type:uuid" json:"drafted_by"`
	SubmittedAt      *time.Time `bun:"submitted_at" json:"submitted_at"`
	SubmittedBy      *uuid.UUID `bun:"submitted_by,type:uuid" json:"submitted_by"`
	ConfirmedAt      *time.Time `bun:"confirmed_at" json:"confirmed_at"`
	ConfirmedBy      *uuid.UUID `bun:"confirmed_by,type:uuid" json:"confirmed_by"`
	VerifiedAt       *time.Time `bun:"verified_at" json:"verified_at"`
	VerifiedBy       *uuid.UUID `bun:"verified_by,type:uuid" json:"verified_by"`
	ReturnComment    string     `bun:"return_comment" json:"return_comment"`
	Version          int        `bun:"version" json:"version"`
	UpdatedAt        time.Time  `bun:"updated_at,nullzero,default:now()" json:"updated_at"`
}

// Progress is the week's substantive progress: the office's override if
// any, else the rules' determination; nil before submission.
func (r Report) Progress() *bool {
	if r.OverrideProgress != nil {
		return r.OverrideProgress
	}
	return r.RuleProgress
}

// Revision is a verified state of a report.
type Revision struct {
	bun.BaseModel `bun:"table:weekly_report_revisions,alias:rv"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ReportID      uuid.UUID       `bun:"report_id,type:uuid"`
	Revision      int             `bun:"revision"`
	Snapshot      json.RawMessage `bun:"snapshot,type:jsonb"`
	CreatedAt     time.Time       `bun:"created_at,nullzero,default:now()"`
}

var (
	errReportInReview = errs.E(errs.Conflict, "report_in_review", "周报正在审核中，不能修改；如需修改请由重点项目办退回", "the report is under review; the office must return it before it can change")
	errOwnReport      = errs.E(errs.Forbidden, "own_report", "不能确认或审核本人报送、确认的周报", "nobody confirms or verifies a report they submitted or confirmed")
	errWrongState     = errs.E(errs.Conflict, "report_wrong_state", "周报当前状态不允许此操作", "the report's state does not allow this")
)

// GetReport returns a project's report of a week.
func GetReport(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time) (Report, error) {
	var r Report
	err := tx.NewSelect().Model(&r).Where("wr.project_id = ? AND wr.week_start = ?", projectID, week).Scan(ctx)
	return r, postgres.MapErr(err)
}

// ListReports lists a project's reports, newest week first.
func ListReports(ctx context.Context, tx bun.IDB, projectID uuid.UUID) ([]Report, error) {
	out := []Report{}
	return out, tx.NewSelect().Model(&out).Where("wr.project_id = ?", projectID).OrderExpr("wr.week_start DESC").Scan(ctx)
}

func (r *Report) apply(c reporting.Content) {
	r.ImageProgress, r.ImagePercent, r.InvestmentYuan = c.ImageProgress, c.ImagePercent, c.InvestmentYuan
	r.Workers, r.Machines, r.Problems = c.Workers, c.Machines, c.Problems
	r.NodesReached = make([]string, len(c.NodesReached))
	for i, n := range c.NodesReached {
		r.NodesReached[i] = string(n)
	}
}

func (r Report) content() reporting.Content {
	c := reporting.Content{ImageProgress: r.ImageProgress, ImagePercent: r.ImagePercent, InvestmentYuan: r.InvestmentYuan,
		Workers: r.Workers, Machines: r.Machines, Problems: r.Problems}
	for _, n := range r.NodesReached {
		c.NodesReached = append(c.NodesReached, project.Node(n))
	}
	return c
}

func saveReport(ctx context.Context, tx bun.IDB, r *Report, before *Report, action string) error {
	if before == nil {
		r.ID, r.Version = uuid.New(), 1
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return postgres.MapErr(err)
		}
	} else {
		res, err := tx.NewUpdate().Model(r).ExcludeColumn("id", "county_id", "project_id", "week_start", "version", "updated_at").
			Set("version = version + 1").Set("updated_at = now()").Where("wr.id = ? AND wr.version = ?", r.ID, before.Version).Exec(ctx)
		if err != nil {
			return postgres.MapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.ErrVersionConflict
		}
		r.Version = before.Version + 1
	}
	var b any
	if before != nil {
		b = before
	}
	return postgres.Audit(ctx, tx, audit.Entry{Action: "report." + action, EntityType: "project", EntityID: r.ProjectID.String(), Before: b, After: r})
}

// SaveDraft writes the helper's draft. A verified report changed again
// becomes a draft of the next revision; a report under review cannot change.
func SaveDraft(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time, c reporting.Content, by uuid.UUID) (Report, error) {
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	cur, err := GetReport(ctx, tx, projectID, week)
	var before *Report
	switch {
	case errs.KindOf(err) == errs.NotFound:
		cur = Report{ProjectID: projectID, WeekStart: week, Status: string(reporting.Draft), Revision: 1}
	case err != nil:
		return Report{}, err
	default:
		b := cur
		before = &b
		switch reporting.Status(cur.Status) {
		case reporting.Submitted, reporting.Confirmed:
			return Report{}, errReportInReview
		case reporting.Verified:
			cur.Revision++
			cur.RuleProgress, cur.RuleReasons, cur.SubmittedAt, cur.SubmittedBy = nil, []string{}, nil, nil
			cur.ConfirmedAt, cur.ConfirmedBy, cur.VerifiedAt, cur.VerifiedBy = nil, nil, nil, nil
		}
	}
	cur.apply(c)
	cur.Status, cur.DraftedBy = string(reporting.Draft), &by
	if cur.RuleReasons == nil {
		cur.RuleReasons = []string{}
	}
	return cur, saveReport(ctx, tx, &cur, before, "draft")
}

// Submit sends a draft for confirmation: the rules decide substantive
// progress (against the previous week's image progress) and a report after
// the county's deadline is marked late.
func Submit(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time, by uuid.UUID, now time.Time) (Report, error) {
	cur, err := GetReport(ctx, tx, projectID, week)
	if err != nil {
		return Report{}, err
	}
	if s := reporting.Status(cur.Status); s != reporting.Draft && s != reporting.Returned {
		return Report{}, errWrongState
	}
	c := cur.content()
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	rules, err := postgres.SettingsOn(ctx, tx, week)
	if err != nil {
		return Report{}, err
	}
	photos, err := tx.NewSelect().Model((*Photo)(nil)).Where("project_id = ? AND week_start = ? AND observation_id IS NULL", projectID, week).Count(ctx)
	if err != nil {
		return Report{}, err
	}
	if need := rules.Values.MinPhotosPerReport; int(photos) < need {
		return Report{}, errs.E(errs.Invalid, "too_few_photos",
			fmt.Sprintf("本周已上传%d张现场照片，至少需要%d张", photos, need), fmt.Sprintf("%d site photos this week; at least %d are needed", photos, need))
	}
	baseline, err := imageBaseline(ctx, tx, projectID, week)
	if err != nil {
		return Report{}, err
	}
	d := reporting.Determine(c, baseline, rules.Values)
	before := cur
	t := now
	cur.Status, cur.SubmittedAt, cur.SubmittedBy = string(reporting.Submitted), &t, &by
	cur.RuleProgress, cur.RuleReasons = &d.Progress, append([]string{}, d.Reasons...)
	if before.Status == string(reporting.Draft) && before.Revision == 1 {
		// Timeliness is the first submission's: a resubmission after a
		// return, or a correction of a verified report, keeps it.
		cur.Late = now.After(reporting.Deadline(week, rules.Values))
	}
	cur.ReturnComment = ""
	return cur, saveReport(ctx, tx, &cur, &before, "submit")
}

// imageBaseline finds what a week's report is measured against (see
// reporting.Baseline): the latest earlier submitted report, within the
// project's listing covering the week or of any year, and the image
// progress recorded when it was listed.
func imageBaseline(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time) (*int, error) {
	listing, err := ListingOf(ctx, tx, projectID, week, week.AddDate(0, 0, 6))
	if err != nil {
		return nil, err
	}
	var inListing, atListing, anyYear *int
	var last Report
	err = tx.NewSelect().Model(&last).Where("wr.project_id = ? AND wr.week_start < ? AND wr.status <> 'draft'", projectID, week).
		OrderExpr("wr.week_start DESC").Limit(1).Scan(ctx)
	switch {
	case err == nil:
		anyYear = &last.ImagePercent
		if listing != nil && !last.WeekStart.Before(reporting.WeekStart(listing.AddedOn)) {
			inListing = &last.ImagePercent
		}
	case !postgres.IsNotFound(err):
		return nil, err
	}
	if listing != nil {
		atListing = listing.BaselineImagePercent
	}
	return reporting.Baseline(inListing, atListing, anyYear), nil
}

// Transition moves a report along the flow: confirm (by the responsible
// person), verify (office; keeps a revision) or return (office, with a comment).
func Transition(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time, action string, by uuid.UUID, comment string, now time.Time) (Report, error) {
	cur, err := GetReport(ctx, tx, projectID, week)
	if err != nil {
		return Report{}, err
	}
	before := cur
	t := now
	// Nobody confirms what they submitted or verifies what they submitted
	// or confirmed (M2.3: the helper reports, the responsible person
	// confirms, the office verifies), not even through a second account.
	if action == "confirm" || action == "verify" {
		mine := []*uuid.UUID{cur.SubmittedBy}
		if action == "verify" {
			mine = append(mine, cur.ConfirmedBy)
		}
		for _, a := range mine {
			same, err := postgres.SamePerson(ctx, tx, a, by)
			if err != nil {
				return Report{}, err
			}
			if same {
				return Report{}, errOwnReport
			}
		}
	}
	switch {
	case action == "confirm" && cur.Status == string(reporting.Submitted):
		cur.Status, cur.ConfirmedAt, cur.ConfirmedBy = string(reporting.Confirmed), &t, &by
	case action == "verify" && cur.Status == string(reporting.Confirmed):
		cur.Status, cur.VerifiedAt, cur.VerifiedBy = string(reporting.Verified), &t, &by
	case action == "return" && (cur.Status == string(reporting.Submitted) || cur.Status == string(reporting.Confirmed)):
		if comment == "" {
			var v errs.Validation
			v.Add("comment", "required", "退回须说明原因", "a return needs a comment")
			return Report{}, v.Err()
		}
		cur.Status, cur.ReturnComment = string(reporting.Returned), comment
	default:
		return Report{}, errWrongState
	}
	if err := saveReport(ctx, tx, &cur, &before, action); err != nil {
		return Report{}, err
	}
	if action == "verify" {
		snap, _ := json.Marshal(cur)
		rv := Revision{ID: uuid.New(), ReportID: cur.ID, Revision: cur.Revision, Snapshot: snap}
		if _, err := tx.NewInsert().Model(&rv).Exec(ctx); err != nil {
			return Report{}, postgres.MapErr(err)
		}
	}
	return cur, nil
}

// Override sets the office's decision on substantive progress, with a reason (audited).
func Override(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time, progress bool, reason string, by uuid.UUID) (Report, error) {
	if reason == "" {
		var v errs.Validation
		v.Add("reason", "required", "更改实质进度认定须说明理由", "an override needs a reason")
		return Report{}, v.Err()
	}
	cur, err := GetReport(ctx, tx, projectID, week)
	if err != nil {
		return Report{}, err
	}
	if cur.Status == string(reporting.Draft) {
		return Report{}, errWrongState
	}
	before := cur
	cur.OverrideProgress, cur.OverrideReason, cur.OverrideBy = &progress, reason, &by
	return cur, saveReport(ctx, tx, &cur, &before, "override")
}

// Revisions lists a report's verified states, newest first.
func Revisions(ctx context.Context, tx bun.IDB, reportID uuid.UUID) ([]Revision, error) {
	out := []Revision{}
	return out, tx.NewSelect().Model(&out).Where("rv.report_id = ?", reportID).OrderExpr("rv.revision DESC").Scan(ctx)
}

// Facts is what the rules need of the report (see reporting.WeekState and
// reporting.Progress).
func (r Report) Facts() *reporting.Facts {
	return &reporting.Facts{Status: reporting.Status(r.Status), Late: r.Late, RuleProgress: r.RuleProgress, OverrideProgress: r.OverrideProgress}
}

// GridCell is one project's week in the reporting grid.
type GridCell struct {
	ProjectID uuid.UUID
	Week      time.Time
	State     reporting.State
	Status    string // the report's status, "" without one
	Progress  *bool  // the week's substantive progress; nil while it is open or unlisted
}

// Grid is the reporting grid: a page of the projects listed in any of weeks
// (within scope, by code) and, for each project and week, the state and the
// substantive progress decided by the rules at now. A week a project was
// not listed in is unlisted; a removed project keeps its listed weeks.
func Grid(ctx context.Context, tx bun.IDB, weeks []time.Time, now time.Time, scope *postgres.Scope, page postgres.Page) ([]ListedProject, []GridCell, string, error) {
	if len(weeks) == 0 {
		return []ListedProject{}, nil, "", nil
	}
	projects, next, err := ListedPage(ctx, tx, weeks[0], weeks[len(weeks)-1].AddDate(0, 0, 6), scope, settings.Today(now), page)
	if err != nil || len(projects) == 0 {
		return projects, nil, next, err
	}
	ids := make([]uuid.UUID, len(projects))
	for i, p := range projects {
		ids[i] = p.ProjectID
	}
	listed, err := ListedWeeks(ctx, tx, weeks, ids)
	if err != nil {
		return nil, nil, "", err
	}
	var reports []Report
	if err := tx.NewSelect().Model(&reports).Where("wr.week_start >= ? AND wr.week_start <= ? AND wr.project_id IN (?)",
		weeks[0], weeks[len(weeks)-1], bun.List(ids)).Scan(ctx); err != nil {
		return nil, nil, "", err
	}
	type key struct {
		p uuid.UUID
		w time.Time
	}
	byKey := map[key]Report{}
	for _, r := range reports {
		byKey[key{r.ProjectID, r.WeekStart}] = r
	}
	var cells []GridCell
	for _, w := range weeks {
		rules, err := postgres.SettingsOn(ctx, tx, w)
		if err != nil {
			return nil, nil, "", err
		}
		due := reporting.Deadline(w, rules.Values)
		for _, p := range projects {
			c := GridCell{ProjectID: p.ProjectID, Week: w}
			var f *reporting.Facts
			if r, ok := byKey[key{p.ProjectID, w}]; ok {
				f, c.Status = r.Facts(), r.Status
			}
			c.State = reporting.WeekState(listed[p.ProjectID][w], f, due, now)
			switch c.State {
			case reporting.StateOnTime, reporting.StateLate, reporting.StateMissing:
				progress := reporting.Progress(f)
				c.Progress = &progress
			}
			cells = append(cells, c)
		}
	}
	return projects, cells, next, nil
}

// QueueItem is a report waiting for someone, with its project's name.
type QueueItem struct {
	Report      Report
	ProjectName string
}

// ReportsByStatus lists a page of the reports of a status (e.g. confirmed:
// the office's review queue), oldest week first; next is the cursor of the
// following page ("" on the last).
func ReportsByStatus(ctx context.Context, tx bun.IDB, status string, scope *postgres.Scope, today time.Time, page postgres.Page) ([]QueueItem, string, error) {
	page, err := page.Normalize()
	if err != nil {
		return nil, "", err
	}
	var rows []struct {
		Report
		ProjectCode string `bun:"project_code"`
		ProjectName string `bun:"project_name"`
	}
	q := tx.NewSelect().Model((*Report)(nil)).ColumnExpr("wr.*, p.code AS project_code, p.name AS project_name").
		Join("JOIN projects p ON p.id = wr.project_id").
		Where("wr.status = ?", status).OrderExpr("wr.week_start, p.code, wr.id").Limit(int64(page.Limit + 1))
	var cur struct {
		W    string
		Code string
		ID   uuid.UUID
	}
	if ok, err := postgres.DecodeCursor(page.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("(wr.week_start, p.code, wr.id) > (?::date, ?, ?)", cur.W, cur.Code, cur.ID)
	}
	scope.Apply(q, today)
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > page.Limit {
		rows = rows[:page.Limit]
		last := rows[len(rows)-1]
		cur.W, cur.Code, cur.ID = last.WeekStart.Format(time.DateOnly), last.ProjectCode, last.ID
		next = postgres.EncodeCursor(cur)
	}
	out := make([]QueueItem, len(rows))
	for i, r := range rows {
		out[i] = QueueItem{Report: r.Report, ProjectName: r.ProjectName}
	}
	return out, next, nil
}
