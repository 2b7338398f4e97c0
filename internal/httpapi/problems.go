package httpapi

import (
	"time"

	"github.com/google/uuid"
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

func toProblemAPI(p reportingdb.Problem, today time.Time) Problem {
	return Problem{ID: p.ID, ProjectID: p.ProjectID, ProjectName: p.ProjectName, Source: p.Source, Category: p.Category,
		Description: p.Description, RaisedBy: p.RaisedBy, RaisedAt: p.RaisedAt, Level: p.Level, AssignedUnitID: p.AssignedUnitID,
		Deadline: dateString(p.Deadline), Overdue: p.Deadline != nil && p.Deadline.Before(today) && (p.Status == "open" || p.Status == "in_progress"),
		Status: p.Status, Resolution: p.Resolution, ResolvedAt: p.ResolvedAt, Version: p.Version}
}

func (s *Server) listProblems(r *Req) (any, error) {
	sc, err := s.scope(r)
	if err != nil {
		return nil, err
	}
	f := reportingdb.ProblemFilter{Status: r.C.QueryParam("status"), Overdue: r.C.QueryParam("overdue") == "true", Today: s.today(), Scope: sc}
	if f.ProjectID, err = queryUUID(r.C, "project_id"); err != nil {
		return nil, err
	}
	ps, err := reportingdb.ListProblems(r.Ctx, r.Tx, f)
	return apiList(ps, func(p reportingdb.Problem) Problem { return toProblemAPI(p, s.today()) }), err
}

func (s *Server) getProblem(r *Req) (any, error) {
	id, err := pathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	sc, err := s.scope(r)
	if err != nil {
		return nil, err
	}
	p, err := reportingdb.GetProblem(r.Ctx, r.Tx, id, sc, s.today())
	return toProblemAPI(p, s.today()), err
}

func (s *Server) raiseProblem(r *Req) (any, error) {
	p, err := s.visibleProject(r)
	if err != nil {
		return nil, err
	}
	var in ProblemInput
	if err := bindJSON(r.C, &in); err != nil {
		return nil, err
	}
	raised, err := reportingdb.RaiseProblem(r.Ctx, r.Tx, reportingdb.Problem{ProjectID: p.ID, Source: in.Source, Category: in.Category,
		Description: in.Description, RaisedBy: r.Session.PersonID})
	raised.ProjectName = p.Name
	return toProblemAPI(raised, s.today()), err
}

func (s *Server) handleProblem(r *Req) (any, error) {
	id, err := pathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ProblemUpdate
	if err := bindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, errVersionRequired
	}
	var d dates
	deadline := d.opt("deadline", in.Deadline)
	if err := d.err(); err != nil {
		return nil, err
	}
	p, err := reportingdb.HandleProblem(r.Ctx, r.Tx, reportingdb.Problem{ID: id, Level: in.Level, AssignedUnitID: in.AssignedUnitID,
		Deadline: deadline, Status: in.Status, Resolution: in.Resolution, Version: in.Version}, s.Now())
	return toProblemAPI(p, s.today()), err
}
