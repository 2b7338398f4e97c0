package drill_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/servicetest"
)

// photoBytes is a small JPEG unlike every other one of the drill.
func photoBytes(t *testing.T, i int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 48; x++ {
			img.Set(x, y, color.RGBA{uint8(i), uint8(i >> 8), uint8(x*5 + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestMinIOStoppedDuringUploads: four clients upload 40 site photos; a
// quarter of the way in, MinIO is stopped (the second half of the uploads
// start while it is down) and started again ten seconds later over the
// same disk — longer than the S3 client's own retries, which an upload read
// from its spooled file now gets. Every failure is a 503 with Retry-After, after
// which the client sends the photo again; every acknowledged photo is
// listed once with its hash; once the worker has made the display copies
// and thumbnails, no photo row lacks its objects (original, display copy,
// thumbnail); no object without a row is locked (a failed upload's
// original is removed, or left unlocked for the sweeper); the same server
// goes on without a restart.
func TestMinIOStoppedDuringUploads(t *testing.T) {
	s := newStack(t)
	helper := s.mustLogin("gs.helper")
	projects := s.helperProjects(helper)
	// Two weeks, 20 photos each: a project's week takes at most 30.
	wks := weeks(3)[1:]
	weekOf := func(i int) string { return wks[i%2] }
	const uploads, clients = 40, 4
	hashes := make([]string, uploads)
	data := make([][]byte, uploads)
	for i := range uploads {
		data[i] = photoBytes(t, i)
		h := sha256.Sum256(data[i])
		hashes[i] = hex.EncodeToString(h[:])
	}

	var c tally
	var acked atomic.Int32
	ok := make([]bool, uploads)
	quarter := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	next := make(chan int)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := projects[i%len(projects)]
				a := retry(&c, func() answer {
					return s.do(helper, "POST", fmt.Sprintf("/api/v1/projects/%s/photos?week=%s", p, weekOf(i)), "image/jpeg", data[i])
				})
				if a.status == 201 {
					ok[i] = true
					if int(acked.Add(1)) == uploads/4 {
						once.Do(func() { close(quarter) })
					}
				}
			}
		}()
	}
	// The second half is sent while MinIO is down: an upload no longer
	// decodes anything, and the first half may be through before the stop.
	stopped := make(chan struct{})
	go func() {
		for i := range uploads {
			if i == uploads/2 {
				<-stopped
			}
			next <- i
		}
		close(next)
	}()
	select {
	case <-quarter:
	case <-time.After(2 * time.Minute):
		t.Fatalf("a quarter of the uploads did not get through: %s", &c)
	}
	s.minio.Stop()
	close(stopped)
	time.Sleep(10 * time.Second)
	s.minio.Start()
	wg.Wait()

	// The worker makes the display copies and thumbnails.
	s.startWorker()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		var pending int
		s.inCounty(s.county("411522"), func(ctx context.Context, tx bun.IDB) error {
			return tx.NewRaw("SELECT count(*) FROM photos WHERE derivatives <> 'ready'").Scan(ctx, &pending)
		})
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d photos still without their display copy and thumbnail", pending)
		}
	}

	// Rows: every photo of the county, with its objects.
	type row struct {
		SHA256                                   []byte
		OriginalKey, OriginalVersion, DisplayKey string
		ThumbKey                                 string
	}
	var rows []row
	s.inCounty(s.county("411522"), func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT sha256, original_key, original_version, display_key, thumb_key FROM photos").Scan(ctx, &rows)
	})
	perHash := map[string]int{}
	for _, r := range rows {
		perHash[hex.EncodeToString(r.SHA256)]++
	}
	lost, duplicated, unacked := 0, 0, 0
	for i := range uploads {
		n := perHash[hashes[i]]
		switch {
		case !ok[i]:
			unacked++
		case n == 0:
			lost++
		case n > 1:
			duplicated += n - 1
		}
	}
	mc, err := minio.New(s.minio.Endpoint(), &minio.Options{Creds: credentials.NewStaticV4(servicetest.MinIOUser, servicetest.MinIOPassword, "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	orphanRows := 0
	referenced := map[string]bool{}
	for _, r := range rows {
		missing := false
		for _, o := range []struct{ key, version string }{{r.OriginalKey, r.OriginalVersion}, {r.DisplayKey, ""}, {r.ThumbKey, ""}} {
			referenced[o.key] = true
			if _, err := mc.StatObject(ctx, s.cfg.S3Bucket, o.key, minio.StatObjectOptions{VersionID: o.version}); err != nil {
				missing = true
			}
		}
		if missing {
			orphanRows++
		}
	}
	strayObjects, lockedStrays := 0, 0
	for o := range mc.ListObjects(ctx, s.cfg.S3Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err == nil && !referenced[o.Key] {
			strayObjects++
			if _, until, err := mc.GetObjectRetention(ctx, s.cfg.S3Bucket, o.Key, o.VersionID); err == nil && until != nil {
				lockedStrays++
			}
		}
	}
	// The list the console shows: each acknowledged photo once.
	listed := map[string]int{}
	for _, p := range projects {
		for _, week := range wks {
			a := s.do(helper, "GET", fmt.Sprintf("/api/v1/projects/%s/photos?week=%s", p, week), "", nil)
			var ps []struct {
				SHA256 string `json:"sha256"`
			}
			if a.status != 200 || json.Unmarshal(a.body, &ps) != nil {
				t.Fatalf("photos of %s: %d %s", p, a.status, a.body)
			}
			for _, ph := range ps {
				listed[ph.SHA256]++
			}
		}
	}
	for i := range uploads {
		if ok[i] && listed[hashes[i]] != 1 {
			t.Errorf("photo %d acknowledged, listed %d times", i, listed[hashes[i]])
		}
	}
	logCounts(t, "MinIO stopped during photo uploads", &c,
		fmt.Sprintf("%d uploads, %d acknowledged, %d lost, %d duplicated, %d rows without their objects, %d objects without a row (%d of them locked)",
			uploads, int(acked.Load()), lost, duplicated, orphanRows, strayObjects, lockedStrays))
	if c.unclean > 0 {
		t.Errorf("%d failures were not a clean 503 with Retry-After: %v", c.unclean, c.samples)
	}
	if c.clean == 0 {
		t.Errorf("no upload met the stop: the drill tested nothing")
	}
	if unacked > 0 || lost > 0 || duplicated > 0 || orphanRows > 0 || lockedStrays > 0 {
		t.Errorf("%d uploads never acknowledged, %d lost, %d duplicated, %d rows without objects, %d locked objects without a row",
			unacked, lost, duplicated, orphanRows, lockedStrays)
	}
	// Recovery without a restart: one more upload.
	if a := s.do(helper, "POST", fmt.Sprintf("/api/v1/projects/%s/photos?week=%s", projects[0], wks[0]), "image/jpeg", photoBytes(t, 999)); a.status != 201 {
		t.Errorf("upload after the restart: %d %s", a.status, a.body)
	}
}
