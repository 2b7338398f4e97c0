package observation

import (
	"math/big"
	"strings"
	"testing"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/settings"
)

func TestTrimmedMean(t *testing.T) {
	r := DefaultRubric()
	// Four judges, one an outlier (40): the highest (95) and the lowest (40) go.
	s := r.Scores(map[string]map[string]int{"A": {"j1": 88, "j2": 91, "j3": 95, "j4": 40}, "B": {"j1": 80, "j2": 85}})
	if got := Two(s["A"]); got != "89.50" {
		t.Errorf("A: %s, want 89.50 ((88+91)/2)", got)
	}
	// Two judges: a plain mean.
	if got := Two(s["B"]); got != "82.50" {
		t.Errorf("B: %s, want 82.50", got)
	}
	r.Method = Mean
	if got := Two(r.Scores(map[string]map[string]int{"A": {"j1": 88, "j2": 91, "j3": 95, "j4": 40}})["A"]); got != "78.50" {
		t.Errorf("mean %s", got)
	}
	// Exact until shown: 1/3 of a point stays a third.
	if got := Two(r.Scores(map[string]map[string]int{"C": {"j1": 90, "j2": 90, "j3": 91}})["C"]); got != "90.33" {
		t.Errorf("C %s", got)
	}
}

// TestRankVote: as Jining's rule, first place 100 points and each lower
// place 3 fewer, averaged over the judges; equal totals share a place.
func TestRankVote(t *testing.T) {
	r := DefaultRubric()
	r.Method = RankVote
	s := r.Scores(map[string]map[string]int{
		"A": {"j1": 90, "j2": 85}, "B": {"j1": 80, "j2": 95}, "C": {"j1": 70, "j2": 85},
	})
	// j1: A 100, B 97, C 94; j2: B 100, A and C share second: 97.
	for site, want := range map[string]string{"A": "98.50", "B": "98.50", "C": "95.50"} {
		if got := Two(s[site]); got != want {
			t.Errorf("%s: %s, want %s", site, got, want)
		}
	}
}

func TestPools(t *testing.T) {
	r := DefaultRubric()
	if r.PoolOf("street") != PoolTownships || r.PoolOf("town") != PoolTownships || r.PoolOf("zone") != PoolTownships ||
		r.PoolOf("department") != PoolDepartments || r.PoolOf("enterprise") != "" {
		t.Error("pools")
	}
	r.ZonesOwn = true
	if r.PoolOf("zone") != PoolZones {
		t.Error("zones in their own pool")
	}
}

func rat(n, d int64) *big.Rat { return big.NewRat(n, d) }

// TestRank: a tie resolved by the completion rate, one that the rate
// leaves and the best site resolves, and one that remains and shares a
// rank (1, 2, 2, 4 …), each saying how it ended.
func TestRank(t *testing.T) {
	entries := []Entry{
		{Key: "a", Name: "甲", Score: rat(90, 1), CompletionRate: rat(1, 2), BestSite: rat(91, 1)},
		{Key: "b", Name: "乙", Score: rat(88, 1), CompletionRate: rat(3, 5), BestSite: rat(90, 1)},
		{Key: "c", Name: "丙", Score: rat(88, 1), CompletionRate: rat(3, 5), BestSite: rat(90, 1)},
		{Key: "d", Name: "丁", Score: rat(85, 1), CompletionRate: rat(7, 10), BestSite: rat(86, 1)},
		{Key: "e", Name: "戊", Score: rat(85, 1), CompletionRate: rat(3, 5), BestSite: rat(89, 1)},
		{Key: "f", Name: "己", Score: rat(80, 1), CompletionRate: rat(3, 5), BestSite: rat(88, 1)},
		{Key: "g", Name: "庚", Score: rat(80, 1), CompletionRate: rat(3, 5), BestSite: rat(81, 1)},
	}
	got := Rank(entries, DefaultRubric().TieBreaks)
	var order []string
	for _, r := range got {
		order = append(order, r.Name+":"+string(rune('0'+r.Rank)))
	}
	if s := strings.Join(order, " "); s != "甲:1 丙:2 乙:2 丁:4 戊:5 己:6 庚:7" {
		t.Fatalf("ranks %s", s)
	}
	notes := map[string]string{}
	for _, r := range got {
		notes[r.Name] = r.TieNote
	}
	if notes["甲"] != "" || !strings.Contains(notes["乙"], "并列第2名") || !strings.Contains(notes["丁"], "按年度投资完成率排序") ||
		!strings.Contains(notes["己"], "按最高单个项目得分排序") {
		t.Errorf("notes %v", notes)
	}
	// Without tie-breaks every tie shares.
	plain := Rank(entries, nil)
	if plain[3].Rank != 4 || plain[4].Rank != 4 || plain[5].Rank != 6 || plain[6].Rank != 6 {
		t.Errorf("shared ranks %+v", plain)
	}
}

func TestSheetChecks(t *testing.T) {
	r := DefaultRubric()
	if err := r.Check(Sheet{"image": 30, "investment": 25, "quality": 18, "highlight": 21}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("over the maximum: %v", err)
	}
	if err := r.Check(Sheet{"image": 30, "investment": 25, "quality": 18}); err == nil {
		t.Error("an item missing")
	}
	if err := r.Check(Sheet{"image": 30, "investment": 25, "quality": 18, "highlight": 20, "x": 1}); err == nil {
		t.Error("an unknown item")
	}
	if r.Total(Sheet{"image": 30, "investment": 25, "quality": 18, "highlight": 20}) != 93 {
		t.Error("total")
	}
	bad := settings.Defaults()
	bad.ObservationRubric.Method = "median"
	if bad.Validate() == nil {
		t.Error("a method not known")
	}
}
