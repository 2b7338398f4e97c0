package review

import (
	"testing"
	"time"
)

func d(s string) *time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return &t
}

// TestCount: a carried link counts at its sitting, not overall; done by
// the ledger's date; days over from the deadline; rates and averages
// rounded once; nothing gives empty figures, not zeros.
func TestCount(t *testing.T) {
	asOf := *d("2026-03-10")
	facts := []Fact{
		{Sitting: "一", Unit: "县自然资源局", FirstOn: *d("2026-01-14"), Deadline: d("2026-01-28"), Carried: true},
		{Sitting: "一", Unit: "县住建局", FirstOn: *d("2026-01-14"), DoneOn: d("2026-01-14")},
		{Sitting: "一", Unit: "县住建局", FirstOn: *d("2026-01-14"), Deadline: d("2026-03-20"), DoneOn: d("2026-03-15")}, // done after asOf
		{Sitting: "二", Unit: "县自然资源局", FirstOn: *d("2026-01-14"), Deadline: d("2026-03-01"), DoneOn: d("2026-02-24")},
	}
	f := Count(facts, asOf)
	if f.All.Items != 3 || f.All.Done != 2 || f.All.Rate != "66.7" || f.All.AvgDays != "20.5" || f.All.Overdue != 0 {
		t.Errorf("all %+v", f.All)
	}
	if s := f.BySitting[0]; s.Items != 3 || s.Done != 1 || s.Overdue != 1 || s.Rate != "33.3" {
		t.Errorf("first sitting %+v", s)
	}
	if len(f.Unfinished) != 1 || f.Unfinished[0].DaysOver != 0 || f.Unfinished[0].Deadline != "2026-03-20" {
		t.Errorf("unfinished %+v", f.Unfinished)
	}
	late := Fact{FirstOn: *d("2026-01-14"), Deadline: d("2026-02-28")}
	if late.DaysOver(asOf) != 10 || late.IsDone(asOf) {
		t.Errorf("days over %d", late.DaysOver(asOf))
	}
	none := Count(nil, asOf)
	if none.All.Rate != "" || none.All.AvgDays != "" || len(none.Unfinished) != 0 {
		t.Errorf("no items: %+v", none.All)
	}
	if _, err := ParseOutcome("pending"); err == nil {
		t.Error("pending accepted as a decision")
	}
}
