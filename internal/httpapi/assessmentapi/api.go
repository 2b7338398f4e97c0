// Package assessmentapi is the HTTP API of the half-year and year-end
// assessment: computing a version from a frozen snapshot, the office's
// adjustments, the leading group's approval, and each unit's breakdown.
package assessmentapi

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
)

// API serves the area's routes on the platform's Server.
type API struct{ *httpapi.Server }

// Routes are the area's routes, for httpapi.Deps.Areas.
func Routes(s *httpapi.Server) []*httpapi.Route { return (&API{s}).routes() }

// AssessmentVersion is a version with its result.
type AssessmentVersion struct {
	ID             uuid.UUID               `json:"id"`
	Period         string                  `json:"period" enum:"half,year"`
	Start          string                  `json:"start" format:"date"`
	End            string                  `json:"end" format:"date"`
	Version        int                     `json:"version"`
	Status         string                  `json:"status" enum:"computed,approved"`
	Reason         string                  `json:"reason"`
	SnapshotSHA256 string                  `json:"snapshot_sha256"`
	ResultSHA256   string                  `json:"result_sha256"`
	ComputedAt     time.Time               `json:"computed_at"`
	ApprovedAt     *time.Time              `json:"approved_at"`
	Adjustments    []assessment.Adjustment `json:"adjustments"`
	Result         assessment.Result       `json:"result" description:"a unit's own account sees its own line and outcomes only"`
}

func toVersion(v assessmentdb.Version, only *uuid.UUID) (AssessmentVersion, error) {
	r, err := v.Decoded()
	if err != nil {
		return AssessmentVersion{}, err
	}
	out := AssessmentVersion{ID: v.ID, Period: v.Period, Start: v.PeriodStart.Format(time.DateOnly), End: v.PeriodEnd.Format(time.DateOnly), Version: v.Version,
		Status: v.Status, Reason: v.Reason, SnapshotSHA256: hexs(v.SnapshotSHA256), ResultSHA256: hexs(v.ResultSHA256), ComputedAt: v.ComputedAt,
		ApprovedAt: v.ApprovedAt, Adjustments: []assessment.Adjustment{}, Result: r}
	var snap assessment.Snapshot
	if err := jsonUnmarshal(v.Snapshot, &snap); err == nil {
		out.Adjustments = append(out.Adjustments, snap.Adjustments...)
	}
	if only != nil {
		id := only.String()
		mine := r
		mine.Units, mine.Outcomes = []assessment.UnitResult{}, []assessment.Outcome{}
		for _, u := range r.Units {
			if u.UnitID == id {
				mine.Units = append(mine.Units, u)
			}
		}
		for _, o := range r.Outcomes {
			if o.UnitID == id {
				mine.Outcomes = append(mine.Outcomes, o)
			}
		}
		out.Result, out.Adjustments = mine, []assessment.Adjustment{}
	}
	return out, nil
}

// ComputeInput computes a period's assessment.
type ComputeInput struct {
	Period string `json:"period" enum:"half,year"`
	At     string `json:"at" description:"2026-H1, 2026"`
	Reason string `json:"reason,omitempty" description:"a correction of an approved version needs one"`
}

// AssessmentRun is the office's request to compute a period's assessment,
// carried out by the worker.
type AssessmentRun struct {
	ID           uuid.UUID  `json:"id"`
	Period       string     `json:"period" enum:"half,year"`
	Start        string     `json:"start" format:"date"`
	Reason       string     `json:"reason"`
	Status       string     `json:"status" enum:"queued,done,failed" description:"queued: the worker is gathering the snapshot and computing; done: assessment_id is the version; failed: error says why"`
	AssessmentID *uuid.UUID `json:"assessment_id"`
	ErrorZH      string     `json:"error_zh"`
	ErrorEN      string     `json:"error_en"`
	RequestedAt  time.Time  `json:"requested_at"`
	FinishedAt   *time.Time `json:"finished_at"`
}

func toRun(r assessmentdb.Run) AssessmentRun {
	return AssessmentRun{ID: r.ID, Period: r.Period, Start: r.PeriodStart.Format(time.DateOnly), Reason: r.Reason, Status: r.Status,
		AssessmentID: r.AssessmentID, ErrorZH: r.ErrorZH, ErrorEN: r.ErrorEN, RequestedAt: r.RequestedAt, FinishedAt: r.FinishedAt}
}

// AdjustmentInput adjusts a unit's component.
type AdjustmentInput struct {
	UnitID    string `json:"unit_id"`
	Component string `json:"component" enum:"investment,node_plan,observation,supervision,letters"`
	Points    string `json:"points" description:"added to the component's score, e.g. -5 or 2.5"`
	Reason    string `json:"reason"`
}

func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	read := []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin, authz.Inspector, authz.UnitUser}
	return append([]*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/assessments", Summary: "A period's assessment versions, newest first (a unit sees its own line)", Tag: "assessment", Roles: read, County: true,
			Query: []httpapi.Param{{Name: "period", Description: "half | year", Type: "string"}, {Name: "at", Description: "2026-H1、2026", Type: "string"}}, Resp: []AssessmentVersion{}, Handler: s.list},
		{Method: http.MethodPost, Path: v1 + "/assessments", Summary: "Ask the worker to compute a period's assessment from a frozen snapshot of its inputs (again in place until approved; after approval a correction with a reason); follow the request at /assessment-runs/{id}", Tag: "assessment", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusAccepted, Body: ComputeInput{}, Resp: AssessmentRun{}, Handler: s.compute},
		{Method: http.MethodGet, Path: v1 + "/assessment-runs", Summary: "A period's requests to compute, newest first", Tag: "assessment", Roles: httpapi.DeskRead, County: true,
			Query: []httpapi.Param{{Name: "period", Description: "half 或 year", Type: "string"}, {Name: "at", Description: "2026-H1、2026", Type: "string"}}, Resp: []AssessmentRun{}, Handler: s.runs},
		{Method: http.MethodGet, Path: v1 + "/assessment-runs/:id", Summary: "A request to compute: queued, done (with the version) or failed (with why)", Tag: "assessment", Roles: httpapi.DeskRead, County: true, Resp: AssessmentRun{}, Handler: s.run},
		{Method: http.MethodGet, Path: v1 + "/assessments/:id", Summary: "A version with its result (a unit sees its own breakdown)", Tag: "assessment", Roles: read, County: true, Resp: AssessmentVersion{}, Handler: s.get},
		{Method: http.MethodPost, Path: v1 + "/assessments/:id/adjustments", Summary: "Adjust a unit's component with a reason (the office, before approval)", Tag: "assessment", Roles: httpapi.OfficeOnly, County: true, Body: AdjustmentInput{}, Resp: AssessmentVersion{}, Handler: s.adjust},
		{Method: http.MethodPost, Path: v1 + "/assessments/:id/approve", Summary: "The leading group approves: the version is final", Tag: "assessment", Roles: []authz.Role{authz.LeadingGroup}, County: true, Resp: AssessmentVersion{}, Handler: s.approve},
	}, append(append(append(s.serviceRoutes(), s.noticeRoutes()...), s.accountabilityRoutes()...), s.recordRoutes()...)...)
}

func (s *API) files(r *httpapi.Req) assessmentdb.Files {
	f := assessmentdb.Files{RetainYears: s.Config.RetainYears}
	if k := s.Keeper(r); k != nil {
		f.Store = k // queued with the rows, stored after the commit
	}
	return f
}

// only is the unit a scoped caller may see (nil: everything).
func (s *API) only(r *httpapi.Req) (*uuid.UUID, error) {
	sc, err := s.Scope(r)
	if err != nil || sc == nil {
		return nil, err
	}
	if sc.UnitID == nil {
		none := uuid.Nil
		return &none, nil
	}
	return sc.UnitID, nil
}

func period(kind, at string) (bulletin.Period, error) {
	if kind != "half" && kind != "year" {
		var v errs.Validation
		v.Add("period", "invalid_period", "考核期间须为 half（半年）或 year（年度）", "period is half or year")
		return bulletin.Period{}, v.Err()
	}
	return bulletin.ParsePeriod(kind, at)
}

func (s *API) list(r *httpapi.Req) (any, error) {
	p, err := period(r.C.QueryParam("period"), r.C.QueryParam("at"))
	if err != nil {
		return nil, err
	}
	only, err := s.only(r)
	if err != nil {
		return nil, err
	}
	list, err := assessmentdb.List(r.Ctx, r.Tx, p)
	if err != nil {
		return nil, err
	}
	out := []AssessmentVersion{}
	for _, v := range list {
		if only != nil && v.Status != "approved" {
			continue // a unit sees approved results only
		}
		a, err := toVersion(v, only)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *API) compute(r *httpapi.Req) (any, error) {
	var in ComputeInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	p, err := period(in.Period, in.At)
	if err != nil {
		return nil, err
	}
	if s.Objects == nil {
		return nil, errStorage
	}
	run, _, err := assessmentdb.Request(r.Ctx, r.Tx, p, in.Reason, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return toRun(run), nil
}

var errStorage = errs.E(errs.Unavailable, "storage_unavailable", "文件存储未配置或不可用，考核暂不能计算", "file storage is not configured or unavailable: assessments cannot be computed now")

func (s *API) runs(r *httpapi.Req) (any, error) {
	p, err := period(r.C.QueryParam("period"), r.C.QueryParam("at"))
	if err != nil {
		return nil, err
	}
	list, err := assessmentdb.Runs(r.Ctx, r.Tx, p, 20)
	return httpapi.APIList(list, toRun), err
}

func (s *API) run(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	run, err := assessmentdb.GetRun(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	return toRun(run), nil
}

func (s *API) load(r *httpapi.Req) (assessmentdb.Version, *uuid.UUID, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return assessmentdb.Version{}, nil, err
	}
	v, err := assessmentdb.Get(r.Ctx, r.Tx, id)
	if err != nil {
		return v, nil, err
	}
	only, err := s.only(r)
	if err != nil {
		return v, nil, err
	}
	if only != nil && v.Status != "approved" {
		return v, nil, errs.E(errs.NotFound, "assessment_not_found", "未找到该考核", "no such assessment")
	}
	return v, only, nil
}

func (s *API) get(r *httpapi.Req) (any, error) {
	v, only, err := s.load(r)
	if err != nil {
		return nil, err
	}
	return toVersion(v, only)
}

func (s *API) adjust(r *httpapi.Req) (any, error) {
	v, _, err := s.load(r)
	if err != nil {
		return nil, err
	}
	var in AdjustmentInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	v, err = assessmentdb.Adjust(r.Ctx, r.Tx, s.files(r), v.ID, assessment.Adjustment{UnitID: in.UnitID, Component: in.Component, Points: in.Points, Reason: in.Reason},
		r.Session.AccountID, r.Session.Username, s.Now())
	if err != nil {
		return nil, err
	}
	return toVersion(v, nil)
}

func (s *API) approve(r *httpapi.Req) (any, error) {
	v, _, err := s.load(r)
	if err != nil {
		return nil, err
	}
	v, err = assessmentdb.Approve(r.Ctx, r.Tx, v.ID, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return toVersion(v, nil)
}

func hexs(b []byte) string { return hex.EncodeToString(b) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
