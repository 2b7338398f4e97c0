package reportingdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Photo is a stored site photo.
type Photo struct {
	bun.BaseModel   `bun:"table:photos,alias:ph"`
	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID        uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID       uuid.UUID  `bun:"project_id,type:uuid"`
	WeekStart       time.Time  `bun:"week_start,type:date"`
	SHA256          []byte     `bun:"sha256"`
	SizeBytes       int64      `bun:"size_bytes"`
	ContentType     string     `bun:"content_type"`
	Width           int        `bun:"width"`
	Height          int        `bun:"height"`
	TakenAt         *time.Time `bun:"taken_at"`
	GPSLat          *float64   `bun:"gps_lat,type:numeric"`
	GPSLng          *float64   `bun:"gps_lng,type:numeric"`
	OriginalKey     string     `bun:"original_key"`
	OriginalVersion string     `bun:"original_version"`
	DisplayKey      string     `bun:"display_key"`
	ThumbKey        string     `bun:"thumb_key"`
	FileName        string     `bun:"file_name"`
	DuplicateOf     *uuid.UUID `bun:"duplicate_of,type:uuid"`
	// Derivatives: pending until the worker has made the display copy and
	// the thumbnail, ready, or failed (the photo cannot be decoded).
	Derivatives string `bun:"derivatives,nullzero,default:'pending'"`
	// ObservationID marks a judge's photo for an observation sheet: not
	// the unit's, so never counted as the week's report photos.
	ObservationID *uuid.UUID `bun:"observation_id,type:uuid"`
	UploadedBy    *uuid.UUID `bun:"uploaded_by,type:uuid"`
	UploadedAt    time.Time  `bun:"uploaded_at,nullzero,default:now()"`
}

// AddPhoto records a stored photo; the same bytes seen before in the county
// make it a duplicate of their first appearance (flagged to the office).
func AddPhoto(ctx context.Context, tx bun.IDB, p Photo) (Photo, error) {
	if err := CheckPhotoCap(ctx, tx, p.ProjectID, p.WeekStart, true); err != nil {
		return Photo{}, err
	}
	return InsertPhoto(ctx, tx, p)
}

// InsertPhoto records a stored photo whose caps the caller has checked
// (AddPhoto for the week's site photos; an observation sheet's own cap for
// a judge's), flagging a duplicate, audited.
func InsertPhoto(ctx context.Context, tx bun.IDB, p Photo) (Photo, error) {
	// Site photos uploaded again are flagged to the office; a judge's photo
	// is neither flagged nor a first appearance (nobody sees it before the
	// observation closes).
	var first []uuid.UUID
	if p.ObservationID == nil {
		if err := tx.NewSelect().Model((*Photo)(nil)).Column("id").Where("sha256 = ? AND observation_id IS NULL", p.SHA256).OrderExpr("uploaded_at").Limit(1).Scan(ctx, &first); err != nil {
			return Photo{}, err
		}
	}
	if len(first) == 1 {
		p.DuplicateOf = &first[0]
	}
	p.ID = uuid.New()
	if p.Derivatives == "" {
		p.Derivatives = DerivativesPending
	}
	if _, err := tx.NewInsert().Model(&p).Exec(ctx); err != nil {
		return Photo{}, postgres.MapErr(err)
	}
	return p, postgres.Audit(ctx, tx, audit.Entry{Action: "photo.add", EntityType: "project", EntityID: p.ProjectID.String(),
		After: map[string]any{"photo": p.ID, "week": p.WeekStart.Format(time.DateOnly), "sha256": p.SHA256, "duplicate_of": p.DuplicateOf, "observation": p.ObservationID}})
}

// Derivative states.
const (
	DerivativesPending = "pending"
	DerivativesReady   = "ready"
	DerivativesFailed  = "failed"
)

// SetDerivatives records that a pending photo's derivatives were made (or
// could not be) and reports whether it was still pending.
func SetDerivatives(ctx context.Context, tx bun.IDB, id uuid.UUID, state string) (bool, error) {
	res, err := tx.NewUpdate().Model((*Photo)(nil)).Set("derivatives = ?", state).
		Where("id = ? AND derivatives = ?", id, DerivativesPending).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ListPhotos lists a project's photos of a week.
func ListPhotos(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time) ([]Photo, error) {
	out := []Photo{}
	return out, tx.NewSelect().Model(&out).Where("ph.project_id = ? AND ph.week_start = ? AND ph.observation_id IS NULL", projectID, week).OrderExpr("ph.uploaded_at").Scan(ctx)
}

// PhotosByID returns the county's photos with these ids (in no order).
func PhotosByID(ctx context.Context, tx bun.IDB, ids []uuid.UUID) ([]Photo, error) {
	out := []Photo{}
	if len(ids) == 0 {
		return out, nil
	}
	return out, tx.NewSelect().Model(&out).Where("ph.id IN (?)", bun.List(ids)).Scan(ctx)
}

// GetPhoto returns one photo of the county.
func GetPhoto(ctx context.Context, tx bun.IDB, id uuid.UUID) (Photo, error) {
	var p Photo
	return p, postgres.MapErr(tx.NewSelect().Model(&p).Where("ph.id = ?", id).Scan(ctx))
}

// DuplicatePhotos lists a page of the photos whose bytes were uploaded
// before, newest first; next is the cursor of the following page.
func DuplicatePhotos(ctx context.Context, tx bun.IDB, page postgres.Page) ([]Photo, string, error) {
	out := []Photo{}
	next, err := postgres.NewestFirst(ctx, tx.NewSelect().Model((*Photo)(nil)).Where("ph.duplicate_of IS NOT NULL AND ph.observation_id IS NULL"), page,
		"ph.uploaded_at", "ph.id", func(p Photo) (time.Time, uuid.UUID) { return p.UploadedAt, p.ID }, &out)
	return out, next, err
}
