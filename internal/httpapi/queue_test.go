package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi/observationapi"
	"github.com/tuijin/tuijin/internal/uploads"
)

// TestIssuedFilesQueue: an issued document's files are written with its
// rows into the object queue, never to the object store inside the
// transaction; after the commit they are stored locked and the rows get
// their versions. Bytes whose request ended before storing them are served
// from the queue, hash checked, and stored by the next flush (the worker's
// sweep); a rolled-back issue leaves nothing anywhere.
func TestIssuedFilesQueue(t *testing.T) {
	ctx := context.Background()
	gs := countyBySlug(t, "guangshan")
	stager := uploads.Stager{DB: h.env.App, Store: h.store, Log: slog.New(slog.DiscardHandler)}

	// Through the API: a monthly review issued; its files stored and locked, nothing left queued.
	office, leader := login(t, "gs.office"), login(t, "gs.leader")
	o := guangshanOrg(t, office)
	var sites []uuid.UUID
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT id FROM projects WHERE code IN ('GS2026-003') ORDER BY code").Scan(ctx, &sites)
	})
	var e observationapi.ObservationEvent
	office.do("POST", "/api/v1/observations", map[string]any{"month": "2026-07", "held_on": "2026-07-29", "title": "7月份重点项目观摩",
		"judges": []string{o.people["王立新"]}, "sites": sites}).decode(t, &e)
	leader.do("POST", "/api/v1/observations/"+e.ID.String()+"/sheets", map[string]any{"project_id": sites[0],
		"points": map[string]int{"image": 30, "investment": 30, "quality": 20, "highlight": 10}, "idempotency_key": "web-queue-test-1"})
	office.do("POST", "/api/v1/observations/"+e.ID.String()+"/close", nil)
	var v observationapi.ReviewVersion
	r := office.do("POST", "/api/v1/observations/"+e.ID.String()+"/review", nil)
	r.decode(t, &v)
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	var files []struct {
		Key     string `bun:"object_key"`
		Version string `bun:"version_id"`
	}
	var queued int
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		if err := tx.NewRaw("SELECT object_key, version_id FROM observation_review_files WHERE review_id = ?", v.ID).Scan(ctx, &files); err != nil {
			return err
		}
		return tx.NewRaw("SELECT count(*) FROM object_queue WHERE key LIKE 'observation-reviews/%'").Scan(ctx, &queued)
	})
	if len(files) != 3 || queued != 0 {
		t.Fatalf("after issuing: %d files, %d still queued", len(files), queued)
	}
	for _, f := range files {
		if until, locked, err := h.store.LockedUntil(ctx, f.Key, f.Version); f.Version == "" || err != nil || !locked || until.Before(time.Now()) {
			t.Fatalf("%s (version %q) is not stored locked: %v %v", f.Key, f.Version, locked, err)
		}
	}

	// The application may set a file's version once, from empty, and nothing else.
	for _, set := range []string{"version_id = 'another'", "sha256 = sha256"} {
		err := h.env.App.InCounty(ctx, gs, func(ctx context.Context, tx bun.IDB) error {
			// The restore's setting opens nothing to the application.
			_, err := tx.ExecContext(ctx, "SELECT set_config('tuijin.restore', 'on', true); UPDATE observation_review_files SET "+set+" WHERE review_id = ?", v.ID)
			return err
		})
		if err == nil {
			t.Fatalf("an issued file's row changed: %s", set)
		}
	}

	// A file whose request ended before storing it (its version still
	// empty, its bytes in the queue) is served from the queue, after the
	// request's transaction, hash checked; the next flush stores it.
	html := office.do("GET", "/api/v1/observation-reviews/"+v.ID.String()+"/html", nil)
	if html.Status != http.StatusOK {
		t.Fatalf("the review's page: %d", html.Status)
	}
	htmlKey := ""
	for _, f := range files {
		if bytes.HasSuffix([]byte(f.Key), []byte("/html")) {
			htmlKey = f.Key
		}
	}
	if err := h.env.Owner.InCounty(ctx, gs, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('tuijin.restore', 'on', true); UPDATE observation_review_files SET version_id = '' WHERE object_key = ?", htmlKey); err != nil {
			return err
		}
		sum := sha256.Sum256(html.Body)
		_, err := tx.ExecContext(ctx, "INSERT INTO object_queue (key, content_type, body, sha256, retain_until) VALUES (?, 'text/html', ?, ?, now() + interval '1 year')", htmlKey, html.Body, sum[:])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if again := office.do("GET", "/api/v1/observation-reviews/"+v.ID.String()+"/html", nil); again.Status != http.StatusOK || !bytes.Equal(again.Body, html.Body) {
		t.Fatalf("served from the queue: %d", again.Status)
	}
	if n, err := stager.Flush(ctx, gs); err != nil || n != 1 {
		t.Fatalf("the flush stored %d: %v", n, err)
	}
	var version string
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT version_id FROM observation_review_files WHERE object_key = ?", htmlKey).Scan(ctx, &version)
	})
	if version == "" {
		t.Fatal("the flush did not set the version")
	}

	// A queued object whose flush never came: served from the queue, then stored by the next flush.
	key := "queue-test/" + uuid.NewString() + "/html"
	body := []byte("<html>第1期</html>")
	sum := sha256.Sum256(body)
	err := h.env.App.InCounty(ctx, gs, func(ctx context.Context, tx bun.IDB) error {
		k := &uploads.Deferred{Tx: tx, Store: h.store}
		st, err := k.Put(ctx, key, bytes.NewReader(body), "text/html", time.Now().AddDate(1, 0, 0))
		if err != nil || st.VersionID != "" || !bytes.Equal(st.SHA256, sum[:]) || !k.Queued() {
			t.Fatalf("put: %+v %v", st, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Verified(ctx, key, "", sum[:]); err == nil {
		t.Fatal("the object store was written inside the transaction")
	}
	err = h.env.App.InCounty(ctx, gs, func(ctx context.Context, tx bun.IDB) error {
		f, err := (&uploads.Deferred{Tx: tx, Store: h.store}).Verified(ctx, key, "", sum[:])
		if err != nil {
			return err
		}
		defer f.Close()
		got, _ := io.ReadAll(f)
		if !bytes.Equal(got, body) {
			t.Fatalf("served from the queue: %q", got)
		}
		if _, err := (&uploads.Deferred{Tx: tx, Store: h.store}).Verified(ctx, key, "", make([]byte, 32)); err == nil {
			t.Fatal("a queued file with another hash was served")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := stager.Flush(ctx, gs)
	if err != nil || n < 1 {
		t.Fatalf("flush: %d %v", n, err)
	}
	if f, err := h.store.Verified(ctx, key, "", sum[:]); err != nil {
		t.Fatalf("not stored by the flush: %v", err)
	} else {
		f.Close()
	}
	// A rolled-back issue leaves nothing queued and nothing stored.
	gone := "queue-test/" + uuid.NewString() + "/pdf"
	_ = h.env.App.InCounty(ctx, gs, func(ctx context.Context, tx bun.IDB) error {
		_, _ = (&uploads.Deferred{Tx: tx, Store: h.store}).Put(ctx, gone, bytes.NewReader(body), "application/pdf", time.Now().AddDate(1, 0, 0))
		return context.Canceled // rolled back
	})
	if _, err := stager.Flush(ctx, gs); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Verified(ctx, gone, "", sum[:]); err == nil {
		t.Fatal("a rolled-back issue's file was stored")
	}
}
