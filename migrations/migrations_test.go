package migrations_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/backup"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/migrations"
)

// before is the migrations older than version, as a database had them.
func before(t *testing.T, version string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n < version {
			b, err := fs.ReadFile(migrations.FS, n)
			if err != nil {
				t.Fatal(err)
			}
			out[n] = &fstest.MapFile{Data: b}
		}
	}
	return out
}

// twoCounties creates a prefecture (code prefix+"0") with two counties
// (codes prefix+"1", prefix+"2"; slugs slug+"a", slug+"b").
func twoCounties(t *testing.T, env *dbtest.Env, prefix, slug string) [2]uuid.UUID {
	t.Helper()
	var counties [2]uuid.UUID
	if err := env.App.InPlatform(context.Background(), func(ctx context.Context, tx bun.IDB) error {
		var pref uuid.UUID
		if err := tx.NewRaw("INSERT INTO prefectures (code, name) VALUES (?, '测试市') RETURNING id", prefix+"0").Scan(ctx, &pref); err != nil {
			return err
		}
		for i := range counties {
			if err := tx.NewRaw("INSERT INTO counties (prefecture_id, code, name, slug) VALUES (?, ?, ?, ?) RETURNING id",
				pref, prefix+string(rune('1'+i)), "测试县"+string(rune('一'+i)), slug+string(rune('a'+i))).Scan(ctx, &counties[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return counties
}

// TestRulesMigrationBackfills: 0010 on a database in use fills, in every
// county (Row-Level Security shows the migration one county at a time),
// each unit's main head from the responsible seats, and each closed week's
// "stalled" under the threshold then in force; a project's one entry stays
// its one period.
func TestRulesMigrationBackfills(t *testing.T) {
	ctx := context.Background()
	env, err := dbtest.NewWith(ctx, before(t, "0010"))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	counties := twoCounties(t, env, "41980", "mig-")
	// In each county: a unit whose projects share one responsible person
	// (their head), a unit with two (no head can be told), closed weeks
	// with streaks 1, 2 and 3 under a threshold of 2 (county 0) or 3 (county 1).
	for i, c := range counties {
		threshold := 2 + i
		if err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
			for _, q := range []string{
				`INSERT INTO settings_versions (effective_from, "values") VALUES ('2020-01-01', jsonb_build_object('stall_unit_head_weeks', ` + string(rune('0'+threshold)) + `))`,
				`INSERT INTO units (code, name, kind) VALUES ('U1', '一镇', 'town'), ('U2', '二镇', 'town')`,
				`INSERT INTO people (name, rank, unit_id) SELECT n, 'section_level', (SELECT id FROM units WHERE code = u)
				   FROM (VALUES ('甲', 'U1'), ('乙', 'U2'), ('丙', 'U2')) v(n, u)`,
				`INSERT INTO project_categories (code, name) VALUES ('c', '城建')`,
				`INSERT INTO projects (code, name, category_id, level, construction_type, responsible_unit_id, total_investment_yuan)
				   SELECT 'P' || g, '项目' || g, (SELECT id FROM project_categories), 'county', 'new',
				     (SELECT id FROM units WHERE code = CASE WHEN g <= 2 THEN 'U1' ELSE 'U2' END), 1 FROM generate_series(1, 4) g`,
				`INSERT INTO task_force_assignments (project_id, role, person_id, valid_from)
				   SELECT p.id, 'responsible', (SELECT id FROM people WHERE name = CASE p.code WHEN 'P3' THEN '乙' WHEN 'P4' THEN '丙' ELSE '甲' END), '2020-01-01' FROM projects p`,
				`INSERT INTO key_lists (year, title) VALUES (2026, '清单')`,
				`INSERT INTO key_list_entries (key_list_id, project_id, planned_investment_yuan, added_on)
				   SELECT (SELECT id FROM key_lists), id, 1, '2026-01-01' FROM projects`,
				`INSERT INTO week_status (project_id, week_start, report_state, progress, streak)
				   SELECT (SELECT id FROM projects WHERE code = 'P1'), w, 'missing', false, s
				   FROM (VALUES ('2026-03-02'::date, 1), ('2026-03-09'::date, 2), ('2026-03-16'::date, 3)) v(w, s)`,
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					t.Fatalf("%.80s: %v", q, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx, env.Owner, migrations.FS, dbtest.AppRole); err != nil {
		t.Fatal(err)
	}
	for i, c := range counties {
		if err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
			var heads []string
			if err := tx.NewRaw(`SELECT u.code || ':' || coalesce(p.name, '-') FROM units u LEFT JOIN people p ON p.id = u.head_person_id ORDER BY u.code`).Scan(ctx, &heads); err != nil {
				return err
			}
			if strings.Join(heads, " ") != "U1:甲 U2:-" {
				t.Errorf("county %d heads: %v", i, heads)
			}
			var stalled []bool
			if err := tx.NewRaw("SELECT stalled FROM week_status ORDER BY week_start").Scan(ctx, &stalled); err != nil {
				return err
			}
			want := []bool{false, i == 0, true} // threshold 2: streaks 2 and 3; threshold 3: streak 3
			for k := range want {
				if k >= len(stalled) || stalled[k] != want[k] {
					t.Errorf("county %d stalled %v, want %v", i, stalled, want)
					break
				}
			}
			var listed int
			if err := tx.NewRaw("SELECT count(*) FROM listed_projects('2026-03-02', '2026-03-08')").Scan(ctx, &listed); err != nil {
				return err
			}
			if listed != 4 {
				t.Errorf("county %d: %d projects listed", i, listed)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDutiesMigrationReportsDoubleSeats: 0013 leaves a person who already
// holds two seats of a project as they are, tells every office account of
// that county (and no other) with one message, and from then on refuses a
// second seat for the same person in the database itself.
func TestDutiesMigrationReportsDoubleSeats(t *testing.T) {
	ctx := context.Background()
	env, err := dbtest.NewWith(ctx, before(t, "0013"))
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	counties := twoCounties(t, env, "41970", "dut-")
	var offices [2]uuid.UUID
	for i, c := range counties {
		if err := env.Owner.Bun.NewRaw(`INSERT INTO accounts (scope, county_id, username, display_name, password_hash)
			VALUES ('county', ?, ?, '办公室', 'x') RETURNING id`, c, "dut.office"+string(rune('a'+i))).Scan(ctx, &offices[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Owner.Bun.ExecContext(ctx, "INSERT INTO casbin_rules (ptype, v0, v1, v2) VALUES ('g', ?, 'office', ?)",
			offices[i].String(), "*/"+c.String()); err != nil {
			t.Fatal(err)
		}
		if err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
			qs := []string{
				`INSERT INTO units (code, name, kind) VALUES ('U1', '一镇', 'town')`,
				`INSERT INTO people (name, rank, unit_id) SELECT n, 'section_level', (SELECT id FROM units) FROM (VALUES ('甲'), ('乙')) v(n)`,
				`INSERT INTO project_categories (code, name) VALUES ('c', '城建')`,
				`INSERT INTO projects (code, name, category_id, level, construction_type, responsible_unit_id, total_investment_yuan)
				   SELECT 'P' || g, '项目' || g, (SELECT id FROM project_categories), 'county', 'new', (SELECT id FROM units), 1 FROM generate_series(1, 2) g`,
			}
			if i == 0 { // 甲 is P1's responsible person and its helper
				qs = append(qs, `INSERT INTO task_force_assignments (project_id, role, person_id, valid_from)
				   SELECT (SELECT id FROM projects WHERE code = 'P1'), r, (SELECT id FROM people WHERE name = '甲'), '2026-01-01'
				   FROM (VALUES ('responsible'), ('helper')) v(r)`)
			}
			for _, q := range qs {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					t.Fatalf("%.80s: %v", q, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx, env.Owner, migrations.FS, dbtest.AppRole); err != nil {
		t.Fatal(err)
	}
	for i, c := range counties {
		if err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
			var got []struct {
				AccountID uuid.UUID `bun:"account_id"`
				Kind      string    `bun:"kind"`
				Body      string    `bun:"body"`
			}
			if err := tx.NewRaw("SELECT account_id, kind, body FROM notifications").Scan(ctx, &got); err != nil {
				return err
			}
			switch {
			case i == 0 && (len(got) != 1 || got[0].AccountID != offices[0] || got[0].Kind != "double_seat" ||
				!strings.Contains(got[0].Body, "甲同时担任") || !strings.Contains(got[0].Body, "项目1")):
				t.Errorf("county with a double seat: messages %+v", got)
			case i == 1 && len(got) != 0:
				t.Errorf("county without one: messages %+v", got)
			}
			var seats int
			if err := tx.NewRaw("SELECT count(*) FROM task_force_assignments").Scan(ctx, &seats); err != nil {
				return err
			}
			if seats != 2*(1-i) {
				t.Errorf("county %d: %d seats after the migration", i, seats)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// A seat held twice can be ended (the office fixes it by giving one of
	// the seats to someone else); lengthening it is checked again.
	if err := env.App.InCounty(ctx, counties[0], func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE task_force_assignments SET valid_to = '2026-06-01' WHERE role = 'helper'")
		return err
	}); err != nil {
		t.Fatalf("ending a seat held twice: %v", err)
	}
	err = env.App.InCounty(ctx, counties[0], func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE task_force_assignments SET valid_to = NULL WHERE role = 'helper'")
		return err
	})
	if db.ViolatedConstraint(err) != "task_force_one_seat_per_person" {
		t.Fatalf("lengthening it again: %v", err)
	}
	// From now on the database refuses a second seat.
	err = env.App.InCounty(ctx, counties[1], func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO task_force_assignments (project_id, role, person_id, valid_from)
			SELECT (SELECT id FROM projects WHERE code = 'P2'), r, (SELECT id FROM people WHERE name = '乙'), '2026-01-01'
			FROM (VALUES ('chief'), ('assistant')) v(r)`)
		return err
	})
	if db.ViolatedConstraint(err) != "task_force_one_seat_per_person" {
		t.Fatalf("a second seat: %v", err)
	}
}

// TestRestoreKnowsEveryVersionColumn: every column that names an object
// version (beside the column with the object's key) is in backup.Versions,
// so that a restore points it at the restored version; and an approved
// assessment lets a restore move that pointer and nothing else.
func TestRestoreKnowsEveryVersionColumn(t *testing.T) {
	ctx := context.Background()
	env, err := dbtest.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var cols []struct {
		Table  string `bun:"table_name"`
		Column string `bun:"column_name"`
	}
	if err := env.Owner.Bun.NewRaw(`SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = 'public' AND (column_name LIKE '%version_id' OR column_name = 'original_version') ORDER BY 1, 2`).Scan(ctx, &cols); err != nil {
		t.Fatal(err)
	}
	known := map[[2]string]bool{}
	for _, v := range backup.Versions {
		known[[2]string{v.Table, v.VersionColumn}] = true
	}
	if len(cols) == 0 {
		t.Fatal("no version columns found")
	}
	for _, c := range cols {
		if !known[[2]string{c.Table, c.Column}] {
			t.Errorf("%s.%s names object versions but a restore would not remap it (internal/backup.Versions)", c.Table, c.Column)
		}
	}
	// The trigger: the pointer may move, nothing else.
	county := twoCounties(t, env, "41960", "rv-")[0]
	err = env.Owner.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		var acc uuid.UUID
		if err := tx.NewRaw(`INSERT INTO accounts (scope, county_id, username, display_name, password_hash) VALUES ('county', app_county(), 'vc.office', '办公室', 'x') RETURNING id`).Scan(ctx, &acc); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO assessments (period, period_start, period_end, version, status, snapshot, snapshot_sha256, snapshot_key,
			snapshot_version_id, result, result_sha256, computed_by, computed_at, approved_by, approved_at)
			VALUES ('year', '2026-01-01', '2026-12-31', 1, 'approved', '{}', decode(repeat('00', 32), 'hex'), 'k', 'v1', '{}', decode(repeat('00', 32), 'hex'), ?, now(), ?, now())`, acc, acc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	update := func(set string) error {
		return env.Owner.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.ExecContext(ctx, "UPDATE assessments SET "+set)
			return err
		})
	}
	if err := update("snapshot_version_id = 'v2'"); err != nil {
		t.Fatalf("a restore's remap of an approved assessment: %v", err)
	}
	if err := update("result = '{\"x\":1}'"); err == nil || !strings.Contains(err.Error(), "is final") {
		t.Fatalf("an approved result changed: %v", err)
	}
	if err := update("snapshot_version_id = 'v3', reason = 'x'"); err == nil {
		t.Fatal("the pointer moved with something else")
	}
	// The application moves a pointer only from empty, whatever it sets.
	err = env.App.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "SELECT set_config('tuijin.restore', 'on', true); UPDATE assessments SET snapshot_version_id = 'v9'")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "is final") {
		t.Fatalf("the application moved an approved assessment's pointer: %v", err)
	}
}
