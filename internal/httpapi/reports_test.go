package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/reportingapi"
	"github.com/tuijin/tuijin/internal/settings"
)

// clock is an in-process server whose clock the test sets; sessions come
// from the same database as the harness.
type clock struct {
	t   *testing.T
	s   *httpapi.Server
	now time.Time
}

func newClock(t *testing.T, now time.Time) *clock {
	ropt, _ := redis.ParseURL(h.cfg.RedisURL)
	rdb := redis.NewClient(ropt)
	t.Cleanup(func() { rdb.Close() })
	z, err := authz.New(authz.NewAdapter(h.env.App.Bun))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: t, now: now}
	c.s, err = httpapi.New(httpapi.Deps{Areas: app.Areas, Config: h.cfg, DB: h.env.App, Redis: rdb, Authz: z, Hasher: auth.NewHasher(0),
		Throttle: auth.NewThrottle(rdb, 100, 100, time.Minute), Log: slog.New(slog.DiscardHandler), Objects: h.store, Now: func() time.Time { return c.now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *clock) do(who *client, method, path string, body any) response {
	c.t.Helper()
	var raw []byte
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte: // a photo
		raw, ct = b, "image/jpeg"
	default:
		raw, _ = json.Marshal(b)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+who.token)
	w := httptest.NewRecorder()
	c.s.Handler().ServeHTTP(w, req)
	r := response{Status: w.Code, Body: w.Body.Bytes(), Header: w.Header()}
	vreq, _ := http.NewRequest(method, h.base+path, nil)
	validate(c.t, vreq, r)
	return r
}

// week n of the current year (the demo seats start on 1 January of it):
// its Monday as "YYYY-MM-DD", and an instant days after that Monday.
func week(n int) string { return isoWeekMonday(time.Now().Year(), n).Format(time.DateOnly) }

func at(n, days int, hhmm string) time.Time {
	return shanghai(isoWeekMonday(time.Now().Year(), n).AddDate(0, 0, days).Format(time.DateOnly) + " " + hhmm)
}

func shanghai(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, settings.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func projectByCode(t testing.TB, c *client, code string) httpapi.Project {
	var l httpapi.List[httpapi.Project]
	c.do("GET", "/api/v1/projects?q="+code, nil).decode(t, &l)
	if len(l.Items) != 1 {
		t.Fatalf("project %s: %d found", code, len(l.Items))
	}
	return l.Items[0]
}

// TestWeeklyReportFlow: the helper drafts and submits, the responsible person
// confirms, the office verifies (a revision is kept); the rules decide
// substantive progress; late and missing weeks; the office's override.
func TestWeeklyReportFlow(t *testing.T) {
	office, helper, responsible, assistant := login(t, "gs.office"), login(t, "gs.helper"), login(t, "gs.unit"), login(t, "gs.taskforce")
	p := projectByCode(t, office, "GS2026-003") // 紫水街道: 罗军 responsible, 唐明 helper
	base := "/api/v1/projects/" + p.ID.String() + "/reports/"
	c := newClock(t, at(10, 4, "11:00")) // Friday of week 10, before the 12:00 deadline
	draft := map[string]any{"image_progress": "完成3栋楼外立面改造", "image_percent": 20, "investment_yuan": 150000, "workers": 45, "machines": 6}

	if r := c.do(assistant, "PUT", base+week(10), draft); r.Status != 403 || r.code() != "not_your_seat" {
		t.Fatalf("the assistant drafts: %d %s", r.Status, r.Body)
	}
	if r := c.do(helper, "PUT", base+week(11), draft); r.Status != 400 || r.code() != "report_future_week" {
		t.Fatalf("a future week: %d %s", r.Status, r.Body)
	}
	if r := c.do(helper, "PUT", base+week(10), map[string]any{"image_progress": "", "image_percent": 120, "investment_yuan": 0}); r.Status != 400 {
		t.Fatalf("bad draft: %d", r.Status)
	}
	if r := c.do(helper, "PUT", base+week(10), draft); r.Status != 200 {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	if r := c.do(responsible, "POST", base+week(10)+"/submit", nil); r.Status != 403 {
		t.Fatalf("the responsible person submits the helper's report: %d", r.Status)
	}
	if r := c.do(helper, "POST", base+week(10)+"/submit", nil); r.Status != 400 || r.code() != "too_few_photos" {
		t.Fatalf("submit without photos: %d %s", r.Status, r.Body)
	}
	photos := func(n int) {
		for i := 0; i < 3; i++ {
			if r := c.do(helper, "POST", "/api/v1/projects/"+p.ID.String()+"/photos?week="+week(n), testJPEG(t, 64, 48, nil)); r.Status != 201 {
				t.Fatalf("photo: %d %s", r.Status, r.Body)
			}
		}
	}
	photos(10)
	var rep reportingapi.WeeklyReport
	r := c.do(helper, "POST", base+week(10)+"/submit", nil)
	r.decode(t, &rep)
	if r.Status != 200 || rep.Late || rep.Progress == nil || !*rep.Progress || len(rep.RuleReasons) == 0 {
		t.Fatalf("submit on time: %d %s", r.Status, r.Body)
	}
	if r := c.do(helper, "POST", base+week(10)+"/verify", nil); r.Status != 403 {
		t.Fatalf("the helper verifies: %d", r.Status)
	}
	if r := c.do(office, "POST", base+week(10)+"/verify", nil); r.Status != 409 {
		t.Fatalf("verify before confirmation: %d", r.Status)
	}
	if r := c.do(helper, "PUT", base+week(10), draft); r.Status != 409 || r.code() != "report_in_review" {
		t.Fatalf("edit under review: %d %s", r.Status, r.Body)
	}
	c.do(responsible, "POST", base+week(10)+"/confirm", nil)
	var queue httpapi.List[reportingapi.QueuedReport]
	c.do(office, "GET", "/api/v1/reports?status=confirmed", nil).decode(t, &queue)
	inQueue := false
	for _, q := range queue.Items {
		inQueue = inQueue || (q.Report.ProjectID == p.ID && q.Report.Week == week(10) && q.ProjectName == p.Name)
	}
	if !inQueue {
		t.Fatal("the confirmed report is not in the office's queue")
	}
	r = c.do(office, "POST", base+week(10)+"/verify", nil)
	r.decode(t, &rep)
	if r.Status != 200 || rep.Status != "verified" || rep.Revision != 1 {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}

	// The next week: submitted after Friday noon, with too little progress.
	c.now = at(11, 4, "12:30")
	small := map[string]any{"image_progress": "内部装修", "image_percent": 23, "investment_yuan": 50000}
	c.do(helper, "PUT", base+week(11), small)
	photos(11)
	r = c.do(helper, "POST", base+week(11)+"/submit", nil)
	r.decode(t, &rep)
	if !rep.Late || rep.Progress == nil || *rep.Progress {
		t.Fatalf("late week without substantive progress: %s", r.Body)
	}
	if r := c.do(office, "POST", base+week(11)+"/override", map[string]any{"progress": true}); r.Status != 400 {
		t.Fatalf("override without a reason: %d", r.Status)
	}
	r = c.do(office, "POST", base+week(11)+"/override", map[string]any{"progress": true, "reason": "督导组现场核实主体结构已封顶"})
	var ov reportingapi.OverrideResult
	r.decode(t, &ov)
	rep = ov.Report
	if r.Status != 200 || !*rep.Progress || *rep.RuleProgress {
		t.Fatalf("override: %d %s", r.Status, r.Body)
	}
	if r := c.do(office, "POST", base+week(11)+"/return", map[string]any{}); r.Status != 400 {
		t.Fatalf("return without a comment: %d", r.Status)
	}
	r = c.do(office, "POST", base+week(11)+"/return", map[string]any{"comment": "照片不足3张"})
	r.decode(t, &rep)
	if rep.Status != "returned" || rep.ReturnComment != "照片不足3张" {
		t.Fatalf("return: %s", r.Body)
	}

	// A verified report changed again is a new revision; the old one is kept.
	c.do(helper, "PUT", base+week(10), map[string]any{"image_progress": "更正：完成4栋楼外立面改造", "image_percent": 22, "investment_yuan": 150000})
	c.do(helper, "POST", base+week(10)+"/submit", nil)
	c.do(responsible, "POST", base+week(10)+"/confirm", nil)
	c.do(office, "POST", base+week(10)+"/verify", nil)
	var revs []reportingapi.ReportRevision
	c.do(office, "GET", base+week(10)+"/revisions", nil).decode(t, &revs)
	if len(revs) != 2 || revs[0].Revision != 2 || revs[1].Revision != 1 {
		t.Fatalf("revisions: %+v", revs)
	}

	// The grid three weeks on: on time, late, missing (no progress).
	c.now = at(12, 4, "13:00")
	var grid reportingapi.ReportGrid
	c.do(office, "GET", "/api/v1/reports/grid?from="+week(10)+"&weeks=3", nil).decode(t, &grid)
	var row *reportingapi.GridRow
	for i := range grid.Rows {
		if grid.Rows[i].ProjectID == p.ID {
			row = &grid.Rows[i]
		}
	}
	if row == nil || len(row.Cells) != 3 {
		t.Fatalf("grid: %+v", grid)
	}
	if row.Cells[0].State != "on_time" || row.Cells[1].State != "late" || row.Cells[2].State != "missing" || *row.Cells[2].Progress {
		t.Fatalf("grid row: %+v", row.Cells)
	}

	// Luoshan cannot read it.
	if r := c.do(login(t, "ls.office"), "GET", base+week(10), nil); r.Status != 404 {
		t.Fatalf("Luoshan reads a Guangshan report: %d", r.Status)
	}
}

// TestSiteVisits (M2.2): a check-in near the site is verified, one 2 km
// away is not; compliance counts verified visits (days for the helper)
// against the county's minimums; only the project's task force checks in.
func TestSiteVisits(t *testing.T) {
	office, helper, chief := login(t, "gs.office"), login(t, "gs.helper"), login(t, "gs.taskforce")
	p := projectByCode(t, office, "GS2026-003") // at 32.007, 114.902; 许晨 is its assistant, 唐明 its helper
	path := "/api/v1/projects/" + p.ID.String() + "/visits"
	c := newClock(t, at(16, 2, "10:00")) // Wednesday of week 16
	var v reportingapi.Visit
	r := c.do(chief, "POST", path, map[string]any{"latitude": 32.0085, "longitude": 114.9030, "accuracy_m": 15})
	r.decode(t, &v)
	if r.Status != 201 || !v.Verified || v.Role != "assistant" || *v.DistanceM > 300 {
		t.Fatalf("near the site: %d %s", r.Status, r.Body)
	}
	r = c.do(chief, "POST", path, map[string]any{"latitude": 32.0250, "longitude": 114.9020})
	r.decode(t, &v)
	if r.Status != 201 || v.Verified || *v.DistanceM < 1800 || v.Reason == "" {
		t.Fatalf("2 km away: %d %s", r.Status, r.Body)
	}
	for _, t := range []time.Time{at(16, 0, "09:00"), at(16, 1, "09:00"), at(16, 1, "16:00"), at(16, 2, "09:00")} {
		c.now = t
		c.do(helper, "POST", path, map[string]any{"latitude": 32.0070, "longitude": 114.9020})
	}
	if r := c.do(office, "POST", path, map[string]any{"latitude": 32.0070, "longitude": 114.9020}); r.Status != 403 {
		t.Fatalf("the office checks in: %d", r.Status)
	}
	if r := c.do(login(t, "gs.unit"), "POST", "/api/v1/projects/"+projectByCode(t, office, "GS2026-001").ID.String()+"/visits",
		map[string]any{"latitude": 32.012, "longitude": 114.915}); r.Status != 404 && r.Status != 403 {
		t.Fatalf("someone not on the task force checks in: %d", r.Status)
	}
	var rows httpapi.List[reportingapi.ComplianceRow]
	c.do(office, "GET", "/api/v1/visits/compliance?week="+week(16), nil).decode(t, &rows)
	got := map[string]reportingapi.ComplianceRow{}
	for _, x := range rows.Items {
		if x.ProjectID == p.ID {
			got[x.Role] = x
		}
	}
	if a := got["assistant"]; a.Done != 1 || a.Required != 2 || a.Met {
		t.Errorf("assistant: %+v", a)
	}
	if h := got["helper"]; h.Done != 3 || h.Required != 5 || h.Met { // 4 visits on 3 days
		t.Errorf("helper: %+v", h)
	}
	if ch := got["chief"]; ch.PersonName != "赵文斌" || ch.Done != 0 || ch.Met {
		t.Errorf("chief: %+v", ch)
	}
}

// TestProblems (M2.3): raised from the field, taken to a level and assigned
// with a deadline by the office; overdue by query until resolved.
func TestProblems(t *testing.T) {
	office, helper := login(t, "gs.office"), login(t, "gs.helper")
	o := guangshanOrg(t, office)
	p := projectByCode(t, office, "GS2026-003")
	r := helper.do("POST", "/api/v1/projects/"+p.ID.String()+"/problems", map[string]any{"source": "report", "category": "power", "description": "施工临时用电容量不足，需增容至630kVA"})
	var pb reportingapi.Problem
	r.decode(t, &pb)
	if r.Status != 201 || pb.Status != "open" || pb.Level != "unit" || pb.RaisedBy == nil {
		t.Fatalf("raise: %d %s", r.Status, r.Body)
	}
	if r := helper.do("PUT", "/api/v1/problems/"+pb.ID.String(), map[string]any{"level": "office", "status": "open", "version": pb.Version}); r.Status != 403 {
		t.Fatalf("the helper handles a problem: %d", r.Status)
	}
	r = office.do("PUT", "/api/v1/problems/"+pb.ID.String(), map[string]any{"level": "weekly_meeting", "assigned_unit_id": o.units["县供电公司"],
		"deadline": "2020-01-10", "status": "in_progress", "version": pb.Version})
	r.decode(t, &pb)
	if r.Status != 200 || !pb.Overdue || pb.Level != "weekly_meeting" {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	var overdue []reportingapi.Problem
	office.do("GET", "/api/v1/problems?overdue=true", nil).decode(t, &overdue)
	found := false
	for _, x := range overdue {
		found = found || x.ID == pb.ID
	}
	if !found {
		t.Fatal("the overdue problem is not listed")
	}
	if r := office.do("PUT", "/api/v1/problems/"+pb.ID.String(), map[string]any{"level": "weekly_meeting", "status": "resolved", "version": pb.Version}); r.Status != 400 {
		t.Fatalf("resolved without a resolution: %d", r.Status)
	}
	r = office.do("PUT", "/api/v1/problems/"+pb.ID.String(), map[string]any{"level": "weekly_meeting", "assigned_unit_id": o.units["县供电公司"],
		"deadline": "2020-01-10", "status": "resolved", "resolution": "供电公司已完成增容", "version": pb.Version})
	r.decode(t, &pb)
	if r.Status != 200 || pb.Overdue || pb.ResolvedAt == nil {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	if r := login(t, "ls.office").do("GET", "/api/v1/problems/"+pb.ID.String(), nil); r.Status != 404 {
		t.Fatalf("Luoshan reads a Guangshan problem: %d", r.Status)
	}
	if r := login(t, "gs.taskforce").do("GET", "/api/v1/problems/"+pb.ID.String(), nil); r.Status != 200 {
		t.Fatalf("the project's assistant reads its problem: %d", r.Status)
	}
}

// TestMonthlyFigures (M4.4): the helper reports a month against the node
// plan's targets; only the Statistics Bureau verifies; a correction clears it.
func TestMonthlyFigures(t *testing.T) {
	office, helper, stats := login(t, "gs.office"), login(t, "gs.helper"), login(t, "gs.stats")
	p := projectByCode(t, office, "GS2026-003")
	year := time.Now().Year()
	base := "/api/v1/projects/" + p.ID.String() + "/monthly/" + strconv.Itoa(year)
	months := make([]map[string]any, 12)
	for i := range months {
		months[i] = map[string]any{"month": i + 1, "image_target": "", "investment_yuan": 0}
	}
	months[2]["investment_yuan"] = 80000000 // the whole 8,000万 planned for March
	if r := office.do("PUT", "/api/v1/projects/"+p.ID.String()+"/plan/"+strconv.Itoa(year), map[string]any{"year": year, "nodes": []any{}, "months": months}); r.Status != 200 {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	var v reportingapi.MonthlyView
	r := helper.do("PUT", base+"/3", map[string]any{"investment_yuan": 50000000, "image_progress": "主体完成60%"})
	r.decode(t, &v)
	if r.Status != 200 || !v.Months[2].Reported || v.Months[2].BehindTargetByYuan != 30000000 || v.Months[2].CumulativeYuan != 50000000 {
		t.Fatalf("report March: %d %s", r.Status, r.Body)
	}
	if r := helper.do("POST", base+"/3/verify", nil); r.Status != 403 {
		t.Fatalf("the helper verifies: %d", r.Status)
	}
	if r := stats.do("POST", base+"/4/verify", nil); r.Status != 404 {
		t.Fatalf("verify an unreported month: %d", r.Status)
	}
	stats.do("POST", base+"/3/verify", nil).decode(t, &v)
	if !v.Months[2].Verified {
		t.Fatal("not verified")
	}
	helper.do("PUT", base+"/3", map[string]any{"investment_yuan": 52000000}).decode(t, &v)
	if v.Months[2].Verified || v.Months[2].InvestmentYuan != 52000000 {
		t.Fatalf("a correction kept the verification: %+v", v.Months[2])
	}
	if r := login(t, "gs.taskforce").do("PUT", base+"/3", map[string]any{"investment_yuan": 1}); r.Status != 403 {
		t.Fatalf("the assistant reports figures: %d", r.Status)
	}
}
