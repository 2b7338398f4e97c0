package reporting

import (
	"fmt"
	"strings"
	"time"
)

// The rules below are the only definition of a project's week: its report
// state, its substantive progress, the seat compliance, the image-progress
// baseline and the completed investment. The week close, the reporting grid,
// the dashboard, the bulletins, the reminders and the compliance page all
// decide through them; "listed in a week" is the SQL function
// listed_projects (migration 0010), which every caller selects through.

// State is where a project's week stands.
type State string

const (
	StateOnTime   State = "on_time"  // submitted by the deadline (its first submission)
	StateLate     State = "late"     // first submitted after the deadline
	StateMissing  State = "missing"  // past the deadline without a submission: no substantive progress
	StateDraft    State = "draft"    // being written, not yet due
	StatePending  State = "pending"  // nothing yet, not yet due
	StateUnlisted State = "unlisted" // the project was not on the key list that week
)

// Facts is what the rules need of a week's report.
type Facts struct {
	Status           Status
	Late             bool
	RuleProgress     *bool
	OverrideProgress *bool
}

// Submitted says whether the report has been submitted (a returned report
// was; a draft, even of a later revision, is being written).
func (f *Facts) Submitted() bool {
	return f != nil && f.Status != Draft && f.Status != ""
}

// WeekState decides a project's week at now: a submitted report is on time
// or late by its first submission; without one the week is missing from its
// deadline on, and pending (or a draft) before. A week the project
// was not listed in is unlisted, whatever was reported. f is nil when there
// is no report.
func WeekState(listed bool, f *Facts, due, now time.Time) State {
	switch {
	case !listed:
		return StateUnlisted
	case f.Submitted() && f.Late:
		return StateLate
	case f.Submitted():
		return StateOnTime
	case !now.Before(due):
		return StateMissing
	case f != nil:
		return StateDraft
	}
	return StatePending
}

// Progress is the week's substantive progress (M1.3): the office's decision
// on a submitted report wins; otherwise a report submitted, confirmed or
// verified counts by the rules' determination at submission. No report, a
// draft and a returned report are no progress.
func Progress(f *Facts) bool {
	if !f.Submitted() {
		return false
	}
	if f.OverrideProgress != nil {
		return *f.OverrideProgress
	}
	switch f.Status {
	case Submitted, Confirmed, Verified:
		return f.RuleProgress != nil && *f.RuleProgress
	}
	return false
}

// InvestmentStatuses are the reports whose investment is completed
// investment: those the responsible person has confirmed (and the office
// may have verified). Submitted-but-unconfirmed and returned reports never
// count (M4.4).
var InvestmentStatuses = []Status{Confirmed, Verified}

// CountsInvestment says whether a report in status s counts.
func CountsInvestment(s Status) bool {
	for _, x := range InvestmentStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// MonthOfWeek is the month a week belongs to: that of its Sunday.
func MonthOfWeek(week time.Time) (int, time.Month) {
	sunday := week.AddDate(0, 0, 6)
	return sunday.Year(), sunday.Month()
}

// Source says where a month's completed investment comes from.
type Source string

const (
	SourceWeekly     Source = "weekly"     // the sum of the month's confirmed weekly reports
	SourceStatistics Source = "statistics" // the figure verified by the Statistics Bureau
)

// WeekAmount is a counted report's investment in its week.
type WeekAmount struct {
	Week time.Time
	Yuan int64
}

// MonthInvestment is one month's completed investment with its source.
type MonthInvestment struct {
	Month      time.Month `json:"month"`
	Yuan       int64      `json:"yuan"`
	Source     Source     `json:"source"`
	WeeklyYuan int64      `json:"weekly_yuan"` // the weekly sum, also when the Bureau's figure replaces it
}

// Investment is a project's completed investment in a year up to a day.
type Investment struct {
	TotalYuan int64             `json:"total_yuan"`
	Months    []MonthInvestment `json:"months"`
}

// CompletedInvestment is a project's completed investment in year up to and
// including through (M4.4): month by month, the Statistics Bureau's verified
// figure for a month that has ended by through, otherwise the sum of the
// counted weekly reports of the month's weeks (a week belongs to the month
// of its Sunday) whose Sunday is not after through. weeks are the counted
// reports (see CountsInvestment); verified the Bureau's figures by month.
func CompletedInvestment(year int, through time.Time, weeks []WeekAmount, verified map[time.Month]int64) Investment {
	weekly := map[time.Month]int64{}
	for _, w := range weeks {
		y, m := MonthOfWeek(w.Week)
		if y == year && !w.Week.AddDate(0, 0, 6).After(through) {
			weekly[m] += w.Yuan
		}
	}
	inv := Investment{Months: []MonthInvestment{}}
	for m := time.January; m <= time.December; m++ {
		monthEnd := time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC)
		mi := MonthInvestment{Month: m, Yuan: weekly[m], Source: SourceWeekly, WeeklyYuan: weekly[m]}
		if v, ok := verified[m]; ok && !monthEnd.After(through) {
			mi.Yuan, mi.Source = v, SourceStatistics
		} else if weekly[m] == 0 {
			continue
		}
		inv.TotalYuan += mi.Yuan
		inv.Months = append(inv.Months, mi)
	}
	return inv
}

// SourceText says in words where a total comes from, as a bulletin prints it.
func (inv Investment) SourceText() string {
	var stats, weekly []string
	for _, m := range inv.Months {
		if m.Source == SourceStatistics {
			stats = append(stats, fmt.Sprintf("%d月", m.Month))
		} else {
			weekly = append(weekly, fmt.Sprintf("%d月", m.Month))
		}
	}
	var parts []string
	if len(stats) > 0 {
		parts = append(parts, strings.Join(stats, "、")+"为统计局核定数")
	}
	if len(weekly) > 0 {
		parts = append(parts, strings.Join(weekly, "、")+"为周报汇总数")
	}
	if len(parts) == 0 {
		return "暂无完成投资"
	}
	return strings.Join(parts, "，")
}

// Baseline is the image progress (percent) a week's report is measured
// against (M4.4): the previous submitted report of the project's current
// listing; for the listing's first report, the image progress recorded at
// listing, else the latest earlier submitted report of any year. nil means
// none: the first report sets the baseline and is judged on investment and
// nodes alone.
func Baseline(prevInListing, atListing, prevAnyYear *int) *int {
	switch {
	case prevInListing != nil:
		return prevInListing
	case atListing != nil:
		return atListing
	}
	return prevAnyYear
}

// SeatMet says whether a held seat met its weekly minimum.
func SeatMet(required, done int) bool { return done >= required }
