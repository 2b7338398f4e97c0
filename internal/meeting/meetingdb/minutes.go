package meetingdb

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
)

// IssuedMinutes is an issued version of a sitting's minutes.
type IssuedMinutes struct {
	bun.BaseModel `bun:"table:meeting_minutes,alias:mm"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	SittingID     uuid.UUID       `bun:"sitting_id,type:uuid"`
	Kind          string          `bun:"kind"`
	Year          int             `bun:"year"`
	IssueNo       int             `bun:"issue_no"`
	Version       int             `bun:"version"`
	Reason        string          `bun:"reason"`
	Content       json.RawMessage `bun:"content,type:jsonb"`
	OutputHash    []byte          `bun:"output_hash"`
	IssuedBy      uuid.UUID       `bun:"issued_by,type:uuid"`
	IssuedAt      time.Time       `bun:"issued_at"`
	IssuedByName  string          `bun:"issued_by_name,scanonly"`
}

// Minutes are the minutes as issued.
func (im IssuedMinutes) Minutes() (meeting.Minutes, error) {
	var m meeting.Minutes
	err := json.Unmarshal(im.Content, &m)
	return m, err
}

// MinutesVersionLabel is 第N版, or the draft's label for 0.
func MinutesVersionLabel(v int) string {
	if v == 0 {
		return "草稿（未签发）"
	}
	return fmt.Sprintf("第%d版", v)
}

// MinutesFile is one stored rendering of an issued version.
type MinutesFile struct {
	bun.BaseModel `bun:"table:meeting_minutes_files,alias:mf"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	MinutesID     uuid.UUID `bun:"minutes_id,type:uuid"`
	Format        string    `bun:"format"`
	ObjectKey     string    `bun:"object_key"`
	VersionID     string    `bun:"version_id"`
	SHA256        []byte    `bun:"sha256"`
	SizeBytes     int64     `bun:"size_bytes"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
}

// Files say how issued minutes are stored and rendered.
type Files struct {
	Store       objects.Keeper
	Fonts       string // TUIJIN_PDF_FONT
	RetainYears int
}

var errMinutesStorage = errs.E(errs.Unavailable, "storage_unavailable", "文件存储未配置或不可用，会议纪要暂不能签发或提供",
	"file storage is not configured or unavailable: minutes cannot be issued or served now")

// minutesEdited records who last wrote the minutes' text.
func minutesEdited(ctx context.Context, tx bun.IDB, sitting, by uuid.UUID, now time.Time) error {
	_, err := tx.NewUpdate().Model((*Sitting)(nil)).Set("minutes_edited_by = ?, minutes_edited_at = ?", by, now).Where("id = ?", sitting).Exec(ctx)
	return postgres.MapErr(err)
}

// MinutesDraft is the office's own text of the minutes.
type MinutesDraft struct {
	Intro   string // the opening; "" for the usual one
	Closing string
}

// SaveMinutesDraft keeps the office's opening and closing words (audited).
func SaveMinutesDraft(ctx context.Context, tx bun.IDB, sitting uuid.UUID, d MinutesDraft, by uuid.UUID, now time.Time) (Sitting, error) {
	st, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return st, err
	}
	var v errs.Validation
	if len([]rune(d.Intro)) > 2000 {
		v.Add("intro", "too_long", "开头不能超过2000字", "the opening is at most 2000 characters")
	}
	if len([]rune(d.Closing)) > 2000 {
		v.Add("closing", "too_long", "结尾不能超过2000字", "the closing is at most 2000 characters")
	}
	if err := v.Err(); err != nil {
		return st, err
	}
	if _, err := tx.NewUpdate().Model((*Sitting)(nil)).Set("minutes_intro = ?, minutes_closing = ?, minutes_edited_by = ?, minutes_edited_at = ?",
		strings.TrimSpace(d.Intro), strings.TrimSpace(d.Closing), by, now).Where("id = ?", sitting).Exec(ctx); err != nil {
		return st, postgres.MapErr(err)
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.minutes_draft", EntityType: "meeting", EntityID: sitting.String(),
		Before: map[string]any{"intro": st.MinutesIntro, "closing": st.MinutesClosing}, After: map[string]any{"intro": d.Intro, "closing": d.Closing}}); err != nil {
		return st, err
	}
	return GetSitting(ctx, tx, sitting)
}

// DraftMinutes are a held sitting's minutes from the current data, as they
// would be issued on today (issue number 0: not issued).
func DraftMinutes(ctx context.Context, tx bun.IDB, st Sitting, today time.Time) (meeting.Minutes, error) {
	m := meeting.Minutes{Kind: meeting.Kind(st.Kind), Label: st.Label(), Year: st.Day.Year(), StartsAt: st.StartsAt, Place: st.Place,
		SiteProject: st.SiteProjectName, ChairPost: st.ChairPost, Chair: st.ChairName, IssuedOn: today, Intro: st.MinutesIntro, Closing: st.MinutesClosing,
		Items: []meeting.MinutesItem{}, Decisions: []meeting.Decision{}, Present: []string{}, Deputies: []string{}, Absent: []string{}, NotPresent: []string{}}
	if err := tx.NewRaw("SELECT name FROM counties WHERE id = app_county()").Scan(ctx, &m.County); err != nil {
		return m, err
	}
	items, err := ListItems(ctx, tx, st.ID)
	if err != nil {
		return m, err
	}
	for _, it := range items {
		m.Items = append(m.Items, meeting.MinutesItem{Section: meeting.ItemKindNames[meeting.ItemKind(it.Kind)], Title: it.Title, Minutes: it.Minutes, Picked: it.Picked})
	}
	var acts []Action
	if err := actionQuery(tx, &acts).Where("act.sitting_id = ?", st.ID).OrderExpr("act.number").Scan(ctx); err != nil {
		return m, err
	}
	names, err := unitNames(ctx, tx)
	if err != nil {
		return m, err
	}
	for _, a := range acts {
		d := meeting.Decision{Number: a.Number, Text: a.Text, Owner: a.OwnerUnit, Person: a.OwnerPerson, Deadline: a.Deadline, Project: a.ProjectName, Partners: []string{}}
		for _, u := range a.PartnerUnitIDs {
			d.Partners = append(d.Partners, names[u])
		}
		m.Decisions = append(m.Decisions, d)
	}
	att, err := ListAttendance(ctx, tx, st.ID)
	if err != nil {
		return m, err
	}
	named := func(name, post string) string {
		if post == "" {
			return name
		}
		return name + "（" + post + "）"
	}
	for _, a := range att {
		switch a.Status {
		case "signed_in":
			m.Present = append(m.Present, named(a.PersonName, a.PersonPost))
		case "deputy":
			m.Deputies = append(m.Deputies, a.DeputyName+"（代"+strings.TrimSpace(a.PersonPost+a.PersonName)+"）")
		case "absent":
			m.Absent = append(m.Absent, a.PersonName+"（"+a.Reason+"）")
		default:
			m.NotPresent = append(m.NotPresent, a.PersonName)
		}
	}
	// The previous sitting of the series, and how its decisions stand.
	var prev []Sitting
	if err := sittingQuery(tx, &prev).Where("ms.kind = ? AND ms.status = 'held' AND (ms.day, ms.id) < (?::date, ?)", st.Kind, st.Day, st.ID).
		OrderExpr("ms.day DESC, ms.id DESC").Limit(1).Scan(ctx); err != nil {
		return m, err
	}
	if len(prev) == 1 {
		p := prev[0]
		figs, err := ActionFigures(ctx, tx, &p.ID, today, today, today)
		if err != nil {
			return m, err
		}
		review := meeting.PreviousReview{Label: p.Label(), Tally: figs.All, Laggards: []string{}}
		var late []Action
		if err := actionQuery(tx, &late).Where("act.sitting_id = ?", p.ID).OrderExpr("u.name, act.number").Scan(ctx); err != nil {
			return m, err
		}
		for _, a := range late {
			if a.Overdue(today) {
				review.Laggards = append(review.Laggards, fmt.Sprintf("%s第%d项", a.OwnerUnit, a.Number))
			}
		}
		m.Previous = &review
	}
	return m, nil
}

func unitNames(ctx context.Context, tx bun.IDB) (map[uuid.UUID]string, error) {
	var rows []struct {
		ID   uuid.UUID `bun:"id"`
		Name string    `bun:"name"`
	}
	if err := tx.NewRaw("SELECT id, name FROM units").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

func minutesQuery(tx bun.IDB, out any) *bun.SelectQuery {
	return tx.NewSelect().Model(out).ColumnExpr("mm.*, coalesce(a.display_name, a.username, '') AS issued_by_name").
		Join("LEFT JOIN accounts a ON a.id = mm.issued_by")
}

// ListMinutes are a sitting's issued versions, newest first.
func ListMinutes(ctx context.Context, tx bun.IDB, sitting uuid.UUID) ([]IssuedMinutes, error) {
	out := []IssuedMinutes{}
	err := minutesQuery(tx, &out).Where("mm.sitting_id = ?", sitting).OrderExpr("mm.version DESC").Scan(ctx)
	return out, err
}

var errMinutesNotFound = errs.E(errs.NotFound, "minutes_not_found", "未找到该会议纪要", "no such minutes")

// GetMinutes reads one issued version.
func GetMinutes(ctx context.Context, tx bun.IDB, id uuid.UUID) (IssuedMinutes, error) {
	var list []IssuedMinutes
	if err := minutesQuery(tx, &list).Where("mm.id = ?", id).Scan(ctx); err != nil {
		return IssuedMinutes{}, err
	}
	if len(list) == 0 {
		return IssuedMinutes{}, errMinutesNotFound
	}
	return list[0], nil
}

// IssueMinutes freezes a held sitting's minutes as their next version
// (audited): the minutes as they stand, an issue number (第N期 per series
// and year; a correction keeps its first version's, and needs a reason),
// and the page, PDF and .docx stored as locked objects with their SHA-256.
// Only the chair issues (the caller checks), and not when the chair's own
// account wrote the minutes' text last: nobody approves their own work.
// Everyone expected at the sitting and the owners of its decisions are told.
func IssueMinutes(ctx context.Context, tx bun.IDB, files Files, sitting uuid.UUID, reason string, by uuid.UUID, now time.Time) (IssuedMinutes, error) {
	if files.Store == nil {
		return IssuedMinutes{}, errMinutesStorage
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('meeting_minutes:' || ?, 0))", sitting.String()); err != nil {
		return IssuedMinutes{}, err
	}
	st, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return IssuedMinutes{}, err
	}
	if st.Status != "held" {
		return IssuedMinutes{}, errs.E(errs.Conflict, "sitting_not_held", "会议尚未召开，不能签发纪要", "the sitting has not been held: its minutes cannot be issued")
	}
	if st.MinutesEditedBy != nil && *st.MinutesEditedBy == by {
		return IssuedMinutes{}, errs.E(errs.Forbidden, "own_minutes", "纪要由您本人起草，须由他人审定签发", "you wrote these minutes: someone else must issue them")
	}
	var prior []IssuedMinutes
	if err := tx.NewSelect().Model(&prior).Where("mm.sitting_id = ?", sitting).OrderExpr("mm.version DESC").Limit(1).Scan(ctx); err != nil {
		return IssuedMinutes{}, err
	}
	reason = strings.TrimSpace(reason)
	var v errs.Validation
	if len(prior) > 0 && len([]rune(reason)) < 4 {
		v.Add("reason", "reason_required", fmt.Sprintf("本次会议纪要已签发第%d版；更正须写明理由（至少4个字）", prior[0].Version),
			"these minutes were issued; a correction needs a reason (at least 4 characters)")
	}
	if len([]rune(reason)) > 1000 {
		v.Add("reason", "too_long", "理由不能超过1000字", "the reason is at most 1000 characters")
	}
	if err := v.Err(); err != nil {
		return IssuedMinutes{}, err
	}
	m, err := DraftMinutes(ctx, tx, st, settings.Today(now))
	if err != nil {
		return IssuedMinutes{}, err
	}
	if len(m.Decisions) == 0 && !anyMinutes(m) {
		return IssuedMinutes{}, errs.E(errs.Conflict, "minutes_empty", "纪要既无议定事项也无研究事项记录，不能签发", "the minutes have neither decisions nor item minutes")
	}
	im := IssuedMinutes{ID: uuid.New(), SittingID: sitting, Kind: st.Kind, Year: st.Day.Year(), Version: 1, Reason: reason, IssuedBy: by, IssuedAt: now}
	if len(prior) > 0 {
		im.Version, im.IssueNo = prior[0].Version+1, prior[0].IssueNo
	} else {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('meeting_minutes_no:' || app_county()::text || ? || ?, 0))", st.Kind, im.Year); err != nil {
			return im, err
		}
		if err := tx.NewRaw("SELECT coalesce(max(issue_no), 0) + 1 FROM meeting_minutes WHERE kind = ? AND year = ?", st.Kind, im.Year).Scan(ctx, &im.IssueNo); err != nil {
			return im, err
		}
	}
	m.IssueNo = im.IssueNo
	if im.Content, err = json.Marshal(m); err != nil {
		return im, err
	}
	label := MinutesVersionLabel(im.Version)
	rendered, err := meeting.RenderMinutes(m, label, files.Fonts)
	if err != nil {
		return im, err
	}
	sum := sha256.Sum256(rendered["html"])
	im.OutputHash = sum[:]
	if _, err := tx.NewInsert().Model(&im).Exec(ctx); err != nil {
		return im, postgres.MapErr(err)
	}
	var county uuid.UUID
	if err := tx.NewRaw("SELECT app_county()").Scan(ctx, &county); err != nil {
		return im, err
	}
	stored, err := objects.PutFiles(ctx, files.Store, fmt.Sprintf("minutes/%s/%s", county, im.ID), []string{"html", "pdf", "docx"}, rendered,
		meeting.MinutesFormats, now.AddDate(files.RetainYears, 0, 0))
	if err != nil {
		return im, err
	}
	for _, format := range []string{"html", "pdf", "docx"} {
		st := stored[format]
		row := MinutesFile{ID: uuid.New(), MinutesID: im.ID, Format: format, ObjectKey: st.Key, VersionID: st.VersionID, SHA256: st.SHA256, SizeBytes: st.Size}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return im, postgres.MapErr(err)
		}
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.minutes_issue", EntityType: "meeting", EntityID: sitting.String(),
		After: map[string]any{"minutes": im.ID, "issue_no": im.IssueNo, "version": im.Version, "reason": reason, "sha256": fmt.Sprintf("%x", sum)}}); err != nil {
		return im, err
	}
	// Everyone expected, and the accounts of the decisions' owners.
	var accounts []uuid.UUID
	if err := tx.NewRaw(`SELECT DISTINCT a.id FROM accounts a WHERE NOT a.disabled AND (
		a.person_id IN (SELECT person_id FROM meeting_attendance WHERE sitting_id = ?)
		OR a.person_id IN (SELECT owner_person_id FROM meeting_actions WHERE sitting_id = ?))`, sitting, sitting).Scan(ctx, &accounts); err != nil {
		return im, err
	}
	title := "已签发：" + m.Title() + m.IssueLine()
	if im.Version > 1 {
		title += "（" + label + "）"
	}
	msgs := make([]postgres.Message, 0, len(accounts))
	for _, a := range accounts {
		msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgMeeting, Title: title,
			Body: fmt.Sprintf("%s议定事项%d项。", m.Label, len(m.Decisions)), Link: "/meetings/" + sitting.String(), IdemKey: "minutes:" + im.ID.String()})
	}
	_, err = postgres.Notify(ctx, tx, msgs)
	return im, err
}

func anyMinutes(m meeting.Minutes) bool {
	for _, it := range m.Items {
		if strings.TrimSpace(it.Minutes) != "" {
			return true
		}
	}
	return false
}

// MinutesFileRef names an issued version's file of a format as stored (the
// caller reads it, hash checked — a mismatch is objects.ErrCorrupted — with
// no transaction open).
func MinutesFileRef(ctx context.Context, tx bun.IDB, im IssuedMinutes, format string) (objects.Ref, error) {
	if _, ok := meeting.MinutesFormats[format]; !ok {
		return objects.Ref{}, errs.ErrNotFound
	}
	var row MinutesFile
	if err := tx.NewSelect().Model(&row).Where("mf.minutes_id = ? AND mf.format = ?", im.ID, format).Scan(ctx); err != nil {
		return objects.Ref{}, postgres.MapErr(err)
	}
	return objects.Ref{Key: row.ObjectKey, VersionID: row.VersionID, SHA256: row.SHA256}, nil
}
