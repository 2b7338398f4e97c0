package reportingapi

import (
	"time"

	"github.com/google/uuid"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
)

// Problem is a difficulty a project needs solved (M2.3).
type Problem struct {
	ID             uuid.UUID  `json:"id"`
	ProjectID      uuid.UUID  `json:"project_id"`
	ProjectName    string     `json:"project_name"`
	Source         string     `json:"source" enum:"report,visit,direct,inspection"`
	Category       string     `json:"category" enum:"land,funding,approvals,power,relocation,other"`
	Description    string     `json:"description"`
	RaisedBy       *uuid.UUID `json:"raised_by"`
	RaisedAt       time.Time  `json:"raised_at"`
	Level          string     `json:"level" enum:"unit,office,chief,weekly_meeting"`
	AssignedUnitID *uuid.UUID `json:"assigned_unit_id"`
	Deadline       *string    `json:"deadline" format:"date"`
	Overdue        bool       `json:"overdue"`
	Status         string     `json:"status" enum:"open,in_progress,resolved,closed"`
	Resolution     string     `json:"resolution"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	Version        int        `json:"version"`
}

// ProblemInput raises a problem.
type ProblemInput struct {
	Source      string `json:"source" enum:"report,visit,direct,inspection"`
	Category    string `json:"category" enum:"land,funding,approvals,power,relocation,other"`
	Description string `json:"description"`
}

// ProblemUpdate is the office's handling of a problem.
type ProblemUpdate struct {
	Level          string     `json:"level" enum:"unit,office,chief,weekly_meeting"`
	AssignedUnitID *uuid.UUID `json:"assigned_unit_id,omitempty"`
	Deadline       *string    `json:"deadline,omitempty" format:"date"`
	Status         string     `json:"status" enum:"open,in_progress,resolved,closed"`
	Resolution     string     `json:"resolution,omitempty"`
	Version        int        `json:"version"`
}

func ToProblemAPI(p reportingdb.Problem, today time.Time) Problem {
	return Problem{ID: p.ID, ProjectID: p.ProjectID, ProjectName: p.ProjectName, Source: p.Source, Category: p.Category,
		Description: p.Description, RaisedBy: p.RaisedBy, RaisedAt: p.RaisedAt, Level: p.Level, AssignedUnitID: p.AssignedUnitID,
		Deadline: httpapi.DateString(p.Deadline), Overdue: p.Deadline != nil && p.Deadline.Before(today) && (p.Status == "open" || p.Status == "in_progress"),
		Status: p.Status, Resolution: p.Resolution, ResolvedAt: p.ResolvedAt, Version: p.Version}
}

func (s *API) listProblems(r *httpapi.Req) (any, error) {
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	f := reportingdb.ProblemFilter{Status: r.C.QueryParam("status"), Overdue: r.C.QueryParam("overdue") == "true", Today: s.Today(), Scope: sc}
	if f.ProjectID, err = httpapi.QueryUUID(r.C, "project_id"); err != nil {
		return nil, err
	}
	ps, err := reportingdb.ListProblems(r.Ctx, r.Tx, f)
	return httpapi.APIList(ps, func(p reportingdb.Problem) Problem { return ToProblemAPI(p, s.Today()) }), err
}

func (s *API) getProblem(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	p, err := reportingdb.GetProblem(r.Ctx, r.Tx, id, sc, s.Today())
	return ToProblemAPI(p, s.Today()), err
}

func (s *API) raiseProblem(r *httpapi.Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	var in ProblemInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	raised, err := reportingdb.RaiseProblem(r.Ctx, r.Tx, reportingdb.Problem{ProjectID: p.ID, Source: in.Source, Category: in.Category,
		Description: in.Description, RaisedBy: r.Session.PersonID})
	raised.ProjectName = p.Name
	return ToProblemAPI(raised, s.Today()), err
}

func (s *API) handleProblem(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ProblemUpdate
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, httpapi.ErrVersionRequired
	}
	var d httpapi.Dates
	deadline := d.Opt("deadline", in.Deadline)
	if err := d.Err(); err != nil {
		return nil, err
	}
	p, err := reportingdb.HandleProblem(r.Ctx, r.Tx, reportingdb.Problem{ID: id, Level: in.Level, AssignedUnitID: in.AssignedUnitID,
		Deadline: deadline, Status: in.Status, Resolution: in.Resolution, Version: in.Version}, s.Now())
	return ToProblemAPI(p, s.Today()), err
}
