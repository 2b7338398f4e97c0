// Package objects keeps files (signed letters, later site photos) in an S3
// store (P5) — MinIO here — in a bucket with object lock: a stored object
// cannot be deleted or overwritten during its retention. Every object's
// SHA-256 is computed while it streams in, and checked when it is read back.
package objects

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tuijin/tuijin/internal/errs"
)

// Store is one bucket.
type Store struct {
	c      *minio.Client
	bucket string
	mode   minio.RetentionMode
}

// Config says where the bucket is and how objects are locked.
type Config struct {
	Endpoint, AccessKey, SecretKey, Bucket string
	TLS                                    bool
	Governance                             bool // GOVERNANCE mode (tests); production uses COMPLIANCE
}

// Open connects; the bucket is made (with object lock) by EnsureBucket.
func Open(cfg Config) (*Store, error) {
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Secure: cfg.TLS})
	if err != nil {
		return nil, err
	}
	mode := minio.Compliance
	if cfg.Governance {
		mode = minio.Governance
	}
	return &Store{c: c, bucket: cfg.Bucket, mode: mode}, nil
}

// Client exposes the S3 client (tests use it to attack the bucket directly).
func (s *Store) Client() *minio.Client { return s.c }

// Bucket is the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket with object lock (and so versioning) if
// it does not exist, and refuses a bucket without object lock.
func (s *Store) EnsureBucket(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	if !ok {
		if err := s.c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
			return fmt.Errorf("s3: make bucket %s: %w", s.bucket, err)
		}
	}
	enabled, _, _, _, err := s.c.GetObjectLockConfig(ctx, s.bucket)
	if err != nil || enabled != "Enabled" {
		return fmt.Errorf("s3: bucket %s has no object lock (%v): signed documents would not be protected", s.bucket, err)
	}
	return nil
}

// ErrUnavailable is an S3 store that does not answer.
var ErrUnavailable = &errs.Error{Kind: errs.Unavailable, Code: "storage_unavailable", ZH: "文件存储暂不可用，请稍后再试",
	EN: "file storage is unavailable; try again shortly", RetryAfter: 5 * time.Second}

// ErrCorrupted is an object whose content no longer matches its recorded hash.
var ErrCorrupted = errs.E(errs.Internal, "file_corrupted", "文件校验失败：存储的文件与登记的哈希值不一致，已拒绝提供，请联系管理员",
	"integrity check failed: the stored file does not match its recorded hash; it was not served")

// Keeper is what issued documents (bulletins, minutes) need of the store:
// files written locked until a date, read back only while their hash still
// matches (ErrCorrupted otherwise). *Store is one.
type Keeper interface {
	Put(ctx context.Context, key string, r io.Reader, contentType string, retainUntil time.Time) (Stored, error)
	Verified(ctx context.Context, key, versionID string, want []byte) (*os.File, error)
}

// Ref names one stored version of an object and the SHA-256 its bytes must
// have: what a row keeps to read a file back.
type Ref struct {
	Key, VersionID string
	SHA256         []byte
}

// Stored describes an object just written.
type Stored struct {
	Key, VersionID string
	SHA256         []byte
	Size           int64
	RetainUntil    time.Time
}

// Put streams r into key, locked until retainUntil, hashing as it goes
// (the content is never held whole in memory).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, contentType string, retainUntil time.Time) (Stored, error) {
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(r, h)}
	info, err := s.c.PutObject(ctx, s.bucket, key, counted, -1, minio.PutObjectOptions{ContentType: contentType,
		Mode: s.mode, RetainUntilDate: retainUntil, SendContentMd5: true, PartSize: 16 << 20})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Stored{}, err // the client sent too much: not the store's fault
		}
		return Stored{}, ErrUnavailable.Wrap(err)
	}
	return Stored{Key: key, VersionID: info.VersionID, SHA256: h.Sum(nil), Size: counted.n, RetainUntil: retainUntil}, nil
}

// Spool is an upload's body kept in a temporary file, with its size and
// SHA-256 computed as it was written: the body is read once, at the
// client's pace, without a database transaction open and without holding
// it in memory. Close removes the file.
type Spool struct {
	*os.File
	Size   int64
	SHA256 []byte
}

// NewSpool copies r to a new temporary file. A read error (the client gone,
// the body over its limit) is returned as it is, for the caller to map.
func NewSpool(r io.Reader) (*Spool, error) {
	f, err := os.CreateTemp("", "tuijin-upload-*")
	if err != nil {
		return nil, err
	}
	sp := &Spool{File: f}
	h := sha256.New()
	if sp.Size, err = io.Copy(io.MultiWriter(f, h), r); err != nil {
		sp.Close()
		return nil, err
	}
	sp.SHA256 = h.Sum(nil)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

// Close closes and removes the file.
func (sp *Spool) Close() error {
	err := sp.File.Close()
	os.Remove(sp.File.Name())
	return err
}

// singlePut is the largest object sent in one PUT. Up to it, the client
// computes the Content-MD5 by reading the file a first time (no buffer);
// beyond it, parts are read from the file where they lie.
const singlePut = 64 << 20

// PutSpool stores the spooled bytes at key without retention: a staged
// object, which the caller locks with Lock once the row that refers to it
// has committed (or removes, when it never does). The file is read from its
// start; nothing is held in memory.
func (s *Store) PutSpool(ctx context.Context, key string, sp *Spool, contentType string) (Stored, error) {
	info, err := s.c.PutObject(ctx, s.bucket, key, io.NewSectionReader(sp.File, 0, sp.Size), sp.Size,
		minio.PutObjectOptions{ContentType: contentType, SendContentMd5: sp.Size <= singlePut, PartSize: singlePut})
	if err != nil {
		return Stored{}, ErrUnavailable.Wrap(err)
	}
	return Stored{Key: key, VersionID: info.VersionID, SHA256: sp.SHA256, Size: sp.Size}, nil
}

// PutBytes stores data at key, locked until retainUntil (zero: unlocked).
// For small files made by tuijin itself (a photo's display copy).
func (s *Store) PutBytes(ctx context.Context, key string, data []byte, contentType string, retainUntil time.Time) (Stored, error) {
	opts := minio.PutObjectOptions{ContentType: contentType, SendContentMd5: true, PartSize: singlePut}
	if !retainUntil.IsZero() {
		opts.Mode, opts.RetainUntilDate = s.mode, retainUntil
	}
	info, err := s.c.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return Stored{}, ErrUnavailable.Wrap(err)
	}
	sum := sha256.Sum256(data)
	return Stored{Key: key, VersionID: info.VersionID, SHA256: sum[:], Size: int64(len(data)), RetainUntil: retainUntil}, nil
}

// Lock sets the bucket's lock mode on one version of key until retainUntil.
// A version already locked until then or later is left as it is, so Lock
// can be repeated (a request and the sweeper may both lock a version).
func (s *Store) Lock(ctx context.Context, key, versionID string, retainUntil time.Time) error {
	// Whole seconds, rounded up, as retention is kept (and backed up).
	if t := retainUntil.Truncate(time.Second); !t.Equal(retainUntil) {
		retainUntil = t.Add(time.Second)
	}
	if until, ok, err := s.LockedUntil(ctx, key, versionID); err != nil {
		return err
	} else if ok && !until.Before(retainUntil) {
		return nil
	}
	mode := s.mode
	if err := s.c.PutObjectRetention(ctx, s.bucket, key, minio.PutObjectRetentionOptions{Mode: &mode, RetainUntilDate: &retainUntil, VersionID: versionID}); err != nil {
		return ErrUnavailable.Wrap(err)
	}
	return nil
}

// LockedUntil tells whether a version of key is locked, and until when.
func (s *Store) LockedUntil(ctx context.Context, key, versionID string) (time.Time, bool, error) {
	_, until, err := s.c.GetObjectRetention(ctx, s.bucket, key, versionID)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchObjectLockConfiguration" {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, ErrUnavailable.Wrap(err)
	}
	if until == nil {
		return time.Time{}, false, nil
	}
	return *until, true, nil
}

// RemovePrefix removes every version of every object under prefix (a
// staged upload that no row refers to) and reports how many it removed. A
// locked version is not removed: that is an error.
func (s *Store) RemovePrefix(ctx context.Context, prefix string) (int, error) {
	n := 0
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			return n, ErrUnavailable.Wrap(o.Err)
		}
		if err := s.c.RemoveObject(ctx, s.bucket, o.Key, minio.RemoveObjectOptions{VersionID: o.VersionID}); err != nil {
			return n, fmt.Errorf("s3: remove %s (version %s): %w", o.Key, o.VersionID, err)
		}
		n++
	}
	return n, nil
}

// Verified reads one version of key into a temporary file, checks its
// SHA-256 against want and returns the file positioned at its start; the
// caller closes and removes it. A mismatch is ErrCorrupted.
func (s *Store) Verified(ctx context.Context, key, versionID string, want []byte) (*os.File, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, ErrUnavailable.Wrap(err)
	}
	defer obj.Close()
	f, err := os.CreateTemp("", "tuijin-object-*")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), obj); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, ErrUnavailable.Wrap(err)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		f.Close()
		os.Remove(f.Name())
		return nil, ErrCorrupted
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Sniff reads the first bytes of r and returns the content type they show
// (PDF, JPEG or PNG) and a reader that still yields every byte.
func Sniff(r io.Reader) (string, io.Reader, error) {
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(8)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", nil, err
	}
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf", br, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", br, nil
	case bytes.HasPrefix(head, []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}):
		return "image/png", br, nil
	}
	return "", br, nil
}

// Open streams the current version of key (derived files, which are made
// from a verified original and carry no hash of their own).
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, ErrUnavailable.Wrap(err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, ErrUnavailable.Wrap(err)
	}
	return obj, nil
}

// PutFiles writes an issued document's renderings (format → bytes) locked
// until retain, each under prefix/format with its content type, in the
// formats' order. It returns what was stored, by format.
func PutFiles(ctx context.Context, k Keeper, prefix string, formats []string, files map[string][]byte, types map[string]string, retain time.Time) (map[string]Stored, error) {
	out := make(map[string]Stored, len(formats))
	for _, f := range formats {
		st, err := k.Put(ctx, prefix+"/"+f, bytes.NewReader(files[f]), types[f], retain)
		if err != nil {
			return out, err
		}
		out[f] = st
	}
	return out, nil
}
