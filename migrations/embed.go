// Package migrations holds the SQL migrations of tuijin, applied in file-name
// order by `tuijin migrate` as the owning database role.
package migrations

import "embed"

// FS contains every *.sql migration.
//
//go:embed *.sql
var FS embed.FS
