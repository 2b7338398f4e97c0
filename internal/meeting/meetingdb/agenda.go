package meetingdb

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/supervision"
)

// ListItems is a sitting's agenda in order (without its backlog).
func ListItems(ctx context.Context, tx bun.IDB, sitting uuid.UUID) ([]Item, error) {
	return listItems(ctx, tx, sitting, "NOT mi.set_aside")
}

// ListBacklog is the items taken off a sitting's agenda and kept aside,
// in the order they had.
func ListBacklog(ctx context.Context, tx bun.IDB, sitting uuid.UUID) ([]Item, error) {
	return listItems(ctx, tx, sitting, "mi.set_aside")
}

func listItems(ctx context.Context, tx bun.IDB, sitting uuid.UUID, cond string) ([]Item, error) {
	out := []Item{}
	err := tx.NewSelect().Model(&out).Where("mi.sitting_id = ?", sitting).Where(cond).OrderExpr("mi.position, mi.created_at").Scan(ctx)
	return out, err
}

var errAgendaApproved = errs.E(errs.Conflict, "agenda_approved", "议程已经主持人审定，不能再修改", "the chair approved the agenda: it cannot change")

func editable(st Sitting) error {
	switch {
	case st.Status != "planned":
		return errs.E(errs.Conflict, "sitting_not_planned", "会议已召开或已取消，议程不能再修改", "the sitting was held or skipped: its agenda cannot change")
	case st.AgendaApprovedAt != nil:
		return errAgendaApproved
	}
	return nil
}

// ItemInput is an item the office adds.
type ItemInput struct {
	Title     string
	Detail    string
	ProjectID *uuid.UUID
	UnitID    *uuid.UUID
}

// AddItem adds an item to a sitting's agenda, last (the office).
func AddItem(ctx context.Context, tx bun.IDB, sitting uuid.UUID, in ItemInput) (Item, error) {
	st, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return Item{}, err
	}
	if err := editable(st); err != nil {
		return Item{}, err
	}
	var v errs.Validation
	if n := len([]rune(in.Title)); n == 0 || n > 200 {
		v.Add("title", "length", "议题须为1到200字", "a title is 1 to 200 characters")
	}
	if len([]rune(in.Detail)) > 2000 {
		v.Add("detail", "too_long", "说明不能超过2000字", "the detail is at most 2000 characters")
	}
	if err := v.Err(); err != nil {
		return Item{}, err
	}
	var pos int
	if err := tx.NewRaw("SELECT coalesce(max(position), 0) + 1 FROM meeting_items WHERE sitting_id = ?", sitting).Scan(ctx, &pos); err != nil {
		return Item{}, err
	}
	ev := json.RawMessage(`{}`)
	if in.ProjectID != nil {
		v, err := postgres.SettingsOn(ctx, tx, st.Day)
		if err != nil {
			return Item{}, err
		}
		week := supervision.WeekToClose(st.StartsAt, v.Values)
		cs, err := cards(ctx, tx, []uuid.UUID{*in.ProjectID}, week)
		if err != nil {
			return Item{}, err
		}
		c, ok := cs[*in.ProjectID]
		if !ok {
			return Item{}, errs.E(errs.Invalid, "project_not_found", "项目不存在", "no such project")
		}
		if ev, err = json.Marshal(c); err != nil {
			return Item{}, err
		}
		if in.UnitID == nil {
			in.UnitID = &c.UnitID
		}
	}
	it := Item{ID: uuid.New(), SittingID: sitting, Position: pos, Kind: string(meeting.ItemCustom), Source: "office", Title: in.Title,
		Detail: in.Detail, ProjectID: in.ProjectID, UnitID: in.UnitID, Evidence: ev}
	if _, err := tx.NewInsert().Model(&it).Exec(ctx); err != nil {
		return Item{}, postgres.MapErr(err)
	}
	return it, postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.item_add", EntityType: "meeting", EntityID: sitting.String(),
		After: map[string]any{"item": it.ID, "title": it.Title}})
}

// AgendaChange reorders the agenda and sets the chair's picks (M1.2: one
// or two projects for a weekly meeting). Order lists the items on the
// agenda, in order: an item of the backlog listed goes back on it, an item
// left out is set aside into the backlog; Remove deletes items for good.
type AgendaChange struct {
	Order  []uuid.UUID
	Picked []uuid.UUID
	Remove []uuid.UUID
}

// ChangeAgenda applies an agenda change (audited).
func ChangeAgenda(ctx context.Context, tx bun.IDB, sitting uuid.UUID, c AgendaChange) ([]Item, error) {
	st, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return nil, err
	}
	if err := editable(st); err != nil {
		return nil, err
	}
	items, err := listItems(ctx, tx, sitting, "true")
	if err != nil {
		return nil, err
	}
	byID := map[uuid.UUID]Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	var v errs.Validation
	keep := map[uuid.UUID]bool{}
	for _, id := range c.Order {
		if _, ok := byID[id]; !ok || keep[id] {
			v.Add("order", "unknown_item", "议程顺序中有不属于本次会议或重复的议题", "the order lists an item not on this agenda, or one twice")
			break
		}
		keep[id] = true
	}
	picked := map[uuid.UUID]bool{}
	for _, id := range c.Picked {
		it, ok := byID[id]
		if !ok || !keep[id] || it.ProjectID == nil {
			v.Add("picked", "not_a_project", "只能选取本次议程中的项目", "only projects on this agenda can be picked")
			break
		}
		picked[id] = true
	}
	if meeting.Kind(st.Kind) == meeting.Weekly && len(picked) > meeting.MaxPicked {
		v.Add("picked", "too_many", "周例会选取1至2个重点项目集中研究", "a weekly meeting picks one or two projects")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	removed := []uuid.UUID{}
	for _, id := range c.Remove {
		if _, ok := byID[id]; !ok || keep[id] {
			v.Add("remove", "unknown_item", "只能删除本次会议未列入议程的议题", "only items of this sitting left off the agenda can be removed")
			return nil, v.Err()
		}
		removed = append(removed, id)
	}
	if len(removed) > 0 {
		if _, err := tx.NewDelete().Model((*Item)(nil)).Where("id IN (?)", bun.List(removed)).Exec(ctx); err != nil {
			return nil, postgres.MapErr(err)
		}
	}
	setAside := []uuid.UUID{}
	for _, it := range items {
		if !keep[it.ID] && !it.SetAside && !slices.Contains(removed, it.ID) {
			setAside = append(setAside, it.ID)
		}
	}
	if len(setAside) > 0 {
		if _, err := tx.NewUpdate().Model((*Item)(nil)).Set("set_aside = true, picked = false").Where("id IN (?)", bun.List(setAside)).Exec(ctx); err != nil {
			return nil, postgres.MapErr(err)
		}
	}
	for i, id := range c.Order {
		if _, err := tx.NewUpdate().Model((*Item)(nil)).Set("position = ?, picked = ?, set_aside = false", i+1, picked[id]).Where("id = ?", id).Exec(ctx); err != nil {
			return nil, postgres.MapErr(err)
		}
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.agenda", EntityType: "meeting", EntityID: sitting.String(),
		After: map[string]any{"order": c.Order, "picked": c.Picked, "set_aside": setAside, "removed": removed}}); err != nil {
		return nil, err
	}
	return ListItems(ctx, tx, sitting)
}

// ApproveAgenda is the chair's approval (审定); after it the agenda stands.
func ApproveAgenda(ctx context.Context, tx bun.IDB, sitting uuid.UUID, by uuid.UUID, now time.Time) (Sitting, error) {
	st, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return st, err
	}
	if err := editable(st); err != nil {
		return st, err
	}
	if _, err := tx.NewUpdate().Model((*Sitting)(nil)).Set("agenda_approved_at = ?, agenda_approved_by = ?, version = version + 1, updated_at = ?", now, by, now).
		Where("id = ?", sitting).Exec(ctx); err != nil {
		return st, postgres.MapErr(err)
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.approve_agenda", EntityType: "meeting", EntityID: sitting.String()}); err != nil {
		return st, err
	}
	return GetSitting(ctx, tx, sitting)
}

// SetItemMinutes records what the sitting said on an item (the office,
// account by).
func SetItemMinutes(ctx context.Context, tx bun.IDB, item uuid.UUID, text string, by uuid.UUID, now time.Time) (Item, error) {
	var it Item
	if err := tx.NewSelect().Model(&it).Where("mi.id = ?", item).Scan(ctx); err != nil {
		return it, postgres.MapErr(err)
	}
	if len([]rune(text)) > 5000 {
		var v errs.Validation
		v.Add("minutes", "too_long", "纪要不能超过5000字", "minutes are at most 5000 characters")
		return it, v.Err()
	}
	before := it.Minutes
	it.Minutes = text
	if _, err := tx.NewUpdate().Model(&it).Column("minutes").WherePK().Exec(ctx); err != nil {
		return it, postgres.MapErr(err)
	}
	if err := minutesEdited(ctx, tx, it.SittingID, by, now); err != nil {
		return it, err
	}
	return it, postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.item_minutes", EntityType: "meeting", EntityID: it.SittingID.String(),
		Before: map[string]any{"item": it.ID, "minutes": before}, After: map[string]any{"item": it.ID, "minutes": text}})
}

// Hold marks a sitting held on its day and gives it its number (第N次) in
// its series and year.
func Hold(ctx context.Context, tx bun.IDB, sitting uuid.UUID, now time.Time) (Sitting, error) {
	st, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return st, err
	}
	if st.Status != "planned" {
		return st, errs.E(errs.Conflict, "sitting_not_planned", "会议已召开或已取消", "the sitting was held or skipped")
	}
	if st.StartsAt.After(now) {
		return st, errs.E(errs.Conflict, "sitting_not_started", "会议尚未开始", "the sitting has not started")
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('meeting_ordinal:' || app_county()::text || ':' || ? || ':' || ?, 0))",
		st.Kind, st.Day.Year()); err != nil {
		return st, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meeting_sittings SET status = 'held', version = version + 1, updated_at = ?,
		ordinal = (SELECT coalesce(max(ordinal), 0) + 1 FROM meeting_sittings WHERE kind = ? AND extract(year FROM day) = ? AND ordinal IS NOT NULL)
		WHERE id = ?`, now, st.Kind, st.Day.Year(), sitting); err != nil {
		return st, postgres.MapErr(err)
	}
	after, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return after, err
	}
	return after, postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.hold", EntityType: "meeting", EntityID: sitting.String(),
		Before: sittingView(st), After: sittingView(after)})
}

// AttendanceMark is how a person attended: signed_in (themselves, or the
// office for them), absent with a reason, or deputy (who came instead).
type AttendanceMark struct {
	Status string
	Reason string
	Deputy *uuid.UUID
}

// MarkAttendance records a person's attendance at a sitting (audited).
func MarkAttendance(ctx context.Context, tx bun.IDB, sitting, person uuid.UUID, m AttendanceMark, now time.Time) (Attendance, error) {
	st, err := GetSitting(ctx, tx, sitting)
	if err != nil {
		return Attendance{}, err
	}
	if st.Status == "skipped" {
		return Attendance{}, errs.E(errs.Conflict, "sitting_skipped", "会议已取消", "the sitting was skipped")
	}
	var v errs.Validation
	a := Attendance{SittingID: sitting, PersonID: person, Status: m.Status}
	switch m.Status {
	case "signed_in":
		a.SignedAt = &now
	case "absent":
		if len([]rune(m.Reason)) < 2 {
			v.Add("reason", "required", "请假须说明原因", "an absence needs a reason")
		}
		a.Reason = m.Reason
	case "deputy":
		if m.Deputy == nil {
			v.Add("deputy_person_id", "required", "请指明代为参会人员", "name who attended instead")
		}
		a.DeputyPersonID, a.Reason = m.Deputy, m.Reason
	default:
		v.Add("status", "invalid_status", "参会状态须为 signed_in、absent 或 deputy", "status must be signed_in, absent or deputy")
	}
	if len([]rune(m.Reason)) > 200 {
		v.Add("reason", "too_long", "原因不能超过200字", "the reason is at most 200 characters")
	}
	if err := v.Err(); err != nil {
		return Attendance{}, err
	}
	res, err := tx.NewUpdate().Model(&a).Column("status", "reason", "deputy_person_id", "signed_at").WherePK().Exec(ctx)
	if err != nil {
		return Attendance{}, postgres.MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Attendance{}, errs.E(errs.NotFound, "not_expected", "该人员不在本次会议参会名单中", "this person is not expected at the sitting")
	}
	return a, postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.attendance", EntityType: "meeting", EntityID: sitting.String(),
		After: map[string]any{"person": person, "status": m.Status, "reason": m.Reason, "deputy": m.Deputy}})
}

// AddParticipant expects one more person (the office).
func AddParticipant(ctx context.Context, tx bun.IDB, sitting, person uuid.UUID) error {
	if _, err := GetSitting(ctx, tx, sitting); err != nil {
		return err
	}
	a := Attendance{SittingID: sitting, PersonID: person, Role: "participant", Status: "expected"}
	if _, err := tx.NewInsert().Model(&a).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return postgres.MapErr(err)
	}
	return postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.participant_add", EntityType: "meeting", EntityID: sitting.String(),
		After: map[string]any{"person": person}})
}
