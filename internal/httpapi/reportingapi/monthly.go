package reportingapi

import (
	"strconv"
	"time"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
)

// MonthlyView is a year of a project: each month's targets and reported figures.
type MonthlyView struct {
	Year                  int           `json:"year"`
	PlannedInvestmentYuan *int64        `json:"planned_investment_yuan"`
	Months                []MonthFigure `json:"months"`
}

// MonthFigure is one month: target and actual, monthly and cumulative.
type MonthFigure struct {
	Month              int        `json:"month"`
	TargetYuan         int64      `json:"target_yuan"`
	TargetCumulative   int64      `json:"target_cumulative_yuan"`
	ImageTarget        string     `json:"image_target"`
	Reported           bool       `json:"reported"`
	InvestmentYuan     int64      `json:"investment_yuan"`
	CumulativeYuan     int64      `json:"cumulative_yuan"`
	ImageProgress      string     `json:"image_progress"`
	Verified           bool       `json:"verified"`
	VerifiedAt         *time.Time `json:"verified_at"`
	BehindTargetByYuan int64      `json:"behind_target_by_yuan"`
}

// MonthlyInput reports a month.
type MonthlyInput struct {
	InvestmentYuan int64  `json:"investment_yuan"`
	ImageProgress  string `json:"image_progress,omitempty"`
}

func pathMonth(r *httpapi.Req) (int, error) {
	m, err := strconv.Atoi(r.C.Param("month"))
	if err != nil || m < 1 || m > 12 {
		return 0, errs.ErrNotFound
	}
	return m, nil
}

func (s *API) monthlyOf(r *httpapi.Req, p project.Project, year int) (MonthlyView, error) {
	plan, yp, err := httpapi.PlanOf(r, p, year)
	if err != nil {
		return MonthlyView{}, err
	}
	figs, err := reportingdb.MonthlyFigures(r.Ctx, r.Tx, p.ID, year)
	if err != nil {
		return MonthlyView{}, err
	}
	targets := map[int]project.MonthTarget{}
	for _, m := range plan.Months {
		targets[m.Month] = m
	}
	out := MonthlyView{Year: year, PlannedInvestmentYuan: yp, Months: make([]MonthFigure, 12)}
	var tc, ac int64
	for m := 1; m <= 12; m++ {
		t := targets[m]
		f, ok := figs[m]
		tc += t.InvestmentYuan
		ac += f.InvestmentYuan
		out.Months[m-1] = MonthFigure{Month: m, TargetYuan: t.InvestmentYuan, TargetCumulative: tc, ImageTarget: t.ImageTarget, Reported: ok,
			InvestmentYuan: f.InvestmentYuan, CumulativeYuan: ac, ImageProgress: f.ImageProgress, Verified: f.VerifiedAt != nil,
			VerifiedAt: f.VerifiedAt, BehindTargetByYuan: max(0, tc-ac)}
	}
	return out, nil
}

func (s *API) monthlyView(r *httpapi.Req) (any, error) {
	p, year, err := s.ProjectYear(r)
	if err != nil {
		return nil, err
	}
	return s.monthlyOf(r, p, year)
}

// putMonthly: the office, or the project's helper or responsible person.
func (s *API) putMonthly(r *httpapi.Req) (any, error) {
	p, year, err := s.ProjectYear(r)
	if err != nil {
		return nil, err
	}
	month, err := pathMonth(r)
	if err != nil {
		return nil, err
	}
	if !s.IsOffice(r) {
		first := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		if err := s.holdsSeat(r, p, project.RoleHelper, first); err != nil && s.holdsSeat(r, p, project.RoleResponsible, first) != nil {
			return nil, err
		}
	}
	var in MonthlyInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if _, err := reportingdb.PutMonthlyFigure(r.Ctx, r.Tx, reportingdb.MonthlyFigure{ProjectID: p.ID, Year: year, Month: month,
		InvestmentYuan: in.InvestmentYuan, ImageProgress: in.ImageProgress, ReportedBy: &r.Session.AccountID}, s.Today()); err != nil {
		return nil, err
	}
	return s.monthlyOf(r, p, year)
}

func (s *API) verifyMonthly(r *httpapi.Req) (any, error) {
	p, year, err := s.ProjectYear(r)
	if err != nil {
		return nil, err
	}
	month, err := pathMonth(r)
	if err != nil {
		return nil, err
	}
	if _, err := reportingdb.VerifyMonthlyFigure(r.Ctx, r.Tx, p.ID, year, month, r.Session.AccountID, s.Now()); err != nil {
		return nil, err
	}
	return s.monthlyOf(r, p, year)
}
