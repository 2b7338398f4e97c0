package drill_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/notify"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/worker"
)

// TestRedisStoppedDuringLoginsAndJobs: the worker runs beside the server;
// jobs are asked for through the outbox (as the dead-letter retry does)
// before, while and after Redis is stopped; logins are tried throughout.
// While Redis is down, logins are refused with a 503 and Retry-After and
// reads with an existing session go on; afterwards logins work again and
// every job has run exactly once, with neither tuijin process restarted.
func TestRedisStoppedDuringLoginsAndJobs(t *testing.T) {
	s := newStack(t)
	redis.SetLogger(quiet{}) // the clients' reconnection attempts, expected here
	ctx := context.Background()
	app, err := db.Open(ctx, s.cfg.DatabaseURL, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	rdb := redis.NewClient(&redis.Options{Addr: s.redis.Addr()})
	defer rdb.Close()
	metrics := worker.NewMetrics()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- worker.Run(wctx, worker.Deps{DB: app, Redis: rdb, Sender: notify.New(s.cfg), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Concurrency: 2, MaxRetry: 3, ScheduleSync: time.Hour, RetryBase: 200 * time.Millisecond, Metrics: metrics})
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()

	counties := []uuid.UUID{s.county("411522"), s.county("411521")}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jobs := 0
	enqueue := func(n int) {
		for range n {
			period := day.AddDate(0, 0, jobs/len(counties)).Format(time.DateOnly)
			s.inCounty(counties[jobs%len(counties)], func(ctx context.Context, tx bun.IDB) error {
				return postgres.EnqueueJob(ctx, tx, supervision.JobDeadlines, period)
			})
			jobs++
		}
	}
	office := s.mustLogin("gs.office")
	var logins, reads tally
	tryLogins := func(n int) (ok int) {
		for range n {
			tok, a := s.login("ls.office")
			logins.note(a)
			if tok != "" {
				ok++
			}
		}
		return ok
	}

	enqueue(20)
	if got := tryLogins(5); got != 5 {
		t.Fatalf("logins before the stop: %d of 5", got)
	}
	s.redis.Stop()
	enqueue(20)
	if got := tryLogins(10); got != 0 {
		t.Errorf("%d logins succeeded without Redis (the login throttle must not be skipped)", got)
	}
	readsOK := 0
	for range 10 {
		a := s.do(office, "GET", "/api/v1/projects?limit=5", "", nil)
		reads.note(a)
		if a.status == http.StatusOK {
			readsOK++
		}
	}
	time.Sleep(2 * time.Second) // the relay and the worker meet the outage
	s.redis.Start()
	enqueue(20)
	// Logins come back without a restart (the first tries may still meet
	// the clients' reconnection).
	recovered := false
	for range 20 {
		tok, a := s.login("ls.office")
		if logins.note(a); tok != "" {
			recovered = true
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Every job runs once: the outbox drained, the worker's successful
	// runs of county jobs as many as the jobs asked for.
	executed, failed, pending := 0, 0, -1
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		pending = 0
		for _, c := range counties {
			s.inCounty(c, func(ctx context.Context, tx bun.IDB) error {
				var p int
				err := tx.NewRaw("SELECT count(*) FROM outbox WHERE relayed_at IS NULL").Scan(ctx, &p)
				pending += p
				return err
			})
		}
		executed = count(t, metrics.Tasks.WithLabelValues(worker.TypeCountyJob, "ok"))
		failed = count(t, metrics.Tasks.WithLabelValues(worker.TypeCountyJob, "error"))
		if pending == 0 && executed >= jobs {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	lost, duplicated := max(jobs-executed, 0), max(executed-jobs, 0)
	logCounts(t, "Redis stopped during logins", &logins, fmt.Sprintf("logins recovered: %v", recovered))
	logCounts(t, "Redis stopped: reads with a session during the stop", &reads)
	t.Logf("Redis stopped during jobs: %d jobs asked for (20 while Redis was down), %d runs, %d lost, %d duplicated, %d left in the outbox, %d failed runs retried",
		jobs, executed, lost, duplicated, pending, failed)
	if logins.unclean > 0 || logins.clean == 0 {
		t.Errorf("logins without Redis: %s", &logins)
	}
	if !recovered {
		t.Error("logins did not come back after Redis started again")
	}
	if readsOK != 10 {
		t.Errorf("reads with a session while Redis was down: %s", &reads)
	}
	// (A county's scheduled job firing during these seconds would count as
	// a duplicate: the drill asks the worker to sync its schedule hourly.)
	if lost != 0 || duplicated != 0 || pending != 0 {
		t.Errorf("%d jobs lost, %d duplicated, %d still in the outbox", lost, duplicated, pending)
	}
}

func count(t *testing.T, c prometheus.Counter) int {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return int(m.GetCounter().GetValue())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
