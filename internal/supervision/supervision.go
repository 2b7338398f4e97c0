// Package supervision is the mechanism's weekly heartbeat (issue 7; M1.1,
// M1.3, M2.2, P4): when each county's week closes, which week a close
// covers, the stall streak and its escalation thresholds, and the cron
// schedule of every periodic job, all derived from the county's settings.
package supervision

import (
	"fmt"
	"time"

	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/settings"
)

// Jobs run per county and period.
const (
	JobWeekClose      = "week_close"      // M1.3: streaks, escalations, compliance
	JobReportReminder = "report_reminder" // the day before the report deadline
	JobDeadlines      = "deadlines"       // daily: problems and procedures near or past their deadline
)

// CloseAt is when week's close runs: the county's close weekday and time in
// that week, or in the following week when that instant would come before
// the week's report deadline (a county closing on Monday 09:00 closes the
// week just ended).
func CloseAt(week time.Time, s settings.Settings) time.Time {
	at := reporting.At(week, s.WeekCloseWeekday, s.WeekCloseTime)
	if at.Before(reporting.Deadline(week, s)) {
		at = at.AddDate(0, 0, 7)
	}
	return at
}

// WeekToClose is the latest week whose close time has come at now.
func WeekToClose(now time.Time, s settings.Settings) time.Time {
	w := reporting.WeekStart(now)
	for CloseAt(w, s).After(now) {
		w = w.AddDate(0, 0, -7)
	}
	return w
}

// Period names a week in job keys and logs: its Monday.
func Period(week time.Time) string { return week.Format(time.DateOnly) }

// Cron is a weekday (1 = Monday … 7 = Sunday) and "HH:MM" as a cron spec
// (minute hour * * day-of-week), read in Asia/Shanghai by the scheduler.
func Cron(weekday int, hhmm string) string {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return fmt.Sprintf("%d %d * * %d", m, h, weekday%7)
}

// Schedule is the cron spec of each periodic job of a county.
func Schedule(s settings.Settings) map[string]string {
	remind := s.ReportDeadlineWeekday - 1
	if remind == 0 {
		remind = 7
	}
	return map[string]string{
		JobWeekClose:      Cron(s.WeekCloseWeekday, s.WeekCloseTime),
		JobReportReminder: Cron(remind, s.ReportDeadlineTime),
		JobDeadlines:      "30 8 * * *",
	}
}

// NextStreak is a project's stall streak after a closed week (M1.3):
// substantive progress ends it, a week without (a missing report included)
// lengthens it. This is the streak the week close stores.
func NextStreak(previous int, progress bool) int {
	if progress {
		return 0
	}
	return previous + 1
}

// Stalled is the one meaning of "stalled" (停滞): a streak at or over the
// county's level-1 threshold. A single week without progress is "no
// progress this week", not a stall.
func Stalled(streak int, s settings.Settings) bool {
	return streak > 0 && streak >= s.StallUnitHeadWeeks
}

// Level is an escalation level of M1.3.
type Level struct {
	Level     int
	Role      string // the task-force seat whose holder is named
	Threshold int    // weeks without progress
	Name      string // who is put up for TV questioning, in Chinese
}

// Level names: the one wording of each level, in messages, the register and
// the bulletins.
const (
	LevelUnitHeadName     = "责任单位主要负责人"
	LevelCountyLeaderName = "分包县级领导"
)

// Levels are the escalation levels under a county's settings: level 1 names
// the responsible unit's main head (the responsible seat, 项目责任人), level 2
// the county leader who subcontracts the project (the chief, 项目长).
func Levels(s settings.Settings) []Level {
	return []Level{
		{Level: 1, Role: "responsible", Threshold: s.StallUnitHeadWeeks, Name: LevelUnitHeadName},
		{Level: 2, Role: "chief", Threshold: s.StallCountyLeaderWeeks, Name: LevelCountyLeaderName},
	}
}

// LevelName is the wording of a level (1 or 2).
func LevelName(level int) string {
	if level == 2 {
		return LevelCountyLeaderName
	}
	return LevelUnitHeadName
}

// DueLevels are the levels a streak has reached. A streak past a threshold
// (weeks closed late, after downtime) still raises it, once per streak.
func DueLevels(streak int, s settings.Settings) []Level {
	var out []Level
	for _, l := range Levels(s) {
		if streak > 0 && streak >= l.Threshold {
			out = append(out, l)
		}
	}
	return out
}

// StreakStart is the Monday of a streak's first week.
func StreakStart(week time.Time, streak int) time.Time {
	return week.AddDate(0, 0, -7*(streak-1))
}

// Named says why an escalation names its person.
type Named string

const (
	NamedSeat        Named = "seat"         // held the seat during the streak
	NamedUnitHead    Named = "unit_head"    // the seat was empty: the responsible unit's main head (level 1)
	NamedGroupLeader Named = "group_leader" // no county leader subcontracted it: the leading group's leader (level 2)
)
