package worker_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/postgres"
)

// BenchmarkAgendaPreparation drafts, for each of the prefecture's 10
// counties × 300 projects, the agendas of a weekly meeting (21 December
// 2026, on the week of 14 December: every stalled project, escalations,
// overdue approvals), the monthly meeting (31 December: the month's
// figures, shared problems), the bi-monthly one (4 November: each county
// leader's projects, the units' ranking) and the half-year one (25
// December); each round first clears the agendas drafted before.
func BenchmarkAgendaPreparation(b *testing.B) {
	counties := prefecture(b)
	ctx := context.Background()
	days := []time.Time{date("2026-11-04"), date("2026-12-21"), date("2026-12-25"), date("2026-12-31")}
	sittings := map[uuid.UUID][]uuid.UUID{}
	for _, c := range counties {
		err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
			for _, d := range days {
				if _, err := meetingdb.EnsureSittings(ctx, tx, d, d); err != nil {
					return err
				}
			}
			var ids []uuid.UUID
			err := tx.NewRaw("SELECT id FROM meeting_sittings WHERE day IN (?) ORDER BY day", bun.List(days)).Scan(ctx, &ids)
			sittings[c] = ids
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(sittings[c]) != 4 {
			b.Fatalf("county %s: %d sittings", c, len(sittings[c]))
		}
	}
	var items int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, c := range counties {
			err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
				for _, q := range []string{"DELETE FROM meeting_items", "DELETE FROM meeting_attendance", "UPDATE meeting_sittings SET prepared_at = NULL",
					"DELETE FROM notifications WHERE idem_key LIKE 'meeting_prepared:%'"} {
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		items = 0
		for _, c := range counties {
			err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
				for _, id := range sittings[c] {
					r, err := meetingdb.Prepare(ctx, tx, id, time.Now())
					if err != nil {
						return err
					}
					items += r.Items
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(len(counties)), "ms/county")
	b.ReportMetric(float64(items), "items")
}

// BenchmarkActionTracker lists the first page of a county's tracker with
// 5,000 actions (as the console opens it, and its overdue view), and
// reports the 99th percentile.
func BenchmarkActionTracker(b *testing.B) {
	counties := prefecture(b)
	ctx := context.Background()
	c := counties[0]
	err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
		var n int
		if err := tx.NewRaw("SELECT count(*) FROM meeting_actions").Scan(ctx, &n); err != nil || n > 0 { // seeded once
			return err
		}
		if _, err := meetingdb.EnsureSittings(ctx, tx, date("2026-01-05"), date("2026-12-28")); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO meeting_actions (sitting_id, number, text, owner_unit_id, deadline, project_id, status, reported_on, closed_at)
			SELECT s.id, g, '基准议定事项' || s.day || '-' || g, (SELECT id FROM units ORDER BY code OFFSET g % 20 LIMIT 1), s.day + 7 + g % 20,
			  (SELECT id FROM projects ORDER BY code OFFSET g % 300 LIMIT 1),
			  CASE WHEN g % 3 = 0 THEN 'closed' WHEN g % 3 = 1 THEN 'open' ELSE 'reported' END,
			  CASE WHEN g % 3 <> 1 THEN s.day + 5 END, CASE WHEN g % 3 = 0 THEN s.starts_at + interval '6 days' END
			FROM meeting_sittings s CROSS JOIN generate_series(1, 100) g ORDER BY g, s.day LIMIT 5000`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.Owner.Bun.ExecContext(ctx, "ANALYZE meeting_actions"); err != nil {
		b.Fatal(err)
	}
	today := date("2026-12-01")
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, overdue := range []bool{false, true} {
			t0 := time.Now()
			err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
				list, _, err := meetingdb.ListActions(ctx, tx, meetingdb.ActionFilter{Overdue: overdue, Today: today}, postgres.Page{Limit: 50})
				if err == nil && len(list) != 50 {
					err = fmt.Errorf("%d actions on the first page", len(list))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
