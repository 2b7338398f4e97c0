package reporting

import (
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/settings"
)

func TestWeekStateAndProgress(t *testing.T) {
	yes, no := true, false
	due := time.Date(2026, 3, 6, 12, 0, 0, 0, settings.Shanghai)
	before, after := due.Add(-time.Hour), due.Add(time.Hour)
	cases := []struct {
		name     string
		listed   bool
		f        *Facts
		now      time.Time
		state    State
		progress bool
	}{
		{"not listed", false, &Facts{Status: Verified, RuleProgress: &yes}, after, StateUnlisted, true},
		{"nothing yet", true, nil, before, StatePending, false},
		{"nothing at the deadline", true, nil, due, StateMissing, false},
		{"a draft after the deadline", true, &Facts{Status: Draft, RuleProgress: &yes}, after, StateMissing, false},
		{"a draft before", true, &Facts{Status: Draft}, before, StateDraft, false},
		{"submitted, unconfirmed", true, &Facts{Status: Submitted, RuleProgress: &yes}, after, StateOnTime, true},
		{"late", true, &Facts{Status: Confirmed, Late: true, RuleProgress: &yes}, after, StateLate, true},
		{"returned", true, &Facts{Status: Returned, RuleProgress: &yes}, after, StateOnTime, false},
		{"returned, the office decided", true, &Facts{Status: Returned, RuleProgress: &no, OverrideProgress: &yes}, after, StateOnTime, true},
		{"verified, overridden to none", true, &Facts{Status: Verified, RuleProgress: &yes, OverrideProgress: &no}, after, StateOnTime, false},
	}
	for _, c := range cases {
		if got := WeekState(c.listed, c.f, due, c.now); got != c.state {
			t.Errorf("%s: state %s, want %s", c.name, got, c.state)
		}
		if got := Progress(c.f); got != c.progress {
			t.Errorf("%s: progress %v", c.name, got)
		}
	}
	if CountsInvestment(Submitted) || CountsInvestment(Returned) || !CountsInvestment(Confirmed) || !CountsInvestment(Verified) {
		t.Error("investment statuses")
	}
}

func TestCompletedInvestment(t *testing.T) {
	week := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	weeks := []WeekAmount{
		{week("2025-12-29"), 100}, // Sunday 4 January: January
		{week("2026-01-26"), 200}, // Sunday 1 February: February
		{week("2026-02-23"), 300}, // Sunday 1 March: March
	}
	verified := map[time.Month]int64{time.January: 150, time.March: 999}
	// Through 31 January: January has ended, the Bureau's figure; February's week is not in yet.
	inv := CompletedInvestment(2026, week("2026-01-31"), weeks, verified)
	if inv.TotalYuan != 150 || len(inv.Months) != 1 || inv.Months[0].Source != SourceStatistics || inv.Months[0].WeeklyYuan != 100 {
		t.Fatalf("through January: %+v", inv)
	}
	// Through 1 March: January (Bureau) + February (weekly) + March's first week
	// (March not ended: weekly, though the Bureau has a figure).
	inv = CompletedInvestment(2026, week("2026-03-01"), weeks, verified)
	if inv.TotalYuan != 150+200+300 || inv.SourceText() != "1月为统计局核定数，2月、3月为周报汇总数" {
		t.Fatalf("through 1 March: %+v %q", inv, inv.SourceText())
	}
	// A week of 2025 (Sunday in 2025) never counts for 2026.
	if inv := CompletedInvestment(2026, week("2026-12-31"), []WeekAmount{{week("2025-12-22"), 5}}, nil); inv.TotalYuan != 0 {
		t.Fatalf("a 2025 week: %+v", inv)
	}
	if (Investment{}).SourceText() != "暂无完成投资" {
		t.Error("empty source text")
	}
}

func TestBaseline(t *testing.T) {
	a, b, c := 10, 20, 30
	if *Baseline(&a, &b, &c) != 10 || *Baseline(nil, &b, &c) != 20 || *Baseline(nil, nil, &c) != 30 || Baseline(nil, nil, nil) != nil {
		t.Error("baseline order")
	}
	s := settings.Defaults() // 5 points
	// Without a baseline the image rule does not apply: 30% is where the project stands.
	if d := Determine(Content{ImagePercent: 30}, nil, s); d.Progress {
		t.Errorf("a first report without a baseline: %+v", d)
	}
	if d := Determine(Content{ImagePercent: 46}, &b, s); !d.Progress {
		t.Errorf("26 points over the baseline: %+v", d)
	}
}
