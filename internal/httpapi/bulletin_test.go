package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/httpapi/bulletinapi"
	"github.com/tuijin/tuijin/internal/httpapi/supervisionapi"
)

func previewOf(t *testing.T, c *client, period, at string) map[string]any {
	t.Helper()
	var out map[string]any
	r := c.do("GET", "/api/v1/bulletins/preview?period="+period+"&at="+at, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("preview %s %s: %d %s", period, at, r.Status, r.Body)
	}
	r.decode(t, &out)
	return out
}

func issue(t *testing.T, c *client, period, at, reason string) bulletinapi.BulletinVersion {
	t.Helper()
	var v bulletinapi.BulletinVersion
	r := c.do("POST", "/api/v1/bulletins", bulletinapi.BulletinIssue{Kind: "weekly", Period: period, At: at, Reason: reason})
	if r.Status != http.StatusCreated {
		t.Fatalf("issue %s %s: %d %s", period, at, r.Status, r.Body)
	}
	r.decode(t, &v)
	return v
}

func num(m map[string]any, key string) int64 {
	return int64(m["overview"].(map[string]any)[key].(float64))
}

// TestPeriodBulletins: month, quarter and half-year bulletins — 时序进度 by
// month (end of March 25.0, end of June 50.0), issue numbers per kind,
// period and year (a correction keeps its number), a quarter's own
// completion the sum of its months', its cumulative its last month's.
func TestPeriodBulletins(t *testing.T) {
	office := login(t, "gs.office")
	// Confirmed weekly investment in the first half, and a January verified
	// by the Statistics Bureau for one project.
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO weekly_reports (project_id, week_start, status, image_progress, investment_yuan, rule_progress)
			SELECT p.id, w::date, 'confirmed', '施工中', 1000000 + 10000 * extract(doy FROM w)::int, true
			FROM projects p CROSS JOIN generate_series(DATE '2026-01-05', DATE '2026-06-22', interval '14 days') w
			WHERE p.code IN ('GS2026-002', 'GS2026-004') ON CONFLICT (project_id, week_start) DO NOTHING`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO monthly_figures (project_id, year, month, investment_yuan, verified_at)
			SELECT id, 2026, 1, 4321000, now() FROM projects WHERE code = 'GS2026-004'
			ON CONFLICT (project_id, year, month) DO UPDATE SET investment_yuan = 4321000, verified_at = now()`)
		return err
	})
	if r := office.do("POST", "/api/v1/supervision/week-close", supervisionapi.WeekCloseInput{Week: "2026-06-22"}); r.Status != http.StatusOK {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	jan, feb, mar := previewOf(t, office, "month", "2026-01"), previewOf(t, office, "month", "2026-02"), previewOf(t, office, "month", "2026-03")
	q1, jun, h1 := previewOf(t, office, "quarter", "2026-Q1"), previewOf(t, office, "month", "2026-06"), previewOf(t, office, "half", "2026-H1")
	if mar["schedule"] != "25.0" || mar["schedule_basis"] != "按月计：已过3个月÷12" || mar["period_label"] != "2026年1-3月" || mar["this_period"] != "本月" {
		t.Errorf("end of March: %v %v %v", mar["schedule"], mar["schedule_basis"], mar["period_label"])
	}
	if jun["schedule"] != "50.0" || h1["schedule"] != "50.0" || q1["schedule"] != "25.0" || h1["period_label"] != "2026年上半年" {
		t.Errorf("end of June %v, H1 %v, Q1 %v", jun["schedule"], h1["schedule"], q1["schedule"])
	}
	if sum := num(jan, "period_yuan") + num(feb, "period_yuan") + num(mar, "period_yuan"); sum != num(q1, "period_yuan") || sum == 0 {
		t.Errorf("Q1's own completion %d, its months' %d", num(q1, "period_yuan"), sum)
	}
	if num(q1, "done_yuan") != num(mar, "done_yuan") || num(jan, "done_yuan") != num(jan, "period_yuan") {
		t.Errorf("cumulative: Q1 %d, March %d; January done %d, own %d", num(q1, "done_yuan"), num(mar, "done_yuan"), num(jan, "done_yuan"), num(jan, "period_yuan"))
	}
	if !strings.Contains(mar["source_text"].(string), "1个项目共1个月采用统计局核实数") {
		t.Errorf("source: %v", mar["source_text"])
	}
	// Issue numbers run per kind, period and year.
	vJan, vFeb, vMar := issue(t, office, "month", "2026-01", ""), issue(t, office, "month", "2026-02", ""), issue(t, office, "month", "2026-03", "")
	vQ1 := issue(t, office, "quarter", "2026-Q1", "")
	vMar2 := issue(t, office, "month", "2026-03", "更正三月完成投资")
	if vJan.IssueNo != 1 || vFeb.IssueNo != 2 || vMar.IssueNo != 3 || vQ1.IssueNo != 1 || vMar2.IssueNo != 3 || vMar2.Version != 2 {
		t.Fatalf("issue numbers: Jan %d, Feb %d, Mar %d, Q1 %d, Mar v%d %d", vJan.IssueNo, vFeb.IssueNo, vMar.IssueNo, vQ1.IssueNo, vMar2.Version, vMar2.IssueNo)
	}
	if r := office.do("POST", "/api/v1/bulletins", bulletinapi.BulletinIssue{Kind: "weekly", Period: "month", At: "2026-13"}); r.Status != 400 {
		t.Errorf("a month 13: %d %s", r.Status, r.Body)
	}
	if r := office.do("POST", "/api/v1/bulletins", bulletinapi.BulletinIssue{Kind: "weekly", Period: "year", At: "2027"}); r.Status != 409 || r.code() != "period_not_closed" {
		t.Errorf("a year not ended: %d %s", r.Status, r.Body)
	}
	html := office.do("GET", "/api/v1/bulletins/"+vMar.ID.String()+"/html", nil)
	pdf := office.do("GET", "/api/v1/bulletins/"+vMar.ID.String()+"/pdf", nil)
	if html.Status != 200 || pdf.Status != 200 || !bytes.Contains(html.Body, []byte("2026年第3期")) || !bytes.Contains(html.Body, []byte("（2026年1-3月）")) ||
		!strings.Contains(pdf.Header.Get("Content-Disposition"), "%E7%AC%AC3%E6%9C%9F") { // 第3期 in the file name
		t.Fatalf("March files: %d %d %s", html.Status, pdf.Status, pdf.Header.Get("Content-Disposition"))
	}

	// Frozen: a template changed after issue does not change an issued file.
	old := bulletin.PageStyle
	bulletin.PageStyle = "body { color: #c00; } /* changed after issue */"
	defer func() { bulletin.PageStyle = old }()
	again, pdfAgain := office.do("GET", "/api/v1/bulletins/"+vMar.ID.String()+"/html", nil), office.do("GET", "/api/v1/bulletins/"+vMar.ID.String()+"/pdf", nil)
	if !bytes.Equal(again.Body, html.Body) || !bytes.Equal(pdfAgain.Body, pdf.Body) {
		t.Fatal("an issued bulletin changed with the template")
	}
	if draft := office.do("GET", "/api/v1/bulletins/preview/page?period=month&at=2026-03", nil); !bytes.Contains(draft.Body, []byte("changed after issue")) {
		t.Fatal("the draft does not use the changed template (the test proves nothing)")
	}
	bulletin.PageStyle = old

	var out bytes.Buffer
	if err := app.BulletinVerify(context.Background(), h.cfg, &out); err != nil {
		t.Fatalf("verify before any change: %v\n%s", err, out.String())
	}
	// A stored file that no longer matches its hash is refused, clearly.
	county := countyBySlug(t, "guangshan")
	if err := h.env.Owner.InCounty(context.Background(), county, func(ctx context.Context, tx bun.IDB) error {
		// Someone with the owner's rights, past the trigger that keeps the row as issued.
		_, err := tx.ExecContext(ctx, "SELECT set_config('tuijin.restore', 'on', true); UPDATE bulletin_files SET sha256 = sha256(sha256) WHERE bulletin_id = ? AND format = 'html'", vJan.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r := office.do("GET", "/api/v1/bulletins/"+vJan.ID.String()+"/html", nil); r.Status != 500 || r.code() != "file_corrupted" {
		t.Fatalf("a tampered file: %d %s", r.Status, r.Body)
	}
	// `tuijin bulletin verify` flags a version whose figures no longer recompute, and the tampered file.
	if err := h.env.Owner.InCounty(context.Background(), county, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `UPDATE bulletin_figures SET figures = jsonb_set(figures, '{schedule}', '"99.9"') WHERE bulletin_id = ?`, vFeb.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := app.BulletinVerify(context.Background(), h.cfg, &out)
	if err == nil || !strings.Contains(out.String(), vFeb.ID.String()) || !strings.Contains(out.String(), "schedule") || !strings.Contains(out.String(), vJan.ID.String()) {
		t.Fatalf("verify after a change: %v\n%s", err, out.String())
	}
}

// TestLegacyBulletinFiles: a bulletin issued before files were kept gets its
// files produced once from its stored inputs, marked as produced after issue.
func TestLegacyBulletinFiles(t *testing.T) {
	office := login(t, "gs.office")
	in := bulletin.Inputs{Rules: 1, Kind: "weekly", County: "光山县", Year: 2025, Week: "2025-06-02", Projects: []bulletin.Project{
		{Code: "L1", Name: "旧通报项目", Unit: "紫水街道", Category: "城建", Type: "new", TotalYuan: 1e8, PlanYuan: 3e7, DoneYuan: 1e7, Started: true}}}
	raw, _ := json.Marshal(in)
	county := countyBySlug(t, "guangshan")
	var id string
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw(`INSERT INTO bulletins (kind, week_start, period, period_start, period_end, issue_no, version, inputs, output_hash)
			VALUES ('weekly', '2025-06-02', 'week', '2025-06-02', '2025-06-08', 23, 1, ?, sha256('old'::bytea)) RETURNING id::text`, string(raw)).Scan(ctx, &id)
	})
	r := office.do("GET", "/api/v1/bulletins/"+id+"/pdf", nil)
	if r.Status != 200 || !bytes.HasPrefix(r.Body, []byte("%PDF")) {
		t.Fatalf("legacy pdf: %d %.200s", r.Status, r.Body)
	}
	again := office.do("GET", "/api/v1/bulletins/"+id+"/pdf", nil)
	if !bytes.Equal(again.Body, r.Body) {
		t.Fatal("the files of a legacy bulletin were produced twice")
	}
	var after []bool
	if err := h.env.App.InCounty(context.Background(), county, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT after_issue FROM bulletin_files WHERE bulletin_id = ?::uuid ORDER BY format", id).Scan(ctx, &after)
	}); err != nil {
		t.Fatal(err)
	}
	if len(after) != 3 || !after[0] || !after[1] || !after[2] {
		t.Fatalf("files after issue: %v", after)
	}
	// Stored files are never edited by the application.
	err := h.env.App.InCounty(context.Background(), county, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "SELECT set_config('tuijin.restore', 'on', true); UPDATE bulletin_files SET after_issue = false WHERE bulletin_id = ?::uuid", id)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("updating a stored file: %v", err)
	}
}
