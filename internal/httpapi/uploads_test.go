package httpapi_test

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/photo"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/uploads"
)

// runUploadJobs runs what the worker would for the uploads so far: the
// upload jobs waiting in each county's outbox (a photo's display copy and
// thumbnail, a refused workbook's annotated copy), which it marks relayed.
func runUploadJobs(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	jobs := uploads.Jobs{DB: h.env.App, Store: h.store, Decoder: photo.NewDecoder(h.cfg.DecodeBudget, 2), RetainYears: h.cfg.RetainYears,
		Log: slog.New(slog.DiscardHandler)}
	for _, code := range []string{"411522", "411521"} {
		county := uuid.MustParse(countyID(t, code))
		type row struct {
			ID      int64
			Payload json.RawMessage
		}
		var rows []row
		err := h.env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewRaw("SELECT id, payload FROM outbox WHERE kind = 'job' AND relayed_at IS NULL AND payload->>'job' IN (?, ?) ORDER BY id",
				uploads.JobPhotoDerivatives, uploads.JobAnnotateImport).Scan(ctx, &rows)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			var p struct{ Job, Period string }
			_ = json.Unmarshal(r.Payload, &p)
			if err := jobs.Run(ctx, county, p.Job, p.Period, false); err != nil {
				t.Fatalf("%s %s: %v", p.Job, p.Period, err)
			}
			if err := h.env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
				_, err := tx.ExecContext(ctx, "UPDATE outbox SET relayed_at = now() WHERE id = ?", r.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// gate is a request body that sends head, then waits until it is opened,
// then sends the rest: a client on a slow network.
type gate struct {
	head, rest []byte
	reached    chan struct{}
	open       chan struct{}
	once       sync.Once
}

func newGate(body []byte, split int) *gate {
	return &gate{head: body[:split], rest: body[split:], reached: make(chan struct{}), open: make(chan struct{})}
}

func (g *gate) Read(p []byte) (int, error) {
	if len(g.head) > 0 {
		n := copy(p, g.head)
		g.head = g.head[n:]
		return n, nil
	}
	g.once.Do(func() { close(g.reached) })
	<-g.open
	if len(g.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.rest)
	g.rest = g.rest[n:]
	return n, nil
}

// slowUpload starts an upload whose body stops after split bytes until the
// returned function is called, which then waits for the answer.
func slowUpload(t *testing.T, c *client, path, contentType string, body []byte, split int) (finish func() response) {
	t.Helper()
	g := newGate(body, split)
	req, _ := http.NewRequest("POST", h.base+path, g)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+c.token)
	done := make(chan response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- response{Status: -1, Body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- response{Status: resp.StatusCode, Body: b, Header: resp.Header}
	}()
	select {
	case <-g.reached:
	case r := <-done:
		t.Fatalf("%s answered before its body was sent: %d %s", path, r.Status, r.Body)
	}
	time.Sleep(400 * time.Millisecond) // the server is reading the body by now
	return func() response {
		close(g.open)
		select {
		case r := <-done:
			return r
		case <-time.After(time.Minute):
			t.Fatalf("%s: no answer", path)
			return response{}
		}
	}
}

// idleInTransaction counts the test database's connections idle in a
// transaction (as the superuser, who sees every session).
func idleInTransaction(t *testing.T) int {
	t.Helper()
	adb, err := sql.Open("pgx", dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	var n int
	if err := adb.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'", h.env.Name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// pastWeek is the Monday n weeks before this one.
func pastWeek(n int) string {
	now := time.Now()
	monday := now.AddDate(0, 0, -((int(now.Weekday())+6)%7)-7*n)
	return monday.Format(time.DateOnly)
}

// TestUploadsHoldNoTransaction: while a photo, a scan or a workbook
// arrives slowly, no pooled connection waits idle in a transaction (issue
// 13: the request's transaction used to stay open for the whole body).
func TestUploadsHoldNoTransaction(t *testing.T) {
	office := login(t, "gs.office")
	o := guangshanOrg(t, office)
	p := projectByCode(t, office, "GS2026-003")
	l := newLetter(t, office, o, 2028, "紫水街道", "responsibility")
	pdf := scanBytes(t, "%PDF-1.7\n", 200_000)
	for _, c := range []struct {
		name, path, ct string
		body           []byte
		status         int
	}{
		{"photo", "/api/v1/projects/" + p.ID.String() + "/photos?week=" + pastWeek(3), "image/jpeg", testJPEG(t, 800, 600, nil), 201},
		{"scan", "/api/v1/letters/" + l.ID.String() + "/scans", "application/pdf", pdf, 201},
		{"workbook", "/api/v1/imports/key-list?year=2041&dry_run=true", xlsx, officeWorkbook(t, 40, "SLOW", nil), 200},
	} {
		if n := idleInTransaction(t); n != 0 {
			t.Fatalf("%s: %d connections idle in a transaction before the upload", c.name, n)
		}
		finish := slowUpload(t, office, c.path, c.ct, c.body, 1024)
		idle := idleInTransaction(t)
		r := finish()
		if idle != 0 {
			t.Errorf("%s: %d connections idle in a transaction while the body arrives", c.name, idle)
		}
		if r.Status != c.status {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
}

// listObjects lists every object version under prefix.
func listObjects(t *testing.T, prefix string) []minio.ObjectInfo {
	t.Helper()
	var out []minio.ObjectInfo
	for o := range h.store.Client().ListObjects(context.Background(), h.store.Bucket(), minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o)
	}
	return out
}

// headerOnlyJPEG is a JPEG whose frame says w×h but that carries the scan
// of a tiny image (or, with noScan, no scan at all).
func headerOnlyJPEG(t *testing.T, w, h int, noScan bool) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	for i := 2; i+9 < len(data); {
		if data[i] != 0xFF {
			t.Fatal("segment")
		}
		m, n := data[i+1], int(binary.BigEndian.Uint16(data[i+2:]))
		if m == 0xC0 {
			binary.BigEndian.PutUint16(data[i+5:], uint16(h))
			binary.BigEndian.PutUint16(data[i+7:], uint16(w))
		}
		if m == 0xDA && noScan {
			return append(data[:i:i], 0xFF, 0xD9)
		}
		if m == 0xDA {
			break
		}
		i += 2 + n
	}
	return data
}

// TestRefusedPhotoLeavesNoObject: a JPEG whose header says 6000×6000 over
// no image data is refused 400 before anything is stored (it used to be
// refused by the decoder after its original was stored, locked for ten
// years, with no row pointing at it).
func TestRefusedPhotoLeavesNoObject(t *testing.T) {
	office := login(t, "gs.office")
	p := projectByCode(t, office, "GS2026-003")
	wk := pastWeek(4)
	prefix := fmt.Sprintf("photos/%s/%s/%s/", countyID(t, "411522"), p.ID, wk)
	for _, noScan := range []bool{true, false} {
		r := office.doWith("POST", "/api/v1/projects/"+p.ID.String()+"/photos?week="+wk, headerOnlyJPEG(t, 6000, 6000, noScan), "image/jpeg")
		if r.Status != 400 || r.code() != "photo_unreadable" {
			t.Errorf("no scan %v: %d %s", noScan, r.Status, r.Body)
		}
	}
	if objs := listObjects(t, prefix); len(objs) != 0 {
		t.Errorf("a refused photo left %d objects, e.g. %s", len(objs), objs[0].Key)
	}
}

// png16 is a valid w×h 16-bit RGBA PNG of transparent black: a few hundred
// kilobytes that decode to w×h×8 bytes.
var png16 = sync.OnceValue(func() []byte {
	const w, hgt = 6000, 6000
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		_ = binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], hgt)
	ihdr[8], ihdr[9] = 16, 6
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+w*8)
	for y := 0; y < hgt; y++ {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	for b := z.Bytes(); len(b) > 0; {
		n := min(len(b), 1<<16)
		chunk("IDAT", b[:n])
		b = b[n:]
	}
	chunk("IEND", nil)
	return out.Bytes()
})

// TestPhotoDecodeBudget: a 6000×6000 16-bit RGBA PNG (under the pixel
// limit; 288 MB once decoded) is refused 413 from its header (it used to be
// decoded in the request), and nothing is stored.
func TestPhotoDecodeBudget(t *testing.T) {
	office := login(t, "gs.office")
	p := projectByCode(t, office, "GS2026-003")
	wk := pastWeek(5)
	data := png16()
	r := office.doWith("POST", "/api/v1/projects/"+p.ID.String()+"/photos?week="+wk, data, "image/png")
	if r.Status != 413 || r.code() != "photo_too_large_to_process" {
		t.Errorf("%d kB 16-bit PNG: %d %s", len(data)>>10, r.Status, r.Body)
	}
	if objs := listObjects(t, fmt.Sprintf("photos/%s/%s/%s/", countyID(t, "411522"), p.ID, wk)); len(objs) != 0 {
		t.Errorf("%d objects stored", len(objs))
	}
}

// TestRolledBackUploadLeavesNoObject: a photo whose project is deleted
// while the photo arrives is refused when its row cannot be written, and
// its original is removed (it used to stay locked, with no row).
func TestRolledBackUploadLeavesNoObject(t *testing.T) {
	office := login(t, "gs.office")
	o := guangshanOrg(t, office)
	p := newProject(t, office, o, "紫水街道", nil)
	finish := slowUpload(t, office, "/api/v1/projects/"+p.ID.String()+"/photos?week="+pastWeek(2), "image/jpeg", testJPEG(t, 640, 480, nil), 2048)
	if r := office.do("DELETE", "/api/v1/projects/"+p.ID.String(), nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete the project during the upload: %d %s", r.Status, r.Body)
	}
	r := finish()
	if r.Status < 400 || r.Status >= 500 {
		t.Errorf("the upload of a deleted project's photo: %d %s", r.Status, r.Body)
	}
	if objs := listObjects(t, fmt.Sprintf("photos/%s/%s/", countyID(t, "411522"), p.ID)); len(objs) != 0 {
		t.Errorf("a rolled-back photo left %d objects, e.g. %s", len(objs), objs[0].Key)
	}
}

// TestSweeperFinishesStages: what a crash leaves between the steps of an
// upload is settled by the sweeper: objects of a stage that never committed
// are removed once it is stale (and a late commit is then refused); those of
// a committed stage that were never locked are locked.
func TestSweeperFinishesStages(t *testing.T) {
	ctx := context.Background()
	county := uuid.MustParse(countyID(t, "411522"))
	st := uploads.Stager{DB: h.env.App, Store: h.store, Log: slog.New(slog.DiscardHandler)}
	put := func(prefix string) objects.Stored {
		sp, err := objects.NewSpool(strings.NewReader("%PDF-1.7 staged"))
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		o, err := h.store.PutSpool(ctx, prefix+"scan", sp, "application/pdf")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	begin := func() uploads.Stage {
		var s uploads.Stage
		if err := h.env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
			var err error
			s, err = st.Begin(ctx, tx, "scan", "letters/sweeper-test/"+uuid.NewString()+"/", false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	crashed, committed := begin(), begin()
	put(crashed.Prefix)
	o := put(committed.Prefix)
	retain := time.Now().Add(time.Hour)
	if err := h.env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		return st.Commit(ctx, tx, committed, []objects.Stored{o}, retain)
	}); err != nil {
		t.Fatal(err)
	}
	// Not yet stale: the uncommitted stage is left; the committed one is locked.
	sw, err := st.Sweep(ctx, county, time.Hour)
	if err != nil || sw.Locked != 1 || sw.Removed != 0 {
		t.Fatalf("first sweep: %+v %v", sw, err)
	}
	if until, ok, err := h.store.LockedUntil(ctx, o.Key, o.VersionID); err != nil || !ok || until.Before(retain.Add(-time.Second)) {
		t.Errorf("the committed object is not locked: %v %v %v", until, ok, err)
	}
	sw, err = st.Sweep(ctx, county, 0)
	if err != nil || sw.Removed != 1 || sw.Objects != 1 {
		t.Fatalf("second sweep: %+v %v", sw, err)
	}
	if objs := listObjects(t, crashed.Prefix); len(objs) != 0 {
		t.Errorf("the crashed upload's objects are still there: %d", len(objs))
	}
	err = h.env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		return st.Commit(ctx, tx, crashed, nil, retain.Add(time.Hour))
	})
	if err == nil || !strings.Contains(err.Error(), "upload_expired") {
		t.Errorf("a commit after the sweep: %v", err)
	}
	// Claimed by a sweep that is removing its objects (no transaction open
	// meanwhile): a commit in between is refused too.
	late := begin()
	if err := h.env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		got, err := postgres.ClaimStages(ctx, tx, time.Now(), 10, &late.ID, time.Minute)
		if err == nil && len(got) != 1 {
			t.Errorf("claimed %d stages", len(got))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = h.env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		return st.Commit(ctx, tx, late, []objects.Stored{put(late.Prefix)}, retain)
	})
	if err == nil || !strings.Contains(err.Error(), "upload_expired") {
		t.Errorf("a commit while the sweep holds the stage: %v", err)
	}
}

// TestOneImportPerCounty: while a county's import runs, a second one is
// refused with import_in_progress; another county's goes ahead.
func TestOneImportPerCounty(t *testing.T) {
	gs := login(t, "gs.office")
	finish := slowUpload(t, gs, "/api/v1/imports/key-list?year=2042&dry_run=true", xlsx, officeWorkbook(t, 30, "ONE", nil), 1024)
	second := gs.doWith("POST", "/api/v1/imports/key-list?year=2042&dry_run=true", officeWorkbook(t, 5, "TWO", nil), xlsx)
	ls := login(t, "ls.office")
	other := ls.doWith("POST", "/api/v1/imports/key-list?year=2042&dry_run=true", []byte("not a workbook"), xlsx)
	first := finish()
	if second.Status != http.StatusConflict || second.code() != "import_in_progress" {
		t.Errorf("a second import in Guangshan: %d %s", second.Status, second.Body)
	}
	if other.code() == "import_in_progress" {
		t.Errorf("Luoshan waits for Guangshan's import")
	}
	if first.Status != 200 {
		t.Errorf("the first import: %d %.300s", first.Status, first.Body)
	}
	if r := gs.doWith("POST", "/api/v1/imports/key-list?year=2042&dry_run=true", officeWorkbook(t, 5, "TWO", nil), xlsx); r.Status != 200 {
		t.Errorf("an import after the first: %d %.300s", r.Status, r.Body)
	}
}

// inflatingWorkbook is a small .xlsx whose list sheet inflates to size
// bytes: the header and rows of one repeated project.
func inflatingWorkbook(t testing.TB, size int) []byte {
	base := officeWorkbook(t, 1, "BIG", nil)
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		bw := &countingWriter{w: w}
		fmt.Fprint(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		fmt.Fprint(bw, `<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c><c r="B1" t="inlineStr"><is><t>项目名称</t></is></c><c r="C1" t="inlineStr"><is><t>建设性质</t></is></c><c r="D1" t="inlineStr"><is><t>总投资</t></is></c><c r="E1" t="inlineStr"><is><t>年度计划投资</t></is></c><c r="F1" t="inlineStr"><is><t>责任单位</t></is></c></row>`)
		for r := 2; bw.n < size; r++ {
			fmt.Fprintf(bw, `<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>膨胀项目</t></is></c><c r="C%d" t="inlineStr"><is><t>新开工</t></is></c><c r="D%d"><v>100</v></c><c r="E%d"><v>50</v></c><c r="F%d" t="inlineStr"><is><t>紫水街道</t></is></c></row>`, r, r, r, r, r, r, r, r)
		}
		fmt.Fprint(bw, `</sheetData></worksheet>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// TestWorkbookLimits: a workbook whose sheet inflates to 150 MB, and one
// with more rows than allowed, are refused at once with a TooLarge code
// (they used to be read whole, taking hundreds of megabytes and seconds to
// minutes), recorded as refused attempts.
func TestWorkbookLimits(t *testing.T) {
	gs := login(t, "gs.office")
	for _, c := range []struct {
		name string
		data []byte
		code string
	}{
		{"150 MB sheet", inflatingWorkbook(t, 150<<20), "workbook_too_large"},
		{"one row more than allowed", officeWorkbook(t, h.cfg.ImportMaxRows+1, "ROWS", nil), "workbook_too_many_rows"},
	} {
		start := time.Now()
		r := gs.doWith("POST", "/api/v1/imports/key-list?year=2043&file_name=big.xlsx", c.data, xlsx)
		var e httpapi.ErrorBody
		r.decode(t, &e)
		if r.Status != http.StatusRequestEntityTooLarge || e.Error.Code != c.code || e.Error.Ref == "" {
			t.Errorf("%s (%d kB): %d %s", c.name, len(c.data)>>10, r.Status, r.Body)
		}
		t.Logf("%s (%d kB): %d %s in %v", c.name, len(c.data)>>10, r.Status, e.Error.Code, time.Since(start).Round(time.Millisecond))
	}
}

// TestImportWorkbookWithPicture: a workbook carrying a large picture (as
// offices paste site photos into ledgers) imports; the picture is never
// read.
func TestImportWorkbookWithPicture(t *testing.T) {
	gs := login(t, "gs.office")
	data := officeWorkbook(t, 3, "PIC", nil)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	_ = jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 64, 64)), nil)
	if err := f.AddPictureFromBytes("Sheet1", "Q4", &excelize.Picture{Extension: ".jpg", File: img.Bytes()}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = f.Write(&buf)
	if r := gs.doWith("POST", "/api/v1/imports/key-list?year=2044&dry_run=true", buf.Bytes(), xlsx); r.Status != 200 {
		t.Fatalf("%d %.300s", r.Status, r.Body)
	}
}
