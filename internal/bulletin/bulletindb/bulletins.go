package bulletindb

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/supervision"
)

// BulletinInputs gathers what a week's bulletin is computed from. kind is
// weekly (every project on the list) or group6 (the projects of inspection
// group 6, the 百城提质 projects).
func BulletinInputs(ctx context.Context, tx bun.IDB, kind string, week time.Time) (bulletin.Inputs, error) {
	in := bulletin.Inputs{Kind: kind, Year: week.Year(), Week: week.Format(time.DateOnly),
		Projects: []bulletin.Project{}, Escalations: []bulletin.Escalation{}, OverdueApprovals: []bulletin.Approval{},
		Findings: []bulletin.Finding{}, MissingInspections: []string{}}
	if kind != "weekly" && kind != "group6" {
		return in, errs.E(errs.Invalid, "invalid_kind", "通报类型须为 weekly 或 group6", "kind must be weekly or group6")
	}
	if err := tx.NewRaw("SELECT name FROM counties WHERE id = app_county()").Scan(ctx, &in.County); err != nil {
		return in, err
	}
	end := week.AddDate(0, 0, 6)
	jan1 := time.Date(week.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	in.Rules = bulletin.RulesVersion
	// The projects of the bulletin: listed in the week (group6: of group 6).
	scope := `SELECT l.project_id, l.planned_investment_yuan FROM ` + reportingdb.ListedSQL + ` l`
	if kind == "group6" {
		scope += ` WHERE l.project_id IN (SELECT a.project_id FROM inspection_assignments a JOIN org_groups g ON g.id = a.group_id
			WHERE a.year = ?2 AND g.number = 6) OR l.project_id IN (SELECT id FROM projects WHERE ?4 = ANY(tags))`
	}
	// Every query reads the bulletin's projects as "listed".
	listed := func(query string, into any) error {
		return tx.NewRaw("WITH listed AS ("+scope+") "+query, week, end, week.Year(), jan1, project.TagHundredCities).Scan(ctx, into)
	}
	var rows []struct {
		bulletin.Project
		ID uuid.UUID `bun:"id"`
	}
	err := listed(`
		SELECT p.id, p.code, p.name, u.name AS unit, c.name AS category, p.construction_type AS type,
		  p.total_investment_yuan AS total_yuan, l.planned_investment_yuan AS plan_yuan,
		  (p.status IN ('under_construction','completed') OR EXISTS (SELECT 1 FROM project_nodes n WHERE n.project_id = p.id
		    AND n.node IN ('main_start','construction','acceptance','in_use') AND n.actual_date <= ?1::date)) AS started,
		  (p.status = 'completed' OR EXISTS (SELECT 1 FROM project_nodes n WHERE n.project_id = p.id
		    AND n.node IN ('acceptance','in_use') AND n.actual_date <= ?1::date)) AS completed,
		  coalesce((SELECT n.planned_date FROM project_nodes n WHERE n.project_id = p.id AND n.node = 'main_start'), p.planned_start, ?3::date) <= ?1::date AS due_to_start,
		  coalesce(ws.streak, 0) AS streak, coalesce(ws.stalled, false) AS stalled
		FROM listed l JOIN projects p ON p.id = l.project_id
		JOIN units u ON u.id = p.responsible_unit_id JOIN project_categories c ON c.id = p.category_id
		LEFT JOIN week_status ws ON ws.project_id = p.id AND ws.week_start = ?0::date
		ORDER BY p.code`, &rows)
	if err != nil {
		return in, fmt.Errorf("bulletin projects: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	// Completed investment up to the week's Sunday, with its source (M4.4).
	done, err := reportingdb.CompletedInvestment(ctx, tx, ids, week.Year(), end)
	if err != nil {
		return in, fmt.Errorf("bulletin investment: %w", err)
	}
	for _, r := range rows {
		p := r.Project
		p.DoneYuan, p.DoneSource = done[r.ID].TotalYuan, done[r.ID].SourceText()
		in.Projects = append(in.Projects, p)
	}
	if err := listed(`
		SELECT p.name AS project, es.level, coalesce(pp.name, '') AS person, coalesce(pp.post, '') AS post, es.weeks, es.status
		FROM escalations es JOIN listed l ON l.project_id = es.project_id JOIN projects p ON p.id = es.project_id
		LEFT JOIN people pp ON pp.id = es.person_id
		WHERE es.raised_week = ?0::date ORDER BY es.level DESC, p.code, pp.name`, &in.Escalations); err != nil {
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
		WHERE i.week_start = ?0::date ORDER BY g.number, p.code`, &in.Findings); err != nil {
		return in, fmt.Errorf("bulletin findings: %w", err)
	}
	if err := listed(`
		SELECT p.name FROM listed l JOIN projects p ON p.id = l.project_id
		JOIN inspection_assignments a ON a.project_id = p.id AND a.year = ?2
		WHERE NOT EXISTS (SELECT 1 FROM inspections i WHERE i.project_id = p.id AND i.week_start = ?0::date)
		ORDER BY p.code`, &in.MissingInspections); err != nil {
		return in, fmt.Errorf("bulletin missing inspections: %w", err)
	}
	return in, nil
}

// Bulletin is an issued version of a bulletin: frozen inputs and the
// SHA-256 of its HTML rendering.
type Bulletin struct {
	bun.BaseModel `bun:"table:bulletins,alias:bl"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Kind          string          `bun:"kind"`
	WeekStart     time.Time       `bun:"week_start,type:date"`
	Version       int             `bun:"version"`
	Inputs        json.RawMessage `bun:"inputs,type:jsonb"`
	OutputHash    []byte          `bun:"output_hash"`
	Reason        string          `bun:"reason"`
	IssuedBy      *uuid.UUID      `bun:"issued_by,type:uuid"`
	IssuedAt      time.Time       `bun:"issued_at,nullzero,default:now()"`
}

// VersionLabel is how a version is named on the page.
func VersionLabel(version int) string {
	if version == 0 {
		return "草稿（未签发）"
	}
	return fmt.Sprintf("第%d版", version)
}

// Figures recomputes an issued bulletin from its stored inputs and checks
// the rendering still hashes to what was issued.
func (b Bulletin) Figures() (bulletin.Figures, []byte, error) {
	var in bulletin.Inputs
	if err := json.Unmarshal(b.Inputs, &in); err != nil {
		return bulletin.Figures{}, nil, err
	}
	f := bulletin.Compute(in)
	html, err := bulletin.HTML(f, VersionLabel(b.Version))
	if err != nil {
		return f, nil, err
	}
	if sum := sha256.Sum256(html); string(sum[:]) != string(b.OutputHash) {
		return f, nil, fmt.Errorf("bulletin %s renders differently from what was issued (hash mismatch)", b.ID)
	}
	return f, html, nil
}

// IssueBulletin freezes a week's bulletin as its next version (audited) and
// tells every account of the county. A version after the first is a
// correction and needs a reason.
func IssueBulletin(ctx context.Context, tx bun.IDB, kind string, week time.Time, reason string, by *uuid.UUID, now time.Time) (Bulletin, error) {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('bulletin:' || app_county()::text || ?, 0))", kind+week.Format(time.DateOnly)); err != nil {
		return Bulletin{}, err
	}
	var last int
	if err := tx.NewRaw("SELECT coalesce(max(version), 0) FROM bulletins WHERE kind = ? AND week_start = ?", kind, week).Scan(ctx, &last); err != nil {
		return Bulletin{}, err
	}
	closed, err := postgres.JobDone(ctx, tx, supervision.JobWeekClose, supervision.Period(week))
	if err != nil {
		return Bulletin{}, err
	}
	if !closed {
		return Bulletin{}, errs.E(errs.Conflict, "week_not_closed", "该周尚未结算（停滞与问政数据未定），请先结算再签发通报", "close the week before issuing its bulletin")
	}
	if last > 0 && len([]rune(reason)) < 4 {
		var v errs.Validation
		v.Add("reason", "reason_required", fmt.Sprintf("本周通报已签发第%d版；更正须写明理由（至少4个字）", last), "this week's bulletin was issued; a correction needs a reason (at least 4 characters)")
		return Bulletin{}, v.Err()
	}
	if len([]rune(reason)) > 1000 {
		var v errs.Validation
		v.Add("reason", "too_long", "理由不能超过1000字", "the reason is at most 1000 characters")
		return Bulletin{}, v.Err()
	}
	in, err := BulletinInputs(ctx, tx, kind, week)
	if err != nil {
		return Bulletin{}, err
	}
	b := Bulletin{ID: uuid.New(), Kind: kind, WeekStart: week, Version: last + 1, Reason: reason, IssuedBy: by, IssuedAt: now}
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
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "bulletin.issue", EntityType: "bulletin", EntityID: b.ID.String(),
		After: map[string]any{"kind": kind, "week": week.Format(time.DateOnly), "version": b.Version, "reason": reason, "sha256": fmt.Sprintf("%x", sum)}}); err != nil {
		return b, err
	}
	var accounts []uuid.UUID
	if err := tx.NewRaw("SELECT id FROM accounts WHERE county_id = app_county() AND NOT disabled").Scan(ctx, &accounts); err != nil {
		return b, err
	}
	msgs := make([]postgres.Message, 0, len(accounts))
	for _, a := range accounts {
		msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgBulletinIssued, Title: "已签发：" + f.Title() + VersionLabel(b.Version),
			Body: f.Subtitle() + " " + f.OverviewText(), Link: "/bulletins", IdemKey: "bulletin:" + b.ID.String()})
	}
	_, err = postgres.Notify(ctx, tx, msgs)
	return b, err
}

// ListBulletins lists a page of the issued versions, newest issue first;
// next is the cursor of the following page.
func ListBulletins(ctx context.Context, tx bun.IDB, kind string, page postgres.Page) ([]Bulletin, string, error) {
	list := []Bulletin{}
	q := tx.NewSelect().Model((*Bulletin)(nil)).ExcludeColumn("inputs")
	if kind != "" {
		q.Where("bl.kind = ?", kind)
	}
	next, err := postgres.NewestFirst(ctx, q, page, "bl.issued_at", "bl.id", func(b Bulletin) (time.Time, uuid.UUID) { return b.IssuedAt, b.ID }, &list)
	return list, next, err
}

// GetBulletin reads one issued version with its inputs.
func GetBulletin(ctx context.Context, tx bun.IDB, id uuid.UUID) (Bulletin, error) {
	var b Bulletin
	err := tx.NewSelect().Model(&b).Where("bl.id = ?", id).Scan(ctx)
	if err != nil && postgres.IsNotFound(err) {
		return b, errs.E(errs.NotFound, "bulletin_not_found", "未找到该通报", "no such bulletin")
	}
	return b, err
}
