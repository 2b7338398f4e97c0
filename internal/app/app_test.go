package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/db/dbtest"
)

// setup migrates a fresh database through `tuijin migrate` and loads the
// demo through `tuijin demo`, as the README's first command does.
func setup(t *testing.T) (*dbtest.Env, func(string) (string, bool)) {
	t.Helper()
	ctx := context.Background()
	env, err := dbtest.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	vars := map[string]string{"TUIJIN_DATABASE_URL": env.AppURL, "TUIJIN_MIGRATE_DATABASE_URL": env.OwnerURL, "TUIJIN_LOG_LEVEL": "warn"}
	getenv := config.Map(vars)
	var out bytes.Buffer
	if err := app.Run(ctx, []string{"migrate"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // idempotent
		out.Reset()
		if err := app.Run(ctx, []string{"demo"}, getenv, &out); err != nil {
			t.Fatalf("demo run %d: %v", i+1, err)
		}
	}
	for _, user := range []string{"gs.office", "gs.leader", "ls.unit", "xinyang.city", "admin"} {
		if !strings.Contains(out.String(), user) {
			t.Errorf("demo output lacks %s:\n%s", user, out.String())
		}
	}
	return env, getenv
}

func verify(t *testing.T, getenv func(string) (string, bool)) (string, error) {
	var out bytes.Buffer
	err := app.Run(context.Background(), []string{"audit", "verify"}, getenv, &out)
	return out.String(), err
}

// TestAuditTamper: the owner alters, then deletes, an audit entry;
// `tuijin audit verify` names the first broken link each time.
func TestAuditTamper(t *testing.T) {
	env, getenv := setup(t)
	out, err := verify(t, getenv)
	if err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("fresh chain: %v\n%s", err, out)
	}
	ctx := context.Background()
	tamper := func(sql string) {
		t.Helper()
		tx, err := env.Owner.Bun.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', (SELECT id::text FROM counties WHERE code = '411522'), true)"); err != nil {
			t.Fatal(err)
		}
		res, err := tx.ExecContext(ctx, sql)
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("%s: %v (%d rows)", sql, err, n)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	tamper(`UPDATE audit_log SET after = jsonb_set(after, '{name}', '"篡改"') WHERE seq = 7`)
	out, err = verify(t, getenv)
	if err == nil || !strings.Contains(out, "entry 7: content does not match") {
		t.Fatalf("altered entry not reported: %v\n%s", err, out)
	}
	tamper(`UPDATE audit_log SET hash = audit_row_hash(prev_hash, county_id, seq, at, actor_id, actor_name, request_id, action, entity_type, entity_id, before, after) WHERE seq = 7`)
	out, err = verify(t, getenv)
	if err == nil || !strings.Contains(out, "entry 8: prev_hash does not match") {
		t.Fatalf("re-hashed entry not caught at the next link: %v\n%s", err, out)
	}
	tamper(`DELETE FROM audit_log WHERE seq = 3`)
	out, err = verify(t, getenv)
	if err == nil || !strings.Contains(out, "expected entry 3, found 4") {
		t.Fatalf("deleted entry not reported: %v\n%s", err, out)
	}
}

// TestAppCannotRewriteAudit: the application role can neither update nor
// delete audit entries.
func TestAppCannotRewriteAudit(t *testing.T) {
	env, _ := setup(t)
	ctx := context.Background()
	for _, sql := range []string{"UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"} {
		if _, err := env.App.Bun.ExecContext(ctx, sql); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the application: %v", sql, err)
		}
	}
}
