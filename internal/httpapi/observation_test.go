package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi/observationapi"
	"github.com/tuijin/tuijin/internal/observation"
)

// TestObservationAPI: the office puts October's observation on record with
// two judges (the leader and the unit head); a judge scores and sees only
// their own sheets, a retry with the same key counts once; someone not
// judging neither sees the event nor scores; the office sees who has
// scored, not the points, until it closes; then the results.
func TestObservationAPI(t *testing.T) {
	office, leader, unit, taskforce := login(t, "gs.office"), login(t, "gs.leader"), login(t, "gs.unit"), login(t, "gs.taskforce")
	o := guangshanOrg(t, office)
	var sites []uuid.UUID
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT id FROM projects WHERE code IN ('GS2026-003', 'GS2026-004') ORDER BY code").Scan(ctx, &sites)
	})
	var e observationapi.ObservationEvent
	r := office.do("POST", "/api/v1/observations", map[string]any{"month": "2026-10", "held_on": "2026-10-28", "title": "10月份重点项目观摩",
		"judges": []string{o.people["王立新"], o.people["罗军"]}, "sites": sites})
	r.decode(t, &e)
	if r.Status != http.StatusCreated || e.Status != "open" || len(e.Rubric.Items) != 4 || e.Method == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	base := "/api/v1/observations/" + e.ID.String()
	sheet := map[string]int{"image": 28, "investment": 25, "quality": 18, "highlight": 15}
	var got observationapi.Sheet
	r = unit.do("POST", base+"/sheets", map[string]any{"project_id": sites[0], "points": sheet, "comment": "征迁推进快", "idempotency_key": "web-3f1c2a9b-01"})
	r.decode(t, &got)
	if r.Status != http.StatusCreated || got.Total != 86 {
		t.Fatalf("a judge scores: %d %s", r.Status, r.Body)
	}
	r = unit.do("POST", base+"/sheets", map[string]any{"project_id": sites[0], "points": sheet, "comment": "征迁推进快", "idempotency_key": "web-3f1c2a9b-01"})
	if r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("a retry: %d %s", r.Status, r.Body)
	}
	if r := taskforce.do("POST", base+"/sheets", map[string]any{"project_id": sites[0], "points": sheet, "idempotency_key": "web-other-000001"}); r.Status != http.StatusNotFound {
		t.Fatalf("someone not judging scores: %d %s", r.Status, r.Body)
	}
	leader.do("POST", base+"/sheets", map[string]any{"project_id": sites[0], "points": map[string]int{"image": 30, "investment": 30, "quality": 20, "highlight": 10}, "idempotency_key": "web-leader-0001"})
	// The unit head sees their own sheet, not the leader's.
	var d observationapi.ObservationDetail
	unit.do("GET", base, nil).decode(t, &d)
	if !d.IsJudge || len(d.Mine) != 1 || len(d.Sheets) != 0 || len(d.Judges) != 0 {
		t.Fatalf("a judge's view: mine %d, all %d, progress %d", len(d.Mine), len(d.Sheets), len(d.Judges))
	}
	office.do("GET", base, nil).decode(t, &d)
	if len(d.Sheets) != 0 || len(d.Judges) != 2 || d.Judges[0].Missing+d.Judges[1].Missing != 2 || !d.MayClose {
		t.Fatalf("the office's view while scoring: %+v", d.Judges)
	}
	if r := office.do("POST", base+"/close", nil); r.Status != http.StatusBadRequest {
		t.Fatalf("closed with sheets missing and no note: %d", r.Status)
	}
	var res []observationapi.ObservationResult
	r = office.do("POST", base+"/close", map[string]any{"note": "十里镇项目因降雨未能现场观摩"})
	r.decode(t, &res)
	if r.Status != http.StatusOK || len(res) == 0 {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	office.do("GET", base, nil).decode(t, &d)
	if len(d.Sheets) != 2 || len(d.Results) == 0 || d.Results[0].Score != "88.00" || d.Event.Note != "十里镇项目因降雨未能现场观摩" || d.Event.ClosedAt == nil {
		t.Fatalf("after close: %+v", d.Results)
	}
	if r := taskforce.do("GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("someone not judging reads the event: %d", r.Status)
	}
	// The monthly review: issued, frozen, served as issued after the template changes; a correction.
	var v1 observationapi.ReviewVersion
	r = office.do("POST", base+"/review", nil)
	r.decode(t, &v1)
	if r.Status != http.StatusCreated || v1.Version != 1 || v1.IssueNo < 1 || v1.Heading != "光山县2026年10月重点项目观摩点评" {
		t.Fatalf("review: %d %s", r.Status, r.Body)
	}
	html := office.do("GET", "/api/v1/observation-reviews/"+v1.ID.String()+"/html", nil)
	pdf := unit.do("GET", "/api/v1/observation-reviews/"+v1.ID.String()+"/pdf", nil)
	xlsx := office.do("GET", "/api/v1/observation-reviews/"+v1.ID.String()+"/xlsx", nil)
	if html.Status != 200 || pdf.Status != 200 || xlsx.Status != 200 || !strings.Contains(string(html.Body), "征迁推进快") || !strings.Contains(string(html.Body), "88.00") {
		t.Fatalf("review files: %d %d %d", html.Status, pdf.Status, xlsx.Status)
	}
	old := observation.ReviewStyle
	observation.ReviewStyle = "body { color: #c00 } /* changed after issue */"
	again := office.do("GET", "/api/v1/observation-reviews/"+v1.ID.String()+"/html", nil)
	draft := office.do("GET", base+"/review/draft/html", nil)
	observation.ReviewStyle = old
	if !bytes.Equal(again.Body, html.Body) || !strings.Contains(string(draft.Body), "changed after issue") {
		t.Fatal("an issued review changed with the template, or the draft did not")
	}
	if r := office.do("POST", base+"/review", map[string]any{"reason": ""}); r.Status != http.StatusBadRequest {
		t.Fatalf("a correction without a reason: %d", r.Status)
	}
	var v2 observationapi.ReviewVersion
	r = office.do("POST", base+"/review", map[string]any{"reason": "更正评委点评"})
	r.decode(t, &v2)
	if r.Status != http.StatusCreated || v2.Version != 2 || v2.IssueNo != v1.IssueNo {
		t.Fatalf("correction: %d %s", r.Status, r.Body)
	}
	if r := taskforce.do("GET", "/api/v1/observation-reviews/"+v1.ID.String()+"/pdf", nil); r.Status != http.StatusNotFound {
		t.Fatalf("someone not judging reads the review: %d", r.Status)
	}
	if r := login(t, "ls.office").do("GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("Luoshan reads it: %d", r.Status)
	}
}

// TestObservationSheetPhotos: a judge takes photos at a site before sending
// the sheet; the same bytes again (a phone's retry) are the same photo; at
// most six a site; the sheet names them and shows them; another judge
// cannot put them on their sheet; once sent, no more photos; they are not
// the unit's report photos; someone not judging cannot take or see them.
func TestObservationSheetPhotos(t *testing.T) {
	office, leader, unit, taskforce := login(t, "gs.office"), login(t, "gs.leader"), login(t, "gs.unit"), login(t, "gs.taskforce")
	o := guangshanOrg(t, office)
	var sites []uuid.UUID
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT id FROM projects WHERE code IN ('GS2026-003', 'GS2026-004') ORDER BY code").Scan(ctx, &sites)
	})
	var e observationapi.ObservationEvent
	office.do("POST", "/api/v1/observations", map[string]any{"month": "2026-08", "held_on": "2026-08-27", "title": "8月份重点项目观摩",
		"judges": []string{o.people["王立新"], o.people["罗军"]}, "sites": sites}).decode(t, &e)
	base := "/api/v1/observations/" + e.ID.String()
	photoURL := base + "/photos?project=" + sites[0].String()
	reportPhotos := func() int {
		var n int
		inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
			return tx.NewRaw("SELECT count(*) FROM photos WHERE project_id = ? AND observation_id IS NULL", sites[0]).Scan(ctx, &n)
		})
		return n
	}
	before := reportPhotos()

	first := testJPEG(t, 64, 48, nil)
	var p1, again observationapi.SheetPhoto
	r := unit.doWith("POST", photoURL, first, "image/jpeg")
	r.decode(t, &p1)
	if r.Status != http.StatusCreated || p1.ID == uuid.Nil || p1.ProjectID != sites[0] || p1.ThumbURL == "" {
		t.Fatalf("a judge's photo: %d %s", r.Status, r.Body)
	}
	r = unit.doWith("POST", photoURL, first, "image/jpeg")
	r.decode(t, &again)
	if r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replay") != "true" || again.ID != p1.ID {
		t.Fatalf("the same bytes again: %d %s", r.Status, r.Body)
	}
	ids := []uuid.UUID{p1.ID}
	for i := 0; i < 5; i++ {
		var p observationapi.SheetPhoto
		unit.doWith("POST", photoURL, testJPEG(t, 64+i, 48, nil), "image/jpeg").decode(t, &p)
		ids = append(ids, p.ID)
	}
	if r := unit.doWith("POST", photoURL, testJPEG(t, 80, 48, nil), "image/jpeg"); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "sheet_photo_cap_reached") {
		t.Fatalf("a seventh photo: %d %s", r.Status, r.Body)
	}
	if r := taskforce.doWith("POST", photoURL, testJPEG(t, 64, 48, nil), "image/jpeg"); r.Status != http.StatusNotFound {
		t.Fatalf("someone not judging takes a photo: %d %s", r.Status, r.Body)
	}
	if r := unit.doWith("POST", base+"/photos?project="+uuid.NewString(), testJPEG(t, 64, 48, nil), "image/jpeg"); r.Status != http.StatusNotFound {
		t.Fatalf("a photo of a project not on the tour: %d %s", r.Status, r.Body)
	}
	if got := reportPhotos(); got != before {
		t.Fatalf("the judge's photos became report photos: %d → %d", before, got)
	}
	// The unit's own view of the week's photos leaves them out.
	var week []json.RawMessage
	unit.do("GET", "/api/v1/projects/"+sites[0].String()+"/photos", nil).decode(t, &week)
	for _, w := range week {
		if strings.Contains(string(w), p1.ID.String()) {
			t.Fatal("a judge's photo is listed with the week's site photos")
		}
	}

	sheet := map[string]int{"image": 28, "investment": 25, "quality": 18, "highlight": 15}
	if r := leader.do("POST", base+"/sheets", map[string]any{"project_id": sites[0], "points": sheet, "photo_ids": []uuid.UUID{p1.ID}, "idempotency_key": "web-leader-photo-1"}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "sheet_photo_not_found") {
		t.Fatalf("another judge names my photo: %d %s", r.Status, r.Body)
	}
	var got observationapi.Sheet
	r = unit.do("POST", base+"/sheets", map[string]any{"project_id": sites[0], "points": sheet, "photo_ids": ids[:3], "idempotency_key": "web-unit-photo-1"})
	r.decode(t, &got)
	if r.Status != http.StatusCreated || len(got.Photos) != 3 || got.Photos[0].ID != ids[0] || got.Photos[2].ID != ids[2] {
		t.Fatalf("a sheet with photos: %d %s", r.Status, r.Body)
	}
	if r := unit.doWith("POST", photoURL, testJPEG(t, 90, 48, nil), "image/jpeg"); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "already_scored") {
		t.Fatalf("a photo after the sheet was sent: %d %s", r.Status, r.Body)
	}
	var d observationapi.ObservationDetail
	unit.do("GET", base, nil).decode(t, &d)
	if len(d.Mine) != 1 || len(d.Mine[0].Photos) != 3 || len(d.MyPhotos) != 6 {
		t.Fatalf("the judge's view: %d sheets, %d photos on it, %d taken", len(d.Mine), len(d.Mine[0].Photos), len(d.MyPhotos))
	}
	// The judge may open their photo; someone not judging may not, even with the URL.
	thumb := d.Mine[0].Photos[0].ThumbURL
	if r := unit.do("GET", thumb, nil); r.Status != http.StatusOK && !strings.Contains(string(r.Body), "photo_processing") {
		t.Fatalf("the judge opens their photo: %d %s", r.Status, r.Body)
	}
	if r := taskforce.do("GET", thumb, nil); r.Status == http.StatusOK {
		t.Fatal("someone else opened a judge's photo with its URL")
	}
	// Before close the office sees no sheet; after, every sheet with its photos.
	office.do("GET", base, nil).decode(t, &d)
	if len(d.Sheets) != 0 {
		t.Fatal("sheets shown before close")
	}
	office.do("POST", base+"/close", map[string]any{"note": "一名评委未到场"})
	office.do("GET", base, nil).decode(t, &d)
	if len(d.Sheets) != 1 || len(d.Sheets[0].Photos) != 3 {
		t.Fatalf("after close: %+v", d.Sheets)
	}
	if r := office.do("GET", d.Sheets[0].Photos[0].ThumbURL, nil); r.Status != http.StatusOK && !strings.Contains(string(r.Body), "photo_processing") {
		t.Fatalf("the office opens a sheet's photo: %d %s", r.Status, r.Body)
	}
}
