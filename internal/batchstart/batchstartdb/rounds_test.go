package batchstartdb_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/batchstart"
	"github.com/tuijin/tuijin/internal/batchstart/batchstartdb"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/demo"
	"github.com/tuijin/tuijin/internal/settings"
)

var env *dbtest.Env

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	if env, err = dbtest.New(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := demo.Load(ctx, env.App, env.Owner, auth.NewHasher(0), "Tuijin@2026"); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		env.Close()
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestWindows(t *testing.T) {
	two := settings.Cadence{Every: 2, Unit: "month"}
	for at, want := range map[string]string{"2026-01-01": "2026年1-2月", "2026-04-30": "2026年3-4月", "2026-12-31": "2026年11-12月"} {
		if got := batchstart.WindowOf(two, day(at)).Label(); got != want {
			t.Errorf("%s: %s, want %s", at, got, want)
		}
	}
	if w := batchstart.WindowOf(settings.Cadence{Every: 5, Unit: "month"}, day("2026-12-01")); !w.To.Equal(day("2026-12-31")) {
		t.Errorf("a window of five months from November ends %v", w.To)
	}
	if w := batchstart.WindowOf(settings.Cadence{Every: 2, Unit: "week"}, day("2026-01-14")); !w.From.Equal(day("2026-01-12")) || !w.To.Equal(day("2026-01-25")) {
		t.Errorf("two-week window %v–%v", w.From, w.To)
	}
}

// TestRound: Guangshan's March–April 2026 round on 30 June lists the
// projects planned to start in the window (the node plan's date first),
// early, on time, late, undated and not started as counted here; the
// ceremony records the round's projects only; a reason is kept for a
// project not started, refused for one started.
func TestRound(t *testing.T) {
	var gs uuid.UUID
	if err := env.Owner.Bun.NewRaw("SELECT id FROM counties WHERE slug = 'guangshan'").Scan(context.Background(), &gs); err != nil {
		t.Fatal(err)
	}
	var office uuid.UUID
	if err := env.Owner.Bun.NewRaw("SELECT id FROM accounts WHERE username = 'gs.office'").Scan(context.Background(), &office); err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	w := batchstart.WindowOf(settings.Cadence{Every: 2, Unit: "month"}, day("2026-03-15"))
	ids := map[string]uuid.UUID{}
	err := env.App.InCounty(ctx, gs, func(ctx context.Context, tx bun.IDB) error {
		var codes []string
		if err := tx.NewRaw("SELECT p.code FROM listed_projects('2026-01-01', '2026-12-31') l JOIN projects p ON p.id = l.project_id ORDER BY p.code LIMIT 5").Scan(ctx, &codes); err != nil {
			return err
		}
		if len(codes) < 5 {
			return fmt.Errorf("%d listed projects", len(codes))
		}
		for _, q := range []string{
			"UPDATE projects SET planned_start = '2026-01-15', status = 'preparing'",
			"DELETE FROM project_nodes WHERE node IN ('main_start','construction','acceptance','in_use')",
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		type setup struct{ planned, nodePlanned, actual, status string }
		for i, s := range []setup{
			{"2026-03-10", "", "2026-02-20", "preparing"},           // A: early
			{"2026-01-20", "2026-03-20", "2026-04-05", "preparing"}, // B: the node plan moves it into the window; on time
			{"2026-04-15", "", "2026-05-10", "preparing"},           // C: late
			{"2026-04-20", "", "", "preparing"},                     // D: not started
			{"2026-04-28", "", "2026-07-02", "preparing"},           // E: starts after the day counted: not started
		} {
			k := string(rune('A' + i))
			var id uuid.UUID
			if err := tx.NewRaw("UPDATE projects SET planned_start = ?, status = ? WHERE code = ? RETURNING id", s.planned, s.status, codes[i]).Scan(ctx, &id); err != nil {
				return err
			}
			ids[k] = id
			if s.nodePlanned != "" || s.actual != "" {
				var planned, actual any
				if s.nodePlanned != "" {
					planned = s.nodePlanned
				}
				if s.actual != "" {
					actual = s.actual
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO project_nodes (project_id, node, planned_date, actual_date) VALUES (?, 'main_start', ?, ?)", id, planned, actual); err != nil {
					return err
				}
			}
		}
		r, err := batchstartdb.GetRound(ctx, tx, w, day("2026-06-30"))
		if err != nil {
			return err
		}
		f := r.Figures
		if f.Label != "2026年3-4月" || f.Planned != 5 || f.Started != 3 || f.Early != 1 || f.OnTime != 1 || f.Late != 1 || f.Undated != 0 || f.NotStarted != 2 || f.Rate != "60.0" {
			return fmt.Errorf("round %+v", f)
		}
		if f.Projects[0].Timing != batchstart.NotStarted || f.Projects[1].Timing != batchstart.NotStarted {
			return fmt.Errorf("not started first: %+v", f.Projects[:2])
		}
		// On 31 July E has started too, late.
		r2, err := batchstartdb.GetRound(ctx, tx, w, day("2026-07-31"))
		if err != nil {
			return err
		}
		if r2.Figures.Late != 2 || r2.Figures.NotStarted != 1 {
			return fmt.Errorf("on 31 July %+v", r2.Figures)
		}
		// The ceremony: the round's projects only; then corrected with its version.
		if _, err := batchstartdb.RecordCeremony(ctx, tx, w, batchstartdb.CeremonyInput{CeremonyOn: day("2026-03-18"), Place: "官渡河产业集聚区",
			Present: []uuid.UUID{ids["A"], uuid.New()}}, office, time.Now()); err == nil {
			return fmt.Errorf("a project not of the round present")
		}
		c, err := batchstartdb.RecordCeremony(ctx, tx, w, batchstartdb.CeremonyInput{CeremonyOn: day("2026-03-18"), Place: "官渡河产业集聚区",
			Present: []uuid.UUID{ids["A"], ids["B"]}}, office, time.Now())
		if err != nil {
			return err
		}
		if _, err := batchstartdb.RecordCeremony(ctx, tx, w, batchstartdb.CeremonyInput{CeremonyOn: day("2026-03-19"), Version: 0}, office, time.Now()); err == nil {
			return fmt.Errorf("a second first record")
		}
		if _, err := batchstartdb.RecordCeremony(ctx, tx, w, batchstartdb.CeremonyInput{CeremonyOn: day("2026-03-19"), Place: "官渡河产业集聚区",
			Present: []uuid.UUID{ids["A"], ids["B"], ids["C"]}, Version: c.Version}, office, time.Now()); err != nil {
			return err
		}
		if err := batchstartdb.RecordReason(ctx, tx, w, ids["D"], "土地征收尚未完成，预计8月开工", nil, office, time.Now()); err != nil {
			return err
		}
		if err := batchstartdb.RecordReason(ctx, tx, w, ids["A"], "已开工", nil, office, time.Now()); err == nil {
			return fmt.Errorf("a reason for a project started")
		}
		r3, err := batchstartdb.GetRound(ctx, tx, w, day("2026-06-30"))
		if err != nil {
			return err
		}
		present := 0
		for _, p := range r3.Figures.Projects {
			if p.Present {
				present++
			}
		}
		var reason string
		for _, p := range r3.Figures.Projects {
			if p.Timing == batchstart.NotStarted && p.Reason != "" {
				reason = p.Reason
			}
		}
		if present != 3 || r3.Ceremony == nil || !r3.Ceremony.CeremonyOn.Equal(day("2026-03-19")) || reason != "土地征收尚未完成，预计8月开工" {
			return fmt.Errorf("ceremony %+v, %d present, reason %q", r3.Ceremony, present, reason)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTiming: a project recorded under construction without a date of
// main works counts as started, undated.
func TestTiming(t *testing.T) {
	w := batchstart.Window{From: day("2026-03-01"), To: day("2026-04-30")}
	early, late := day("2026-02-28"), day("2026-05-01")
	for want, p := range map[batchstart.Timing]batchstart.Project{
		batchstart.Undated: {Started: true}, batchstart.Early: {Started: true, StartedOn: &early}, batchstart.Late: {Started: true, StartedOn: &late},
		batchstart.OnTime: {Started: true, StartedOn: &w.To}, batchstart.NotStarted: {},
	} {
		if got := batchstart.TimingOf(p, w); got != want {
			t.Errorf("%+v: %s, want %s", p, got, want)
		}
	}
	if f := batchstart.Count(w, nil); f.Rate != "" || f.Planned != 0 {
		t.Errorf("no projects: %+v", f)
	}
}
