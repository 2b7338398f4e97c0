package assessment

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tuijin/tuijin/internal/settings"
)

// year is a year for ten townships (one with no key project), six
// departments and an enterprise, under Guangshan's settings.
func year(shared string) Snapshot {
	s := settings.Defaults()
	rules := s.Assessment
	rules.SharedPrize = shared
	snap := Snapshot{County: "光山县", Period: "year", Start: "2026-01-01", End: "2026-12-31", Label: "2026年度",
		Weights: Weights{s.WeightInvestment, s.WeightNodePlan, s.WeightObservation, s.WeightSupervision, rules.WeightLetters}, Rules: rules,
		TieBreaks: s.ObservationRubric.TieBreaks, Rewards: s.TownshipRewardsYuan, Fines: s.TownshipFinesYuan, FiscalCut: s.FiscalCutPercent}
	// Townships: done of 100,000,000 planned, all nodes on time, observation 90, no deductions,
	// so the composite is 0.6 × min(done%,100) + 20 + 9 + 10.
	done := []int64{100_000_000, 95_000_000, 90_000_000, 90_000_000, 80_000_000, 70_000_000, 60_000_000, 50_000_000, 50_000_000}
	for i, d := range done {
		snap.Units = append(snap.Units, Unit{ID: fmt.Sprintf("t%d", i+1), Name: fmt.Sprintf("乡镇%02d", i+1), Kind: "town", Head: fmt.Sprintf("镇长%d", i+1),
			Projects: 2, PlanYuan: 100_000_000, DoneYuan: d, NodesDue: 4, NodesOnTime: 4, Observation: []string{"90"}, BestSite: "90"})
	}
	snap.Units = append(snap.Units, Unit{ID: "t10", Name: "乡镇10", Kind: "township", Projects: 0})
	for i, d := range []int64{120_000_000, 100_000_000, 99_000_000, 80_000_000, 80_000_000, 10_000_000} {
		snap.Units = append(snap.Units, Unit{ID: fmt.Sprintf("d%d", i+1), Name: fmt.Sprintf("县局%02d", i+1), Kind: "department", Head: fmt.Sprintf("局长%d", i+1),
			Projects: 1, PlanYuan: 100_000_000, DoneYuan: d, NodesDue: 2, NodesOnTime: 1, StallWeeks: i, Escalations: i / 3})
	}
	snap.Units = append(snap.Units, Unit{ID: "e1", Name: "某建设公司", Kind: "enterprise", Projects: 1, PlanYuan: 1, DoneYuan: 1})
	return snap
}

func unitOf(r Result, name string) UnitResult {
	for _, u := range r.Units {
		if u.Name == name {
			return u
		}
	}
	return UnitResult{}
}

func outcomesOf(r Result, kind string) string {
	var out []string
	for _, o := range r.Outcomes {
		if o.Kind == kind {
			s := o.Unit
			if o.AmountYuan > 0 {
				s += fmt.Sprintf(":%d", o.AmountYuan)
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

func TestYear(t *testing.T) {
	r := Compute(year("full"))
	// 乡镇01: 60 + 20 + 9 + 10 = 99; 乡镇03 and 乡镇04 tie (54+39 = 93) on every tie-break: they share 3rd.
	if u := unitOf(r, "乡镇01"); u.Score != "99.00" || u.Rank != 1 || u.Pool != "townships" {
		t.Errorf("乡镇01 %+v", u)
	}
	if a, b := unitOf(r, "乡镇03"), unitOf(r, "乡镇04"); a.Rank != 3 || b.Rank != 3 || !strings.Contains(a.TieNote, "并列第3名") || unitOf(r, "乡镇05").Rank != 5 {
		t.Errorf("the tie: %+v %+v", a, b)
	}
	// 乡镇08 and 乡镇09 share the last place: both fined the last place's full amount, both criticised.
	if got := outcomesOf(r, "reward"); got != "乡镇01:1000000 乡镇02:500000" {
		t.Errorf("rewards %s", got)
	}
	if got := outcomesOf(r, "fine"); got != "乡镇08:1000000 乡镇09:1000000" {
		t.Errorf("fines (full) %s", got)
	}
	if got := outcomesOf(r, "criticism"); !strings.Contains(got, "乡镇08") || !strings.Contains(got, "乡镇09") || !strings.Contains(got, "县局06") {
		t.Errorf("criticism %s", got)
	}
	if got := outcomesOf(r, "pledge"); got != "乡镇08 乡镇09" {
		t.Errorf("pledge %s", got)
	}
	// The township with no project: not ranked, not eligible, listed for the cut.
	if u := unitOf(r, "乡镇10"); u.Rank != 0 || u.Eligible || !strings.Contains(outcomesOf(r, "fiscal_cut"), "乡镇10") {
		t.Errorf("乡镇10 %+v", u)
	}
	// Departments ranked apart; those at 100% get merits, those below are criticised.
	if u := unitOf(r, "县局01"); u.Rank != 1 || u.Pool != "departments" {
		t.Errorf("县局01 %+v", u)
	}
	if got := outcomesOf(r, "merit"); !strings.Contains(got, "县局01") || !strings.Contains(got, "县局02") || strings.Contains(got, "县局03") {
		t.Errorf("merits %s", got)
	}
	// The enterprise is an owner, not assessed.
	if u := unitOf(r, "某建设公司"); u.Name != "" {
		t.Errorf("an enterprise assessed: %+v", u)
	}
	// Each component says what it lost points for.
	d6 := unitOf(r, "县局06")
	var lost []string
	for _, c := range d6.Components {
		lost = append(lost, c.Name+":"+c.Lost)
	}
	if s := strings.Join(lost, "|"); !strings.Contains(s, "完成1000.00万元（10.0%）") || !strings.Contains(s, "项目停滞5周扣10分") || !strings.Contains(s, "本期无可考核事项") {
		t.Errorf("县局06 lost: %s", s)
	}
	// The same snapshot, the same bytes.
	if !bytes.Equal(Compute(year("full")).Canonical(), r.Canonical()) {
		t.Error("computing twice gave different results")
	}
}

func TestSharedSplit(t *testing.T) {
	r := Compute(year("split"))
	// The two last share the last two places' fines: (1,000,000 + 500,000) ÷ 2.
	if got := outcomesOf(r, "fine"); got != "乡镇08:750000 乡镇09:750000" {
		t.Errorf("fines (split) %s", got)
	}
	if !strings.Contains(r.SharedPrize, "平分") {
		t.Errorf("the result does not say how a shared place pays: %q", r.SharedPrize)
	}
	// A tie at the top splits the first two places' rewards.
	s := year("split")
	s.Units[1].DoneYuan = s.Units[0].DoneYuan
	r = Compute(s)
	if got := outcomesOf(r, "reward"); got != "乡镇01:750000 乡镇02:750000" {
		t.Errorf("rewards (split, tied first) %s", got)
	}
	s.Rules.SharedPrize = "full"
	if got := outcomesOf(Compute(s), "reward"); got != "乡镇01:1000000 乡镇02:1000000" {
		t.Errorf("rewards (full, tied first) %s", got)
	}
}

func TestAdjustment(t *testing.T) {
	s := year("full")
	s.Adjustments = []Adjustment{{UnitID: "t5", Component: "supervision", Points: "-5", Reason: "瞒报项目停工情况", By: "gs.office"}}
	r := Compute(s)
	u := unitOf(r, "乡镇05")
	var sup Component
	for _, c := range u.Components {
		if c.Name == "supervision" {
			sup = c
		}
	}
	if sup.Score != "95.00" || !strings.Contains(sup.Adjusted, "瞒报项目停工情况") || u.Score != "86.50" {
		t.Errorf("adjusted %+v, composite %s", sup, u.Score)
	}
}

// TestServiceUnits: ratings weighted 70/30 with the joint review rate; the
// two best get merits; the last, having missed its commitments, is
// criticised and its head admonished; one with nothing to score is unranked.
func TestServiceUnits(t *testing.T) {
	s := year("full")
	s.ServiceRewarded = 2
	s.ServiceUnits = []ServiceUnit{
		{ID: "s1", Name: "县自然资源局", Head: "甲", Ratings: []int{90, 95}, ReviewItems: 10, ReviewDone: 9, LettersDue: 2, LettersKept: 2}, // 0.7×92.5 + 0.3×90 = 91.75
		{ID: "s2", Name: "县住建局", Head: "乙", Ratings: []int{80}, ReviewItems: 0},                                                      // 80
		{ID: "s3", Name: "县生态环境分局", Head: "丙", Ratings: []int{70, 60}, ReviewItems: 4, ReviewDone: 1, LettersDue: 1},                 // 0.7×65 + 0.3×25 = 53
		{ID: "s4", Name: "县发改委", Head: "丁"},
	}
	r := Compute(s)
	got := map[string]string{}
	for _, x := range r.Services {
		got[x.Name] = fmt.Sprintf("%s#%d", x.Score, x.Rank)
	}
	if got["县自然资源局"] != "91.75#1" || got["县住建局"] != "80.00#2" || got["县生态环境分局"] != "53.00#3" || got["县发改委"] != "#0" {
		t.Errorf("service units %v", got)
	}
	if m := outcomesOf(r, "merit"); !strings.Contains(m, "县自然资源局") || !strings.Contains(m, "县住建局") || strings.Contains(m, "县生态环境分局") {
		t.Errorf("merits %s", m)
	}
	if a := outcomesOf(r, "admonishment"); a != "县生态环境分局" || !strings.Contains(outcomesOf(r, "criticism"), "县生态环境分局") {
		t.Errorf("admonishment %q", a)
	}
}

func TestPropose(t *testing.T) {
	tracks := []UnitTrack{
		{UnitID: "a", Name: "甲", Months: []MonthLead{{"2026-07", "1.0"}, {"2026-08", "-2.0"}, {"2026-09", "-3.5"}, {"2026-10", "-0.4"}}},
		{UnitID: "b", Name: "乙", Months: []MonthLead{{"2026-08", "-2.0"}, {"2026-09", "0.0"}, {"2026-10", "-5.0"}}, Escalations: 3},
		{UnitID: "c", Name: "丙", Months: []MonthLead{{"2026-09", "-2.0"}, {"2026-10", ""}}},
	}
	got := Propose(tracks, 3, 3)
	if len(got) != 2 || got[0].Name != "甲" || !strings.Contains(got[0].Evidence, "连续3个月慢于时序进度（2026-08慢2.0个百分点，2026-09慢3.5个百分点，2026-10慢0.4个百分点）") ||
		got[1].Name != "乙" || got[1].Evidence != "本年度被电视问政3次" {
		t.Errorf("proposals %+v", got)
	}
}
