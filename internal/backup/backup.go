// Package backup copies tuijin's data — the PostgreSQL database and the
// object-locked bucket — into a directory, and restores such a directory
// into an empty database and an empty bucket (`tuijin backup`, `tuijin
// restore`).
//
// A backup directory holds:
//
//	manifest.json     what was copied: each table's row count, the dump's
//	                  SHA-256, each object version with its hash and lock
//	database.dump     pg_dump's custom format, taken in the snapshot the
//	                  row counts were read in
//	objects/<sha256>  the bytes of each object version (stored once per content)
//
// The database is read by a backup role that bypasses Row-Level Security
// and may only SELECT (`tuijin migrate` grants it); the bucket through the
// S3 API, so it works on MinIO and any S3 store with object lock. A restore
// recreates every object version with its retention mode and date (a date
// already past is not set again), which gives the versions new ids; the
// database's columns naming versions are rewritten to the new ids before the
// application sees it.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/minio/minio-go/v7"

	"github.com/tuijin/tuijin/internal/errs"
)

// Format is the version of the directory layout.
const Format = 1

// Manifest describes one backup.
type Manifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	Database  Database  `json:"database"`
	Bucket    string    `json:"bucket"`
	Objects   []Object  `json:"objects"`
}

// Database is the dump and the row counts of its snapshot.
type Database struct {
	File   string           `json:"file"`
	SHA256 string           `json:"sha256"`
	Rows   map[string]int64 `json:"rows"`
}

// Object is one object version of the bucket.
type Object struct {
	Key          string     `json:"key"`
	VersionID    string     `json:"version_id"`
	SHA256       string     `json:"sha256"`
	Size         int64      `json:"size"`
	ContentType  string     `json:"content_type"`
	LastModified time.Time  `json:"last_modified"`
	Mode         string     `json:"retention_mode,omitempty"` // COMPLIANCE or GOVERNANCE
	RetainUntil  *time.Time `json:"retain_until,omitempty"`
	LegalHold    bool       `json:"legal_hold,omitempty"`
}

// Source is what Backup reads.
type Source struct {
	// DatabaseURL is the backup role's URL: it must see every row
	// (BYPASSRLS) and SELECT every table and sequence.
	DatabaseURL string
	S3          *minio.Client
	Bucket      string
	PgDump      string // path of pg_dump; "" looks it up on PATH
}

var (
	// ErrDirNotEmpty refuses to write a backup over another one.
	ErrDirNotEmpty = errs.E(errs.Conflict, "backup_dir_not_empty", "备份目录已存在且不为空", "the backup directory exists and is not empty")
	// ErrTargetNotEmpty refuses to restore over data.
	ErrTargetNotEmpty = errs.E(errs.Conflict, "restore_target_not_empty", "恢复目标（数据库或存储桶）不为空", "the restore target (database or bucket) is not empty")
	// ErrCorrupt is a backup whose files do not match its manifest.
	ErrCorrupt = errs.E(errs.Invalid, "backup_corrupt", "备份文件与清单不符", "the backup's files do not match its manifest")
)

// Backup writes a backup of src into dir (created; an existing dir must be
// empty). Any operator may run it; it fails when pg_dump fails, when the
// role cannot read a table, or when the store does not answer.
func Backup(ctx context.Context, dir string, src Source) (*Manifest, error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, ErrDirNotEmpty
	}
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o700); err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, CreatedAt: time.Now().UTC(), Bucket: src.Bucket}
	if err := dumpDatabase(ctx, dir, src, &m.Database); err != nil {
		return nil, err
	}
	// The bucket after the snapshot: every object a row of the dump names
	// was written before that row committed, so it is listed.
	if err := copyBucket(ctx, dir, src, m); err != nil {
		return nil, err
	}
	return m, writeManifest(dir, m)
}

// dumpDatabase counts every table's rows in one snapshot and dumps that
// same snapshot with pg_dump.
func dumpDatabase(ctx context.Context, dir string, src Source, out *Database) error {
	db, err := sql.Open("pgx", src.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("backup: connect as the backup role: %w", err)
	}
	defer tx.Rollback()
	var snapshot string
	if err := tx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return err
	}
	if out.Rows, err = countRows(ctx, tx); err != nil {
		return err
	}
	out.File = "database.dump"
	pgDump := src.PgDump
	if pgDump == "" {
		pgDump = "pg_dump"
	}
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--snapshot="+snapshot, "--file="+filepath.Join(dir, out.File), "--dbname="+src.DatabaseURL)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(string(msg)))
	}
	out.SHA256, err = fileHash(filepath.Join(dir, out.File))
	return err
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// countRows counts the rows of every table of the public schema.
func countRows(ctx context.Context, q querier) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := q.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM public.%q", t)).Scan(&n); err != nil {
			return nil, fmt.Errorf("backup: count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// copyBucket copies every object version (not delete markers) with its
// lock into objects/.
func copyBucket(ctx context.Context, dir string, src Source, m *Manifest) error {
	for info := range src.S3.ListObjects(ctx, src.Bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if info.Err != nil {
			return fmt.Errorf("backup: list %s: %w", src.Bucket, info.Err)
		}
		if info.IsDeleteMarker {
			continue
		}
		o := Object{Key: info.Key, VersionID: info.VersionID, Size: info.Size, LastModified: info.LastModified}
		if err := copyObject(ctx, dir, src, &o); err != nil {
			return err
		}
		m.Objects = append(m.Objects, o)
	}
	return nil
}

func copyObject(ctx context.Context, dir string, src Source, o *Object) error {
	obj, err := src.S3.GetObject(ctx, src.Bucket, o.Key, minio.GetObjectOptions{VersionID: o.VersionID})
	if err != nil {
		return fmt.Errorf("backup: get %s: %w", o.Key, err)
	}
	defer obj.Close()
	st, err := obj.Stat()
	if err != nil {
		return fmt.Errorf("backup: stat %s: %w", o.Key, err)
	}
	o.ContentType = st.ContentType
	tmp, err := os.CreateTemp(filepath.Join(dir, "objects"), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), obj)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: read %s: %w", o.Key, err)
	}
	if n != o.Size {
		return fmt.Errorf("backup: %s: read %d of %d bytes", o.Key, n, o.Size)
	}
	o.SHA256 = hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(tmp.Name(), filepath.Join(dir, "objects", o.SHA256)); err != nil {
		return err
	}
	mode, until, err := src.S3.GetObjectRetention(ctx, src.Bucket, o.Key, o.VersionID)
	switch {
	case err == nil && mode != nil && until != nil:
		o.Mode, o.RetainUntil = string(*mode), until
	case err != nil && !noLock(err):
		return fmt.Errorf("backup: retention of %s: %w", o.Key, err)
	}
	hold, err := src.S3.GetObjectLegalHold(ctx, src.Bucket, o.Key, minio.GetObjectLegalHoldOptions{VersionID: o.VersionID})
	switch {
	case err == nil && hold != nil:
		o.LegalHold = *hold == minio.LegalHoldEnabled
	case err != nil && !noLock(err):
		return fmt.Errorf("backup: legal hold of %s: %w", o.Key, err)
	}
	return nil
}

// noLock reports the store's answer for an object without retention or
// legal hold.
func noLock(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchLegalHold":
		return true
	}
	return false
}

func writeManifest(dir string, m *Manifest) error {
	sort.Slice(m.Objects, func(i, j int) bool {
		a, b := m.Objects[i], m.Objects[j]
		if !a.LastModified.Equal(b.LastModified) {
			return a.LastModified.Before(b.LastModified)
		}
		return a.Key < b.Key
	})
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o600)
}

// ReadManifest reads a backup's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, ErrCorrupt.Wrap(err)
	}
	if m.Format != Format {
		return nil, ErrCorrupt.Wrap(fmt.Errorf("format %d, this tuijin reads %d", m.Format, Format))
	}
	return &m, nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
