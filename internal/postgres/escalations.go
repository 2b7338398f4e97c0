package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/report"
	"github.com/tuijin/tuijin/internal/settings"
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
	StreakStart   time.Time  `bun:"streak_start,type:date" json:"-"`
	RaisedWeek    time.Time  `bun:"raised_week,type:date" json:"-"`
	Weeks         int        `bun:"weeks" json:"weeks"`
	Status        string     `bun:"status" json:"status"`
	ScheduledOn   *time.Time `bun:"scheduled_on,type:date" json:"-"`
	Note          string     `bun:"note" json:"note"`
	Version       int        `bun:"version" json:"version"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()" json:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at,nullzero,default:now()" json:"updated_at"`
	ProjectName   string     `bun:"project_name,scanonly" json:"project_name"`
	ProjectCode   string     `bun:"project_code,scanonly" json:"project_code"`
	PersonName    string     `bun:"person_name,scanonly" json:"person_name"`
	PersonPost    string     `bun:"person_post,scanonly" json:"person_post"`
	UnitName      string     `bun:"unit_name,scanonly" json:"unit_name"`
}

// EscalationFilter narrows the register.
type EscalationFilter struct {
	Status    string
	Level     int
	ProjectID *uuid.UUID
	Scope     *Scope
}

func escalationQuery(tx bun.IDB, list *[]Escalation) *bun.SelectQuery {
	return tx.NewSelect().Model(list).
		ColumnExpr("es.*, p.name AS project_name, p.code AS project_code, coalesce(pp.name, '') AS person_name, coalesce(pp.post, '') AS person_post, u.name AS unit_name").
		Join("JOIN projects AS p ON p.id = es.project_id").
		Join("JOIN units AS u ON u.id = p.responsible_unit_id").
		Join("LEFT JOIN people AS pp ON pp.id = es.person_id")
}

// ListEscalations lists the register, newest week first.
func ListEscalations(ctx context.Context, tx bun.IDB, f EscalationFilter, today time.Time) ([]Escalation, error) {
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
	err := q.OrderExpr("es.raised_week DESC, es.level DESC, p.name, es.id").Limit(1000).Scan(ctx)
	return list, err
}

// scopedProjectIDs are the projects a unit or task-force member sees.
func scopedProjectIDs(tx bun.IDB, s *Scope, today time.Time) *bun.SelectQuery {
	q := tx.NewSelect().Model((*projectRow)(nil)).Column("p.id")
	s.apply(q, today)
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
}

// UpdateEscalation applies a change (audited).
func UpdateEscalation(ctx context.Context, tx bun.IDB, id uuid.UUID, c EscalationChange, now time.Time) (Escalation, error) {
	before, err := GetEscalation(ctx, tx, id)
	if err != nil {
		return before, err
	}
	if before.Version != c.Version {
		return before, errs.E(errs.Conflict, "version_conflict", "该记录已被他人修改，请刷新后重试", "the record was changed by someone else; reload and retry")
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
	if _, err := tx.NewUpdate().Model(&after).Column("status", "scheduled_on", "note", "version", "updated_at").WherePK().Exec(ctx); err != nil {
		return before, mapErr(err)
	}
	return after, Audit(ctx, tx, audit.Entry{Action: "escalation." + c.Status, EntityType: "escalation", EntityID: id.String(),
		Before: escalationView(before), After: escalationView(after)})
}

var statusZh = map[string]string{"pending": "待安排", "scheduled": "已安排", "done": "已问政", "waived": "免于问政"}

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
	Week        string      `json:"week"`
	ReportState string      `json:"report_state"`
	Progress    bool        `json:"progress"`
	Report      *Report     `json:"report"`
	PhotoIDs    []uuid.UUID `json:"photo_ids"`
	Visits      int         `json:"visits"`
	Verified    int         `json:"verified_visits"`
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
		r, err := GetReport(ctx, tx, e.ProjectID, s.Week)
		if err == nil {
			w.Report = &r
		} else if !isNotFound(err) {
			return ev, err
		}
		if err := tx.NewSelect().Table("photos").Column("id").Where("project_id = ? AND week_start = ?", e.ProjectID, s.Week).
			Order("uploaded_at").Scan(ctx, &w.PhotoIDs); err != nil {
			return ev, err
		}
		ev.Weeks = append(ev.Weeks, w)
	}
	return ev, nil
}

func isNotFound(err error) bool {
	return db.NoRows(err) || errs.KindOf(err) == errs.NotFound
}

// OutboxRow is a change waiting for the relay.
type OutboxRow struct {
	ID      int64           `bun:"id"`
	Kind    string          `bun:"kind"`
	Payload json.RawMessage `bun:"payload"`
}

// PendingOutbox locks up to limit unrelayed rows of the county.
func PendingOutbox(ctx context.Context, tx bun.IDB, limit int) ([]OutboxRow, error) {
	var rows []OutboxRow
	err := tx.NewRaw("SELECT id, kind, payload FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED", limit).Scan(ctx, &rows)
	return rows, err
}

// MarkRelayed stamps relayed rows.
func MarkRelayed(ctx context.Context, tx bun.IDB, ids []int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, "UPDATE outbox SET relayed_at = ? WHERE id = ANY(?::bigint[])", now, pgdialect.Array(ids))
	return err
}

// EnqueueJob writes an outbox row asking the worker to run a county's job.
func EnqueueJob(ctx context.Context, tx bun.IDB, job, period string) error {
	b, _ := json.Marshal(map[string]string{"job": job, "period": period})
	_, err := tx.ExecContext(ctx, "INSERT INTO outbox (kind, payload) VALUES ('job', ?)", string(b))
	return err
}

// DeadLetter is a task that failed its last retry.
type DeadLetter struct {
	bun.BaseModel `bun:"table:dead_letters,alias:dl"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid" json:"id"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	TaskType      string          `bun:"task_type" json:"task_type"`
	Payload       json.RawMessage `bun:"payload,type:jsonb" json:"payload"`
	Error         string          `bun:"error" json:"error"`
	Attempts      int             `bun:"attempts" json:"attempts"`
	FailedAt      time.Time       `bun:"failed_at,nullzero,default:now()" json:"failed_at"`
	RetriedAt     *time.Time      `bun:"retried_at" json:"retried_at"`
	RetriedBy     *uuid.UUID      `bun:"retried_by,type:uuid" json:"-"`
}

// AddDeadLetter records a dead task.
func AddDeadLetter(ctx context.Context, tx bun.IDB, taskType string, payload []byte, msg string, attempts int) error {
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	_, err := tx.NewInsert().Model(&DeadLetter{ID: uuid.New(), TaskType: taskType, Payload: payload, Error: msg, Attempts: attempts}).Exec(ctx)
	return err
}

// ListDeadLetters lists the county's dead tasks, open ones first.
func ListDeadLetters(ctx context.Context, tx bun.IDB) ([]DeadLetter, error) {
	var list []DeadLetter
	err := tx.NewSelect().Model(&list).OrderExpr("dl.retried_at IS NOT NULL, dl.failed_at DESC").Limit(500).Scan(ctx)
	return list, err
}

// RetryDeadLetter puts a dead task back through the outbox (audited): a job
// is run again for its period; a delivery is reset to pending and resent.
func RetryDeadLetter(ctx context.Context, tx bun.IDB, id uuid.UUID, by uuid.UUID, now time.Time) (DeadLetter, error) {
	var d DeadLetter
	if err := tx.NewSelect().Model(&d).Where("dl.id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		if db.NoRows(err) {
			return d, errs.E(errs.NotFound, "dead_letter_not_found", "未找到该失败任务", "no such failed task")
		}
		return d, err
	}
	if d.RetriedAt != nil {
		return d, errs.E(errs.Conflict, "dead_letter_retried", "该任务已重新提交", "this task was already retried")
	}
	var p struct {
		DeliveryID *uuid.UUID `json:"delivery_id"`
		Job        string     `json:"job"`
		Period     string     `json:"period"`
	}
	_ = json.Unmarshal(d.Payload, &p)
	switch {
	case p.DeliveryID != nil:
		if _, err := tx.ExecContext(ctx, "UPDATE deliveries SET status = 'pending' WHERE id = ? AND status = 'dead'", *p.DeliveryID); err != nil {
			return d, err
		}
		b, _ := json.Marshal(map[string]any{"delivery_id": p.DeliveryID})
		if _, err := tx.ExecContext(ctx, "INSERT INTO outbox (kind, payload) VALUES ('deliver', ?)", string(b)); err != nil {
			return d, err
		}
	case p.Job != "":
		if err := EnqueueJob(ctx, tx, p.Job, p.Period); err != nil {
			return d, err
		}
	default:
		return d, errs.E(errs.Invalid, "dead_letter_unknown", "无法识别该任务，不能重试", "this task cannot be retried")
	}
	d.RetriedAt, d.RetriedBy = &now, &by
	if _, err := tx.NewUpdate().Model(&d).Column("retried_at", "retried_by").WherePK().Exec(ctx); err != nil {
		return d, err
	}
	return d, Audit(ctx, tx, audit.Entry{Action: "dead_letter.retry", EntityType: "dead_letter", EntityID: id.String(),
		After: map[string]any{"task_type": d.TaskType, "payload": d.Payload}})
}

// RemindReports tells each project's helper, the day before the deadline,
// that the week's report is not yet submitted.
func RemindReports(ctx context.Context, tx bun.IDB, week time.Time) (map[string]int, error) {
	var due []struct {
		ProjectID   uuid.UUID `bun:"project_id"`
		ProjectName string    `bun:"project_name"`
		PersonID    uuid.UUID `bun:"person_id"`
	}
	end := week.AddDate(0, 0, 6)
	err := tx.NewRaw(`SELECT e.project_id, p.name AS project_name, a.person_id
		FROM key_list_entries e JOIN key_lists k ON k.id = e.key_list_id AND k.year = ?2
		JOIN projects p ON p.id = e.project_id
		JOIN task_force_assignments a ON a.project_id = e.project_id AND a.role = 'helper'
		  AND a.valid_from <= ?1::date AND (a.valid_to IS NULL OR a.valid_to > ?1::date)
		LEFT JOIN weekly_reports r ON r.project_id = e.project_id AND r.week_start = ?0::date
		WHERE e.added_on <= ?1::date AND (e.removed_on IS NULL OR e.removed_on > ?0::date)
		  AND (r.id IS NULL OR r.status IN ('draft','returned'))`, week, end, week.Year()).Scan(ctx, &due)
	if err != nil {
		return nil, err
	}
	people := make([]uuid.UUID, len(due))
	for i, d := range due {
		people[i] = d.PersonID
	}
	accounts, err := AccountsOfPeople(ctx, tx, people)
	if err != nil {
		return nil, err
	}
	rules, err := SettingsOn(ctx, tx, week)
	if err != nil {
		return nil, err
	}
	deadline := report.Deadline(week, rules.Values).In(settings.Shanghai).Format("1月2日 15:04")
	var msgs []Message
	for _, d := range due {
		for _, a := range accounts[d.PersonID] {
			msgs = append(msgs, Message{AccountID: a, Kind: MsgReportDue, Title: "周报明日截止：" + d.ProjectName,
				Body: fmt.Sprintf("项目“%s”本周周报将于%s截止，请及时填报并提交。", d.ProjectName, deadline),
				Link: "/", IdemKey: "due:" + d.ProjectID.String() + ":" + week.Format(time.DateOnly)})
		}
	}
	n, err := Notify(ctx, tx, msgs)
	return map[string]int{"projects": len(due), "messages": n}, err
}

// DeadlineMessages tells the office and the assigned unit's accounts about
// problems and procedure items due on the day after today, and those overdue
// (once each).
func DeadlineMessages(ctx context.Context, tx bun.IDB, today time.Time) (map[string]int, error) {
	var items []struct {
		Kind        string    `bun:"kind"`
		ID          uuid.UUID `bun:"id"`
		ProjectID   uuid.UUID `bun:"project_id"`
		ProjectName string    `bun:"project_name"`
		What        string    `bun:"what"`
		Due         time.Time `bun:"due,type:date"`
		UnitID      uuid.UUID `bun:"unit_id"`
	}
	err := tx.NewRaw(`SELECT 'problem' AS kind, pb.id, pb.project_id, p.name AS project_name, left(pb.description, 60) AS what,
		  pb.deadline AS due, coalesce(pb.assigned_unit_id, p.responsible_unit_id) AS unit_id
		FROM problems pb JOIN projects p ON p.id = pb.project_id
		WHERE pb.status IN ('open','in_progress') AND pb.deadline <= ?0::date + 1
		UNION ALL
		SELECT 'procedure', pr.id, pr.project_id, p.name, t.name, pr.planned_date, pr.service_unit_id
		FROM project_procedures pr JOIN projects p ON p.id = pr.project_id JOIN procedure_types t ON t.id = pr.type_id
		WHERE pr.status IN ('pending','in_progress') AND pr.planned_date <= ?0::date + 1`, today).Scan(ctx, &items)
	if err != nil {
		return nil, err
	}
	office, err := OfficeAccounts(ctx, tx)
	if err != nil {
		return nil, err
	}
	var unitAccounts []struct {
		UnitID    uuid.UUID `bun:"unit_id"`
		AccountID uuid.UUID `bun:"account_id"`
	}
	if err := tx.NewRaw(`SELECT pe.unit_id, a.id AS account_id FROM accounts a JOIN people pe ON pe.id = a.person_id
		JOIN casbin_rules r ON r.ptype = 'g' AND r.v0 = a.id::text AND r.v1 = 'unit_user'
		WHERE NOT a.disabled AND pe.unit_id IS NOT NULL`).Scan(ctx, &unitAccounts); err != nil {
		return nil, err
	}
	byUnit := map[uuid.UUID][]uuid.UUID{}
	for _, u := range unitAccounts {
		byUnit[u.UnitID] = append(byUnit[u.UnitID], u.AccountID)
	}
	var msgs []Message
	near, overdue := 0, 0
	for _, it := range items {
		kind, title, key := MsgDeadlineNear, "明日到期：", "near:"
		if it.Due.Before(today) {
			kind, title, key = MsgDeadlineOverdue, "已逾期：", "overdue:"
			overdue++
		} else {
			near++
		}
		what := map[string]string{"problem": "问题", "procedure": "审批事项"}[it.Kind]
		body := fmt.Sprintf("项目“%s”的%s“%s”办理期限为%s。", it.ProjectName, what, it.What, it.Due.Format("2006年1月2日"))
		for _, a := range append(append([]uuid.UUID{}, office...), byUnit[it.UnitID]...) {
			msgs = append(msgs, Message{AccountID: a, Kind: kind, Title: title + it.ProjectName + " " + what, Body: body,
				Link: "/projects/" + it.ProjectID.String(), IdemKey: key + it.Kind + ":" + it.ID.String() + ":" + it.Due.Format(time.DateOnly)})
		}
	}
	n, err := Notify(ctx, tx, msgs)
	return map[string]int{"near": near, "overdue": overdue, "messages": n}, err
}
