package supervision

import (
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/settings"
)

func TestCloseTimes(t *testing.T) {
	s := settings.Defaults() // close Friday 18:00, reports due Friday 12:00
	week := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if got := CloseAt(week, s); !got.Equal(time.Date(2026, 3, 6, 18, 0, 0, 0, settings.Shanghai)) {
		t.Fatalf("CloseAt = %v", got)
	}
	// Friday 17:59 Shanghai (09:59 UTC): the week before is the latest closed.
	if got := WeekToClose(time.Date(2026, 3, 6, 9, 59, 0, 0, time.UTC), s); !got.Equal(week.AddDate(0, 0, -7)) {
		t.Fatalf("before the close: %v", got)
	}
	if got := WeekToClose(time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC), s); !got.Equal(week) {
		t.Fatalf("at the close: %v", got)
	}
	// A county closing on Monday 09:00 closes the week just ended.
	s.WeekCloseWeekday, s.WeekCloseTime = 1, "09:00"
	if got := CloseAt(week, s); !got.Equal(time.Date(2026, 3, 9, 9, 0, 0, 0, settings.Shanghai)) {
		t.Fatalf("Monday close = %v", got)
	}
	if got := WeekToClose(time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC), s); !got.Equal(week) {
		t.Fatalf("Monday 09:00 Shanghai closes the previous week: %v", got)
	}
	if got := Schedule(s)[JobWeekClose]; got != "0 9 * * 1" {
		t.Fatalf("cron %q", got)
	}
	if got := Schedule(settings.Defaults())[JobReportReminder]; got != "0 12 * * 4" {
		t.Fatalf("reminder cron %q", got)
	}
}

func TestStreak(t *testing.T) {
	streak := 0
	var raised []int
	for week, progress := range []bool{false, false, false, true, false, false} {
		streak = NextStreak(streak, progress)
		for _, l := range Levels(settings.Defaults()) {
			if streak == l.Threshold {
				raised = append(raised, week*10+l.Level)
			}
		}
	}
	// Week index 1 level 1, index 2 level 2, index 5 level 1.
	if len(raised) != 3 || raised[0] != 11 || raised[1] != 22 || raised[2] != 51 {
		t.Fatalf("raised %v", raised)
	}
}
