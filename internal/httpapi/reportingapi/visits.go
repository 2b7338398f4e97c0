package reportingapi

import (
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
)

// VisitInput is a check-in: the phone's location and, if not now, the time.
type VisitInput struct {
	Latitude  float64    `json:"latitude"`
	Longitude float64    `json:"longitude"`
	AccuracyM *int       `json:"accuracy_m,omitempty"`
	VisitedAt *time.Time `json:"visited_at,omitempty"`
	Note      string     `json:"note,omitempty"`
}

// Visit is a recorded check-in with its verdict.
type Visit struct {
	ID         uuid.UUID `json:"id"`
	PersonID   uuid.UUID `json:"person_id"`
	PersonName string    `json:"person_name"`
	Role       string    `json:"role" enum:"chief,assistant,responsible,helper"`
	VisitedAt  time.Time `json:"visited_at"`
	Week       string    `json:"week" format:"date"`
	DistanceM  *int      `json:"distance_m"`
	Verified   bool      `json:"verified"`
	Reason     string    `json:"reason"`
	Note       string    `json:"note"`
}

// ComplianceRow is one seat of one listed project in a week.
type ComplianceRow struct {
	ProjectID   uuid.UUID  `json:"project_id"`
	ProjectCode string     `json:"project_code"`
	ProjectName string     `json:"project_name"`
	Role        string     `json:"role" enum:"chief,assistant,responsible,helper"`
	PersonID    *uuid.UUID `json:"person_id"`
	PersonName  string     `json:"person_name"`
	Required    int        `json:"required"`
	Done        int        `json:"done"`
	Met         bool       `json:"met"`
}

func toVisitAPI(v reportingdb.Visit, name string) Visit {
	if v.PersonName != "" {
		name = v.PersonName
	}
	return Visit{ID: v.ID, PersonID: v.PersonID, PersonName: name, Role: v.Role, VisitedAt: v.VisitedAt, Week: v.WeekStart.Format(time.DateOnly),
		DistanceM: v.DistanceM, Verified: v.Verified, Reason: v.Reason, Note: v.Note}
}

var errNoSeat = errs.E(errs.Forbidden, "not_your_seat", "只有本项目1+3专班成员可以登记到场", "only members of this project's task force record site visits")

// recordVisit checks in the caller, who must hold a seat of the project today.
func (s *API) recordVisit(r *httpapi.Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	var in VisitInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var v errs.Validation
	if in.Latitude < -90 || in.Latitude > 90 || in.Longitude < -180 || in.Longitude > 180 || (in.Latitude == 0 && in.Longitude == 0) {
		v.Add("latitude", "invalid_location", "未取得有效的定位", "no valid location")
	}
	if len([]rune(in.Note)) > 500 {
		v.Add("note", "too_long", "说明不能超过500字", "note must be at most 500 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	at := now
	if in.VisitedAt != nil {
		at = *in.VisitedAt
	}
	if r.Session.PersonID == nil {
		return nil, errNoSeat
	}
	holders, err := postgres.TaskForceOn(r.Ctx, r.Tx, p.ID, s.Today())
	if err != nil {
		return nil, err
	}
	var role project.Role
	var name string
	for _, h := range holders {
		if h.PersonID == *r.Session.PersonID {
			role, name = h.Role, h.PersonName
			break
		}
	}
	if role == "" {
		return nil, errNoSeat
	}
	visit, err := reportingdb.RecordVisit(r.Ctx, r.Tx, p, reportingdb.Visit{PersonID: *r.Session.PersonID, Role: string(role), VisitedAt: at,
		RecordedAt: now, Latitude: in.Latitude, Longitude: in.Longitude, AccuracyM: in.AccuracyM, Note: in.Note})
	return toVisitAPI(visit, name), err
}

func (s *API) listVisits(r *httpapi.Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	week, err := s.WeekQuery(r)
	if err != nil {
		return nil, err
	}
	vs, err := reportingdb.ListVisits(r.Ctx, r.Tx, p.ID, week)
	out := make([]Visit, len(vs))
	for i, v := range vs {
		out[i] = toVisitAPI(v, "")
	}
	return out, err
}

func (s *API) visitCompliance(r *httpapi.Req) (any, error) {
	week, err := s.WeekQuery(r)
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	page, err := httpapi.PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	rows, next, err := reportingdb.Compliance(r.Ctx, r.Tx, week, sc, page)
	out := make([]ComplianceRow, len(rows))
	for i, x := range rows {
		out[i] = ComplianceRow{ProjectID: x.ProjectID, ProjectCode: x.ProjectCode, ProjectName: x.ProjectName, Role: string(x.Role),
			PersonID: x.PersonID, PersonName: x.PersonName, Required: x.Required, Done: x.Done, Met: x.Met()}
	}
	return httpapi.NewList(out, next), err
}
