package meetingdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Action is a decision of a sitting, tracked until closed (督办事项).
type Action struct {
	bun.BaseModel  `bun:"table:meeting_actions,alias:act"`
	ID             uuid.UUID   `bun:"id,pk,type:uuid"`
	CountyID       uuid.UUID   `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	SittingID      uuid.UUID   `bun:"sitting_id,type:uuid"`
	ItemID         *uuid.UUID  `bun:"item_id,type:uuid"`
	Number         int         `bun:"number"`
	Text           string      `bun:"text"`
	OwnerUnitID    uuid.UUID   `bun:"owner_unit_id,type:uuid"`
	OwnerPersonID  *uuid.UUID  `bun:"owner_person_id,type:uuid"`
	PartnerUnitIDs []uuid.UUID `bun:"partner_unit_ids,type:uuid[],array"`
	Deadline       time.Time   `bun:"deadline,type:date"`
	ProjectID      *uuid.UUID  `bun:"project_id,type:uuid"`
	ProblemID      *uuid.UUID  `bun:"problem_id,type:uuid"`
	ClosesProblem  bool        `bun:"closes_problem"`
	Status         string      `bun:"status"`
	Evidence       string      `bun:"evidence"`
	ReportedOn     *time.Time  `bun:"reported_on,type:date"`
	ReportedBy     *uuid.UUID  `bun:"reported_by,type:uuid"`
	ReturnReason   string      `bun:"return_reason"`
	ClosedAt       *time.Time  `bun:"closed_at"`
	ClosedBy       *uuid.UUID  `bun:"closed_by,type:uuid"`
	Version        int         `bun:"version"`
	CreatedAt      time.Time   `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time   `bun:"updated_at,nullzero,default:now()"`
	OwnerUnit      string      `bun:"owner_unit,scanonly"`
	OwnerPerson    string      `bun:"owner_person,scanonly"`
	ProjectName    string      `bun:"project_name,scanonly"`
	SittingKind    string      `bun:"sitting_kind,scanonly"`
	SittingDay     time.Time   `bun:"sitting_day,scanonly,type:date"`
	SittingOrdinal *int        `bun:"sitting_ordinal,scanonly"`
}

// Overdue says whether the action is past its deadline on today.
func (a Action) Overdue(today time.Time) bool {
	return meeting.Overdue(meeting.ActionStatus(a.Status), a.Deadline, a.ReportedOn, today)
}

// SittingLabel names the action's sitting.
func (a Action) SittingLabel() string {
	return Sitting{Kind: a.SittingKind, Day: a.SittingDay, Ordinal: a.SittingOrdinal}.Label()
}

func actionQuery(tx bun.IDB, out any) *bun.SelectQuery {
	return tx.NewSelect().Model(out).ColumnExpr("act.*").
		ColumnExpr("u.name AS owner_unit, coalesce(op.name, '') AS owner_person, coalesce(p.name, '') AS project_name").
		ColumnExpr("s.kind AS sitting_kind, s.day AS sitting_day, s.ordinal AS sitting_ordinal").
		Join("JOIN units u ON u.id = act.owner_unit_id").Join("JOIN meeting_sittings s ON s.id = act.sitting_id").
		Join("LEFT JOIN people op ON op.id = act.owner_person_id").Join("LEFT JOIN projects p ON p.id = act.project_id")
}

var errActionNotFound = errs.E(errs.NotFound, "action_not_found", "未找到该督办事项", "no such action")

// GetAction reads one action.
func GetAction(ctx context.Context, tx bun.IDB, id uuid.UUID) (Action, error) {
	var list []Action
	if err := actionQuery(tx, &list).Where("act.id = ?", id).Scan(ctx); err != nil {
		return Action{}, err
	}
	if len(list) == 0 {
		return Action{}, errActionNotFound
	}
	return list[0], nil
}

// ActionFilter narrows the tracker (督办台账).
type ActionFilter struct {
	SittingID *uuid.UUID
	UnitID    *uuid.UUID
	Status    string
	Overdue   bool
	Today     time.Time
	// Q finds actions whose text, owner unit or project contains it.
	Q string
	// Scope, for callers who do not see the whole county: their unit's
	// actions (as owner or partner) and those they own.
	Scope *postgres.Scope
}

// ListActions lists actions, most urgent first (deadline, then sitting and
// number); next is the cursor of the following page.
func ListActions(ctx context.Context, tx bun.IDB, f ActionFilter, page postgres.Page) ([]Action, string, error) {
	page, err := page.Normalize()
	if err != nil {
		return nil, "", err
	}
	out := []Action{}
	q := actionQuery(tx, &out)
	if f.SittingID != nil {
		q.Where("act.sitting_id = ?", *f.SittingID)
	}
	if f.UnitID != nil {
		q.Where("(act.owner_unit_id = ? OR ? = ANY(act.partner_unit_ids))", *f.UnitID, *f.UnitID)
	}
	if f.Status != "" {
		q.Where("act.status = ?", f.Status)
	}
	if f.Q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Q) + "%"
		q.Where("(act.text ILIKE ?0 OR u.name ILIKE ?0 OR coalesce(p.name, '') ILIKE ?0)", like)
	}
	if sc := f.Scope; sc != nil {
		q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q.Where("false")
			if sc.UnitID != nil {
				q.WhereOr("act.owner_unit_id = ? OR ? = ANY(act.partner_unit_ids)", *sc.UnitID, *sc.UnitID)
			}
			if sc.PersonID != nil {
				q.WhereOr("act.owner_person_id = ?", *sc.PersonID)
			}
			return q
		})
	}
	if f.Overdue {
		q.Where("act.status <> 'closed' AND act.deadline < ? AND (act.status = 'open' OR act.reported_on > act.deadline)", f.Today)
	}
	var cur struct {
		D  string
		ID uuid.UUID
	}
	if ok, err := postgres.DecodeCursor(page.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("(act.deadline, act.id) > (?::date, ?)", cur.D, cur.ID)
	}
	if err := q.OrderExpr("act.deadline, act.id").Limit(int64(page.Limit + 1)).Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > page.Limit {
		out = out[:page.Limit]
		last := out[len(out)-1]
		cur.D, cur.ID = last.Deadline.Format(time.DateOnly), last.ID
		next = postgres.EncodeCursor(cur)
	}
	return out, next, nil
}

// ActionInput is a decision as the office records it.
type ActionInput struct {
	ItemID         *uuid.UUID
	Text           string
	OwnerUnitID    uuid.UUID
	OwnerPersonID  *uuid.UUID
	PartnerUnitIDs []uuid.UUID
	Deadline       time.Time
	ProjectID      *uuid.UUID
	ProblemID      *uuid.UUID
	ClosesProblem  bool
}

// AddAction records a decision of a sitting (议定事项), numbered next in the
// sitting, as a tracked action; the owner unit's accounts are told.
func AddAction(ctx context.Context, tx bun.IDB, sittingID uuid.UUID, in ActionInput, today time.Time) (Action, error) {
	st, err := GetSitting(ctx, tx, sittingID)
	if err != nil {
		return Action{}, err
	}
	var v errs.Validation
	if st.Status == "skipped" {
		return Action{}, errs.E(errs.Conflict, "sitting_skipped", "会议已取消，不能记录议定事项", "the sitting was skipped")
	}
	if n := len([]rune(in.Text)); n < 4 || n > 1000 {
		v.Add("text", "length", "议定事项须为4到1000字", "a decision is 4 to 1000 characters")
	}
	if in.Deadline.Before(st.Day) {
		v.Add("deadline", "before_sitting", "完成时限不能早于会议日期", "the deadline cannot be before the sitting")
	}
	if in.ClosesProblem && in.ProblemID == nil {
		v.Add("problem_id", "required", "销号问题须指明问题", "closing a problem needs the problem")
	}
	if err := v.Err(); err != nil {
		return Action{}, err
	}
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM meeting_sittings WHERE id = ? FOR UPDATE", sittingID); err != nil {
		return Action{}, err
	}
	var next int
	if err := tx.NewRaw("SELECT coalesce(max(number), 0) + 1 FROM meeting_actions WHERE sitting_id = ?", sittingID).Scan(ctx, &next); err != nil {
		return Action{}, err
	}
	if in.PartnerUnitIDs == nil {
		in.PartnerUnitIDs = []uuid.UUID{}
	}
	a := Action{ID: uuid.New(), SittingID: sittingID, ItemID: in.ItemID, Number: next, Text: in.Text, OwnerUnitID: in.OwnerUnitID,
		OwnerPersonID: in.OwnerPersonID, PartnerUnitIDs: in.PartnerUnitIDs, Deadline: in.Deadline, ProjectID: in.ProjectID,
		ProblemID: in.ProblemID, ClosesProblem: in.ClosesProblem, Status: string(meeting.ActionOpen), Version: 1}
	if _, err := tx.NewInsert().Model(&a).Exec(ctx); err != nil {
		return Action{}, postgres.MapErr(err)
	}
	if a, err = GetAction(ctx, tx, a.ID); err != nil {
		return a, err
	}
	if err := tellOwner(ctx, tx, a, "督办事项：", fmt.Sprintf("%s议定事项%s：%s。责任单位%s，完成时限%s。", st.Label(), meeting.Numeral(a.Number), a.Text,
		a.OwnerUnit, a.Deadline.Format("2006年1月2日")), "action:"+a.ID.String()); err != nil {
		return a, err
	}
	return a, postgres.Audit(ctx, tx, audit.Entry{Action: "action.add", EntityType: "action", EntityID: a.ID.String(), After: actionView(a)})
}

// ActionMove moves an action (meeting.Move): the owner reports it done
// with evidence; the office closes it or sends it back with a reason.
type ActionMove struct {
	To       meeting.ActionStatus
	Evidence string
	Version  int
}

var errActionVersion = errs.E(errs.Conflict, "version_conflict", "该督办事项已被他人修改，请刷新后重试", "the action was changed by someone else; reload and retry")

// MoveAction applies a move (audited). Closing an action that resolves a
// problem resolves the problem too.
func MoveAction(ctx context.Context, tx bun.IDB, id uuid.UUID, m ActionMove, by uuid.UUID, now time.Time, today time.Time) (Action, error) {
	before, err := GetAction(ctx, tx, id)
	if err != nil {
		return before, err
	}
	if before.Version != m.Version {
		return before, errActionVersion
	}
	if err := meeting.Move(meeting.ActionStatus(before.Status), m.To, m.Evidence); err != nil {
		return before, err
	}
	after := before
	after.Status, after.Version = string(m.To), before.Version+1
	switch {
	case m.To == meeting.ActionReported:
		after.Evidence, after.ReportedOn, after.ReportedBy, after.ReturnReason = m.Evidence, &today, &by, ""
	case m.To == meeting.ActionClosed:
		if same, err := postgres.SamePerson(ctx, tx, before.ReportedBy, by); err != nil {
			return before, err
		} else if same {
			return before, errs.E(errs.Forbidden, "own_action", "不能核销本人报告办结的督办事项", "nobody closes an action they reported done")
		}
		after.ClosedAt, after.ClosedBy = &now, &by
	default: // sent back
		after.ReturnReason, after.ReportedOn, after.ReportedBy = m.Evidence, nil, nil
	}
	res, err := tx.NewUpdate().Model(&after).Column("status", "evidence", "reported_on", "reported_by", "return_reason", "closed_at", "closed_by", "version").
		Set("updated_at = ?", now).WherePK().Where("act.version = ?", before.Version).Exec(ctx)
	if err != nil {
		return before, postgres.MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return before, errActionVersion
	}
	if m.To == meeting.ActionClosed && after.ClosesProblem && after.ProblemID != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE problems SET status = 'resolved', resolved_at = ?, version = version + 1, updated_at = ?,
			resolution = CASE WHEN resolution = '' THEN ? ELSE resolution END WHERE id = ? AND status IN ('open','in_progress')`,
			now, now, truncate("会议议定事项办结销号："+after.Evidence, 2000), *after.ProblemID); err != nil {
			return before, err
		}
	}
	if m.To == meeting.ActionOpen {
		if err := tellOwner(ctx, tx, after, "督办事项退回：", after.Text+"。退回原因："+m.Evidence,
			fmt.Sprintf("action_returned:%s:%d", after.ID, after.Version)); err != nil {
			return before, err
		}
	}
	return after, postgres.Audit(ctx, tx, audit.Entry{Action: "action." + string(m.To), EntityType: "action", EntityID: id.String(),
		Before: actionView(before), After: actionView(after)})
}

func actionView(a Action) map[string]any {
	return map[string]any{"number": a.Number, "text": a.Text, "owner_unit_id": a.OwnerUnitID, "deadline": a.Deadline.Format(time.DateOnly),
		"status": a.Status, "evidence": a.Evidence, "version": a.Version}
}

// tellOwner messages the owner person's accounts, else the owner unit's.
func tellOwner(ctx context.Context, tx bun.IDB, a Action, prefix, body, key string) error {
	var to []uuid.UUID
	if a.OwnerPersonID != nil {
		m, err := postgres.AccountsOfPeople(ctx, tx, []uuid.UUID{*a.OwnerPersonID})
		if err != nil {
			return err
		}
		to = m[*a.OwnerPersonID]
	}
	if len(to) == 0 {
		m, err := postgres.AccountsOfUnits(ctx, tx, []uuid.UUID{a.OwnerUnitID})
		if err != nil {
			return err
		}
		to = m[a.OwnerUnitID]
	}
	var msgs []postgres.Message
	for _, acc := range to {
		msgs = append(msgs, postgres.Message{AccountID: acc, Kind: postgres.MsgMeeting, Title: truncate(prefix+a.Text, 100), Body: body,
			Link: "/actions?id=" + a.ID.String(), IdemKey: key})
	}
	_, err := postgres.Notify(ctx, tx, msgs)
	return err
}

// OverdueNotices tells each overdue action's owner and the office, once
// per action (the daily job).
func OverdueNotices(ctx context.Context, tx bun.IDB, today time.Time) (int, error) {
	var list []Action
	if err := actionQuery(tx, &list).Where("act.status <> 'closed' AND act.deadline < ?", today).OrderExpr("act.deadline").Scan(ctx); err != nil {
		return 0, err
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return 0, err
	}
	var owners, units []uuid.UUID
	for _, a := range list {
		if a.OwnerPersonID != nil {
			owners = append(owners, *a.OwnerPersonID)
		}
		units = append(units, a.OwnerUnitID)
	}
	byPerson, err := postgres.AccountsOfPeople(ctx, tx, owners)
	if err != nil {
		return 0, err
	}
	byUnit, err := postgres.AccountsOfUnits(ctx, tx, units)
	if err != nil {
		return 0, err
	}
	var msgs []postgres.Message
	for _, a := range list {
		if !a.Overdue(today) {
			continue
		}
		var to []uuid.UUID
		if a.OwnerPersonID != nil {
			to = byPerson[*a.OwnerPersonID]
		}
		if len(to) == 0 {
			to = byUnit[a.OwnerUnitID]
		}
		title := truncate("督办事项逾期："+a.Text, 100)
		body := fmt.Sprintf("%s议定事项%s“%s”完成时限为%s，现已逾期，将列入下次周例会督办。责任单位：%s。", a.SittingLabel(), meeting.Numeral(a.Number),
			a.Text, a.Deadline.Format("2006年1月2日"), a.OwnerUnit)
		for _, acc := range append(to, office...) {
			msgs = append(msgs, postgres.Message{AccountID: acc, Kind: postgres.MsgActionOverdue, Title: title, Body: body,
				Link: "/actions?id=" + a.ID.String(), IdemKey: "action_overdue:" + a.ID.String()})
		}
	}
	return postgres.Notify(ctx, tx, msgs)
}

// ActionFigures tallies actions (total, done, in progress, overdue, rate)
// overall, by sitting and by owner unit, as tracked-decision bulletins
// publish them: those of one sitting, or all decided in [from, to].
func ActionFigures(ctx context.Context, tx bun.IDB, sitting *uuid.UUID, from, to, today time.Time) (meeting.Figures, error) {
	var list []Action
	q := actionQuery(tx, &list)
	if sitting != nil {
		q.Where("act.sitting_id = ?", *sitting)
	} else {
		q.Where("s.day BETWEEN ? AND ?", from, to)
	}
	if err := q.OrderExpr("s.day, s.kind, act.number").Scan(ctx); err != nil {
		return meeting.Figures{}, err
	}
	facts := make([]meeting.ActionFact, len(list))
	for i, a := range list {
		facts[i] = meeting.ActionFact{Sitting: a.SittingLabel(), Unit: a.OwnerUnit, Status: meeting.ActionStatus(a.Status), Overdue: a.Overdue(today)}
	}
	return meeting.Count(facts), nil
}
