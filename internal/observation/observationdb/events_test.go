package observationdb_test

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
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/observation"
	"github.com/tuijin/tuijin/internal/observation/observationdb"
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
	d, _ := time.Parse(time.DateOnly, s)
	return d
}

// sheet spreads a total over the default rubric's items.
func sheet(total int) observation.Sheet {
	s := observation.Sheet{}
	for _, it := range observation.DefaultRubric().Items {
		p := min(total, it.Max)
		s[it.Key] = p
		total -= p
	}
	return s
}

// TestObservation: Guangshan's September observation of its five sites by
// four judges, one an outlier: each site's trimmed mean; the units ranked
// in their pools (townships with the zone, departments) which never mix;
// a retried submission counts once, a second sheet is refused, a person
// not judging cannot score; a sheet missing needs the office's note to
// close, and its site counts with the judges who scored it.
func TestObservation(t *testing.T) {
	var gs, office uuid.UUID
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := env.Owner.Bun.NewRaw("SELECT id FROM counties WHERE slug = 'guangshan'").Scan(ctx, &gs); err != nil {
		t.Fatal(err)
	}
	if err := env.Owner.Bun.NewRaw("SELECT id FROM accounts WHERE username = 'gs.office'").Scan(ctx, &office); err != nil {
		t.Fatal(err)
	}
	err := env.App.InCounty(ctx, gs, func(ctx context.Context, tx bun.IDB) error {
		var judges, sites []uuid.UUID
		if err := tx.NewRaw("SELECT id FROM people WHERE active ORDER BY name LIMIT 5").Scan(ctx, &judges); err != nil {
			return err
		}
		if err := tx.NewRaw("SELECT id FROM projects WHERE code LIKE 'GS2026-00%' ORDER BY code").Scan(ctx, &sites); err != nil {
			return err
		}
		if len(sites) != 5 || len(judges) != 5 {
			return fmt.Errorf("%d sites, %d people", len(sites), len(judges))
		}
		outsider := judges[4]
		judges = judges[:4]
		e, err := observationdb.CreateEvent(ctx, tx, observationdb.EventInput{Month: day("2026-09-01"), HeldOn: day("2026-09-24"), Title: "9月份重点项目观摩",
			Judges: judges, Sites: sites}, office, time.Now())
		if err != nil {
			return err
		}
		if _, err := observationdb.CreateEvent(ctx, tx, observationdb.EventInput{Month: day("2026-09-01"), HeldOn: day("2026-09-25"), Title: "重复",
			Judges: judges, Sites: sites}, office, time.Now()); errs.KindOf(err) != errs.Conflict {
			return fmt.Errorf("a second event in a month: %v", err)
		}
		totals := [][]int{ // per site (001 … 005), per judge
			{88, 91, 95, 40}, // 89.50
			{81, 86, 90, 86}, // 86.00
			{85, 85, 85, 85}, // 85.00
			{70, 75, 72, -1}, // the fourth judge did not score it: 72.00 of three
			{89, 90, 90, 91}, // 90.00
		}
		for i, row := range totals {
			for j, total := range row {
				if total < 0 {
					continue
				}
				if _, _, err := observationdb.Submit(ctx, tx, e.ID, judges[j], office, observationdb.ScoreInput{ProjectID: sites[i], Points: sheet(total),
					IdemKey: fmt.Sprintf("key-%d-%d-aaaa", i, j)}, time.Now()); err != nil {
					return fmt.Errorf("site %d judge %d: %w", i, j, err)
				}
			}
		}
		// A retry with the same key is the same sheet; another sheet is refused.
		again, replay, err := observationdb.Submit(ctx, tx, e.ID, judges[0], office, observationdb.ScoreInput{ProjectID: sites[0], Points: sheet(88), IdemKey: "key-0-0-aaaa"}, time.Now())
		if err != nil || !replay || again.Total != 88 {
			return fmt.Errorf("a retry: %v %v %+v", err, replay, again)
		}
		if _, _, err := observationdb.Submit(ctx, tx, e.ID, judges[0], office, observationdb.ScoreInput{ProjectID: sites[0], Points: sheet(99), IdemKey: "key-other-aaaa"}, time.Now()); errs.CodeOf(err) != "already_scored" {
			return fmt.Errorf("a second sheet: %v", err)
		}
		if _, _, err := observationdb.Submit(ctx, tx, e.ID, outsider, office, observationdb.ScoreInput{ProjectID: sites[0], Points: sheet(99), IdemKey: "key-outsider-a"}, time.Now()); errs.CodeOf(err) != "not_a_judge" {
			return fmt.Errorf("not a judge: %v", err)
		}
		bad := sheet(80)
		bad["quality"] = 25
		if _, _, err := observationdb.Submit(ctx, tx, e.ID, judges[3], office, observationdb.ScoreInput{ProjectID: sites[3], Points: bad, IdemKey: "key-bad-aaaaa"}, time.Now()); errs.KindOf(err) != errs.Invalid {
			return fmt.Errorf("over an item's maximum: %v", err)
		}
		var n int
		if err := tx.NewRaw("SELECT count(*) FROM observation_scores WHERE event_id = ?", e.ID).Scan(ctx, &n); err != nil || n != 19 {
			return fmt.Errorf("%d sheets stored (%v), want 19", n, err)
		}
		if _, err := observationdb.Close(ctx, tx, e.ID, "", office, time.Now()); errs.KindOf(err) != errs.Invalid {
			return fmt.Errorf("closed with a sheet missing and no note: %v", err)
		}
		res, err := observationdb.Close(ctx, tx, e.ID, "第四位评委临时公务未到十里镇现场", office, time.Now())
		if err != nil {
			return err
		}
		got := map[string]string{}
		pools := map[string][]string{}
		for _, r := range res {
			got[r.Kind+":"+r.Name] = fmt.Sprintf("%s#%d", r.Score, r.Rank)
			if r.Kind == "unit" {
				pools[r.Pool] = append(pools[r.Pool], r.Name)
			}
		}
		want := map[string]string{
			"site:光山县城乡供水一体化项目": "90.00#1", "site:官渡河综合治理项目": "89.50#2", "site:光山县产业集聚区标准化厂房项目": "86.00#3",
			"site:紫水街道老旧小区改造项目": "85.00#4", "site:十里镇高标准农田建设项目": "72.00#5",
			"unit:光山县产业集聚区": "86.00#1", "unit:紫水街道": "85.00#2", "unit:十里镇": "72.00#3",
			"unit:县水利局": "90.00#1", "unit:县百城提质办": "89.50#2",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s, want %s", k, got[k], w)
			}
		}
		if strings.Join(pools["townships"], " ") != "光山县产业集聚区 紫水街道 十里镇" || strings.Join(pools["departments"], " ") != "县水利局 县百城提质办" || len(pools) != 2 {
			t.Errorf("pools %v", pools)
		}
		if _, _, err := observationdb.Submit(ctx, tx, e.ID, judges[3], office, observationdb.ScoreInput{ProjectID: sites[3], Points: sheet(70), IdemKey: "key-late-aaaa"}, time.Now()); errs.CodeOf(err) != "observation_closed" {
			return fmt.Errorf("a sheet after close: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
