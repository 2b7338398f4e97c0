// Package uploads stores what clients upload (site photos, signed letter
// scans, ledger workbooks) without holding a database transaction open while
// the body arrives, and without leaving locked objects that no row refers to
// (issue 13).
//
// An upload goes in three steps. (1) The request's own short transaction
// authorises it and begins a stage (Begin), which names the prefix its
// objects will be stored under. (2) With no transaction open, the body is
// spooled to a file, hashed and inspected, and its objects are stored
// unlocked under the prefix. (3) A second transaction writes the rows and
// commits the stage with the object versions to lock (Commit); after it
// commits, Finish locks them and drops the stage. A failure after step 2
// calls Abandon, which removes the objects. Whatever a crash leaves between
// the steps, the worker's Sweep finishes: a committed stage is locked, an
// uncommitted one older than Grace has its objects removed.
//
// The stage row is the lock between a late upload and the sweeper: Sweep
// first claims it for a lease (committed at once), then removes the objects
// with no transaction open and deletes it; the upload's Commit finds it
// claimed or gone and rolls back (ErrStageGone). A Commit in progress holds
// the row, and Sweep skips it.
//
// The worker's jobs that finish an upload (a photo's display copy and
// thumbnail, a refused workbook's annotated copy) are in this package too.
package uploads

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Grace is how long an uncommitted stage may live before the sweeper takes
// it for abandoned. A request cannot last that long: the server reads a
// body for at most a minute and writes an answer for at most two.
const Grace = 15 * time.Minute

// Stager begins, commits and finishes stages.
type Stager struct {
	DB    *db.DB
	Store *objects.Store
	Log   *slog.Logger
}

// Stage is a begun stage: where its objects go.
type Stage struct {
	postgres.Stage
}

// Begin records a stage in tx (the request's short transaction, bound to
// the county) for objects under prefix; exclusive allows one uncommitted
// stage per county and purpose (postgres.ErrStageBusy).
func (s Stager) Begin(ctx context.Context, tx bun.IDB, purpose, prefix string, exclusive bool) (Stage, error) {
	st, err := postgres.BeginStage(ctx, tx, purpose, prefix, exclusive)
	return Stage{st}, err
}

// Commit marks the stage committed in tx, the transaction that writes the
// rows referring to objs, which Finish then locks until retainUntil (zero:
// objects that are not to be locked; the stage is dropped in tx).
func (s Stager) Commit(ctx context.Context, tx bun.IDB, st Stage, objs []objects.Stored, retainUntil time.Time) error {
	var list []postgres.StagedObject
	if !retainUntil.IsZero() {
		for _, o := range objs {
			list = append(list, postgres.StagedObject{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return postgres.CommitStage(ctx, tx, st.Stage, list, retainUntil)
}

// Finish locks a committed stage's objects and drops it, after the commit.
// It logs what it could not do: the sweeper does it later.
func (s Stager) Finish(ctx context.Context, county uuid.UUID, st Stage) {
	if _, err := s.settle(ctx, county, &st.ID, time.Now()); err != nil {
		s.Log.WarnContext(ctx, "upload: finishing left to the sweeper", "stage", st.ID, "prefix", st.Prefix, "error", err)
	}
}

// Abandon removes an uncommitted stage's objects and the stage, after its
// upload failed. A stage that did commit (a commit whose answer was lost) is
// finished instead. It logs what it could not do: the sweeper does it later.
func (s Stager) Abandon(ctx context.Context, county uuid.UUID, st Stage) {
	if _, err := s.settle(ctx, county, &st.ID, time.Now()); err != nil {
		s.Log.WarnContext(ctx, "upload: removal left to the sweeper", "stage", st.ID, "prefix", st.Prefix, "error", err)
	}
}

// Swept counts what a sweep did.
type Swept struct {
	Locked  int // committed stages whose objects were locked
	Removed int // abandoned stages whose objects were removed
	Objects int // object versions removed
}

// Sweep settles the county's stages that need it: committed ones are
// locked, uncommitted ones older than grace are removed. It runs in the
// worker every minute (see Sweeper).
func (s Stager) Sweep(ctx context.Context, county uuid.UUID, grace time.Duration) (Swept, error) {
	var total Swept
	for {
		sw, err := s.settle(ctx, county, nil, time.Now().Add(-grace))
		total.Locked += sw.Locked
		total.Removed += sw.Removed
		total.Objects += sw.Objects
		if err != nil || sw.Locked+sw.Removed < sweepBatch {
			return total, err
		}
	}
}

const sweepBatch = 50

// ClaimLease is how long settling may hold a stage: longer than locking or
// removing a stage's objects takes.
const ClaimLease = 2 * time.Minute

// settle claims the stage id (nil: the county's stages due: committed ones,
// and uncommitted ones created before staleBefore) and settles each:
// committed ones are locked, uncommitted ones removed; each settled stage is
// deleted. The claim, committed first, is the lock against a late Commit;
// the object store is called with no transaction open. A stage it could not
// settle stays claimed until the lease runs out, then the next sweep takes
// it; the error names it.
func (s Stager) settle(ctx context.Context, county uuid.UUID, id *uuid.UUID, staleBefore time.Time) (Swept, error) {
	var sw Swept
	var failed []error
	ctx = context.WithoutCancel(ctx)
	var stages []postgres.Stage
	err := s.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		var err error
		stages, err = postgres.ClaimStages(ctx, tx, staleBefore, sweepBatch, id, ClaimLease)
		return err
	})
	if err != nil {
		return sw, err
	}
	for _, st := range stages {
		if st.CommittedAt != nil {
			err = s.lock(ctx, st)
			if err == nil {
				sw.Locked++
			}
		} else {
			var n int
			n, err = s.Store.RemovePrefix(ctx, st.Prefix)
			sw.Objects += n
			if err == nil {
				sw.Removed++
			}
		}
		if err == nil {
			err = s.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error { return postgres.DropStage(ctx, tx, st.ID) })
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("stage %s (%s): %w", st.ID, st.Prefix, err))
		}
	}
	return sw, errors.Join(failed...)
}

func (s Stager) lock(ctx context.Context, st postgres.Stage) error {
	if st.RetainUntil == nil {
		return nil
	}
	for _, o := range st.StagedObjects() {
		if err := s.Store.Lock(ctx, o.Key, o.VersionID, *st.RetainUntil); err != nil {
			return err
		}
	}
	return nil
}
