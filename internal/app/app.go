// Package app wires tuijin's parts together for each subcommand.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/console"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/demo"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/assessmentapi"
	"github.com/tuijin/tuijin/internal/httpapi/batchstartapi"
	"github.com/tuijin/tuijin/internal/httpapi/bulletinapi"
	"github.com/tuijin/tuijin/internal/httpapi/meetingapi"
	"github.com/tuijin/tuijin/internal/httpapi/observationapi"
	"github.com/tuijin/tuijin/internal/httpapi/reportingapi"
	"github.com/tuijin/tuijin/internal/httpapi/reviewapi"
	"github.com/tuijin/tuijin/internal/httpapi/supervisionapi"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/notify"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/photo"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/uploads"
	"github.com/tuijin/tuijin/internal/worker"
	"github.com/tuijin/tuijin/migrations"
)

// Areas are the API areas served beside the platform's own routes.
var Areas = []httpapi.Area{reportingapi.Routes, supervisionapi.Routes, bulletinapi.Routes, meetingapi.Routes, reviewapi.Routes, batchstartapi.Routes, observationapi.Routes, assessmentapi.Routes}

const usage = `usage: tuijin <command>

commands:
  serve          serve the API and console on TUIJIN_HTTP_ADDR
  worker         run the background jobs, the counties' schedules and message deliveries
  migrate        apply migrations and permissions (as the owning role, TUIJIN_MIGRATE_DATABASE_URL)
  demo           load the demo prefecture, counties and accounts (idempotent)
  audit verify   check every county's audit hash chain
  bulletin verify  recompute every issued bulletin from its stored inputs and check its stored files
  assessment verify  recompute every assessment version from its frozen snapshot and compare the results byte for byte
  backup DIR     copy the database (as TUIJIN_BACKUP_DATABASE_URL) and the bucket into DIR
  restore DIR    load DIR into an empty database and bucket, then check counts, hashes and audit chains
  openapi        print the OpenAPI document of the API
  healthcheck    exit 0 when the local server is ready (for container health checks)
  config         print the configuration variables and their defaults`

// Run runs one subcommand.
func Run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout io.Writer) error {
	cfg, err := config.Load(lookup)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(cfg.LogLevel, os.Stderr)
	if len(args) == 0 {
		return errors.New(usage)
	}
	if len(args) == 2 && (args[0] == "backup" || args[0] == "restore") {
		if args[0] == "backup" {
			return Backup(ctx, cfg, args[1], stdout)
		}
		return Restore(ctx, cfg, log, args[1], stdout)
	}
	switch strings.Join(args, " ") {
	case "serve":
		log.Info("starting tuijin serve", "config", cfg)
		return Serve(ctx, cfg, log, nil)
	case "worker":
		log.Info("starting tuijin worker", "config", cfg)
		return Worker(ctx, cfg, log)
	case "migrate":
		return Migrate(ctx, cfg, log)
	case "demo":
		return Demo(ctx, cfg, log, stdout)
	case "audit verify":
		return AuditVerify(ctx, cfg, stdout)
	case "bulletin verify":
		return BulletinVerify(ctx, cfg, stdout)
	case "assessment verify":
		return AssessmentVerify(ctx, cfg, stdout)
	case "openapi":
		srv, err := httpapi.New(httpapi.Deps{Config: cfg, Log: log, Areas: Areas})
		if err != nil {
			return err
		}
		_, err = stdout.Write(srv.OpenAPI())
		return err
	case "healthcheck":
		return Healthcheck(ctx, cfg)
	case "config":
		for _, d := range config.Docs() {
			fmt.Fprintf(stdout, "%s=%s\t# %s\n", d.Name, d.Default, d.Description)
		}
		return nil
	}
	return errors.New(usage)
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Addrs are the addresses a serving process listens on.
type Addrs struct{ API, Metrics string }

// Serve runs the API until ctx ends; ready, if not nil, receives the
// listeners' addresses once they accept connections.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger, ready chan<- Addrs) error {
	d, rdb, err := openStores(ctx, cfg, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer d.Close()
	defer rdb.Close()
	z, err := authz.New(authz.NewAdapter(d.Bun))
	if err != nil {
		return err
	}
	store, err := objects.Open(objects.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Bucket: cfg.S3Bucket, TLS: cfg.S3UseTLS, Governance: cfg.S3LockMode == "GOVERNANCE"})
	if err != nil {
		return fmt.Errorf("TUIJIN_S3_*: %w", err)
	}
	bctx, cancelBucket := context.WithTimeout(ctx, 10*time.Second)
	if err := store.EnsureBucket(bctx); err != nil {
		// Files are one part of the platform: serve the rest and say so.
		log.Error("object storage not ready; file endpoints will answer 503 until it is", "error", err)
	}
	cancelBucket()
	metrics := httpapi.NewMetrics(d.Bun.DB)
	srv, err := httpapi.New(httpapi.Deps{Config: cfg, DB: d, Redis: rdb, Authz: z, Hasher: auth.NewHasher(cfg.HashConcurrency),
		Throttle: auth.NewThrottle(rdb, cfg.LoginMaxPerUser, cfg.LoginMaxPerIP, cfg.LoginWindow), Log: log, Metrics: metrics,
		Console: console.Handler(), Objects: store, Areas: Areas})
	if err != nil {
		return err
	}
	go watchChanges(ctx, rdb, z, srv, log)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
	addrs := Addrs{API: ln.Addr().String()}
	errc := make(chan error, 2)
	servers := []*http.Server{hs}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, ms)
		addrs.Metrics = mln.Addr().String()
		go func() { errc <- ms.Serve(mln) }()
	}
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", addrs.API, "metrics", addrs.Metrics)
	if ready != nil {
		ready <- addrs
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var errs []error
	for _, s := range servers {
		errs = append(errs, s.Shutdown(sctx))
	}
	return errors.Join(errs...)
}

// openStores opens the application's PostgreSQL pool and its Redis client.
func openStores(ctx context.Context, cfg config.Config, maxConns int) (*db.DB, *redis.Client, error) {
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("TUIJIN_REDIS_URL: %w", err)
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, maxConns)
	if err != nil {
		return nil, nil, err
	}
	return d, redis.NewClient(ropt), nil
}

// Worker runs the background jobs until ctx ends. It answers /readyz and
// /healthz on TUIJIN_HTTP_ADDR (for `tuijin healthcheck` and probes) and
// serves /metrics on TUIJIN_METRICS_ADDR.
func Worker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	d, rdb, err := openStores(ctx, cfg, cfg.WorkerConcurrency+4)
	if err != nil {
		return err
	}
	defer d.Close()
	defer rdb.Close()
	metrics := httpapi.NewMetrics(d.Bun.DB)
	wm := worker.NewMetrics()
	metrics.Register(wm.Collectors()...)
	health := http.NewServeMux()
	health.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	health.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := errors.Join(d.Ping(ctx), rdb.Ping(ctx).Err()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	var servers []*http.Server
	listen := func(addr string, h http.Handler) error {
		if addr == "" {
			return nil
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, s)
		go s.Serve(ln)
		return nil
	}
	mm := http.NewServeMux()
	mm.Handle("GET /metrics", metrics.Handler())
	if err := errors.Join(listen(cfg.HTTPAddr, health), listen(cfg.MetricsAddr, mm)); err != nil {
		return err
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	store, err := objects.Open(objects.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Bucket: cfg.S3Bucket, TLS: cfg.S3UseTLS, Governance: cfg.S3LockMode == "GOVERNANCE"})
	if err != nil {
		return fmt.Errorf("TUIJIN_S3_*: %w", err)
	}
	jobs := &uploads.Jobs{DB: d, Store: store, Decoder: photo.NewDecoder(cfg.DecodeBudget, cfg.DecodeConcurrency), RetainYears: cfg.RetainYears, Log: log}
	computer := &assessmentdb.Computer{DB: d, Stager: uploads.Stager{DB: d, Store: store, Log: log}, RetainYears: cfg.RetainYears}
	return worker.Run(ctx, worker.Deps{DB: d, Redis: rdb, Sender: notify.New(cfg), Log: log, Metrics: wm, Uploads: jobs, Assessments: computer,
		Concurrency: cfg.WorkerConcurrency, MaxRetry: cfg.JobMaxRetry, RetryBase: cfg.JobRetryBase, ScheduleSync: cfg.ScheduleSync, PublicURL: cfg.PublicURL})
}

// Healthcheck asks the local server's /readyz; container images have no
// shell or curl, so the binary checks itself.
func Healthcheck(ctx context.Context, cfg config.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	host, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz answered %d", resp.StatusCode)
	}
	return nil
}

// watchChanges applies what other replicas announce: a changed policy is
// reloaded, an account's cached sessions are dropped.
func watchChanges(ctx context.Context, rdb *redis.Client, z *authz.Authorizer, srv *httpapi.Server, log *slog.Logger) {
	sub := rdb.Subscribe(ctx, httpapi.AuthzChannel, httpapi.SessionsChannel)
	defer sub.Close()
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-ch:
			switch m.Channel {
			case httpapi.AuthzChannel:
				if err := z.Reload(ctx); err != nil {
					log.Error("reload casbin policy", "error", err)
				}
			case httpapi.SessionsChannel:
				if id, err := uuid.Parse(m.Payload); err == nil {
					srv.EvictSessions(id)
				}
			}
		}
	}
}

// Migrate applies the migrations and writes the route permissions.
func Migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	owner, err := db.Open(ctx, cfg.MigrateURL, 2)
	if err != nil {
		return err
	}
	defer owner.Close()
	applied, err := db.Migrate(ctx, owner, migrations.FS, cfg.AppRole)
	if err != nil {
		return err
	}
	perms, err := httpapi.RoutePermissions(cfg, Areas...)
	if err != nil {
		return err
	}
	if err := owner.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error { return authz.SyncPermissions(ctx, tx, perms) }); err != nil {
		return err
	}
	if ok, err := db.GrantReader(ctx, owner, cfg.BackupRole); err != nil {
		return err
	} else if !ok {
		log.Warn("backup role does not exist: create it (LOGIN BYPASSRLS) to take backups", "role", cfg.BackupRole)
	}
	log.Info("migrated", "applied", applied, "permissions", len(perms))
	return nil
}

// Demo loads the demo tenants and prints the demo accounts.
func Demo(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) error {
	app, err := db.Open(ctx, cfg.DatabaseURL, 4)
	if err != nil {
		return err
	}
	defer app.Close()
	owner, err := db.Open(ctx, cfg.MigrateURL, 2)
	if err != nil {
		return err
	}
	defer owner.Close()
	accounts, err := demo.Load(ctx, app, owner, auth.NewHasher(0), cfg.DemoPassword)
	if err != nil {
		return err
	}
	// The meeting calendar as the worker's first morning run would leave it.
	now := time.Now()
	var counties []postgres.County
	if err := app.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
		counties, err = postgres.ListCounties(ctx, tx, nil)
		return err
	}); err != nil {
		return err
	}
	for _, c := range counties {
		if err := app.InCounty(ctx, c.ID, func(ctx context.Context, tx bun.IDB) error {
			_, err := meetingdb.RunDaily(ctx, tx, settings.Today(now), now)
			return err
		}); err != nil {
			return fmt.Errorf("%s meetings: %w", c.Name, err)
		}
	}
	fmt.Fprintf(out, "\nDemo accounts (password %s):\n", cfg.DemoPassword)
	for _, a := range accounts {
		fmt.Fprintf(out, "  %-22s %-10s %s\n", a.Username, a.County, a.Role)
	}
	return nil
}

// AuditVerify checks every audit chain and fails when one is broken.
func AuditVerify(ctx context.Context, cfg config.Config, out io.Writer) error {
	owner, err := db.Open(ctx, cfg.MigrateURL, 2)
	if err != nil {
		return err
	}
	defer owner.Close()
	breaks, checked, err := postgres.VerifyAudit(ctx, owner.Bun)
	if err != nil {
		return err
	}
	if len(breaks) == 0 {
		fmt.Fprintf(out, "audit chain intact: %d entries checked\n", checked)
		return nil
	}
	for _, b := range breaks {
		fmt.Fprintln(out, "BROKEN:", b)
	}
	return fmt.Errorf("audit chain broken in %d chain(s); first: %s", len(breaks), breaks[0])
}

// eachCounty opens the database and the object store and runs fn in each
// county in turn (the verify commands).
func eachCounty(ctx context.Context, cfg config.Config, fn func(ctx context.Context, tx bun.IDB, store objects.Keeper, c postgres.County) error) error {
	d, err := db.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer d.Close()
	store, err := objects.Open(objects.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Bucket: cfg.S3Bucket, TLS: cfg.S3UseTLS, Governance: cfg.S3LockMode == "GOVERNANCE"})
	if err != nil {
		return fmt.Errorf("TUIJIN_S3_*: %w", err)
	}
	var counties []postgres.County
	if err := d.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
		counties, err = postgres.ListCounties(ctx, tx, nil)
		return err
	}); err != nil {
		return err
	}
	stager := uploads.Stager{DB: d, Store: store, Log: slog.New(slog.DiscardHandler)}
	for _, c := range counties {
		// Files still queued (issued, not yet stored) are read from the
		// queue: a verification never waits for the worker.
		var k *uploads.Deferred
		if err := d.InCounty(ctx, c.ID, func(ctx context.Context, tx bun.IDB) error {
			k = &uploads.Deferred{Tx: tx, Store: store}
			return fn(ctx, tx, k, c)
		}); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		if k.Queued() {
			if _, err := stager.Flush(ctx, c.ID); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		}
	}
	return nil
}

// AssessmentVerify recomputes every county's assessment versions from
// their stored snapshots (see assessmentdb.Verify) and reports any
// difference; it fails when one does not hold.
func AssessmentVerify(ctx context.Context, cfg config.Config, out io.Writer) error {
	total, failed := 0, 0
	err := eachCounty(ctx, cfg, func(ctx context.Context, tx bun.IDB, store objects.Keeper, c postgres.County) error {
		checked, found, err := assessmentdb.Verify(ctx, tx, assessmentdb.Files{Store: store, RetainYears: cfg.RetainYears})
		total += checked
		failed += len(found)
		for _, f := range found {
			fmt.Fprintf(out, "%s %s %s: %s\n", c.Name, f.ID, f.Label, f.Problem)
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d assessment versions checked, %d do not hold\n", total, failed)
	if failed > 0 {
		return fmt.Errorf("%d assessment versions do not hold", failed)
	}
	return nil
}

// BulletinVerify checks every county's issued bulletins (see
// bulletindb.Verify) and fails when one does not hold: its figures
// recomputed from its stored inputs differ from those issued, or a stored
// file no longer matches its hash.
func BulletinVerify(ctx context.Context, cfg config.Config, out io.Writer) error {
	total, failed := 0, 0
	err := eachCounty(ctx, cfg, func(ctx context.Context, tx bun.IDB, store objects.Keeper, c postgres.County) error {
		checked, found, err := bulletindb.Verify(ctx, tx, bulletindb.Files{Store: store, Fonts: cfg.PDFFont, RetainYears: cfg.RetainYears})
		total += checked
		for _, f := range found {
			if f.Fatal {
				failed++
			}
			fmt.Fprintf(out, "%s %s %s: %s\n", c.Name, f.BulletinID, f.Title, f.Problem)
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d issued bulletin versions checked, %d do not hold\n", total, failed)
	if failed > 0 {
		return fmt.Errorf("%d bulletin versions do not hold", failed)
	}
	return nil
}
