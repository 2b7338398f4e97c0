package observationdb

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/observation"
	"github.com/tuijin/tuijin/internal/postgres"
)

// IssuedReview is an issued version of an observation's monthly review.
type IssuedReview struct {
	bun.BaseModel `bun:"table:observation_reviews,alias:orv"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	EventID       uuid.UUID       `bun:"event_id,type:uuid"`
	Year          int             `bun:"year"`
	IssueNo       int             `bun:"issue_no"`
	Version       int             `bun:"version"`
	Reason        string          `bun:"reason"`
	Content       json.RawMessage `bun:"content,type:jsonb"`
	OutputHash    []byte          `bun:"output_hash"`
	IssuedBy      uuid.UUID       `bun:"issued_by,type:uuid"`
	IssuedAt      time.Time       `bun:"issued_at"`
}

// Review is the review as issued.
func (ir IssuedReview) Review() (observation.Review, error) {
	var r observation.Review
	err := json.Unmarshal(ir.Content, &r)
	return r, err
}

// ReviewFile is a stored rendering of an issued review.
type ReviewFile struct {
	bun.BaseModel `bun:"table:observation_review_files,alias:orf"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ReviewID      uuid.UUID `bun:"review_id,type:uuid"`
	Format        string    `bun:"format"`
	ObjectKey     string    `bun:"object_key"`
	VersionID     string    `bun:"version_id"`
	SHA256        []byte    `bun:"sha256"`
	SizeBytes     int64     `bun:"size_bytes"`
}

// VersionLabel is 第N版, or the draft's label for 0.
func VersionLabel(v int) string {
	if v == 0 {
		return "草稿（未签发）"
	}
	return fmt.Sprintf("第%d版", v)
}

// Files say how issued reviews are stored and rendered.
type Files struct {
	Store       objects.Keeper
	Fonts       string
	RetainYears int
	BestN       int // how many best and worst sites the review names
}

var errStorage = errs.E(errs.Unavailable, "storage_unavailable", "文件存储未配置或不可用，观摩点评暂不能签发或提供",
	"file storage is not configured or unavailable: reviews cannot be issued or served now")

// DraftReview is a closed event's review from its stored results and
// sheets, as it would be issued on today (issue number 0).
func DraftReview(ctx context.Context, tx bun.IDB, e Event, bestN int, today time.Time) (observation.Review, error) {
	r := observation.Review{Title: e.Title, Month: fmt.Sprintf("%d年%d月", e.Month.Year(), int(e.Month.Month())), HeldOn: chinese(e.HeldOn),
		HalfYear: e.HalfYear, Year: e.Month.Year(), IssuedOn: chinese(today), Note: e.CloseNote, Judges: []string{}, Sites: []observation.ReviewSite{},
		Pools: []observation.ReviewPool{}, Best: []string{}, Worst: []string{}}
	if e.Status != "closed" {
		return r, errs.E(errs.Conflict, "observation_open", "观摩评分尚未结束，不能生成点评", "scoring has not closed: no review yet")
	}
	if err := tx.NewRaw("SELECT name FROM counties WHERE id = app_county()").Scan(ctx, &r.County); err != nil {
		return r, err
	}
	rubric := e.Rubric()
	r.Method = rubric.MethodText()
	var items []string
	for _, it := range rubric.Items {
		s := fmt.Sprintf("%s%d分", it.Name, it.Max)
		if it.Weight > 1 {
			s += fmt.Sprintf("×%d", it.Weight)
		}
		items = append(items, s)
	}
	r.Rubric = strings.Join(items, "、")
	if err := tx.NewRaw("SELECT name FROM people WHERE id = ANY(?::uuid[]) ORDER BY array_position(?::uuid[], id)", pgdialect.Array(e.Judges), pgdialect.Array(e.Judges)).Scan(ctx, &r.Judges); err != nil {
		return r, err
	}
	results, err := Results(ctx, tx, e.ID)
	if err != nil {
		return r, err
	}
	sites, err := Sites(ctx, tx, e.ID)
	if err != nil {
		return r, err
	}
	unitOf := map[uuid.UUID]string{}
	for _, s := range sites {
		unitOf[s.ProjectID] = s.Unit
	}
	sheets, err := Scores(ctx, tx, e.ID, nil)
	if err != nil {
		return r, err
	}
	comments := map[uuid.UUID][]string{}
	for _, s := range sheets {
		if c := strings.TrimSpace(s.Comment); c != "" {
			comments[s.ProjectID] = append(comments[s.ProjectID], c)
		}
	}
	pools := map[string]int{}
	for _, x := range results {
		if x.Kind == "site" {
			r.Sites = append(r.Sites, observation.ReviewSite{Rank: x.Rank, Name: x.Name, Unit: unitOf[x.SubjectID], Score: x.Score, Judges: x.Judges,
				Comments: strings.Join(comments[x.SubjectID], "；")})
			continue
		}
		i, ok := pools[x.Pool]
		if !ok {
			i = len(r.Pools)
			pools[x.Pool] = i
			r.Pools = append(r.Pools, observation.ReviewPool{Name: observation.PoolNames[x.Pool]})
		}
		r.Pools[i].Rows = append(r.Pools[i].Rows, observation.ReviewUnitRow{Rank: x.Rank, Unit: x.Name, Score: x.Score, TieNote: x.TieNote})
	}
	// Pools in the published order: townships, zones, departments.
	order := map[string]int{observation.PoolNames[observation.PoolTownships]: 0, observation.PoolNames[observation.PoolZones]: 1, observation.PoolNames[observation.PoolDepartments]: 2}
	sort.SliceStable(r.Pools, func(i, j int) bool { return order[r.Pools[i].Name] < order[r.Pools[j].Name] })
	n := bestN
	if n*2 > len(r.Sites) {
		n = len(r.Sites) / 2
	}
	for i := 0; i < n; i++ {
		r.Best = append(r.Best, r.Sites[i].Name)
		r.Worst = append(r.Worst, r.Sites[len(r.Sites)-n+i].Name)
	}
	return r, nil
}

func chinese(d time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
}

// IssueReview freezes a closed event's review as its next version
// (audited): an issue number per county and year (a correction keeps its
// first version's and needs a reason), the review as issued, and its page,
// workbook and PDF stored as locked objects with their SHA-256.
func IssueReview(ctx context.Context, tx bun.IDB, files Files, event uuid.UUID, reason string, by uuid.UUID, now time.Time) (IssuedReview, error) {
	if files.Store == nil {
		return IssuedReview{}, errStorage
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('observation_review:' || app_county()::text, 0))"); err != nil {
		return IssuedReview{}, err
	}
	e, err := GetEvent(ctx, tx, event)
	if err != nil {
		return IssuedReview{}, err
	}
	r, err := DraftReview(ctx, tx, e, files.BestN, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC))
	if err != nil {
		return IssuedReview{}, err
	}
	var prior []IssuedReview
	if err := tx.NewSelect().Model(&prior).Where("orv.event_id = ?", event).OrderExpr("orv.version DESC").Limit(1).Scan(ctx); err != nil {
		return IssuedReview{}, err
	}
	reason = strings.TrimSpace(reason)
	if len(prior) > 0 && len([]rune(reason)) < 4 {
		var v errs.Validation
		v.Add("reason", "reason_required", fmt.Sprintf("本期点评已签发第%d版；更正须写明理由（至少4个字）", prior[0].Version), "issued already: a correction needs a reason (at least 4 characters)")
		return IssuedReview{}, v.Err()
	}
	ir := IssuedReview{ID: uuid.New(), EventID: event, Year: e.Month.Year(), Version: 1, Reason: reason, IssuedBy: by, IssuedAt: now}
	if len(prior) > 0 {
		ir.Version, ir.IssueNo = prior[0].Version+1, prior[0].IssueNo
	} else if err := tx.NewRaw("SELECT coalesce(max(issue_no), 0) + 1 FROM observation_reviews WHERE year = ?", ir.Year).Scan(ctx, &ir.IssueNo); err != nil {
		return ir, err
	}
	r.IssueNo = ir.IssueNo
	if ir.Content, err = json.Marshal(r); err != nil {
		return ir, err
	}
	label := VersionLabel(ir.Version)
	rendered, err := observation.RenderReview(r, label, files.Fonts)
	if err != nil {
		return ir, err
	}
	sum := sha256.Sum256(rendered["html"])
	ir.OutputHash = sum[:]
	if _, err := tx.NewInsert().Model(&ir).Exec(ctx); err != nil {
		return ir, postgres.MapErr(err)
	}
	formats := []string{"html", "xlsx", "pdf"}
	stored, err := objects.PutFiles(ctx, files.Store, fmt.Sprintf("observation-reviews/%s/%s", e.CountyID, ir.ID), formats, rendered,
		observation.ReviewFormats, now.AddDate(files.RetainYears, 0, 0))
	if err != nil {
		return ir, err
	}
	for _, f := range formats {
		st := stored[f]
		row := ReviewFile{ID: uuid.New(), ReviewID: ir.ID, Format: f, ObjectKey: st.Key, VersionID: st.VersionID, SHA256: st.SHA256, SizeBytes: st.Size}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return ir, postgres.MapErr(err)
		}
	}
	return ir, postgres.Audit(ctx, tx, audit.Entry{Action: "observation.review_issue", EntityType: "observation", EntityID: event.String(),
		After: map[string]any{"review": ir.ID, "issue_no": ir.IssueNo, "version": ir.Version, "reason": reason, "sha256": fmt.Sprintf("%x", sum)}})
}

// ListReviews are an event's issued versions, newest first.
func ListReviews(ctx context.Context, tx bun.IDB, event uuid.UUID) ([]IssuedReview, error) {
	out := []IssuedReview{}
	err := tx.NewSelect().Model(&out).Where("orv.event_id = ?", event).OrderExpr("orv.version DESC").Scan(ctx)
	return out, err
}

// GetReview reads an issued version.
func GetReview(ctx context.Context, tx bun.IDB, id uuid.UUID) (IssuedReview, error) {
	var list []IssuedReview
	if err := tx.NewSelect().Model(&list).Where("orv.id = ?", id).Scan(ctx); err != nil {
		return IssuedReview{}, err
	}
	if len(list) == 0 {
		return IssuedReview{}, errs.E(errs.NotFound, "review_not_found", "未找到该观摩点评", "no such review")
	}
	return list[0], nil
}

// ReviewFileRef names an issued version's file of a format as stored (the
// caller reads it, hash checked, with no transaction open).
func ReviewFileRef(ctx context.Context, tx bun.IDB, ir IssuedReview, format string) (objects.Ref, error) {
	if _, ok := observation.ReviewFormats[format]; !ok {
		return objects.Ref{}, errs.ErrNotFound
	}
	var row ReviewFile
	if err := tx.NewSelect().Model(&row).Where("orf.review_id = ? AND orf.format = ?", ir.ID, format).Scan(ctx); err != nil {
		return objects.Ref{}, postgres.MapErr(err)
	}
	return objects.Ref{Key: row.ObjectKey, VersionID: row.VersionID, SHA256: row.SHA256}, nil
}
