// Background work (issue 7 §1): job runs keyed by county, job and period,
// the outbox the relay drains, and the dead-letter list.

package postgres

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
)

// LockJob serialises every run of one county's job for one period across
// workers (transaction-scoped advisory lock) and reports whether the period
// is already done, with its stored result.
func LockJob(ctx context.Context, tx bun.IDB, job, period string) (done bool, result json.RawMessage, err error) {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('job:' || app_county()::text || ':' || ? || ':' || ?, 0))", job, period); err != nil {
		return false, nil, err
	}
	err = tx.QueryRowContext(ctx, "SELECT result FROM job_runs WHERE county_id = app_county() AND job = ? AND period = ?", job, period).Scan(&result)
	if db.NoRows(err) {
		return false, nil, nil
	}
	return err == nil, result, err
}

// FinishJob records a period as done with its result, in the transaction
// that wrote the results.
func FinishJob(ctx context.Context, tx bun.IDB, job, period string, result any, now time.Time) error {
	b, err := json.Marshal(result)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO job_runs (job, period, finished_at, result) VALUES (?, ?, ?, ?)", job, period, now, string(b))
	return err
}

// JobDone tells whether a county's job ran for a period.
func JobDone(ctx context.Context, tx bun.IDB, job, period string) (bool, error) {
	return tx.NewSelect().Table("job_runs").Where("county_id = app_county() AND job = ? AND period = ?", job, period).Exists(ctx)
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

// ListDeadLetters lists a page of the county's dead tasks, newest first
// (a retried one says so); next is the cursor of the following page.
func ListDeadLetters(ctx context.Context, tx bun.IDB, page Page) ([]DeadLetter, string, error) {
	list := []DeadLetter{}
	next, err := NewestFirst(ctx, tx.NewSelect().Model((*DeadLetter)(nil)), page, "dl.failed_at", "dl.id",
		func(d DeadLetter) (time.Time, uuid.UUID) { return d.FailedAt, d.ID }, &list)
	return list, next, err
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
