package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/bulletinapi"
	"github.com/tuijin/tuijin/internal/httpapi/supervisionapi"
)

func countyBySlug(t testing.TB, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := h.env.Owner.Bun.NewRaw("SELECT id FROM counties WHERE slug = ?", slug).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// inCounty runs SQL as the application role inside a county.
func inCounty(t testing.TB, slug string, fn func(ctx context.Context, tx bun.IDB) error) {
	t.Helper()
	if err := h.env.App.InCounty(context.Background(), countyBySlug(t, slug), fn); err != nil {
		t.Fatal(err)
	}
}

const closedWeek = "2026-03-02"

// The register: a week close raises escalations; the leading group sees
// them with their evidence, field roles do not; the office schedules, holds
// and cannot waive without a reason; each change is audited.
func TestEscalationRegister(t *testing.T) {
	office := login(t, "gs.office")
	if r := office.do("POST", "/api/v1/supervision/week-close", supervisionapi.WeekCloseInput{Week: "2099-01-05"}); r.Status != http.StatusConflict || r.code() != "week_not_closed_yet" {
		t.Fatalf("closing a future week: %d %s", r.Status, r.Body)
	}
	var res supervisionapi.WeekCloseResult
	r := office.do("POST", "/api/v1/supervision/week-close", supervisionapi.WeekCloseInput{Week: closedWeek})
	if r.Status != http.StatusOK {
		t.Fatalf("week close: %d %s", r.Status, r.Body)
	}
	r.decode(t, &res)
	// The first close catches up the weeks before it: streaks of 9 weeks,
	// escalated in weeks 2 and 3 (each week's close is its own job run).
	if res.Projects == 0 || res.Stalled == 0 || res.Week != closedWeek {
		t.Fatalf("week close found %+v", res)
	}
	// Again: the same stored result, nothing new.
	var again supervisionapi.WeekCloseResult
	office.do("POST", "/api/v1/supervision/week-close", supervisionapi.WeekCloseInput{Week: closedWeek}).decode(t, &again)
	res.CaughtUp = nil
	if !reflect.DeepEqual(again, res) {
		t.Fatalf("second close %+v, first %+v", again, res)
	}
	if r := login(t, "gs.taskforce").do("GET", "/api/v1/escalations", nil); r.Status != http.StatusForbidden {
		t.Fatalf("task force reads the register: %d", r.Status)
	}
	var page httpapi.List[supervisionapi.Escalation]
	login(t, "gs.leader").do("GET", "/api/v1/escalations?status=pending&level=2", nil).decode(t, &page)
	list := page.Items
	if len(list) == 0 {
		t.Fatal("no level-2 escalations in the register")
	}
	e := list[0]
	if e.Level != 2 || e.Role != "chief" || e.Weeks != 3 || e.Status != "pending" {
		t.Fatalf("escalation %+v", e)
	}
	var detail supervisionapi.EscalationDetail
	office.do("GET", "/api/v1/escalations/"+e.ID.String(), nil).decode(t, &detail)
	if len(detail.Evidence) != 3 || detail.Evidence[0].Week != e.StreakStart || detail.Evidence[0].Progress {
		t.Fatalf("evidence %+v", detail.Evidence)
	}
	put := func(u supervisionapi.EscalationUpdate) response {
		return office.do("PUT", "/api/v1/escalations/"+e.ID.String(), u)
	}
	if r := put(supervisionapi.EscalationUpdate{Status: "waived", Version: 1}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "reason_required") {
		t.Fatalf("waive without reason: %d %s", r.Status, r.Body)
	}
	day := "2026-03-20"
	if r := put(supervisionapi.EscalationUpdate{Status: "scheduled", ScheduledOn: &day, Note: "县电视台《问政》栏目", Version: 1}); r.Status != http.StatusOK {
		t.Fatalf("schedule: %d %s", r.Status, r.Body)
	}
	if r := put(supervisionapi.EscalationUpdate{Status: "done", Version: 1}); r.Status != http.StatusConflict || r.code() != "version_conflict" {
		t.Fatalf("stale version: %d %s", r.Status, r.Body)
	}
	if r := put(supervisionapi.EscalationUpdate{Status: "done", Note: "已问政", Version: 2}); r.Status != http.StatusOK {
		t.Fatalf("done: %d %s", r.Status, r.Body)
	}
	if r := put(supervisionapi.EscalationUpdate{Status: "waived", Note: "情况特殊免于问政", Version: 3}); r.Status != http.StatusConflict || r.code() != "escalation_wrong_state" {
		t.Fatalf("waive after done: %d %s", r.Status, r.Body)
	}
	var trail httpapi.List[httpapi.AuditEntry]
	office.do("GET", "/api/v1/audit?entity_type=escalation&entity_id="+e.ID.String(), nil).decode(t, &trail)
	if len(trail.Items) != 2 {
		t.Fatalf("audit entries %d, want 2", len(trail.Items))
	}
	// The office was told, in its inbox.
	var inbox httpapi.Inbox
	office.do("GET", "/api/v1/notifications", nil).decode(t, &inbox)
	found := false
	for _, n := range inbox.Items {
		found = found || n.Kind == "escalation"
	}
	if !found { // (whether still unread depends on the tests before: another may have read all)
		t.Fatalf("office inbox lacks the escalation: %+v", inbox)
	}
	if r := office.do("POST", "/api/v1/notifications/read", httpapi.ReadInput{}); r.Status != http.StatusNoContent {
		t.Fatalf("read all: %d", r.Status)
	}
	office.do("GET", "/api/v1/notifications", nil).decode(t, &inbox)
	if inbox.Unread != 0 {
		t.Fatalf("unread after reading all: %d", inbox.Unread)
	}
	var dash supervisionapi.Dashboard
	office.do("GET", "/api/v1/supervision/dashboard", nil).decode(t, &dash)
	if dash.LatestWeek == nil || len(dash.Trend) == 0 || len(dash.Stalled) == 0 || len(dash.Compliance) != 4 {
		t.Fatalf("dashboard %+v", dash)
	}
}

// Bulletin: figures equal an independent SQL recomputation; the issued
// .xlsx read back by LibreOffice shows the same totals; the PDF's text has
// the Chinese headings; an issued bulletin is never edited (a correction is
// a new version with a reason, and the database refuses updates).
func TestBulletinIssue(t *testing.T) {
	office := login(t, "gs.office")
	office.do("POST", "/api/v1/supervision/week-close", supervisionapi.WeekCloseInput{Week: closedWeek})
	// Some reported investment so that rates are not all zero.
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO weekly_reports (project_id, week_start, status, image_progress, investment_yuan, rule_progress)
			SELECT e.project_id, '2026-02-23', 'verified', '测试', (e.planned_investment_yuan / 7)::bigint, true
			FROM key_list_entries e JOIN key_lists k ON k.id = e.key_list_id AND k.year = 2026
			ON CONFLICT (project_id, week_start) DO NOTHING`)
		return err
	})
	var preview map[string]any
	r := office.do("GET", "/api/v1/bulletins/preview?week="+closedWeek, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	r.decode(t, &preview)
	overview := preview["overview"].(map[string]any)
	// Independent recomputation in SQL (numeric round is half away from
	// zero): the projects listed in the week; completed investment = each
	// month's Statistics-Bureau figure once the month has ended, else the
	// confirmed or verified reports of the weeks whose Sunday is in 2026 up
	// to 8 March; 时序进度 by month: 2 of 12 months completed by that Sunday.
	var projects int
	var plan, done int64
	var rate, lead string
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw(`WITH l AS (
			SELECT e.project_id, e.planned_investment_yuan AS plan FROM key_list_entries e JOIN key_lists k ON k.id = e.key_list_id AND k.year = 2026
			WHERE e.added_on <= '2026-03-08' AND (e.removed_on IS NULL OR e.removed_on > '2026-03-02')),
		weekly AS (
			SELECT r.project_id, extract(month FROM r.week_start + 6)::int AS m, sum(r.investment_yuan) AS yuan FROM weekly_reports r
			WHERE r.status IN ('confirmed','verified') AND r.week_start + 6 BETWEEN '2026-01-01' AND '2026-03-08' GROUP BY 1, 2),
		stats AS (
			SELECT project_id, month AS m, investment_yuan AS yuan FROM monthly_figures
			WHERE year = 2026 AND verified_at IS NOT NULL AND make_date(2026, month, 1) + interval '1 month' - interval '1 day' <= '2026-03-08'),
		d AS (
			SELECT l.project_id, l.plan, coalesce((SELECT sum(coalesce(s.yuan, w.yuan)) FROM generate_series(1, 12) g(m)
			  LEFT JOIN weekly w ON w.project_id = l.project_id AND w.m = g.m LEFT JOIN stats s ON s.project_id = l.project_id AND s.m = g.m), 0) AS done
			FROM l)
			SELECT count(*), sum(plan), sum(done), round(sum(done)::numeric * 100 / sum(plan), 1)::text,
			  round(sum(done)::numeric * 100 / sum(plan) - 2::numeric * 100 / 12, 1)::text FROM d`).Scan(ctx, &projects, &plan, &done, &rate, &lead)
	})
	if int(overview["projects"].(float64)) != projects || int64(overview["plan_yuan"].(float64)) != plan ||
		int64(overview["done_yuan"].(float64)) != done || overview["completion_rate"] != rate || overview["lead"] != lead {
		t.Fatalf("bulletin overview %v; SQL: %d projects, plan %d, done %d, rate %s, lead %s", overview, projects, plan, done, rate, lead)
	}
	if preview["schedule"] != "16.7" || preview["schedule_basis"] != "按月计：已过2个月÷12" {
		t.Fatalf("schedule %v %v", preview["schedule"], preview["schedule_basis"])
	}
	// Issue.
	var v1 bulletinapi.BulletinVersion
	r = office.do("POST", "/api/v1/bulletins", bulletinapi.BulletinIssue{Kind: "weekly", Week: closedWeek})
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	r.decode(t, &v1)
	if r := office.do("POST", "/api/v1/bulletins", bulletinapi.BulletinIssue{Kind: "weekly", Week: closedWeek}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "reason_required") {
		t.Fatalf("second issue without reason: %d %s", r.Status, r.Body)
	}
	// The issued page hashes to what was frozen.
	page := login(t, "gs.unit").do("GET", "/api/v1/bulletins/"+v1.ID.String()+"/html", nil)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "光山县重点项目建设周通报") || !strings.Contains(string(page.Body), "第1版") ||
		!strings.Contains(page.Header.Get("Content-Disposition"), url.PathEscape("第1版.html")) {
		t.Fatalf("page: %d %.300s", page.Status, page.Body)
	}
	if sum := sha256.Sum256(page.Body); hex.EncodeToString(sum[:]) != v1.SHA256 {
		t.Fatal("the issued page does not hash to the frozen hash")
	}
	// Data changes after issue: version 1 renders the same; a correction is version 2.
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `UPDATE weekly_reports SET investment_yuan = investment_yuan + 1000000 WHERE week_start = '2026-02-23'`)
		return err
	})
	if again := office.do("GET", "/api/v1/bulletins/"+v1.ID.String()+"/html", nil); string(again.Body) != string(page.Body) {
		t.Fatal("an issued bulletin changed with the data")
	}
	var v2 bulletinapi.BulletinVersion
	r = office.do("POST", "/api/v1/bulletins", bulletinapi.BulletinIssue{Kind: "weekly", Week: closedWeek, Reason: "更正部分项目完成投资数据"})
	if r.Status != http.StatusCreated {
		t.Fatalf("correction: %d %s", r.Status, r.Body)
	}
	r.decode(t, &v2)
	if v2.Version != 2 || v2.SHA256 == v1.SHA256 {
		t.Fatalf("correction %+v", v2)
	}
	// The database refuses to edit an issued bulletin.
	err := h.env.App.InCounty(context.Background(), countyBySlug(t, "guangshan"), func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE bulletins SET reason = 'x' WHERE id = ?", v1.ID)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("updating an issued bulletin: %v", err)
	}
	dir := t.TempDir()
	// .xlsx → CSV by LibreOffice: the first sheet's totals.
	x := office.do("GET", "/api/v1/bulletins/"+v1.ID.String()+"/xlsx", nil)
	if x.Status != http.StatusOK {
		t.Fatalf("xlsx: %d", x.Status)
	}
	os.WriteFile(filepath.Join(dir, "b.xlsx"), x.Body, 0o644)
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+dir+"/lo", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", dir, filepath.Join(dir, "b.xlsx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice (libreoffice-calc-nogui): %v %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "b.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{}
	for _, row := range rows {
		if len(row) >= 2 {
			cells[row[0]] = row[1]
		}
	}
	wan := func(yuan int64) string {
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", float64(yuan)/10000), "0"), ".")
	}
	if cells["项目数（个）"] != fmt.Sprint(projects) || cells["年度计划投资（万元）"] != wan(plan) || cells["累计完成投资（万元）"] != wan(done) || cells["年度投资完成率（%）"] != strings.TrimSuffix(strings.TrimRight(rate, "0"), ".") {
		t.Fatalf("xlsx totals %v; want %d projects, plan %s, done %s, rate %s", cells, projects, wan(plan), wan(done), rate)
	}
	// PDF → text.
	p := office.do("GET", "/api/v1/bulletins/"+v1.ID.String()+"/pdf", nil)
	if p.Status != http.StatusOK || !strings.HasPrefix(string(p.Body), "%PDF") {
		t.Fatalf("pdf: %d", p.Status)
	}
	os.WriteFile(filepath.Join(dir, "b.pdf"), p.Body, 0o644)
	text, err := exec.Command("pdftotext", filepath.Join(dir, "b.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	flat := strings.Join(strings.Fields(string(text)), "")
	for _, want := range []string{"光山县重点项目建设周通报", "一、总体情况", "二、分建设类型推进情况", "四、责任单位推进情况及排名", "六、电视问政"} {
		if !strings.Contains(flat, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	var vpage httpapi.List[bulletinapi.BulletinVersion]
	login(t, "gs.helper").do("GET", "/api/v1/bulletins?kind=weekly", nil).decode(t, &vpage)
	versions := vpage.Items
	if len(versions) < 2 || versions[0].Version != 2 {
		t.Fatalf("versions %+v", versions)
	}
}

// Joint inspection: the automatic plan puts 百城提质 projects in group 6;
// an inspector records for their own group's projects only; findings become
// problems with deadlines; projects without a record are missing; group 6's
// bulletin is a separate document.
func TestJointInspection(t *testing.T) {
	office := login(t, "gs.office")
	var auto supervisionapi.AutoPlanResult
	if r := office.do("POST", "/api/v1/inspections/plan/2026/auto", nil); r.Status != http.StatusOK {
		t.Fatalf("auto plan: %d %s", r.Status, r.Body)
	} else {
		r.decode(t, &auto)
	}
	var plan []supervisionapi.PlanEntry
	office.do("GET", "/api/v1/inspections/plan?year=2026", nil).decode(t, &plan)
	var hundred, mine, other *supervisionapi.PlanEntry
	for i, e := range plan {
		if e.GroupNumber == nil {
			t.Fatalf("unassigned after the automatic plan: %s", e.ProjectName)
		}
		tagged := strings.Contains(strings.Join(e.Tags, ","), "百城提质")
		if tagged != (*e.GroupNumber == 6) {
			t.Fatalf("%s (tags %v) in group %d", e.ProjectName, e.Tags, *e.GroupNumber)
		}
		switch {
		case tagged:
			hundred = &plan[i]
		case *e.GroupNumber == 1 && mine == nil:
			mine = &plan[i]
		case *e.GroupNumber != 1 && *e.GroupNumber != 6 && other == nil:
			other = &plan[i]
		}
	}
	if hundred == nil || mine == nil || other == nil {
		t.Fatalf("plan lacks a group-6, a group-1 or another project: %+v", plan)
	}
	var groups []httpapi.Group
	office.do("GET", "/api/v1/groups?kind=inspection", nil).decode(t, &groups)
	var group1 uuid.UUID
	for _, g := range groups {
		if g.Kind == "inspection" && g.Number == 1 {
			group1 = g.ID
		}
	}
	if r := office.do("PUT", "/api/v1/inspections/plan/2026/"+hundred.ProjectID.String(), supervisionapi.PlanAssign{GroupID: group1}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "group6_rule") {
		t.Fatalf("百城提质 to group 1: %d %s", r.Status, r.Body)
	}
	inspector := login(t, "gs.inspector") // 郑伟, leader of group 1
	in := supervisionapi.InspectionInput{Week: closedWeek, VisitedOn: "2026-03-04", VerifiedInvestmentYuan: 1200000, Findings: "主体施工进度滞后于节点计划",
		Nodes:    []supervisionapi.NodeSeen{{Node: "main_start", Reached: false, Note: "基础施工中"}},
		Problems: []supervisionapi.FindingProblem{{Category: "land", Description: "部分用地未完成征迁", Deadline: "2026-03-20"}}}
	if r := inspector.do("POST", "/api/v1/projects/"+other.ProjectID.String()+"/inspections", in); r.Status != http.StatusForbidden || r.code() != "not_inspection_member" {
		t.Fatalf("inspecting another group's project: %d %s", r.Status, r.Body)
	}
	var rec supervisionapi.InspectionRecord
	r := inspector.do("POST", "/api/v1/projects/"+mine.ProjectID.String()+"/inspections", in)
	if r.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", r.Status, r.Body)
	}
	r.decode(t, &rec)
	if len(rec.Problems) != 1 || rec.Problems[0].Deadline == nil || *rec.Problems[0].Deadline != "2026-03-20" || rec.Problems[0].Source != "inspection" {
		t.Fatalf("finding as problem: %+v", rec.Problems)
	}
	if r := inspector.do("POST", "/api/v1/projects/"+mine.ProjectID.String()+"/inspections", in); r.Status != http.StatusConflict {
		t.Fatalf("second record the same week: %d", r.Status)
	}
	bad := in
	bad.VisitedOn = "2026-03-10"
	if r := office.do("POST", "/api/v1/projects/"+hundred.ProjectID.String()+"/inspections", bad); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "outside_week") {
		t.Fatalf("visit outside the week: %d %s", r.Status, r.Body)
	}
	var rows []supervisionapi.InspectionRow
	office.do("GET", "/api/v1/inspections?week="+closedWeek+"&group_id="+group1.String(), nil).decode(t, &rows)
	done, missing := 0, 0
	for _, x := range rows {
		if x.Inspection != nil {
			done++
		} else {
			missing++
		}
	}
	if done != 1 || len(rows) < 1 {
		t.Fatalf("group 1 week list: %d done, %d missing", done, missing)
	}
	var g6 map[string]any
	office.do("GET", "/api/v1/bulletins/preview?kind=group6&week="+closedWeek, nil).decode(t, &g6)
	if !strings.Contains(g6["title"].(string), "百城提质") || int(g6["overview"].(map[string]any)["projects"].(float64)) < 1 {
		t.Fatalf("group 6 bulletin: %v %v", g6["title"], g6["overview"])
	}
	var weekly map[string]any
	office.do("GET", "/api/v1/bulletins/preview?week="+closedWeek, nil).decode(t, &weekly)
	if findings := weekly["findings"].([]any); len(findings) != 1 {
		t.Fatalf("weekly bulletin findings: %v", findings)
	}
}

// Channels: robot webhooks only to the allowed hosts; the secret is never shown.
func TestNotificationChannels(t *testing.T) {
	c := login(t, "gs.helper")
	if r := c.do("PUT", "/api/v1/notifications/channels/wecom", httpapi.ChannelInput{Target: "https://10.0.0.1/hook", Enabled: true}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "host_not_allowed") {
		t.Fatalf("internal host: %d %s", r.Status, r.Body)
	}
	if r := c.do("PUT", "/api/v1/notifications/channels/email", httpapi.ChannelInput{Target: "not an address", Enabled: true}); r.Status != http.StatusBadRequest {
		t.Fatalf("bad e-mail: %d", r.Status)
	}
	secret := "SEC0123456789"
	var ch httpapi.Channel
	r := c.do("PUT", "/api/v1/notifications/channels/dingtalk", httpapi.ChannelInput{Target: "https://oapi.dingtalk.com/robot/send?access_token=abc", Secret: &secret, Enabled: true})
	if r.Status != http.StatusOK {
		t.Fatalf("dingtalk: %d %s", r.Status, r.Body)
	}
	r.decode(t, &ch)
	if !ch.Signed || strings.Contains(string(r.Body), secret) {
		t.Fatalf("channel answer %s", r.Body)
	}
	var list []httpapi.Channel
	c.do("GET", "/api/v1/notifications/channels", nil).decode(t, &list)
	if len(list) != 1 || !list[0].Signed {
		t.Fatalf("channels %+v", list)
	}
	if r := c.do("DELETE", "/api/v1/notifications/channels/dingtalk", nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := login(t, "gs.office").do("GET", "/api/v1/jobs/dead", nil); r.Status != http.StatusOK {
		t.Fatalf("dead letters: %d", r.Status)
	}
}
