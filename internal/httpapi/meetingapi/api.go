// Package meetingapi is the HTTP API of the meeting area: the calendar, a
// sitting's agenda, attendance and decisions, and the action tracker
// (督办台账), served by the platform's httpapi.Server.
package meetingapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/postgres"
)

// API serves the area's routes on the platform's Server.
type API struct{ *httpapi.Server }

// Routes are the area's routes, for httpapi.Deps.Areas.
func Routes(s *httpapi.Server) []*httpapi.Route { return (&API{s}).routes() }

// Sitting is a sitting on the calendar.
type Sitting struct {
	ID              uuid.UUID  `json:"id"`
	Kind            string     `json:"kind" enum:"weekly,monthly,bimonthly,half_year,joint_review"`
	Label           string     `json:"label" description:"2026年第3次重点项目建设周例会 once held; else the date and the series"`
	Series          string     `json:"series" description:"重点项目建设周例会, 重点项目专题会, 重点项目推进汇报会, 重点项目半年评比会"`
	SlotOn          string     `json:"slot_on" format:"date" description:"the date the series' settings give it"`
	Day             string     `json:"day" format:"date"`
	StartsAt        time.Time  `json:"starts_at"`
	Place           string     `json:"place"`
	SiteProjectID   *uuid.UUID `json:"site_project_id" description:"a 现场办公会 held at this project"`
	SiteProjectName string     `json:"site_project_name"`
	ChairPost       string     `json:"chair_post"`
	ChairPersonID   *uuid.UUID `json:"chair_person_id" description:"null: nobody holds the chair's post"`
	ChairName       string     `json:"chair_name"`
	Status          string     `json:"status" enum:"planned,held,skipped"`
	ChangeReason    string     `json:"change_reason"`
	Ordinal         *int       `json:"ordinal" description:"第N次 in its series and year, once held"`
	ReviewFrom      string     `json:"review_from" format:"date" description:"the period it reviews"`
	ReviewTo        string     `json:"review_to" format:"date"`
	PrepareOn       string     `json:"prepare_on" format:"date" description:"when its agenda is drafted"`
	PreparedAt      *time.Time `json:"prepared_at"`
	AgendaApproved  *time.Time `json:"agenda_approved_at"`
	Version         int        `json:"version"`
}

func toSitting(s meetingdb.Sitting) Sitting {
	return Sitting{ID: s.ID, Kind: s.Kind, Label: s.Label(), Series: meeting.Kind(s.Kind).Name(), SlotOn: s.SlotOn.Format(time.DateOnly),
		Day: s.Day.Format(time.DateOnly), StartsAt: s.StartsAt, Place: s.Place, SiteProjectID: s.SiteProjectID, SiteProjectName: s.SiteProjectName,
		ChairPost: s.ChairPost, ChairPersonID: s.ChairPersonID, ChairName: s.ChairName, Status: s.Status, ChangeReason: s.ChangeReason,
		Ordinal: s.Ordinal, ReviewFrom: s.ReviewFrom.Format(time.DateOnly), ReviewTo: s.ReviewTo.Format(time.DateOnly),
		PrepareOn: s.PrepareOn.Format(time.DateOnly), PreparedAt: s.PreparedAt, AgendaApproved: s.AgendaApprovedAt, Version: s.Version}
}

// Item is an agenda item.
type Item struct {
	ID        uuid.UUID       `json:"id"`
	Position  int             `json:"position"`
	Kind      string          `json:"kind" enum:"overdue_action,stalled_project,escalated_project,problem,overdue_procedure,month_figures,common_problem,leader_report,model_speech,pledge_speech,custom"`
	Section   string          `json:"section" description:"the agenda's heading for its kind"`
	Source    string          `json:"source" enum:"prepared,office"`
	ProjectID *uuid.UUID      `json:"project_id"`
	ProblemID *uuid.UUID      `json:"problem_id"`
	ActionID  *uuid.UUID      `json:"action_id"`
	UnitID    *uuid.UUID      `json:"unit_id"`
	PersonID  *uuid.UUID      `json:"person_id"`
	Title     string          `json:"title"`
	Detail    string          `json:"detail"`
	Evidence  json.RawMessage `json:"evidence" description:"as the preparation found it: a project card, the figures, the problems …" type:"object"`
	Picked    bool            `json:"picked" description:"picked by the chair for the weekly meeting (M1.2)"`
	Minutes   string          `json:"minutes"`
}

func toItem(it meetingdb.Item) Item {
	return Item{ID: it.ID, Position: it.Position, Kind: it.Kind, Section: meeting.ItemKindNames[meeting.ItemKind(it.Kind)], Source: it.Source,
		ProjectID: it.ProjectID, ProblemID: it.ProblemID, ActionID: it.ActionID, UnitID: it.UnitID, PersonID: it.PersonID, Title: it.Title,
		Detail: it.Detail, Evidence: it.Evidence, Picked: it.Picked, Minutes: it.Minutes}
}

// Attendee is a person expected at a sitting.
type Attendee struct {
	PersonID   uuid.UUID  `json:"person_id"`
	Name       string     `json:"name"`
	Post       string     `json:"post"`
	Role       string     `json:"role" enum:"chair,participant"`
	Status     string     `json:"status" enum:"expected,signed_in,absent,deputy"`
	Reason     string     `json:"reason"`
	DeputyID   *uuid.UUID `json:"deputy_person_id"`
	DeputyName string     `json:"deputy_name"`
	SignedAt   *time.Time `json:"signed_at"`
}

func toAttendee(a meetingdb.Attendance) Attendee {
	return Attendee{PersonID: a.PersonID, Name: a.PersonName, Post: a.PersonPost, Role: a.Role, Status: a.Status, Reason: a.Reason,
		DeputyID: a.DeputyPersonID, DeputyName: a.DeputyName, SignedAt: a.SignedAt}
}

// Action is a tracked decision (督办事项).
type Action struct {
	ID             uuid.UUID   `json:"id"`
	SittingID      uuid.UUID   `json:"sitting_id"`
	ItemID         *uuid.UUID  `json:"item_id" description:"the agenda item it was decided on"`
	Sitting        string      `json:"sitting" description:"the sitting's label"`
	Number         int         `json:"number"`
	Numeral        string      `json:"numeral" description:"一、二、三 …"`
	Text           string      `json:"text"`
	OwnerUnitID    uuid.UUID   `json:"owner_unit_id"`
	OwnerUnit      string      `json:"owner_unit"`
	OwnerPersonID  *uuid.UUID  `json:"owner_person_id"`
	OwnerPerson    string      `json:"owner_person"`
	PartnerUnitIDs []uuid.UUID `json:"partner_unit_ids"`
	Deadline       string      `json:"deadline" format:"date"`
	ProjectID      *uuid.UUID  `json:"project_id"`
	ProjectName    string      `json:"project_name"`
	ProblemID      *uuid.UUID  `json:"problem_id"`
	ClosesProblem  bool        `json:"closes_problem"`
	Status         string      `json:"status" enum:"open,reported,closed"`
	Overdue        bool        `json:"overdue"`
	Evidence       string      `json:"evidence"`
	ReportedOn     *string     `json:"reported_on" format:"date"`
	ReturnReason   string      `json:"return_reason"`
	ClosedAt       *time.Time  `json:"closed_at"`
	Version        int         `json:"version"`
}

func toAction(a meetingdb.Action, today time.Time) Action {
	return Action{ID: a.ID, SittingID: a.SittingID, ItemID: a.ItemID, Sitting: a.SittingLabel(), Number: a.Number, Numeral: meeting.Numeral(a.Number), Text: a.Text,
		OwnerUnitID: a.OwnerUnitID, OwnerUnit: a.OwnerUnit, OwnerPersonID: a.OwnerPersonID, OwnerPerson: a.OwnerPerson,
		PartnerUnitIDs: append([]uuid.UUID{}, a.PartnerUnitIDs...), Deadline: a.Deadline.Format(time.DateOnly), ProjectID: a.ProjectID,
		ProjectName: a.ProjectName, ProblemID: a.ProblemID, ClosesProblem: a.ClosesProblem, Status: a.Status, Overdue: a.Overdue(today),
		Evidence: a.Evidence, ReportedOn: httpapi.DateString(a.ReportedOn), ReturnReason: a.ReturnReason, ClosedAt: a.ClosedAt, Version: a.Version}
}

// SittingDetail is a sitting with its agenda, attendance and decisions,
// and what the caller may do with it.
type SittingDetail struct {
	Sitting    Sitting         `json:"sitting"`
	Items      []Item          `json:"items"`
	Backlog    []Item          `json:"backlog" description:"items taken off the agenda and kept aside: the office can put them back until the chair approves"`
	Attendance []Attendee      `json:"attendance"`
	Actions    []Action        `json:"actions"`
	Figures    meeting.Figures `json:"figures" description:"its decisions: total, done, in progress, overdue, rate"`
	MayManage  bool            `json:"may_manage" description:"the office: edit the agenda, record attendance and decisions"`
	IsChair    bool            `json:"is_chair" description:"the caller chairs it: picks projects, approves the agenda"`
	Expected   bool            `json:"expected" description:"the caller is expected: may sign in"`
}

// SittingChange moves, skips or places a sitting.
type SittingChange struct {
	Day           string     `json:"day,omitempty" format:"date"`
	Time          string     `json:"time,omitempty" description:"HH:MM"`
	Place         *string    `json:"place,omitempty"`
	SiteProjectID *uuid.UUID `json:"site_project_id,omitempty" description:"a 现场办公会 at this project (the nil UUID clears it)"`
	Skip          bool       `json:"skip,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	Version       int        `json:"version"`
}

// ItemInput adds an item to an agenda.
type ItemInput struct {
	Title     string     `json:"title"`
	Detail    string     `json:"detail,omitempty"`
	ProjectID *uuid.UUID `json:"project_id,omitempty"`
	UnitID    *uuid.UUID `json:"unit_id,omitempty"`
}

// AgendaInput orders the agenda (items left out go to its backlog; a
// backlog item listed comes back), removes items for good and sets the
// chair's picks.
type AgendaInput struct {
	Order  []uuid.UUID `json:"order"`
	Picked []uuid.UUID `json:"picked"`
	Remove []uuid.UUID `json:"remove,omitempty" description:"items left off the agenda to delete rather than keep in the backlog"`
}

// MinutesInput is what the sitting said on an item.
type MinutesInput struct {
	Minutes string `json:"minutes"`
}

// AttendanceInput records how a person attended.
type AttendanceInput struct {
	Status         string     `json:"status" enum:"signed_in,absent,deputy"`
	Reason         string     `json:"reason,omitempty"`
	DeputyPersonID *uuid.UUID `json:"deputy_person_id,omitempty"`
}

// ParticipantInput expects one more person.
type ParticipantInput struct {
	PersonID uuid.UUID `json:"person_id"`
}

// ActionInput records a decision.
type ActionInput struct {
	ItemID         *uuid.UUID  `json:"item_id,omitempty"`
	Text           string      `json:"text"`
	OwnerUnitID    uuid.UUID   `json:"owner_unit_id"`
	OwnerPersonID  *uuid.UUID  `json:"owner_person_id,omitempty"`
	PartnerUnitIDs []uuid.UUID `json:"partner_unit_ids,omitempty"`
	Deadline       string      `json:"deadline" format:"date"`
	ProjectID      *uuid.UUID  `json:"project_id,omitempty"`
	ProblemID      *uuid.UUID  `json:"problem_id,omitempty"`
	ClosesProblem  bool        `json:"closes_problem,omitempty"`
}

// ActionMove reports an action done (its owner, with evidence), or closes
// it or sends it back (the office).
type ActionMove struct {
	Status   string `json:"status" enum:"open,reported,closed"`
	Evidence string `json:"evidence,omitempty" description:"what was done (reported) or why it is sent back (open)"`
	Version  int    `json:"version"`
}

// ActionFigures are the tallies of the decisions of a period or a sitting.
type ActionFigures struct {
	From    string          `json:"from" format:"date"`
	To      string          `json:"to" format:"date"`
	Figures meeting.Figures `json:"figures"`
}

// routes are the area's routes: sittings and actions here; minutes and
// calendar feeds in their own files.
func (s *API) routes() []*httpapi.Route {
	out := s.sittingRoutes()
	out = append(out, s.minutesRoutes()...)
	return append(out, s.feedRoutes()...)
}

func (s *API) sittingRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	desk, office, all := httpapi.DeskRead, httpapi.OfficeOnly, httpapi.CountyRead
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/meetings", Summary: "The county's calendar of sittings (M1.1), by time", Tag: "meetings", Roles: all, County: true,
			Query: []httpapi.Param{{Name: "from", Description: "起始日期 (default: the first of this month)", Type: "date"}, {Name: "to", Description: "截止日期 (default: 2 months after from; at most a year)", Type: "date"}},
			Resp:  []Sitting{}, Handler: s.calendar},
		{Method: http.MethodPost, Path: v1 + "/meetings/schedule", Summary: "Put the series' sittings of the coming days on the calendar now, under today's settings (the worker does every morning); sittings already there stay", Tag: "meetings", Roles: office, County: true, Resp: ScheduleResult{}, Handler: s.schedule},
		{Method: http.MethodGet, Path: v1 + "/meetings/:id", Summary: "A sitting with its agenda, attendance and decisions (desk roles, or those expected at it)", Tag: "meetings", Roles: all, County: true, Resp: SittingDetail{}, Handler: s.getSitting},
		{Method: http.MethodPut, Path: v1 + "/meetings/:id", Summary: "Move, skip (with a reason) or place a planned sitting", Tag: "meetings", Roles: office, County: true, Body: SittingChange{}, Resp: Sitting{}, Handler: s.changeSitting},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/prepare", Summary: "Draft the agenda now (normally the worker does, before the sitting); once", Tag: "meetings", Roles: office, County: true, Resp: meetingdb.PrepareResult{}, Handler: s.prepare},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/items", Summary: "Add an item to the agenda", Tag: "meetings", Roles: office, County: true, Status: http.StatusCreated, Body: ItemInput{}, Resp: Item{}, Handler: s.addItem},
		{Method: http.MethodPut, Path: v1 + "/meetings/:id/agenda", Summary: "Order the agenda, set items aside into its backlog or bring them back, remove items, and pick the projects (the office, or the chair)", Tag: "meetings", Roles: all, County: true, Body: AgendaInput{}, Resp: []Item{}, Handler: s.changeAgenda},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/approve", Summary: "The chair approves the agenda", Tag: "meetings", Roles: all, County: true, Resp: Sitting{}, Handler: s.approve},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/hold", Summary: "Mark the sitting held: it gets its number (第N次)", Tag: "meetings", Roles: office, County: true, Resp: Sitting{}, Handler: s.hold},
		{Method: http.MethodPut, Path: v1 + "/meetings/:id/items/:itemId/minutes", Summary: "Record what was said on an item", Tag: "meetings", Roles: office, County: true, Body: MinutesInput{}, Resp: Item{}, Handler: s.itemMinutes},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/sign-in", Summary: "Sign in to a sitting one is expected at", Tag: "meetings", Roles: all, County: true, Resp: Attendee{}, Handler: s.signIn},
		{Method: http.MethodPut, Path: v1 + "/meetings/:id/attendance/:personId", Summary: "Record a person's attendance (signed in, absent with a reason, deputy)", Tag: "meetings", Roles: office, County: true, Body: AttendanceInput{}, Resp: Attendee{}, Handler: s.markAttendance},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/participants", Summary: "Expect one more person", Tag: "meetings", Roles: office, County: true, Status: http.StatusNoContent, Body: ParticipantInput{}, Handler: s.addParticipant},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/actions", Summary: "Record a decision (议定事项) as a tracked action", Tag: "meetings", Roles: office, County: true, Status: http.StatusCreated, Body: ActionInput{}, Resp: Action{}, Handler: s.addAction},
		{Method: http.MethodGet, Path: v1 + "/actions", Summary: "The action tracker (督办台账): desk roles see all, others their unit's and their own", Tag: "meetings", Roles: all, County: true,
			Query: append([]httpapi.Param{{Name: "status", Description: "open | reported | closed", Type: "string"}, {Name: "unit_id", Description: "责任或配合单位", Type: "uuid"},
				{Name: "sitting_id", Description: "会议", Type: "uuid"}, {Name: "overdue", Description: "true: only overdue", Type: "boolean"},
				{Name: "q", Description: "督办内容、责任单位或项目名称包含", Type: "string"}}, httpapi.PageParams...),
			Resp: httpapi.List[Action]{}, Handler: s.listActions},
		{Method: http.MethodGet, Path: v1 + "/actions/figures", Summary: "Decisions made in a period: total, done, in progress, overdue and rate, by sitting and by unit", Tag: "meetings", Roles: desk, County: true,
			Query: []httpapi.Param{{Name: "from", Description: "起始日期 (default: 1 January)", Type: "date"}, {Name: "to", Description: "截止日期 (default: today)", Type: "date"}},
			Resp:  ActionFigures{}, Handler: s.actionFigures},
		{Method: http.MethodPut, Path: v1 + "/actions/:id", Summary: "Report an action done (its owner), close it (办结销号) or send it back (the office)", Tag: "meetings", Roles: all, County: true, Body: ActionMove{}, Resp: Action{}, Handler: s.moveAction},
	}
}

func dateParam(r *httpapi.Req, name string, def time.Time) (time.Time, error) {
	v := r.C.QueryParam(name)
	if v == "" {
		return def, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		var ve errs.Validation
		ve.Add(name, "invalid_date", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD")
		return d, ve.Err()
	}
	return d, nil
}

// ScheduleResult says how many sittings were added to the calendar.
type ScheduleResult struct {
	From  string `json:"from" format:"date"`
	To    string `json:"to" format:"date"`
	Added int    `json:"added"`
}

func (s *API) schedule(r *httpapi.Req) (any, error) {
	from := s.Today()
	to := from.AddDate(0, 0, meeting.Horizon)
	n, err := meetingdb.EnsureSittings(r.Ctx, r.Tx, from, to)
	if err != nil {
		return nil, err
	}
	return ScheduleResult{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Added: n},
		postgres.Audit(r.Ctx, r.Tx, audit.Entry{Action: "meeting.schedule", EntityType: "meeting", EntityID: "calendar", After: map[string]any{"added": n}})
}

func (s *API) calendar(r *httpapi.Req) (any, error) {
	today := s.Today()
	from, err := dateParam(r, "from", time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	to, err := dateParam(r, "to", from.AddDate(0, 2, 0))
	if err != nil {
		return nil, err
	}
	if to.Before(from) || to.After(from.AddDate(1, 0, 0)) {
		var v errs.Validation
		v.Add("to", "invalid_range", "截止日期须在起始日期之后一年以内", "to must be within a year after from")
		return nil, v.Err()
	}
	list, err := meetingdb.ListSittings(r.Ctx, r.Tx, from, to)
	return httpapi.APIList(list, toSitting), err
}

// caller is who the caller is to a sitting.
type caller struct {
	desk, office, chair, expected bool
}

func (s *API) callerOf(r *httpapi.Req, st meetingdb.Sitting) (caller, error) {
	var c caller
	sc, err := s.Scope(r)
	if err != nil {
		return c, err
	}
	c.desk, c.office = sc == nil, s.IsOffice(r)
	if p := r.Session.PersonID; p != nil {
		c.chair = st.ChairPersonID != nil && *st.ChairPersonID == *p
		if err := r.Tx.NewRaw("SELECT EXISTS (SELECT 1 FROM meeting_attendance WHERE sitting_id = ? AND person_id = ?)", st.ID, *p).Scan(r.Ctx, &c.expected); err != nil {
			return c, err
		}
	}
	return c, nil
}

// visibleSitting loads the :id sitting if the caller may see it: desk
// roles see every sitting, others those they chair or are expected at.
func (s *API) visibleSitting(r *httpapi.Req) (meetingdb.Sitting, caller, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return meetingdb.Sitting{}, caller{}, err
	}
	st, err := meetingdb.GetSitting(r.Ctx, r.Tx, id)
	if err != nil {
		return st, caller{}, err
	}
	c, err := s.callerOf(r, st)
	if err != nil {
		return st, c, err
	}
	if !c.desk && !c.chair && !c.expected {
		return st, c, errs.E(errs.NotFound, "sitting_not_found", "未找到该会议", "no such sitting")
	}
	return st, c, nil
}

func (s *API) getSitting(r *httpapi.Req) (any, error) {
	st, c, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	items, err := meetingdb.ListItems(r.Ctx, r.Tx, st.ID)
	if err != nil {
		return nil, err
	}
	backlog, err := meetingdb.ListBacklog(r.Ctx, r.Tx, st.ID)
	if err != nil {
		return nil, err
	}
	att, err := meetingdb.ListAttendance(r.Ctx, r.Tx, st.ID)
	if err != nil {
		return nil, err
	}
	acts, _, err := meetingdb.ListActions(r.Ctx, r.Tx, meetingdb.ActionFilter{SittingID: &st.ID}, postgres.Page{Limit: postgres.MaxPageSize})
	if err != nil {
		return nil, err
	}
	today := s.Today()
	figs, err := meetingdb.ActionFigures(r.Ctx, r.Tx, &st.ID, today, today, today)
	if err != nil {
		return nil, err
	}
	return SittingDetail{Sitting: toSitting(st), Items: httpapi.APIList(items, toItem), Backlog: httpapi.APIList(backlog, toItem), Attendance: httpapi.APIList(att, toAttendee),
		Actions: httpapi.APIList(acts, func(a meetingdb.Action) Action { return toAction(a, today) }), Figures: figs,
		MayManage: c.office, IsChair: c.chair, Expected: c.expected}, nil
}

func (s *API) changeSitting(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in SittingChange
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d httpapi.Dates
	c := meetingdb.SittingChange{Day: d.Opt("day", &in.Day), Place: in.Place, SiteProjectID: in.SiteProjectID, Skip: in.Skip, Reason: in.Reason, Version: in.Version}
	if in.Time != "" {
		if _, err := time.Parse("15:04", in.Time); err != nil {
			var v errs.Validation
			v.Add("time", "invalid_time", "时间格式应为 HH:MM（24小时制）", "time must be HH:MM (24-hour)")
			return nil, v.Err()
		}
		c.Time = in.Time
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	st, err := meetingdb.ChangeSitting(r.Ctx, r.Tx, id, c)
	return toSitting(st), err
}

func (s *API) prepare(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	if _, err := meetingdb.GetSitting(r.Ctx, r.Tx, id); err != nil {
		return nil, err
	}
	return meetingdb.Prepare(r.Ctx, r.Tx, id, s.Now())
}

func (s *API) addItem(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ItemInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	it, err := meetingdb.AddItem(r.Ctx, r.Tx, id, meetingdb.ItemInput{Title: in.Title, Detail: in.Detail, ProjectID: in.ProjectID, UnitID: in.UnitID})
	return toItem(it), err
}

var errNotChair = errs.E(errs.Forbidden, "not_the_chair", "只有本次会议的主持人可以进行此操作", "only the sitting's chair may do this")

func (s *API) changeAgenda(r *httpapi.Req) (any, error) {
	st, c, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	if !c.office && !c.chair {
		return nil, errNotChair
	}
	var in AgendaInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	items, err := meetingdb.ChangeAgenda(r.Ctx, r.Tx, st.ID, meetingdb.AgendaChange{Order: in.Order, Picked: in.Picked, Remove: in.Remove})
	return httpapi.APIList(items, toItem), err
}

func (s *API) approve(r *httpapi.Req) (any, error) {
	st, c, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	if !c.chair {
		return nil, errNotChair
	}
	st, err = meetingdb.ApproveAgenda(r.Ctx, r.Tx, st.ID, r.Session.AccountID, s.Now())
	return toSitting(st), err
}

func (s *API) hold(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	st, err := meetingdb.Hold(r.Ctx, r.Tx, id, s.Now())
	return toSitting(st), err
}

func (s *API) itemMinutes(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	itemID, err := httpapi.PathID(r.C, "itemId")
	if err != nil {
		return nil, err
	}
	var in MinutesInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	it, err := meetingdb.SetItemMinutes(r.Ctx, r.Tx, itemID, in.Minutes, r.Session.AccountID, s.Now())
	if err == nil && it.SittingID != id {
		return nil, errs.ErrNotFound
	}
	return toItem(it), err
}

func (s *API) signIn(r *httpapi.Req) (any, error) {
	st, c, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	if !c.expected || r.Session.PersonID == nil {
		return nil, errs.E(errs.Forbidden, "not_expected", "您不在本次会议的参会名单中", "you are not expected at this sitting")
	}
	if _, err := meetingdb.MarkAttendance(r.Ctx, r.Tx, st.ID, *r.Session.PersonID, meetingdb.AttendanceMark{Status: "signed_in"}, s.Now()); err != nil {
		return nil, err
	}
	return s.attendee(r, st.ID, *r.Session.PersonID)
}

func (s *API) attendee(r *httpapi.Req, sitting, person uuid.UUID) (Attendee, error) {
	list, err := meetingdb.ListAttendance(r.Ctx, r.Tx, sitting)
	for _, a := range list {
		if a.PersonID == person {
			return toAttendee(a), err
		}
	}
	return Attendee{}, err
}

func (s *API) markAttendance(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	person, err := httpapi.PathID(r.C, "personId")
	if err != nil {
		return nil, err
	}
	var in AttendanceInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if _, err := meetingdb.MarkAttendance(r.Ctx, r.Tx, id, person, meetingdb.AttendanceMark{Status: in.Status, Reason: in.Reason, Deputy: in.DeputyPersonID}, s.Now()); err != nil {
		return nil, err
	}
	return s.attendee(r, id, person)
}

func (s *API) addParticipant(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ParticipantInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	return nil, meetingdb.AddParticipant(r.Ctx, r.Tx, id, in.PersonID)
}

func (s *API) addAction(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ActionInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d httpapi.Dates
	deadline := d.Req("deadline", in.Deadline)
	if err := d.Err(); err != nil {
		return nil, err
	}
	a, err := meetingdb.AddAction(r.Ctx, r.Tx, id, meetingdb.ActionInput{ItemID: in.ItemID, Text: in.Text, OwnerUnitID: in.OwnerUnitID,
		OwnerPersonID: in.OwnerPersonID, PartnerUnitIDs: in.PartnerUnitIDs, Deadline: deadline, ProjectID: in.ProjectID, ProblemID: in.ProblemID,
		ClosesProblem: in.ClosesProblem}, s.Today())
	return toAction(a, s.Today()), err
}

// actionScope narrows the tracker for callers who do not see the whole
// county: their unit's actions (owner or partner) and their own.
func (s *API) actionScope(r *httpapi.Req) (*postgres.Scope, error) { return s.Scope(r) }

func (s *API) listActions(r *httpapi.Req) (any, error) {
	page, err := httpapi.PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	f := meetingdb.ActionFilter{Status: r.C.QueryParam("status"), Overdue: r.C.QueryParam("overdue") == "true", Today: s.Today(),
		Q: strings.TrimSpace(r.C.QueryParam("q"))}
	if f.UnitID, err = httpapi.QueryUUID(r.C, "unit_id"); err != nil {
		return nil, err
	}
	if f.SittingID, err = httpapi.QueryUUID(r.C, "sitting_id"); err != nil {
		return nil, err
	}
	if f.Scope, err = s.actionScope(r); err != nil {
		return nil, err
	}
	list, next, err := meetingdb.ListActions(r.Ctx, r.Tx, f, page)
	return httpapi.NewList(httpapi.APIList(list, func(a meetingdb.Action) Action { return toAction(a, f.Today) }), next), err
}

func (s *API) actionFigures(r *httpapi.Req) (any, error) {
	today := s.Today()
	from, err := dateParam(r, "from", time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	to, err := dateParam(r, "to", today)
	if err != nil {
		return nil, err
	}
	f, err := meetingdb.ActionFigures(r.Ctx, r.Tx, nil, from, to, today)
	return ActionFigures{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Figures: f}, err
}

func (s *API) moveAction(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ActionMove
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	a, err := meetingdb.GetAction(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	office := s.IsOffice(r)
	sc, err := s.actionScope(r)
	if err != nil {
		return nil, err
	}
	owner := sc != nil && ((sc.UnitID != nil && *sc.UnitID == a.OwnerUnitID) || (sc.PersonID != nil && a.OwnerPersonID != nil && *sc.PersonID == *a.OwnerPersonID))
	switch {
	case sc != nil && !owner && !office:
		return nil, errActionNotFound // not theirs: as if it did not exist
	case meeting.ActionStatus(in.Status) == meeting.ActionReported && !owner && !office:
		return nil, errs.E(errs.Forbidden, "not_the_owner", "只有责任单位或重点项目办可以报告办结", "only the owner or the office reports an action done")
	case meeting.ActionStatus(in.Status) != meeting.ActionReported && !office:
		return nil, errs.E(errs.Forbidden, "office_only", "只有重点项目办可以核销或退回督办事项", "only the office closes or sends back an action")
	}
	a, err = meetingdb.MoveAction(r.Ctx, r.Tx, id, meetingdb.ActionMove{To: meeting.ActionStatus(in.Status), Evidence: in.Evidence, Version: in.Version},
		r.Session.AccountID, s.Now(), s.Today())
	return toAction(a, s.Today()), err
}

var errActionNotFound = errs.E(errs.NotFound, "action_not_found", "未找到该督办事项", "no such action")
