package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/notify"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/worker"
)

// redisServer runs a Redis of the test's own on port, without persistence.
func redisServer(t *testing.T, port int) func() {
	t.Helper()
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	defer c.Close()
	for i := 0; c.Ping(context.Background()).Err() != nil; i++ {
		if i > 50 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return func() { cmd.Process.Kill(); cmd.Wait() }
}

func weekCloseSpec(t *testing.T, insp *asynq.Inspector, county string) string {
	entries, err := insp.SchedulerEntries()
	if err != nil {
		return ""
	}
	for _, e := range entries {
		var p worker.JobPayload
		if e.Task != nil && e.Task.Type() == worker.TypeCountyJob && jsonInto(e.Task.Payload(), &p) == nil &&
			p.CountyID.String() == county && p.Job == supervision.JobWeekClose {
			return e.Spec
		}
	}
	return ""
}

// The scheduler's entries come from each county's settings: a county that
// moves its week close from Friday 18:00 to Monday 09:00 is picked up
// without a restart; after Redis restarts (losing everything) the schedule
// is back within seconds.
func TestScheduleFollowsSettingsAndRedisRestart(t *testing.T) {
	const port = 16391
	stop := redisServer(t, port)
	defer func() { stop() }()
	c := county(t, "luoshan")
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: 1})
	defer rdb.Close()
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- worker.Run(ctx, worker.Deps{DB: env.App, Redis: rdb, Log: quietLog(), Concurrency: 1, ScheduleSync: time.Second,
			Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	}()
	defer func() { cancel(); <-done }()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	waitFor(t, "the default schedule", 20*time.Second, func() bool { return weekCloseSpec(t, insp, c.String()) == "0 18 * * 5" })

	// Luoshan moves its week close to Monday 09:00 from 2027-01-04.
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		s := settings.Defaults()
		s.WeekCloseWeekday, s.WeekCloseTime = 1, "09:00"
		_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), Values: s, Reason: "改为周一结算"}, time.Now())
		return err
	})
	time.Sleep(1500 * time.Millisecond)
	if got := weekCloseSpec(t, insp, c.String()); got != "0 18 * * 5" {
		t.Fatalf("a version not yet in force changed the schedule: %q", got)
	}
	clock.Store(time.Date(2027, 1, 4, 1, 0, 0, 0, settings.Shanghai).UnixNano())
	waitFor(t, "the new schedule", 20*time.Second, func() bool { return weekCloseSpec(t, insp, c.String()) == "0 9 * * 1" })

	// Redis restarts empty; the schedule comes back.
	stop()
	time.Sleep(500 * time.Millisecond)
	stop = redisServer(t, port)
	waitFor(t, "the schedule after a Redis restart", 30*time.Second, func() bool { return weekCloseSpec(t, insp, c.String()) == "0 9 * * 1" })
}

// The worker process killed (by its PID) in the middle of a week close and
// started again: the close completes, once.
func TestWorkerKilledMidJob(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for asynq's 30 s lease to expire")
	}
	c := county(t, "luoshan")
	const redisURL = "redis://127.0.0.1:6379/14"
	ropt, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	rdb.FlushDB(context.Background())
	defer rdb.FlushDB(context.Background())
	period := "2026-06-01"
	// Hold the job's lock so that the worker blocks inside the job.
	ctx := context.Background()
	conn, err := env.Owner.Bun.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lockKey := "job:" + c.String() + ":" + supervision.JobWeekClose + ":" + period
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtextextended(?, 0))", lockKey); err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClientFromRedisClient(rdb)
	if err := worker.Enqueue(ctx, client, worker.JobPayload{CountyID: c, Job: supervision.JobWeekClose, Period: period}, 5); err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "TUIJIN_WORKER_CHILD=1", "TUIJIN_DATABASE_URL="+env.AppURL, "TUIJIN_REDIS_URL="+redisURL,
			"TUIJIN_LOG_LEVEL=error", "TUIJIN_HTTP_ADDR=127.0.0.1:0", "TUIJIN_METRICS_ADDR=127.0.0.1:0", "TUIJIN_SCHEDULE_SYNC=1h", "TUIJIN_JOB_RETRY_BASE=1s", "TUIJIN_WORKER_CONCURRENCY=2")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	waiting := func() bool {
		var n int
		env.Owner.Bun.NewRaw("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(ctx, &n)
		return n > 0
	}
	runs := func() int {
		var n int
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewRaw("SELECT count(*) FROM job_runs WHERE job = ? AND period = ?", supervision.JobWeekClose, period).Scan(ctx, &n)
		})
		return n
	}
	first := start()
	waitFor(t, "the worker to block inside the job", 30*time.Second, waiting)
	if err := syscall.Kill(first.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(hashtextextended(?, 0))", lockKey); err != nil {
		t.Fatal(err)
	}
	if n := runs(); n != 0 {
		t.Fatalf("the killed run left %d job runs", n)
	}
	// asynq recovers the task once the dead worker's 30 s lease has expired
	// (plus 30 s allowed for clock skew), on its recoverer's next minute.
	second := start()
	defer func() { second.Process.Signal(syscall.SIGTERM); second.Wait() }()
	waitFor(t, "the job to complete after the restart", 150*time.Second, func() bool { return runs() == 1 })
	time.Sleep(2 * time.Second)
	if n := runs(); n != 1 {
		t.Fatalf("%d job runs, want 1", n)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

// A scheduled run (no period in its payload) pins the period it is for and
// that pinned task does the work, so a retry works on the same week.
func TestScheduledRunPinsItsPeriod(t *testing.T) {
	c := county(t, "luoshan")
	startWorker(t, &notify.Sender{}, 2)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 13})
	defer rdb.Close()
	client := asynq.NewClientFromRedisClient(rdb)
	now := time.Now()
	want := supervision.Period(supervision.WeekToClose(now, settings.Defaults()))
	for i := 0; i < 2; i++ { // two replicas' schedulers
		if err := worker.Enqueue(context.Background(), client, worker.JobPayload{CountyID: c, Job: supervision.JobWeekClose}, 2); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the pinned week close", 20*time.Second, func() bool {
		var n int
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewRaw("SELECT count(*) FROM job_runs WHERE job = ? AND period = ?", supervision.JobWeekClose, want).Scan(ctx, &n)
		})
		return n == 1
	})
}
