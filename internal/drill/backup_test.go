package drill_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/config"
)

// TestBackupRestore: the demo data with photos and a signed letter scan is
// backed up with `tuijin backup` (the database read by the backup role, the
// bucket through the S3 API) and restored with `tuijin restore` into a new
// database and a new bucket, which checks every table's row count, every
// object's hash and lock, and the audit chains. A server on the restored
// data then serves the photo original and the scan by their recorded
// versions and hashes. The backup role cannot write, and a restore over
// data is refused.
func TestBackupRestore(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	helper, office := s.mustLogin("gs.helper"), s.mustLogin("gs.office")
	projects := s.helperProjects(helper)
	week := weeks(2)[1]
	var photos [][]byte
	for i := range 3 {
		p := photoBytes(t, 7000+i)
		photos = append(photos, p)
		if a := s.do(helper, "POST", fmt.Sprintf("/api/v1/projects/%s/photos?week=%s", projects[0], week), "image/jpeg", p); a.status != 201 {
			t.Fatalf("photo: %d %s", a.status, a.body)
		}
	}
	var proj struct {
		ResponsibleUnitID string `json:"responsible_unit_id"`
	}
	a := s.do(office, "GET", "/api/v1/projects/"+projects[0].String(), "", nil)
	if a.status != 200 || json.Unmarshal(a.body, &proj) != nil {
		t.Fatalf("project: %d %s", a.status, a.body)
	}
	a = s.json(office, "POST", "/api/v1/letters", map[string]any{"year": 2026, "kind": "responsibility", "unit_id": proj.ResponsibleUnitID,
		"title": "2026年目标责任书", "signed_on": "2026-02-15", "items": []map[string]any{{"content": "完成年度投资8000万元"}}})
	var letter struct{ ID string }
	if a.status != 201 || json.Unmarshal(a.body, &letter) != nil {
		t.Fatalf("letter: %d %s", a.status, a.body)
	}
	scan := append([]byte("%PDF-1.7\n"), make([]byte, 3000)...)
	_, _ = rand.Read(scan[9:])
	var scans []struct{ ID string }
	for range 2 { // two versions of the signed scan
		a = s.do(office, "POST", "/api/v1/letters/"+letter.ID+"/scans", "application/pdf", scan)
		var sc struct{ ID string }
		if a.status != 201 || json.Unmarshal(a.body, &sc) != nil {
			t.Fatalf("scan: %d %s", a.status, a.body)
		}
		scans = append(scans, sc)
	}

	// The backup role reads every county's rows and writes nothing.
	bdb, err := sql.Open("pgx", s.vars["TUIJIN_BACKUP_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var projectsAll int
	if err := bdb.QueryRowContext(ctx, "SELECT count(DISTINCT county_id) FROM units").Scan(&projectsAll); err != nil || projectsAll != 2 {
		t.Errorf("the backup role sees the units of %d counties (%v), want both", projectsAll, err)
	}
	if _, err := bdb.ExecContext(ctx, "UPDATE projects SET name = name"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("the backup role updated projects: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "backup")
	var out bytes.Buffer
	run := func(vars map[string]string, args ...string) error {
		out.Reset()
		return app.Run(ctx, args, config.Map(vars), &out)
	}
	if err := run(s.vars, "backup", dir); err != nil {
		t.Fatalf("tuijin backup: %v", err)
	}
	t.Log(strings.TrimSpace(out.String()))
	if err := run(s.vars, "backup", dir); err == nil {
		t.Error("a second backup over the first one was not refused")
	}

	// A fresh database and bucket on the same servers.
	admin, err := sql.Open("pgx", s.pg.AdminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE restored OWNER tuijin_owner"); err != nil {
		t.Fatal(err)
	}
	restored := map[string]string{}
	for k, v := range s.vars {
		restored[k] = v
	}
	for _, k := range []string{"TUIJIN_DATABASE_URL", "TUIJIN_MIGRATE_DATABASE_URL", "TUIJIN_BACKUP_DATABASE_URL"} {
		u, _ := url.Parse(s.vars[k])
		u.Path = "/restored"
		restored[k] = u.String()
	}
	restored["TUIJIN_S3_BUCKET"] = "restored"
	start := time.Now()
	if err := run(restored, "restore", dir); err != nil {
		t.Fatalf("tuijin restore: %v\n%s", err, out.String())
	}
	took := time.Since(start)
	t.Logf("%s (the command, checks included: %s)", strings.TrimSpace(out.String()), took.Round(time.Millisecond))
	if err := run(restored, "restore", dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a restore over restored data: %v", err)
	}

	// A server on the restored data serves the files by their versions.
	cfg, err := config.Load(config.Map(restored))
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan app.Addrs, 1)
	errc := make(chan error, 1)
	go func() { errc <- app.Serve(sctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), ready) }()
	select {
	case addrs := <-ready:
		r := &stack{t: t, base: "http://" + addrs.API}
		office := r.mustLogin("gs.office")
		a := r.do(office, "GET", fmt.Sprintf("/api/v1/projects/%s/photos?week=%s", projects[0], week), "", nil)
		var listed []struct {
			SHA256      string `json:"sha256"`
			OriginalURL string `json:"original_url"`
		}
		if a.status != 200 || json.Unmarshal(a.body, &listed) != nil || len(listed) != len(photos) {
			t.Fatalf("restored photos: %d %s", a.status, a.body)
		}
		for _, p := range listed {
			u, _ := url.Parse(p.OriginalURL)
			a := r.do(office, "GET", u.RequestURI(), "", nil)
			sum := sha256.Sum256(a.body)
			if a.status != 200 || fmt.Sprintf("%x", sum) != p.SHA256 {
				t.Errorf("restored original %s: %d, %d bytes", p.OriginalURL, a.status, len(a.body))
			}
		}
		for _, sc := range scans {
			a := r.do(office, "GET", "/api/v1/letters/"+letter.ID+"/scans/"+sc.ID, "", nil)
			if a.status != 200 || !bytes.Equal(a.body, scan) {
				t.Errorf("restored scan %s: %d %.200s", sc.ID, a.status, a.body)
			}
		}
		cancel()
		<-errc
	case err := <-errc:
		t.Fatalf("serve on the restored data: %v", err)
	}
}
