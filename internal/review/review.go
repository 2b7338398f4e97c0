// Package review is joint review and approval (联审联批, M3.7, M4.3): the
// procedure items brought to the fortnightly sittings, what each sitting
// decided (done on the spot, or a deadline and a responsible service unit,
// with the fast-track reforms applied), the items carried on when a
// deadline passes, and the figures the real bulletins publish — items,
// done, rate, average days to done, and the unfinished list. It imports
// neither Echo nor bun.
package review

import (
	"math/big"
	"sort"
	"time"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/errs"
)

// Outcome is what a sitting decided on an item.
type Outcome string

const (
	Pending  Outcome = "pending"  // on the list, not decided yet
	Done     Outcome = "done"     // done on the spot (the ledger records it done on the sitting's day)
	Deadline Outcome = "deadline" // to be done by a date by its service unit
)

// ParseOutcome reads a decision's outcome (pending is no decision).
func ParseOutcome(s string) (Outcome, error) {
	switch Outcome(s) {
	case Done, Deadline:
		return Outcome(s), nil
	}
	return "", errs.E(errs.Invalid, "invalid_outcome", "办理结果须为当场办结（done）或限期办结（deadline）",
		"the outcome must be done (on the spot) or deadline")
}

// Fact is an item as the figures need it.
type Fact struct {
	Sitting   string     // the sitting's label
	Unit      string     // its service unit
	Project   string     // the project's name
	Procedure string     // the procedure's name
	FirstOn   time.Time  // the day the procedure first came to a joint review
	Deadline  *time.Time // the deadline given, if any
	DoneOn    *time.Time // the ledger's date it was done, if done
	Carried   bool       // carried on to a later sitting, where it is counted again
}

// IsDone says whether the item was done by asOf (a carried item never is:
// its later link counts).
func (f Fact) IsDone(asOf time.Time) bool {
	return !f.Carried && f.DoneOn != nil && !f.DoneOn.After(asOf)
}

// DaysOver is how many days past its deadline an unfinished item is on
// asOf (0 when not past it, or done).
func (f Fact) DaysOver(asOf time.Time) int {
	if f.IsDone(asOf) || f.Deadline == nil || !asOf.After(*f.Deadline) {
		return 0
	}
	return int(asOf.Sub(*f.Deadline).Hours() / 24)
}

// Throughput is items, done, rate and average days to done.
type Throughput struct {
	Name     string `json:"name"`
	Items    int    `json:"items"`
	Done     int    `json:"done"`
	Overdue  int    `json:"overdue"`
	Rate     string `json:"rate"`     // done ÷ items in percent, one decimal ("" with none)
	AvgDays  string `json:"avg_days"` // from first coming to a joint review to done, one decimal ("" with none done)
	daysDone int64
}

func (t *Throughput) add(f Fact, asOf time.Time) {
	t.Items++
	if f.IsDone(asOf) {
		t.Done++
		t.daysDone += int64(f.DoneOn.Sub(f.FirstOn).Hours() / 24)
	} else if f.DaysOver(asOf) > 0 {
		t.Overdue++
	}
}

func (t *Throughput) finish() {
	if t.Items > 0 {
		t.Rate = bulletin.Percent(big.NewRat(int64(t.Done), int64(t.Items)))
	}
	if t.Done > 0 {
		t.AvgDays = bulletin.Round(big.NewRat(t.daysDone, int64(t.Done)), 1)
	}
}

// Unfinished is an item not done, as the bulletins list them.
type Unfinished struct {
	Project   string `json:"project"`
	Procedure string `json:"procedure"`
	Unit      string `json:"unit"`
	Sitting   string `json:"sitting"`
	Deadline  string `json:"deadline"` // "" when none given yet
	DaysOver  int    `json:"days_over"`
}

// Summary is the tallies overall (each procedure once: the latest link of
// its chain), by sitting (every item on its list, a carried one as not
// done there) and by service unit (latest links), and the unfinished list
// (most days over first).
type Summary struct {
	All        Throughput   `json:"all"`
	BySitting  []Throughput `json:"by_sitting"`
	ByUnit     []Throughput `json:"by_unit"`
	Unfinished []Unfinished `json:"unfinished"`
}

// Count tallies items on asOf; facts come in sitting order.
func Count(facts []Fact, asOf time.Time) Summary {
	f := Summary{All: Throughput{Name: "合计"}, BySitting: []Throughput{}, ByUnit: []Throughput{}, Unfinished: []Unfinished{}}
	sittings, units := map[string]int{}, map[string]int{}
	for _, x := range facts {
		i, ok := sittings[x.Sitting]
		if !ok {
			i = len(f.BySitting)
			sittings[x.Sitting] = i
			f.BySitting = append(f.BySitting, Throughput{Name: x.Sitting})
		}
		f.BySitting[i].add(x, asOf)
		if x.Carried {
			continue
		}
		f.All.add(x, asOf)
		j, ok := units[x.Unit]
		if !ok {
			j = len(f.ByUnit)
			units[x.Unit] = j
			f.ByUnit = append(f.ByUnit, Throughput{Name: x.Unit})
		}
		f.ByUnit[j].add(x, asOf)
		if !x.IsDone(asOf) {
			u := Unfinished{Project: x.Project, Procedure: x.Procedure, Unit: x.Unit, Sitting: x.Sitting, DaysOver: x.DaysOver(asOf)}
			if x.Deadline != nil {
				u.Deadline = x.Deadline.Format(time.DateOnly)
			}
			f.Unfinished = append(f.Unfinished, u)
		}
	}
	f.All.finish()
	for i := range f.BySitting {
		f.BySitting[i].finish()
	}
	for i := range f.ByUnit {
		f.ByUnit[i].finish()
	}
	sort.SliceStable(f.ByUnit, func(i, j int) bool { return f.ByUnit[i].Name < f.ByUnit[j].Name })
	sort.SliceStable(f.Unfinished, func(i, j int) bool { return f.Unfinished[i].DaysOver > f.Unfinished[j].DaysOver })
	return f
}

// DefaultDeadline is the deadline an item gets when the sitting gives
// none: the county's joint_review_deadline_days after the sitting.
func DefaultDeadline(sittingDay time.Time, days int) time.Time { return sittingDay.AddDate(0, 0, days) }
