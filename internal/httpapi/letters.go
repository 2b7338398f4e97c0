package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/uploads"
)

const scanTypes = "application/pdf,image/jpeg,image/png"

// Letter is a responsibility or service commitment letter with its commitments.
type Letter struct {
	ID        uuid.UUID    `json:"id"`
	Year      int          `json:"year"`
	Kind      string       `json:"kind" enum:"responsibility,service"`
	UnitID    uuid.UUID    `json:"unit_id"`
	Title     string       `json:"title"`
	SignedOn  *string      `json:"signed_on" format:"date"`
	Version   int          `json:"version"`
	Items     []LetterItem `json:"items"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// LetterItem is one commitment: what, by when, for which projects.
type LetterItem struct {
	Content    string      `json:"content"`
	DueDate    *string     `json:"due_date,omitempty" format:"date"`
	ProjectIDs []uuid.UUID `json:"project_ids,omitempty"`
}

// LetterInput creates or replaces (version required) a letter.
type LetterInput struct {
	Year     int          `json:"year"`
	Kind     string       `json:"kind" enum:"responsibility,service"`
	UnitID   uuid.UUID    `json:"unit_id"`
	Title    string       `json:"title"`
	SignedOn *string      `json:"signed_on,omitempty" format:"date"`
	Items    []LetterItem `json:"items"`
	Version  int          `json:"version,omitempty"`
}

// ScanInfo is one stored version of a letter's signed scan.
type ScanInfo struct {
	ID          uuid.UUID `json:"id"`
	Version     int       `json:"version"`
	SHA256      string    `json:"sha256"`
	SizeBytes   int64     `json:"size_bytes"`
	ContentType string    `json:"content_type"`
	FileName    string    `json:"file_name"`
	RetainUntil time.Time `json:"retain_until"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

func toLetterAPI(l postgres.Letter) Letter {
	out := Letter{ID: l.ID, Year: l.Year, Kind: l.Kind, UnitID: l.UnitID, Title: l.Title, SignedOn: DateString(l.SignedOn),
		Version: l.Version, Items: []LetterItem{}, UpdatedAt: l.UpdatedAt}
	for _, it := range l.Items {
		ids := it.ProjectIDs
		if ids == nil {
			ids = []uuid.UUID{}
		}
		out.Items = append(out.Items, LetterItem{Content: it.Content, DueDate: DateString(it.DueDate), ProjectIDs: ids})
	}
	return out
}

func toScanAPI(s postgres.Scan) ScanInfo {
	return ScanInfo{ID: s.ID, Version: s.Version, SHA256: hex.EncodeToString(s.SHA256), SizeBytes: s.SizeBytes, ContentType: s.ContentType,
		FileName: s.FileName, RetainUntil: s.RetainUntil, UploadedAt: s.UploadedAt}
}

// visibleLetter loads :id if the caller may see it: field users only their unit's.
func (s *Server) visibleLetter(r *Req) (postgres.Letter, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return postgres.Letter{}, err
	}
	l, err := postgres.GetLetter(r.Ctx, r.Tx, id)
	if err != nil {
		return l, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return l, err
	}
	if sc != nil && (sc.UnitID == nil || *sc.UnitID != l.UnitID) {
		return postgres.Letter{}, errs.ErrNotFound
	}
	return l, nil
}

func (s *Server) listLetters(r *Req) (any, error) {
	year, err := s.YearQuery(r)
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	ls, err := postgres.ListLetters(r.Ctx, r.Tx, year, r.C.QueryParam("kind"))
	out := []Letter{}
	for _, l := range ls {
		if sc == nil || (sc.UnitID != nil && *sc.UnitID == l.UnitID) {
			out = append(out, toLetterAPI(l))
		}
	}
	return out, err
}

func (s *Server) getLetter(r *Req) (any, error) {
	l, err := s.visibleLetter(r)
	return toLetterAPI(l), err
}

func (s *Server) putLetter(r *Req) (any, error) {
	var in LetterInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d Dates
	l := postgres.Letter{Year: in.Year, Kind: in.Kind, UnitID: in.UnitID, Title: in.Title, SignedOn: d.Opt("signed_on", in.SignedOn), Version: in.Version}
	for _, it := range in.Items {
		l.Items = append(l.Items, postgres.LetterItem{Content: it.Content, DueDate: d.Opt("items", it.DueDate), ProjectIDs: it.ProjectIDs})
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	id, err := replacedID(r.C, "id", in.Version)
	if err != nil {
		return nil, err
	}
	l.ID = id
	saved, err := postgres.PutLetter(r.Ctx, r.Tx, l)
	return toLetterAPI(saved), err
}

func (s *Server) listScans(r *Req) (any, error) {
	l, err := s.visibleLetter(r)
	if err != nil {
		return nil, err
	}
	scans, err := postgres.ListScans(r.Ctx, r.Tx, l.ID)
	return APIList(scans, toScanAPI), err
}

var errScanType = errs.E(errs.Invalid, "unsupported_file", "签字扫描件须为 PDF、JPEG 或 PNG 文件（按文件内容判断）",
	"a signed scan must be a PDF, JPEG or PNG file (judged by its content)")

// uploadScan stores a new version of the signed scan in three steps (see
// package uploads): the letter is checked and the upload staged in the
// request's transaction, which is then released; the body is spooled,
// hashed and judged by content, and stored unlocked; the scan row is written
// in a second transaction, after which the object is locked.
func (s *Server) uploadScan(r *Req) (any, error) {
	l, err := s.visibleLetter(r)
	if err != nil {
		return nil, err
	}
	if s.Objects == nil {
		return nil, objects.ErrUnavailable
	}
	county := *r.Session.ActiveCountyID
	key := fmt.Sprintf("letters/%s/%s/%s", county, l.ID, uuid.NewString())
	st, err := s.Stager().Begin(r.Ctx, r.Tx, "scan", key+"/", false)
	if err != nil {
		return nil, err
	}
	if err := r.Release(); err != nil {
		return nil, err
	}
	scan, err := s.storeScan(r, l, st, key+"/scan")
	if err != nil {
		s.Stager().Abandon(r.Ctx, county, st)
		return nil, err
	}
	s.Stager().Finish(r.Ctx, county, st)
	return toScanAPI(scan), nil
}

func (s *Server) storeScan(r *Req, l postgres.Letter, st uploads.Stage, key string) (postgres.Scan, error) {
	sp, err := objects.NewSpool(r.C.Request().Body)
	if err != nil {
		return postgres.Scan{}, DecodeError(err)
	}
	defer sp.Close()
	ct, _, err := objects.Sniff(sp)
	if err != nil {
		return postgres.Scan{}, DecodeError(err)
	}
	if ct == "" {
		return postgres.Scan{}, errScanType
	}
	stored, err := s.Objects.PutSpool(r.Ctx, key, sp, ct)
	if err != nil {
		return postgres.Scan{}, err
	}
	retain := s.Now().AddDate(s.Config.RetainYears, 0, 0)
	name, _ := url.PathUnescape(r.C.Request().Header.Get("X-File-Name"))
	var scan postgres.Scan
	err = s.InTx(r, func(ctx context.Context, tx bun.IDB) error {
		var err error
		scan, err = postgres.AddScan(ctx, tx, postgres.Scan{LetterID: l.ID, ObjectKey: stored.Key, VersionID: stored.VersionID,
			SHA256: stored.SHA256, SizeBytes: stored.Size, ContentType: ct, FileName: TruncateName(name), RetainUntil: retain,
			UploadedBy: &r.Session.AccountID})
		if err != nil {
			return err
		}
		return s.Stager().Commit(ctx, tx, st, []objects.Stored{stored}, retain)
	})
	return scan, err
}

func TruncateName(s string) string {
	r := []rune(s)
	if len(r) > 200 {
		r = r[:200]
	}
	return string(r)
}

// downloadScan serves a scan only after its content matched its recorded hash.
func (s *Server) downloadScan(r *Req) (any, error) {
	l, err := s.visibleLetter(r)
	if err != nil {
		return nil, err
	}
	scanID, err := PathID(r.C, "scanId")
	if err != nil {
		return nil, err
	}
	scan, err := postgres.GetScan(r.Ctx, r.Tx, l.ID, scanID)
	if err != nil {
		return nil, err
	}
	if s.Objects == nil {
		return nil, objects.ErrUnavailable
	}
	name := scan.FileName
	if name == "" {
		name = fmt.Sprintf("%s-v%d", l.Title, scan.Version)
	}
	open := s.StoredFile(r, objects.Ref{Key: scan.ObjectKey, VersionID: scan.VersionID, SHA256: scan.SHA256})
	return File{Name: name, ContentType: scan.ContentType, Open: func(ctx context.Context) (io.ReadCloser, error) {
		body, err := open(ctx)
		if errs.KindOf(err) == errs.Internal {
			s.Log.ErrorContext(ctx, "scan failed its hash check", "letter", l.ID, "scan", scan.ID, "object", scan.ObjectKey, "version_id", scan.VersionID)
		}
		return body, err
	}}, nil
}

// tempFile removes itself when closed.
type TempFile struct{ *os.File }

func (t TempFile) Close() error {
	err := t.File.Close()
	os.Remove(t.File.Name())
	return err
}
