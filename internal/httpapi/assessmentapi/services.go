package assessmentapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
)

// RatingRound is a service units' rating round with what the caller sees:
// a rating unit the service units it dealt with and its own ratings; the
// desk roles how many rated each service unit and the mean, never who.
type RatingRound struct {
	ID        uuid.UUID                   `json:"id"`
	Period    string                      `json:"period"`
	Start     string                      `json:"start" format:"date"`
	End       string                      `json:"end" format:"date"`
	Status    string                      `json:"status" enum:"open,closed"`
	Rateables []assessmentdb.Rateable     `json:"rateables"`
	Summary   []assessmentdb.RoundSummary `json:"summary"`
}

// RatingInput is a unit's rating of a service unit.
type RatingInput struct {
	Score   int    `json:"score" description:"0-100"`
	Comment string `json:"comment,omitempty"`
}

func (s *API) serviceRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	read := []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin, authz.Inspector, authz.UnitUser}
	return []*httpapi.Route{
		{Method: http.MethodPost, Path: v1 + "/service-ratings", Summary: "Open a period's rating of the service units (M5.3)", Tag: "assessment", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusCreated, Body: ComputeInput{}, Resp: RatingRound{}, Handler: s.openRound},
		{Method: http.MethodGet, Path: v1 + "/service-ratings", Summary: "A period's rating round: for a unit the service units it dealt with and its ratings; for desk roles the count and mean per service unit", Tag: "assessment", Roles: read, County: true,
			Query: []httpapi.Param{{Name: "period", Description: "half | year", Type: "string"}, {Name: "at", Description: "2026-H1、2026", Type: "string"}}, Resp: RatingRound{}, Handler: s.getRound},
		{Method: http.MethodPut, Path: v1 + "/service-ratings/:id/units/:unitId", Summary: "A unit rates a service unit it dealt with (0-100; revisable while open; anonymous to the rated unit)", Tag: "assessment", Roles: []authz.Role{authz.UnitUser}, County: true, Body: RatingInput{}, Resp: RatingRound{}, Handler: s.rate},
		{Method: http.MethodPost, Path: v1 + "/service-ratings/:id/close", Summary: "End a rating round", Tag: "assessment", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusNoContent, Handler: s.closeRound},
	}
}

func (s *API) roundView(r *httpapi.Req, rd assessmentdb.Round) (RatingRound, error) {
	out := RatingRound{ID: rd.ID, Period: rd.Period, Start: rd.PeriodStart.Format(time.DateOnly), End: rd.PeriodEnd.Format(time.DateOnly), Status: rd.Status,
		Rateables: []assessmentdb.Rateable{}, Summary: []assessmentdb.RoundSummary{}}
	sc, err := s.Scope(r)
	if err != nil {
		return out, err
	}
	if sc == nil {
		out.Summary, err = assessmentdb.Summary(r.Ctx, r.Tx, rd)
		return out, err
	}
	if sc.UnitID != nil {
		out.Rateables, err = assessmentdb.Rateables(r.Ctx, r.Tx, rd, *sc.UnitID)
	}
	return out, err
}

func (s *API) openRound(r *httpapi.Req) (any, error) {
	var in ComputeInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	p, err := period(in.Period, in.At)
	if err != nil {
		return nil, err
	}
	rd, err := assessmentdb.OpenRound(r.Ctx, r.Tx, p, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return s.roundView(r, rd)
}

func (s *API) getRound(r *httpapi.Req) (any, error) {
	p, err := period(r.C.QueryParam("period"), r.C.QueryParam("at"))
	if err != nil {
		return nil, err
	}
	rd, err := assessmentdb.GetRound(r.Ctx, r.Tx, p)
	if err != nil {
		return nil, err
	}
	if rd == nil {
		return nil, errs.E(errs.NotFound, "round_not_found", "本期服务单位评价尚未开启", "no rating round for this period")
	}
	return s.roundView(r, *rd)
}

func (s *API) roundByID(r *httpapi.Req) (assessmentdb.Round, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return assessmentdb.Round{}, err
	}
	var list []assessmentdb.Round
	if err := r.Tx.NewSelect().Model(&list).Where("srr.id = ?", id).Scan(r.Ctx); err != nil {
		return assessmentdb.Round{}, err
	}
	if len(list) == 0 {
		return assessmentdb.Round{}, errs.E(errs.NotFound, "round_not_found", "未找到该评价", "no such rating round")
	}
	return list[0], nil
}

func (s *API) rate(r *httpapi.Req) (any, error) {
	rd, err := s.roundByID(r)
	if err != nil {
		return nil, err
	}
	unit, err := httpapi.PathID(r.C, "unitId")
	if err != nil {
		return nil, err
	}
	var in RatingInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	if sc == nil || sc.UnitID == nil {
		return nil, errs.E(errs.Forbidden, "no_unit", "您的账号未关联单位，不能评价", "your account has no unit: it cannot rate")
	}
	if err := assessmentdb.Rate(r.Ctx, r.Tx, rd, *sc.UnitID, unit, in.Score, in.Comment, r.Session.AccountID, s.Now()); err != nil {
		return nil, err
	}
	return s.roundView(r, rd)
}

func (s *API) closeRound(r *httpapi.Req) (any, error) {
	rd, err := s.roundByID(r)
	if err != nil {
		return nil, err
	}
	return nil, assessmentdb.CloseRound(r.Ctx, r.Tx, rd.ID, s.Now())
}
