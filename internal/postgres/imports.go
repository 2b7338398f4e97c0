package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
)

// ImportAttempt is one upload of a ledger workbook: what came of it, its
// complaints (capped) and, when refused, the workbook with the bad cells
// marked. Attempts are kept 30 days.
type ImportAttempt struct {
	bun.BaseModel `bun:"table:import_attempts,alias:ia"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Kind          string          `bun:"kind"`
	Year          int             `bun:"year"`
	FileName      string          `bun:"file_name"`
	Outcome       string          `bun:"outcome"` // imported, dry_run, refused
	RowsRead      int             `bun:"rows_read"`
	ProblemsTotal int             `bun:"problems_total"`
	Problems      json.RawMessage `bun:"problems,type:jsonb"`
	Annotated     []byte          `bun:"annotated"`
	CreatedBy     *uuid.UUID      `bun:"created_by,type:uuid"`
	CreatedAt     time.Time       `bun:"created_at,nullzero,default:now()"`
	ExpiresAt     time.Time       `bun:"expires_at,nullzero,default:now() + interval '30 days'"`
	HasAnnotated  bool            `bun:"has_annotated,scanonly"`
	// SourcePrefix is where the refused upload and its bad cells wait for
	// the worker to make the annotated copy (AnnotationPending), which then
	// removes them.
	SourcePrefix      *string `bun:"source_prefix"`
	AnnotationPending bool    `bun:"annotation_pending"`
}

// RecordImportAttempt stores an attempt (audited) and drops the county's
// attempts past their 30 days.
func RecordImportAttempt(ctx context.Context, tx bun.IDB, a ImportAttempt) (ImportAttempt, error) {
	if _, err := tx.NewDelete().Model((*ImportAttempt)(nil)).Where("ia.expires_at < now()").Exec(ctx); err != nil {
		return a, err
	}
	a.ID = uuid.New()
	if a.Problems == nil {
		a.Problems = json.RawMessage("[]")
	}
	if runes := []rune(a.FileName); len(runes) > 200 {
		a.FileName = string(runes[:200])
	}
	if _, err := tx.NewInsert().Model(&a).Returning("created_at, expires_at").Exec(ctx); err != nil {
		return a, MapErr(err)
	}
	return a, Audit(ctx, tx, audit.Entry{Action: "import." + a.Outcome, EntityType: "import_attempt", EntityID: a.ID.String(),
		After: map[string]any{"kind": a.Kind, "year": a.Year, "file_name": a.FileName, "rows": a.RowsRead, "problems": a.ProblemsTotal}})
}

var errAttemptNotFound = errs.E(errs.NotFound, "import_attempt_not_found", "未找到该导入记录（导入记录保留30天）", "no such import attempt (attempts are kept 30 days)")

// ImportAttempts lists a page of the county's attempts, newest first
// (without the workbooks themselves).
func ImportAttempts(ctx context.Context, tx bun.IDB, page Page) ([]ImportAttempt, string, error) {
	list := []ImportAttempt{}
	q := tx.NewSelect().Model((*ImportAttempt)(nil)).
		ColumnExpr("ia.id, ia.kind, ia.year, ia.file_name, ia.outcome, ia.rows_read, ia.problems_total, ia.problems, ia.created_by, ia.created_at, ia.expires_at, ia.annotation_pending").
		ColumnExpr("ia.annotated IS NOT NULL AS has_annotated").Where("ia.expires_at >= now()")
	next, err := NewestFirst(ctx, q, page, "ia.created_at", "ia.id", func(a ImportAttempt) (time.Time, uuid.UUID) { return a.CreatedAt, a.ID }, &list)
	return list, next, err
}

// GetImportAttempt reads one attempt with its annotated workbook.
func GetImportAttempt(ctx context.Context, tx bun.IDB, id uuid.UUID) (ImportAttempt, error) {
	var a ImportAttempt
	err := tx.NewSelect().Model(&a).ColumnExpr("ia.*, ia.annotated IS NOT NULL AS has_annotated").Where("ia.id = ? AND ia.expires_at >= now()", id).Scan(ctx)
	if IsNotFound(err) {
		return a, errAttemptNotFound
	}
	return a, err
}

// FinishAnnotation stores a refused attempt's annotated workbook (nil: none
// could be made) and reports whether the attempt was still waiting for it.
func FinishAnnotation(ctx context.Context, tx bun.IDB, id uuid.UUID, annotated []byte) (bool, error) {
	res, err := tx.NewUpdate().Model((*ImportAttempt)(nil)).Set("annotated = ?", annotated).Set("annotation_pending = false").
		Set("source_prefix = NULL").Where("id = ? AND annotation_pending", id).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
