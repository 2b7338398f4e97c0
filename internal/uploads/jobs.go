package uploads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/photo"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/workbook"
)

// The worker's jobs that finish an upload: county jobs of the outbox whose
// period is the id of the photo or the import attempt.
const (
	JobPhotoDerivatives = "photo_derivatives"
	JobAnnotateImport   = "import_annotation"
)

// A refused workbook waits for its annotation under its stage's prefix as
// these two objects: the upload, and its bad cells (annotationInput).
const (
	SourceObject = "source.xlsx"
	CellsObject  = "cells.json"
)

// IsJob tells whether job is one of this package's.
func IsJob(job string) bool { return job == JobPhotoDerivatives || job == JobAnnotateImport }

// Jobs runs the jobs in the worker.
type Jobs struct {
	DB          *db.DB
	Store       *objects.Store
	Decoder     *photo.Decoder // the worker's memory budget
	RetainYears int
	Log         *slog.Logger
}

// Run runs a job of the county for the upload id; last is the task's last
// attempt (a failure then is final: the photo is marked unreadable, the
// workbook left without an annotated copy). A failure worth retrying (the
// store or the database unavailable) is returned.
func (j Jobs) Run(ctx context.Context, county uuid.UUID, job, id string, last bool) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return fmt.Errorf("%s: period %q is not an id", job, id)
	}
	switch job {
	case JobPhotoDerivatives:
		return j.Derive(ctx, county, uid, last)
	case JobAnnotateImport:
		return j.Annotate(ctx, county, uid, last)
	}
	return fmt.Errorf("unknown upload job %q", job)
}

// final reports an error that retrying will not cure: the file itself is
// refused (bad content, too costly) or damaged.
func final(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && (e.Kind == errs.Invalid || e.Kind == errs.TooLarge || e.Code == objects.ErrCorrupted.Code || e.Code == errAnnotationInput.Code)
}

var errAnnotationInput = errs.E(errs.Internal, "annotation_input", "标注数据损坏", "the annotation's input is damaged")

// Derive makes a photo's display copy and thumbnail from its original
// (checked against its hash), within the decoder's budget, stores them
// locked like the original and marks the photo ready. A photo that cannot
// be decoded is marked failed; one already done, or gone, is left.
func (j Jobs) Derive(ctx context.Context, county, id uuid.UUID, last bool) error {
	var p reportingdb.Photo
	err := j.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		var err error
		p, err = reportingdb.GetPhoto(ctx, tx, id)
		return err
	})
	if postgres.IsNotFound(err) {
		return nil
	}
	if err != nil || p.Derivatives != reportingdb.DerivativesPending {
		return err
	}
	display, thumb, err := j.derivatives(ctx, p)
	if err != nil {
		if final(err) || last {
			j.Log.WarnContext(ctx, "photo: no display copy can be made", "photo", id, "error", err)
			return j.setDerivatives(ctx, county, id, reportingdb.DerivativesFailed)
		}
		return err
	}
	retain := p.UploadedAt.AddDate(j.RetainYears, 0, 0)
	if _, err := j.Store.PutBytes(ctx, p.DisplayKey, display, "image/jpeg", retain); err != nil {
		return err
	}
	if _, err := j.Store.PutBytes(ctx, p.ThumbKey, thumb, "image/jpeg", retain); err != nil {
		return err
	}
	return j.setDerivatives(ctx, county, id, reportingdb.DerivativesReady)
}

func (j Jobs) derivatives(ctx context.Context, p reportingdb.Photo) ([]byte, []byte, error) {
	f, err := j.Store.Verified(ctx, p.OriginalKey, p.OriginalVersion, p.SHA256)
	if err != nil {
		return nil, nil, err
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	meta, err := photo.Inspect(f, "", photo.Limits{MaxBytes: math.MaxInt64, MaxPixels: math.MaxInt, DecodeBudget: j.Decoder.Budget()})
	if err != nil {
		return nil, nil, err
	}
	return j.Decoder.Derivatives(ctx, f, meta.DecodeCost)
}

func (j Jobs) setDerivatives(ctx context.Context, county, id uuid.UUID, state string) error {
	return j.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		_, err := reportingdb.SetDerivatives(ctx, tx, id, state)
		return err
	})
}

// annotationInput is what the API leaves for Annotate beside the upload.
type annotationInput struct {
	Problems []workbook.Problem `json:"problems"`
	Count    int                `json:"count"`
	Cells    int                `json:"cells"`
	Inflated int64              `json:"inflated"`
}

// AnnotationInput encodes the bad cells of a refused workbook for Annotate:
// the first of them (c.Kept) and how many there were, and how large the
// workbook's parts read were.
func AnnotationInput(c *workbook.Complaints, inflated int64) ([]byte, error) {
	return json.Marshal(annotationInput{Problems: c.Kept(), Count: c.Count(), Cells: c.Cells(), Inflated: inflated})
}

// Annotate makes a refused workbook's annotated copy (every bad cell
// highlighted and commented, a sheet listing them) within the decoder's
// budget, stores it with the attempt and removes the upload. A workbook too
// large to annotate within the budget, or one that cannot be annotated, is
// left without a copy (the attempt says so).
func (j Jobs) Annotate(ctx context.Context, county, id uuid.UUID, last bool) error {
	var a postgres.ImportAttempt
	err := j.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		var err error
		a, err = postgres.GetImportAttempt(ctx, tx, id)
		return err
	})
	if postgres.IsNotFound(err) {
		return nil
	}
	if err != nil || !a.AnnotationPending || a.SourcePrefix == nil {
		return err
	}
	out, err := j.annotate(ctx, *a.SourcePrefix)
	if err != nil && !final(err) && !last {
		return err
	}
	if err != nil {
		j.Log.WarnContext(ctx, "import: no annotated workbook can be made", "attempt", id, "error", err)
		out = nil
	}
	if err := j.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		_, err := postgres.FinishAnnotation(ctx, tx, id, out)
		return err
	}); err != nil {
		return err
	}
	if _, err := j.Store.RemovePrefix(ctx, *a.SourcePrefix); err != nil {
		j.Log.WarnContext(ctx, "import: the refused upload could not be removed", "prefix", *a.SourcePrefix, "error", err)
	}
	return nil
}

func (j Jobs) annotate(ctx context.Context, prefix string) ([]byte, error) {
	cells, err := j.read(ctx, prefix+CellsObject)
	if err != nil {
		return nil, err
	}
	var in annotationInput
	if err := json.Unmarshal(cells, &in); err != nil {
		return nil, errAnnotationInput.Wrap(err)
	}
	src, err := j.read(ctx, prefix+SourceObject)
	if err != nil {
		return nil, err
	}
	// What excelize holds: the file, each part inflated, and the parsed
	// sheets beside them.
	release, err := j.Decoder.Acquire(ctx, 3*int64(len(src))+6*in.Inflated)
	if err != nil {
		return nil, err
	}
	defer release()
	return workbook.Annotate(src, in.Problems, in.Count, in.Cells, len(in.Problems))
}

func (j Jobs) read(ctx context.Context, key string) ([]byte, error) {
	rc, err := j.Store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, objects.ErrUnavailable.Wrap(err)
	}
	return b, nil
}
