package drill_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// TestPostgresRestartDuringReportWrites: eight clients save 200 weekly
// report drafts, each with a text of its own, over the project-weeks a
// helper reports (several saves of the same draft follow one another, as a
// helper edits it); a quarter of the way in, PostgreSQL is stopped (mode
// fast: open transactions rolled back, connections cut) and started again
// two seconds later. Every request is answered; every failure is a 503
// with Retry-After, after which the client sends the same save again; the
// audit log, written in each save's transaction, shows every acknowledged
// save exactly once (none lost, none applied twice); each draft holds its
// last save; the same server goes on without a restart.
func TestPostgresRestartDuringReportWrites(t *testing.T) {
	s := newStack(t)
	helper := s.mustLogin("gs.helper")
	projects := s.helperProjects(helper)
	type target struct {
		project uuid.UUID
		week    string
	}
	var targets []target
	for _, w := range weeks(60)[1:] {
		for _, p := range projects {
			targets = append(targets, target{p, w})
		}
	}
	const saves, clients = 200, 8
	text := func(i int) string { return fmt.Sprintf("演练写入 %03d", i) }
	// Save i goes to target i % len(targets); one client owns each target,
	// so that the saves of a draft are sent in order.
	perClient := make([][]int, clients)
	for i := range saves {
		k := i % len(targets)
		perClient[k%clients] = append(perClient[k%clients], i)
	}

	var c tally
	var acked atomic.Int32
	ok := make([]bool, saves)
	quarter := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for _, mine := range perClient {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range mine {
				tg := targets[i%len(targets)]
				a := retry(&c, func() answer {
					return s.json(helper, "PUT", reportPath(tg.project, tg.week),
						map[string]any{"image_progress": text(i), "image_percent": 30, "investment_yuan": 10000 + i, "workers": 12})
				})
				if a.status == 200 {
					ok[i] = true
					if int(acked.Add(1)) == saves/4 {
						once.Do(func() { close(quarter) })
					}
				}
			}
		}()
	}
	select {
	case <-quarter:
	case <-time.After(2 * time.Minute):
		t.Fatalf("a quarter of the saves did not get through: %s", &c)
	}
	s.pg.Stop()
	time.Sleep(2 * time.Second)
	s.pg.Start()
	wg.Wait()

	// Each save's audit entries (written in its transaction).
	entries := map[string]int{}
	s.inCounty(s.county("411522"), func(ctx context.Context, tx bun.IDB) error {
		var rows []struct {
			Text string
			N    int
		}
		err := tx.NewRaw(`SELECT after->>'image_progress' AS text, count(*) AS n FROM audit_log
			WHERE action = 'report.draft' AND after->>'image_progress' LIKE '演练写入 %' GROUP BY 1`).Scan(ctx, &rows)
		for _, r := range rows {
			entries[r.Text] = r.N
		}
		return err
	})
	lost, duplicated, unacked, appliedUnacked := 0, 0, 0, 0
	last := map[target]int{}
	for i := range saves {
		n := entries[text(i)]
		switch {
		case !ok[i]:
			unacked++
			appliedUnacked += n
		case n == 0:
			lost++
		case n > 1:
			duplicated += n - 1
		}
		if ok[i] {
			last[targets[i%len(targets)]] = i
		}
	}
	for tg, i := range last {
		a := s.do(helper, "GET", reportPath(tg.project, tg.week), "", nil)
		var r struct {
			ImageProgress string `json:"image_progress"`
		}
		if a.status != 200 || json.Unmarshal(a.body, &r) != nil || r.ImageProgress != text(i) {
			lost++
			t.Errorf("%s %s: last acknowledged save %q, stored %d %s", tg.project, tg.week, text(i), a.status, a.body)
		}
	}
	logCounts(t, "PostgreSQL restarted during report writes", &c,
		fmt.Sprintf("%d saves to %d drafts, %d acknowledged, %d lost, %d duplicated, %d never acknowledged (%d of them applied)",
			saves, len(targets), int(acked.Load()), lost, duplicated, unacked, appliedUnacked))
	if c.unclean > 0 {
		t.Errorf("%d failures were not a clean 503 with Retry-After: %v", c.unclean, c.samples)
	}
	if c.clean == 0 {
		t.Errorf("no request met the restart: the drill tested nothing")
	}
	if unacked > 0 || lost > 0 || duplicated > 0 {
		t.Errorf("%d saves never acknowledged, %d lost, %d duplicated", unacked, lost, duplicated)
	}
	// Recovery without a restart of tuijin: a new login and a read.
	tok := s.mustLogin("gs.office")
	if a := s.do(tok, "GET", "/api/v1/projects?limit=5", "", nil); a.status != 200 {
		t.Errorf("after the restart: %d %s", a.status, a.body)
	}
}
