package supervisiondb_test

// These scenarios close weeks of 2037 and 2038, later than those of
// rules_test.go, whose dashboard check reads the latest closed week: they
// run after it (files run in name order).

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	bulletinpkg "github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

// TestOverrideRecloses: the office decides again on a closed week's
// progress. The week and the later weeks whose streak depends on it are
// closed again; escalations whose streak no longer holds are withdrawn with
// the reason (one already held stands, and the office is told); a streak
// that forms again is raised again; each week's stored result lists the
// correction; an issued bulletin of those weeks is flagged. Before, the
// override changed the report and nothing else.
func TestOverrideRecloses(t *testing.T) {
	w := guangshan(t)
	// 2037: 1 January is a Thursday. Thresholds 2 (unit head) and 3 (county leader).
	wk := func(n int) time.Time { return day("2037-01-05").AddDate(0, 0, 7*(n-1)) }
	var p project.Project
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if err := newYear(ctx, tx, 2037); err != nil {
			return err
		}
		p = newProject(t, w, tx, ctx, "C-2037", day("2037-01-01"), nil)
		report(t, ctx, tx, w, p, wk(1), reporting.Content{InvestmentYuan: 2_000_000})            // progress
		report(t, ctx, tx, w, p, wk(3), reporting.Content{InvestmentYuan: 10_000})               // W2 missing, W3 too little: streak 2
		report(t, ctx, tx, w, p, wk(5), reporting.Content{InvestmentYuan: 3_000_000}, "confirm") // W4 missing (streak 3), W5 progress
		res, err := supervisiondb.CloseWeek(ctx, tx, wk(5), supervision.CloseAt(wk(5), settings.Defaults()).Add(time.Minute))
		if err != nil {
			return err
		}
		// A catch-up close reports every week it closed, oldest first, each
		// with its own figures (it once answered with the last week's only).
		var weeks []string
		for _, r := range res.CaughtUp {
			weeks = append(weeks, r.Week)
			if r.Projects != 1 || len(r.CaughtUp) != 0 {
				t.Errorf("caught-up week %+v", r)
			}
		}
		if strings.Join(weeks, " ") != "2036-12-29 2037-01-05 2037-01-12 2037-01-19 2037-01-26" || res.Week != "2037-02-02" ||
			res.CaughtUp[3].Escalations != 1 || res.CaughtUp[4].Escalations != 1 || res.CaughtUp[4].Stalled != 1 {
			t.Errorf("catch-up close: %+v", res)
		}
		return nil
	})
	type esc struct {
		ID     uuid.UUID `bun:"id"`
		Level  int       `bun:"level"`
		Raised time.Time `bun:"raised_week"`
		Start  time.Time `bun:"streak_start"`
		Status string    `bun:"status"`
		Why    string    `bun:"withdrawn_reason"`
	}
	escalations := func() []esc {
		var out []esc
		in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewRaw("SELECT id, level, raised_week, streak_start, status, withdrawn_reason FROM escalations WHERE project_id = ? ORDER BY created_at, level", p.ID).Scan(ctx, &out)
		})
		return out
	}
	first := escalations()
	if len(first) != 2 || first[0].Level != 1 || !first[0].Raised.Equal(wk(3)) || first[1].Level != 2 || !first[1].Raised.Equal(wk(4)) ||
		!first[0].Start.Equal(wk(2)) || first[0].Status != "pending" {
		t.Fatalf("escalations after the close: %+v", first)
	}
	// Level 1 is held before the correction; a bulletin of W4 was issued.
	var bulletin uuid.UUID
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		e, err := supervisiondb.GetEscalation(ctx, tx, first[0].ID)
		if err != nil {
			return err
		}
		on := day("2037-01-25")
		if e, err = supervisiondb.UpdateEscalation(ctx, tx, e.ID, supervisiondb.EscalationChange{Status: "scheduled", ScheduledOn: &on, Version: e.Version}, time.Now()); err != nil {
			return err
		}
		if _, err = supervisiondb.UpdateEscalation(ctx, tx, e.ID, supervisiondb.EscalationChange{Status: "done", Version: e.Version}, time.Now()); err != nil {
			return err
		}
		return tx.NewRaw(`INSERT INTO bulletins (kind, period, period_start, period_end, week_start, issue_no, version, inputs, output_hash)
			VALUES ('weekly', 'week', ?0, ?0::date + 6, ?0, 4, 1, '{}', '\x00') RETURNING id`, wk(4)).Scan(ctx, &bulletin)
	})

	// After the close the office returns W5's report (a returned report is
	// no progress): a correction of an earlier week keeps W5 as it closed.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		_, err := reportingdb.Transition(ctx, tx, p.ID, wk(5), "return", w.office, "请补充现场照片", time.Now())
		return err
	})
	// The office finds W3 had progress after all.
	const why = "督导组现场核实：第3周主体结构已封顶"
	var c supervisiondb.Correction
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if _, err := reportingdb.Override(ctx, tx, p.ID, wk(3), true, why, w.office); err != nil {
			return err
		}
		var err error
		c, err = supervisiondb.CorrectWeeks(ctx, tx, p.ID, wk(3), why, &w.office, time.Now())
		return err
	})
	if strings.Join(c.Weeks, " ") != "2037-01-19 2037-01-26" || len(c.Withdrawn) != 1 || c.Withdrawn[0] != first[1].ID ||
		len(c.Kept) != 1 || c.Kept[0] != first[0].ID || len(c.Raised) != 0 || len(c.Flagged) != 1 || c.Flagged[0] != bulletin {
		t.Fatalf("correction %+v", c)
	}
	after := escalations()
	if len(after) != 2 || after[0].Status != "done" || after[1].Status != "withdrawn" || !strings.Contains(after[1].Why, why) {
		t.Fatalf("escalations after the correction: %+v", after)
	}
	checkStreaks(t, w.county, p.ID)
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		var streaks []int
		if err := tx.NewRaw("SELECT streak FROM week_status WHERE project_id = ? AND week_start >= ? ORDER BY week_start", p.ID, wk(1)).Scan(ctx, &streaks); err != nil {
			return err
		}
		if len(streaks) != 5 || streaks[2] != 0 || streaks[3] != 1 || streaks[4] != 0 {
			t.Errorf("streaks W1-W5: %v", streaks)
		}
		// The week's stored result says what changed, and its figures follow.
		res, err := supervisiondb.CloseWeek(ctx, tx, wk(4), time.Now())
		if err != nil {
			return err
		}
		if res.Stalled != 0 || res.Escalations != 0 || len(res.Corrections) != 1 || res.Corrections[0].Reason != why || res.Corrections[0].Streak != 1 {
			t.Errorf("W4's result after the correction: %+v", res)
		}
		// The issued bulletin of W4 now says it needs a correction.
		b, err := bulletindb.GetBulletin(ctx, tx, bulletin)
		if err != nil {
			return err
		}
		if !b.NeedsCorrection() || len(b.FlagReasons) != 1 || !strings.Contains(b.FlagReasons[0], why) {
			t.Errorf("the bulletin of W4: needs correction %v, reasons %v", b.NeedsCorrection(), b.FlagReasons)
		}
		// Its correction will not list the withdrawn escalation.
		period, err := bulletinpkg.ParsePeriod("week", wk(4).Format(time.DateOnly))
		if err != nil {
			return err
		}
		inputs, err := bulletindb.BulletinInputs(ctx, tx, "weekly", period)
		if err != nil {
			return err
		}
		for _, e := range inputs.Escalations {
			if e.Project == p.Name {
				t.Errorf("a corrected bulletin lists the withdrawn escalation %+v", e)
			}
		}
		return nil
	})

	// Decided back: the streak forms again. Level 2 is raised anew (the
	// withdrawn row stays); level 1 is held already and is not raised twice.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if _, err := reportingdb.Override(ctx, tx, p.ID, wk(3), false, "复核：封顶为第4周", w.office); err != nil {
			return err
		}
		var err error
		c, err = supervisiondb.CorrectWeeks(ctx, tx, p.ID, wk(3), "复核：封顶为第4周", &w.office, time.Now())
		return err
	})
	again := escalations()
	if len(c.Raised) != 1 || len(again) != 3 || again[2].Level != 2 || again[2].Status != "pending" || !again[2].Raised.Equal(wk(4)) || again[1].Status != "withdrawn" {
		t.Fatalf("decided back: correction %+v, escalations %+v", c, again)
	}
	// W1 decided as no progress: the streak now begins in W0. The
	// escalations in force are this streak's; none is raised twice.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if _, err := reportingdb.Override(ctx, tx, p.ID, wk(1), false, "复核：第1周投资为往年结转", w.office); err != nil {
			return err
		}
		var err error
		c, err = supervisiondb.CorrectWeeks(ctx, tx, p.ID, wk(1), "复核：第1周投资为往年结转", &w.office, time.Now())
		return err
	})
	if strings.Join(c.Weeks, " ") != "2037-01-05 2037-01-12 2037-01-19 2037-01-26" || len(c.Raised) != 0 || len(c.Withdrawn) != 0 || len(c.Kept) != 0 || len(escalations()) != 3 {
		t.Fatalf("a streak that begins earlier: correction %+v, escalations %+v", c, escalations())
	}
	// An override that agrees with how the week closed changes nothing.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if _, err := reportingdb.Override(ctx, tx, p.ID, wk(5), true, "确认有实质进度", w.office); err != nil {
			return err
		}
		var err error
		c, err = supervisiondb.CorrectWeeks(ctx, tx, p.ID, wk(5), "确认有实质进度", &w.office, time.Now())
		return err
	})
	if c.Changed() || len(escalations()) != 3 {
		t.Fatalf("an override that agrees: %+v", c)
	}
	checkStreaks(t, w.county, p.ID)
	var msgs []string
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT title FROM notifications WHERE account_id = ? AND (idem_key LIKE 'withdrawn:%' OR idem_key LIKE 'basis_corrected:%')", w.office).Scan(ctx, &msgs)
	})
	if len(msgs) != 2 {
		t.Fatalf("the office was told %v", msgs)
	}
}

// checkStreaks: each stored week of the project continues the streak of
// the week before by its stored progress (supervision.NextStreak), and
// "stalled" follows the settings of its week. (Progress itself is what the
// week closed on, or the office's later decision, not today's report.)
func checkStreaks(t *testing.T, county, projectID uuid.UUID) {
	t.Helper()
	in(t, county, func(ctx context.Context, tx bun.IDB) error {
		var rows []struct {
			Week     time.Time `bun:"week_start,type:date"`
			Progress bool      `bun:"progress"`
			Streak   int       `bun:"streak"`
			Stalled  bool      `bun:"stalled"`
		}
		if err := tx.NewRaw("SELECT week_start, progress, streak, stalled FROM week_status WHERE project_id = ? ORDER BY week_start", projectID).Scan(ctx, &rows); err != nil {
			return err
		}
		prev := 0
		for _, r := range rows {
			s, err := postgres.SettingsOn(ctx, tx, r.Week)
			if err != nil {
				return err
			}
			if want := supervision.NextStreak(prev, r.Progress); r.Streak != want || r.Stalled != supervision.Stalled(want, s.Values) {
				t.Errorf("%s: stored %+v, streak should be %d", r.Week.Format(time.DateOnly), r, want)
			}
			prev = r.Streak
		}
		return nil
	})
}

// TestNobodyConfirmsTheirOwn (M2.3): the account that submitted a report
// cannot confirm it, nor can another account of the same person; the one
// that confirmed it cannot verify it.
func TestNobodyConfirmsTheirOwn(t *testing.T) {
	w := guangshan(t)
	week := day("2038-03-01")
	accounts := map[string]uuid.UUID{}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if err := newYear(ctx, tx, 2038); err != nil {
			return err
		}
		for _, u := range []string{"gs.helper", "gs.unit"} {
			a, err := postgres.AccountByUsername(ctx, tx, u)
			if err != nil {
				return err
			}
			accounts[u] = a.ID
		}
		tang := w.people["唐明"]
		second, err := postgres.CreateAccount(ctx, tx, postgres.Account{Scope: "county", CountyID: &w.county, Username: "gs.tangming2", DisplayName: "唐明", PersonID: &tang, PasswordHash: "x"})
		accounts["second"] = second.ID
		return err
	})
	var p project.Project
	code := func(err error) string {
		var e *errs.Error
		if err == nil {
			return ""
		}
		if errors.As(err, &e) {
			return e.Code
		}
		return err.Error()
	}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		p = newProject(t, w, tx, ctx, "O-2038", day("2038-01-01"), nil)
		at := week.AddDate(0, 0, 2).Add(10 * time.Hour)
		if _, err := reportingdb.SaveDraft(ctx, tx, p.ID, week, reporting.Content{ImageProgress: "施工中", InvestmentYuan: 500_000}, accounts["gs.helper"]); err != nil {
			return err
		}
		if _, err := reportingdb.Submit(ctx, tx, p.ID, week, accounts["gs.helper"], at); err != nil {
			return err
		}
		for _, who := range []string{"gs.helper", "second"} {
			if _, err := reportingdb.Transition(ctx, tx, p.ID, week, "confirm", accounts[who], "", at); code(err) != "own_report" {
				t.Errorf("%s confirms the report it submitted: %v", who, err)
			}
		}
		if _, err := reportingdb.Transition(ctx, tx, p.ID, week, "confirm", accounts["gs.unit"], "", at); err != nil {
			return err
		}
		if _, err := reportingdb.Transition(ctx, tx, p.ID, week, "verify", accounts["gs.unit"], "", at); code(err) != "own_report" {
			t.Errorf("the confirmer verifies: %v", err)
		}
		r, err := reportingdb.Transition(ctx, tx, p.ID, week, "verify", w.office, "", at)
		if err != nil || r.Status != "verified" {
			t.Errorf("the office verifies: %v", err)
		}
		return nil
	})
}
