package observation

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuijin/tuijin/internal/config"
)

func sampleReview() Review {
	return Review{County: "光山县", Title: "9月份重点项目观摩", Month: "2026年9月", HeldOn: "2026年9月24日", IssueNo: 9, Year: 2026, IssuedOn: "2026年9月26日",
		Method: DefaultRubric().MethodText(), Rubric: "形象进度30分、投资完成30分、质量安全20分、亮点特色20分", Judges: []string{"王喆", "李堃", "张昇", "赵珺"},
		Sites: []ReviewSite{
			{1, "光山县城乡供水一体化项目", "县水利局", "90.00", 4, "管网铺设进度快；现场文明施工到位"},
			{2, "喆堃昇珺祎安置小区（建筑面积12.5万㎡）二期工程", "泼陂河镇", "89.50", 4, "主体已封顶"},
			{3, "十里镇高标准农田建设项目", "十里镇", "72.00", 3, "进度滞后，需加快"},
		},
		Pools: []ReviewPool{{"乡镇（街道）", []ReviewUnitRow{{1, "泼陂河镇", "89.50", ""}, {2, "十里镇", "72.00", ""}}},
			{"县直单位", []ReviewUnitRow{{1, "县水利局", "90.00", "与县住建局得分相同，按年度投资完成率排序"}, {2, "县住建局", "90.00", "与县水利局得分相同，按年度投资完成率排序"}}}},
		Best: []string{"光山县城乡供水一体化项目"}, Worst: []string{"十里镇高标准农田建设项目"},
	}
}

func fonts(t *testing.T) string {
	for _, d := range config.Docs() {
		if d.Name == "TUIJIN_PDF_FONT" {
			return d.Default
		}
	}
	t.Fatal("no TUIJIN_PDF_FONT default")
	return ""
}

// TestReviewFiles: the review's PDF says every site, unit, score and
// comment (pdftotext) and rasterises into test-artifacts; LibreOffice reads
// the workbook's scores as numbers.
func TestReviewFiles(t *testing.T) {
	r := sampleReview()
	files, err := RenderReview(r, "第1版", fonts(t))
	if err != nil {
		t.Fatal(err)
	}
	art := filepath.Join("..", "..", "test-artifacts")
	_ = os.MkdirAll(art, 0o755)
	pdf := filepath.Join(art, "observation-review.pdf")
	if err := os.WriteFile(pdf, files["pdf"], 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-raw", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"光山县2026年9月重点项目观摩点评", "2026年第9期", "去掉一个最高分和一个最低分", "喆堃昇珺祎安置小区（建筑面积12.5万㎡）二期工程",
		"89.50", "管网铺设进度快；现场文明施工到位", "二、乡镇（街道）排名", "三、县直单位排名", "按年度投资完成率排序", "得分靠后的项目为十里镇高标准农田建设项目"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	if out, err := exec.Command("pdftoppm", "-r", "60", "-png", pdf, filepath.Join(art, "observation-review")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r.xlsx"), files["xlsx"], 0o644)
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+dir+"/lo", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", dir, filepath.Join(dir, "r.xlsx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v %s", err, out)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "r.csv"))
	if !strings.Contains(string(csv), `1,光山县城乡供水一体化项目,县水利局,90,4,`) {
		t.Errorf("LibreOffice reads the workbook as:\n%s", csv)
	}
}
