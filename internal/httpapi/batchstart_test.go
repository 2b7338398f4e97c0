package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi/batchstartapi"
)

// TestBatchStart: a project of 紫水街道 on 2027's list, planned to start in
// March 2027, is in the March–April round; its unit says why it has not
// started (not another unit's project), the office records the ceremony
// with it present (a stale version refused), a task force member reads the
// round, Luoshan sees an empty round.
func TestBatchStart(t *testing.T) {
	office, unit := login(t, "gs.office"), login(t, "gs.unit")
	var own, other uuid.UUID
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		for _, q := range []string{
			`INSERT INTO key_lists (year, title) VALUES (2027, '2027年重点项目') ON CONFLICT DO NOTHING`,
			`INSERT INTO projects (code, name, category_id, level, construction_type, status, responsible_unit_id, total_investment_yuan, planned_start)
			 SELECT c.code, c.name, (SELECT id FROM project_categories ORDER BY code LIMIT 1), 'county', 'new', 'preparing', u.id, 200000000, DATE '2027-03-10'
			 FROM (VALUES ('BS-2027-1', '紫水街道集中开工测试项目', '紫水街道'), ('BS-2027-2', '县住建局集中开工测试项目', '县住建局')) c(code, name, unit)
			 JOIN units u ON u.name = c.unit`,
			`INSERT INTO key_list_entries (key_list_id, project_id, planned_investment_yuan, added_on)
			 SELECT (SELECT id FROM key_lists WHERE year = 2027), id, 100000000, DATE '2027-01-01' FROM projects WHERE code LIKE 'BS-2027-%'`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if err := tx.NewRaw("SELECT id FROM projects WHERE code = 'BS-2027-1'").Scan(ctx, &own); err != nil {
			return err
		}
		return tx.NewRaw("SELECT id FROM projects WHERE code = 'BS-2027-2'").Scan(ctx, &other)
	})
	var round batchstartapi.BatchRound
	r := office.do("GET", "/api/v1/batch-starts?at=2027-04-30", nil)
	r.decode(t, &round)
	if r.Status != http.StatusOK || round.Label != "2027年3-4月" || round.Planned != 2 || round.NotStarted != 2 || round.Rate != "0.0" || round.Ceremony != nil {
		t.Fatalf("round: %d %s", r.Status, r.Body)
	}
	if r := unit.do("PUT", "/api/v1/batch-starts/reasons", map[string]any{"at": "2027-03-01", "project_id": other, "reason": "不是本单位的项目"}); r.Status != http.StatusNotFound {
		t.Fatalf("a unit explains another unit's project: %d %s", r.Status, r.Body)
	}
	r = unit.do("PUT", "/api/v1/batch-starts/reasons", map[string]any{"at": "2027-03-01", "project_id": own, "reason": "施工图审查未完成"})
	r.decode(t, &round)
	if r.Status != http.StatusOK {
		t.Fatalf("the unit's reason: %d %s", r.Status, r.Body)
	}
	found := false
	for _, p := range round.Projects {
		found = found || (p.ID == own && p.Reason == "施工图审查未完成" && p.Timing == "not_started" && p.TimingName == "未开工")
	}
	if !found {
		t.Fatalf("the reason is not on the round: %+v", round.Projects)
	}
	if r := unit.do("PUT", "/api/v1/batch-starts/ceremony", map[string]any{"at": "2027-03-01", "ceremony_on": "2027-03-18", "version": 0}); r.Status != http.StatusForbidden {
		t.Fatalf("a unit records the ceremony: %d", r.Status)
	}
	r = office.do("PUT", "/api/v1/batch-starts/ceremony", map[string]any{"at": "2027-03-01", "ceremony_on": "2027-03-18", "place": "官渡河产业集聚区", "present": []uuid.UUID{own}, "version": 0})
	r.decode(t, &round)
	if r.Status != http.StatusOK || round.Ceremony == nil || round.Ceremony.CeremonyOn != "2027-03-18" || round.Ceremony.Version != 1 {
		t.Fatalf("ceremony: %d %s", r.Status, r.Body)
	}
	if r := office.do("PUT", "/api/v1/batch-starts/ceremony", map[string]any{"at": "2027-03-01", "ceremony_on": "2027-03-19", "version": 0}); r.Status != http.StatusConflict {
		t.Fatalf("a stale ceremony record: %d %s", r.Status, r.Body)
	}
	// The April bulletin (a period that ends the round) reports it.
	page := office.do("GET", "/api/v1/bulletins/preview/page?period=month&at=2027-04", nil)
	for _, want := range []string{"九、集中开工（双月开工）", "2027年3-4月（3月18日在官渡河产业集聚区举行集中开工仪式）", "施工图审查未完成", "县住建局集中开工测试项目", "（责任单位未说明）"} {
		if !strings.Contains(string(page.Body), want) {
			t.Errorf("the April 2027 bulletin lacks %q", want)
		}
	}
	if march := office.do("GET", "/api/v1/bulletins/preview/page?period=month&at=2027-03", nil); strings.Contains(string(march.Body), "集中开工") {
		t.Error("the March bulletin reports a round that has not ended")
	}
	if r := office.do("GET", "/api/v1/batch-starts?at=2027-13-01", nil); r.Status != http.StatusBadRequest {
		t.Fatalf("a bad date: %d", r.Status)
	}
	if r := login(t, "gs.taskforce").do("GET", "/api/v1/batch-starts?at=2027-03-01", nil); r.Status != http.StatusOK {
		t.Fatalf("a task force member reads the round: %d", r.Status)
	}
	var ls batchstartapi.BatchRound
	login(t, "ls.office").do("GET", "/api/v1/batch-starts?at=2027-03-01", nil).decode(t, &ls)
	if ls.Planned != 0 || ls.Ceremony != nil {
		t.Fatalf("Luoshan sees Guangshan's round: %+v", ls)
	}
}
