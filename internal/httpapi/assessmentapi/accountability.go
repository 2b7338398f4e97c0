package assessmentapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Accountability is a year's proposals for referral (M5.7) with the
// office's decisions.
type Accountability struct {
	Year         int                     `json:"year"`
	Month        int                     `json:"month" description:"the last month counted"`
	MonthsBehind int                     `json:"months_behind" description:"the setting: consecutive months behind 时序进度"`
	Escalations  int                     `json:"escalations" description:"the setting: escalations in the year"`
	Proposals    []assessment.Proposal   `json:"proposals"`
	Decisions    []AccountabilityOutcome `json:"decisions"`
}

// AccountabilityOutcome is a decision.
type AccountabilityOutcome struct {
	UnitID    uuid.UUID `json:"unit_id"`
	Refer     bool      `json:"refer"`
	Evidence  string    `json:"evidence"`
	Reason    string    `json:"reason"`
	DecidedAt time.Time `json:"decided_at"`
}

// AccountabilityInput is the office's decision on a unit.
type AccountabilityInput struct {
	Year     int    `json:"year"`
	Refer    bool   `json:"refer"`
	Evidence string `json:"evidence,omitempty" description:"the proposal's evidence as shown"`
	Reason   string `json:"reason"`
}

func (s *API) accountabilityRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/accountability", Summary: "Units proposed for referral to the discipline inspection commission (M5.7), with evidence, and the office's decisions", Tag: "assessment", Roles: []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal}, County: true,
			Query: []httpapi.Param{{Name: "year", Description: "年份（默认今年）", Type: "integer"}, {Name: "month", Description: "统计到的月份（默认上月）", Type: "integer"}}, Resp: Accountability{}, Handler: s.accountability},
		{Method: http.MethodPut, Path: v1 + "/accountability/:unitId", Summary: "The office decides whether a unit is referred, with a reason", Tag: "assessment", Roles: httpapi.OfficeOnly, County: true, Body: AccountabilityInput{}, Resp: AccountabilityOutcome{}, Handler: s.decideAccountability},
	}
}

func intParam(r *httpapi.Req, name string, def, lo, hi int) (int, error) {
	q := r.C.QueryParam(name)
	if q == "" {
		return def, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < lo || n > hi {
		var v errs.Validation
		v.Add(name, "out_of_range", "参数超出范围", "out of range")
		return 0, v.Err()
	}
	return n, nil
}

func (s *API) accountability(r *httpapi.Req) (any, error) {
	today := s.Today()
	last := today.AddDate(0, -1, 0)
	year, err := intParam(r, "year", last.Year(), 2000, 2100)
	if err != nil {
		return nil, err
	}
	defMonth := 12
	if year == last.Year() {
		defMonth = int(last.Month())
	}
	month, err := intParam(r, "month", defMonth, 1, 12)
	if err != nil {
		return nil, err
	}
	v, err := postgres.SettingsOn(r.Ctx, r.Tx, today)
	if err != nil {
		return nil, err
	}
	tracks, err := assessmentdb.Tracks(r.Ctx, r.Tx, year, month)
	if err != nil {
		return nil, err
	}
	out := Accountability{Year: year, Month: month, MonthsBehind: v.Values.Assessment.ReferMonthsBehind, Escalations: v.Values.Assessment.ReferEscalations,
		Proposals: assessment.Propose(tracks, v.Values.Assessment.ReferMonthsBehind, v.Values.Assessment.ReferEscalations), Decisions: []AccountabilityOutcome{}}
	ds, err := assessmentdb.Decisions(r.Ctx, r.Tx, year)
	for _, d := range ds {
		out.Decisions = append(out.Decisions, AccountabilityOutcome{UnitID: d.UnitID, Refer: d.Refer, Evidence: d.Evidence, Reason: d.Reason, DecidedAt: d.DecidedAt})
	}
	return out, err
}

func (s *API) decideAccountability(r *httpapi.Req) (any, error) {
	unit, err := httpapi.PathID(r.C, "unitId")
	if err != nil {
		return nil, err
	}
	var in AccountabilityInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Year < 2000 || in.Year > 2100 {
		var v errs.Validation
		v.Add("year", "out_of_range", "年份无效", "invalid year")
		return nil, v.Err()
	}
	var n int
	if err := r.Tx.NewRaw("SELECT count(*) FROM units WHERE id = ?", unit).Scan(r.Ctx, &n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errs.E(errs.NotFound, "unit_not_found", "未找到该单位", "no such unit")
	}
	d, err := assessmentdb.Decide(r.Ctx, r.Tx, in.Year, unit, in.Refer, in.Evidence, in.Reason, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return AccountabilityOutcome{UnitID: d.UnitID, Refer: d.Refer, Evidence: d.Evidence, Reason: d.Reason, DecidedAt: d.DecidedAt}, nil
}
