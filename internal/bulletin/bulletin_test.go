package bulletin

import (
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/document"
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

// pdfFonts are TUIJIN_PDF_FONT's default (scripts/test.sh installs them).
func pdfFonts(t *testing.T) string {
	t.Helper()
	for _, d := range config.Docs() {
		if d.Name == "TUIJIN_PDF_FONT" {
			return d.Default
		}
	}
	t.Fatal("no TUIJIN_PDF_FONT default")
	return ""
}

// monthSample is the end-of-March bulletin of a county whose people and
// places have rare characters and whose amounts run to nine digits.
func monthSample() Inputs {
	in := sample()
	in.Rules, in.Period, in.PeriodStart, in.PeriodEnd, in.IssueNo, in.ScheduleBasis = RulesVersion, PeriodMonth, "2026-03-01", "2026-03-31", 3, BasisMonth
	in.Categories = []string{"城建", "工业"}
	in.Projects = append(in.Projects,
		Project{Code: "E", Name: "喆堃昇珺祎安置小区（建筑面积12.5万㎡）二期工程及配套基础设施建设项目", Unit: "泼陂河镇", Category: "城建", Type: "new",
			TotalYuan: 987_654_321_00, PlanYuan: 123_456_789_00, DoneYuan: 45_678_901_23, PeriodYuan: 1_234_567_89, Started: true, DueToStart: true, StatMonths: 2,
			Streak: 3, Stalled: true},
	)
	in.Escalations = []Escalation{{Project: "喆堃昇珺祎安置小区", Level: 1, Person: "王喆", Post: "泼陂河镇党委书记", Weeks: 2, Status: "pending"}}
	in.BatchStarts = []BatchRound{{Label: "2026年1-2月", Planned: 5, Started: 4, Early: 1, OnTime: 2, Late: 1, NotStarted: 1, Rate: "80.0",
		Ceremony: "2月26日在官渡河产业集聚区举行集中开工仪式",
		Waiting:  []BatchProject{{Name: "喆堃昇珺祎安置小区二期", Unit: "泼陂河镇", PlannedStart: "2026-02-10", Reason: "征迁尚余3户未签约"}}}}
	return in
}

func TestMonthEndSchedule(t *testing.T) {
	end := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	cases := []struct {
		basis, day, want string
	}{
		{BasisMonth, "2026-03-31", "25.0"}, {BasisMonth, "2026-06-30", "50.0"}, {BasisMonth, "2026-03-29", "16.7"},
		{BasisMonth, "2026-12-31", "100.0"}, {BasisMonth, "2026-01-31", "8.3"}, {BasisHalfMonth, "2026-08-15", "62.5"},
		{BasisHalfMonth, "2026-08-14", "58.3"}, {BasisDay, "2026-03-08", "18.4"},
	}
	for _, c := range cases {
		r, how := Schedule(c.basis, end(c.day))
		if got := Percent(r); got != c.want {
			t.Errorf("%s %s: %s (%s), want %s", c.basis, c.day, got, how, c.want)
		}
	}
	f := Compute(monthSample())
	if f.Schedule != "25.0" || f.ScheduleHow != "按月计：已过3个月÷12" || f.Subtitle() != "（2026年1-3月）" || f.IssueLine() != "2026年第3期" ||
		f.Title() != "光山县重点项目建设进展情况通报" {
		t.Fatalf("%s %s %s %s %s", f.Schedule, f.ScheduleHow, f.Subtitle(), f.IssueLine(), f.Title())
	}
	if f.ByCategory[0].Name != "城建" || f.ByCategory[1].Name != "工业" {
		t.Fatalf("categories out of the catalogue's order: %+v", f.ByCategory)
	}
	if !strings.Contains(f.OverviewText(), "总投资9878.15亿元") && !strings.Contains(f.OverviewText(), "亿元") {
		t.Fatalf("overview not in 亿元: %s", f.OverviewText())
	}
	empty := monthSample()
	empty.Projects = nil
	if got := Compute(empty).OverviewText(); !strings.Contains(got, "无列入2026年度清单的重点项目") || strings.Contains(got, "—%") {
		t.Fatalf("an empty county: %s", got)
	}
}

// TestPDFPrints renders the month-end bulletin and checks what a reader
// gets: every character of every text drawn has a glyph in the face that
// draws it (the rare names and ㎡ included), no character is lost where a
// line wraps (pdftotext), and the pages rasterise (pdftoppm) into
// test-artifacts for a person to look at.
func TestPDFPrints(t *testing.T) {
	f := Compute(monthSample())
	fonts, err := document.LoadFonts(pdfFonts(t))
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{f.Title(), f.IssueLine(), f.Subtitle(), f.OverviewText(), f.SourceText(), RoundingRule, "第 1 页 / 共 2 页", "第1版"}
	for _, tb := range f.Tables() {
		texts = append(texts, tb.Title, tb.Empty)
		texts = append(texts, tb.Header...)
		for _, r := range tb.Rows {
			texts = append(texts, r...)
		}
	}
	if missing := fonts.Missing(strings.Join(texts, "")); len(missing) > 0 {
		t.Fatalf("no face draws %q (faces %v)", string(missing), fonts.Names())
	}
	b, err := PDF(f, "第1版", pdfFonts(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/b.pdf", b, 0o644)
	out, err := exec.Command("pdftotext", "-raw", dir+"/b.pdf", "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	flat := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"光山县重点项目建设进展情况通报", "2026年第3期", "（2026年1-3月）", "时序进度25.0%（按月计：已过3个月÷12）",
		"喆堃昇珺祎安置小区（建筑面积12.5万㎡）二期工程及配套基础设施建设项目", "1234567.89", "456789.01", "12345.68", "本月完成", "单位：个、万元、%", "王喆", "采用统计局核实数",
		"九、集中开工（双月开工）", "2月26日在官渡河产业集聚区举行集中开工仪式", "80.0", "征迁尚余3户未签约"} {
		if !strings.Contains(flat, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, out)
		}
	}
	art := filepath.Join("..", "..", "test-artifacts")
	_ = os.MkdirAll(art, 0o755)
	os.WriteFile(filepath.Join(art, "bulletin-month.pdf"), b, 0o644)
	if out, err := exec.Command("pdftoppm", "-r", "60", "-png", filepath.Join(art, "bulletin-month.pdf"), filepath.Join(art, "bulletin-month")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(art, "bulletin-month-1.png")); err != nil || fi.Size() < 10_000 {
		t.Fatalf("page 1 did not rasterise: %v", err)
	}
}

func TestPDFHasChineseText(t *testing.T) {
	b, err := PDF(Compute(sample()), "第1版", pdfFonts(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/b.pdf", b, 0o644)
	out, err := exec.Command("pdftotext", "-layout", dir+"/b.pdf", "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	flat := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"光山县重点项目建设周通报", "一、总体情况", "四、责任单位推进情况及排名", "甲单位", "快于时序进度3.5个百分点"} {
		if !strings.Contains(flat, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, out)
		}
	}
}
