// Package observationapi is the HTTP API of the monthly observation
// (观摩评比): events, judges' sheets on the phone, closing and results.
package observationapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/reportingapi"
	"github.com/tuijin/tuijin/internal/observation"
	"github.com/tuijin/tuijin/internal/observation/observationdb"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
)

// API serves the area's routes on the platform's Server.
type API struct{ *httpapi.Server }

// Routes are the area's routes, for httpapi.Deps.Areas.
func Routes(s *httpapi.Server) []*httpapi.Route { return (&API{s}).routes() }

// ObservationEvent is an observation event.
type ObservationEvent struct {
	ID       uuid.UUID       `json:"id"`
	Month    string          `json:"month" description:"2026-09"`
	HeldOn   string          `json:"held_on" format:"date"`
	Title    string          `json:"title"`
	HalfYear bool            `json:"half_year" description:"June's or December's: the half-year observation"`
	Status   string          `json:"status" enum:"open,closed"`
	Rubric   settings.Rubric `json:"rubric"`
	Method   string          `json:"method_text" description:"how the judges' sheets combine, as the review prints it"`
	Judges   []uuid.UUID     `json:"judges"`
	ClosedAt *time.Time      `json:"closed_at"`
	Note     string          `json:"close_note" description:"at close: why sheets were missing"`
	Version  int             `json:"version"`
}

func toEvent(e observationdb.Event) ObservationEvent {
	r := e.Rubric()
	return ObservationEvent{ID: e.ID, Month: e.Month.Format("2006-01"), HeldOn: e.HeldOn.Format(time.DateOnly), Title: e.Title, HalfYear: e.HalfYear,
		Status: e.Status, Rubric: r.Rubric, Method: r.MethodText(), Judges: append([]uuid.UUID{}, e.Judges...), ClosedAt: e.ClosedAt, Note: e.CloseNote, Version: e.Version}
}

// Sheet is a judge's sheet as shown: one's own, or anyone's after close.
type Sheet struct {
	ProjectID   uuid.UUID      `json:"project_id"`
	JudgeID     uuid.UUID      `json:"judge_id"`
	Judge       string         `json:"judge"`
	Points      map[string]int `json:"points"`
	Total       int            `json:"total"`
	Comment     string         `json:"comment"`
	Photos      []SheetPhoto   `json:"photos" description:"photos the judge took at the site"`
	SubmittedAt time.Time      `json:"submitted_at"`
}

// SheetPhoto is a photo on a sheet, with short-lived URLs.
type SheetPhoto struct {
	ID         uuid.UUID `json:"id"`
	ProjectID  uuid.UUID `json:"project_id"`
	State      string    `json:"state" enum:"processing,ready,unreadable"`
	DisplayURL string    `json:"display_url"`
	ThumbURL   string    `json:"thumb_url"`
}

// photos turns stored photos into what the caller is shown, by id.
func (s *API) photos(r *httpapi.Req, ids []uuid.UUID) (map[uuid.UUID]SheetPhoto, error) {
	ps, err := reportingdb.PhotosByID(r.Ctx, r.Tx, ids)
	out := map[uuid.UUID]SheetPhoto{}
	for _, p := range ps {
		out[p.ID] = s.sheetPhoto(r, p)
	}
	return out, err
}

func (s *API) sheetPhoto(r *httpapi.Req, p reportingdb.Photo) SheetPhoto {
	x := (&reportingapi.API{Server: s.Server}).ToPhoto(r, p)
	return SheetPhoto{ID: p.ID, ProjectID: p.ProjectID, State: x.State, DisplayURL: x.DisplayURL, ThumbURL: x.ThumbURL}
}

func toSheet(s observationdb.Score, photos map[uuid.UUID]SheetPhoto) Sheet {
	out := Sheet{ProjectID: s.ProjectID, JudgeID: s.JudgeID, Judge: s.JudgeName, Points: s.Points, Total: s.Total, Comment: s.Comment,
		Photos: []SheetPhoto{}, SubmittedAt: s.SubmittedAt}
	for _, id := range s.PhotoIDs {
		if p, ok := photos[id]; ok {
			out.Photos = append(out.Photos, p)
		}
	}
	return out
}

// Progress is who has scored which site (the office sees it while scoring runs).
type Progress struct {
	JudgeID uuid.UUID   `json:"judge_id"`
	Judge   string      `json:"judge"`
	Scored  []uuid.UUID `json:"scored" description:"the sites this judge has scored"`
	Missing int         `json:"missing"`
}

// ObservationResult is a site's or a unit's result.
type ObservationResult struct {
	Kind      string    `json:"kind" enum:"site,unit"`
	SubjectID uuid.UUID `json:"subject_id"`
	Name      string    `json:"name"`
	Pool      string    `json:"pool" enum:",townships,zones,departments"`
	PoolName  string    `json:"pool_name"`
	Score     string    `json:"score" description:"two decimals"`
	Rank      int       `json:"rank"`
	Judges    int       `json:"judges" description:"judges who scored the site"`
	TieNote   string    `json:"tie_note" description:"how a tie was resolved, or that the rank is shared"`
}

// ObservationDetail is an event with what the caller may see of it.
type ObservationDetail struct {
	Event    ObservationEvent     `json:"event"`
	Sites    []observationdb.Site `json:"sites"`
	Judges   []Progress           `json:"judges" description:"who has scored what (desk roles); values stay hidden until close"`
	Mine     []Sheet              `json:"mine" description:"the caller's own sheets"`
	MyPhotos []SheetPhoto         `json:"my_photos" description:"every photo the caller took for this observation (those not on a submitted sheet belong to a sheet not yet sent)"`
	Sheets   []Sheet              `json:"sheets" description:"every sheet, once closed"`
	Results  []ObservationResult  `json:"results"`
	IsJudge  bool                 `json:"is_judge"`
	MayClose bool                 `json:"may_close"`
}

// EventInput creates an event.
type EventInput struct {
	Month  string      `json:"month" description:"2026-09"`
	HeldOn string      `json:"held_on" format:"date"`
	Title  string      `json:"title"`
	Judges []uuid.UUID `json:"judges" description:"people (assessment group members, leaders)"`
	Sites  []uuid.UUID `json:"sites" description:"projects in tour order"`
}

// SheetInput is a judge's sheet for a site.
type SheetInput struct {
	ProjectID      uuid.UUID      `json:"project_id"`
	Points         map[string]int `json:"points"`
	Comment        string         `json:"comment,omitempty"`
	PhotoIDs       []uuid.UUID    `json:"photo_ids,omitempty" description:"photos uploaded for this site (POST /observations/{id}/photos), at most 6"`
	IdempotencyKey string         `json:"idempotency_key" description:"the browser's key for this submission: a retry with it counts once"`
}

// CloseInput ends scoring.
type CloseInput struct {
	Note string `json:"note,omitempty" description:"required when sheets are missing"`
}

func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	return append([]*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/observations", Summary: "A year's observations (desk roles; a judge those they judge)", Tag: "observation", Roles: httpapi.CountyRead, County: true,
			Query: []httpapi.Param{{Name: "year", Description: "年份（默认今年）", Type: "integer"}}, Resp: []ObservationEvent{}, Handler: s.list},
		{Method: http.MethodPost, Path: v1 + "/observations", Summary: "Put a month's observation on record: its sites in tour order, its judges, the rubric in force", Tag: "observation", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusCreated, Body: EventInput{}, Resp: ObservationEvent{}, Handler: s.create},
		{Method: http.MethodGet, Path: v1 + "/observations/:id", Summary: "An observation: sites, who has scored, one's own sheets; every sheet and the results once closed", Tag: "observation", Roles: httpapi.CountyRead, County: true, Resp: ObservationDetail{}, Handler: s.get},
		{Method: http.MethodPost, Path: v1 + "/observations/:id/sheets", Summary: "A judge's sheet for a site, once (a retry with the same idempotency key returns it)", Tag: "observation", Roles: httpapi.CountyRead, County: true, Status: http.StatusCreated, Body: SheetInput{}, Resp: Sheet{}, Handler: s.submit},
		{Method: http.MethodPost, Path: v1 + "/observations/:id/photos", Summary: "A judge's photo of a site for the sheet not yet sent (JPEG/PNG; at most 6 a site; the same bytes again return the same photo)", Tag: "observation", Roles: httpapi.CountyRead, County: true, Status: http.StatusCreated, Upload: "image/jpeg,image/png", Query: []httpapi.Param{{Name: "project", Description: "观摩点（项目）", Type: "uuid"}}, Resp: SheetPhoto{}, Handler: s.addPhoto},
		{Method: http.MethodPost, Path: v1 + "/observations/:id/close", Summary: "End scoring and rank: sites, and units in their pools", Tag: "observation", Roles: httpapi.OfficeOnly, County: true, Body: CloseInput{}, Resp: []ObservationResult{}, Handler: s.close},
	}, s.reviewRoutes()...)
}

func (s *API) list(r *httpapi.Req) (any, error) {
	year := s.Today().Year()
	if q := r.C.QueryParam("year"); q != "" {
		y, err := strconv.Atoi(q)
		if err != nil || y < 2000 || y > 2100 {
			var v errs.Validation
			v.Add("year", "invalid_year", "年份无效", "invalid year")
			return nil, v.Err()
		}
		year = y
	}
	list, err := observationdb.ListEvents(r.Ctx, r.Tx, year)
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	out := []ObservationEvent{}
	for _, e := range list {
		if sc == nil || e.IsJudge(r.Session.PersonID) {
			out = append(out, toEvent(e))
		}
	}
	return out, nil
}

func (s *API) create(r *httpapi.Req) (any, error) {
	var in EventInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d httpapi.Dates
	month := d.Req("month", in.Month+"-01")
	held := d.Req("held_on", in.HeldOn)
	if err := d.Err(); err != nil {
		return nil, err
	}
	e, err := observationdb.CreateEvent(r.Ctx, r.Tx, observationdb.EventInput{Month: month, HeldOn: held, Title: in.Title, Judges: in.Judges, Sites: in.Sites},
		r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return toEvent(e), nil
}

// visible loads the :id event if the caller may see it: desk roles, or its judges.
func (s *API) visible(r *httpapi.Req) (observationdb.Event, bool, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return observationdb.Event{}, false, err
	}
	e, err := observationdb.GetEvent(r.Ctx, r.Tx, id)
	if err != nil {
		return e, false, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return e, false, err
	}
	if sc != nil && !e.IsJudge(r.Session.PersonID) {
		return e, false, errs.E(errs.NotFound, "observation_not_found", "未找到该观摩活动", "no such observation")
	}
	return e, sc == nil, nil
}

func (s *API) get(r *httpapi.Req) (any, error) {
	e, desk, err := s.visible(r)
	if err != nil {
		return nil, err
	}
	sites, err := observationdb.Sites(r.Ctx, r.Tx, e.ID)
	if err != nil {
		return nil, err
	}
	all, err := observationdb.Scores(r.Ctx, r.Tx, e.ID, nil)
	if err != nil {
		return nil, err
	}
	out := ObservationDetail{Event: toEvent(e), Sites: sites, Judges: []Progress{}, Mine: []Sheet{}, MyPhotos: []SheetPhoto{}, Sheets: []Sheet{}, Results: []ObservationResult{},
		IsJudge: e.IsJudge(r.Session.PersonID), MayClose: s.IsOffice(r) && e.Status == "open"}
	// The photos shown: the caller's own, and every sheet's once closed.
	var shown []uuid.UUID
	for _, sc := range all {
		if e.Status == "closed" || (r.Session.PersonID != nil && sc.JudgeID == *r.Session.PersonID) {
			shown = append(shown, sc.PhotoIDs...)
		}
	}
	mine, err := observationdb.PhotosBy(r.Ctx, r.Tx, e.ID, r.Session.AccountID)
	if err != nil {
		return nil, err
	}
	photos, err := s.photos(r, append(shown, mine...))
	if err != nil {
		return nil, err
	}
	for _, id := range mine {
		out.MyPhotos = append(out.MyPhotos, photos[id])
	}
	for _, sc := range all {
		if r.Session.PersonID != nil && sc.JudgeID == *r.Session.PersonID {
			out.Mine = append(out.Mine, toSheet(sc, photos))
		}
		if e.Status == "closed" {
			out.Sheets = append(out.Sheets, toSheet(sc, photos))
		}
	}
	if desk {
		var names []struct {
			ID   uuid.UUID `bun:"id"`
			Name string    `bun:"name"`
		}
		if err := r.Tx.NewRaw("SELECT id, name FROM people WHERE id IN (?)", bunList(e.Judges)).Scan(r.Ctx, &names); err != nil {
			return nil, err
		}
		name := map[uuid.UUID]string{}
		for _, n := range names {
			name[n.ID] = n.Name
		}
		for _, j := range e.Judges {
			p := Progress{JudgeID: j, Judge: name[j], Scored: []uuid.UUID{}}
			for _, sc := range all {
				if sc.JudgeID == j {
					p.Scored = append(p.Scored, sc.ProjectID)
				}
			}
			p.Missing = len(sites) - len(p.Scored)
			out.Judges = append(out.Judges, p)
		}
	}
	if e.Status == "closed" {
		res, err := observationdb.Results(r.Ctx, r.Tx, e.ID)
		if err != nil {
			return nil, err
		}
		out.Results = httpapi.APIList(res, toResult)
	}
	return out, nil
}

func toResult(x observationdb.Result) ObservationResult {
	return ObservationResult{Kind: x.Kind, SubjectID: x.SubjectID, Name: x.Name, Pool: x.Pool, PoolName: observation.PoolNames[x.Pool], Score: x.Score,
		Rank: x.Rank, Judges: x.Judges, TieNote: x.TieNote}
}

func (s *API) submit(r *httpapi.Req) (any, error) {
	e, _, err := s.visible(r)
	if err != nil {
		return nil, err
	}
	var in SheetInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if !e.IsJudge(r.Session.PersonID) {
		return nil, errs.E(errs.Forbidden, "not_a_judge", "您不是本次观摩的评委", "you are not a judge of this observation")
	}
	sc, replay, err := observationdb.Submit(r.Ctx, r.Tx, e.ID, *r.Session.PersonID, r.Session.AccountID,
		observationdb.ScoreInput{ProjectID: in.ProjectID, Points: in.Points, Comment: in.Comment, PhotoIDs: in.PhotoIDs, IdemKey: in.IdempotencyKey}, s.Now())
	if err != nil {
		return nil, err
	}
	if replay {
		r.C.Response().Header().Set("Idempotent-Replay", "true")
	}
	photos, err := s.photos(r, sc.PhotoIDs)
	return toSheet(sc, photos), err
}

// addPhoto takes a judge's photo for a site's sheet before the sheet is
// sent, as a site photo is taken (see reportingapi.StorePhoto): checked in
// the request's short transaction, the body read with none open. The same
// bytes sent again for the same site return the photo taken the first time
// (Idempotent-Replay: true), so a phone's retry never counts twice.
func (s *API) addPhoto(r *httpapi.Req) (any, error) {
	e, _, err := s.visible(r)
	if err != nil {
		return nil, err
	}
	project, err := uuid.Parse(r.C.QueryParam("project"))
	if err != nil {
		return nil, errs.E(errs.Invalid, "project_required", "请指明观摩点（project）", "name the site (project)")
	}
	if _, err := observationdb.CheckSheetPhoto(r.Ctx, r.Tx, e.ID, project, r.Session.PersonID); err != nil {
		return nil, err // refused before the body is read
	}
	judge := *r.Session.PersonID
	rp := &reportingapi.API{Server: s.Server}
	saved, replay, err := rp.StorePhoto(r, reportingdb.Photo{ProjectID: project, WeekStart: reporting.WeekStart(s.Now()), ObservationID: &e.ID},
		func(ctx context.Context, tx bun.IDB, p reportingdb.Photo) (reportingdb.Photo, bool, error) {
			return observationdb.AddSheetPhoto(ctx, tx, p, judge)
		})
	if err != nil {
		return nil, err
	}
	if replay {
		r.C.Response().Header().Set("Idempotent-Replay", "true")
	}
	return s.sheetPhoto(r, saved), nil
}

func (s *API) close(r *httpapi.Req) (any, error) {
	e, _, err := s.visible(r)
	if err != nil {
		return nil, err
	}
	var in CloseInput
	if r.C.Request().ContentLength != 0 {
		if err := httpapi.BindJSON(r.C, &in); err != nil {
			return nil, err
		}
	}
	res, err := observationdb.Close(r.Ctx, r.Tx, e.ID, in.Note, r.Session.AccountID, s.Now())
	return httpapi.APIList(res, toResult), err
}

func bunList(ids []uuid.UUID) any { return bun.List(ids) }
