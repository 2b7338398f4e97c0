package reportingapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/observation/observationdb"
	"github.com/tuijin/tuijin/internal/photo"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/uploads"
)

// photoURLLife is how long a photo URL works.
const photoURLLife = 15 * time.Minute

// Photo is a site photo with short-lived URLs. Capture time and GPS (from
// EXIF) and the original are given to the office only.
type Photo struct {
	ID          uuid.UUID  `json:"id"`
	ProjectID   uuid.UUID  `json:"project_id"`
	Week        string     `json:"week" format:"date"`
	SHA256      string     `json:"sha256"`
	Width       int        `json:"width"`
	Height      int        `json:"height"`
	FileName    string     `json:"file_name"`
	UploadedAt  time.Time  `json:"uploaded_at"`
	DuplicateOf *uuid.UUID `json:"duplicate_of"`
	// State says whether the display copy and thumbnail are there yet: the
	// worker makes them shortly after the upload.
	State       string     `json:"state" enum:"processing,ready,unreadable" description:"processing: the display copy and thumbnail are being made (their URLs answer 404 photo_processing until then); unreadable: the photo could not be decoded (the original is kept)"`
	DisplayURL  string     `json:"display_url"`
	ThumbURL    string     `json:"thumb_url"`
	OriginalURL string     `json:"original_url,omitempty"`
	TakenAt     *time.Time `json:"taken_at,omitempty"`
	GPSLat      *float64   `json:"gps_lat,omitempty"`
	GPSLng      *float64   `json:"gps_lng,omitempty"`
}

func (s *API) photoSig(id uuid.UUID, variant string, exp int64, account uuid.UUID) string {
	m := hmac.New(sha256.New, s.URLKey)
	fmt.Fprintf(m, "%s|%s|%d|%s", id, variant, exp, account)
	return hex.EncodeToString(m.Sum(nil))[:32]
}

func (s *API) photoURL(r *httpapi.Req, id uuid.UUID, variant string) string {
	exp := s.Now().Add(photoURLLife).Unix()
	return fmt.Sprintf("/api/v1/photos/%s/%s?exp=%d&sig=%s", id, variant, exp, s.photoSig(id, variant, exp, r.Session.AccountID))
}

// ToPhoto is a stored photo as the API shows it to the caller.
func (s *API) ToPhoto(r *httpapi.Req, p reportingdb.Photo) Photo {
	out := Photo{ID: p.ID, ProjectID: p.ProjectID, Week: p.WeekStart.Format(time.DateOnly), SHA256: hex.EncodeToString(p.SHA256),
		Width: p.Width, Height: p.Height, FileName: p.FileName, UploadedAt: p.UploadedAt, DuplicateOf: p.DuplicateOf,
		State: photoStates[p.Derivatives], DisplayURL: s.photoURL(r, p.ID, "display"), ThumbURL: s.photoURL(r, p.ID, "thumb")}
	if s.IsOffice(r) {
		out.OriginalURL, out.TakenAt, out.GPSLat, out.GPSLng = s.photoURL(r, p.ID, "original"), p.TakenAt, p.GPSLat, p.GPSLng
	}
	return out
}

// uploadPhoto receives a photo for a project's week in three steps (see
// package uploads): the project and week are checked and the upload staged
// in the request's transaction, which is then released; the body is
// spooled within the byte limit, hashed and inspected without decoding
// (type by content, pixels and decode memory from the header, structure to
// the end), and the original stored unlocked; the row is written, with the
// worker's job to make the display copy and thumbnail, in a second
// transaction, after which the original is locked.
func (s *API) uploadPhoto(r *httpapi.Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	week, err := s.WeekQuery(r)
	if err != nil {
		return nil, err
	}
	if week.After(reporting.WeekStart(s.Now())) {
		return nil, errs.E(errs.Invalid, "report_future_week", "不能为尚未开始的周上传照片", "photos cannot be added to a week that has not begun")
	}
	if err := reportingdb.CheckPhotoCap(r.Ctx, r.Tx, p.ID, week, false); err != nil {
		return nil, err // refused before the body is read
	}
	saved, _, err := s.StorePhoto(r, reportingdb.Photo{ProjectID: p.ID, WeekStart: week},
		func(ctx context.Context, tx bun.IDB, ph reportingdb.Photo) (reportingdb.Photo, bool, error) {
			ph, err := reportingdb.AddPhoto(ctx, tx, ph)
			return ph, false, err
		})
	if err != nil {
		return nil, err
	}
	return s.ToPhoto(r, saved), nil
}

// AddFunc writes a stored photo's row in the upload's second transaction.
// It may find the same photo already there (a retry): replay true, and
// nothing is written.
type AddFunc func(ctx context.Context, tx bun.IDB, p reportingdb.Photo) (saved reportingdb.Photo, replay bool, err error)

// StorePhoto receives a photo whose upload the caller has authorised in the
// request's transaction: it begins the upload's stage there and releases
// the transaction; the body is spooled within the byte limit, hashed and
// inspected without decoding (type by content, pixels and decode memory
// from the header, structure to the end), and the original stored unlocked
// under the stage; add writes the row (from the template's project, week
// and observation), with the worker's job to make the display copy and
// thumbnail, in a second transaction, after which the original is locked.
// A refusal or a replay removes what was staged.
func (s *API) StorePhoto(r *httpapi.Req, template reportingdb.Photo, add AddFunc) (reportingdb.Photo, bool, error) {
	if s.Objects == nil {
		return reportingdb.Photo{}, false, objects.ErrUnavailable
	}
	county := *r.Session.ActiveCountyID
	prefix := fmt.Sprintf("photos/%s/%s/%s/%s/", county, template.ProjectID, template.WeekStart.Format(time.DateOnly), uuid.NewString())
	st, err := s.Stager().Begin(r.Ctx, r.Tx, "photo", prefix, false)
	if err != nil {
		return reportingdb.Photo{}, false, err
	}
	if err := r.Release(); err != nil {
		return reportingdb.Photo{}, false, err
	}
	saved, replay, err := s.storePhoto(r, st, template, add)
	if err != nil || replay {
		s.Stager().Abandon(r.Ctx, county, st)
		return saved, replay, err
	}
	s.Stager().Finish(r.Ctx, county, st)
	return saved, false, nil
}

func (s *API) storePhoto(r *httpapi.Req, st uploads.Stage, template reportingdb.Photo, add AddFunc) (reportingdb.Photo, bool, error) {
	sp, err := objects.NewSpool(r.C.Request().Body)
	if err != nil {
		return reportingdb.Photo{}, false, httpapi.DecodeError(err)
	}
	defer sp.Close()
	declared, _, _ := mime.ParseMediaType(r.C.Request().Header.Get("Content-Type"))
	meta, err := photo.Inspect(sp.File, declared, photo.Limits{MaxBytes: s.Config.UploadLimit, MaxPixels: s.Config.PhotoPixels, DecodeBudget: s.Config.DecodeBudget})
	if err != nil {
		return reportingdb.Photo{}, false, err
	}
	orig, err := s.Objects.PutSpool(r.Ctx, st.Prefix+"original", sp, meta.ContentType)
	if err != nil {
		return reportingdb.Photo{}, false, err
	}
	retain := s.Now().AddDate(s.Config.RetainYears, 0, 0)
	name, _ := url.PathUnescape(r.C.Request().Header.Get("X-File-Name"))
	var saved reportingdb.Photo
	var replay bool
	err = s.InTx(r, func(ctx context.Context, tx bun.IDB) error {
		var err error
		saved, replay, err = add(ctx, tx, reportingdb.Photo{ProjectID: template.ProjectID, WeekStart: template.WeekStart, ObservationID: template.ObservationID,
			SHA256: orig.SHA256, SizeBytes: orig.Size,
			ContentType: meta.ContentType, Width: meta.Width, Height: meta.Height, TakenAt: meta.TakenAt, GPSLat: meta.Lat, GPSLng: meta.Lng,
			OriginalKey: orig.Key, OriginalVersion: orig.VersionID, DisplayKey: st.Prefix + "display.jpg", ThumbKey: st.Prefix + "thumb.jpg",
			FileName: httpapi.TruncateName(name), UploadedBy: &r.Session.AccountID})
		if err != nil || replay {
			return err
		}
		if err := postgres.EnqueueJob(ctx, tx, uploads.JobPhotoDerivatives, saved.ID.String()); err != nil {
			return err
		}
		return s.Stager().Commit(ctx, tx, st, []objects.Stored{orig}, retain)
	})
	return saved, replay, err
}

func (s *API) listPhotos(r *httpapi.Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	week, err := s.WeekQuery(r)
	if err != nil {
		return nil, err
	}
	ps, err := reportingdb.ListPhotos(r.Ctx, r.Tx, p.ID, week)
	out := make([]Photo, len(ps))
	for i, x := range ps {
		out[i] = s.ToPhoto(r, x)
	}
	return out, err
}

func (s *API) duplicatePhotos(r *httpapi.Req) (any, error) {
	page, err := httpapi.PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	ps, next, err := reportingdb.DuplicatePhotos(r.Ctx, r.Tx, page)
	out := make([]Photo, len(ps))
	for i, x := range ps {
		out[i] = s.ToPhoto(r, x)
	}
	return httpapi.NewList(out, next), err
}

var photoStates = map[string]string{reportingdb.DerivativesPending: "processing", reportingdb.DerivativesReady: "ready", reportingdb.DerivativesFailed: "unreadable"}

var (
	errPhotoProcessing  = errs.E(errs.NotFound, "photo_processing", "照片正在处理，请稍后刷新", "the photo is being processed; reload shortly")
	errPhotoUndecodable = errs.E(errs.NotFound, "photo_unreadable", "照片无法解码，没有预览图（原图已保存）", "the photo cannot be decoded and has no preview (the original is kept)")
)

var errPhotoURL = errs.E(errs.Invalid, "photo_url_invalid", "照片链接已过期或无效，请刷新页面", "the photo link has expired or is not valid; reload the page")

// servePhoto answers a signed, unexpired URL for the caller who was given
// it, within the caller's county (a Guangshan URL is not found in Luoshan).
func (s *API) servePhoto(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	variant := r.C.Param("variant")
	exp, _ := strconv.ParseInt(r.C.QueryParam("exp"), 10, 64)
	if exp < s.Now().Unix() || !hmac.Equal([]byte(r.C.QueryParam("sig")), []byte(s.photoSig(id, variant, exp, r.Session.AccountID))) {
		return nil, errPhotoURL
	}
	p, err := reportingdb.GetPhoto(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	if p.ObservationID != nil {
		// A judge's photo for an observation sheet: the desk roles and the
		// event's judges (whose sheets alone hand out its URL before close).
		if err := s.sheetPhotoVisible(r, *p.ObservationID); err != nil {
			return nil, err
		}
	} else if _, err := s.visibleProjectID(r, p.ProjectID); err != nil {
		return nil, err
	}
	if s.Objects == nil {
		return nil, objects.ErrUnavailable
	}
	switch variant {
	case "display", "thumb":
		switch p.Derivatives {
		case reportingdb.DerivativesPending:
			return nil, errPhotoProcessing
		case reportingdb.DerivativesFailed:
			return nil, errPhotoUndecodable
		}
		key := p.DisplayKey
		if variant == "thumb" {
			key = p.ThumbKey
		}
		body, err := s.Objects.Open(r.Ctx, key)
		if err != nil {
			return nil, err
		}
		r.C.Response().Header().Set("Cache-Control", "private, max-age=900")
		return httpapi.File{Name: variant + ".jpg", ContentType: "image/jpeg", Body: body}, nil
	case "original":
		if !s.IsOffice(r) {
			return nil, errs.ErrForbidden
		}
		return httpapi.File{Name: p.FileName, ContentType: p.ContentType,
			Open: s.StoredFile(r, objects.Ref{Key: p.OriginalKey, VersionID: p.OriginalVersion, SHA256: p.SHA256})}, nil
	}
	return nil, errs.ErrNotFound
}

func (s *API) sheetPhotoVisible(r *httpapi.Req, event uuid.UUID) error {
	sc, err := s.Scope(r)
	if err != nil || sc == nil {
		return err
	}
	e, err := observationdb.GetEvent(r.Ctx, r.Tx, event)
	if err != nil {
		return err
	}
	if !e.IsJudge(r.Session.PersonID) {
		return errs.ErrNotFound
	}
	return nil
}

// visibleProjectID checks that the caller may see a project by id.
func (s *API) visibleProjectID(r *httpapi.Req, id uuid.UUID) (any, error) {
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	return postgres.GetProject(r.Ctx, r.Tx, id, sc, s.Today())
}
