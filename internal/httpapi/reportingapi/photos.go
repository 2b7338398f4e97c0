package reportingapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/photo"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
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

func (s *API) toPhotoAPI(r *httpapi.Req, p reportingdb.Photo) Photo {
	out := Photo{ID: p.ID, ProjectID: p.ProjectID, Week: p.WeekStart.Format(time.DateOnly), SHA256: hex.EncodeToString(p.SHA256),
		Width: p.Width, Height: p.Height, FileName: p.FileName, UploadedAt: p.UploadedAt, DuplicateOf: p.DuplicateOf,
		DisplayURL: s.photoURL(r, p.ID, "display"), ThumbURL: s.photoURL(r, p.ID, "thumb")}
	if s.IsOffice(r) {
		out.OriginalURL, out.TakenAt, out.GPSLat, out.GPSLng = s.photoURL(r, p.ID, "original"), p.TakenAt, p.GPSLat, p.GPSLng
	}
	return out
}

// uploadPhoto receives a photo for a project's week: spooled to a file
// within the byte limit, checked by content and pixel count before any
// decoding, the original locked in the bucket, the display copy and the
// thumbnail re-encoded without EXIF.
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
	if s.Objects == nil {
		return nil, objects.ErrUnavailable
	}
	f, err := os.CreateTemp("", "tuijin-photo-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, r.C.Request().Body); err != nil {
		return nil, httpapi.DecodeError(err)
	}
	declared, _, _ := mime.ParseMediaType(r.C.Request().Header.Get("Content-Type"))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	meta, err := photo.Inspect(f, declared, photo.Limits{MaxBytes: s.Config.UploadLimit, MaxPixels: s.Config.PhotoPixels})
	if err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("photos/%s/%s/%s/%s", r.Session.ActiveCountyID, p.ID, week.Format(time.DateOnly), uuid.NewString())
	retain := s.Now().AddDate(s.Config.RetainYears, 0, 0)
	orig, err := s.Objects.Put(r.Ctx, prefix+"/original", f, meta.ContentType, retain)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	display, thumb, err := photo.Derivatives(f)
	if err != nil {
		return nil, err
	}
	if _, err := s.Objects.Put(r.Ctx, prefix+"/display.jpg", bytes.NewReader(display), "image/jpeg", retain); err != nil {
		return nil, err
	}
	if _, err := s.Objects.Put(r.Ctx, prefix+"/thumb.jpg", bytes.NewReader(thumb), "image/jpeg", retain); err != nil {
		return nil, err
	}
	name, _ := url.PathUnescape(r.C.Request().Header.Get("X-File-Name"))
	saved, err := reportingdb.AddPhoto(r.Ctx, r.Tx, reportingdb.Photo{ProjectID: p.ID, WeekStart: week, SHA256: orig.SHA256, SizeBytes: orig.Size,
		ContentType: meta.ContentType, Width: meta.Width, Height: meta.Height, TakenAt: meta.TakenAt, GPSLat: meta.Lat, GPSLng: meta.Lng,
		OriginalKey: orig.Key, OriginalVersion: orig.VersionID, DisplayKey: prefix + "/display.jpg", ThumbKey: prefix + "/thumb.jpg",
		FileName: httpapi.TruncateName(name), UploadedBy: &r.Session.AccountID})
	if err != nil {
		return nil, err
	}
	return s.toPhotoAPI(r, saved), nil
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
		out[i] = s.toPhotoAPI(r, x)
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
		out[i] = s.toPhotoAPI(r, x)
	}
	return httpapi.NewList(out, next), err
}

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
	if _, err := s.visibleProjectID(r, p.ProjectID); err != nil {
		return nil, err
	}
	if s.Objects == nil {
		return nil, objects.ErrUnavailable
	}
	switch variant {
	case "display", "thumb":
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
		f, err := s.Objects.Verified(r.Ctx, p.OriginalKey, p.OriginalVersion, p.SHA256)
		if err != nil {
			return nil, err
		}
		return httpapi.File{Name: p.FileName, ContentType: p.ContentType, Body: httpapi.TempFile{File: f}}, nil
	}
	return nil, errs.ErrNotFound
}

// visibleProjectID checks that the caller may see a project by id.
func (s *API) visibleProjectID(r *httpapi.Req, id uuid.UUID) (any, error) {
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	return postgres.GetProject(r.Ctx, r.Tx, id, sc, s.Today())
}
