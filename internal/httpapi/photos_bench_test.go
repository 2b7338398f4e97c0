package httpapi_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/tuijin/tuijin/internal/photo"
)

// noisyJPEG is a w×h photo-like JPEG (noise defeats compression, as real
// site photos largely do).
func noisyJPEG(b *testing.B, w, h, quality int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x/8 + r.IntN(40)), uint8(y/8 + r.IntN(40)), uint8(r.IntN(255)), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkPhotoDerivatives is the floor: decoding a 12-megapixel photo
// and re-encoding the display copy and the thumbnail, nothing else.
func BenchmarkPhotoDerivatives(b *testing.B) {
	data := noisyJPEG(b, 4000, 3000, 85)
	f, _ := os.CreateTemp("", "bench-*.jpg")
	defer os.Remove(f.Name())
	f.Write(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f.Seek(0, 0)
		if _, _, err := photo.Derivatives(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPhotoUpload is the whole endpoint for the same photo: spool,
// inspect, EXIF, original and two derivatives into MinIO, database row.
func BenchmarkPhotoUpload(b *testing.B) {
	data := noisyJPEG(b, 4000, 3000, 85)
	s := benchServer(b)
	office := login(b, "gs.office")
	p := projectByCode(b, office, "GS2026-003")
	var peak float64
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		// Weeks 23-47 in turn: a week takes at most 30 photos (the default cap).
		path := "/api/v1/projects/" + p.ID.String() + "/photos?week=" + week(23+n%25)
		n++
		peak = max(peak, peakHeap(func() {
			req := httptest.NewRequest("POST", path, bytes.NewReader(data))
			req.Header.Set("Content-Type", "image/jpeg")
			req.Header.Set("Authorization", "Bearer "+office.token)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}))
	}
	b.ReportMetric(peak, "peak-MiB")
}
