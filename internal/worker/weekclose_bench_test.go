package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

// A prefecture of 10 counties × 300 projects with 51 closed weeks of 2026
// and reports for week 52: the benchmark closes week 52 (2026-12-21).
var (
	prefOnce     sync.Once
	prefCounties []uuid.UUID
)

const benchWeek = "2026-12-21"

func prefecture(b *testing.B) []uuid.UUID {
	prefOnce.Do(func() {
		ctx := context.Background()
		start := time.Now()
		for i := 0; i < 10; i++ {
			var c postgres.County
			err := env.App.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
				p, err := postgres.EnsurePrefecture(ctx, tx, "419900", "基准市")
				if err != nil {
					return err
				}
				c, err = postgres.EnsureCounty(ctx, tx, p.ID, fmt.Sprintf("4199%02d", i), fmt.Sprintf("基准县%02d", i), fmt.Sprintf("bench-%02d", i))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			prefCounties = append(prefCounties, c.ID)
			err = env.App.InCounty(ctx, c.ID, func(ctx context.Context, tx bun.IDB) error {
				for _, q := range []string{
					`INSERT INTO units (code, name, kind) SELECT 'U' || g, '基准单位' || g, 'department' FROM generate_series(1, 20) g`,
					`INSERT INTO project_categories (code, name) VALUES ('c1', '工业'), ('c2', '城建')`,
					`INSERT INTO people (name, rank, unit_id) SELECT '人员' || g, CASE WHEN g <= 10 THEN 'county_leader' ELSE 'section_level' END,
					   (SELECT id FROM units ORDER BY code LIMIT 1) FROM generate_series(1, 60) g`,
					`INSERT INTO projects (code, name, category_id, level, construction_type, status, responsible_unit_id, total_investment_yuan, planned_start)
					   SELECT 'B-' || g, '基准项目' || g, (SELECT id FROM project_categories ORDER BY code OFFSET g % 2 LIMIT 1), 'county',
					     (ARRAY['new','continuing','completing'])[1 + g % 3], 'under_construction',
					     (SELECT id FROM units ORDER BY code OFFSET g % 20 LIMIT 1), 100000000 + g * 1000000, DATE '2026-03-01'
					   FROM generate_series(1, 300) g`,
					`INSERT INTO key_lists (year, title) VALUES (2026, '基准清单')`,
					`INSERT INTO key_list_entries (key_list_id, project_id, planned_investment_yuan, added_on)
					   SELECT (SELECT id FROM key_lists), id, 50000000, DATE '2026-01-01' FROM projects`,
					// Four different people per project (one seat per person): a county leader as chief, three of the others.
					`INSERT INTO task_force_assignments (project_id, role, person_id, valid_from)
					   SELECT p.id, r.role, (SELECT id FROM people WHERE rank = CASE WHEN r.role = 'chief' THEN 'county_leader' ELSE 'section_level' END
					     ORDER BY name OFFSET CASE WHEN r.role = 'chief' THEN abs(hashtext(p.code)) % 10 ELSE (abs(hashtext(p.code)) + r.k * 17) % 50 END LIMIT 1),
					     DATE '2025-01-01'
					   FROM projects p CROSS JOIN (VALUES ('chief', 0), ('assistant', 0), ('responsible', 1), ('helper', 2)) r(role, k)`,
					// 52 weeks: no report every 5th week of a project, no progress every 7th.
					`INSERT INTO weekly_reports (project_id, week_start, status, image_progress, investment_yuan, rule_progress, submitted_at)
					   SELECT p.id, w, 'verified', '施工中', 500000, (substr(p.code, 3)::int + (w - DATE '2026-01-05') / 7) % 7 <> 0, w + 3
					   FROM projects p CROSS JOIN (SELECT d::date AS w FROM generate_series(DATE '2026-01-05', DATE '2026-12-21', interval '7 days') d) ws
					   WHERE (substr(p.code, 3)::int + (w - DATE '2026-01-05') / 7) % 5 <> 0`,
				} {
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return fmt.Errorf("%.60s: %w", q, err)
					}
				}
				if _, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
					Values: settings.Defaults(), Reason: "基准"}, time.Now()); err != nil {
					return err
				}
				// The 51 weeks of history, closed.
				_, err := supervisiondb.CloseWeek(ctx, tx, time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 19, 0, 0, 0, 0, time.UTC))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		// Statistics as autovacuum would have them on a live system.
		if _, err := env.Owner.Bun.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
		b.Logf("prefecture seeded in %s", time.Since(start).Round(time.Millisecond))
	})
	return prefCounties
}

// forget removes week 52's close so that it can run again.
func forget(b *testing.B, c uuid.UUID) {
	err := env.App.InCounty(context.Background(), c, func(ctx context.Context, tx bun.IDB) error {
		for _, q := range []string{
			"DELETE FROM job_runs WHERE period = '" + benchWeek + "'",
			"DELETE FROM week_status WHERE week_start = '" + benchWeek + "'",
			"DELETE FROM escalations WHERE raised_week = '" + benchWeek + "'",
			"DELETE FROM notifications WHERE idem_key LIKE '%" + benchWeek + "'",
		} {
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

// streaksByAggregate computes every project's streak at week 52 from the
// reports alone: the weeks after its last week with substantive progress.
func streaksByAggregate(ctx context.Context, tx bun.IDB) (map[uuid.UUID]int, error) {
	var rows []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		Streak    int       `bun:"streak"`
	}
	err := tx.NewRaw(`SELECT e.project_id,
		  ((DATE '`+benchWeek+`' - coalesce(max(r.week_start) FILTER (WHERE r.status <> 'draft' AND coalesce(r.override_progress, r.rule_progress, false)),
		    DATE '2026-01-05' - 7)) / 7)::int AS streak
		FROM key_list_entries e LEFT JOIN weekly_reports r ON r.project_id = e.project_id AND r.week_start <= DATE '`+benchWeek+`'
		GROUP BY e.project_id`).Scan(ctx, &rows)
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.ProjectID] = r.Streak
	}
	return out, err
}

// BenchmarkWeekClose closes week 52 for 10 counties × 300 projects (the
// streaks, escalations, compliance, overdue counts and messages) and, in the
// same run, times a plain SQL aggregate computing the same streaks from the
// reports; it reports both and their ratio (goal ≤ 2) and checks the
// streaks agree.
func BenchmarkWeekClose(b *testing.B) {
	counties := prefecture(b)
	ctx := context.Background()
	week := time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)
	var closeTime, aggTime time.Duration
	for i := 0; i < b.N; i++ {
		for _, c := range counties {
			forget(b, c)
		}
		t0 := time.Now()
		for _, c := range counties {
			err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
				_, err := supervisiondb.CloseWeek(ctx, tx, week, week.AddDate(0, 0, 5))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		closeTime += time.Since(t0)
		t1 := time.Now()
		for _, c := range counties {
			err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
				_, err := streaksByAggregate(ctx, tx)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		aggTime += time.Since(t1)
	}
	// The close and the aggregate agree on every project.
	for _, c := range counties {
		err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
			want, err := streaksByAggregate(ctx, tx)
			if err != nil {
				return err
			}
			var got []struct {
				ProjectID uuid.UUID `bun:"project_id"`
				Streak    int       `bun:"streak"`
			}
			if err := tx.NewRaw("SELECT project_id, streak FROM week_status WHERE week_start = ?", week).Scan(ctx, &got); err != nil {
				return err
			}
			if len(got) != 300 || len(want) != 300 {
				return fmt.Errorf("%d closed, %d aggregated", len(got), len(want))
			}
			for _, g := range got {
				if want[g.ProjectID] != g.Streak {
					return fmt.Errorf("project %s: close %d, aggregate %d", g.ProjectID, g.Streak, want[g.ProjectID])
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(closeTime.Milliseconds())/float64(b.N), "close-ms")
	b.ReportMetric(float64(aggTime.Milliseconds())/float64(b.N), "aggregate-ms")
	b.ReportMetric(float64(closeTime)/float64(aggTime), "ratio")
}

// BenchmarkBulletin300: a 300-project county's week-52 bulletin, from its
// inputs to the HTML page, the .xlsx and the PDF.
func BenchmarkBulletin300(b *testing.B) {
	c := prefecture(b)[0]
	ctx := context.Background()
	week := time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)
	var inputs, html, xlsx, pdf time.Duration
	for i := 0; i < b.N; i++ {
		var in bulletin.Inputs
		t0 := time.Now()
		err := env.App.InCounty(ctx, c, func(ctx context.Context, tx bun.IDB) error {
			var err error
			in, err = bulletindb.BulletinInputs(ctx, tx, "weekly", bulletin.Week(week))
			return err
		})
		if err != nil || len(in.Projects) != 300 {
			b.Fatalf("%v (%d projects)", err, len(in.Projects))
		}
		f := bulletin.Compute(in)
		t1 := time.Now()
		if _, err := bulletin.HTML(f, "第1版"); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := bulletin.XLSX(f, "第1版"); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		if _, err := bulletin.PDF(f, "第1版", benchFonts); err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		inputs, html, xlsx, pdf = inputs+t1.Sub(t0), html+t2.Sub(t1), xlsx+t3.Sub(t2), pdf+t4.Sub(t3)
	}
	n := float64(b.N)
	b.ReportMetric(float64(inputs.Milliseconds())/n, "inputs-ms")
	b.ReportMetric(float64(html.Microseconds())/1000/n, "html-ms")
	b.ReportMetric(float64(xlsx.Milliseconds())/n, "xlsx-ms")
	b.ReportMetric(float64(pdf.Milliseconds())/n, "pdf-ms")
}

// benchFonts are TUIJIN_PDF_FONT's default.
var benchFonts = func() string {
	for _, d := range config.Docs() {
		if d.Name == "TUIJIN_PDF_FONT" {
			return d.Default
		}
	}
	return ""
}()
