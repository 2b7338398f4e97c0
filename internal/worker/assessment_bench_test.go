package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/uploads"
)

// seedUnits brings each benchmark county to 50 units (30 more townships
// and departments, without projects of their own beyond the fixture's).
func seedUnits(b *testing.B) {
	for _, c := range prefecture(b) {
		err := env.App.InCounty(context.Background(), c, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, kind)
				SELECT 'V' || g, '基准乡镇' || g, CASE WHEN g % 2 = 0 THEN 'town' ELSE 'department' END FROM generate_series(1, 30) g
				ON CONFLICT DO NOTHING`)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssessmentGather gathers the 2026 year-end snapshot of one
// county (300 projects, 50 units, 52 closed weeks) and of all ten.
func BenchmarkAssessmentGather(b *testing.B) {
	counties := prefecture(b)
	seedUnits(b)
	p, _ := bulletin.ParsePeriod("year", "2026")
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("counties=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, c := range counties[:n] {
					err := env.App.InCounty(context.Background(), c, func(ctx context.Context, tx bun.IDB) error {
						s, err := assessmentdb.Gather(ctx, tx, p)
						if err == nil && len(s.Units) != 50 {
							err = fmt.Errorf("%d units", len(s.Units))
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkAssessmentCompute computes the result from the frozen snapshot
// (what a verification repeats): one county's, and ten counties'.
func BenchmarkAssessmentCompute(b *testing.B) {
	counties := prefecture(b)
	seedUnits(b)
	p, _ := bulletin.ParsePeriod("year", "2026")
	var snaps []assessment.Snapshot
	for _, c := range counties {
		err := env.App.InCounty(context.Background(), c, func(ctx context.Context, tx bun.IDB) error {
			s, err := assessmentdb.Gather(ctx, tx, p)
			snaps = append(snaps, s)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("counties=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, s := range snaps[:n] {
					if r := assessment.Compute(s); len(r.Units) == 0 {
						b.Fatal("no units")
					}
				}
			}
		})
	}
}

// BenchmarkAssessmentRun is the worker's job as the office's request sets
// it off: the request, then gathering the snapshot in one REPEATABLE READ
// transaction, storing it in MinIO, writing the version and locking the
// object — one county's year-end assessment, and ten counties' one after
// the other. It needs MinIO at TUIJIN_S3_ENDPOINT (127.0.0.1:9000).
func BenchmarkAssessmentRun(b *testing.B) {
	counties := prefecture(b)
	seedUnits(b)
	ctx := context.Background()
	bucket := "tuijin-bench-" + strings.ToLower(uuid.NewString()[:8])
	store, err := objects.Open(objects.Config{Endpoint: "127.0.0.1:9000", AccessKey: "minioadmin", SecretKey: "minioadmin", Bucket: bucket, Governance: true})
	if err == nil {
		err = store.EnsureBucket(ctx)
	}
	if err != nil {
		b.Skip("no MinIO:", err)
	}
	b.Cleanup(func() {
		c := store.Client()
		for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
			_ = c.RemoveObject(ctx, bucket, o.Key, minio.RemoveObjectOptions{VersionID: o.VersionID, GovernanceBypass: true})
		}
		_ = c.RemoveBucket(ctx, bucket)
	})
	var by uuid.UUID
	if err := env.Owner.Bun.NewRaw("SELECT id FROM accounts ORDER BY username LIMIT 1").Scan(ctx, &by); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cmp := assessmentdb.Computer{DB: env.App, Stager: uploads.Stager{DB: env.App, Store: store, Log: log}, RetainYears: 1}
	p, _ := bulletin.ParsePeriod("year", "2026")
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("counties=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, c := range counties[:n] {
					var run assessmentdb.Run
					err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) (err error) {
						run, _, err = assessmentdb.Request(ctx, tx, p, "", by, time.Now())
						return err
					})
					if err == nil {
						err = cmp.RunCompute(ctx, c, run.ID, time.Now(), false)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
