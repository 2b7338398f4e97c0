package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi"
)

func scanBytes(t *testing.T, prefix string, n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return append([]byte(prefix), b...)
}

func newLetter(t *testing.T, c *client, o gsOrg, year int, unit, kind string) httpapi.Letter {
	t.Helper()
	r := c.do("POST", "/api/v1/letters", map[string]any{"year": year, "kind": kind, "unit_id": o.units[unit], "title": unit + "2026年目标责任书",
		"signed_on": "2026-02-15", "items": []map[string]any{{"content": "完成年度投资8000万元", "due_date": "2026-12-31"}, {"content": "6月底前主体开工"}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create letter: %d %s", r.Status, r.Body)
	}
	var l httpapi.Letter
	r.decode(t, &l)
	return l
}

// asGuangshanOwner runs sql as the owner inside Guangshan's county
// (Row-Level Security is forced on the owner too).
func asGuangshanOwner(t *testing.T, fn func(tx bun.Tx) error) {
	t.Helper()
	ctx := context.Background()
	err := h.env.Owner.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', (SELECT id::text FROM counties WHERE code = '411522'), true)"); err != nil {
			return err
		}
		return fn(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// objectOf reads a scan's object key and version id, as the owner.
func objectOf(t *testing.T, scanID string) (key, version string) {
	t.Helper()
	asGuangshanOwner(t, func(tx bun.Tx) error {
		return tx.QueryRowContext(context.Background(), `SELECT object_key, version_id FROM letter_scans WHERE id = ?`, scanID).Scan(&key, &version)
	})
	return key, version
}

func TestLettersAndLockedScans(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	l := newLetter(t, gs, o, 2026, "紫水街道", "responsibility")
	if len(l.Items) != 2 || *l.Items[0].DueDate != "2026-12-31" {
		t.Fatalf("letter: %+v", l)
	}
	if r := gs.do("POST", "/api/v1/letters", map[string]any{"year": 2026, "kind": "service", "unit_id": o.units["紫水街道"], "title": "x", "items": []any{}}); r.Status != 400 {
		t.Fatalf("a service letter with a township: %d", r.Status)
	}
	path := "/api/v1/letters/" + l.ID.String() + "/scans"
	pdf := scanBytes(t, "%PDF-1.7\n", 300_000)
	r := gs.doWith("POST", path, pdf, "application/pdf")
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var s1 httpapi.ScanInfo
	r.decode(t, &s1)
	sum := sha256.Sum256(pdf)
	if s1.SHA256 != hex.EncodeToString(sum[:]) || s1.SizeBytes != int64(len(pdf)) || s1.ContentType != "application/pdf" || s1.Version != 1 {
		t.Fatalf("scan: %+v", s1)
	}
	if r := gs.doWith("POST", path, []byte("just text, called a pdf"), "application/pdf"); r.Status != 400 || r.code() != "unsupported_file" {
		t.Fatalf("text as pdf: %d %s", r.Status, r.Body)
	}
	png := scanBytes(t, "\x89PNG\r\n\x1a\n", 5000)
	var s2 httpapi.ScanInfo
	gs.doWith("POST", path, png, "image/png").decode(t, &s2)
	var scans []httpapi.ScanInfo
	gs.do("GET", path, nil).decode(t, &scans)
	if len(scans) != 2 || scans[0].Version != 2 || scans[1].Version != 1 {
		t.Fatalf("versions: %+v", scans)
	}
	if got := gs.do("GET", path+"/"+s1.ID.String(), nil); got.Status != 200 || !bytes.Equal(got.Body, pdf) {
		t.Fatalf("download v1: %d, %d bytes", got.Status, len(got.Body))
	}

	// The bucket itself refuses to delete or overwrite the locked version.
	ctx := context.Background()
	key, version := objectOf(t, s1.ID.String())
	c := h.store.Client()
	if err := c.RemoveObject(ctx, h.store.Bucket(), key, minio.RemoveObjectOptions{VersionID: version}); err == nil {
		t.Fatal("a locked scan was deleted through MinIO")
	}
	fake := []byte("%PDF-1.7 forged")
	info, err := c.PutObject(ctx, h.store.Bucket(), key, bytes.NewReader(fake), int64(len(fake)), minio.PutObjectOptions{SendContentMd5: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := gs.do("GET", path+"/"+s1.ID.String(), nil); got.Status != 200 || !bytes.Equal(got.Body, pdf) {
		t.Fatal("an overwrite through MinIO changed the signed scan")
	}
	// A record pointing at other bytes than it was stored with is refused.
	asGuangshanOwner(t, func(tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE letter_scans SET version_id = ? WHERE id = ?", info.VersionID, s1.ID)
		return err
	})
	if got := gs.do("GET", path+"/"+s1.ID.String(), nil); got.Status != 500 || got.code() != "file_corrupted" {
		t.Fatalf("corrupted object served: %d %s", got.Status, got.Body)
	}
}

func TestLettersCrossCountyAndUnitScope(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	own := newLetter(t, gs, o, 2027, "紫水街道", "responsibility")
	svc := newLetter(t, gs, o, 2027, "县住建局", "service")
	var scan httpapi.ScanInfo
	gs.doWith("POST", "/api/v1/letters/"+own.ID.String()+"/scans", scanBytes(t, "\xff\xd8\xff\xe0", 2000), "image/jpeg").decode(t, &scan)
	ls := login(t, "ls.office")
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/letters/" + own.ID.String()},
		{"GET", "/api/v1/letters/" + own.ID.String() + "/scans"},
		{"GET", "/api/v1/letters/" + own.ID.String() + "/scans/" + scan.ID.String()},
	} {
		if r := ls.do(c.method, c.path, nil); r.Status != 404 {
			t.Errorf("Luoshan %s %s: %d", c.method, c.path, r.Status)
		}
	}
	if r := ls.doWith("POST", "/api/v1/letters/"+own.ID.String()+"/scans", scanBytes(t, "%PDF-", 100), "application/pdf"); r.Status != 404 {
		t.Errorf("Luoshan uploads to a Guangshan letter: %d", r.Status)
	}
	unit := login(t, "gs.unit")
	if r := unit.do("GET", "/api/v1/letters/"+own.ID.String()+"/scans/"+scan.ID.String(), nil); r.Status != 200 {
		t.Errorf("the unit reads its own letter's scan: %d", r.Status)
	}
	if r := unit.do("GET", "/api/v1/letters/"+svc.ID.String(), nil); r.Status != 404 {
		t.Errorf("the unit reads another unit's letter: %d", r.Status)
	}
}
