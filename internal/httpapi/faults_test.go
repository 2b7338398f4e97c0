package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
)

// TestReplaceUnknownCandidate: replacing a candidate that does not exist is
// 404 (it was a 409 version conflict); a stale version stays 409, and a
// promoted candidate says so.
func TestReplaceUnknownCandidate(t *testing.T) {
	gs := login(t, "gs.office")
	unit := firstUnit(t, gs)
	body := map[string]any{"name": "谋划项目" + uuid.NewString()[:4], "stage": "idea", "owner_unit_id": unit, "version": 1}
	if r := gs.do("PUT", "/api/v1/candidates/"+uuid.NewString(), body); r.Status != http.StatusNotFound {
		t.Fatalf("unknown candidate: %d %s", r.Status, r.Body)
	}
	r := gs.do("POST", "/api/v1/candidates", body)
	var c httpapi.Candidate
	r.decode(t, &c)
	body["version"] = c.Version + 1
	if r := gs.do("PUT", "/api/v1/candidates/"+c.ID.String(), body); r.Status != http.StatusConflict || r.code() != "version_conflict" {
		t.Fatalf("stale version: %d %s", r.Status, r.Body)
	}
	o := guangshanOrg(t, gs)
	r = gs.do("POST", "/api/v1/candidates/"+c.ID.String()+"/promote", map[string]any{"year": 2026, "on": "2026-03-02", "planned_investment_yuan": 1000000,
		"project": map[string]any{"code": "T-" + uuid.NewString()[:8], "category_id": o.category, "level": "county", "construction_type": "new",
			"responsible_unit_id": o.units["紫水街道"], "total_investment_yuan": 5000000}})
	if r.Status != http.StatusCreated {
		t.Fatalf("promote: %d %s", r.Status, r.Body)
	}
	body["version"] = c.Version
	if r := gs.do("PUT", "/api/v1/candidates/"+c.ID.String(), body); r.Status != http.StatusConflict || r.code() != "already_promoted" {
		t.Fatalf("promoted candidate: %d %s", r.Status, r.Body)
	}
}

// TestChangeProcedureType: a replacement that names another type changes
// the item's type (it answered 200, kept the old type and audited the new
// one); a type the project already has is a conflict.
func TestChangeProcedureType(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	p := newProject(t, gs, o, "紫水街道", nil)
	path := "/api/v1/projects/" + p.ID.String() + "/procedures"
	a, b, third := o.types[1], o.types[2], o.types[3]
	var proc httpapi.Procedure
	gs.do("POST", path, map[string]any{"type_id": a.ID, "service_unit_id": *a.DefaultServiceUnitID, "status": "pending"}).decode(t, &proc)
	r := gs.do("PUT", path+"/"+proc.ID.String(), map[string]any{"type_id": b.ID, "service_unit_id": *a.DefaultServiceUnitID, "status": "pending", "version": proc.Version})
	var changed httpapi.Procedure
	r.decode(t, &changed)
	if r.Status != http.StatusOK || changed.TypeID != b.ID || changed.TypeName != b.Name {
		t.Fatalf("change type: %d %s", r.Status, r.Body)
	}
	var list []httpapi.Procedure
	gs.do("GET", path, nil).decode(t, &list)
	if len(list) != 1 || list[0].TypeID != b.ID {
		t.Fatalf("ledger after the change: %+v", list)
	}
	gs.do("POST", path, map[string]any{"type_id": third.ID, "service_unit_id": *third.DefaultServiceUnitID, "status": "pending"})
	r = gs.do("PUT", path+"/"+proc.ID.String(), map[string]any{"type_id": third.ID, "service_unit_id": *a.DefaultServiceUnitID, "status": "pending", "version": changed.Version})
	if r.Status != http.StatusConflict {
		t.Fatalf("a type the project has already: %d %s", r.Status, r.Body)
	}
}

// TestMarkUnknownMessageRead: marking read a message that is not the
// caller's is 404 (it was 204 for any id); the caller's own is 204, twice.
func TestMarkUnknownMessageRead(t *testing.T) {
	c := login(t, "gs.stats")
	var me httpapi.Me
	c.do("GET", "/api/v1/auth/me", nil).decode(t, &me)
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	err := h.env.App.InCounty(ctx, me.County.ID, func(ctx context.Context, tx bun.IDB) error {
		_, err := postgres.Notify(ctx, tx, []postgres.Message{{AccountID: me.AccountID, Kind: postgres.MsgReportDue, Title: "测试消息", IdemKey: "t-read-" + uuid.NewString()}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var inbox httpapi.Inbox
	c.do("GET", "/api/v1/notifications", nil).decode(t, &inbox)
	if len(inbox.Items) == 0 {
		t.Fatal("empty inbox")
	}
	var others httpapi.Inbox
	login(t, "gs.office").do("GET", "/api/v1/notifications", nil).decode(t, &others)
	if r := c.do("POST", "/api/v1/notifications/read", map[string]any{"id": uuid.NewString()}); r.Status != http.StatusNotFound {
		t.Errorf("unknown message: %d %s", r.Status, r.Body)
	}
	if len(others.Items) > 0 {
		if r := c.do("POST", "/api/v1/notifications/read", map[string]any{"id": others.Items[0].ID}); r.Status != http.StatusNotFound {
			t.Errorf("another account's message: %d %s", r.Status, r.Body)
		}
	}
	for i := 0; i < 2; i++ {
		if r := c.do("POST", "/api/v1/notifications/read", map[string]any{"id": inbox.Items[0].ID}); r.Status != http.StatusNoContent {
			t.Fatalf("own message, time %d: %d %s", i+1, r.Status, r.Body)
		}
	}
}
