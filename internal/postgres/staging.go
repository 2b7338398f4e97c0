// Staged uploads (issue 13): objects stored unlocked under a stage's prefix
// until the transaction that writes the rows referring to them commits.

package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
)

// Stage is one upload's staging record.
type Stage struct {
	bun.BaseModel `bun:"table:staged_uploads,alias:su"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Purpose       string          `bun:"purpose"`
	Prefix        string          `bun:"prefix"`
	Exclusive     bool            `bun:"exclusive"`
	CommittedAt   *time.Time      `bun:"committed_at"`
	Objects       json.RawMessage `bun:"objects,type:jsonb,nullzero,default:'[]'"`
	RetainUntil   *time.Time      `bun:"retain_until"`
	ClaimedUntil  *time.Time      `bun:"claimed_until"`
	CreatedAt     time.Time       `bun:"created_at,nullzero,default:now()"`
}

// StagedObject is one object version a committed stage locks.
type StagedObject struct {
	Key       string `json:"key"`
	VersionID string `json:"version_id"`
}

// ErrStageBusy is an exclusive stage (a ledger import) of the county that
// is still open.
var ErrStageBusy = errs.E(errs.Conflict, "import_in_progress", "本县已有一个导入正在进行，请等它完成后再试（中断的导入最迟15分钟后释放）",
	"another import of this county is in progress; try again when it has finished (an interrupted one is released within 15 minutes)")

// ErrStageGone is a stage that was swept (or taken) before its upload's rows
// were written: the upload took far too long.
var ErrStageGone = errs.E(errs.Conflict, "upload_expired", "上传耗时过长已失效，请重新上传", "the upload took too long and has expired; upload it again")

// BeginStage records a stage for the objects to be stored under prefix
// (ending in "/"). An exclusive stage is refused with ErrStageBusy while the
// county has another uncommitted one of the same purpose.
func BeginStage(ctx context.Context, tx bun.IDB, purpose, prefix string, exclusive bool) (Stage, error) {
	st := Stage{ID: uuid.New(), Purpose: purpose, Prefix: prefix, Exclusive: exclusive}
	res, err := tx.NewInsert().Model(&st).On("CONFLICT (county_id, purpose) WHERE exclusive AND committed_at IS NULL DO NOTHING").Exec(ctx)
	if err != nil {
		return Stage{}, MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Stage{}, ErrStageBusy
	}
	return st, nil
}

// CommitStage marks the stage committed, in the transaction that writes the
// rows referring to its objects: objs are to be locked until retainUntil.
// With nothing to lock, the stage is dropped instead. A stage already swept
// is ErrStageGone (the transaction must then roll back).
func CommitStage(ctx context.Context, tx bun.IDB, st Stage, objs []StagedObject, retainUntil time.Time) error {
	var res sql.Result
	var err error
	// A stage the sweeper has claimed is being removed: too late.
	if len(objs) == 0 {
		res, err = tx.NewDelete().Model((*Stage)(nil)).Where("id = ? AND committed_at IS NULL AND claimed_until IS NULL", st.ID).Exec(ctx)
	} else {
		b, _ := json.Marshal(objs)
		res, err = tx.NewUpdate().Model((*Stage)(nil)).Set("committed_at = now()").Set("objects = ?", string(b)).Set("retain_until = ?", retainUntil).
			Where("id = ? AND committed_at IS NULL AND claimed_until IS NULL", st.ID).Exec(ctx)
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStageGone
	}
	return nil
}

// DropStage deletes a finished stage.
func DropStage(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	_, err := tx.NewDelete().Model((*Stage)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}

// ClaimStages claims for lease up to limit of the county's stages that
// need the sweeper: committed ones (to lock) and uncommitted ones created
// before staleBefore (to remove); stages another claim holds are skipped.
// With id set, only that stage is claimed, whatever its age. The claim is
// committed with tx; the objects are then locked or removed with no
// transaction open, and the stage dropped. A claim whose holder died runs
// out and the stage is claimed again.
func ClaimStages(ctx context.Context, tx bun.IDB, staleBefore time.Time, limit int, id *uuid.UUID, lease time.Duration) ([]Stage, error) {
	out := []Stage{}
	which, arg := "(committed_at IS NOT NULL OR created_at < ?)", any(staleBefore)
	if id != nil {
		which, arg = "id = ?", *id
	}
	err := tx.NewRaw(`UPDATE staged_uploads SET claimed_until = now() + ?::interval
		WHERE id IN (SELECT id FROM staged_uploads WHERE `+which+` AND (claimed_until IS NULL OR claimed_until < now())
		             ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED)
		RETURNING *`, fmt.Sprintf("%d milliseconds", lease.Milliseconds()), arg, limit).Scan(ctx, &out)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return out, err
}

// StagedObjects are the objects a committed stage locks.
func (st Stage) StagedObjects() []StagedObject {
	var out []StagedObject
	_ = json.Unmarshal(st.Objects, &out)
	return out
}
