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

// TestStalledAndLevels: "stalled" and the escalation levels at and around
// the thresholds (Guangshan: 2 and 3 weeks; another county: 3 and 5), and
// a new streak after progress starting again from 1.
func TestStalledAndLevels(t *testing.T) {
	gs := settings.Defaults()
	other := settings.Defaults()
	other.StallUnitHeadWeeks, other.StallCountyLeaderWeeks = 3, 5
	cases := []struct {
		s       settings.Settings
		streak  int
		stalled bool
		levels  int
	}{
		{gs, 0, false, 0}, {gs, 1, false, 0}, {gs, 2, true, 1}, {gs, 3, true, 2}, {gs, 9, true, 2},
		{other, 2, false, 0}, {other, 3, true, 1}, {other, 4, true, 1}, {other, 5, true, 2},
	}
	for _, c := range cases {
		if got := Stalled(c.streak, c.s); got != c.stalled {
			t.Errorf("streak %d (threshold %d): stalled %v", c.streak, c.s.StallUnitHeadWeeks, got)
		}
		if got := DueLevels(c.streak, c.s); len(got) != c.levels {
			t.Errorf("streak %d: levels %+v", c.streak, got)
		}
	}
	streak := 0
	for _, progress := range []bool{false, false, true, false} {
		streak = NextStreak(streak, progress)
	}
	if streak != 1 || Stalled(streak, gs) {
		t.Errorf("a new streak after progress: %d", streak)
	}
	if LevelName(1) != "责任单位主要负责人" || LevelName(2) != "分包县级领导" || Levels(gs)[0].Name != LevelName(1) {
		t.Error("level names")
	}
	if start := StreakStart(time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), 3); !start.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("streak start %v", start)
	}
}
