package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/tuijin/tuijin/internal/backup"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/objects"
)

func bucketClient(cfg config.Config) (*objects.Store, error) {
	s, err := objects.Open(objects.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Bucket: cfg.S3Bucket, TLS: cfg.S3UseTLS})
	if err != nil {
		return nil, fmt.Errorf("TUIJIN_S3_*: %w", err)
	}
	return s, nil
}

// Backup writes a backup of the database (read as TUIJIN_BACKUP_DATABASE_URL
// with pg_dump) and of the bucket into dir, which must be new or empty.
func Backup(ctx context.Context, cfg config.Config, dir string, out io.Writer) error {
	store, err := bucketClient(cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := backup.Backup(ctx, dir, backup.Source{DatabaseURL: cfg.BackupURL, S3: store.Client(), Bucket: store.Bucket()})
	if err != nil {
		return err
	}
	var rows, bytes int64
	for _, n := range m.Database.Rows {
		rows += n
	}
	for _, o := range m.Objects {
		bytes += o.Size
	}
	fmt.Fprintf(out, "backup written to %s in %s: %d tables, %d rows, %d object versions (%d bytes)\n",
		dir, time.Since(start).Round(time.Millisecond), len(m.Database.Rows), rows, len(m.Objects), bytes)
	return nil
}

// Restore loads the backup in dir into the empty database of
// TUIJIN_MIGRATE_DATABASE_URL and the empty (or absent) bucket
// TUIJIN_S3_BUCKET, grants the roles their privileges as migrate does, and
// checks every table's row count and every object's hash against the backup
// and the audit chains; any difference fails it.
func Restore(ctx context.Context, cfg config.Config, log *slog.Logger, dir string, out io.Writer) error {
	store, err := bucketClient(cfg)
	if err != nil {
		return err
	}
	r, err := backup.Restore(ctx, dir, backup.Target{OwnerURL: cfg.MigrateURL, S3: store.Client(), Bucket: store.Bucket()})
	if err != nil {
		return err
	}
	if err := Migrate(ctx, cfg, log); err != nil {
		return fmt.Errorf("restore: grants: %w", err)
	}
	diffs, err := backup.Check(ctx, dir, cfg.BackupURL, store.Client(), store.Bucket())
	if err != nil {
		return fmt.Errorf("restore: check: %w", err)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("restore: the restored data differs from the backup:\n  %s", strings.Join(diffs, "\n  "))
	}
	if err := AuditVerify(ctx, cfg, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "restored %s in %s: %d tables, %d rows, %d object versions (%d bytes); counts and hashes match\n",
		dir, r.Took.Round(time.Millisecond), r.Tables, r.Rows, r.Objects, r.Bytes)
	return nil
}
