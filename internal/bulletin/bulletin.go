// Package bulletin compiles the weekly supervision bulletin (周通报 /
// 督导检查通报, issue 7 §5; M1.1, M3.5) from its stored inputs: the overview
// against the time-elapsed schedule (时序进度), the same by construction type
// and by category, a table per responsible unit, the ranking of units by
// completion rate, stalled projects, escalations, overdue approvals and
// inspection findings.
//
// Rounding rule (stated on every rendering): every rate is computed exactly
// from whole-yuan amounts and whole counts as a fraction, and rounded once,
// to one decimal place, half away from zero, on the final figure. A
// difference of rates ("ahead by N percentage points") is the exact
// difference, rounded once. Amounts are shown in 万元 rounded the same way
// to two decimals. Sums are of exact yuan, never of rounded figures.
package bulletin

import (
	"math/big"
	"sort"
	"time"
)

// RoundingRule is printed with every bulletin.
const RoundingRule = "说明：各项比率均按元、个精确计算，仅对最终结果四舍五入保留一位小数；“快/慢于时序进度”为完成率与时序进度精确值之差，四舍五入保留一位小数；金额以万元为单位四舍五入保留两位小数，合计按元累加后再换算。"

// Project is one project on the key list in the bulletin's week.
type Project struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Unit      string `json:"unit"`
	Category  string `json:"category"`
	Type      string `json:"type"` // new, continuing, completing
	TotalYuan int64  `json:"total_yuan"`
	PlanYuan  int64  `json:"plan_yuan"` // the year's planned investment
	DoneYuan  int64  `json:"done_yuan"` // completed this year up to the period's end
	// PeriodYuan is completed in the period itself (本周/本月/本季度完成):
	// the growth of DoneYuan over the period (Rules ≥ 2).
	PeriodYuan int64 `json:"period_yuan,omitempty"`
	Started    bool  `json:"started"`
	Completed  bool  `json:"completed"`
	DueToStart bool  `json:"due_to_start"` // planned start on or before the week's end
	Streak     int   `json:"streak"`       // weeks without substantive progress
	// Stalled is the week close's decision (streak at the county's
	// threshold); DoneSource says where DoneYuan comes from (Rules ≥ 1).
	Stalled    bool   `json:"stalled,omitempty"`
	DoneSource string `json:"done_source,omitempty"`
	StatMonths int    `json:"stat_months,omitempty"` // months of DoneYuan taken from the Statistics Bureau
}

// Escalation is a TV-questioning entry raised in the week.
type Escalation struct {
	Project string `json:"project"`
	Level   int    `json:"level"`
	Person  string `json:"person"`
	Post    string `json:"post"`
	Weeks   int    `json:"weeks"`
	Status  string `json:"status"`
}

// Approval is a procedure item past its planned date.
type Approval struct {
	Project     string `json:"project"`
	Item        string `json:"item"`
	ServiceUnit string `json:"service_unit"`
	Planned     string `json:"planned"`
	DaysOver    int    `json:"days_over"`
}

// Finding is an inspection record of the week.
type Finding struct {
	Project      string `json:"project"`
	Group        string `json:"group"`
	VisitedOn    string `json:"visited_on"`
	VerifiedYuan int64  `json:"verified_yuan"`
	Findings     string `json:"findings"`
}

// RulesVersion is the version of the rules BulletinInputs gathers under:
// 2 adds the period, its issue number, the 时序进度 basis, the category
// catalogue's order and each project's completion in the period.
const RulesVersion = 2

// Inputs are everything a bulletin is computed from; an issued bulletin
// stores them, so it can always be rendered again, identically.
type Inputs struct {
	// Rules is the version of the rules the inputs were gathered under: 0
	// before "stalled" had one meaning (any streak counted), 1 since (the
	// week close's Stalled), 2 with periods (see RulesVersion). An issued
	// bulletin is computed again under its own.
	Rules              int          `json:"rules,omitempty"`
	Kind               string       `json:"kind"`                     // weekly (every listed project) or group6 (百城提质)
	Period             PeriodKind   `json:"period,omitempty"`         // week when empty
	PeriodStart        string       `json:"period_start,omitempty"`   // its first day
	PeriodEnd          string       `json:"period_end,omitempty"`     // its last day
	IssueNo            int          `json:"issue_no,omitempty"`       // 第N期 of its kind, period and year
	ScheduleBasis      string       `json:"schedule_basis,omitempty"` // month, half_month or day; day when empty
	Categories         []string     `json:"categories,omitempty"`     // the county's catalogue, in its order
	County             string       `json:"county"`
	Year               int          `json:"year"`
	Week               string       `json:"week"` // Monday
	Projects           []Project    `json:"projects"`
	Escalations        []Escalation `json:"escalations"`
	OverdueApprovals   []Approval   `json:"overdue_approvals"`
	Findings           []Finding    `json:"findings"`
	MissingInspections []string     `json:"missing_inspections"`
	// BatchStarts are the batch ground-breaking rounds (双月开工) whose
	// window ends in a period longer than a week, as they stood at its end.
	BatchStarts []BatchRound `json:"batch_starts,omitempty"`
}

// BatchRound is a batch ground-breaking round as a bulletin reports it.
type BatchRound struct {
	Label      string         `json:"label"` // 2026年3-4月
	Planned    int            `json:"planned"`
	Started    int            `json:"started"`
	Early      int            `json:"early"`
	OnTime     int            `json:"on_time"`
	Late       int            `json:"late"`
	Undated    int            `json:"undated"`
	NotStarted int            `json:"not_started"`
	Rate       string         `json:"rate"`
	Ceremony   string         `json:"ceremony"` // "3月18日在官渡河产业集聚区举行集中开工仪式", or ""
	Waiting    []BatchProject `json:"waiting"`  // the projects not started, with their units' reasons
}

// BatchProject is a project of a round not started by the period's end.
type BatchProject struct {
	Name         string `json:"name"`
	Unit         string `json:"unit"`
	PlannedStart string `json:"planned_start"`
	Reason       string `json:"reason"`
}

// WeekEnd is the Sunday of the bulletin's week.
func (in Inputs) WeekEnd() time.Time {
	w, _ := time.Parse(time.DateOnly, in.Week)
	return w.AddDate(0, 0, 6)
}

// Span is the bulletin's period (a week for inputs gathered before periods).
func (in Inputs) Span() Period {
	if in.PeriodStart == "" {
		w, _ := time.Parse(time.DateOnly, in.Week)
		return Period{PeriodWeek, w, w.AddDate(0, 0, 6)}
	}
	s, _ := time.Parse(time.DateOnly, in.PeriodStart)
	e, _ := time.Parse(time.DateOnly, in.PeriodEnd)
	return Period{in.Period, s, e}
}

// Summary is the overview of a set of projects.
type Summary struct {
	Projects          int    `json:"projects"`
	TotalYuan         int64  `json:"total_yuan"`
	PlanYuan          int64  `json:"plan_yuan"`
	DoneYuan          int64  `json:"done_yuan"`   // year to the period's end (累计完成)
	PeriodYuan        int64  `json:"period_yuan"` // in the period (本期完成)
	Started           int    `json:"started"`
	StartRate         string `json:"start_rate"`      // percent, one decimal
	CompletionRate    string `json:"completion_rate"` // of the year plan
	Lead              string `json:"lead"`            // completion rate − schedule, percentage points (negative: behind)
	FinishedYearPlan  int    `json:"finished_year_plan"`
	UnderConstruction int    `json:"under_construction"`
	NotStarted        int    `json:"not_started"`
	NotYetDue         int    `json:"not_yet_due"` // of the not started, not yet due to start
	completion        *big.Rat
}

// Group is a summary of a named subset.
type Group struct {
	Name string `json:"name"`
	Summary
}

// UnitRow is a responsible unit's line, ranked by completion rate.
type UnitRow struct {
	Rank int `json:"rank"` // 0: no planned investment, not ranked
	Group
}

// Figures are the computed bulletin.
type Figures struct {
	Inputs      Inputs    `json:"inputs"`
	Schedule    string    `json:"schedule"`       // time-elapsed schedule, percent
	ScheduleHow string    `json:"schedule_basis"` // how it was counted, in words ("按月计：已过3个月÷12")
	Overview    Summary   `json:"overview"`
	ByType      []Group   `json:"by_type"`
	ByCategory  []Group   `json:"by_category"`
	ByUnit      []UnitRow `json:"by_unit"`
	Stalled     []Project `json:"stalled"`
	DaysElapsed int       `json:"days_elapsed"`
	DaysInYear  int       `json:"days_in_year"`
}

// TypeNames are the construction types in the bulletin's order.
var TypeNames = []struct{ Code, Name string }{{"continuing", "续建项目"}, {"new", "新开工项目"}, {"completing", "竣工投产项目"}}

// Compute derives every figure from the inputs.
func Compute(in Inputs) Figures {
	f := Figures{Inputs: in}
	end := in.Span().End
	jan1 := time.Date(in.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	f.DaysInYear = int(jan1.AddDate(1, 0, 0).Sub(jan1).Hours() / 24)
	f.DaysElapsed = int(end.Sub(jan1).Hours()/24) + 1
	if f.DaysElapsed > f.DaysInYear {
		f.DaysElapsed = f.DaysInYear
	}
	basis := in.ScheduleBasis
	if basis == "" {
		basis = BasisDay // inputs gathered before the basis was a setting
	}
	if end.Year() != in.Year { // a week whose Sunday is in the next year (inputs before Rules 2)
		end = time.Date(in.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	schedule, how := Schedule(basis, end)
	f.Schedule, f.ScheduleHow = Percent(schedule), how
	f.Overview = summarize(in.Projects, schedule)
	for _, t := range TypeNames {
		var ps []Project
		for _, p := range in.Projects {
			if p.Type == t.Code {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			f.ByType = append(f.ByType, Group{Name: t.Name, Summary: summarize(ps, schedule)})
		}
	}
	f.ByCategory = groupBy(in.Projects, func(p Project) string { return p.Category }, schedule)
	if len(in.Categories) > 0 { // the catalogue's order; a category not in it last
		pos := map[string]int{}
		for i, c := range in.Categories {
			pos[c] = i + 1
		}
		sort.SliceStable(f.ByCategory, func(i, j int) bool {
			a, b := pos[f.ByCategory[i].Name], pos[f.ByCategory[j].Name]
			return a != 0 && (b == 0 || a < b)
		})
	}
	for _, g := range groupBy(in.Projects, func(p Project) string { return p.Unit }, schedule) {
		f.ByUnit = append(f.ByUnit, UnitRow{Group: g})
	}
	// Ranking: exact completion rate, then larger plan, then name.
	sort.SliceStable(f.ByUnit, func(i, j int) bool {
		a, b := f.ByUnit[i], f.ByUnit[j]
		if (a.completion == nil) != (b.completion == nil) {
			return a.completion != nil
		}
		if a.completion != nil {
			if c := a.completion.Cmp(b.completion); c != 0 {
				return c > 0
			}
		}
		if a.PlanYuan != b.PlanYuan {
			return a.PlanYuan > b.PlanYuan
		}
		return a.Name < b.Name
	})
	rank := 0
	for i := range f.ByUnit {
		if f.ByUnit[i].completion == nil {
			continue
		}
		if i > 0 && f.ByUnit[i-1].completion != nil && f.ByUnit[i-1].completion.Cmp(f.ByUnit[i].completion) == 0 {
			f.ByUnit[i].Rank = f.ByUnit[i-1].Rank // equal rates share a rank
		} else {
			rank = i + 1
			f.ByUnit[i].Rank = rank
		}
	}
	for _, p := range in.Projects {
		if (in.Rules == 0 && p.Streak > 0) || (in.Rules >= 1 && p.Stalled) {
			f.Stalled = append(f.Stalled, p)
		}
	}
	sort.SliceStable(f.Stalled, func(i, j int) bool {
		if f.Stalled[i].Streak != f.Stalled[j].Streak {
			return f.Stalled[i].Streak > f.Stalled[j].Streak
		}
		return f.Stalled[i].Code < f.Stalled[j].Code
	})
	return f
}

func groupBy(ps []Project, key func(Project) string, schedule *big.Rat) []Group {
	by := map[string][]Project{}
	var names []string
	for _, p := range ps {
		k := key(p)
		if _, ok := by[k]; !ok {
			names = append(names, k)
		}
		by[k] = append(by[k], p)
	}
	sort.Strings(names)
	out := make([]Group, 0, len(names))
	for _, n := range names {
		out = append(out, Group{Name: n, Summary: summarize(by[n], schedule)})
	}
	return out
}

func summarize(ps []Project, schedule *big.Rat) Summary {
	var s Summary
	for _, p := range ps {
		s.Projects++
		s.TotalYuan += p.TotalYuan
		s.PlanYuan += p.PlanYuan
		s.DoneYuan += p.DoneYuan
		s.PeriodYuan += p.PeriodYuan
		if p.Started {
			s.Started++
		}
		if p.PlanYuan > 0 && p.DoneYuan >= p.PlanYuan {
			s.FinishedYearPlan++
		}
		switch {
		case p.Started && !p.Completed:
			s.UnderConstruction++
		case !p.Started:
			s.NotStarted++
			if !p.DueToStart {
				s.NotYetDue++
			}
		}
	}
	if s.Projects > 0 {
		s.StartRate = Percent(big.NewRat(int64(s.Started), int64(s.Projects)))
	}
	if s.PlanYuan > 0 {
		s.completion = big.NewRat(s.DoneYuan, s.PlanYuan)
		s.CompletionRate = Percent(s.completion)
		s.Lead = Percent(new(big.Rat).Sub(s.completion, schedule))
	}
	return s
}

// Percent is a fraction as a percentage rounded once to one decimal, half
// away from zero ("37.5"; "-2.0").
func Percent(r *big.Rat) string {
	return roundRat(new(big.Rat).Mul(r, big.NewRat(100, 1)), 1)
}

// Wan is yuan in 万元, rounded once to two decimals ("12345.68").
func Wan(yuan int64) string { return roundRat(big.NewRat(yuan, 10000), 2) }

// Yi is yuan in 亿元, rounded once to two decimals ("337.13").
func Yi(yuan int64) string { return roundRat(big.NewRat(yuan, 100_000_000), 2) }

func roundRat(r *big.Rat, places int) string {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	num := new(big.Int).Mul(r.Num(), scale)
	den := r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	for len(s) <= places {
		s = "0" + s
	}
	out := s[:len(s)-places] + "." + s[len(s)-places:]
	if neg && q.Sign() != 0 {
		out = "-" + out
	}
	return out
}

// Round is r rounded once to places decimals, half away from zero (the
// platform's one rounding rule, RoundingRule).
func Round(r *big.Rat, places int) string { return roundRat(r, places) }
