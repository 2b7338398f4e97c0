package meeting

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/settings"
)

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

// sampleMinutes are a weekly meeting's minutes with rare characters in
// names and places, and enough decisions to run to a second page.
func sampleMinutes() Minutes {
	m := Minutes{County: "光山县", Kind: Weekly, Label: "2026年第47次重点项目建设周例会", IssueNo: 12, Year: 2026,
		StartsAt: time.Date(2026, 11, 23, 8, 30, 0, 0, settings.Shanghai), Place: "县政府三楼会议室", ChairPost: "县长", Chair: "王喆",
		IssuedOn: d("2026-11-25"),
		Previous: &PreviousReview{Label: "2026年第46次重点项目建设周例会", Tally: Tally{Total: 5, Done: 3, Progress: 2, Overdue: 1, Rate: "60.0"},
			Laggards: []string{"县自然资源局第2项"}},
		Items: []MinutesItem{
			{Section: "连续无实质进度项目", Title: "喆堃昇珺祎安置小区（建筑面积12.5万㎡）二期工程", Minutes: "项目已连续2周无实质性进度，责任单位说明了原因：征迁尚余3户未签约。", Picked: true},
			{Section: "提请周例会研究的问题", Title: "光山县官渡河产业集聚区标准化厂房项目用电接入问题", Minutes: "供电公司表示10kV线路改造已列入计划。"},
			{Section: "其他事项", Title: "观摩准备"},
		},
		Present:    []string{"王喆（县长）", "李堃（常务副县长）", "张昇（县发展改革委主任）"},
		Deputies:   []string{"赵珺（代县住建局局长钱祎）"},
		Absent:     []string{"孙伟（外出学习）"},
		NotPresent: []string{"周强"},
		Closing:    "各责任单位要对照议定事项倒排工期，每周一前将进展报县重点项目办。",
	}
	for i := 1; i <= 14; i++ {
		m.Decisions = append(m.Decisions, Decision{Number: i, Text: "加快征迁扫尾，确保剩余3户于月底前签约腾房，为二期主体施工创造条件", Owner: "弦山街道办事处",
			Person: "陈祎", Partners: []string{"县自然资源局", "县住建局"}, Deadline: d("2026-12-01"), Project: "喆堃昇珺祎安置小区二期工程"})
	}
	return m
}

func TestMinutesText(t *testing.T) {
	m := sampleMinutes()
	lines := m.Text("第1版")
	joined := strings.Join(lines, "\n")
	for _, want := range []string{
		"光山县重点项目建设周例会纪要", "2026年第12期", "光山县重点项目建设领导小组办公室\t2026年11月25日",
		"2026年11月23日（星期一）上午，县长王喆在县政府三楼会议室主持召开2026年第47次重点项目建设周例会，听取了上次会议议定事项落实情况、",
		"2026年第46次重点项目建设周例会议定事项5项，已办结3项，办结率60.0%；正在推进2项，其中逾期未办结1项（县自然资源局第2项）",
		"（一）喆堃昇珺祎安置小区（建筑面积12.5万㎡）二期工程。项目已连续2周",
		"一、关于喆堃昇珺祎安置小区二期工程。加快征迁扫尾，确保剩余3户于月底前签约腾房，为二期主体施工创造条件。责任单位：弦山街道办事处；配合单位：县自然资源局、县住建局；责任人：陈祎；完成时限：2026年12月1日前。",
		"十四、关于", "出席：王喆（县长）、李堃（常务副县长）、张昇（县发展改革委主任）、赵珺（代县住建局局长钱祎）", "请假：孙伟（外出学习）", "未到会：周强",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("minutes lack %q:\n%s", want, joined)
		}
	}
	// The item without minutes is heard but has no paragraph of its own.
	if strings.Contains(joined, "（三）") {
		t.Errorf("an item with nothing said got a paragraph:\n%s", joined)
	}
	// A correction says its version; a draft says it is one.
	if got := m.Blocks("第2版")[1].Text; got != "2026年第12期（第2版）" {
		t.Errorf("correction's issue line %q", got)
	}
	m.IssueNo = 0
	if got := m.Blocks("草稿（未签发）")[1].Text; got != "草稿（未签发）" {
		t.Errorf("draft's issue line %q", got)
	}
	// The office's own opening replaces the usual one.
	m.Intro = "11月23日，县长王喆在光山县官渡河产业集聚区主持召开现场办公会。"
	if m.Opening() != m.Intro {
		t.Errorf("opening %q", m.Opening())
	}
}

var footer = regexp.MustCompile(`第 \d+ 页 / 共 \d+ 页\s*`)

func flat(s string) string { return strings.Join(strings.Fields(s), "") }

// TestMinutesPDF: every character of the minutes has a glyph; pdftotext
// gets every block's text back; the pages rasterise into test-artifacts
// for a person to look at.
func TestMinutesPDF(t *testing.T) {
	m := sampleMinutes()
	b, err := MinutesPDF(m, "第1版", pdfFonts(t))
	if err != nil {
		t.Fatal(err)
	}
	art := filepath.Join("..", "..", "test-artifacts")
	_ = os.MkdirAll(art, 0o755)
	path := filepath.Join(art, "minutes-weekly.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-raw", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	// The text without the page footers (a paragraph may run over a page).
	got := flat(footer.ReplaceAllString(string(out), ""))
	for _, l := range m.Text("第1版") {
		for _, part := range strings.Split(l, "\t") {
			if !strings.Contains(got, flat(part)) {
				t.Errorf("PDF text lacks %q", part)
			}
		}
	}
	if !strings.Contains(flat(string(out)), "第2页/共2页") {
		t.Errorf("PDF has no second page footer:\n%s", out)
	}
	if out, err := exec.Command("pdftoppm", "-r", "60", "-png", path, filepath.Join(art, "minutes-weekly")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(art, "minutes-weekly-1.png")); err != nil || fi.Size() < 10_000 {
		t.Fatalf("page 1 did not rasterise: %v", err)
	}
}

// TestMinutesDOCX: LibreOffice Writer opens the .docx and its text, line
// by line, is the minutes' text.
func TestMinutesDOCX(t *testing.T) {
	m := sampleMinutes()
	b, err := MinutesDOCX(m, "第1版")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.docx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	art := filepath.Join("..", "..", "test-artifacts")
	_ = os.MkdirAll(art, 0o755)
	_ = os.WriteFile(filepath.Join(art, "minutes-weekly.docx"), b, 0o644)
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+dir+"/lo", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", dir, filepath.Join(dir, "m.docx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice (libreoffice-writer-nogui): %v %s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "m.txt"))
	if err != nil {
		t.Fatalf("LibreOffice wrote no text: %v", err)
	}
	got := strings.Split(strings.TrimRight(strings.TrimPrefix(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\ufeff"), "\n"), "\n")
	want := m.Text("第1版")
	if len(got) != len(want) {
		t.Fatalf("LibreOffice reads %d paragraphs, the minutes have %d:\n%s", len(got), len(want), raw)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("paragraph %d: LibreOffice reads %q, the minutes say %q", i+1, got[i], want[i])
		}
	}
	// The page is the same text too.
	html, err := MinutesHTML(m, "第1版")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range want {
		for _, part := range strings.Split(l, "\t") {
			if !strings.Contains(string(html), strings.ReplaceAll(part, "\"", "&#34;")) {
				t.Errorf("page lacks %q", part)
			}
		}
	}
}
