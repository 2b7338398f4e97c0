package backup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// VersionColumn is a column that names an object version, beside the
// column holding the object's key.
type VersionColumn struct{ Table, KeyColumn, VersionColumn string }

// Versions are tuijin's columns naming object versions: a signed letter's
// scan, a photo's original, the files of an issued bulletin, minutes,
// monthly review or assessment notice, and an assessment's snapshot are
// read by version and checked by hash. (A test in migrations holds every
// such column of the schema to this list.)
var Versions = []VersionColumn{
	{Table: "letter_scans", KeyColumn: "object_key", VersionColumn: "version_id"},
	{Table: "photos", KeyColumn: "original_key", VersionColumn: "original_version"},
	{Table: "bulletin_files", KeyColumn: "object_key", VersionColumn: "version_id"},
	{Table: "meeting_minutes_files", KeyColumn: "object_key", VersionColumn: "version_id"},
	{Table: "observation_review_files", KeyColumn: "object_key", VersionColumn: "version_id"},
	{Table: "assessment_notice_files", KeyColumn: "object_key", VersionColumn: "version_id"},
	{Table: "assessments", KeyColumn: "snapshot_key", VersionColumn: "snapshot_version_id"},
}

// Target is where Restore writes.
type Target struct {
	// OwnerURL reaches the empty database as the role that is to own the
	// schema (the same role name as in the backed-up database: policies
	// name it).
	OwnerURL string
	// Bucket is created with object lock if absent; it must hold nothing.
	S3        *minio.Client
	Bucket    string
	PgRestore string // path of pg_restore; "" looks it up on PATH
}

// Restored says what a restore wrote.
type Restored struct {
	Tables, Objects int
	Rows, Bytes     int64
	Took            time.Duration
}

// Restore loads the backup in dir into dst: the objects first (each version
// in its original order, with its retention and legal hold), then the
// database (schema, rows, then indexes, constraints, triggers and
// policies), and rewrites the version columns to the new versions' ids.
// The caller then grants the roles their privileges (`tuijin migrate`) and
// checks the result with Check. It refuses a database with tables or a
// bucket with objects, and a backup whose files do not match its manifest.
func Restore(ctx context.Context, dir string, dst Target) (*Restored, error) {
	start := time.Now()
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if sum, err := fileHash(filepath.Join(dir, m.Database.File)); err != nil || sum != m.Database.SHA256 {
		return nil, ErrCorrupt.Wrap(fmt.Errorf("%s: %v", m.Database.File, err))
	}
	db, err := sql.Open("pgx", dst.OwnerURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
		return nil, fmt.Errorf("restore: connect to the target database: %w", err)
	}
	if tables > 0 {
		return nil, ErrTargetNotEmpty.Wrap(fmt.Errorf("the database has %d tables", tables))
	}
	if err := emptyLockedBucket(ctx, dst); err != nil {
		return nil, err
	}
	out := &Restored{}
	newVersion := map[[2]string]string{}
	for _, o := range m.Objects {
		v, err := putObject(ctx, dir, dst, o)
		if err != nil {
			return nil, err
		}
		newVersion[[2]string{o.Key, o.VersionID}] = v
		out.Objects++
		out.Bytes += o.Size
	}
	if err := restoreDatabase(ctx, dir, m, dst); err != nil {
		return nil, err
	}
	if err := remapVersions(ctx, db, newVersion); err != nil {
		return nil, err
	}
	for _, n := range m.Database.Rows {
		out.Rows += n
	}
	out.Tables = len(m.Database.Rows)
	out.Took = time.Since(start)
	return out, nil
}

func emptyLockedBucket(ctx context.Context, dst Target) error {
	ok, err := dst.S3.BucketExists(ctx, dst.Bucket)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !ok {
		return dst.S3.MakeBucket(ctx, dst.Bucket, minio.MakeBucketOptions{ObjectLocking: true})
	}
	for o := range dst.S3.ListObjects(ctx, dst.Bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true, MaxKeys: 1}) {
		if o.Err != nil {
			return fmt.Errorf("restore: %w", o.Err)
		}
		return ErrTargetNotEmpty.Wrap(fmt.Errorf("bucket %s holds %s", dst.Bucket, o.Key))
	}
	if enabled, _, _, _, err := dst.S3.GetObjectLockConfig(ctx, dst.Bucket); err != nil || enabled != "Enabled" {
		return fmt.Errorf("restore: bucket %s has no object lock: restored documents would not be protected (%v)", dst.Bucket, err)
	}
	return nil
}

// putObject writes one object version, checking its bytes on the way, and
// returns its new version id.
func putObject(ctx context.Context, dir string, dst Target, o Object) (string, error) {
	f, err := os.Open(filepath.Join(dir, "objects", o.SHA256))
	if err != nil {
		return "", ErrCorrupt.Wrap(err)
	}
	defer f.Close()
	h := sha256.New()
	opts := minio.PutObjectOptions{ContentType: o.ContentType, SendContentMd5: true}
	if o.RetainUntil != nil && o.RetainUntil.After(time.Now()) {
		opts.Mode, opts.RetainUntilDate = minio.RetentionMode(o.Mode), *o.RetainUntil
	}
	if o.LegalHold {
		opts.LegalHold = minio.LegalHoldEnabled
	}
	info, err := dst.S3.PutObject(ctx, dst.Bucket, o.Key, io.TeeReader(f, h), o.Size, opts)
	if err != nil {
		return "", fmt.Errorf("restore: put %s: %w", o.Key, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != o.SHA256 {
		return "", ErrCorrupt.Wrap(fmt.Errorf("objects/%s does not hash to its name", o.SHA256))
	}
	return info.VersionID, nil
}

// restoreDatabase runs pg_restore as the owner, without the dump's
// ownership and privileges (`tuijin migrate` grants them again) and without
// the comments on extensions, which only their owner may set.
func restoreDatabase(ctx context.Context, dir string, m *Manifest, dst Target) error {
	pgRestore := dst.PgRestore
	if pgRestore == "" {
		pgRestore = "pg_restore"
	}
	dump := filepath.Join(dir, m.Database.File)
	toc, err := exec.CommandContext(ctx, pgRestore, "--list", dump).Output()
	if err != nil {
		return fmt.Errorf("restore: pg_restore --list: %w", err)
	}
	var keep bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(toc))
	for sc.Scan() {
		if line := sc.Text(); !strings.Contains(line, " COMMENT - EXTENSION ") {
			keep.WriteString(line + "\n")
		}
	}
	list, err := os.CreateTemp("", "tuijin-restore-*.list")
	if err != nil {
		return err
	}
	defer os.Remove(list.Name())
	if _, err := list.Write(keep.Bytes()); err != nil {
		list.Close()
		return err
	}
	list.Close()
	cmd := exec.CommandContext(ctx, pgRestore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
		"--use-list="+list.Name(), "--dbname="+dst.OwnerURL, dump)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("restore: pg_restore: %w: %s", err, strings.TrimSpace(string(msg)))
	}
	return nil
}

// remapVersions points the version columns at the restored versions, county
// by county (Row-Level Security is forced on the owner too), in one
// transaction.
func remapVersions(ctx context.Context, db *sql.DB, newVersion map[[2]string]string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT id::text FROM counties")
	if err != nil {
		return err
	}
	var counties []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		counties = append(counties, id)
	}
	rows.Close()
	var keys, olds, news []string
	for kv, v := range newVersion {
		keys, olds, news = append(keys, kv[0]), append(olds, kv[1]), append(news, v)
	}
	// The issued files' versions may move only in a restore (see
	// migration 0030).
	if _, err := tx.ExecContext(ctx, "SELECT set_config('tuijin.restore', 'on', true)"); err != nil {
		return err
	}
	for _, county := range counties {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', $1, true)", county); err != nil {
			return err
		}
		for _, vc := range Versions {
			q := fmt.Sprintf(`UPDATE %[1]q SET %[3]q = m.new FROM unnest($1::text[], $2::text[], $3::text[]) AS m(key, old, new)
				WHERE %[1]q.%[2]q = m.key AND %[1]q.%[3]q = m.old`, vc.Table, vc.KeyColumn, vc.VersionColumn)
			if _, err := tx.ExecContext(ctx, q, keys, olds, news); err != nil {
				return fmt.Errorf("restore: %s.%s: %w", vc.Table, vc.VersionColumn, err)
			}
		}
	}
	return tx.Commit()
}

// Check compares a restored database and bucket with the manifest: every
// table's row count (read through readerURL, a role that sees every row)
// and every object's bytes, retention and legal hold. It returns the
// differences, none when the restore is faithful.
func Check(ctx context.Context, dir, readerURL string, s3 *minio.Client, bucket string) ([]string, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", readerURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := countRows(ctx, db)
	if err != nil {
		return nil, err
	}
	var diffs []string
	for t, n := range m.Database.Rows {
		if rows[t] != n {
			diffs = append(diffs, fmt.Sprintf("table %s: %d rows, the backup has %d", t, rows[t], n))
		}
	}
	for t := range rows {
		if _, ok := m.Database.Rows[t]; !ok {
			diffs = append(diffs, fmt.Sprintf("table %s is not in the backup", t))
		}
	}
	// The restored versions of each key, oldest first, against the manifest's.
	restored := map[string][]minio.ObjectInfo{}
	for o := range s3.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		restored[o.Key] = append([]minio.ObjectInfo{o}, restored[o.Key]...) // listed newest first
	}
	seen := map[string]int{}
	for _, o := range m.Objects {
		i := seen[o.Key]
		seen[o.Key]++
		if i >= len(restored[o.Key]) {
			diffs = append(diffs, fmt.Sprintf("object %s (version %d) missing", o.Key, i+1))
			continue
		}
		got := restored[o.Key][i]
		sum, err := objectHash(ctx, s3, bucket, o.Key, got.VersionID)
		if err != nil {
			return nil, err
		}
		if sum != o.SHA256 {
			diffs = append(diffs, fmt.Sprintf("object %s: SHA-256 %s, the backup has %s", o.Key, sum, o.SHA256))
		}
		mode, until, err := s3.GetObjectRetention(ctx, bucket, o.Key, got.VersionID)
		if err != nil && !noLock(err) {
			return nil, err
		}
		if o.RetainUntil != nil && o.RetainUntil.After(time.Now()) &&
			(mode == nil || string(*mode) != o.Mode || until == nil || !until.Equal(*o.RetainUntil)) {
			diffs = append(diffs, fmt.Sprintf("object %s: retention %v until %v, the backup has %s until %s", o.Key, mode, until, o.Mode, o.RetainUntil))
		}
	}
	for k, vs := range restored {
		if len(vs) > seen[k] {
			diffs = append(diffs, fmt.Sprintf("object %s: %d versions, the backup has %d", k, len(vs), seen[k]))
		}
	}
	return diffs, nil
}

func objectHash(ctx context.Context, s3 *minio.Client, bucket, key, version string) (string, error) {
	obj, err := s3.GetObject(ctx, bucket, key, minio.GetObjectOptions{VersionID: version})
	if err != nil {
		return "", err
	}
	defer obj.Close()
	h := sha256.New()
	if _, err := io.Copy(h, obj); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
