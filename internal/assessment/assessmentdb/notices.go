package assessmentdb

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
)

// IssuedNotice is an issued notice of an approved assessment.
type IssuedNotice struct {
	bun.BaseModel `bun:"table:assessment_notices,alias:an"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	AssessmentID  uuid.UUID       `bun:"assessment_id,type:uuid"`
	Year          int             `bun:"year"`
	IssueNo       int             `bun:"issue_no"`
	Version       int             `bun:"version"`
	Reason        string          `bun:"reason"`
	Content       json.RawMessage `bun:"content,type:jsonb"`
	OutputHash    []byte          `bun:"output_hash"`
	IssuedBy      uuid.UUID       `bun:"issued_by,type:uuid"`
	IssuedAt      time.Time       `bun:"issued_at"`
}

// Notice is the notice as issued.
func (in IssuedNotice) Notice() (assessment.Notice, error) {
	var n assessment.Notice
	err := json.Unmarshal(in.Content, &n)
	return n, err
}

type noticeFile struct {
	bun.BaseModel `bun:"table:assessment_notice_files,alias:anf"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	NoticeID      uuid.UUID `bun:"notice_id,type:uuid"`
	Format        string    `bun:"format"`
	ObjectKey     string    `bun:"object_key"`
	VersionID     string    `bun:"version_id"`
	SHA256        []byte    `bun:"sha256"`
	SizeBytes     int64     `bun:"size_bytes"`
}

// NoticeLabel is 第N版, or the draft's label for 0.
func NoticeLabel(v int) string {
	if v == 0 {
		return "草稿（未印发）"
	}
	return fmt.Sprintf("第%d版", v)
}

// DraftNotice is the notice of an assessment version as it would be issued on today.
func DraftNotice(ctx context.Context, tx bun.IDB, v Version, today time.Time) (assessment.Notice, error) {
	r, err := v.Decoded()
	if err != nil {
		return assessment.Notice{}, err
	}
	n := assessment.Notice{Year: today.Year(), IssuedOn: fmt.Sprintf("%d年%d月%d日", today.Year(), int(today.Month()), today.Day()), Version: v.Version, Result: r}
	err = tx.NewRaw("SELECT name FROM counties WHERE id = app_county()").Scan(ctx, &n.County)
	return n, err
}

// NoticeFiles say how notices are stored and rendered.
type NoticeFiles struct {
	Store       objects.Keeper
	Fonts       string
	RetainYears int
}

// IssueNotice publishes an approved version (audited): the notice, a
// number per county and year (a re-issue keeps it and needs a reason), and
// its page, workbook and PDF stored locked with their hashes.
func IssueNotice(ctx context.Context, tx bun.IDB, files NoticeFiles, id uuid.UUID, reason string, by uuid.UUID, now time.Time) (IssuedNotice, error) {
	if files.Store == nil {
		return IssuedNotice{}, errStorage
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('assessment_notice:' || app_county()::text, 0))"); err != nil {
		return IssuedNotice{}, err
	}
	v, err := Get(ctx, tx, id)
	if err != nil {
		return IssuedNotice{}, err
	}
	if v.Status != "approved" {
		return IssuedNotice{}, errs.E(errs.Conflict, "assessment_not_approved", "考核结果尚未经领导小组审定，不能印发通报", "the assessment is not approved: it cannot be published")
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	n, err := DraftNotice(ctx, tx, v, today)
	if err != nil {
		return IssuedNotice{}, err
	}
	var prior []IssuedNotice
	if err := tx.NewSelect().Model(&prior).Where("an.assessment_id = ?", id).OrderExpr("an.version DESC").Limit(1).Scan(ctx); err != nil {
		return IssuedNotice{}, err
	}
	reason = strings.TrimSpace(reason)
	in := IssuedNotice{ID: uuid.New(), AssessmentID: id, Year: n.Year, Version: 1, Reason: reason, IssuedBy: by, IssuedAt: now}
	if len(prior) > 0 {
		if len([]rune(reason)) < 4 {
			var ve errs.Validation
			ve.Add("reason", "reason_required", "本通报已印发；重新印发须写明理由（至少4个字）", "published already: a re-issue needs a reason (at least 4 characters)")
			return in, ve.Err()
		}
		in.Version, in.IssueNo, in.Year = prior[0].Version+1, prior[0].IssueNo, prior[0].Year
		n.Year = in.Year
	} else if err := tx.NewRaw("SELECT coalesce(max(issue_no), 0) + 1 FROM assessment_notices WHERE year = ?", in.Year).Scan(ctx, &in.IssueNo); err != nil {
		return in, err
	}
	n.IssueNo = in.IssueNo
	if in.Content, err = json.Marshal(n); err != nil {
		return in, err
	}
	rendered, err := assessment.RenderNotice(n, NoticeLabel(in.Version), files.Fonts)
	if err != nil {
		return in, err
	}
	sum := sha256.Sum256(rendered["html"])
	in.OutputHash = sum[:]
	if _, err := tx.NewInsert().Model(&in).Exec(ctx); err != nil {
		return in, postgres.MapErr(err)
	}
	formats := []string{"html", "xlsx", "pdf"}
	stored, err := objects.PutFiles(ctx, files.Store, fmt.Sprintf("assessment-notices/%s/%s", v.CountyID, in.ID), formats, rendered,
		assessment.NoticeFormats, now.AddDate(files.RetainYears, 0, 0))
	if err != nil {
		return in, err
	}
	for _, f := range formats {
		st := stored[f]
		row := noticeFile{ID: uuid.New(), NoticeID: in.ID, Format: f, ObjectKey: st.Key, VersionID: st.VersionID, SHA256: st.SHA256, SizeBytes: st.Size}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return in, postgres.MapErr(err)
		}
	}
	return in, postgres.Audit(ctx, tx, audit.Entry{Action: "assessment.notice_issue", EntityType: "assessment", EntityID: id.String(),
		After: map[string]any{"notice": in.ID, "issue_no": in.IssueNo, "version": in.Version, "reason": reason, "sha256": fmt.Sprintf("%x", sum)}})
}

// Notices are an assessment version's issued notices, newest first.
func Notices(ctx context.Context, tx bun.IDB, id uuid.UUID) ([]IssuedNotice, error) {
	out := []IssuedNotice{}
	err := tx.NewSelect().Model(&out).Where("an.assessment_id = ?", id).OrderExpr("an.version DESC").Scan(ctx)
	return out, err
}

// GetNotice reads an issued notice.
func GetNotice(ctx context.Context, tx bun.IDB, id uuid.UUID) (IssuedNotice, error) {
	var list []IssuedNotice
	if err := tx.NewSelect().Model(&list).Where("an.id = ?", id).Scan(ctx); err != nil {
		return IssuedNotice{}, err
	}
	if len(list) == 0 {
		return IssuedNotice{}, errs.E(errs.NotFound, "notice_not_found", "未找到该通报", "no such notice")
	}
	return list[0], nil
}

// NoticeFileRef names an issued notice's file of a format as stored (the
// caller reads it, hash checked, with no transaction open).
func NoticeFileRef(ctx context.Context, tx bun.IDB, in IssuedNotice, format string) (objects.Ref, error) {
	if _, ok := assessment.NoticeFormats[format]; !ok {
		return objects.Ref{}, errs.ErrNotFound
	}
	var row noticeFile
	if err := tx.NewSelect().Model(&row).Where("anf.notice_id = ? AND anf.format = ?", in.ID, format).Scan(ctx); err != nil {
		return objects.Ref{}, postgres.MapErr(err)
	}
	return objects.Ref{Key: row.ObjectKey, VersionID: row.VersionID, SHA256: row.SHA256}, nil
}
