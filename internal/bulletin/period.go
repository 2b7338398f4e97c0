package bulletin

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/tuijin/tuijin/internal/errs"
)

// PeriodKind is what span a bulletin reports on (M1.1: the weekly bulletin,
// the monthly review, the half-year evaluation, the year's results).
type PeriodKind string

const (
	PeriodWeek    PeriodKind = "week"
	PeriodMonth   PeriodKind = "month"
	PeriodQuarter PeriodKind = "quarter"
	PeriodHalf    PeriodKind = "half"
	PeriodYear    PeriodKind = "year"
)

// Period is a bulletin's span: its kind and its first and last day.
type Period struct {
	Kind  PeriodKind
	Start time.Time // a date (UTC midnight)
	End   time.Time // its last day, inclusive
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var errPeriod = errs.E(errs.Invalid, "invalid_period",
	"期间无效：周报用该周星期一（2026-03-02），月报用2026-03，季报用2026-Q1，半年报用2026-H1，年报用2026",
	"invalid period: a week by its Monday (2026-03-02), a month 2026-03, a quarter 2026-Q1, a half 2026-H1, a year 2026")

// ParsePeriod reads a period of a kind: a week by its Monday ("2026-03-02"),
// a month "2026-03", a quarter "2026-Q1", a half "2026-H1", a year "2026".
func ParsePeriod(kind, value string) (Period, error) {
	value = strings.TrimSpace(value)
	year := func(s string) (int, bool) {
		y, err := strconv.Atoi(s)
		return y, err == nil && y >= 2000 && y <= 2100
	}
	switch PeriodKind(kind) {
	case PeriodWeek:
		d, err := time.Parse(time.DateOnly, value)
		if err != nil || d.Weekday() != time.Monday {
			return Period{}, errPeriod
		}
		return Period{PeriodWeek, d, d.AddDate(0, 0, 6)}, nil
	case PeriodMonth:
		d, err := time.Parse("2006-01", value)
		if err != nil || d.Year() < 2000 || d.Year() > 2100 {
			return Period{}, errPeriod
		}
		return Period{PeriodMonth, d, d.AddDate(0, 1, -1)}, nil
	case PeriodQuarter:
		y, q, ok := strings.Cut(value, "-Q")
		n, err := strconv.Atoi(q)
		if yr, good := year(y); ok && good && err == nil && n >= 1 && n <= 4 {
			s := date(yr, time.Month(3*n-2), 1)
			return Period{PeriodQuarter, s, s.AddDate(0, 3, -1)}, nil
		}
	case PeriodHalf:
		y, h, ok := strings.Cut(value, "-H")
		if yr, good := year(y); ok && good && (h == "1" || h == "2") {
			s := date(yr, time.January, 1)
			if h == "2" {
				s = date(yr, time.July, 1)
			}
			return Period{PeriodHalf, s, s.AddDate(0, 6, -1)}, nil
		}
	case PeriodYear:
		if yr, good := year(value); good {
			return Period{PeriodYear, date(yr, time.January, 1), date(yr, time.December, 31)}, nil
		}
	}
	return Period{}, errPeriod
}

// Value is the period as ParsePeriod reads it.
func (p Period) Value() string {
	switch p.Kind {
	case PeriodMonth:
		return p.Start.Format("2006-01")
	case PeriodQuarter:
		return fmt.Sprintf("%d-Q%d", p.Start.Year(), (int(p.Start.Month())+2)/3)
	case PeriodHalf:
		return fmt.Sprintf("%d-H%d", p.Start.Year(), map[bool]int{true: 1, false: 2}[p.Start.Month() == time.January])
	case PeriodYear:
		return strconv.Itoa(p.Start.Year())
	}
	return p.Start.Format(time.DateOnly)
}

// Year is the year the period reports on: a week's is the year of its
// Sunday (a week belongs to the month of its Sunday), the others' their own.
func (p Period) Year() int { return p.End.Year() }

// Label names the period as bulletins do: "2026年第13周（3月23日—3月29日）",
// "2026年1-3月" (a month reports the year to date), "2026年第一季度",
// "2026年上半年", "2026年".
func (p Period) Label() string {
	y := p.Year()
	switch p.Kind {
	case PeriodMonth:
		if p.End.Month() == time.January {
			return fmt.Sprintf("%d年1月", y)
		}
		return fmt.Sprintf("%d年1-%d月", y, p.End.Month())
	case PeriodQuarter:
		return fmt.Sprintf("%d年第%s季度", y, []string{"一", "二", "三", "四"}[(int(p.Start.Month())-1)/3])
	case PeriodHalf:
		if p.Start.Month() == time.January {
			return fmt.Sprintf("%d年上半年", y)
		}
		return fmt.Sprintf("%d年下半年", y)
	case PeriodYear:
		return fmt.Sprintf("%d年", y)
	}
	_, n := p.End.AddDate(0, 0, -3).ISOWeek() // the ISO week of its Thursday
	return fmt.Sprintf("%d年第%d周（%d月%d日—%d月%d日）", y, n, p.Start.Month(), p.Start.Day(), p.End.Month(), p.End.Day())
}

// ThisPeriod names the period's own increment: 本周, 本月, 本季度, 本半年, 本年.
func (p Period) ThisPeriod() string {
	return map[PeriodKind]string{PeriodWeek: "本周", PeriodMonth: "本月", PeriodQuarter: "本季度", PeriodHalf: "本半年", PeriodYear: "全年"}[p.Kind]
}

// Schedule bases of 时序进度: the share of the year elapsed at a day.
const (
	BasisMonth     = "month"      // months completed ÷ 12 (every published bulletin found)
	BasisHalfMonth = "half_month" // half-months completed ÷ 24 (a half-month bulletin)
	BasisDay       = "day"        // days elapsed ÷ days in the year
)

// Schedule is 时序进度 at the end of day end under a basis: the fraction and
// how it was counted, in words ("按月计：3÷12").
func Schedule(basis string, end time.Time) (*big.Rat, string) {
	y, m, d := end.Date()
	lastDay := end.AddDate(0, 0, 1).Month() != m
	switch basis {
	case BasisMonth:
		n := int(m) - 1
		if lastDay {
			n++
		}
		return big.NewRat(int64(n), 12), fmt.Sprintf("按月计：已过%d个月÷12", n)
	case BasisHalfMonth:
		n := 2 * (int(m) - 1)
		if d >= 15 {
			n++
		}
		if lastDay {
			n++
		}
		return big.NewRat(int64(n), 24), fmt.Sprintf("按半月计：已过%d个半月÷24", n)
	}
	jan1 := date(y, time.January, 1)
	days := int(jan1.AddDate(1, 0, 0).Sub(jan1).Hours() / 24)
	elapsed := int(date(y, m, d).Sub(jan1).Hours()/24) + 1
	return big.NewRat(int64(elapsed), int64(days)), fmt.Sprintf("按日计：已过%d天÷%d天", elapsed, days)
}

// Week is the week period starting on monday.
func Week(monday time.Time) Period { return Period{PeriodWeek, monday, monday.AddDate(0, 0, 6)} }

// LastWeek is the Monday of the period's last week that ends in it: the
// week whose close decides the period's streaks and stalls.
func (p Period) LastWeek() time.Time {
	monday := p.End.AddDate(0, 0, -((int(p.End.Weekday()) + 6) % 7))
	if monday.AddDate(0, 0, 6).After(p.End) {
		monday = monday.AddDate(0, 0, -7)
	}
	return monday
}
