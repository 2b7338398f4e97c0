// Package worker is `tuijin worker` (issue 7 §1): an asynq server running
// each county's periodic jobs and the deliveries of messages, a scheduler
// whose entries are re-read from the counties' settings (a changed week
// close is picked up without a restart), and the outbox relay.
//
// Exactly-once results: a job's run for a county and period takes an
// advisory lock, writes its results with idempotent upserts and records the
// period in job_runs in one transaction, so a second worker, a retry or a
// run after a crash finds the period done. Several replicas' schedulers
// enqueue the same entry at the same minute; asynq's uniqueness keeps one.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/notify"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
	"github.com/tuijin/tuijin/internal/uploads"
)

// Task types.
const (
	TypeCountyJob = "county:job"
	TypeDeliver   = "notify:deliver"
)

// JobPayload names a county's job; Period, when set, pins the period
// (a manual run or a retry from the dead-letter list).
type JobPayload struct {
	CountyID uuid.UUID `json:"county_id"`
	Job      string    `json:"job"`
	Period   string    `json:"period,omitempty"`
}

// DeliverPayload names one delivery.
type DeliverPayload struct {
	CountyID   uuid.UUID `json:"county_id"`
	DeliveryID uuid.UUID `json:"delivery_id"`
}

// Deps are what the worker needs.
type Deps struct {
	DB           *db.DB
	Redis        redis.UniversalClient
	Sender       *notify.Sender
	Log          *slog.Logger
	Concurrency  int
	MaxRetry     int
	ScheduleSync time.Duration
	RetryBase    time.Duration // first retry delay, doubling up to an hour (default 10 s)
	PublicURL    string
	Now          func() time.Time // the clock jobs read (tests move it)
	Metrics      *Metrics         // nil: none
	// Uploads finishes uploads (photos' derivatives, refused workbooks'
	// annotations) and sweeps abandoned ones; nil: no object store.
	Uploads *uploads.Jobs
	// Assessments computes the assessments the office asks for; nil: no
	// object store.
	Assessments *assessmentdb.Computer
	client      *asynq.Client
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Run runs the worker until ctx ends.
func Run(ctx context.Context, d Deps) error {
	if d.MaxRetry <= 0 {
		d.MaxRetry = 8
	}
	d.client = asynq.NewClientFromRedisClient(d.Redis)
	srv := asynq.NewServerFromRedisClient(d.Redis, asynq.Config{
		Concurrency:     max(d.Concurrency, 1),
		Queues:          map[string]int{"jobs": 3, "deliveries": 5},
		RetryDelayFunc:  backoff(d.RetryBase),
		ErrorHandler:    asynq.ErrorHandlerFunc(d.deadLetter),
		Logger:          logger{d.Log},
		ShutdownTimeout: 20 * time.Second,
		// Retries are due to the second, not at the default 5 s granularity.
		DelayedTaskCheckInterval: time.Second,
		BaseContext:              func() context.Context { return context.WithoutCancel(ctx) },
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeCountyJob, d.Metrics.observe(d.handleJob))
	mux.HandleFunc(TypeDeliver, d.Metrics.observe(d.handleDeliver))
	mgr, err := asynq.NewPeriodicTaskManager(asynq.PeriodicTaskManagerOpts{
		RedisUniversalClient:       d.Redis,
		PeriodicTaskConfigProvider: provider{d},
		SyncInterval:               max(d.ScheduleSync, time.Second),
		SchedulerOpts:              &asynq.SchedulerOpts{Location: settings.Shanghai, Logger: logger{d.Log}, HeartbeatInterval: 2 * time.Second},
	})
	if err != nil {
		return err
	}
	if err := srv.Start(mux); err != nil {
		return err
	}
	if err := mgr.Start(); err != nil {
		srv.Shutdown()
		return err
	}
	d.Log.Info("worker started", "concurrency", d.Concurrency)
	relayDone, sweepDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(relayDone); Relay(ctx, d.DB, d.client, d.MaxRetry, d.Log) }()
	go func() {
		defer close(sweepDone)
		if d.Uploads != nil {
			Sweep(ctx, d.DB, uploads.Stager{DB: d.DB, Store: d.Uploads.Store, Log: d.Log}, time.Minute, d.Log)
		}
	}()
	<-ctx.Done()
	d.Log.Info("worker stopping")
	<-relayDone
	<-sweepDone
	mgr.Shutdown()
	srv.Shutdown()
	return nil
}

// backoff is base, 2×base, 4×base … capped at one hour.
func backoff(base time.Duration) asynq.RetryDelayFunc {
	if base <= 0 {
		base = 10 * time.Second
	}
	return func(n int, _ error, _ *asynq.Task) time.Duration {
		return time.Duration(math.Min(float64(time.Hour), float64(base)*math.Pow(2, float64(n))))
	}
}

// provider lists each county's periodic jobs from its settings in force today.
type provider struct{ d Deps }

func (p provider) GetConfigs() ([]*asynq.PeriodicTaskConfig, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var counties []postgres.County
	err := p.d.DB.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		counties, err = postgres.ListCounties(ctx, tx, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []*asynq.PeriodicTaskConfig
	for _, c := range counties {
		var s settings.Version
		err := p.d.DB.InCounty(ctx, c.ID, func(ctx context.Context, tx bun.IDB) error {
			var err error
			s, err = postgres.SettingsOn(ctx, tx, settings.Today(p.d.now()))
			return err
		})
		if err != nil {
			return nil, err
		}
		sched := supervision.Schedule(s.Values)
		for j, spec := range meeting.Schedule(s.Values) {
			sched[j] = spec
		}
		jobs := make([]string, 0, len(sched))
		for j := range sched {
			jobs = append(jobs, j)
		}
		sort.Strings(jobs)
		for _, j := range jobs {
			t, err := jobTask(JobPayload{CountyID: c.ID, Job: j}, p.d.MaxRetry)
			if err != nil {
				return nil, err
			}
			out = append(out, &asynq.PeriodicTaskConfig{Cronspec: sched[j], Task: t})
		}
	}
	return out, nil
}

func jobTask(p JobPayload, maxRetry int) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	opts := []asynq.Option{asynq.Queue("jobs"), asynq.MaxRetry(maxRetry), asynq.Timeout(30 * time.Minute)}
	if p.Period == "" {
		// Replicas' schedulers enqueue the same entry in the same minute: one stays.
		opts = append(opts, asynq.Unique(10*time.Minute))
	} else {
		// One task per county, job and period while it is queued or running.
		opts = append(opts, asynq.TaskID(fmt.Sprintf("job:%s:%s:%s", p.CountyID, p.Job, p.Period)))
	}
	return asynq.NewTask(TypeCountyJob, b, opts...), nil
}

// Enqueue queues a county's job now (a manual run or a retry).
func Enqueue(ctx context.Context, client *asynq.Client, p JobPayload, maxRetry int) error {
	t, err := jobTask(p, maxRetry)
	if err != nil {
		return err
	}
	_, err = client.EnqueueContext(ctx, t)
	if errors.Is(err, asynq.ErrDuplicateTask) || errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

func (d Deps) handleJob(ctx context.Context, t *asynq.Task) error {
	var p JobPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "worker:" + p.Job})
	if p.Period == "" {
		// A scheduled run: pin the period it is for and queue that, once
		// per county, job and period whichever replica's scheduler fired, so
		// that a retry (or a retry from the dead-letter list days later)
		// works on the same period.
		err := d.DB.InCounty(ctx, p.CountyID, func(ctx context.Context, tx bun.IDB) error {
			var err error
			p.Period, err = Period(ctx, tx, p.Job, d.now())
			return err
		})
		if err != nil {
			return err
		}
		return Enqueue(ctx, d.client, p, d.MaxRetry)
	}
	if p.Job == assessmentdb.JobCompute {
		// Gathering, storing the snapshot and writing run in separate steps.
		if d.Assessments == nil {
			return errors.New("no object store for assessments")
		}
		id, err := uuid.Parse(p.Period)
		if err != nil {
			return fmt.Errorf("%w: period %q is not a request id", asynq.SkipRetry, p.Period)
		}
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		start := time.Now()
		err = d.Assessments.RunCompute(ctx, p.CountyID, id, d.now(), retried >= maxRetry)
		d.Log.Info("job", "county", p.CountyID, "job", p.Job, "period", p.Period, "ms", time.Since(start).Milliseconds(), "error", err)
		return err
	}
	if uploads.IsJob(p.Job) {
		// Decoding and annotating run with no transaction open.
		if d.Uploads == nil {
			return errors.New("no object store for upload jobs")
		}
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		start := time.Now()
		err := d.Uploads.Run(ctx, p.CountyID, p.Job, p.Period, retried >= maxRetry)
		d.Log.Info("job", "county", p.CountyID, "job", p.Job, "period", p.Period, "ms", time.Since(start).Milliseconds(), "error", err)
		return err
	}
	start := time.Now()
	var result any
	err := d.DB.InCounty(ctx, p.CountyID, func(ctx context.Context, tx bun.IDB) error {
		var err error
		result, err = RunJob(ctx, tx, p, d.now())
		return err
	})
	d.Log.Info("job", "county", p.CountyID, "job", p.Job, "period", p.Period, "ms", time.Since(start).Milliseconds(), "error", err)
	if err == nil {
		if b, e := json.Marshal(result); e == nil {
			_, _ = t.ResultWriter().Write(b)
		}
	}
	return err
}

// Period is the period a job run at now is for: the latest week whose close
// time has come (week_close), this week (report_reminder), today (deadlines).
func Period(ctx context.Context, tx bun.IDB, job string, now time.Time) (string, error) {
	switch job {
	case supervision.JobWeekClose:
		s, err := postgres.SettingsOn(ctx, tx, settings.Today(now))
		if err != nil {
			return "", err
		}
		return supervision.Period(supervision.WeekToClose(now, s.Values)), nil
	case supervision.JobReportReminder:
		return supervision.Period(reporting.WeekStart(now)), nil
	case supervision.JobDeadlines, meeting.JobPrepare:
		return settings.Today(now).Format(time.DateOnly), nil
	}
	return "", fmt.Errorf("%w: unknown job %q", asynq.SkipRetry, job)
}

// RunJob runs one county's job in tx (bound to the county) for its period
// (resolved at now when the payload names none).
func RunJob(ctx context.Context, tx bun.IDB, p JobPayload, now time.Time) (any, error) {
	period := p.Period
	if period == "" {
		var err error
		if period, err = Period(ctx, tx, p.Job, now); err != nil {
			return nil, err
		}
	}
	day, err := time.Parse(time.DateOnly, period)
	if err != nil {
		return nil, fmt.Errorf("%w: period %q", asynq.SkipRetry, period)
	}
	switch p.Job {
	case supervision.JobWeekClose:
		return supervisiondb.CloseWeek(ctx, tx, day, now)
	case supervision.JobReportReminder:
		return supervisiondb.RemindReports(ctx, tx, day)
	case supervision.JobDeadlines:
		return supervisiondb.DeadlineMessages(ctx, tx, day)
	case meeting.JobPrepare:
		return meetingdb.RunDaily(ctx, tx, day, now)
	}
	return nil, fmt.Errorf("%w: unknown job %q", asynq.SkipRetry, p.Job)
}

func (d Deps) handleDeliver(ctx context.Context, t *asynq.Task) error {
	var p DeliverPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	return d.Deliver(ctx, p, retried >= maxRetry) // asynq retries a failed attempt
}

// DeliveryLease is how long an attempt holds a delivery: longer than a send
// may take (notify's timeouts), after which another attempt may take over.
const DeliveryLease = 2 * time.Minute

// Deliver makes one attempt at a delivery: it leases the delivery in one
// short transaction, sends with no transaction open, and records the
// outcome in another; last makes a failure final (dead). A delivery recorded
// as sent is never sent again; one whose worker died while sending is sent
// again once the lease has run out (at least once). It fails with the send's
// error, or postgres.ErrDeliveryLeased while another attempt holds it.
func (d Deps) Deliver(ctx context.Context, p DeliverPayload, last bool) error {
	var del postgres.Delivery
	var ok bool
	err := d.DB.InCounty(ctx, p.CountyID, func(ctx context.Context, tx bun.IDB) error {
		var err error
		del, ok, err = postgres.ClaimDelivery(ctx, tx, p.DeliveryID, DeliveryLease)
		return err
	})
	if err != nil || !ok {
		return err // sent already (a retry after success), dead, or gone
	}
	link := ""
	if del.Link != "" {
		link = strings.TrimRight(d.PublicURL, "/") + del.Link
	}
	sendErr := d.Sender.Send(ctx, del.Channel, del.Target, del.Secret,
		notify.Message{Title: del.Title, Body: del.Body, Link: link, ID: del.ID.String()})
	err = d.DB.InCounty(context.WithoutCancel(ctx), p.CountyID, func(ctx context.Context, tx bun.IDB) error {
		return postgres.FinishDelivery(ctx, tx, del, sendErr, last, time.Now())
	})
	return errors.Join(sendErr, err)
}

// deadLetter records a task that failed its last retry, in its county.
func (d Deps) deadLetter(ctx context.Context, t *asynq.Task, err error) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if retried < maxRetry && !errors.Is(err, asynq.SkipRetry) {
		return
	}
	var p struct {
		CountyID uuid.UUID `json:"county_id"`
	}
	if json.Unmarshal(t.Payload(), &p) != nil || p.CountyID == uuid.Nil {
		d.Log.Error("dead task without a county", "type", t.Type(), "error", err)
		return
	}
	e := d.DB.InCounty(context.WithoutCancel(ctx), p.CountyID, func(ctx context.Context, tx bun.IDB) error {
		return postgres.AddDeadLetter(ctx, tx, t.Type(), t.Payload(), err.Error(), retried+1)
	})
	d.Log.Error("job dead-lettered", "type", t.Type(), "county", p.CountyID, "error", err, "record_error", e)
}

// logger adapts slog to asynq.
type logger struct{ l *slog.Logger }

func (l logger) Debug(args ...any) { l.l.Debug(fmt.Sprint(args...)) }
func (l logger) Info(args ...any)  { l.l.Info(fmt.Sprint(args...)) }
func (l logger) Warn(args ...any)  { l.l.Warn(fmt.Sprint(args...)) }
func (l logger) Error(args ...any) { l.l.Error(fmt.Sprint(args...)) }
func (l logger) Fatal(args ...any) { l.l.Error(fmt.Sprint(args...)) }

// Metrics count the worker's tasks by type and outcome.
type Metrics struct {
	Tasks    *prometheus.CounterVec
	Duration *prometheus.HistogramVec
}

// NewMetrics makes the worker's collectors (register them with a registry).
func NewMetrics() *Metrics {
	return &Metrics{
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tuijin_worker_tasks_total",
			Help: "Tasks handled by the worker by type and outcome (ok, error)."}, []string{"type", "outcome"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tuijin_worker_task_duration_seconds",
			Help: "Task durations by type.", Buckets: []float64{.01, .05, .1, .5, 1, 5, 30, 120}}, []string{"type"}),
	}
}

// Collectors are the collectors to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Tasks, m.Duration}
}

// observe wraps a handler with the metrics.
func (m *Metrics) observe(h asynq.HandlerFunc) asynq.HandlerFunc {
	if m == nil {
		return h
	}
	return func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := h(ctx, t)
		outcome := "ok"
		if err != nil {
			outcome = "error"
		}
		m.Tasks.WithLabelValues(t.Type(), outcome).Inc()
		m.Duration.WithLabelValues(t.Type()).Observe(time.Since(start).Seconds())
		return err
	}
}
