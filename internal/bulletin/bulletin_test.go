package bulletin

import (
	"math/big"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestRounding(t *testing.T) {
	cases := []struct {
		r    *big.Rat
		want string
	}{
		{big.NewRat(1, 3), "33.3"}, {big.NewRat(2, 3), "66.7"}, {big.NewRat(1, 8), "12.5"},
		{big.NewRat(-1, 8), "-12.5"}, {big.NewRat(1, 2000), "0.1"}, {big.NewRat(-1, 3000), "0.0"},
		{big.NewRat(0, 1), "0.0"}, {big.NewRat(3, 2), "150.0"},
	}
	for _, c := range cases {
		if got := Percent(c.r); got != c.want {
			t.Errorf("Percent(%s) = %s, want %s", c.r, got, c.want)
		}
	}
	if got := Wan(123456789); got != "12345.68" {
		t.Errorf("Wan = %s", got)
	}
	if got := Wan(5000); got != "0.50" {
		t.Errorf("Wan = %s", got)
	}
}

func sample() Inputs {
	return Inputs{Kind: "weekly", County: "光山县", Year: 2026, Week: "2026-03-02", Projects: []Project{
		{Code: "A", Name: "甲项目", Unit: "甲单位", Category: "工业", Type: "new", TotalYuan: 100_000_000, PlanYuan: 30_000_000, DoneYuan: 10_000_000, Started: true, DueToStart: true},
		{Code: "B", Name: "乙项目", Unit: "乙单位", Category: "城建", Type: "continuing", TotalYuan: 50_000_000, PlanYuan: 20_000_000, DoneYuan: 2_000_000, Started: true, Streak: 3},
		{Code: "C", Name: "丙项目", Unit: "乙单位", Category: "城建", Type: "new", TotalYuan: 10_000_000, PlanYuan: 10_000_000, DueToStart: false},
		{Code: "D", Name: "丁项目", Unit: "丙单位", Category: "工业", Type: "new", TotalYuan: 10_000_000, PlanYuan: 10_000_000, DoneYuan: 3_333_333, Started: true, DueToStart: true},
	}}
}

func TestCompute(t *testing.T) {
	f := Compute(sample())
	o := f.Overview
	// 2026-03-08 is day 67 of 365: schedule 18.356…% → 18.4.
	if f.Schedule != "18.4" || f.DaysElapsed != 67 {
		t.Fatalf("schedule %s, days %d", f.Schedule, f.DaysElapsed)
	}
	// 15,333,333 / 70,000,000 = 21.904…% → 21.9; lead 21.904 − 18.356 = 3.548 → 3.5.
	if o.Projects != 4 || o.CompletionRate != "21.9" || o.Lead != "3.5" || o.Started != 3 || o.StartRate != "75.0" || o.NotStarted != 1 || o.NotYetDue != 1 {
		t.Fatalf("overview %+v", o)
	}
	// Ranking by exact rate: 丙 33.33…% > 甲 33.33…%? 甲 is 1/3 exactly, 丙 3,333,333/10,000,000 is less.
	if f.ByUnit[0].Name != "甲单位" || f.ByUnit[1].Name != "丙单位" || f.ByUnit[2].Name != "乙单位" || f.ByUnit[2].Rank != 3 {
		t.Fatalf("ranking %+v", f.ByUnit)
	}
	if f.ByUnit[0].CompletionRate != f.ByUnit[1].CompletionRate {
		t.Fatalf("both round to 33.3 yet rank apart: %s %s", f.ByUnit[0].CompletionRate, f.ByUnit[1].CompletionRate)
	}
	if len(f.Stalled) != 1 || f.Stalled[0].Code != "B" {
		t.Fatalf("stalled %+v", f.Stalled)
	}
	if LeadText("-2.0") != "慢于时序进度2.0个百分点" || LeadText("0.0") != "与时序进度持平" {
		t.Fatal("lead text")
	}
}

func TestPDFHasChineseText(t *testing.T) {
	font := "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
	if _, err := os.Stat(font); err != nil {
		t.Fatalf("scripts/test.sh installs fonts-droid-fallback: %v", err)
	}
	b, err := PDF(Compute(sample()), "第1版", font)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/b.pdf", b, 0o644)
	out, err := exec.Command("pdftotext", "-layout", dir+"/b.pdf", "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	for _, want := range []string{"光山县重点项目建设周通报", "一、总体情况", "四、责任单位推进情况及排名", "甲单位", "快于时序进度3.5个百分点"} {
		if !strings.Contains(strings.ReplaceAll(string(out), " ", ""), want) {
			t.Errorf("PDF text lacks %q:\n%s", want, out)
		}
	}
}
