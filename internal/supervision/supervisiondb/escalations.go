package supervisiondb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
)

// Escalation is a row of the TV-questioning register (M1.3).
type Escalation struct {
	bun.BaseModel `bun:"table:escalations,alias:es"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid" json:"id"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	ProjectID     uuid.UUID  `bun:"project_id,type:uuid" json:"project_id"`
	Level         int        `bun:"level" json:"level"`
	Role          string     `bun:"role" json:"role"`
	PersonID      *uuid.UUID `bun:"person_id,type:uuid" json:"person_id"`
	NamedAs       string     `bun:"named_as" json:"named_as"`
	StreakStart   time.Time  `bun:"streak_start,type:date" json:"-"`
	RaisedWeek    time.Time  `bun:"raised_week,type:date" json:"-"`
	Weeks         int        `bun:"weeks" json:"weeks"`
	Status        string     `bun:"status" json:"status"`
	ScheduledOn   *time.Time `bun:"scheduled_on,type:date" json:"-"`
	Note          string     `bun:"note" json:"note"`
	WithdrawnAt   *time.Time `bun:"withdrawn_at" json:"withdrawn_at"`
	WithdrawnWhy  string     `bun:"withdrawn_reason" json:"withdrawn_reason"`
	Version       int        `bun:"version" json:"version"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()" json:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at,nullzero,default:now()" json:"updated_at"`
	ProjectName   string     `bun:"project_name,scanonly" json:"project_name"`
	ProjectCode   string     `bun:"project_code,scanonly" json:"project_code"`
	PersonName    string     `bun:"person_name,scanonly" json:"person_name"`
	PersonPost    string     `bun:"person_post,scanonly" json:"person_post"`
	UnitName      string     `bun:"unit_name,scanonly" json:"unit_name"`
	HasAccount    bool       `bun:"has_account,scanonly" json:"has_account"`
}

// EscalationFilter narrows the register.
type EscalationFilter struct {
	Status    string
	Level     int
	ProjectID *uuid.UUID
	Scope     *postgres.Scope
}

func escalationQuery(tx bun.IDB, list *[]Escalation) *bun.SelectQuery {
	return tx.NewSelect().Model(list).
		ColumnExpr("es.*, p.name AS project_name, p.code AS project_code, coalesce(pp.name, '') AS person_name, coalesce(pp.post, '') AS person_post, u.name AS unit_name").
		ColumnExpr("EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = es.person_id AND NOT a.disabled) AS has_account").
		Join("JOIN projects AS p ON p.id = es.project_id").
		Join("JOIN units AS u ON u.id = p.responsible_unit_id").
		Join("LEFT JOIN people AS pp ON pp.id = es.person_id")
}

// ListEscalations lists a page of the register, newest week first; next is
// the cursor of the following page ("" on the last).
func ListEscalations(ctx context.Context, tx bun.IDB, f EscalationFilter, today time.Time, page postgres.Page) ([]Escalation, string, error) {
	page, err := page.Normalize()
	if err != nil {
		return nil, "", err
	}
	var list []Escalation
	q := escalationQuery(tx, &list)
	if f.Status != "" {
		q.Where("es.status = ?", f.Status)
	}
	if f.Level != 0 {
		q.Where("es.level = ?", f.Level)
	}
	if f.ProjectID != nil {
		q.Where("es.project_id = ?", *f.ProjectID)
	}
	if f.Scope != nil {
		q.Where("es.project_id IN (?)", scopedProjectIDs(tx, f.Scope, today))
	}
	// Newest week first; in a week level 2 first, then by project code.
	var cur struct {
		W    string
		L    int
		Code string
		ID   uuid.UUID
	}
	if ok, err := postgres.DecodeCursor(page.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where(`(es.raised_week < ?0::date OR (es.raised_week = ?0::date AND (es.level < ?1
			OR (es.level = ?1 AND (p.code, es.id) > (?2, ?3)))))`, cur.W, cur.L, cur.Code, cur.ID)
	}
	if err := q.OrderExpr("es.raised_week DESC, es.level DESC, p.code, es.id").Limit(int64(page.Limit + 1)).Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > page.Limit {
		list = list[:page.Limit]
		last := list[len(list)-1]
		cur.W, cur.L, cur.Code, cur.ID = last.RaisedWeek.Format(time.DateOnly), last.Level, last.ProjectCode, last.ID
		next = postgres.EncodeCursor(cur)
	}
	return list, next, nil
}

// scopedProjectIDs are the projects a unit or task-force member sees.
func scopedProjectIDs(tx bun.IDB, s *postgres.Scope, today time.Time) *bun.SelectQuery {
	q := tx.NewSelect().Model((*postgres.ProjectRow)(nil)).Column("p.id")
	s.Apply(q, today)
	return q
}

// GetEscalation reads one row of the register.
func GetEscalation(ctx context.Context, tx bun.IDB, id uuid.UUID) (Escalation, error) {
	var list []Escalation
	if err := escalationQuery(tx, &list).Where("es.id = ?", id).Scan(ctx); err != nil {
		return Escalation{}, err
	}
	if len(list) == 0 {
		return Escalation{}, errs.E(errs.NotFound, "escalation_not_found", "未找到该问政记录", "no such escalation")
	}
	return list[0], nil
}

// EscalationChange moves an escalation: pending → scheduled (with a date) →
// done, or waived with a reason; version guards concurrent edits.
type EscalationChange struct {
	Status      string
	ScheduledOn *time.Time
	Note        string
	Version     int
}

var escalationMoves = map[string][]string{
	"pending":   {"scheduled", "waived"},
	"scheduled": {"scheduled", "done", "waived"},
	"done":      {},
	"waived":    {},
	"withdrawn": {}, // by a correction of the weeks it rested on, never by hand
}

// UpdateEscalation applies a change (audited).
func UpdateEscalation(ctx context.Context, tx bun.IDB, id uuid.UUID, c EscalationChange, now time.Time) (Escalation, error) {
	before, err := GetEscalation(ctx, tx, id)
	if err != nil {
		return before, err
	}
	if before.Version != c.Version {
		return before, errVersionConflict
	}
	allowed := false
	for _, s := range escalationMoves[before.Status] {
		allowed = allowed || s == c.Status
	}
	var v errs.Validation
	if !allowed {
		return before, errs.E(errs.Conflict, "escalation_wrong_state", fmt.Sprintf("问政记录当前为“%s”，不能改为“%s”", statusZh[before.Status], statusZh[c.Status]),
			fmt.Sprintf("an escalation that is %s cannot become %s", before.Status, c.Status))
	}
	if c.Status == "scheduled" && c.ScheduledOn == nil {
		v.Add("scheduled_on", "required", "请填写问政日期", "give the date of the questioning")
	}
	if c.Status == "waived" && len([]rune(c.Note)) < 4 {
		v.Add("note", "reason_required", "免于问政须写明理由（至少4个字）", "waiving needs a reason (at least 4 characters)")
	}
	if len([]rune(c.Note)) > 1000 {
		v.Add("note", "too_long", "说明不能超过1000字", "the note is at most 1000 characters")
	}
	if err := v.Err(); err != nil {
		return before, err
	}
	after := before
	after.Status, after.Note, after.Version, after.UpdatedAt = c.Status, c.Note, before.Version+1, now
	if c.ScheduledOn != nil {
		after.ScheduledOn = c.ScheduledOn
	}
	// The version is checked again by the UPDATE itself: a change committed
	// since the read above makes it match no row.
	res, err := tx.NewUpdate().Model(&after).Column("status", "scheduled_on", "note", "version", "updated_at").WherePK().
		Where("es.version = ?", before.Version).Exec(ctx)
	if err != nil {
		return before, postgres.MapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return before, err
	} else if n == 0 {
		return before, errVersionConflict
	}
	return after, postgres.Audit(ctx, tx, audit.Entry{Action: "escalation." + c.Status, EntityType: "escalation", EntityID: id.String(),
		Before: escalationView(before), After: escalationView(after)})
}

var errVersionConflict = errs.E(errs.Conflict, "version_conflict", "该记录已被他人修改，请刷新后重试", "the record was changed by someone else; reload and retry")

var statusZh = map[string]string{"pending": "待安排", "scheduled": "已安排", "done": "已问政", "waived": "免于问政", "withdrawn": "已撤销"}

func escalationView(e Escalation) map[string]any {
	m := map[string]any{"status": e.Status, "note": e.Note, "version": e.Version}
	if e.ScheduledOn != nil {
		m["scheduled_on"] = e.ScheduledOn.Format(time.DateOnly)
	}
	return m
}

// Evidence is what an escalation rests on: each week of the streak with its
// report, photos and verified visits.
type Evidence struct {
	Weeks []EvidenceWeek `json:"weeks"`
}

// EvidenceWeek is one week of a streak.
type EvidenceWeek struct {
	Week        string              `json:"week"`
	ReportState string              `json:"report_state"`
	Progress    bool                `json:"progress"`
	Report      *reportingdb.Report `json:"report"`
	PhotoIDs    []uuid.UUID         `json:"photo_ids"`
	Visits      int                 `json:"visits"`
	Verified    int                 `json:"verified_visits"`
}

// EscalationEvidence gathers the evidence of an escalation's streak.
func EscalationEvidence(ctx context.Context, tx bun.IDB, e Escalation) (Evidence, error) {
	var ev Evidence
	end := e.StreakStart.AddDate(0, 0, 7*(e.Weeks-1))
	var states []struct {
		Week   time.Time `bun:"week_start,type:date"`
		State  string    `bun:"report_state"`
		Prog   bool      `bun:"progress"`
		Visits int       `bun:"visits"`
		Verif  int       `bun:"verified"`
	}
	err := tx.NewRaw(`SELECT s.week_start, s.report_state, s.progress,
		(SELECT count(*) FROM site_visits v WHERE v.project_id = s.project_id AND v.week_start = s.week_start) AS visits,
		(SELECT count(*) FROM site_visits v WHERE v.project_id = s.project_id AND v.week_start = s.week_start AND v.verified) AS verified
		FROM week_status s WHERE s.project_id = ? AND s.week_start BETWEEN ? AND ? ORDER BY s.week_start`,
		e.ProjectID, e.StreakStart, end).Scan(ctx, &states)
	if err != nil {
		return ev, err
	}
	for _, s := range states {
		w := EvidenceWeek{Week: s.Week.Format(time.DateOnly), ReportState: s.State, Progress: s.Prog, Visits: s.Visits, Verified: s.Verif, PhotoIDs: []uuid.UUID{}}
		r, err := reportingdb.GetReport(ctx, tx, e.ProjectID, s.Week)
		if err == nil {
			w.Report = &r
		} else if !postgres.IsNotFound(err) {
			return ev, err
		}
		if err := tx.NewSelect().Table("photos").Column("id").Where("project_id = ? AND week_start = ? AND observation_id IS NULL", e.ProjectID, s.Week).
			Order("uploaded_at").Scan(ctx, &w.PhotoIDs); err != nil {
			return ev, err
		}
		ev.Weeks = append(ev.Weeks, w)
	}
	return ev, nil
}
