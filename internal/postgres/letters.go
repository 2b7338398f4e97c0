package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
)

// Letter is a target responsibility letter (kind responsibility, with a
// responsible unit) or a service guarantee commitment letter (kind service,
// with a service unit) of a year (M4.1).
type Letter struct {
	bun.BaseModel `bun:"table:letters,alias:l"`
	ID            uuid.UUID    `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID    `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Year          int          `bun:"year"`
	Kind          string       `bun:"kind"`
	UnitID        uuid.UUID    `bun:"unit_id,type:uuid"`
	Title         string       `bun:"title"`
	SignedOn      *time.Time   `bun:"signed_on,type:date"`
	Version       int          `bun:"version"`
	UpdatedAt     time.Time    `bun:"updated_at,nullzero,default:now()"`
	Items         []LetterItem `bun:"-"`
}

// LetterItem is one commitment: what, by when, for which projects.
type LetterItem struct {
	bun.BaseModel `bun:"table:letter_items,alias:li"`
	ID            uuid.UUID   `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID   `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	LetterID      uuid.UUID   `bun:"letter_id,type:uuid"`
	Seq           int         `bun:"seq"`
	Content       string      `bun:"content"`
	DueDate       *time.Time  `bun:"due_date,type:date"`
	ProjectIDs    []uuid.UUID `bun:"project_ids,array,type:uuid[]"`
}

// Scan is one version of a letter's signed scan.
type Scan struct {
	bun.BaseModel `bun:"table:letter_scans,alias:s"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	LetterID      uuid.UUID  `bun:"letter_id,type:uuid"`
	Version       int        `bun:"version"`
	ObjectKey     string     `bun:"object_key"`
	VersionID     string     `bun:"version_id"`
	SHA256        []byte     `bun:"sha256"`
	SizeBytes     int64      `bun:"size_bytes"`
	ContentType   string     `bun:"content_type"`
	FileName      string     `bun:"file_name"`
	RetainUntil   time.Time  `bun:"retain_until"`
	UploadedBy    *uuid.UUID `bun:"uploaded_by,type:uuid"`
	UploadedAt    time.Time  `bun:"uploaded_at,nullzero,default:now()"`
}

func (l *Letter) validate() error {
	var v errs.Validation
	if l.Year < 2000 || l.Year > 2100 {
		v.Add("year", "out_of_range", "年度须在2000到2100之间", "year must be between 2000 and 2100")
	}
	if l.Kind != "responsibility" && l.Kind != "service" {
		v.Add("kind", "invalid_kind", "责任书类型无效（responsibility、service）", "kind must be responsibility or service")
	}
	if l.Title == "" || len([]rune(l.Title)) > 200 {
		v.Add("title", "invalid_title", "标题须为1-200个字符", "title must be 1-200 characters")
	}
	for i, it := range l.Items {
		if it.Content == "" || len([]rune(it.Content)) > 1000 {
			v.Add("items", "invalid_item", "第"+itoa(i+1)+"项承诺内容须为1-1000个字符", "commitment "+itoa(i+1)+" must be 1-1000 characters")
		}
	}
	return v.Err()
}

// ListLetters lists a year's letters.
func ListLetters(ctx context.Context, tx bun.IDB, year int, kind string) ([]Letter, error) {
	out := []Letter{}
	q := tx.NewSelect().Model(&out).Where("l.year = ?", year).OrderExpr("l.kind, l.title")
	if kind != "" {
		q.Where("l.kind = ?", kind)
	}
	return out, q.Scan(ctx)
}

// GetLetter returns a letter with its items.
func GetLetter(ctx context.Context, tx bun.IDB, id uuid.UUID) (Letter, error) {
	var l Letter
	if err := tx.NewSelect().Model(&l).Where("l.id = ?", id).Scan(ctx); err != nil {
		return l, MapErr(err)
	}
	l.Items = []LetterItem{}
	return l, tx.NewSelect().Model(&l.Items).Where("li.letter_id = ?", id).Order("seq").Scan(ctx)
}

// PutLetter creates a letter, or replaces one (by version) with its items.
// The unit must be of the letter's kind; items' projects must be the county's.
func PutLetter(ctx context.Context, tx bun.IDB, l Letter) (Letter, error) {
	if err := l.validate(); err != nil {
		return Letter{}, err
	}
	unit, err := GetUnit(ctx, tx, l.UnitID)
	if err != nil {
		var v errs.Validation
		v.Add("unit_id", "not_found", "单位不存在", "no such unit")
		return Letter{}, v.Err()
	}
	if l.Kind == "service" && !unit.IsServiceUnit {
		var v errs.Validation
		v.Add("unit_id", "not_service_unit", "服务保障承诺书须与服务单位签订", "a service commitment letter is signed with a service unit")
		return Letter{}, v.Err()
	}
	for _, it := range l.Items {
		for _, pid := range it.ProjectIDs {
			if _, err := GetProject(ctx, tx, pid, nil, time.Now()); err != nil {
				var v errs.Validation
				v.Add("items", "unknown_project", "承诺事项所列项目不存在", "a commitment names a project that does not exist")
				return Letter{}, v.Err()
			}
		}
	}
	var before any
	if l.ID == uuid.Nil {
		l.ID, l.Version = uuid.New(), 1
		if _, err := tx.NewInsert().Model(&l).Exec(ctx); err != nil {
			return Letter{}, MapErr(err)
		}
	} else {
		cur, err := GetLetter(ctx, tx, l.ID)
		if err != nil {
			return Letter{}, err
		}
		before = cur
		res, err := tx.NewUpdate().Model(&l).Column("year", "kind", "unit_id", "title", "signed_on").Set("version = version + 1").
			Set("updated_at = now()").Where("l.id = ? AND l.version = ?", l.ID, l.Version).Exec(ctx)
		if err != nil {
			return Letter{}, MapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Letter{}, errs.ErrVersionConflict
		}
		if _, err := tx.NewDelete().Model((*LetterItem)(nil)).Where("letter_id = ?", l.ID).Exec(ctx); err != nil {
			return Letter{}, err
		}
	}
	for i := range l.Items {
		it := &l.Items[i]
		it.ID, it.LetterID, it.Seq = uuid.New(), l.ID, i+1
		if it.ProjectIDs == nil {
			it.ProjectIDs = []uuid.UUID{}
		}
	}
	if len(l.Items) > 0 {
		if _, err := tx.NewInsert().Model(&l.Items).Exec(ctx); err != nil {
			return Letter{}, MapErr(err)
		}
	}
	out, err := GetLetter(ctx, tx, l.ID)
	if err != nil {
		return Letter{}, err
	}
	return out, Audit(ctx, tx, audit.Entry{Action: "letter.put", EntityType: "letter", EntityID: l.ID.String(), Before: before, After: out})
}

// ListScans lists a letter's scan versions, newest first.
func ListScans(ctx context.Context, tx bun.IDB, letterID uuid.UUID) ([]Scan, error) {
	out := []Scan{}
	return out, tx.NewSelect().Model(&out).Where("s.letter_id = ?", letterID).OrderExpr("s.version DESC").Scan(ctx)
}

// GetScan returns one scan of a letter.
func GetScan(ctx context.Context, tx bun.IDB, letterID, scanID uuid.UUID) (Scan, error) {
	var s Scan
	return s, MapErr(tx.NewSelect().Model(&s).Where("s.id = ? AND s.letter_id = ?", scanID, letterID).Scan(ctx))
}

// AddScan records a new scan version (the object is already stored).
func AddScan(ctx context.Context, tx bun.IDB, s Scan) (Scan, error) {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "scan:"+s.LetterID.String()); err != nil {
		return Scan{}, err
	}
	if err := tx.NewSelect().Model((*Scan)(nil)).ColumnExpr("coalesce(max(version), 0) + 1").Where("letter_id = ?", s.LetterID).Scan(ctx, &s.Version); err != nil {
		return Scan{}, err
	}
	s.ID = uuid.New()
	if _, err := tx.NewInsert().Model(&s).Exec(ctx); err != nil {
		return Scan{}, MapErr(err)
	}
	return s, Audit(ctx, tx, audit.Entry{Action: "letter.scan", EntityType: "letter", EntityID: s.LetterID.String(),
		After: map[string]any{"version": s.Version, "sha256": s.SHA256, "size": s.SizeBytes, "content_type": s.ContentType, "object": s.ObjectKey, "version_id": s.VersionID}})
}

func itoa(n int) string { return strconv.Itoa(n) }
