package uploads

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/backup"
	"github.com/tuijin/tuijin/internal/objects"
)

// Deferred is the objects.Keeper of a transaction that issues documents:
// Put writes the bytes into the object queue in that transaction (so they
// are durable exactly when its rows are) and answers with no version; the
// object store is not called until the transaction has committed, when
// Flush stores them locked and sets the rows' version columns. Verified
// reads a file still queued from the queue, hash checked. Make one per
// transaction.
type Deferred struct {
	Tx    bun.IDB
	Store *objects.Store

	mu     sync.Mutex
	queued int
}

var _ objects.Keeper = (*Deferred)(nil)

// Put queues an object's bytes in the transaction.
func (d *Deferred) Put(ctx context.Context, key string, r io.Reader, contentType string, retainUntil time.Time) (objects.Stored, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return objects.Stored{}, err
	}
	sum := sha256.Sum256(body)
	if _, err := d.Tx.ExecContext(ctx, `INSERT INTO object_queue (key, content_type, body, sha256, retain_until) VALUES (?, ?, ?, ?, ?)`,
		key, contentType, body, sum[:], retainUntil); err != nil {
		return objects.Stored{}, err
	}
	d.mu.Lock()
	d.queued++
	d.mu.Unlock()
	return objects.Stored{Key: key, SHA256: sum[:], Size: int64(len(body)), RetainUntil: retainUntil}, nil
}

// Queued says whether Put queued anything (Flush has work after the commit).
func (d *Deferred) Queued() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queued > 0
}

// Verified reads a file: one still queued (its row has no version yet)
// from the queue, otherwise the version from the store; either way its
// hash must be want.
func (d *Deferred) Verified(ctx context.Context, key, versionID string, want []byte) (*os.File, error) {
	if versionID == "" {
		var rows []struct {
			Body []byte `bun:"body"`
		}
		if err := d.Tx.NewRaw("SELECT body FROM object_queue WHERE key = ?", key).Scan(ctx, &rows); err != nil {
			return nil, err
		}
		if len(rows) == 1 {
			return tempFile(rows[0].Body, want)
		}
		// Stored since the row was read: the key's one version.
	}
	if d.Store == nil {
		return nil, objects.ErrUnavailable
	}
	return d.Store.Verified(ctx, key, versionID, want)
}

func tempFile(body, want []byte) (*os.File, error) {
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], want) {
		return nil, objects.ErrCorrupted
	}
	f, err := os.CreateTemp("", "tuijin-object-*")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(body); err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// queuedTables are the tables whose rows name objects put through Deferred.
var queuedTables = map[string]bool{"bulletin_files": true, "meeting_minutes_files": true, "observation_review_files": true,
	"assessment_notice_files": true, "assessments": true}

// QueueLease is how long a flush holds a queued object while it stores it.
const QueueLease = 2 * time.Minute

// Flush stores the county's queued objects, each locked until its
// retention, in three steps of which only the middle one calls the store,
// with no transaction open: the objects are claimed for QueueLease (a
// concurrent flush skips them), stored, and then their rows' version
// columns — every column of backup.Versions whose key column names the
// object and whose version is still empty — are set and the queue rows
// dropped. A flush that dies after storing leaves the claim to run out; the
// next stores the bytes again and the first version recorded stays. It
// returns how many objects it stored.
func (s Stager) Flush(ctx context.Context, county uuid.UUID) (int, error) {
	if s.Store == nil {
		return 0, objects.ErrUnavailable
	}
	ctx = context.WithoutCancel(ctx)
	type queued struct {
		Key         string    `bun:"key"`
		ContentType string    `bun:"content_type"`
		Body        []byte    `bun:"body"`
		SHA256      []byte    `bun:"sha256"`
		RetainUntil time.Time `bun:"retain_until"`
	}
	var list []queued
	err := s.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw(`UPDATE object_queue SET claimed_until = now() + ?::interval
			WHERE key IN (SELECT key FROM object_queue WHERE claimed_until IS NULL OR claimed_until < now() ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED)
			RETURNING key, content_type, body, sha256, retain_until`, fmt.Sprintf("%d seconds", int(QueueLease.Seconds()))).Scan(ctx, &list)
	})
	if err != nil || len(list) == 0 {
		return 0, err
	}
	var failed []error
	n := 0
	for _, q := range list {
		st, err := s.Store.PutBytes(ctx, q.Key, q.Body, q.ContentType, q.RetainUntil)
		if err == nil && !bytes.Equal(st.SHA256, q.SHA256) {
			err = objects.ErrCorrupted
		}
		if err == nil {
			err = s.DB.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
				for _, vc := range backup.Versions {
					if !queuedTables[vc.Table] {
						continue
					}
					if _, err := tx.ExecContext(ctx, `UPDATE ? SET ? = ? WHERE ? = ? AND ? = ''`, bun.Ident(vc.Table), bun.Ident(vc.VersionColumn), st.VersionID,
						bun.Ident(vc.KeyColumn), st.Key, bun.Ident(vc.VersionColumn)); err != nil {
						return fmt.Errorf("%s.%s: %w", vc.Table, vc.VersionColumn, err)
					}
				}
				_, err := tx.ExecContext(ctx, "DELETE FROM object_queue WHERE key = ?", q.Key)
				return err
			})
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("object %s: %w", q.Key, err))
			continue
		}
		n++
	}
	return n, errors.Join(failed...)
}
