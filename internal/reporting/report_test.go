package reporting

import (
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/settings"
)

// TestWeekBoundaries: Sunday 23:30 and Monday 00:30 in Asia/Shanghai are in
// different weeks, with the server in UTC (where both are on Sunday/Monday
// at other hours).
func TestWeekBoundaries(t *testing.T) {
	sh := settings.Shanghai
	sunday := time.Date(2026, 3, 8, 23, 30, 0, 0, sh).UTC() // 15:30 UTC Sunday
	monday := time.Date(2026, 3, 9, 0, 30, 0, 0, sh).UTC()  // 16:30 UTC Sunday!
	if got := WeekStart(sunday).Format(time.DateOnly); got != "2026-03-02" {
		t.Errorf("Sunday 23:30: week of %s", got)
	}
	if got := WeekStart(monday).Format(time.DateOnly); got != "2026-03-09" {
		t.Errorf("Monday 00:30: week of %s", got)
	}
	if _, err := ParseWeek("2026-03-10"); err == nil {
		t.Error("a Tuesday accepted as a week")
	}
}

func TestDeadline(t *testing.T) {
	s := settings.Defaults() // Friday 12:00
	d := Deadline(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), s)
	if got := d.In(settings.Shanghai).Format("2006-01-02 15:04 Mon"); got != "2026-03-06 12:00 Fri" {
		t.Fatalf("deadline %s", got)
	}
}

func TestDetermine(t *testing.T) {
	s := settings.Defaults() // 100,000 yuan, 5 points
	prev := 40
	cases := []struct {
		c    Content
		want bool
	}{
		{Content{ImagePercent: 40, InvestmentYuan: 99_999}, false},
		{Content{ImagePercent: 40, InvestmentYuan: 100_000}, true},
		{Content{ImagePercent: 44}, false},
		{Content{ImagePercent: 45}, true},
		{Content{ImagePercent: 40, NodesReached: []project.Node{"main_start"}}, true},
	}
	for _, c := range cases {
		if d := Determine(c.c, &prev, s); d.Progress != c.want {
			t.Errorf("%+v: %v %v", c.c, d.Progress, d.Reasons)
		}
	}
}

func TestCheckVisit(t *testing.T) {
	s := settings.Defaults() // 500 m
	lat, lng := 32.010, 114.920
	p := project.Project{Latitude: &lat, Longitude: &lng}
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, settings.Shanghai)
	if c := CheckVisit(p, 32.012, 114.921, now, now, s); !c.Verified || *c.DistanceM > 300 {
		t.Errorf("240 m away: %+v", c)
	}
	if c := CheckVisit(p, 32.028, 114.920, now, now, s); c.Verified || *c.DistanceM < 1900 || *c.DistanceM > 2100 {
		t.Errorf("2 km away verified: %+v", c)
	}
	lastWeek := now.AddDate(0, 0, -7)
	if c := CheckVisit(p, 32.010, 114.920, lastWeek, now, s); c.Verified {
		t.Errorf("a past week back-filled: %+v", c)
	}
	if c := CheckVisit(project.Project{}, 32.01, 114.92, now, now, s); c.Verified {
		t.Errorf("a project without coordinates: %+v", c)
	}
	if d := Distance(32.0, 114.9, 32.0, 114.9); d != 0 {
		t.Errorf("distance to itself %f", d)
	}
}
