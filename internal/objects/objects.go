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
