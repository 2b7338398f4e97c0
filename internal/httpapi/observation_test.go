package httpapi_test

import (
	"bytes"
	"context"
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
