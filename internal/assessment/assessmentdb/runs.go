package assessmentdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/uploads"
)

// JobCompute is the worker's job that computes an assessment; its period is
// the run's id.
const JobCompute = "assessment_compute"

// Run is the office's request to compute a period's assessment.
type Run struct {
	bun.BaseModel `bun:"table:assessment_runs,alias:ar"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Period        string     `bun:"period"`
	PeriodStart   time.Time  `bun:"period_start,type:date"`
	PeriodEnd     time.Time  `bun:"period_end,type:date"`
	Reason        string     `bun:"reason"`
	RequestedBy   uuid.UUID  `bun:"requested_by,type:uuid"`
	RequestedAt   time.Time  `bun:"requested_at"`
	Status        string     `bun:"status"` // queued, done, failed
	AssessmentID  *uuid.UUID `bun:"assessment_id,type:uuid"`
	ErrorZH       string     `bun:"error_zh"`
	ErrorEN       string     `bun:"error_en"`
	FinishedAt    *time.Time `bun:"finished_at"`
}

func (r Run) period() bulletin.Period {
	return bulletin.Period{Kind: bulletin.PeriodKind(r.Period), Start: r.PeriodStart, End: r.PeriodEnd}
}

// Request records the office's request to compute p and queues the
// worker's job (audited). What can be refused now is refused now (a
// correction of an approved version without a reason); a request while one
// for the period is queued is that request (queued false).
func Request(ctx context.Context, tx bun.IDB, p bulletin.Period, reason string, by uuid.UUID, now time.Time) (Run, bool, error) {
	if p.Kind != bulletin.PeriodHalf && p.Kind != bulletin.PeriodYear {
		return Run{}, false, errPeriod
	}
	if err := lockPeriod(ctx, tx, p); err != nil {
		return Run{}, false, err
	}
	var waiting []Run
	if err := tx.NewSelect().Model(&waiting).Where("ar.period = ? AND ar.period_start = ? AND ar.status = 'queued'", string(p.Kind), p.Start).Scan(ctx); err != nil {
		return Run{}, false, err
	}
	if len(waiting) > 0 {
		return waiting[0], false, nil
	}
	prior, err := List(ctx, tx, p)
	if err != nil {
		return Run{}, false, err
	}
	reason = strings.TrimSpace(reason)
	if len(prior) > 0 {
		if err := correctionReason(prior[0], reason); err != nil {
			return Run{}, false, err
		}
	}
	r := Run{ID: uuid.New(), Period: string(p.Kind), PeriodStart: p.Start, PeriodEnd: p.End, Reason: reason, RequestedBy: by, RequestedAt: now, Status: "queued"}
	if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
		return r, false, postgres.MapErr(err)
	}
	if err := postgres.EnqueueJob(ctx, tx, JobCompute, r.ID.String()); err != nil {
		return r, false, err
	}
	return r, true, postgres.Audit(ctx, tx, audit.Entry{Action: "assessment.request", EntityType: "assessment_run", EntityID: r.ID.String(),
		After: map[string]any{"period": r.Period, "start": p.Start.Format(time.DateOnly), "reason": reason}})
}

// GetRun reads a request.
func GetRun(ctx context.Context, tx bun.IDB, id uuid.UUID) (Run, error) {
	var out []Run
	if err := tx.NewSelect().Model(&out).Where("ar.id = ?", id).Scan(ctx); err != nil {
		return Run{}, err
	}
	if len(out) == 0 {
		return Run{}, errs.E(errs.NotFound, "assessment_run_not_found", "未找到该计算请求", "no such computation request")
	}
	return out[0], nil
}

// Runs are a period's newest requests, newest first.
func Runs(ctx context.Context, tx bun.IDB, p bulletin.Period, limit int) ([]Run, error) {
	out := []Run{}
	return out, tx.NewSelect().Model(&out).Where("ar.period = ? AND ar.period_start = ?", string(p.Kind), p.Start).
		OrderExpr("ar.requested_at DESC, ar.id").Limit(int64(limit)).Scan(ctx)
}

// errChanged: the versions on record changed between gathering and
// writing (an approval or an adjustment meanwhile); the job runs again.
var errChanged = errors.New("assessment: the versions changed while the snapshot was gathered; computing again")

// Computer runs the worker's computations.
type Computer struct {
	DB          *db.DB
	Stager      uploads.Stager // its Store keeps the snapshots
	RetainYears int
}

// RunCompute carries out a request in three steps, none of which waits on
// the object store inside a transaction: (1) in one REPEATABLE READ
// transaction the version to write is decided and the period's snapshot
// gathered, every query seeing the same moment, and a stage begun for its
// object; (2) the snapshot is stored under the stage, unlocked; (3) in a
// second transaction the request is taken (it must still be queued), the
// versions on record must be as they were in (1), the version is written
// with the result computed from the snapshot, the snapshot's and the
// result's hashes audited, the request marked done and the stage
// committed; after the commit the object is locked. A refusal (a reason
// now needed) marks the request failed with the reason; last makes any
// other failure final too. A request no longer queued is done already.
func (c Computer) RunCompute(ctx context.Context, county, id uuid.UUID, now time.Time, last bool) error {
	if c.Stager.Store == nil {
		return errStorage
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "worker:" + JobCompute})
	var (
		run   Run
		n     next
		snap  assessment.Snapshot
		st    uploads.Stage
		ready bool
	)
	err := c.DB.InCountySnapshot(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if run, err = GetRun(ctx, tx, id); err != nil || run.Status != "queued" {
			return err
		}
		if n, err = nextVersion(ctx, tx, run.period(), run.Reason, run.RequestedBy, now); err != nil {
			return err
		}
		if snap, err = Gather(ctx, tx, run.period()); err != nil {
			return err
		}
		snap.Adjustments = n.Carried
		// Each attempt its own prefix: a retry, or a second delivery of the
		// job, never meets the stage an earlier attempt left.
		st, err = c.Stager.Begin(ctx, tx, "assessment", fmt.Sprintf("assessments/%s/%s/run-%s/%s/", county, n.V.ID, id, uuid.NewString()), false)
		ready = err == nil
		return err
	})
	if err != nil {
		return c.fail(ctx, county, id, err, last)
	}
	if !ready {
		return nil // done or failed already
	}
	b, sum := encode(snap)
	stored, err := c.Stager.Store.PutBytes(ctx, fmt.Sprintf("%ssnapshot-%x.json", st.Prefix, sum[:8]), b, "application/json", time.Time{})
	if err != nil {
		c.Stager.Abandon(ctx, county, st)
		return c.fail(ctx, county, id, err, last)
	}
	err = c.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		if err := lockPeriod(ctx, tx, run.period()); err != nil {
			return err
		}
		var taken []Run
		if err := tx.NewSelect().Model(&taken).Where("ar.id = ? AND ar.status = 'queued'", id).For("UPDATE").Scan(ctx); err != nil || len(taken) == 0 {
			return err // another attempt finished it: nothing to write (the stage is abandoned below)
		}
		again, err := nextVersion(ctx, tx, run.period(), run.Reason, run.RequestedBy, now)
		if err != nil {
			return err
		}
		if !sameRecord(n, again) {
			return errChanged
		}
		v, err := record(ctx, tx, n, snap, b, sum, stored)
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Run)(nil)).Set("status = 'done', assessment_id = ?, finished_at = ?", v.ID, now).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return c.Stager.Commit(ctx, tx, st, []objects.Stored{stored}, now.AddDate(c.RetainYears, 0, 0))
	})
	// A committed stage is finished (locked); any other is removed.
	c.Stager.Finish(ctx, county, st)
	if err != nil {
		return c.fail(ctx, county, id, err, last)
	}
	return nil
}

// sameRecord says whether the versions on record are as they were when the
// snapshot was gathered.
func sameRecord(a, b next) bool {
	if (a.Last == nil) != (b.Last == nil) {
		return false
	}
	if a.Last == nil {
		return true
	}
	return a.Last.ID == b.Last.ID && a.Last.Status == b.Last.Status && bytes.Equal(a.Last.SnapshotSHA256, b.Last.SnapshotSHA256)
}

// fail records why a request failed when the failure is final — a refusal,
// or any failure on the last attempt — and returns what the worker should
// retry (nil when final).
func (c Computer) fail(ctx context.Context, county, id uuid.UUID, cause error, last bool) error {
	var e *errs.Error
	refused := errors.As(cause, &e) && e.Kind != errs.Unavailable
	if !refused && !last {
		return cause
	}
	zh, en := "计算失败，请稍后重试或联系运维人员", "the computation failed; try again later or ask the operators"
	if refused {
		zh, en = e.ZH, e.EN
		for _, f := range e.Fields {
			zh, en = zh+"："+f.ZH, en+": "+f.EN
		}
	}
	err := c.DB.InCounty(context.WithoutCancel(ctx), county, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewUpdate().Model((*Run)(nil)).Set("status = 'failed', error_zh = ?, error_en = ?, finished_at = now()", zh, en).
			Where("id = ? AND status = 'queued'", id).Exec(ctx)
		if err != nil {
			return err
		}
		return postgres.Audit(ctx, tx, audit.Entry{Action: "assessment.run_failed", EntityType: "assessment_run", EntityID: id.String(),
			After: map[string]any{"error": cause.Error()}})
	})
	if err != nil {
		return errors.Join(cause, err)
	}
	return nil
}
