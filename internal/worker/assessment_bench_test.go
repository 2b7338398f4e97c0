package worker_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/bulletin"
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
