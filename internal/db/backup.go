package db

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// GrantReader lets role read every table and sequence of the schema: the
// backup role, which `tuijin backup` connects as. Reading through Row-Level
// Security is the role's own attribute (BYPASSRLS), which only a superuser
// can give; this grant is the owner's part. It reports false, doing
// nothing, when the role does not exist. Migrate's caller runs it as the
// owning role after the migrations; it fails when a grant is refused.
func GrantReader(ctx context.Context, owner *DB, role string) (bool, error) {
	var exists bool
	if err := owner.Bun.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)", role).Scan(&exists); err != nil {
		return false, err
	}
	if !exists {
		return false, nil
	}
	for _, s := range []string{
		"GRANT USAGE ON SCHEMA public TO ?",
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO ?",
		"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ?",
	} {
		if _, err := owner.Bun.ExecContext(ctx, s, bun.Ident(role)); err != nil {
			return false, fmt.Errorf("%s: %w", s, err)
		}
	}
	return true, nil
}
