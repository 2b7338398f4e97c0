// Package meetingdb stores the meeting area: sittings, agendas, attendance
// and tracked actions (internal/meeting has the rules).
package meetingdb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/review/reviewdb"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
)

// Sitting is a sitting of a series as stored.
type Sitting struct {
	bun.BaseModel    `bun:"table:meeting_sittings,alias:ms"`
	ID               uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID         uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Kind             string     `bun:"kind"`
	SlotOn           time.Time  `bun:"slot_on,type:date"`
	Day              time.Time  `bun:"day,type:date"`
	StartsAt         time.Time  `bun:"starts_at"`
	Place            string     `bun:"place"`
	SiteProjectID    *uuid.UUID `bun:"site_project_id,type:uuid"`
	ChairPost        string     `bun:"chair_post"`
	ChairPersonID    *uuid.UUID `bun:"chair_person_id,type:uuid"`
	Status           string     `bun:"status"`
	ChangeReason     string     `bun:"change_reason"`
	Ordinal          *int       `bun:"ordinal"`
	ReviewFrom       time.Time  `bun:"review_from,type:date"`
	ReviewTo         time.Time  `bun:"review_to,type:date"`
	ReviewWeek       *time.Time `bun:"review_week,type:date"`
	PrepareOn        time.Time  `bun:"prepare_on,type:date"`
	PreparedAt       *time.Time `bun:"prepared_at"`
	AgendaApprovedAt *time.Time `bun:"agenda_approved_at"`
	AgendaApprovedBy *uuid.UUID `bun:"agenda_approved_by,type:uuid"`
	MinutesIntro     string     `bun:"minutes_intro"`
	MinutesClosing   string     `bun:"minutes_closing"`
	MinutesEditedBy  *uuid.UUID `bun:"minutes_edited_by,type:uuid"`
	MinutesEditedAt  *time.Time `bun:"minutes_edited_at"`
	Version          int        `bun:"version"`
	CreatedAt        time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt        time.Time  `bun:"updated_at,nullzero,default:now()"`
	ChairName        string     `bun:"chair_name,scanonly"`
	SiteProjectName  string     `bun:"site_project_name,scanonly"`
}

// Label is how minutes and lists name the sitting: 2026年第3次重点项目建设周例会
// once held, else the series and the date.
func (s Sitting) Label() string {
	k := meeting.Kind(s.Kind)
	if s.Ordinal != nil {
		return fmt.Sprintf("%d年第%d次%s", s.Day.Year(), *s.Ordinal, k.Name())
	}
	return s.Day.Format("2006年1月2日") + k.Name()
}

func sittingQuery(tx bun.IDB, out any) *bun.SelectQuery {
	return tx.NewSelect().Model(out).ColumnExpr("ms.*").
		ColumnExpr("coalesce(cp.name, '') AS chair_name, coalesce(sp.name, '') AS site_project_name").
		Join("LEFT JOIN people cp ON cp.id = ms.chair_person_id").
		Join("LEFT JOIN projects sp ON sp.id = ms.site_project_id")
}

var errSittingNotFound = errs.E(errs.NotFound, "sitting_not_found", "未找到该会议", "no such sitting")

// GetSitting reads one sitting.
func GetSitting(ctx context.Context, tx bun.IDB, id uuid.UUID) (Sitting, error) {
	var list []Sitting
	if err := sittingQuery(tx, &list).Where("ms.id = ?", id).Scan(ctx); err != nil {
		return Sitting{}, err
	}
	if len(list) == 0 {
		return Sitting{}, errSittingNotFound
	}
	return list[0], nil
}

// ListSittings lists the sittings held or planned on days in [from, to],
// by day and time.
func ListSittings(ctx context.Context, tx bun.IDB, from, to time.Time) ([]Sitting, error) {
	out := []Sitting{}
	err := sittingQuery(tx, &out).Where("ms.day BETWEEN ? AND ?", from, to).OrderExpr("ms.starts_at, ms.kind").Scan(ctx)
	return out, err
}

// EnsureSittings puts every sitting of the county's series with a slot in
// [from, to] on the calendar, under the settings in force on from (a
// sitting already there is left as it is). It returns how many it added.
func EnsureSittings(ctx context.Context, tx bun.IDB, from, to time.Time) (int, error) {
	v, err := postgres.SettingsOn(ctx, tx, from)
	if err != nil {
		return 0, err
	}
	s := v.Values
	added := 0
	for _, k := range meeting.Kinds {
		_, series := meeting.Series(k, s)
		var chair *uuid.UUID
		var ids []uuid.UUID
		if err := tx.NewRaw("SELECT id FROM people WHERE post = ? AND active ORDER BY created_at, id LIMIT 1", series.ChairPost).Scan(ctx, &ids); err != nil {
			return added, err
		}
		if len(ids) == 1 {
			chair = &ids[0]
		}
		for _, day := range meeting.Slots(k, s, from, to) {
			starts := meeting.At(day, series.Time)
			review := meeting.ReviewOf(k, day, supervision.WeekToClose(starts, s))
			row := Sitting{ID: uuid.New(), Kind: string(k), SlotOn: day, Day: day, StartsAt: starts, Place: series.Place,
				ChairPost: series.ChairPost, ChairPersonID: chair, Status: "planned", ReviewFrom: review.From, ReviewTo: review.To,
				ReviewWeek: review.Week, PrepareOn: day.AddDate(0, 0, -series.PrepDays), Version: 1}
			res, err := tx.NewInsert().Model(&row).On("CONFLICT (county_id, kind, slot_on) DO NOTHING").Exec(ctx)
			if err != nil {
				return added, postgres.MapErr(err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				added++
			}
		}
	}
	return added, nil
}

// SittingChange moves, skips or places a sitting (the office, with a
// reason, audited): Day and Time move it; Skip cancels it; Place and
// SiteProjectID make it a 现场办公会 at a project.
type SittingChange struct {
	Day           *time.Time
	Time          string
	Place         *string
	SiteProjectID *uuid.UUID
	Skip          bool
	Reason        string
	Version       int
}

var errSittingVersion = errs.E(errs.Conflict, "version_conflict", "该会议已被他人修改，请刷新后重试", "the sitting was changed by someone else; reload and retry")

// ChangeSitting applies a change to a planned sitting.
func ChangeSitting(ctx context.Context, tx bun.IDB, id uuid.UUID, c SittingChange) (Sitting, error) {
	before, err := GetSitting(ctx, tx, id)
	if err != nil {
		return before, err
	}
	if before.Version != c.Version {
		return before, errSittingVersion
	}
	if before.Status != "planned" {
		return before, errs.E(errs.Conflict, "sitting_not_planned", "会议已召开或已取消，不能再调整", "the sitting was held or skipped: it cannot change")
	}
	var v errs.Validation
	moved := c.Day != nil && !c.Day.Equal(before.Day) || c.Time != "" && !meeting.At(before.Day, c.Time).Equal(before.StartsAt)
	if (moved || c.Skip) && len([]rune(c.Reason)) < 2 {
		v.Add("reason", "required", "调整或取消会议须说明原因", "moving or skipping a sitting needs a reason")
	}
	if len([]rune(c.Reason)) > 500 {
		v.Add("reason", "too_long", "原因不能超过500字", "the reason is at most 500 characters")
	}
	if c.Place != nil && len([]rune(*c.Place)) > 100 {
		v.Add("place", "too_long", "会议地点不能超过100字", "the place is at most 100 characters")
	}
	if err := v.Err(); err != nil {
		return before, err
	}
	after := before
	if c.Day != nil {
		after.Day = *c.Day
		after.PrepareOn = after.Day.Add(before.PrepareOn.Sub(before.Day)) // as long before as planned
	}
	hhmm := before.StartsAt.In(settings.Shanghai).Format("15:04")
	if c.Time != "" {
		hhmm = c.Time
	}
	after.StartsAt = meeting.At(after.Day, hhmm)
	if c.Place != nil {
		after.Place = *c.Place
	}
	if c.SiteProjectID != nil {
		after.SiteProjectID = c.SiteProjectID
		if *c.SiteProjectID == uuid.Nil {
			after.SiteProjectID = nil
		}
	}
	if c.Skip {
		after.Status = "skipped"
	}
	if c.Reason != "" {
		after.ChangeReason = c.Reason
	}
	after.Version++
	res, err := tx.NewUpdate().Model(&after).Column("day", "starts_at", "prepare_on", "place", "site_project_id", "status", "change_reason", "version").
		Set("updated_at = now()").WherePK().Where("ms.version = ?", before.Version).Exec(ctx)
	if err != nil {
		return before, postgres.MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return before, errSittingVersion
	}
	if !after.Day.Equal(before.Day) {
		if err := reviewdb.SittingMoved(ctx, tx, id, after.Day); err != nil {
			return before, err
		}
	}
	action := "meeting.change"
	if c.Skip {
		action = "meeting.skip"
	}
	return after, postgres.Audit(ctx, tx, audit.Entry{Action: action, EntityType: "meeting", EntityID: id.String(),
		Before: sittingView(before), After: sittingView(after)})
}

func sittingView(s Sitting) map[string]any {
	m := map[string]any{"day": s.Day.Format(time.DateOnly), "starts_at": s.StartsAt, "place": s.Place, "status": s.Status,
		"reason": s.ChangeReason, "version": s.Version}
	if s.SiteProjectID != nil {
		m["site_project_id"] = *s.SiteProjectID
	}
	if s.Ordinal != nil {
		m["ordinal"] = *s.Ordinal
	}
	return m
}
