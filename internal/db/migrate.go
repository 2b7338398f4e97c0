package db

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/uptrace/bun"
)

// Migrate applies the migrations in fsys not yet applied, each in its own
// transaction, then grants appRole exactly what the application needs. It
// must run as the role that owns the schema. Concurrent runs (a Helm hook and
// a second replica) serialise on an advisory lock.
func Migrate(ctx context.Context, owner *DB, fsys fs.FS, appRole string) (applied []string, err error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	conn, err := owner.Bun.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7242001)"); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7242001)")
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, err
	}
	for _, name := range names {
		version := strings.TrimSuffix(name, ".sql")
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
			return applied, err
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return applied, err
		}
		err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version) VALUES (?)", version)
			return err
		})
		if err != nil {
			return applied, err
		}
		applied = append(applied, version)
	}
	return applied, grant(ctx, conn, appRole)
}

// grant gives the application role DML on the tables, except: the audit log
// and the migrations table are append-only / read-only for it, prefectures
// and counties cannot be deleted, and the auth functions are its only way
// to read accounts across counties.
func grant(ctx context.Context, conn bun.Conn, role string) error {
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)", role).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("application role %q does not exist: create it (LOGIN, NOBYPASSRLS) before migrating", role)
	}
	r := bun.Ident(role)
	stmts := []string{
		"GRANT USAGE ON SCHEMA public TO ?",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ?",
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ?",
		"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM ?",
		"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM ?",
		"REVOKE DELETE, TRUNCATE ON prefectures, counties FROM ?",
		// An issued bulletin is frozen: a correction is a new version (issue 7).
		"REVOKE UPDATE, DELETE, TRUNCATE ON bulletins FROM ?",
	}
	// The files and figures of issued bulletins are insert-only too (when
	// the migrations that make them have run).
	// Issued minutes and their files likewise.
	for _, t := range []string{"bulletin_files", "bulletin_figures", "bulletin_flags", "meeting_minutes", "meeting_minutes_files",
		"observation_reviews", "observation_review_files", "observation_results", "observation_scores", "assessment_notices", "assessment_notice_files"} {
		var exists bool
		if err := conn.QueryRowContext(ctx, "SELECT to_regclass(?) IS NOT NULL", t).Scan(&exists); err != nil {
			return err
		}
		if exists {
			stmts = append(stmts, "REVOKE UPDATE, DELETE, TRUNCATE ON "+t+" FROM ?")
			if strings.HasSuffix(t, "_files") {
				// Stored after the commit that wrote the row (uploads.Deferred):
				// the version alone, set once (a trigger holds it to that).
				stmts = append(stmts, "GRANT UPDATE (version_id) ON "+t+" TO ?")
			}
		}
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s, r); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	rows, err := conn.QueryContext(ctx, `SELECT p.oid::regprocedure::text FROM pg_proc p
		JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname LIKE 'auth\_%'`)
	if err != nil {
		return err
	}
	var fns []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return err
		}
		fns = append(fns, f)
	}
	rows.Close()
	for _, f := range fns {
		if _, err := conn.ExecContext(ctx, "REVOKE ALL ON FUNCTION "+f+" FROM PUBLIC"); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, "GRANT EXECUTE ON FUNCTION "+f+" TO ?", r); err != nil {
			return err
		}
	}
	return nil
}
