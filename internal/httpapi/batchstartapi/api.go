// Package batchstartapi is the HTTP API of batch ground-breaking rounds
// (双月开工): a round's projects and figures, the ceremony, the reasons.
package batchstartapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/batchstart"
	"github.com/tuijin/tuijin/internal/batchstart/batchstartdb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
)

// API serves the area's routes on the platform's Server.
type API struct{ *httpapi.Server }

// Routes are the area's routes, for httpapi.Deps.Areas.
func Routes(s *httpapi.Server) []*httpapi.Route { return (&API{s}).routes() }

// RoundProject is a project of a round.
type RoundProject struct {
	ID           uuid.UUID `json:"id"`
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	Unit         string    `json:"unit"`
	PlannedStart string    `json:"planned_start" format:"date"`
	StartedOn    *string   `json:"started_on" format:"date"`
	Timing       string    `json:"timing" enum:"early,on_time,late,undated,not_started"`
	TimingName   string    `json:"timing_name" description:"提前开工, 按期开工, 延期开工, 已开工（未填开工日期）, 未开工"`
	Reason       string    `json:"reason" description:"why it has not started, in its unit's words"`
	Present      bool      `json:"present" description:"at the ceremony"`
}

// Ceremony is the round's ceremony as the office recorded it.
type Ceremony struct {
	CeremonyOn string `json:"ceremony_on" format:"date"`
	Place      string `json:"place"`
	Note       string `json:"note"`
	Version    int    `json:"version"`
}

// BatchRound is a round as it stands today.
type BatchRound struct {
	From       string         `json:"from" format:"date"`
	To         string         `json:"to" format:"date"`
	Label      string         `json:"label" description:"2026年3-4月"`
	AsOf       string         `json:"as_of" format:"date"`
	Planned    int            `json:"planned"`
	Started    int            `json:"started"`
	Early      int            `json:"early"`
	OnTime     int            `json:"on_time"`
	Late       int            `json:"late"`
	Undated    int            `json:"undated"`
	NotStarted int            `json:"not_started"`
	Rate       string         `json:"rate" description:"started ÷ planned, percent, one decimal"`
	Projects   []RoundProject `json:"projects" description:"not started first, then by planned start"`
	Ceremony   *Ceremony      `json:"ceremony"`
}

// CeremonyInput records a round's ceremony.
type CeremonyInput struct {
	At         string      `json:"at" format:"date" description:"a day in the round's window"`
	CeremonyOn string      `json:"ceremony_on" format:"date"`
	Place      string      `json:"place,omitempty"`
	Note       string      `json:"note,omitempty"`
	Present    []uuid.UUID `json:"present,omitempty" description:"the round's projects present"`
	Version    int         `json:"version" description:"0 for the first record"`
}

// ReasonInput is a unit's reason a project has not started.
type ReasonInput struct {
	At        string    `json:"at" format:"date" description:"a day in the round's window"`
	ProjectID uuid.UUID `json:"project_id"`
	Reason    string    `json:"reason"`
}

func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/batch-starts", Summary: "A batch ground-breaking round (双月开工) as it stands today: planned, started early / on time / late, not started with reasons, the ceremony", Tag: "batch start", Roles: httpapi.CountyUsers, County: true,
			Query: []httpapi.Param{{Name: "at", Description: "本轮中的任一日期（默认今天）", Type: "date"}}, Resp: BatchRound{}, Handler: s.round},
		{Method: http.MethodPut, Path: v1 + "/batch-starts/ceremony", Summary: "Record or correct a round's ceremony (date, place, projects present)", Tag: "batch start", Roles: httpapi.OfficeOnly, County: true, Body: CeremonyInput{}, Resp: BatchRound{}, Handler: s.ceremony},
		{Method: http.MethodPut, Path: v1 + "/batch-starts/reasons", Summary: "Say why a project of a round has not started (its unit, or the office)", Tag: "batch start", Roles: []authz.Role{authz.Office, authz.UnitUser}, County: true, Body: ReasonInput{}, Resp: BatchRound{}, Handler: s.reason},
	}
}

func (s *API) window(r *httpapi.Req, field, at string) (batchstart.Window, error) {
	day := s.Today()
	if at != "" {
		var d httpapi.Dates
		t := d.Opt(field, &at)
		if err := d.Err(); err != nil {
			return batchstart.Window{}, err
		}
		day = *t
	}
	v, err := postgres.SettingsOn(r.Ctx, r.Tx, day)
	if err != nil {
		return batchstart.Window{}, err
	}
	return batchstart.WindowOf(v.Values.CadenceBatchStart, day), nil
}

func (s *API) roundOf(r *httpapi.Req, w batchstart.Window) (BatchRound, error) {
	today := s.Today()
	rd, err := batchstartdb.GetRound(r.Ctx, r.Tx, w, today)
	if err != nil {
		return BatchRound{}, err
	}
	f := rd.Figures
	out := BatchRound{From: w.From.Format(time.DateOnly), To: w.To.Format(time.DateOnly), Label: f.Label, AsOf: today.Format(time.DateOnly),
		Planned: f.Planned, Started: f.Started, Early: f.Early, OnTime: f.OnTime, Late: f.Late, Undated: f.Undated, NotStarted: f.NotStarted,
		Rate: f.Rate, Projects: []RoundProject{}}
	for i, p := range f.Projects {
		out.Projects = append(out.Projects, RoundProject{ID: rd.IDs[i], Code: p.Code, Name: p.Name, Unit: p.Unit, PlannedStart: p.PlannedStart.Format(time.DateOnly),
			StartedOn: httpapi.DateString(p.StartedOn), Timing: string(p.Timing), TimingName: batchstart.TimingNames[p.Timing], Reason: p.Reason, Present: p.Present})
	}
	if c := rd.Ceremony; c != nil {
		out.Ceremony = &Ceremony{CeremonyOn: c.CeremonyOn.Format(time.DateOnly), Place: c.Place, Note: c.Note, Version: c.Version}
	}
	return out, nil
}

func (s *API) round(r *httpapi.Req) (any, error) {
	w, err := s.window(r, "at", r.C.QueryParam("at"))
	if err != nil {
		return nil, err
	}
	return s.roundOf(r, w)
}

func (s *API) ceremony(r *httpapi.Req) (any, error) {
	var in CeremonyInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	w, err := s.window(r, "at", in.At)
	if err != nil {
		return nil, err
	}
	var d httpapi.Dates
	on := d.Req("ceremony_on", in.CeremonyOn)
	if err := d.Err(); err != nil {
		return nil, err
	}
	if _, err := batchstartdb.RecordCeremony(r.Ctx, r.Tx, w, batchstartdb.CeremonyInput{CeremonyOn: on, Place: in.Place, Note: in.Note,
		Present: in.Present, Version: in.Version}, r.Session.AccountID, s.Now()); err != nil {
		return nil, err
	}
	return s.roundOf(r, w)
}

func (s *API) reason(r *httpapi.Req) (any, error) {
	var in ReasonInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	w, err := s.window(r, "at", in.At)
	if err != nil {
		return nil, err
	}
	var only *uuid.UUID
	if !s.IsOffice(r) {
		sc, err := s.Scope(r)
		if err != nil {
			return nil, err
		}
		if sc == nil || sc.UnitID == nil {
			return nil, errs.E(errs.Forbidden, "no_unit", "您的账号未关联单位", "your account has no unit")
		}
		only = sc.UnitID
	}
	if err := batchstartdb.RecordReason(r.Ctx, r.Tx, w, in.ProjectID, in.Reason, only, r.Session.AccountID, s.Now()); err != nil {
		return nil, err
	}
	return s.roundOf(r, w)
}
