package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi"
)

// guangshanIDs are objects of Guangshan as its office sees them.
type guangshanIDs struct {
	unit, person, group, account, member string
	unitBody, personBody                 map[string]any
}

func guangshanObjects(t *testing.T) guangshanIDs {
	gs := login(t, "gs.office")
	var units httpapi.List[httpapi.Unit]
	gs.do("GET", "/api/v1/units?limit=1", nil).decode(t, &units)
	var people httpapi.List[httpapi.Person]
	gs.do("GET", "/api/v1/people?limit=1", nil).decode(t, &people)
	var groups []httpapi.Group
	gs.do("GET", "/api/v1/groups?kind=inspection", nil).decode(t, &groups)
	var accts httpapi.List[httpapi.Account]
	gs.do("GET", "/api/v1/accounts?limit=1", nil).decode(t, &accts)
	if len(units.Items) == 0 || len(people.Items) == 0 || len(groups) == 0 || len(groups[0].Members) == 0 || len(accts.Items) == 0 {
		t.Fatal("demo data missing")
	}
	u, p := units.Items[0], people.Items[0]
	return guangshanIDs{
		unit: u.ID.String(), person: p.ID.String(), group: groups[0].ID.String(), account: accts.Items[0].ID.String(),
		member:     groups[0].Members[0].PersonID.String(),
		unitBody:   map[string]any{"code": "HACK", "name": "改名", "kind": u.Kind, "is_service_unit": false, "version": u.Version},
		personBody: map[string]any{"name": "改名", "rank": p.Rank, "version": p.Version},
	}
}

// snapshot digests every Guangshan row of every county table, read as the owner.
func snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var digest string
	err := h.env.Owner.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', (SELECT id::text FROM counties WHERE code = '411522'), true)"); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT md5(string_agg(d, ',' ORDER BY d)) FROM (
			SELECT md5(u::text) d FROM units u UNION ALL SELECT md5(p::text) FROM people p
			UNION ALL SELECT md5(g::text) FROM org_groups g UNION ALL SELECT md5(m::text) FROM org_group_members m
			UNION ALL SELECT md5(s::text) FROM settings_versions s UNION ALL SELECT md5(a::text) FROM accounts a
			UNION ALL SELECT md5(l::text) FROM audit_log l UNION ALL SELECT md5(pr::text) FROM projects pr
			UNION ALL SELECT md5(e::text) FROM key_list_entries e UNION ALL SELECT md5(a::text) FROM task_force_assignments a
			UNION ALL SELECT md5(pp::text) FROM project_procedures pp UNION ALL SELECT md5(mt::text) FROM project_month_targets mt) x`).Scan(&digest)
	})
	if err != nil {
		t.Fatal(err)
	}
	return digest
}

// TestCrossCountyMatrix: Luoshan's office tries to read, change and delete
// every Guangshan object with its id in the path, the query and the body.
// Every attempt is answered as if the object did not exist, and nothing of
// Guangshan changes.
func TestCrossCountyMatrix(t *testing.T) {
	g := guangshanObjects(t)
	ls := login(t, "ls.office")
	var lsGroups []httpapi.Group
	ls.do("GET", "/api/v1/groups?kind=inspection", nil).decode(t, &lsGroups)
	var lsAccts httpapi.List[httpapi.Account]
	ls.do("GET", "/api/v1/accounts?limit=1", nil).decode(t, &lsAccts)
	var lsPeople httpapi.List[httpapi.Person]
	ls.do("GET", "/api/v1/people?limit=1", nil).decode(t, &lsPeople)
	lsGroup, lsAccount, lsPerson := lsGroups[0].ID.String(), lsAccts.Items[0].ID.String(), lsPeople.Items[0].ID.String()

	before := snapshot(t)
	cases := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"read unit", "GET", "/api/v1/units/" + g.unit, nil, 404},
		{"change unit", "PUT", "/api/v1/units/" + g.unit, g.unitBody, 404},
		{"delete unit", "DELETE", "/api/v1/units/" + g.unit, nil, 404},
		{"read person", "GET", "/api/v1/people/" + g.person, nil, 404},
		{"change person", "PUT", "/api/v1/people/" + g.person, g.personBody, 404},
		{"delete person", "DELETE", "/api/v1/people/" + g.person, nil, 404},
		{"read group", "GET", "/api/v1/groups/" + g.group, nil, 404},
		{"change group", "PUT", "/api/v1/groups/" + g.group, map[string]any{"name": "改名", "version": 1}, 404},
		{"delete group", "DELETE", "/api/v1/groups/" + g.group, nil, 404},
		{"add member to their group", "PUT", "/api/v1/groups/" + g.group + "/members/" + lsPerson, map[string]any{"position": "member"}, 404},
		{"remove their member", "DELETE", "/api/v1/groups/" + g.group + "/members/" + g.member, nil, 404},
		{"read account", "GET", "/api/v1/accounts/" + g.account, nil, 404},
		{"change account", "PUT", "/api/v1/accounts/" + g.account, map[string]any{"display_name": "x", "roles": []string{"office"}, "disabled": true}, 404},
		{"reset their password", "POST", "/api/v1/accounts/" + g.account + "/password-reset", nil, 404},
		{"their person into our group (path)", "PUT", "/api/v1/groups/" + lsGroup + "/members/" + g.person, map[string]any{"position": "member"}, 400},
		{"our person in their unit (body)", "POST", "/api/v1/people", map[string]any{"name": "甲", "rank": "other", "unit_id": g.unit}, 400},
		{"our unit under their unit (body)", "POST", "/api/v1/units", map[string]any{"code": "X9", "name": "甲单位", "kind": "town", "is_service_unit": false, "parent_id": g.unit}, 400},
		{"our group led by their unit (body)", "POST", "/api/v1/groups", map[string]any{"kind": "inspection", "number": 9, "name": "甲组", "lead_unit_id": g.unit}, 400},
		{"our account linked to their person (body)", "PUT", "/api/v1/accounts/" + lsAccount, map[string]any{"display_name": "x", "roles": []string{"office"}, "person_id": g.person, "disabled": false}, 400},
		{"switch into their county", "PUT", "/api/v1/auth/county", map[string]any{"county_id": countyID(t, "411522")}, 404},
	}
	for _, c := range cases {
		r := ls.do(c.method, c.path, c.body)
		if r.Status != c.status {
			t.Errorf("%s: %s %s → %d %s, want %d", c.name, c.method, c.path, r.Status, r.Body, c.status)
		}
	}
	queries := []string{
		"/api/v1/people?unit_id=" + g.unit,
		"/api/v1/audit?entity_id=" + g.unit,
		"/api/v1/audit?entity_id=" + g.account,
	}
	for _, q := range queries {
		var l struct{ Items []any }
		r := ls.do("GET", q, nil)
		r.decode(t, &l)
		if r.Status != http.StatusOK || len(l.Items) != 0 {
			t.Errorf("GET %s → %d with %d items, want 200 and none", q, r.Status, len(l.Items))
		}
	}
	if after := snapshot(t); after != before {
		t.Fatal("Guangshan's data changed")
	}
	// The same requests by Guangshan's own office do reach the objects.
	if r := login(t, "gs.office").do("GET", "/api/v1/units/"+g.unit, nil); r.Status != http.StatusOK {
		t.Fatalf("Guangshan cannot read its own unit: %d", r.Status)
	}
}

func countyID(t *testing.T, code string) string {
	var id string
	if err := h.env.App.Bun.QueryRowContext(context.Background(), "SELECT id::text FROM counties WHERE code = ?", code).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestMunicipalReadsEveryCountyWritesNone (P2, P3).
func TestMunicipalReadsEveryCountyWritesNone(t *testing.T) {
	xy := login(t, "xinyang.city")
	for _, code := range []string{"411522", "411521"} {
		var me httpapi.Me
		r := xy.do("PUT", "/api/v1/auth/county", map[string]any{"county_id": countyID(t, code)})
		r.decode(t, &me)
		if r.Status != 200 || me.County == nil || me.County.Code != code {
			t.Fatalf("switch to %s: %d %s", code, r.Status, r.Body)
		}
		var units httpapi.List[httpapi.Unit]
		xy.do("GET", "/api/v1/units", nil).decode(t, &units)
		if len(units.Items) == 0 {
			t.Fatalf("%s: municipal sees no units", code)
		}
		if r := xy.do("POST", "/api/v1/units", map[string]any{"code": "M1", "name": "市建单位", "kind": "town", "is_service_unit": false}); r.Status != 403 {
			t.Fatalf("municipal created a unit: %d", r.Status)
		}
	}
}
