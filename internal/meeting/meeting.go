// Package meeting is the regular sittings of the mechanism (M1.1, M1.2,
// M1.4, M1.5, M1.7): when each series sits, what a sitting reviews, what
// goes on its agenda, and the decisions that become tracked actions
// (督办事项). It imports neither Echo nor bun.
package meeting

import (
	"fmt"
	"time"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/settings"
)

// Kind is a meeting series.
type Kind string

const (
	Weekly    Kind = "weekly"    // 周例会 (M1.2), or a 现场办公会 at a project
	Monthly   Kind = "monthly"   // 月专题会 (M1.4)
	Bimonthly Kind = "bimonthly" // 双月汇报会 (M1.5)
	HalfYear  Kind = "half_year" // 半年评比会 (M1.7)
	// JointReview is the joint review and approval sitting (联审联批, M3.7):
	// its list is procedure items (internal/review), not an agenda.
	JointReview Kind = "joint_review"
)

// Kinds in the order the calendar lists them.
var Kinds = []Kind{Weekly, Monthly, Bimonthly, HalfYear, JointReview}

// Name is the series' name as minutes and the calendar print it.
func (k Kind) Name() string {
	switch k {
	case Weekly:
		return "重点项目建设周例会"
	case Monthly:
		return "重点项目专题会"
	case Bimonthly:
		return "重点项目推进汇报会"
	case HalfYear:
		return "重点项目半年评比会"
	case JointReview:
		return "重点项目联审联批会"
	}
	return string(k)
}

// ParseKind reads a kind.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", errs.E(errs.Invalid, "invalid_meeting_kind", "会议类型无效（weekly、monthly、bimonthly、half_year、joint_review）",
		"meeting kind must be weekly, monthly, bimonthly, half_year or joint_review")
}

// Series is a kind's cadence and its settings.
func Series(k Kind, s settings.Settings) (settings.Cadence, settings.MeetingSeries) {
	switch k {
	case Monthly:
		return s.CadenceMonthlyMeeting, s.MeetingMonthly
	case Bimonthly:
		return s.CadenceBimonthlyReport, s.MeetingBimonthly
	case HalfYear:
		return s.CadenceSemiannualReview, s.MeetingHalfYear
	case JointReview:
		return s.CadenceJointReview, s.MeetingJointReview
	}
	return s.CadenceWeeklyMeeting, s.MeetingWeekly
}

// Slots are the dates a series sits on within [from, to] (dates, UTC
// midnight as every date of the platform): every N ISO weeks counted from
// week 1 of the year on the series' weekday, or every N months from its
// anchor month on the weekday of the given week of the month.
func Slots(k Kind, s settings.Settings, from, to time.Time) []time.Time {
	c, m := Series(k, s)
	var out []time.Time
	if c.Unit == "month" {
		for mo := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !mo.After(to); mo = mo.AddDate(0, 1, 0) {
			if ((int(mo.Month())-m.AnchorMonth)%c.Every+c.Every)%c.Every != 0 {
				continue
			}
			d := WeekdayOfMonth(mo, m.Weekday, m.Week)
			if !d.Before(from) && !d.After(to) {
				out = append(out, d)
			}
		}
		return out
	}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if isoWeekday(d) != m.Weekday {
			continue
		}
		_, w := d.ISOWeek()
		if (w-1)%c.Every == 0 {
			out = append(out, d)
		}
	}
	return out
}

// WeekdayOfMonth is the weekday (1 = Monday … 7 = Sunday) of the n-th week
// of month (1–4; -1: the last one).
func WeekdayOfMonth(month time.Time, weekday, n int) time.Time {
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	if n < 0 {
		last := first.AddDate(0, 1, -1)
		return last.AddDate(0, 0, -((isoWeekday(last) - weekday + 7) % 7))
	}
	d := first.AddDate(0, 0, (weekday-isoWeekday(first)+7)%7)
	return d.AddDate(0, 0, 7*(n-1))
}

func isoWeekday(d time.Time) int {
	if w := int(d.Weekday()); w != 0 {
		return w
	}
	return 7
}

// At is a sitting's start on its day (Asia/Shanghai).
func At(day time.Time, hhmm string) time.Time {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, settings.Shanghai)
}

// Review is the period a sitting on day reviews: the weekly meeting the
// latest closed week (its Monday, the week closing at the county's close
// time before the sitting); the monthly meeting its own month; the
// bi-monthly meeting the two months before its month; the half-year
// meeting the six months ending with its month.
type Review struct {
	From, To time.Time // dates, inclusive
	Week     *time.Time
}

// ReviewOf answers which period a sitting reviews. closedWeek is the
// latest week closed by the sitting's start (supervision.WeekToClose).
func ReviewOf(k Kind, day, closedWeek time.Time) Review {
	month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	switch k {
	case Monthly:
		return Review{From: month, To: month.AddDate(0, 1, -1)}
	case Bimonthly:
		return Review{From: month.AddDate(0, -2, 0), To: month.AddDate(0, 0, -1)}
	case HalfYear:
		return Review{From: month.AddDate(0, -5, 0), To: month.AddDate(0, 1, -1)}
	case JointReview:
		return Review{From: day.AddDate(0, 0, -14), To: day.AddDate(0, 0, -1)}
	}
	w := closedWeek
	return Review{From: w, To: w.AddDate(0, 0, 6), Week: &w}
}

// JobPrepare is the daily meeting job (P4): put the coming sittings on the
// calendar, draft the agendas due, and tell the owners of overdue actions.
const JobPrepare = "meeting_prepare"

// Horizon is how far ahead the calendar holds the series' sittings.
const Horizon = 60 // days

// Schedule is the cron spec of the meeting area's periodic jobs (read in
// Asia/Shanghai): every morning, before the working day.
func Schedule(settings.Settings) map[string]string {
	return map[string]string{JobPrepare: "30 7 * * *"}
}
