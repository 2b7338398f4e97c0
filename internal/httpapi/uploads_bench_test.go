package httpapi_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The request path of uploads (issue 13): heap growth above the level
// before the request, sampled every 2 ms, and time, through the API
// in-process (the bucket and the database are the test's own). Run with
// -benchtime 1x (or 3x): each iteration is one upload.
//
//	go test -run XXX -bench 'Upload|Refused' -benchtime 3x ./internal/httpapi/

// upload sends one request through the in-process server and reports its
// status and the peak heap growth.
func upload(b *testing.B, path, contentType string, body []byte, want int) {
	s := benchServer(b)
	office := login(b, "gs.office")
	var peak float64
	var took time.Duration
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		start := time.Now()
		peak = max(peak, peakHeap(func() {
			req := httptest.NewRequest("POST", path, bytes.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Authorization", "Bearer "+office.token)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			if w.Code != want {
				b.Fatalf("%d %.300s", w.Code, w.Body)
			}
		}))
		took = max(took, time.Since(start))
	}
	b.ReportMetric(peak, "peak-MiB")
	b.ReportMetric(took.Seconds(), "max-s")
}

func photoPath(b *testing.B, wk int) string {
	p := projectByCode(b, login(b, "gs.office"), "GS2026-003")
	return "/api/v1/projects/" + p.ID.String() + "/photos?week=" + pastWeekN(wk)
}

func pastWeekN(n int) string {
	now := time.Now()
	return now.AddDate(0, 0, -((int(now.Weekday())+6)%7)-7*n).Format(time.DateOnly)
}

var photo20MB = sync.OnceValue(func() []byte { return noisyJPEG(&testing.B{}, 5200, 3900, 97) })

// BenchmarkUploadPhoto20MB: a 19.6 MB, 20-megapixel JPEG.
func BenchmarkUploadPhoto20MB(b *testing.B) {
	upload(b, photoPath(b, 8), "image/jpeg", photo20MB(), http.StatusCreated)
}

// BenchmarkUploadScan20MB: a 20 MB signed scan (PDF).
func BenchmarkUploadScan20MB(b *testing.B) {
	gs := login(b, "gs.office")
	o := guangshanOrgB(b, gs)
	r := gs.do("POST", "/api/v1/letters", map[string]any{"year": 2029, "kind": "responsibility", "unit_id": o, "title": "基准测试责任书", "items": []any{}})
	var l struct{ ID string }
	r.decode(b, &l)
	scan := make([]byte, 20_000_000)
	_, _ = rand.Read(scan)
	copy(scan, "%PDF-1.7\n")
	upload(b, "/api/v1/letters/"+l.ID+"/scans", "application/pdf", scan, http.StatusCreated)
}

func guangshanOrgB(b *testing.B, c *client) string {
	var units struct {
		Items []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	c.do("GET", "/api/v1/units?limit=200", nil).decode(b, &units)
	for _, u := range units.Items {
		if u.Name == "紫水街道" {
			return u.ID
		}
	}
	b.Fatal("紫水街道")
	return ""
}

// withPictures adds n bytes of pictures to a workbook (as offices paste
// site photos into their ledgers).
func withPictures(b testing.TB, data []byte, n int) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			b.Fatal(err)
		}
	}
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "xl/media/image1.jpeg", Method: zip.Store})
	pic := make([]byte, n)
	_, _ = rand.Read(pic)
	_, _ = w.Write(pic)
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

var workbook20MB = sync.OnceValue(func() []byte {
	wb := officeWorkbook(&testing.B{}, 2000, "WB20", nil)
	return withPictures(&testing.B{}, wb, 20_000_000-len(wb))
})

// BenchmarkUploadWorkbook20MB: a 20 MB ledger (2,000 projects and 19.8 MB
// of pictures), imported as a dry run.
func BenchmarkUploadWorkbook20MB(b *testing.B) {
	upload(b, "/api/v1/imports/key-list?year=2045&dry_run=true", xlsx, workbook20MB(), http.StatusOK)
}

// BenchmarkRefusedPNG36Mpx: the 273 kB PNG of 6000×6000 16-bit RGBA.
func BenchmarkRefusedPNG36Mpx(b *testing.B) {
	upload(b, photoPath(b, 9), "image/png", png16(), http.StatusRequestEntityTooLarge)
}

var inflating150MB = sync.OnceValue(func() []byte { return inflatingWorkbook(&testing.B{}, 150<<20) })

// BenchmarkRefusedInflatedWorkbook: an .xlsx whose sheet inflates to 150 MB.
func BenchmarkRefusedInflatedWorkbook(b *testing.B) {
	upload(b, "/api/v1/imports/key-list?year=2046", xlsx, inflating150MB(), http.StatusRequestEntityTooLarge)
}

// badRows is a workbook of n rows each with two bad cells (an amount in
// words, an unknown unit), written as a stream.
func badRows(b testing.TB, n int) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	_ = sw.SetRow("A1", []any{"序号", "项目编码", "项目名称", "项目类别", "建设性质", "建设内容及规模", "总投资（万元）", "年度计划投资（万元）", "责任单位", "计划开工", "计划竣工"})
	for i := 1; i <= n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, []any{i, fmt.Sprintf("BAD-%06d", i), fmt.Sprintf("坏行项目%06d", i), cats[i%len(cats)], "新开工",
			"建设内容", fmt.Sprintf("约%d万", i), 100, fmt.Sprintf("不存在的单位%d", i%500), "2030年3月", "2031-12-31"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

var badRows200k = sync.OnceValue(func() []byte { return badRows(&testing.B{}, 200_000) })

// BenchmarkRefusedWorkbook200kRows: 200,000 rows of bad cells.
func BenchmarkRefusedWorkbook200kRows(b *testing.B) {
	upload(b, "/api/v1/imports/key-list?year=2047", xlsx, badRows200k(), http.StatusRequestEntityTooLarge)
}
