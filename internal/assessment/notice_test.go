package assessment

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuijin/tuijin/internal/config"
)

// TestNotice: the notice of a year's result prints every pool, the
// service units and the outcomes (pdftotext), rasterises into
// test-artifacts, and its workbook is read by LibreOffice.
func TestNotice(t *testing.T) {
	s := year("split")
	s.ServiceRewarded = 2
	s.ServiceUnits = []ServiceUnit{{ID: "s1", Name: "县自然资源局", Head: "甲", Ratings: []int{90, 95}, ReviewItems: 10, ReviewDone: 9}}
	n := Notice{County: "光山县", IssueNo: 3, Year: 2027, IssuedOn: "2027年1月20日", Version: 1, Result: Compute(s)}
	var font string
	for _, d := range config.Docs() {
		if d.Name == "TUIJIN_PDF_FONT" {
			font = d.Default
		}
	}
	files, err := RenderNotice(n, "第1版", font)
	if err != nil {
		t.Fatal(err)
	}
	art := filepath.Join("..", "..", "test-artifacts")
	_ = os.MkdirAll(art, 0o755)
	pdf := filepath.Join(art, "assessment-notice.pdf")
	os.WriteFile(pdf, files["pdf"], 0o644)
	out, err := exec.Command("pdftotext", "-raw", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat := strings.Join(strings.Fields(strings.NewReplacer("第 1 页 / 共 2 页", "", "第 2 页 / 共 2 页", "").Replace(string(out))), "")
	for _, want := range []string{"光山县重点项目建设领导小组关于2026年度重点项目建设考核结果的通报", "光项领〔2027〕3号", "一、乡镇（街道）考核结果", "二、县直单位考核结果",
		"三、服务单位考核结果", "四、奖惩结果", "乡镇01", "100.00", "75.00", "并列第3名", "扣减下年度财政预算分配20%", "并列单位平分所占名次的奖金（罚款）", "县自然资源局"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	if out, err := exec.Command("pdftoppm", "-r", "60", "-png", pdf, filepath.Join(art, "assessment-notice")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
}
