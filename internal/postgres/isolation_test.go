package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/org"
	"github.com/tuijin/tuijin/internal/postgres"
)

var env *dbtest.Env

func TestMain(m *testing.M) {
	var err error
	env, err = dbtest.New(context.Background())
	if err != nil {
		panic(err)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

// twoCounties makes two counties with one unit each and returns their ids.
func twoCounties(t *testing.T) (a, b uuid.UUID, unitA uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	var pref postgres.Prefecture
	suffix := uuid.NewString()[:4]
	err := env.App.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if pref, err = postgres.EnsurePrefecture(ctx, tx, "411500", "信阳市"); err != nil {
			return err
		}
		ca, err := postgres.EnsureCounty(ctx, tx, pref.ID, "9"+randDigits(5), "甲县"+suffix, "a"+suffix)
		if err != nil {
			return err
		}
		cb, err := postgres.EnsureCounty(ctx, tx, pref.ID, "8"+randDigits(5), "乙县"+suffix, "b"+suffix)
		a, b = ca.ID, cb.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.InCounty(ctx, a, func(ctx context.Context, tx bun.IDB) error {
		u, err := postgres.CreateUnit(ctx, tx, org.Unit{Code: "T01", Name: "紫水街道", Kind: org.KindStreet})
		unitA = u.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return a, b, unitA
}

func randDigits(n int) string {
	s := ""
	for _, c := range uuid.New() {
		s += string('0' + rune(c%10))
		if len(s) == n {
			break
		}
	}
	return s
}

// TestCatalogRLS: every table with a county_id column has Row-Level Security
// enabled and forced, and has a policy (P1).
func TestCatalogRLS(t *testing.T) {
	ctx := context.Background()
	rows, err := env.Owner.Bun.QueryContext(ctx, `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
		  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = 'public' AND c.relkind = 'r'
		   AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'county_id' AND NOT a.attisdropped)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name string
		var enabled, forced bool
		var policies int
		if err := rows.Scan(&name, &enabled, &forced, &policies); err != nil {
			t.Fatal(err)
		}
		n++
		if !enabled || !forced || policies == 0 {
			t.Errorf("table %s: rls enabled=%v forced=%v policies=%d", name, enabled, forced, policies)
		}
	}
	if n < 7 {
		t.Fatalf("found only %d county tables; the catalog query is wrong", n)
	}
}

// TestAppRoleOwnsNothing: the application role owns no relation or function,
// is no superuser and cannot bypass RLS; the audit log is append-only for it.
func TestAppRoleOwnsNothing(t *testing.T) {
	ctx := context.Background()
	var super, bypass bool
	var owned int
	err := env.Owner.Bun.QueryRowContext(ctx, `SELECT rolsuper, rolbypassrls,
		(SELECT count(*) FROM pg_class WHERE relowner = r.oid) + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
		+ (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
		FROM pg_roles r WHERE rolname = ?`, dbtest.AppRole).Scan(&super, &bypass, &owned)
	if err != nil {
		t.Fatal(err)
	}
	if super || bypass || owned != 0 {
		t.Fatalf("app role: superuser=%v bypassrls=%v owns=%d", super, bypass, owned)
	}
	for _, priv := range []string{"UPDATE", "DELETE", "TRUNCATE"} {
		var has bool
		if err := env.Owner.Bun.QueryRowContext(ctx, "SELECT has_table_privilege(?, 'audit_log', ?)", dbtest.AppRole, priv).Scan(&has); err != nil {
			t.Fatal(err)
		}
		if has {
			t.Errorf("app role has %s on audit_log", priv)
		}
	}
}

// TestNoCountyNoRows: a transaction that never set app.county_id sees no row
// of any county table, and cannot write one.
func TestNoCountyNoRows(t *testing.T) {
	ctx := context.Background()
	twoCounties(t)
	for _, table := range []string{"units", "people", "org_groups", "settings_versions", "accounts", "audit_log"} {
		var n int
		if err := env.App.Bun.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows visible without a county", table, n)
		}
	}
	_, err := env.App.Bun.ExecContext(ctx, "INSERT INTO units (code, name, kind) VALUES ('X', 'X', 'town')")
	if err == nil {
		t.Fatal("insert without a county succeeded")
	}
}

// TestPooledConnectionDoesNotLeakCounty: with one pooled connection, a
// county transaction followed by a plain query on the same connection sees
// nothing, and a second county sees only its own rows.
func TestPooledConnectionDoesNotLeakCounty(t *testing.T) {
	ctx := context.Background()
	a, b, unitA := twoCounties(t)
	one, err := db.Open(ctx, env.AppURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if err := one.InCounty(ctx, a, func(ctx context.Context, tx bun.IDB) error {
		_, err := postgres.GetUnit(ctx, tx, unitA)
		return err
	}); err != nil {
		t.Fatalf("county A cannot read its unit: %v", err)
	}
	var setting string
	if err := one.Bun.QueryRowContext(ctx, "SELECT coalesce(current_setting('app.county_id', true), '')").Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting != "" {
		t.Fatalf("app.county_id leaked to the next use of the connection: %q", setting)
	}
	var n int
	if err := one.Bun.QueryRowContext(ctx, "SELECT count(*) FROM units").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the county transaction, a plain query sees %d units (err %v)", n, err)
	}
	err = one.InCounty(ctx, b, func(ctx context.Context, tx bun.IDB) error {
		_, err := postgres.GetUnit(ctx, tx, unitA)
		return err
	})
	if err == nil {
		t.Fatal("county B read county A's unit")
	}
}

// TestBeginWithRollsBackCleanly: a request connection rolled back returns
// to the pool without its county setting.
func TestBeginWithRollsBackCleanly(t *testing.T) {
	ctx := context.Background()
	a, _, _ := twoCounties(t)
	one, err := db.Open(ctx, env.AppURL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	c, rows, err := one.BeginWith(ctx, "SELECT set_config('app.county_id', '"+a.String()+"', true)")
	if err != nil || len(rows) != 1 {
		t.Fatalf("BeginWith: %v %d", err, len(rows))
	}
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM units").Scan(&n); err != nil || n != 1 {
		t.Fatalf("inside the request transaction: %d units, err %v", n, err)
	}
	c.Rollback(ctx)
	if err := one.Bun.QueryRowContext(ctx, "SELECT count(*) FROM units").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after rollback: %d units visible, err %v", n, err)
	}
}
