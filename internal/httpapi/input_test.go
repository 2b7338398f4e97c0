package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/settings"
)

// countRows counts a county table's rows and Guangshan's audit entries, as the owner.
func countRows(t *testing.T, table string) int {
	t.Helper()
	var n int
	ctx := context.Background()
	tx, err := h.env.Owner.Bun.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', (SELECT id::text FROM counties WHERE code = '411522'), true)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBadInput: every malformed request is a 4xx with a stable code and
// both messages, and writes nothing.
func TestBadInput(t *testing.T) {
	gs := login(t, "gs.office")
	units, audits := countRows(t, "units"), countRows(t, "audit_log")
	big := `{"code":"B1","name":"` + strings.Repeat("长", 400000) + `","kind":"town","is_service_unit":false}`
	cases := []struct {
		name, body, contentType string
		status                  int
		code, field             string
	}{
		{"malformed JSON", `{"code": "B1", "name": `, "application/json", 400, "malformed_json", ""},
		{"not JSON at all", `code=B1`, "application/json", 400, "malformed_json", ""},
		{"two values", `{"code":"B1","name":"x","kind":"town","is_service_unit":false} {}`, "application/json", 400, "malformed_json", ""},
		{"empty body", ``, "application/json", 400, "empty_body", ""},
		{"unknown field", `{"code":"B1","name":"x","kind":"town","is_service_unit":false,"county_id":"x"}`, "application/json", 400, "validation_failed", "county_id"},
		{"wrong type", `{"code":"B1","name":"x","kind":"town","is_service_unit":"yes"}`, "application/json", 400, "validation_failed", "is_service_unit"},
		{"wrong content type", `{"code":"B1","name":"x","kind":"town","is_service_unit":false}`, "text/plain", 400, "unsupported_media_type", ""},
		{"invalid kind", `{"code":"B1","name":"x","kind":"village","is_service_unit":false}`, "application/json", 400, "validation_failed", "kind"},
		{"empty name", `{"code":"B1","name":"  ","kind":"town","is_service_unit":false}`, "application/json", 400, "validation_failed", "name"},
		{"oversized body", big, "application/json", 413, "body_too_large", ""},
		{"duplicate code", `{"code":"T01","name":"重名","kind":"town","is_service_unit":false}`, "application/json", 409, "duplicate", ""},
	}
	for _, c := range cases {
		r := gs.doWith("POST", "/api/v1/units", c.body, c.contentType)
		var e httpapi.ErrorBody
		_ = json.Unmarshal(r.Body, &e)
		if r.Status != c.status || e.Error.Code != c.code || e.Error.MessageZH == "" || e.Error.MessageEN == "" || e.Error.RequestID == "" {
			t.Errorf("%s: %d %.300s", c.name, r.Status, r.Body)
			continue
		}
		if c.field != "" && (len(e.Error.Fields) == 0 || e.Error.Fields[0].Field != c.field) {
			t.Errorf("%s: fields %+v, want %s", c.name, e.Error.Fields, c.field)
		}
	}
	if r := gs.do("GET", "/api/v1/units?limit=1000", nil); r.Status != 400 || r.code() != "invalid_limit" {
		t.Errorf("oversized page: %d %s", r.Status, r.Body)
	}
	if r := gs.do("GET", "/api/v1/units?after=garbage!", nil); r.Status != 400 || r.code() != "invalid_cursor" {
		t.Errorf("bad cursor: %d %s", r.Status, r.Body)
	}
	if countRows(t, "units") != units || countRows(t, "audit_log") != audits {
		t.Fatal("a refused request wrote something")
	}
}

// TestPagination walks all units with small pages: no duplicates, no gaps.
func TestPagination(t *testing.T) {
	gs := login(t, "gs.office")
	seen := map[string]bool{}
	after := ""
	for pages := 0; pages < 100; pages++ {
		var l httpapi.List[httpapi.Unit]
		gs.do("GET", "/api/v1/units?limit=7&after="+after, nil).decode(t, &l)
		for _, u := range l.Items {
			if seen[u.ID.String()] {
				t.Fatalf("unit %s twice", u.Name)
			}
			seen[u.ID.String()] = true
		}
		if l.NextCursor == "" {
			break
		}
		after = l.NextCursor
	}
	if want := countRows(t, "units"); len(seen) != want {
		t.Fatalf("paged %d units, the county has %d", len(seen), want)
	}
}

// TestSettingsVersions: invalid values name their fields and write nothing;
// a version cannot start in the past; a future version applies from its date.
func TestSettingsVersions(t *testing.T) {
	gs := login(t, "gs.office")
	versions := countRows(t, "settings_versions")
	bad := settings.Defaults()
	bad.StallUnitHeadWeeks = 0
	bad.ReportDeadlineTime = "25:00"
	bad.WeightInvestment = 90
	tomorrow := time.Now().In(settings.Shanghai).AddDate(0, 0, 1).Format(time.DateOnly)
	r := gs.do("POST", "/api/v1/settings/versions", map[string]any{"effective_from": tomorrow, "reason": "测试", "values": bad})
	if r.Status != 400 {
		t.Fatalf("invalid settings: %d %s", r.Status, r.Body)
	}
	var e httpapi.ErrorBody
	r.decode(t, &e)
	fields := map[string]bool{}
	for _, f := range e.Error.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"stall_unit_head_weeks", "report_deadline_time", "weight_investment"} {
		if !fields[want] {
			t.Errorf("no error for %s in %s", want, r.Body)
		}
	}
	partial := `{"effective_from":"` + tomorrow + `","reason":"缺字段","values":{"stall_unit_head_weeks":3}}`
	if r := gs.do("POST", "/api/v1/settings/versions", partial); r.Status != 400 {
		t.Errorf("partial settings accepted: %d", r.Status)
	}
	good := settings.Defaults()
	good.StallUnitHeadWeeks, good.StallCountyLeaderWeeks = 3, 4
	if r := gs.do("POST", "/api/v1/settings/versions", map[string]any{"effective_from": "2021-01-01", "reason": "追溯", "values": good}); r.Status != 400 || r.code() != "settings_effective_in_past" {
		t.Errorf("past version: %d %s", r.Status, r.Body)
	}
	if countRows(t, "settings_versions") != versions {
		t.Fatal("a refused settings version was written")
	}
	if r := gs.do("POST", "/api/v1/settings/versions", map[string]any{"effective_from": tomorrow, "reason": "延长问政周期", "values": good}); r.Status != 201 {
		t.Fatalf("future version: %d %s", r.Status, r.Body)
	}
	var now, then httpapi.SettingsVersion
	gs.do("GET", "/api/v1/settings", nil).decode(t, &now)
	gs.do("GET", "/api/v1/settings?on="+tomorrow, nil).decode(t, &then)
	if now.Values.StallUnitHeadWeeks != 2 || then.Values.StallUnitHeadWeeks != 3 || then.Reason != "延长问政周期" {
		t.Fatalf("today %d, tomorrow %d", now.Values.StallUnitHeadWeeks, then.Values.StallUnitHeadWeeks)
	}
	var past httpapi.SettingsVersion
	gs.do("GET", "/api/v1/settings?on=2020-06-30", nil).decode(t, &past)
	if past.EffectiveFrom != "2020-01-01" {
		t.Fatalf("2020 ran under %s", past.EffectiveFrom)
	}
}

// TestOptimisticConcurrency: a replace with a stale version is a conflict.
func TestOptimisticConcurrency(t *testing.T) {
	gs := login(t, "gs.office")
	r := gs.do("POST", "/api/v1/people", map[string]any{"name": "并发", "rank": "other"})
	var p httpapi.Person
	r.decode(t, &p)
	body := map[string]any{"name": "并发一", "rank": "other", "version": p.Version}
	if r := gs.do("PUT", "/api/v1/people/"+p.ID.String(), body); r.Status != 200 {
		t.Fatalf("first replace: %d %s", r.Status, r.Body)
	}
	body["name"] = "并发二"
	if r := gs.do("PUT", "/api/v1/people/"+p.ID.String(), body); r.Status != 409 || r.code() != "version_conflict" {
		t.Fatalf("stale replace: %d %s", r.Status, r.Body)
	}
}

// TestWritesAreAudited: a write leaves an audit entry with before, after
// and the request id the client saw.
func TestWritesAreAudited(t *testing.T) {
	gs := login(t, "gs.office")
	r := gs.do("POST", "/api/v1/units", map[string]any{"code": "A77", "name": "审计单位", "kind": "zone", "is_service_unit": true})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var u httpapi.Unit
	r.decode(t, &u)
	rid := r.Header.Get("X-Request-Id")
	r2 := gs.do("PUT", "/api/v1/units/"+u.ID.String(), map[string]any{"code": "A77", "name": "审计单位二", "kind": "zone", "is_service_unit": true, "version": 1})
	if r2.Status != 200 {
		t.Fatalf("update: %d %s", r2.Status, r2.Body)
	}
	var l httpapi.List[httpapi.AuditEntry]
	gs.do("GET", "/api/v1/audit?entity_type=unit&entity_id="+u.ID.String(), nil).decode(t, &l)
	if len(l.Items) != 2 || l.Items[1].Action != "unit.create" || l.Items[1].RequestID != rid || l.Items[0].Action != "unit.update" {
		t.Fatalf("audit: %+v", l.Items)
	}
	before, _ := json.Marshal(l.Items[0].Before)
	after, _ := json.Marshal(l.Items[0].After)
	if !strings.Contains(string(before), "审计单位") || !strings.Contains(string(after), "审计单位二") || l.Items[0].ActorName != "gs.office" {
		t.Fatalf("update entry: before %s after %s by %s", before, after, l.Items[0].ActorName)
	}
}

func TestHealth(t *testing.T) {
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(h.base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, err, resp)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(h.base + "/api/v1/openapi.json")
	if err != nil || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("security headers: %v %v", err, resp.Header)
	}
	resp.Body.Close()
}

// TestMetrics: the private listener serves request counters by route
// template; the public port does not serve /metrics.
func TestMetrics(t *testing.T) {
	gs := login(t, "gs.office")
	for i := 0; i < 3; i++ {
		gs.do("GET", "/api/v1/units?limit=1", nil)
	}
	resp, err := http.Get(h.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tuijin_http_requests_total{method="GET",route="/api/v1/units",status="200"}`,
		"tuijin_http_request_duration_seconds_bucket", `go_sql_open_connections{db_name="tuijin"}`, "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	public, err := http.Get(h.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(public.Body)
	public.Body.Close()
	if public.StatusCode != http.StatusNotFound || strings.Contains(string(pb), "tuijin_http_requests_total") {
		t.Fatalf("public port serves metrics: %d", public.StatusCode)
	}
}
