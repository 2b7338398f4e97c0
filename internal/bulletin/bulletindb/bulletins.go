package bulletindb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/batchstart"
	"github.com/tuijin/tuijin/internal/batchstart/batchstartdb"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
)

// BulletinInputs gathers what a bulletin of a period is computed from. kind
// is weekly (every project listed in the period) or group6 (the projects of
// inspection group 6, the 百城提质 projects). Completed investment is the
// year's up to the period's end and its growth over the period; the streaks
// are those of the period's last closed week.
func BulletinInputs(ctx context.Context, tx bun.IDB, kind string, period bulletin.Period) (bulletin.Inputs, error) {
	start, end := period.Start, period.End
	in := bulletin.Inputs{Rules: bulletin.RulesVersion, Kind: kind, Year: period.Year(), Period: period.Kind,
		PeriodStart: start.Format(time.DateOnly), PeriodEnd: end.Format(time.DateOnly),
		Projects: []bulletin.Project{}, Escalations: []bulletin.Escalation{}, OverdueApprovals: []bulletin.Approval{},
		Findings: []bulletin.Finding{}, MissingInspections: []string{}, Categories: []string{}}
	if kind != "weekly" && kind != "group6" {
		return in, errs.E(errs.Invalid, "invalid_kind", "通报类型须为 weekly 或 group6", "kind must be weekly or group6")
	}
	if period.Kind == bulletin.PeriodWeek {
		in.Week = in.PeriodStart
	}
	if err := tx.NewRaw("SELECT name FROM counties WHERE id = app_county()").Scan(ctx, &in.County); err != nil {
		return in, err
	}
	rules, err := postgres.SettingsOn(ctx, tx, end)
	if err != nil {
		return in, err
	}
	in.ScheduleBasis = rules.Values.ScheduleBasis
	cats, err := postgres.ListCategories(ctx, tx)
	if err != nil {
		return in, err
	}
	for _, c := range cats {
		in.Categories = append(in.Categories, c.Name)
	}
	// The period's last week that ends in it: its close gives the streaks.
	lastWeek := period.LastWeek()
	jan1 := time.Date(in.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	// The projects of the bulletin: listed in the period (group6: of group 6).
	scope := `SELECT l.project_id, l.planned_investment_yuan FROM ` + reportingdb.ListedSQL + ` l`
	if kind == "group6" {
		scope += ` WHERE l.project_id IN (SELECT a.project_id FROM inspection_assignments a JOIN org_groups g ON g.id = a.group_id
			WHERE a.year = ?2 AND g.number = 6) OR l.project_id IN (SELECT id FROM projects WHERE ?4 = ANY(tags))`
	}
	// Every query reads the bulletin's projects as "listed"; ?0 is the
	// period's first day, ?1 its last, ?2 its year, ?3 1 January, ?5 the
	// Monday of its last closed week.
	listed := func(query string, into any) error {
		return tx.NewRaw("WITH listed AS ("+scope+") "+query, start, end, in.Year, jan1, project.TagHundredCities, lastWeek).Scan(ctx, into)
	}
	var rows []struct {
		bulletin.Project
		ID uuid.UUID `bun:"id"`
	}
	err = listed(`
		SELECT p.id, p.code, p.name, u.name AS unit, c.name AS category, p.construction_type AS type,
		  p.total_investment_yuan AS total_yuan, l.planned_investment_yuan AS plan_yuan,
		  project_started(p.id, ?1::date) AS started,
		  (p.status = 'completed' OR EXISTS (SELECT 1 FROM project_nodes n WHERE n.project_id = p.id
		    AND n.node IN ('acceptance','in_use') AND n.actual_date <= ?1::date)) AS completed,
		  coalesce(project_planned_start(p.id), ?3::date) <= ?1::date AS due_to_start,
		  coalesce(ws.streak, 0) AS streak, coalesce(ws.stalled, false) AS stalled
		FROM listed l JOIN projects p ON p.id = l.project_id
		JOIN units u ON u.id = p.responsible_unit_id JOIN project_categories c ON c.id = p.category_id
		LEFT JOIN week_status ws ON ws.project_id = p.id AND ws.week_start = ?5::date
		ORDER BY p.code`, &rows)
	if err != nil {
		return in, fmt.Errorf("bulletin projects: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	// Completed investment up to the period's end, with its source (M4.4),
	// and before the period: the difference is the period's own.
	done, err := reportingdb.CompletedInvestment(ctx, tx, ids, in.Year, end)
	if err != nil {
		return in, fmt.Errorf("bulletin investment: %w", err)
	}
	before, err := reportingdb.CompletedInvestment(ctx, tx, ids, in.Year, start.AddDate(0, 0, -1))
	if err != nil {
		return in, fmt.Errorf("bulletin investment: %w", err)
	}
	for _, r := range rows {
		p := r.Project
		d := done[r.ID]
		p.DoneYuan, p.DoneSource = d.TotalYuan, d.SourceText()
		p.PeriodYuan = d.TotalYuan - before[r.ID].TotalYuan
		for _, m := range d.Months {
			if m.Source == reporting.SourceStatistics {
				p.StatMonths++
			}
		}
		in.Projects = append(in.Projects, p)
	}
	if err := listed(`
		SELECT p.name AS project, es.level, coalesce(pp.name, '') AS person, coalesce(pp.post, '') AS post, es.weeks, es.status
		FROM escalations es JOIN listed l ON l.project_id = es.project_id JOIN projects p ON p.id = es.project_id
		LEFT JOIN people pp ON pp.id = es.person_id
		WHERE es.raised_week + 6 BETWEEN ?0::date AND ?1::date AND es.status <> 'withdrawn' ORDER BY es.raised_week, es.level DESC, p.code, pp.name`, &in.Escalations); err != nil {
		return in, fmt.Errorf("bulletin escalations: %w", err)
	}
	if err := listed(`
		SELECT p.name AS project, t.name AS item, su.name AS service_unit, to_char(pr.planned_date, 'YYYY-MM-DD') AS planned,
		  (?1::date - pr.planned_date) AS days_over
		FROM project_procedures pr JOIN listed l ON l.project_id = pr.project_id JOIN projects p ON p.id = pr.project_id
		JOIN procedure_types t ON t.id = pr.type_id JOIN units su ON su.id = pr.service_unit_id
		WHERE pr.status IN ('pending','in_progress') AND pr.planned_date < ?1::date
		ORDER BY pr.planned_date, p.code`, &in.OverdueApprovals); err != nil {
		return in, fmt.Errorf("bulletin approvals: %w", err)
	}
	if err := listed(`
		SELECT p.name AS project, g.name AS "group", to_char(i.visited_on, 'YYYY-MM-DD') AS visited_on,
		  i.verified_investment_yuan AS verified_yuan, i.findings
		FROM inspections i JOIN listed l ON l.project_id = i.project_id JOIN projects p ON p.id = i.project_id
		JOIN org_groups g ON g.id = i.group_id
		WHERE i.week_start + 6 BETWEEN ?0::date AND ?1::date ORDER BY i.week_start, g.number, p.code`, &in.Findings); err != nil {
		return in, fmt.Errorf("bulletin findings: %w", err)
	}
	if period.Kind == bulletin.PeriodWeek {
		if err := listed(`
			SELECT p.name FROM listed l JOIN projects p ON p.id = l.project_id
			JOIN inspection_assignments a ON a.project_id = p.id AND a.year = ?2
			WHERE NOT EXISTS (SELECT 1 FROM inspections i WHERE i.project_id = p.id AND i.week_start = ?0::date)
			ORDER BY p.code`, &in.MissingInspections); err != nil {
			return in, fmt.Errorf("bulletin missing inspections: %w", err)
		}
	}
	if period.Kind != bulletin.PeriodWeek && kind == "weekly" {
		if in.BatchStarts, err = batchRounds(ctx, tx, period, rules.Values.CadenceBatchStart); err != nil {
			return in, fmt.Errorf("bulletin batch starts: %w", err)
		}
	}
	return in, nil
}

// batchRounds are the batch ground-breaking rounds whose window ends in
// the period, as they stood at its end.
func batchRounds(ctx context.Context, tx bun.IDB, period bulletin.Period, c settings.Cadence) ([]bulletin.BatchRound, error) {
	var out []bulletin.BatchRound
	for w := batchstart.WindowOf(c, period.Start); !w.From.After(period.End); w = batchstart.WindowOf(c, w.To.AddDate(0, 0, 1)) {
		if w.To.Before(period.Start) || w.To.After(period.End) {
			continue
		}
		r, err := batchstartdb.GetRound(ctx, tx, w, period.End)
		if err != nil {
			return nil, err
		}
		f := r.Figures
		if f.Planned == 0 {
			continue
		}
		br := bulletin.BatchRound{Label: f.Label, Planned: f.Planned, Started: f.Started, Early: f.Early, OnTime: f.OnTime, Late: f.Late,
			Undated: f.Undated, NotStarted: f.NotStarted, Rate: f.Rate, Waiting: []bulletin.BatchProject{}}
		if c := r.Ceremony; c != nil && !c.CeremonyOn.After(period.End) {
			br.Ceremony = fmt.Sprintf("%d月%d日", int(c.CeremonyOn.Month()), c.CeremonyOn.Day())
			if c.Place != "" {
				br.Ceremony += "在" + c.Place
			}
			br.Ceremony += "举行集中开工仪式"
		}
		for _, p := range f.Projects {
			if p.Timing == batchstart.NotStarted {
				br.Waiting = append(br.Waiting, bulletin.BatchProject{Name: p.Name, Unit: p.Unit, PlannedStart: p.PlannedStart.Format(time.DateOnly), Reason: p.Reason})
			}
		}
		out = append(out, br)
	}
	return out, nil
}

// Bulletin is an issued version of a bulletin: its period and issue number,
// its frozen inputs and the SHA-256 of its HTML as issued.
type Bulletin struct {
	bun.BaseModel `bun:"table:bulletins,alias:bl"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Kind          string          `bun:"kind"`
	Period        string          `bun:"period"`
	PeriodStart   time.Time       `bun:"period_start,type:date"`
	PeriodEnd     time.Time       `bun:"period_end,type:date"`
	WeekStart     *time.Time      `bun:"week_start,type:date"`
	IssueNo       int             `bun:"issue_no"`
	Version       int             `bun:"version"`
	Inputs        json.RawMessage `bun:"inputs,type:jsonb"`
	OutputHash    []byte          `bun:"output_hash"`
	Reason        string          `bun:"reason"`
	IssuedBy      *uuid.UUID      `bun:"issued_by,type:uuid"`
	IssuedAt      time.Time       `bun:"issued_at,nullzero,default:now()"`
	// FlagReasons say why weeks of the period were judged again after this
	// version was issued (FlagIssued); Superseded: a later version exists.
	FlagReasons []string `bun:"flag_reasons,array,scanonly"`
	Superseded  bool     `bun:"superseded,scanonly"`
}

// NeedsCorrection says the version is the latest of its period and weeks
// it covers were judged again after it was issued.
func (b Bulletin) NeedsCorrection() bool { return len(b.FlagReasons) > 0 && !b.Superseded }

func withFlags(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ColumnExpr("ARRAY(SELECT f.reason FROM bulletin_flags f WHERE f.bulletin_id = bl.id ORDER BY f.created_at) AS flag_reasons").
		ColumnExpr(`EXISTS (SELECT 1 FROM bulletins n WHERE n.kind = bl.kind AND n.period = bl.period
			AND n.period_start = bl.period_start AND n.version > bl.version) AS superseded`)
}

// Span is the bulletin's period.
func (b Bulletin) Span() bulletin.Period {
	return bulletin.Period{Kind: bulletin.PeriodKind(b.Period), Start: b.PeriodStart, End: b.PeriodEnd}
}

// VersionLabel is how a version is named on the page.
func VersionLabel(version int) string {
	if version == 0 {
		return "草稿（未签发）"
	}
	return fmt.Sprintf("第%d版", version)
}

// Objects keep an issued bulletin's files: written locked, read back only
// when their hash still matches (internal/objects).
type Objects = objects.Keeper

// Files say how an issued bulletin's files are stored and rendered.
type Files struct {
	Store       Objects
	Fonts       string // TUIJIN_PDF_FONT
	RetainYears int
}

// File is one stored rendering of an issued version.
type File struct {
	bun.BaseModel `bun:"table:bulletin_files,alias:bf"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	BulletinID    uuid.UUID `bun:"bulletin_id,type:uuid"`
	Format        string    `bun:"format"`
	ObjectKey     string    `bun:"object_key"`
	VersionID     string    `bun:"version_id"`
	SHA256        []byte    `bun:"sha256"`
	SizeBytes     int64     `bun:"size_bytes"`
	AfterIssue    bool      `bun:"after_issue"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
}

type figuresRow struct {
	bun.BaseModel `bun:"table:bulletin_figures,alias:bfg"`
	BulletinID    uuid.UUID       `bun:"bulletin_id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Figures       json.RawMessage `bun:"figures,type:jsonb"`
	AfterIssue    bool            `bun:"after_issue"`
}

var errStorage = errs.E(errs.Unavailable, "storage_unavailable", "文件存储未配置或不可用，通报文件暂不能签发或提供",
	"file storage is not configured or unavailable: bulletin files cannot be issued or served now")

// store renders a version from its inputs, writes each file as a locked
// object and records the files and the figures; afterIssue marks a version
// issued before its files were kept.
func (fs Files) store(ctx context.Context, tx bun.IDB, b Bulletin, f bulletin.Figures, now time.Time, afterIssue bool) (map[string][]byte, error) {
	if fs.Store == nil {
		return nil, errStorage
	}
	rendered, err := bulletin.Render(f, VersionLabel(b.Version), fs.Fonts)
	if err != nil {
		return nil, err
	}
	retain := now.AddDate(fs.RetainYears, 0, 0)
	for _, format := range []string{"html", "xlsx", "pdf"} {
		key := fmt.Sprintf("bulletins/%s/%s/%s", b.CountyID, b.ID, format)
		st, err := fs.Store.Put(ctx, key, bytes.NewReader(rendered[format]), bulletin.Formats[format], retain)
		if err != nil {
			return nil, err
		}
		row := File{ID: uuid.New(), BulletinID: b.ID, Format: format, ObjectKey: st.Key, VersionID: st.VersionID, SHA256: st.SHA256,
			SizeBytes: st.Size, AfterIssue: afterIssue}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return nil, postgres.MapErr(err)
		}
	}
	figs, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	if _, err := tx.NewInsert().Model(&figuresRow{BulletinID: b.ID, Figures: figs, AfterIssue: afterIssue}).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return nil, postgres.MapErr(err)
	}
	return rendered, nil
}

// ErrPeriodOpen refuses a bulletin of a period whose data is not final.
func periodOpen(zh, en string) error { return errs.E(errs.Conflict, "period_not_closed", zh, en) }

// Issuable says whether a period's bulletin can be issued at now: the
// period has ended and its last week (the last that ends in it) is closed,
// so that its stalls and escalations are final.
func Issuable(ctx context.Context, tx bun.IDB, period bulletin.Period, now time.Time) error {
	if period.Kind != bulletin.PeriodWeek && !settings.Today(now).After(period.End) {
		return periodOpen(fmt.Sprintf("%s尚未结束，不能签发", period.Label()), "the period has not ended yet")
	}
	lastWeek := period.LastWeek()
	if !lastWeek.Before(period.Start.AddDate(0, 0, -6)) {
		closed, err := postgres.JobDone(ctx, tx, supervision.JobWeekClose, supervision.Period(lastWeek))
		if err != nil {
			return err
		}
		if !closed {
			return errs.E(errs.Conflict, "week_not_closed", fmt.Sprintf("%s当周尚未结算（停滞与问政数据未定），请先结算再签发通报", lastWeek.Format("1月2日")),
				"close the period's last week before issuing its bulletin")
		}
	}
	return nil
}

// IssueBulletin freezes a period's bulletin as its next version (audited):
// the inputs, the figures computed from them, an issue number (第N期, per
// kind, period and year; a correction keeps its version 1's) and the HTML,
// .xlsx and PDF, each stored as a locked object with its SHA-256. It tells
// every account of the county. A version after the first is a correction
// and needs a reason. The period must have ended and its last week closed.
func IssueBulletin(ctx context.Context, tx bun.IDB, files Files, kind string, period bulletin.Period, reason string, by *uuid.UUID, now time.Time) (Bulletin, error) {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('bulletin:' || app_county()::text || ?, 0))",
		kind+string(period.Kind)+period.Start.Format(time.DateOnly)); err != nil {
		return Bulletin{}, err
	}
	var prior []struct {
		Version int `bun:"version"`
		IssueNo int `bun:"issue_no"`
	}
	if err := tx.NewRaw("SELECT version, issue_no FROM bulletins WHERE kind = ? AND period = ? AND period_start = ? ORDER BY version DESC LIMIT 1",
		kind, period.Kind, period.Start).Scan(ctx, &prior); err != nil {
		return Bulletin{}, err
	}
	if err := Issuable(ctx, tx, period, now); err != nil {
		return Bulletin{}, err
	}
	last, issueNo := 0, 0
	if len(prior) > 0 {
		last, issueNo = prior[0].Version, prior[0].IssueNo
	}
	if last > 0 && len([]rune(reason)) < 4 {
		var v errs.Validation
		v.Add("reason", "reason_required", fmt.Sprintf("本期通报已签发第%d版；更正须写明理由（至少4个字）", last), "this bulletin was issued; a correction needs a reason (at least 4 characters)")
		return Bulletin{}, v.Err()
	}
	if len([]rune(reason)) > 1000 {
		var v errs.Validation
		v.Add("reason", "too_long", "理由不能超过1000字", "the reason is at most 1000 characters")
		return Bulletin{}, v.Err()
	}
	if issueNo == 0 {
		if err := tx.NewRaw("SELECT coalesce(max(issue_no), 0) + 1 FROM bulletins WHERE kind = ? AND period = ? AND extract(year FROM period_end) = ?",
			kind, period.Kind, period.Year()).Scan(ctx, &issueNo); err != nil {
			return Bulletin{}, err
		}
	}
	in, err := BulletinInputs(ctx, tx, kind, period)
	if err != nil {
		return Bulletin{}, err
	}
	in.IssueNo = issueNo
	var county uuid.UUID
	if err := tx.NewRaw("SELECT app_county()").Scan(ctx, &county); err != nil {
		return Bulletin{}, err
	}
	b := Bulletin{ID: uuid.New(), CountyID: county, Kind: kind, Period: string(period.Kind), PeriodStart: period.Start, PeriodEnd: period.End,
		IssueNo: issueNo, Version: last + 1, Reason: reason, IssuedBy: by, IssuedAt: now}
	if period.Kind == bulletin.PeriodWeek {
		w := period.Start
		b.WeekStart = &w
	}
	if b.Inputs, err = json.Marshal(in); err != nil {
		return b, err
	}
	f := bulletin.Compute(in)
	html, err := bulletin.HTML(f, VersionLabel(b.Version))
	if err != nil {
		return b, err
	}
	sum := sha256.Sum256(html)
	b.OutputHash = sum[:]
	if _, err := tx.NewInsert().Model(&b).Exec(ctx); err != nil {
		return b, postgres.MapErr(err)
	}
	if _, err := files.store(ctx, tx, b, f, now, false); err != nil {
		return b, err
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "bulletin.issue", EntityType: "bulletin", EntityID: b.ID.String(),
		After: map[string]any{"kind": kind, "period": period.Kind, "start": period.Start.Format(time.DateOnly), "issue_no": issueNo,
			"version": b.Version, "reason": reason, "sha256": fmt.Sprintf("%x", sum)}}); err != nil {
		return b, err
	}
	var accounts []uuid.UUID
	if err := tx.NewRaw("SELECT id FROM accounts WHERE county_id = app_county() AND NOT disabled").Scan(ctx, &accounts); err != nil {
		return b, err
	}
	msgs := make([]postgres.Message, 0, len(accounts))
	for _, a := range accounts {
		msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgBulletinIssued, Title: "已签发：" + f.Title() + f.IssueLine() + VersionLabel(b.Version),
			Body: f.Subtitle() + " " + f.OverviewText(), Link: "/bulletins", IdemKey: "bulletin:" + b.ID.String()})
	}
	_, err = postgres.Notify(ctx, tx, msgs)
	return b, err
}

// Figures computes an issued version from its stored inputs with today's rules.
func (b Bulletin) Figures() (bulletin.Figures, error) {
	var in bulletin.Inputs
	if err := json.Unmarshal(b.Inputs, &in); err != nil {
		return bulletin.Figures{}, err
	}
	return bulletin.Compute(in), nil
}

// FileRef names an issued version's file of a format as it was stored (the
// caller reads it, hash checked — a mismatch is objects.ErrCorrupted — with
// no transaction open). A version issued before files were kept has them
// produced from its stored inputs now, once, and marked as produced after
// issue.
func FileRef(ctx context.Context, tx bun.IDB, files Files, b Bulletin, format string, now time.Time) (objects.Ref, error) {
	_, row, err := openFile(ctx, tx, files, b, format, now, false)
	return objects.Ref{Key: row.ObjectKey, VersionID: row.VersionID, SHA256: row.SHA256}, err
}

// OpenFile is FileRef's file, read in tx (verification's way).
func OpenFile(ctx context.Context, tx bun.IDB, files Files, b Bulletin, format string, now time.Time) (*os.File, File, error) {
	return openFile(ctx, tx, files, b, format, now, true)
}

func openFile(ctx context.Context, tx bun.IDB, files Files, b Bulletin, format string, now time.Time, read bool) (*os.File, File, error) {
	if _, ok := bulletin.Formats[format]; !ok {
		return nil, File{}, errs.ErrNotFound
	}
	if files.Store == nil {
		return nil, File{}, errStorage
	}
	var row File
	err := tx.NewSelect().Model(&row).Where("bf.bulletin_id = ? AND bf.format = ?", b.ID, format).Scan(ctx)
	if postgres.IsNotFound(err) {
		// Issued before files were kept: produce them once (a concurrent
		// opening waits on the lock and then finds them).
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('bulletin-files:' || ?, 0))", b.ID.String()); err != nil {
			return nil, File{}, err
		}
		err = tx.NewSelect().Model(&row).Where("bf.bulletin_id = ? AND bf.format = ?", b.ID, format).Scan(ctx)
		if postgres.IsNotFound(err) {
			f, ferr := b.Figures()
			if ferr != nil {
				return nil, File{}, ferr
			}
			if _, err := files.store(ctx, tx, b, f, now, true); err != nil {
				return nil, File{}, err
			}
			if err := postgres.Audit(ctx, tx, audit.Entry{Action: "bulletin.files_after_issue", EntityType: "bulletin", EntityID: b.ID.String(),
				After: map[string]any{"version": b.Version}}); err != nil {
				return nil, File{}, err
			}
			err = tx.NewSelect().Model(&row).Where("bf.bulletin_id = ? AND bf.format = ?", b.ID, format).Scan(ctx)
		}
	}
	if err != nil || !read {
		return nil, row, err
	}
	fh, err := files.Store.Verified(ctx, row.ObjectKey, row.VersionID, row.SHA256)
	return fh, row, err
}

// Finding is what `tuijin bulletin verify` found wrong with a version.
type Finding struct {
	BulletinID uuid.UUID
	Title      string
	Problem    string
	Fatal      bool // the version does not hold (not merely issued before files were kept)
}

// Verify checks every issued version of the county: its figures, computed
// again from its stored inputs with today's rules, must equal the figures
// stored when it was issued (a rule changed since shows up here, never in
// the served files), and each stored file must still match its hash. A
// version whose files were never produced is reported as such.
func Verify(ctx context.Context, tx bun.IDB, files Files) (checked int, found []Finding, err error) {
	var list []Bulletin
	if err := tx.NewSelect().Model(&list).OrderExpr("bl.period_start, bl.kind, bl.version").Scan(ctx); err != nil {
		return 0, nil, err
	}
	for _, b := range list {
		checked++
		f, err := b.Figures()
		if err != nil {
			return checked, found, err
		}
		title := f.Title() + f.IssueLine() + f.Subtitle() + VersionLabel(b.Version)
		var stored []figuresRow
		if err := tx.NewSelect().Model(&stored).Where("bfg.bulletin_id = ?", b.ID).Scan(ctx); err != nil {
			return checked, found, err
		}
		if len(stored) == 0 {
			found = append(found, Finding{b.ID, title, "签发前未保存数字与文件（首次打开时生成） / issued before figures and files were kept (produced at first opening)", false})
		} else if diff := figuresDiffer(stored[0].Figures, f); diff != "" {
			found = append(found, Finding{b.ID, title, "按现行规则重算与签发时的数字不一致 / recomputed figures differ from those issued: " + diff, true})
		}
		var rows []File
		if err := tx.NewSelect().Model(&rows).Where("bf.bulletin_id = ?", b.ID).OrderExpr("bf.format").Scan(ctx); err != nil {
			return checked, found, err
		}
		for _, r := range rows {
			fh, err := files.Store.Verified(ctx, r.ObjectKey, r.VersionID, r.SHA256)
			if err != nil {
				found = append(found, Finding{b.ID, title, r.Format + ": " + err.Error(), true})
				continue
			}
			fh.Close()
			os.Remove(fh.Name())
		}
	}
	return checked, found, nil
}

// figuresDiffer compares stored figures with recomputed ones as JSON values
// and names the first top-level field that differs ("" when equal).
func figuresDiffer(stored json.RawMessage, f bulletin.Figures) string {
	now, err := json.Marshal(f)
	if err != nil {
		return err.Error()
	}
	var a, b map[string]any
	if json.Unmarshal(stored, &a) != nil || json.Unmarshal(now, &b) != nil {
		return "unreadable figures"
	}
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !reflect.DeepEqual(a[k], b[k]) {
			return k
		}
	}
	return ""
}

// ListBulletins lists a page of the issued versions, newest issue first;
// next is the cursor of the following page.
func ListBulletins(ctx context.Context, tx bun.IDB, kind string, page postgres.Page) ([]Bulletin, string, error) {
	list := []Bulletin{}
	q := withFlags(tx.NewSelect().Model((*Bulletin)(nil)).ExcludeColumn("inputs"))
	if kind != "" {
		q.Where("bl.kind = ?", kind)
	}
	next, err := postgres.NewestFirst(ctx, q, page, "bl.issued_at", "bl.id", func(b Bulletin) (time.Time, uuid.UUID) { return b.IssuedAt, b.ID }, &list)
	return list, next, err
}

// GetBulletin reads one issued version with its inputs.
func GetBulletin(ctx context.Context, tx bun.IDB, id uuid.UUID) (Bulletin, error) {
	var b Bulletin
	err := withFlags(tx.NewSelect().Model(&b).Column("bl.*")).Where("bl.id = ?", id).Scan(ctx)
	if err != nil && postgres.IsNotFound(err) {
		return b, errs.E(errs.NotFound, "bulletin_not_found", "未找到该通报", "no such bulletin")
	}
	return b, err
}

// FlagIssued marks the issued bulletins whose period overlaps [from, to]
// and that list the project as needing a correction, because the
// project's closed weeks in it were judged again after issue (the latest
// version of each; the issued files stay as they are). It returns the
// bulletins flagged.
func FlagIssued(ctx context.Context, tx bun.IDB, from, to time.Time, projectID uuid.UUID, reason string, by *uuid.UUID) ([]uuid.UUID, error) {
	ids := []uuid.UUID{}
	err := tx.NewRaw(`INSERT INTO bulletin_flags (bulletin_id, week_start, project_id, reason, flagged_by)
		SELECT bl.id, ?::date, ?, ?, ? FROM bulletins bl
		WHERE bl.period_start <= ?::date AND bl.period_end >= ?::date
		  AND (bl.inputs->'projects' IS NULL OR bl.inputs->'projects' @> jsonb_build_array(jsonb_build_object('code', (SELECT code FROM projects WHERE id = ?))))
		  AND NOT EXISTS (SELECT 1 FROM bulletins n WHERE n.kind = bl.kind AND n.period = bl.period
		                  AND n.period_start = bl.period_start AND n.version > bl.version)
		RETURNING bulletin_id`, from, projectID, reason, by, to, from, projectID).Scan(ctx, &ids)
	if err != nil {
		return nil, postgres.MapErr(err)
	}
	if len(ids) > 0 {
		err = postgres.Audit(ctx, tx, audit.Entry{Action: "bulletin.flag", EntityType: "project", EntityID: projectID.String(),
			After: map[string]any{"bulletins": ids, "from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "reason": reason}})
	}
	return ids, err
}
