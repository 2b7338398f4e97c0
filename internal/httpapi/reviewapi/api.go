// Package reviewapi is the HTTP API of joint review and approval (联审联批):
// the items on a joint review sitting's list, the decisions taken on them,
// a service unit's items across projects, and the figures.
package reviewapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/review"
	"github.com/tuijin/tuijin/internal/review/reviewdb"
)

// API serves the area's routes on the platform's Server.
type API struct{ *httpapi.Server }

// Routes are the area's routes, for httpapi.Deps.Areas.
func Routes(s *httpapi.Server) []*httpapi.Route { return (&API{s}).routes() }

// ReviewItem is a procedure item on a joint review sitting's list.
type ReviewItem struct {
	ID                     uuid.UUID  `json:"id"`
	SittingID              uuid.UUID  `json:"sitting_id"`
	Sitting                string     `json:"sitting" description:"2026年第3次重点项目联审联批会"`
	SittingDay             string     `json:"sitting_day" format:"date"`
	ProcedureID            uuid.UUID  `json:"procedure_id"`
	Procedure              string     `json:"procedure"`
	ProjectID              uuid.UUID  `json:"project_id"`
	Project                string     `json:"project"`
	ServiceUnitID          uuid.UUID  `json:"service_unit_id"`
	ServiceUnit            string     `json:"service_unit"`
	Source                 string     `json:"source" enum:"project,office,carried"`
	CarriedFrom            *uuid.UUID `json:"carried_from" description:"the item of the earlier sitting this one continues"`
	Carried                bool       `json:"carried" description:"carried on to a later sitting (decide it there)"`
	FirstOn                string     `json:"first_on" format:"date" description:"the day the procedure first came to a joint review"`
	Outcome                string     `json:"outcome" enum:"pending,done,deadline"`
	Deadline               *string    `json:"deadline" format:"date"`
	DoneOn                 *string    `json:"done_on" format:"date" description:"the ledger's date it was done"`
	DaysOver               int        `json:"days_over"`
	AgencyService          bool       `json:"agency_service" description:"代办制"`
	MergedAssessment       bool       `json:"merged_assessment" description:"多评合一"`
	RegionalAssessment     bool       `json:"regional_assessment" description:"区域评估"`
	AcceptWithDeficiencies bool       `json:"accept_with_deficiencies" description:"容缺办理"`
	Note                   string     `json:"note"`
	DecidedAt              *time.Time `json:"decided_at"`
	Version                int        `json:"version"`
}

func toItem(today time.Time) func(reviewdb.Item) ReviewItem {
	return func(it reviewdb.Item) ReviewItem {
		f := it.Fact()
		return ReviewItem{ID: it.ID, SittingID: it.SittingID, Sitting: it.SittingLabel(), SittingDay: it.SittingDay.Format(time.DateOnly),
			ProcedureID: it.ProcedureID, Procedure: it.Procedure, ProjectID: it.ProjectID, Project: it.ProjectName, ServiceUnitID: it.ServiceUnitID,
			ServiceUnit: it.ServiceUnit, Source: it.Source, CarriedFrom: it.CarriedFrom, Carried: it.CarriedAt != nil, FirstOn: it.FirstOn.Format(time.DateOnly),
			Outcome: it.Outcome, Deadline: httpapi.DateString(it.Deadline), DoneOn: httpapi.DateString(it.DoneOn), DaysOver: f.DaysOver(today),
			AgencyService: it.AgencyService, MergedAssessment: it.MergedAssess, RegionalAssessment: it.RegionalAssess,
			AcceptWithDeficiencies: it.AcceptDeficient, Note: it.Note, DecidedAt: it.DecidedAt, Version: it.Version}
	}
}

// ReviewNomination brings a procedure item to a planned joint review sitting.
type ReviewNomination struct {
	ProcedureID uuid.UUID `json:"procedure_id"`
}

// ReviewDecision is what the sitting decided on an item.
type ReviewDecision struct {
	Outcome                string     `json:"outcome" enum:"done,deadline"`
	Deadline               string     `json:"deadline,omitempty" format:"date" description:"with deadline; none: the county's joint_review_deadline_days after the sitting"`
	ServiceUnitID          *uuid.UUID `json:"service_unit_id,omitempty" description:"the responsible service unit (default: the ledger's)"`
	AgencyService          bool       `json:"agency_service,omitempty"`
	MergedAssessment       bool       `json:"merged_assessment,omitempty"`
	RegionalAssessment     bool       `json:"regional_assessment,omitempty"`
	AcceptWithDeficiencies bool       `json:"accept_with_deficiencies,omitempty"`
	Note                   string     `json:"note,omitempty"`
	Version                int        `json:"version"`
}

// ReviewFigures are the joint review figures of a period.
type ReviewFigures struct {
	From    string         `json:"from" format:"date"`
	To      string         `json:"to" format:"date"`
	AsOf    string         `json:"as_of" format:"date"`
	Figures review.Summary `json:"figures"`
}

func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	nominate := []authz.Role{authz.Office, authz.UnitUser}
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/joint-reviews/figures", Summary: "Joint review figures of a period: items, done, rate, average days to done, by sitting and by service unit, and the unfinished list", Tag: "joint review", Roles: httpapi.DeskRead, County: true,
			Query: []httpapi.Param{{Name: "from", Description: "起始日期（默认当年1月1日）", Type: "date"}, {Name: "to", Description: "截止日期（默认今天）", Type: "date"}}, Resp: ReviewFigures{}, Handler: s.figures},
		{Method: http.MethodGet, Path: v1 + "/joint-reviews/:id/items", Summary: "A joint review sitting's list (desk roles; a unit sees the items it serves or nominated)", Tag: "joint review", Roles: httpapi.CountyUsers, County: true, Resp: []ReviewItem{}, Handler: s.list},
		{Method: http.MethodPost, Path: v1 + "/joint-reviews/:id/items", Summary: "Nominate a procedure item of the ledger for a planned sitting (the office; a unit for its own projects)", Tag: "joint review", Roles: nominate, County: true, Status: http.StatusCreated, Body: ReviewNomination{}, Resp: ReviewItem{}, Handler: s.nominate},
		{Method: http.MethodPut, Path: v1 + "/review-items/:id", Summary: "Record the sitting's decision: done on the spot, or a deadline and a responsible service unit, with the fast-track reforms", Tag: "joint review", Roles: httpapi.OfficeOnly, County: true, Body: ReviewDecision{}, Resp: ReviewItem{}, Handler: s.decide},
		{Method: http.MethodGet, Path: v1 + "/review-items/:id/history", Summary: "The sittings an item came to, oldest first", Tag: "joint review", Roles: httpapi.CountyUsers, County: true, Resp: []ReviewItem{}, Handler: s.history},
		{Method: http.MethodGet, Path: v1 + "/review-items", Summary: "A service unit's open items across projects, earliest deadline first (a unit user: their own unit's)", Tag: "joint review", Roles: httpapi.CountyUsers, County: true,
			Query: []httpapi.Param{{Name: "unit_id", Description: "服务单位（办公室等须指定）", Type: "uuid"}}, Resp: []ReviewItem{}, Handler: s.unitItems},
	}
}

// sees says whether a caller with scope sc sees an item: desk roles every
// item, a unit those it serves and those of its projects.
func sees(sc *postgres.Scope, it reviewdb.Item) bool {
	return sc == nil || (sc.UnitID != nil && (*sc.UnitID == it.ServiceUnitID || *sc.UnitID == it.ProjectUnitID))
}

func (s *API) list(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	list, err := reviewdb.ListItems(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	out := []ReviewItem{}
	conv := toItem(s.Today())
	for _, it := range list {
		if sees(sc, it) {
			out = append(out, conv(it))
		}
	}
	return out, nil
}

func (s *API) nominate(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ReviewNomination
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	n := reviewdb.Nomination{ProcedureID: in.ProcedureID, By: r.Session.AccountID}
	if !s.IsOffice(r) {
		sc, err := s.Scope(r)
		if err != nil {
			return nil, err
		}
		if sc == nil || sc.UnitID == nil {
			return nil, errs.E(errs.Forbidden, "no_unit", "您的账号未关联单位，不能提交联审事项", "your account has no unit: it cannot nominate items")
		}
		n.ByProject, n.OnlyUnit = true, sc.UnitID
	}
	it, err := reviewdb.Nominate(r.Ctx, r.Tx, id, n)
	if err != nil {
		return nil, err
	}
	return toItem(s.Today())(it), nil
}

func (s *API) decide(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ReviewDecision
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	outcome, err := review.ParseOutcome(in.Outcome)
	if err != nil {
		return nil, err
	}
	var d httpapi.Dates
	deadline := d.Opt("deadline", &in.Deadline)
	if err := d.Err(); err != nil {
		return nil, err
	}
	it, err := reviewdb.Decide(r.Ctx, r.Tx, id, reviewdb.Decision{Outcome: outcome, Deadline: deadline, ServiceUnitID: in.ServiceUnitID,
		Agency: in.AgencyService, Merged: in.MergedAssessment, Regional: in.RegionalAssessment, Deficient: in.AcceptWithDeficiencies,
		Note: in.Note, Version: in.Version}, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return toItem(s.Today())(it), nil
}

func (s *API) history(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	it, err := reviewdb.GetItem(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	if !sees(sc, it) {
		return nil, errs.ErrNotFound
	}
	list, err := reviewdb.History(r.Ctx, r.Tx, id)
	return httpapi.APIList(list, toItem(s.Today())), err
}

func (s *API) unitItems(r *httpapi.Req) (any, error) {
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	var unit uuid.UUID
	switch {
	case sc != nil && sc.UnitID != nil:
		unit = *sc.UnitID
	case sc != nil:
		return []ReviewItem{}, nil
	default:
		v := r.C.QueryParam("unit_id")
		if unit, err = uuid.Parse(v); err != nil {
			var ve errs.Validation
			ve.Add("unit_id", "required", "请指定服务单位", "unit_id is required")
			return nil, ve.Err()
		}
	}
	list, err := reviewdb.UnitItems(r.Ctx, r.Tx, unit)
	return httpapi.APIList(list, toItem(s.Today())), err
}

func (s *API) figures(r *httpapi.Req) (any, error) {
	today := s.Today()
	var d httpapi.Dates
	fromS, toS := r.C.QueryParam("from"), r.C.QueryParam("to")
	from, to := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC), today
	if t := d.Opt("from", &fromS); t != nil {
		from = *t
	}
	if t := d.Opt("to", &toS); t != nil {
		to = *t
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if to.Before(from) || to.After(from.AddDate(1, 0, 0)) {
		var v errs.Validation
		v.Add("to", "invalid_range", "截止日期须在起始日期之后一年以内", "to must be within a year after from")
		return nil, v.Err()
	}
	f, err := reviewdb.Figures(r.Ctx, r.Tx, from, to, today)
	return ReviewFigures{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), AsOf: today.Format(time.DateOnly), Figures: f}, err
}
