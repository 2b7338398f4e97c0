// Package reviewdb stores joint review and approval (internal/review has
// the rules): the items on each joint review sitting's list, the
// decisions, and the carrying on of items whose deadline passed.
package reviewdb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/review"
	"github.com/tuijin/tuijin/internal/settings"
)

// Item is a procedure item on a joint review sitting's list.
type Item struct {
	bun.BaseModel   `bun:"table:review_items,alias:ri"`
	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID        uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	SittingID       uuid.UUID  `bun:"sitting_id,type:uuid"`
	ProcedureID     uuid.UUID  `bun:"procedure_id,type:uuid"`
	ServiceUnitID   uuid.UUID  `bun:"service_unit_id,type:uuid"`
	Source          string     `bun:"source"`
	CarriedFrom     *uuid.UUID `bun:"carried_from,type:uuid"`
	FirstOn         time.Time  `bun:"first_on,type:date"`
	Outcome         string     `bun:"outcome"`
	Deadline        *time.Time `bun:"deadline,type:date"`
	AgencyService   bool       `bun:"agency_service"`
	MergedAssess    bool       `bun:"merged_assessment"`
	RegionalAssess  bool       `bun:"regional_assessment"`
	AcceptDeficient bool       `bun:"accept_with_deficiencies"`
	Note            string     `bun:"note"`
	DecidedAt       *time.Time `bun:"decided_at"`
	DecidedBy       *uuid.UUID `bun:"decided_by,type:uuid"`
	NominatedBy     *uuid.UUID `bun:"nominated_by,type:uuid"`
	CarriedAt       *time.Time `bun:"carried_at"`
	Version         int        `bun:"version"`
	CreatedAt       time.Time  `bun:"created_at,nullzero,default:now()"`
	// From the ledger and the sitting.
	ProjectID     uuid.UUID  `bun:"project_id,scanonly,type:uuid"`
	ProjectName   string     `bun:"project_name,scanonly"`
	ProjectUnitID uuid.UUID  `bun:"project_unit_id,scanonly,type:uuid"`
	Procedure     string     `bun:"procedure_name,scanonly"`
	ServiceUnit   string     `bun:"service_unit,scanonly"`
	DoneOn        *time.Time `bun:"done_on,scanonly,type:date"`
	MissedOn      *time.Time `bun:"missed_deadline,scanonly,type:date"` // a carried item's earlier deadline`
	SittingDay    time.Time  `bun:"sitting_day,scanonly,type:date"`
	SittingOrd    *int       `bun:"sitting_ordinal,scanonly"`
	SittingStatus string     `bun:"sitting_status,scanonly"`
}

// SittingLabel names the item's sitting (2026年第3次重点项目联审联批会).
func (it Item) SittingLabel() string {
	if it.SittingOrd != nil {
		return fmt.Sprintf("%d年第%d次重点项目联审联批会", it.SittingDay.Year(), *it.SittingOrd)
	}
	return it.SittingDay.Format("2006年1月2日") + "重点项目联审联批会"
}

// Fact is the item as the figures count it.
func (it Item) Fact() review.Fact {
	deadline := it.Deadline
	if deadline == nil {
		deadline = it.MissedOn // carried, not decided again yet: over since the deadline it missed
	}
	return review.Fact{Sitting: it.SittingLabel(), Unit: it.ServiceUnit, Project: it.ProjectName, Procedure: it.Procedure, FirstOn: it.FirstOn,
		Deadline: deadline, DoneOn: it.DoneOn, Carried: it.CarriedAt != nil}
}

func itemQuery(tx bun.IDB, out any) *bun.SelectQuery {
	return tx.NewSelect().Model(out).ColumnExpr("ri.*").
		ColumnExpr("pp.project_id, p.name AS project_name, p.responsible_unit_id AS project_unit_id, pt.name AS procedure_name, u.name AS service_unit").
		ColumnExpr("CASE WHEN pp.status = 'done' THEN pp.actual_date END AS done_on, prev.deadline AS missed_deadline").
		ColumnExpr("s.day AS sitting_day, s.ordinal AS sitting_ordinal, s.status AS sitting_status").
		Join("JOIN project_procedures pp ON pp.id = ri.procedure_id").Join("JOIN projects p ON p.id = pp.project_id").
		Join("JOIN procedure_types pt ON pt.id = pp.type_id").Join("JOIN units u ON u.id = ri.service_unit_id").
		Join("JOIN meeting_sittings s ON s.id = ri.sitting_id").Join("LEFT JOIN review_items prev ON prev.id = ri.carried_from")
}

var errItemNotFound = errs.E(errs.NotFound, "review_item_not_found", "未找到该联审事项", "no such joint review item")

// GetItem reads one item.
func GetItem(ctx context.Context, tx bun.IDB, id uuid.UUID) (Item, error) {
	var list []Item
	if err := itemQuery(tx, &list).Where("ri.id = ?", id).Scan(ctx); err != nil {
		return Item{}, err
	}
	if len(list) == 0 {
		return Item{}, errItemNotFound
	}
	return list[0], nil
}

// ListItems are a joint review sitting's list, by project and procedure.
func ListItems(ctx context.Context, tx bun.IDB, sitting uuid.UUID) ([]Item, error) {
	if _, _, _, err := sittingOf(ctx, tx, sitting); err != nil {
		return nil, err
	}
	out := []Item{}
	err := itemQuery(tx, &out).Where("ri.sitting_id = ?", sitting).OrderExpr("p.name, pt.sort_order, pt.name").Scan(ctx)
	return out, err
}

// History is an item's chain: the earlier sittings it came to, oldest first.
func History(ctx context.Context, tx bun.IDB, id uuid.UUID) ([]Item, error) {
	var ids []uuid.UUID
	if err := tx.NewRaw(`WITH RECURSIVE chain AS (
		  SELECT id, carried_from, 0 AS depth FROM review_items WHERE id = ?
		  UNION ALL SELECT r.id, r.carried_from, c.depth + 1 FROM review_items r JOIN chain c ON r.id = c.carried_from
		) SELECT id FROM chain ORDER BY depth DESC`, id).Scan(ctx, &ids); err != nil {
		return nil, err
	}
	out := []Item{}
	if len(ids) == 0 {
		return out, nil
	}
	err := itemQuery(tx, &out).Where("ri.id IN (?)", bun.List(ids)).OrderExpr("s.day").Scan(ctx)
	return out, err
}

// UnitItems are a service unit's items still open across projects (the
// latest link of each chain), earliest deadline first.
func UnitItems(ctx context.Context, tx bun.IDB, unit uuid.UUID) ([]Item, error) {
	out := []Item{}
	err := itemQuery(tx, &out).Where("ri.service_unit_id = ? AND ri.carried_at IS NULL AND pp.status <> 'done'", unit).
		OrderExpr("ri.deadline NULLS LAST, s.day, p.name").Scan(ctx)
	return out, err
}

func sittingOf(ctx context.Context, tx bun.IDB, id uuid.UUID) (day time.Time, status, kind string, err error) {
	var rows []struct {
		Day    time.Time `bun:"day"`
		Status string    `bun:"status"`
		Kind   string    `bun:"kind"`
	}
	if err = tx.NewRaw("SELECT day, status, kind FROM meeting_sittings WHERE id = ?", id).Scan(ctx, &rows); err != nil {
		return
	}
	if len(rows) == 0 || rows[0].Kind != "joint_review" {
		return day, "", "", errs.E(errs.NotFound, "sitting_not_found", "未找到该联审联批会", "no such joint review sitting")
	}
	return rows[0].Day, rows[0].Status, rows[0].Kind, nil
}

// Nomination brings a procedure item to a sitting.
type Nomination struct {
	ProcedureID uuid.UUID
	ByProject   bool // nominated by the project's unit (else by the office)
	By          uuid.UUID
	// OnlyUnit, for callers who do not see the whole county: the
	// procedure must be of a project of this unit.
	OnlyUnit *uuid.UUID
}

// Nominate puts a procedure item on a planned joint review sitting's list
// (audited). A procedure done, not needed, or already on an open chain is
// refused.
func Nominate(ctx context.Context, tx bun.IDB, sitting uuid.UUID, n Nomination) (Item, error) {
	day, status, _, err := sittingOf(ctx, tx, sitting)
	if err != nil {
		return Item{}, err
	}
	if status != "planned" {
		return Item{}, errs.E(errs.Conflict, "sitting_not_planned", "该联审联批会已召开或已取消，请提交到下一次", "the sitting was held or skipped: nominate to the next one")
	}
	var procs []struct {
		Status        string    `bun:"status"`
		ServiceUnitID uuid.UUID `bun:"service_unit_id"`
		UnitID        uuid.UUID `bun:"responsible_unit_id"`
	}
	if err := tx.NewRaw(`SELECT pp.status, pp.service_unit_id, p.responsible_unit_id FROM project_procedures pp JOIN projects p ON p.id = pp.project_id
		WHERE pp.id = ?`, n.ProcedureID).Scan(ctx, &procs); err != nil {
		return Item{}, err
	}
	if len(procs) == 0 || (n.OnlyUnit != nil && procs[0].UnitID != *n.OnlyUnit) {
		return Item{}, errs.E(errs.NotFound, "procedure_not_found", "未找到该手续事项", "no such procedure item")
	}
	if procs[0].Status == "done" || procs[0].Status == "not_needed" {
		return Item{}, errs.E(errs.Conflict, "procedure_closed", "该手续已办结或无需办理", "the procedure is done or not needed")
	}
	var open int
	if err := tx.NewRaw("SELECT count(*) FROM review_items WHERE procedure_id = ? AND carried_at IS NULL AND sitting_id <> ?", n.ProcedureID, sitting).Scan(ctx, &open); err != nil {
		return Item{}, err
	}
	if open > 0 {
		return Item{}, errs.E(errs.Conflict, "already_in_review", "该手续已在联审联批中，逾期未办结的会自动转入下一次会议", "the procedure is already in joint review; missed deadlines carry it on by themselves")
	}
	src := "office"
	if n.ByProject {
		src = "project"
	}
	it := Item{ID: uuid.New(), SittingID: sitting, ProcedureID: n.ProcedureID, ServiceUnitID: procs[0].ServiceUnitID, Source: src, FirstOn: day,
		Outcome: string(review.Pending), NominatedBy: &n.By, Version: 1}
	res, err := tx.NewInsert().Model(&it).On("CONFLICT (sitting_id, procedure_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return it, postgres.MapErr(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return it, errs.E(errs.Conflict, "already_listed", "该手续已在本次会议清单中", "the procedure is on this sitting's list already")
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "review.nominate", EntityType: "review_item", EntityID: it.ID.String(),
		After: map[string]any{"sitting": sitting, "procedure": n.ProcedureID, "source": src}}); err != nil {
		return it, err
	}
	return GetItem(ctx, tx, it.ID)
}

// Decision is what a sitting decided on an item.
type Decision struct {
	Outcome       review.Outcome
	Deadline      *time.Time // with deadline: "" gives the county's default
	ServiceUnitID *uuid.UUID // the responsible service unit (default: the ledger's)
	Agency        bool       // 代办制
	Merged        bool       // 多评合一
	Regional      bool       // 区域评估
	Deficient     bool       // 容缺办理
	Note          string
	Version       int
}

// Decide records a sitting's decision on an item (audited): done on the
// spot marks the ledger's procedure done on the sitting's day; a deadline
// (default: the setting's days after the sitting) makes its service unit
// responsible. The fast-track reforms go to the ledger too. Decisions are
// taken at or after the sitting, never before; a carried item's earlier
// link is history and is not decided again.
func Decide(ctx context.Context, tx bun.IDB, id uuid.UUID, d Decision, by uuid.UUID, now time.Time) (Item, error) {
	it, err := GetItem(ctx, tx, id)
	if err != nil {
		return it, err
	}
	if it.CarriedAt != nil {
		return it, errs.E(errs.Conflict, "item_carried", "该事项已转入下一次联审联批会，请在那里办理", "the item was carried to a later sitting: decide it there")
	}
	if it.SittingStatus == "skipped" {
		return it, errs.E(errs.Conflict, "sitting_skipped", "该次会议已取消", "the sitting was skipped")
	}
	today := settings.Today(now)
	if today.Before(it.SittingDay) {
		return it, errs.E(errs.Conflict, "sitting_not_started", "会议尚未召开，不能办理", "the sitting has not taken place yet")
	}
	if d.Version != it.Version {
		return it, errs.ErrVersionConflict
	}
	var v errs.Validation
	if len([]rune(d.Note)) > 500 {
		v.Add("note", "too_long", "备注不能超过500字", "the note is at most 500 characters")
	}
	unit := it.ServiceUnitID
	if d.ServiceUnitID != nil {
		unit = *d.ServiceUnitID
	}
	var deadline *time.Time
	switch d.Outcome {
	case review.Done:
	case review.Deadline:
		if d.Deadline == nil {
			s, err := postgres.SettingsOn(ctx, tx, it.SittingDay)
			if err != nil {
				return it, err
			}
			dl := review.DefaultDeadline(it.SittingDay, s.Values.JointReviewDeadlineDays)
			d.Deadline = &dl
		}
		if !d.Deadline.After(it.SittingDay) {
			v.Add("deadline", "before_sitting", "办结期限须在会议日期之后", "the deadline must be after the sitting")
		}
		deadline = d.Deadline
	default:
		v.Add("outcome", "invalid_outcome", "办理结果须为当场办结（done）或限期办结（deadline）", "the outcome must be done (on the spot) or deadline")
	}
	if err := v.Err(); err != nil {
		return it, err
	}
	before := map[string]any{"outcome": it.Outcome, "deadline": it.Deadline, "unit": it.ServiceUnitID}
	if _, err := tx.NewUpdate().Model((*Item)(nil)).
		Set("outcome = ?, deadline = ?, service_unit_id = ?, agency_service = ?, merged_assessment = ?, regional_assessment = ?, accept_with_deficiencies = ?", d.Outcome, deadline, unit, d.Agency, d.Merged, d.Regional, d.Deficient).
		Set("note = ?, decided_at = ?, decided_by = ?, version = version + 1", d.Note, now, by).
		Where("id = ? AND version = ?", id, d.Version).Exec(ctx); err != nil {
		return it, postgres.MapErr(err)
	}
	// The ledger: the fast-track reforms (M4.3), the unit responsible, and done on the spot.
	q := tx.NewUpdate().Table("project_procedures").
		Set("agency_service = agency_service OR ?, merged_assessment = merged_assessment OR ?, regional_assessment = regional_assessment OR ?", d.Agency, d.Merged, d.Regional).
		Set("accept_with_deficiencies = accept_with_deficiencies OR ?, service_unit_id = ?, version = version + 1, updated_at = ?", d.Deficient, unit, now).
		Where("id = ?", it.ProcedureID)
	if d.Outcome == review.Done {
		q.Set("status = 'done', actual_date = ?", it.SittingDay)
	} else {
		q.Set("status = CASE WHEN status = 'pending' THEN 'in_progress' ELSE status END, planned_date = ?", deadline)
	}
	if _, err := q.Exec(ctx); err != nil {
		return it, postgres.MapErr(err)
	}
	after, err := GetItem(ctx, tx, id)
	if err != nil {
		return after, err
	}
	return after, postgres.Audit(ctx, tx, audit.Entry{Action: "review.decide", EntityType: "review_item", EntityID: id.String(), Before: before,
		After: map[string]any{"outcome": d.Outcome, "deadline": deadline, "unit": unit, "agency": d.Agency, "merged": d.Merged, "regional": d.Regional,
			"deficient": d.Deficient, "note": d.Note}})
}

// CarryOver runs on day (the daily meeting job): every item whose deadline
// passed before day with its procedure not done goes on the list of the
// next planned joint review sitting, with its history (carried_from); its
// service unit's accounts and the office are told, once per item. Items
// left pending at a sitting held, and items of a skipped sitting, go on
// too. It returns how many were carried.
func CarryOver(ctx context.Context, tx bun.IDB, day, now time.Time) (int, error) {
	var due []Item
	if err := itemQuery(tx, &due).Where("ri.carried_at IS NULL AND pp.status NOT IN ('done', 'not_needed')").
		Where("(ri.outcome = 'deadline' AND ri.deadline < ?) OR (ri.outcome = 'pending' AND ((s.status = 'held' AND s.day < ?) OR s.status = 'skipped'))", day, day).
		OrderExpr("ri.deadline NULLS FIRST, ri.id").Scan(ctx, &due); err != nil {
		return 0, err
	}
	if len(due) == 0 {
		return 0, nil
	}
	var next []struct {
		ID  uuid.UUID `bun:"id"`
		Day time.Time `bun:"day"`
	}
	if err := tx.NewRaw("SELECT id, day FROM meeting_sittings WHERE kind = 'joint_review' AND status = 'planned' AND day >= ? ORDER BY day LIMIT 1", day).Scan(ctx, &next); err != nil {
		return 0, err
	}
	if len(next) == 0 {
		return 0, nil // none on the calendar yet: the next run carries them
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return 0, err
	}
	var units []uuid.UUID
	for _, it := range due {
		units = append(units, it.ServiceUnitID)
	}
	byUnit, err := postgres.AccountsOfUnits(ctx, tx, units)
	if err != nil {
		return 0, err
	}
	var msgs []postgres.Message
	for _, it := range due {
		from := it.ID
		row := Item{ID: uuid.New(), SittingID: next[0].ID, ProcedureID: it.ProcedureID, ServiceUnitID: it.ServiceUnitID, Source: "carried",
			CarriedFrom: &from, FirstOn: it.FirstOn, Outcome: string(review.Pending), Version: 1,
			AgencyService: it.AgencyService, MergedAssess: it.MergedAssess, RegionalAssess: it.RegionalAssess, AcceptDeficient: it.AcceptDeficient}
		if _, err := tx.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return 0, postgres.MapErr(err)
		}
		if _, err := tx.NewUpdate().Model((*Item)(nil)).Set("carried_at = ?", now).Where("id = ?", it.ID).Exec(ctx); err != nil {
			return 0, postgres.MapErr(err)
		}
		if it.Outcome == string(review.Deadline) {
			title := fmt.Sprintf("联审事项逾期：%s %s", it.ProjectName, it.Procedure)
			body := fmt.Sprintf("%s确定的“%s”%s办结期限为%s，现已逾期未办结，已转入%s联审联批会。责任单位：%s。", it.SittingLabel(), it.ProjectName, it.Procedure,
				it.Deadline.Format("2006年1月2日"), next[0].Day.Format("1月2日"), it.ServiceUnit)
			for _, acc := range append(append([]uuid.UUID{}, byUnit[it.ServiceUnitID]...), office...) {
				msgs = append(msgs, postgres.Message{AccountID: acc, Kind: postgres.MsgDeadlineOverdue, Title: title, Body: body,
					Link: "/joint-reviews/" + next[0].ID.String(), IdemKey: "review_overdue:" + it.ID.String()})
			}
		}
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "review.carry_over", EntityType: "meeting", EntityID: next[0].ID.String(),
		After: map[string]any{"items": len(due), "day": day.Format(time.DateOnly)}}); err != nil {
		return 0, err
	}
	_, err = postgres.Notify(ctx, tx, msgs)
	return len(due), err
}

// Figures counts on asOf the items of the joint review sittings in [from,
// to] (held, or planned with items carried to them; not skipped): overall,
// by sitting, by service unit, and the unfinished list.
func Figures(ctx context.Context, tx bun.IDB, from, to, asOf time.Time) (review.Summary, error) {
	var list []Item
	if err := itemQuery(tx, &list).Where("s.day BETWEEN ? AND ? AND s.status <> 'skipped'", from, to).OrderExpr("s.day, p.name, pt.name").Scan(ctx); err != nil {
		return review.Summary{}, err
	}
	facts := make([]review.Fact, len(list))
	for i, it := range list {
		facts[i] = it.Fact()
	}
	return review.Count(facts, asOf), nil
}

// SittingMoved follows a planned sitting moved to day: the items first
// brought to it first come to a joint review on its new day (items carried
// to it keep the day they first came).
func SittingMoved(ctx context.Context, tx bun.IDB, sitting uuid.UUID, day time.Time) error {
	_, err := tx.NewUpdate().Model((*Item)(nil)).Set("first_on = ?", day).Where("sitting_id = ? AND carried_from IS NULL", sitting).Exec(ctx)
	return postgres.MapErr(err)
}
