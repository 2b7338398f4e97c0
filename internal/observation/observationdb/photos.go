package observationdb

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
)

// MaxSheetPhotos is how many photos a judge may attach to one site's
// sheet: each original is kept, locked, for years.
const MaxSheetPhotos = 6

var (
	errSheetPhotoCap = errs.E(errs.Conflict, "sheet_photo_cap_reached",
		fmt.Sprintf("每个观摩点的评分最多附%d张照片", MaxSheetPhotos), fmt.Sprintf("a sheet takes at most %d photos per site", MaxSheetPhotos))
	errSheetPhotoNotFound = errs.E(errs.Invalid, "sheet_photo_not_found",
		"照片不是您为该观摩点上传的，请重新拍摄", "a photo is not one you took for this site; take it again")
)

// CheckSheetPhoto says whether a judge may add a photo to their sheet for
// a site now: the event is open, the person is one of its judges, the
// project is one of its sites and the judge's sheet for it is not in yet
// (a submitted sheet is final, photos included).
func CheckSheetPhoto(ctx context.Context, tx bun.IDB, event, project uuid.UUID, judge *uuid.UUID) (Event, error) {
	e, err := GetEvent(ctx, tx, event)
	if err != nil {
		return e, err
	}
	if !e.IsJudge(judge) {
		return e, errs.E(errs.Forbidden, "not_a_judge", "您不是本次观摩的评委", "you are not a judge of this observation")
	}
	if e.Status != "open" {
		return e, errs.E(errs.Conflict, "observation_closed", "本次观摩评分已结束", "scoring of this observation has closed")
	}
	site, err := tx.NewSelect().Table("observation_sites").Where("event_id = ? AND project_id = ?", event, project).Exists(ctx)
	if err != nil {
		return e, err
	}
	if !site {
		return e, errs.E(errs.NotFound, "site_not_found", "该项目不是本次观摩点", "the project is not a site of this observation")
	}
	done, err := tx.NewSelect().Model((*Score)(nil)).Where("os.event_id = ? AND os.project_id = ? AND os.judge_id = ?", event, project, *judge).Exists(ctx)
	if err != nil {
		return e, err
	}
	if done {
		return e, errs.E(errs.Conflict, "already_scored", "您已为该观摩点评分，评分提交后不能修改", "you scored this site already; a submitted sheet is final")
	}
	return e, nil
}

// AddSheetPhoto records a judge's stored photo for a site of an open event
// (audited). The same bytes sent again from the same account for the same
// site are the same photo — a retry after a lost answer — and come back
// with replay true; beyond MaxSheetPhotos a photo is refused. The caller
// has stored the original under a stage and commits it in tx.
func AddSheetPhoto(ctx context.Context, tx bun.IDB, p reportingdb.Photo, judge uuid.UUID) (reportingdb.Photo, bool, error) {
	if p.ObservationID == nil || p.UploadedBy == nil {
		return p, false, fmt.Errorf("observation: a sheet photo needs its observation and account")
	}
	if _, err := CheckSheetPhoto(ctx, tx, *p.ObservationID, p.ProjectID, &judge); err != nil {
		return p, false, err
	}
	// Parallel uploads for one sheet wait for each other: the cap holds.
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('sheetphotos:' || ?::text || ':' || ?::text || ':' || ?::text, 0))",
		*p.ObservationID, p.ProjectID, *p.UploadedBy); err != nil {
		return p, false, err
	}
	var have []reportingdb.Photo
	if err := tx.NewSelect().Model(&have).Where("ph.observation_id = ? AND ph.project_id = ? AND ph.uploaded_by = ?", *p.ObservationID, p.ProjectID, *p.UploadedBy).
		OrderExpr("ph.uploaded_at").Scan(ctx); err != nil {
		return p, false, err
	}
	for _, h := range have {
		if string(h.SHA256) == string(p.SHA256) {
			return h, true, nil
		}
	}
	if len(have) >= MaxSheetPhotos {
		return p, false, errSheetPhotoCap
	}
	saved, err := reportingdb.InsertPhoto(ctx, tx, p)
	return saved, false, err
}

// checkSheetPhotos checks the photos a sheet names: at most MaxSheetPhotos,
// each taken by this account for this event's site. It returns them
// without repeats, in the order given.
func checkSheetPhotos(ctx context.Context, tx bun.IDB, event, project, account uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	ids = uniq(ids)
	if len(ids) == 0 {
		return []uuid.UUID{}, nil
	}
	if len(ids) > MaxSheetPhotos {
		return nil, errSheetPhotoCap
	}
	n, err := tx.NewSelect().Model((*reportingdb.Photo)(nil)).
		Where("ph.id IN (?) AND ph.observation_id = ? AND ph.project_id = ? AND ph.uploaded_by = ?", bun.List(ids), event, project, account).Count(ctx)
	if err != nil {
		return nil, err
	}
	if int(n) != len(ids) {
		return nil, errSheetPhotoNotFound
	}
	return ids, nil
}

// PhotosBy are the ids of the photos an account took for an event, oldest
// first.
func PhotosBy(ctx context.Context, tx bun.IDB, event, account uuid.UUID) ([]uuid.UUID, error) {
	out := []uuid.UUID{}
	return out, tx.NewSelect().Model((*reportingdb.Photo)(nil)).Column("id").Where("ph.observation_id = ? AND ph.uploaded_by = ?", event, account).
		OrderExpr("ph.uploaded_at, ph.id").Scan(ctx, &out)
}
