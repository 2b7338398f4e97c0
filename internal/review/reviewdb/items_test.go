package reviewdb_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/demo"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/review"
	"github.com/tuijin/tuijin/internal/review/reviewdb"
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

func county(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := env.Owner.Bun.NewRaw("SELECT id FROM counties WHERE slug = ?", slug).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func in(t testing.TB, c uuid.UUID, fn func(ctx context.Context, tx bun.IDB) error) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := env.App.InCounty(ctx, c, fn); err != nil {
		t.Fatal(err)
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// at is 18:00 in Shanghai on d (after a sitting of the afternoon).
func at(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 18, 0, 0, 0, settings.Shanghai)
}

// TestHalfYear runs Guangshan's joint review from January to June 2026:
// every other Wednesday on the calendar; items nominated, decided done on
// the spot or given deadlines; the ledger records some done in time; the
// daily job carries the others to the next sitting with their history and
// tells their service units; figures per sitting and per service unit
// equal a count made here from the scenario itself.
func TestHalfYear(t *testing.T) {
	gs := county(t, "guangshan")
	var office uuid.UUID
	if err := env.Owner.Bun.NewRaw("SELECT id FROM accounts WHERE username = 'gs.office'").Scan(context.Background(), &office); err != nil {
		t.Fatal(err)
	}
	var sittings []meetingdb.Sitting
	procs := map[string]uuid.UUID{} // A … F
	units := map[string]string{}    // procedure → its service unit's name
	in(t, gs, func(ctx context.Context, tx bun.IDB) error {
		if _, err := meetingdb.EnsureSittings(ctx, tx, day("2026-01-01"), day("2026-06-30")); err != nil {
			return err
		}
		all, err := meetingdb.ListSittings(ctx, tx, day("2026-01-01"), day("2026-06-30"))
		for _, s := range all {
			if s.Kind == "joint_review" {
				sittings = append(sittings, s)
			}
		}
		if err != nil {
			return err
		}
		// Six procedure items of three projects, each with its type's service unit.
		var rows []struct {
			ID   uuid.UUID `bun:"id"`
			Unit string    `bun:"unit"`
		}
		err = tx.NewRaw(`INSERT INTO project_procedures (project_id, type_id, service_unit_id, status)
			SELECT p.id, t.id, t.default_service_unit_id, 'pending'
			FROM (SELECT id, row_number() OVER (ORDER BY code) AS n FROM projects ORDER BY code LIMIT 3) p
			JOIN (SELECT id, default_service_unit_id, row_number() OVER (ORDER BY code) AS n FROM procedure_types WHERE code IN ('P02','P05','P07')) t ON true
			WHERE (p.n + t.n) % 3 <> 0 OR p.n = 1
			ON CONFLICT (project_id, type_id) DO NOTHING
			RETURNING id, (SELECT name FROM units WHERE id = service_unit_id) AS unit`).Scan(ctx, &rows)
		for i, r := range rows {
			if i < 6 {
				k := string(rune('A' + i))
				procs[k], units[k] = r.ID, r.Unit
			}
		}
		return err
	})
	// Every other Wednesday: the Wednesdays of odd ISO weeks, 14 January to 17 June.
	if len(sittings) != 12 || !sittings[0].Day.Equal(day("2026-01-14")) || !sittings[11].Day.Equal(day("2026-06-17")) {
		t.Fatalf("%d joint review sittings in the half-year (%v …), want 12 from 14 January", len(sittings), sittings[0].Day)
	}
	for _, s := range sittings {
		if s.Day.Weekday() != time.Wednesday || s.ChairPost != "常务副县长" {
			t.Fatalf("sitting on %s chaired by %q", s.Day.Format("2006-01-02 Mon"), s.ChairPost)
		}
	}
	if len(procs) != 6 {
		t.Fatalf("%d procedure items seeded", len(procs))
	}
	j1, j2, j3 := sittings[0], sittings[1], sittings[2] // 14 Jan, 28 Jan, 11 Feb
	items := map[string]reviewdb.Item{}
	in(t, gs, func(ctx context.Context, tx bun.IDB) error {
		for _, k := range []string{"A", "B", "C", "D", "E"} {
			it, err := reviewdb.Nominate(ctx, tx, j1.ID, reviewdb.Nomination{ProcedureID: procs[k], ByProject: k == "B", By: office})
			if err != nil {
				return fmt.Errorf("nominate %s: %w", k, err)
			}
			items[k] = it
		}
		// The same item twice, or on two open chains, is refused.
		if _, err := reviewdb.Nominate(ctx, tx, j1.ID, reviewdb.Nomination{ProcedureID: procs["A"], By: office}); err == nil {
			return fmt.Errorf("an item listed twice")
		}
		if _, err := reviewdb.Nominate(ctx, tx, j2.ID, reviewdb.Nomination{ProcedureID: procs["A"], By: office}); err == nil {
			return fmt.Errorf("an item on two sittings at once")
		}
		// Not before the sitting.
		if _, err := reviewdb.Decide(ctx, tx, items["A"].ID, reviewdb.Decision{Outcome: review.Done, Version: 1}, office, at(day("2026-01-13"))); err == nil {
			return fmt.Errorf("decided before the sitting")
		}
		if _, err := meetingdb.Hold(ctx, tx, j1.ID, at(j1.Day)); err != nil {
			return err
		}
		dl := func(s string) *time.Time { d := day(s); return &d }
		for k, d := range map[string]reviewdb.Decision{
			"A": {Outcome: review.Done, Merged: true},                                 // done on the spot
			"B": {Outcome: review.Deadline, Deadline: dl("2026-01-24"), Agency: true}, // done in time (below)
			"C": {Outcome: review.Deadline},                                           // the default: 14 days → 28 Jan; missed twice
			"D": {Outcome: review.Deadline, Deadline: dl("2026-01-19")},               // missed once, done at the next sitting
			// E is left pending at the sitting: carried on.
		} {
			d.Version = 1
			it, err := reviewdb.Decide(ctx, tx, items[k].ID, d, office, at(j1.Day))
			if err != nil {
				return fmt.Errorf("decide %s: %w", k, err)
			}
			items[k] = it
		}
		if items["C"].Deadline == nil || !items["C"].Deadline.Equal(day("2026-01-28")) {
			return fmt.Errorf("C's default deadline %v, want 14 days after 14 January", items["C"].Deadline)
		}
		var ledger struct {
			Status string    `bun:"status"`
			Actual time.Time `bun:"actual_date"`
			Merged bool      `bun:"merged_assessment"`
		}
		if err := tx.NewRaw("SELECT status, actual_date, merged_assessment FROM project_procedures WHERE id = ?", procs["A"]).Scan(ctx, &ledger); err != nil {
			return err
		}
		if ledger.Status != "done" || !ledger.Actual.Equal(j1.Day) || !ledger.Merged {
			return fmt.Errorf("the ledger after done on the spot: %+v", ledger)
		}
		// The unit records B done in the ledger on 22 January.
		_, err := tx.ExecContext(ctx, "UPDATE project_procedures SET status = 'done', actual_date = '2026-01-22' WHERE id = ?", procs["B"])
		return err
	})
	// Day by day through January and February: the daily job's carry-over.
	carried := map[string]int{}
	for d := day("2026-01-15"); !d.After(day("2026-02-28")); d = d.AddDate(0, 0, 1) {
		in(t, gs, func(ctx context.Context, tx bun.IDB) error {
			n, err := reviewdb.CarryOver(ctx, tx, d, at(d))
			carried[d.Format("01-02")] = n
			if err != nil {
				return err
			}
			// The sittings of 28 January and 11 February sit on their day.
			for _, s := range []meetingdb.Sitting{j2, j3} {
				if d.Equal(s.Day) {
					if _, err := meetingdb.Hold(ctx, tx, s.ID, at(d)); err != nil {
						return err
					}
					list, err := reviewdb.ListItems(ctx, tx, s.ID)
					if err != nil {
						return err
					}
					for _, it := range list {
						switch {
						case it.ProcedureID == procs["D"]: // done at the next sitting
							_, err = reviewdb.Decide(ctx, tx, it.ID, reviewdb.Decision{Outcome: review.Done, Version: it.Version}, office, at(d))
						case it.ProcedureID == procs["C"] || it.ProcedureID == procs["E"]: // a week more, missed again
							dl := d.AddDate(0, 0, 7)
							_, err = reviewdb.Decide(ctx, tx, it.ID, reviewdb.Decision{Outcome: review.Deadline, Deadline: &dl, Version: it.Version}, office, at(d))
						}
						if err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
	}
	// E left pending on 14 Jan → carried on the 15th; D missed 19 Jan → the 20th; C missed 28 Jan → the 29th;
	// E missed 4 Feb → the 5th; C and E missed 18 Feb → the 19th.
	total := 0
	for _, n := range carried {
		total += n
	}
	if carried["01-15"] != 1 || carried["01-20"] != 1 || carried["01-29"] != 1 || carried["02-05"] != 1 || carried["02-19"] != 2 || total != 6 {
		t.Errorf("carried by day: %v", carried)
	}
	in(t, gs, func(ctx context.Context, tx bun.IDB) error {
		open, err := reviewdb.UnitItems(ctx, tx, items["C"].ServiceUnitID)
		if err != nil {
			return err
		}
		var c reviewdb.Item
		for _, it := range open {
			if it.ProcedureID == procs["C"] {
				c = it
			}
		}
		if c.ID == uuid.Nil || c.Source != "carried" || !c.FirstOn.Equal(j1.Day) {
			return fmt.Errorf("C's latest link: %+v", c)
		}
		hist, err := reviewdb.History(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		var days []string
		for _, h := range hist {
			days = append(days, h.SittingDay.Format("01-02"))
		}
		// C: decided on 14 Jan (deadline 28 Jan), carried to 11 Feb, missed 18 Feb, carried to 25 Feb.
		if strings.Join(days, " ") != "01-14 02-11 02-25" {
			return fmt.Errorf("C's history: %v", days)
		}
		// The service unit and the office were told, once per missed deadline.
		var msgs int
		if err := tx.NewRaw("SELECT count(DISTINCT idem_key) FROM notifications WHERE idem_key LIKE 'review_overdue:%'").Scan(ctx, &msgs); err != nil {
			return err
		}
		if msgs != 5 { // D once, C twice, E twice (left pending the first time: nothing missed)
			return fmt.Errorf("%d overdue items told", msgs)
		}
		// Figures on 28 February, counted here from the scenario:
		// 14 Jan: A done, B done, C, D and E carried → 5 items, 2 done, 40.0%.
		// 28 Jan: D (carried in, done on the spot), E (carried in, missed 4 Feb) → 2 items, 1 done.
		// 11 Feb: C and E (carried in, both missed 18 Feb) → 2 items, 0 done.
		// 25 Feb (not held yet): C and E carried in → 2 items, 0 done, 10 days over their missed deadline.
		// Overall (each procedure once): A, B, D done; C, E open → 5, 3 done, 60.0%; days to done: A 0, B 8, D 14 → 7.3.
		f, err := reviewdb.Figures(ctx, tx, day("2026-01-01"), day("2026-06-30"), day("2026-02-28"))
		if err != nil {
			return err
		}
		if f.All.Items != 5 || f.All.Done != 3 || f.All.Rate != "60.0" || f.All.AvgDays != "7.3" {
			return fmt.Errorf("overall %+v", f.All)
		}
		want := []review.Throughput{{Items: 5, Done: 2, Rate: "40.0"}, {Items: 2, Done: 1, Rate: "50.0"}, {Items: 2, Done: 0, Rate: "0.0"}, {Items: 2, Done: 0, Rate: "0.0"}}
		if len(f.BySitting) != 4 {
			return fmt.Errorf("by sitting %+v", f.BySitting)
		}
		for i, w := range want {
			if g := f.BySitting[i]; g.Items != w.Items || g.Done != w.Done || g.Rate != w.Rate {
				return fmt.Errorf("sitting %d (%s): %+v, want %+v", i+1, g.Name, g, w)
			}
		}
		perUnit := map[string][2]int{}
		for _, k := range []string{"A", "B", "C", "D", "E"} {
			p := perUnit[units[k]]
			p[0]++
			if k == "A" || k == "B" || k == "D" {
				p[1]++
			}
			perUnit[units[k]] = p
		}
		for _, u := range f.ByUnit {
			if p := perUnit[u.Name]; p[0] != u.Items || p[1] != u.Done {
				return fmt.Errorf("unit %s: %+v, counted %v", u.Name, u, p)
			}
		}
		if len(f.Unfinished) != 2 || f.Unfinished[0].DaysOver != 10 || f.Unfinished[1].DaysOver != 10 {
			return fmt.Errorf("unfinished %+v", f.Unfinished)
		}
		return nil
	})
}

// TestCadencePerCounty: Luoshan's joint review on Fridays every three
// weeks leaves Guangshan's on every other Wednesday.
func TestCadencePerCounty(t *testing.T) {
	gs, ls := county(t, "guangshan"), county(t, "luoshan")
	in(t, ls, func(ctx context.Context, tx bun.IDB) error {
		s := settings.Defaults()
		s.MeetingJointReview.Weekday = 5
		s.CadenceJointReview = settings.Cadence{Every: 3, Unit: "week"}
		_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: day("2045-01-01"), Values: s, Reason: "改为每三周周五"}, time.Now())
		return err
	})
	got := map[uuid.UUID][]string{}
	for _, c := range []uuid.UUID{gs, ls} {
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			if _, err := meetingdb.EnsureSittings(ctx, tx, day("2045-01-01"), day("2045-02-28")); err != nil {
				return err
			}
			list, err := meetingdb.ListSittings(ctx, tx, day("2045-01-01"), day("2045-02-28"))
			for _, s := range list {
				if s.Kind == "joint_review" {
					got[c] = append(got[c], s.Day.Format("01-02 Mon"))
				}
			}
			return err
		})
	}
	if g, l := strings.Join(got[gs], " "), strings.Join(got[ls], " "); g != "01-04 Wed 01-18 Wed 02-01 Wed 02-15 Wed" || l != "01-06 Fri 01-27 Fri 02-17 Fri" {
		t.Errorf("Guangshan %s; Luoshan %s", g, l)
	}
}
