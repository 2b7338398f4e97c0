package worker_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
	"github.com/tuijin/tuijin/internal/worker"
)

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

type escRow struct {
	Level      int        `bun:"level"`
	PersonID   *uuid.UUID `bun:"person_id"`
	RaisedWeek time.Time  `bun:"raised_week,type:date"`
	Start      time.Time  `bun:"streak_start,type:date"`
	Weeks      int        `bun:"weeks"`
}

func escalationsOf(t testing.TB, c, projectID uuid.UUID) []escRow {
	t.Helper()
	var rows []escRow
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw(`SELECT level, person_id, raised_week, streak_start, weeks FROM escalations WHERE project_id = ?
			ORDER BY streak_start, level, person_id`, projectID).Scan(ctx, &rows)
	})
	return rows
}

// A simulated year of one project under Guangshan's defaults (2 and 3
// weeks), the clock moved to each week's close time: escalations appear
// exactly at weeks 2 and 3 of a streak, name the people in post, reset on
// progress and repeat on a new streak; a chief changed mid-streak is named
// with the one before.
func TestSimulatedYear(t *testing.T) {
	f := projectFixture(t, "guangshan", 0)
	// Weeks without progress (no report, or a report without progress).
	stalled := map[int]bool{1: true, 2: true, 3: true, 5: true, 10: true, 11: true, 19: true, 20: true, 21: true, 22: true, 40: true, 41: true}
	noReport := map[int]bool{1: true, 2: true, 10: true, 22: true}
	// Listed on 1 January, the project is listed in the week of Monday 29
	// December (any day of a week counts): it reports progress that week.
	putReport(t, f.county, f.project.ID, monday(0), true)
	for w := 1; w <= 52; w++ {
		if w == 20 {
			// The chief changes on the Wednesday of week 20, mid-streak.
			in(t, f.county, func(ctx context.Context, tx bun.IDB) error {
				_, err := postgres.Assign(ctx, tx, f.project, project.RoleChief, f.otherLeader, monday(20).AddDate(0, 0, 2), "换人")
				return err
			})
		}
		if !noReport[w] {
			putReport(t, f.county, f.project.ID, monday(w), !stalled[w])
		}
		var got supervisiondb.WeekCloseResult
		in(t, f.county, func(ctx context.Context, tx bun.IDB) error {
			s, err := postgres.SettingsOn(ctx, tx, monday(w))
			if err != nil {
				return err
			}
			now := supervision.CloseAt(monday(w), s.Values)
			res, err := worker.RunJob(ctx, tx, worker.JobPayload{CountyID: f.county, Job: supervision.JobWeekClose}, now)
			got = res.(supervisiondb.WeekCloseResult)
			return err
		})
		if got.Week != monday(w).Format(time.DateOnly) || got.Projects == 0 {
			t.Fatalf("week %d closed %+v", w, got)
		}
	}
	esc := escalationsOf(t, f.county, f.project.ID)
	type want struct {
		level  int
		start  int // week the streak began
		raised int
		people []uuid.UUID
	}
	wants := []want{
		{1, 1, 2, []uuid.UUID{f.responsible}},
		{2, 1, 3, []uuid.UUID{f.chief}},
		{1, 10, 11, []uuid.UUID{f.responsible}},
		{1, 19, 20, []uuid.UUID{f.responsible}},
		{2, 19, 21, []uuid.UUID{f.chief, f.otherLeader}},
		{1, 40, 41, []uuid.UUID{f.responsible}},
	}
	var expected []string
	for _, w := range wants {
		for _, p := range w.people {
			expected = append(expected, key(w.level, monday(w.start), monday(w.raised), &p))
		}
	}
	var actual []string
	for _, e := range esc {
		actual = append(actual, key(e.Level, e.Start, e.RaisedWeek, e.PersonID))
	}
	sort.Strings(expected)
	sort.Strings(actual)
	if strings.Join(expected, "\n") != strings.Join(actual, "\n") {
		t.Fatalf("escalations\n got: %v\nwant: %v", actual, expected)
	}
	// Streaks as stored: week 22 (the 4th) is 4, week 23 back to 0.
	in(t, f.county, func(ctx context.Context, tx bun.IDB) error {
		var s22, s23 int
		if err := tx.NewRaw("SELECT streak FROM week_status WHERE project_id = ? AND week_start = ?", f.project.ID, monday(22)).Scan(ctx, &s22); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT streak FROM week_status WHERE project_id = ? AND week_start = ?", f.project.ID, monday(23)).Scan(ctx, &s23); err != nil {
			return err
		}
		if s22 != 4 || s23 != 0 {
			t.Errorf("streaks: week 22 = %d (want 4), week 23 = %d (want 0)", s22, s23)
		}
		return nil
	})
}

func key(level int, start, raised time.Time, person *uuid.UUID) string {
	p := "-"
	if person != nil {
		p = person.String()
	}
	return strings.Join([]string{string(rune('0' + level)), start.Format(time.DateOnly), raised.Format(time.DateOnly), p}, " ")
}

// snapshot is everything a week close writes for a county, as text.
func snapshot(t testing.TB, c uuid.UUID) string {
	t.Helper()
	var parts []string
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		for _, q := range []string{
			"SELECT string_agg(concat_ws(',', project_id, week_start, report_state, progress, streak), ';' ORDER BY project_id, week_start) FROM week_status",
			"SELECT string_agg(concat_ws(',', project_id, week_start, compliance::text), ';' ORDER BY project_id, week_start) FROM week_status",
			"SELECT string_agg(concat_ws(',', project_id, level, person_id, streak_start, raised_week), ';' ORDER BY project_id, level, streak_start, person_id) FROM escalations",
			"SELECT string_agg(concat_ws(',', account_id, idem_key), ';' ORDER BY account_id, idem_key) FROM notifications",
			"SELECT string_agg(concat_ws(',', job, period, result::text), ';' ORDER BY job, period) FROM job_runs",
		} {
			var s *string
			if err := tx.NewRaw(q).Scan(ctx, &s); err != nil {
				return err
			}
			if s != nil {
				parts = append(parts, *s)
			} else {
				parts = append(parts, "")
			}
		}
		return nil
	})
	return strings.Join(parts, "\n")
}

// The week close run twice, and by two workers at once, gives identical
// results and one set of escalations.
func TestWeekCloseIdempotent(t *testing.T) {
	// A 2027 list of five Guangshan projects, apart from the simulated 2026.
	c := county(t, "guangshan")
	week := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		if _, err := postgres.CreateKeyList(ctx, tx, 2027, "光山县2027年度重点项目"); err != nil {
			return err
		}
		list, _, err := postgres.ListProjects(ctx, tx, postgres.ProjectFilter{Year: 2026, Today: time.Now()}, postgres.Page{Limit: 5})
		if err != nil {
			return err
		}
		// Five new projects (no 2026 history), each with the seats of a demo project.
		for i, p := range list {
			n := p
			n.Code, n.Name = fmt.Sprintf("T2027-%02d", i), "测试项目"+n.Name
			created, err := postgres.CreateProject(ctx, tx, n)
			if err != nil {
				return err
			}
			holders, err := postgres.TaskForceOn(ctx, tx, p.ID, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				return err
			}
			for _, h := range holders {
				if _, err := postgres.Assign(ctx, tx, created, h.Role, h.PersonID, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ""); err != nil {
					return err
				}
			}
			if _, err := postgres.PutEntry(ctx, tx, 2027, created.ID, 1000000, nil, time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), "test"); err != nil {
				return err
			}
		}
		return nil
	})
	run := func() {
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			_, err := worker.RunJob(ctx, tx, worker.JobPayload{CountyID: c, Job: supervision.JobWeekClose, Period: week.Format(time.DateOnly)}, week.AddDate(0, 0, 5))
			return err
		})
	}
	// Two workers at once (the first close also catches up weeks 1..7).
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
	first := snapshot(t, c)
	run()
	if again := snapshot(t, c); again != first {
		t.Fatalf("second close changed the results")
	}
	if !strings.Contains(first, "week_close,"+week.Format(time.DateOnly)) {
		t.Fatalf("job run not recorded: %.300s", first)
	}
	// No reports at all: each listed project's one long streak escalates
	// once per level (to each holder of the seat, or to the empty seat).
	var pairs, streaks int
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw(`SELECT count(DISTINCT (e.project_id, e.level)), count(DISTINCT (e.project_id, e.level, e.streak_start))
			FROM escalations e JOIN key_list_entries k ON k.project_id = e.project_id
			JOIN key_lists l ON l.id = k.key_list_id AND l.year = 2027`).Scan(ctx, &pairs, &streaks)
	})
	if pairs != 10 || streaks != 10 {
		t.Fatalf("five projects without reports: %d project-levels escalated in %d streaks, want 10 and 10", pairs, streaks)
	}
}
