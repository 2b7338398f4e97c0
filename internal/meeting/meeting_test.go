package meeting

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tuijin/tuijin/internal/settings"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dates(ts []time.Time) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Format(time.DateOnly))
	}
	return strings.Join(out, " ")
}

// Guangshan's series in 2026: Mondays; the last Thursday of each month;
// the first Wednesday of March, May …; the last Friday of June and December.
func TestSlots(t *testing.T) {
	s := settings.Defaults()
	cases := []struct {
		kind     Kind
		from, to string
		want     string
	}{
		{Weekly, "2026-03-01", "2026-03-31", "2026-03-02 2026-03-09 2026-03-16 2026-03-23 2026-03-30"},
		{Monthly, "2026-01-01", "2026-04-30", "2026-01-29 2026-02-26 2026-03-26 2026-04-30"},
		{Bimonthly, "2026-01-01", "2026-12-31", "2026-01-07 2026-03-04 2026-05-06 2026-07-01 2026-09-02 2026-11-04"},
		{HalfYear, "2026-01-01", "2026-12-31", "2026-06-26 2026-12-25"},
		{Monthly, "2026-01-30", "2026-02-25", ""}, // between two sittings
	}
	for _, c := range cases {
		if got := dates(Slots(c.kind, s, d(c.from), d(c.to))); got != c.want {
			t.Errorf("%s %s–%s: %s, want %s", c.kind, c.from, c.to, got, c.want)
		}
	}
	// Every two weeks from ISO week 1 (its Monday is 29 December 2025): weeks 3, 5, 7 …
	s.CadenceWeeklyMeeting = settings.Cadence{Every: 2, Unit: "week"}
	if got := dates(Slots(Weekly, s, d("2026-01-01"), d("2026-02-10"))); got != "2026-01-12 2026-01-26 2026-02-09" {
		t.Errorf("fortnightly: %s", got)
	}
}

func TestWeekdayOfMonth(t *testing.T) {
	for _, c := range []struct {
		month         string
		weekday, week int
		want          string
	}{
		{"2026-03-01", 1, 1, "2026-03-02"}, // first Monday
		{"2026-02-01", 7, 1, "2026-02-01"}, // the 1st is a Sunday
		{"2026-02-01", 6, -1, "2026-02-28"},
		{"2026-05-01", 5, 4, "2026-05-22"},
		{"2026-12-01", 4, -1, "2026-12-31"},
	} {
		if got := WeekdayOfMonth(d(c.month), c.weekday, c.week).Format(time.DateOnly); got != c.want {
			t.Errorf("%s weekday %d week %d: %s, want %s", c.month, c.weekday, c.week, got, c.want)
		}
	}
}

func TestReviewOf(t *testing.T) {
	w := d("2026-03-02")
	if r := ReviewOf(Weekly, d("2026-03-09"), w); r.Week == nil || !r.Week.Equal(w) || r.To.Format(time.DateOnly) != "2026-03-08" {
		t.Errorf("weekly: %+v", r)
	}
	for _, c := range []struct {
		kind     Kind
		day      string
		from, to string
	}{
		{Monthly, "2026-03-26", "2026-03-01", "2026-03-31"},
		{Bimonthly, "2026-03-04", "2026-01-01", "2026-02-28"},
		{Bimonthly, "2026-01-07", "2025-11-01", "2025-12-31"},
		{HalfYear, "2026-06-26", "2026-01-01", "2026-06-30"},
	} {
		r := ReviewOf(c.kind, d(c.day), w)
		if r.From.Format(time.DateOnly) != c.from || r.To.Format(time.DateOnly) != c.to {
			t.Errorf("%s on %s: %s–%s, want %s–%s", c.kind, c.day, r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), c.from, c.to)
		}
	}
}

func TestOverdueAndMoves(t *testing.T) {
	deadline, today := d("2026-03-10"), d("2026-03-11")
	early, late := d("2026-03-09"), d("2026-03-11")
	for _, c := range []struct {
		status   ActionStatus
		reported *time.Time
		today    time.Time
		want     bool
	}{
		{ActionOpen, nil, deadline, false}, // due today: not yet overdue
		{ActionOpen, nil, today, true},
		{ActionReported, &early, today, false}, // reported on time, awaiting the office
		{ActionReported, &late, today, true},
		{ActionClosed, &late, today, false},
	} {
		if got := Overdue(c.status, deadline, c.reported, c.today); got != c.want {
			t.Errorf("%s reported %v on %s: overdue %v", c.status, c.reported, c.today.Format(time.DateOnly), got)
		}
	}
	if err := Move(ActionOpen, ActionReported, "已完成"); err == nil {
		t.Error("reported with 3 characters of evidence")
	}
	if err := Move(ActionOpen, ActionReported, "供电公司已完成增容"); err != nil {
		t.Error(err)
	}
	if err := Move(ActionOpen, ActionClosed, ""); err == nil {
		t.Error("closed without being reported")
	}
	if err := Move(ActionClosed, ActionOpen, "重新打开此事项"); err == nil {
		t.Error("a closed action reopened")
	}
}

// The tallies of a tracked-decision bulletin: Zhenping's 常务会议 8th
// sitting, 38 items, 34 done = 89.5%.
func TestCount(t *testing.T) {
	var facts []ActionFact
	for i := range 38 {
		st := ActionClosed
		if i >= 34 {
			st = ActionOpen
		}
		unit := "县发改局"
		if i%2 == 1 {
			unit = "县民政局"
		}
		facts = append(facts, ActionFact{Sitting: "第8次", Unit: unit, Status: st, Overdue: st == ActionOpen && i%2 == 1})
	}
	facts = append(facts, ActionFact{Sitting: "第9次", Unit: "县水利局", Status: ActionReported})
	f := Count(facts)
	if f.All.Total != 39 || f.All.Done != 34 || f.All.Progress != 5 || f.All.Rate != "87.2" {
		t.Errorf("all: %+v", f.All)
	}
	if s := f.BySitting[0]; s.Name != "第8次" || s.Total != 38 || s.Rate != "89.5" {
		t.Errorf("8th: %+v", s)
	}
	if u := f.ByUnit[0]; u.Name != "县民政局" || u.Overdue != 2 {
		t.Errorf("most overdue unit first: %+v", f.ByUnit)
	}
}

func TestNumeral(t *testing.T) {
	for n, want := range map[int]string{1: "一", 9: "九", 10: "十", 11: "十一", 20: "二十", 23: "二十三", 99: "九十九", 0: "", 100: ""} {
		if got := Numeral(n); got != want {
			t.Errorf("%d: %q", n, got)
		}
	}
}

// TestICalendarLines: lines end in CRLF, are folded at 75 octets without
// cutting a character in two, and text is escaped.
func TestICalendarLines(t *testing.T) {
	long := strings.Repeat("紫水街道老旧小区改造项目，", 10) + "a;b\\c\nd"
	out := string(ICalendar("光山县", []Event{{UID: "x@tuijin", Summary: long, Start: d("2026-03-09"), Duration: time.Hour, Stamp: d("2026-03-01")}}))
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("a line of %d octets: %q", len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("a character cut in two: %q", l)
		}
	}
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	if !strings.Contains(unfolded, `SUMMARY:`+strings.Repeat("紫水街道老旧小区改造项目，", 10)+`a\;b\\c\nd`+"\r\n") {
		t.Errorf("summary not escaped as RFC 5545 says:\n%s", unfolded)
	}
	if strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Error("a line not ended by CRLF")
	}
}
