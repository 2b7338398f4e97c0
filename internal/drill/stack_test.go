package drill_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/servicetest"
)

const password = "Drill@2026"

// stack is one tuijin server over servers of the drill's own, with the
// demo tenants loaded through `tuijin migrate` and `tuijin demo`.
type stack struct {
	t     *testing.T
	vars  map[string]string
	pg    *servicetest.Postgres
	redis *servicetest.Redis
	minio *servicetest.MinIO
	env   *dbtest.Env
	cfg   config.Config
	base  string
	log   string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	s := &stack{t: t, pg: servicetest.StartPostgres(t), redis: servicetest.StartRedis(t), minio: servicetest.StartMinIO(t)}
	env, err := dbtest.NewAt(ctx, s.pg.AdminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	s.env = env
	vars := map[string]string{
		"TUIJIN_DATABASE_URL":         env.AppURL,
		"TUIJIN_MIGRATE_DATABASE_URL": env.OwnerURL,
		"TUIJIN_BACKUP_DATABASE_URL":  env.BackupURL,
		"TUIJIN_REDIS_URL":            s.redis.URL(),
		"TUIJIN_HTTP_ADDR":            "127.0.0.1:0",
		"TUIJIN_METRICS_ADDR":         "127.0.0.1:0",
		"TUIJIN_S3_ENDPOINT":          s.minio.Endpoint(),
		"TUIJIN_S3_ACCESS_KEY":        servicetest.MinIOUser,
		"TUIJIN_S3_SECRET_KEY":        servicetest.MinIOPassword,
		"TUIJIN_S3_BUCKET":            "drill",
		"TUIJIN_S3_LOCK_MODE":         "GOVERNANCE",
		"TUIJIN_RETAIN_YEARS":         "1",
		"TUIJIN_DEMO_PASSWORD":        password,
		"TUIJIN_LOG_LEVEL":            "error",
		"TUIJIN_SCHEDULE_SYNC":        "1h",
	}
	s.vars = vars
	getenv := config.Map(vars)
	for _, cmd := range [][]string{{"migrate"}, {"demo"}} {
		if err := app.Run(ctx, cmd, getenv, io.Discard); err != nil {
			t.Fatalf("tuijin %s: %v", cmd[0], err)
		}
	}
	if s.cfg, err = config.Load(getenv); err != nil {
		t.Fatal(err)
	}
	s.log = filepath.Join(t.TempDir(), "serve.log")
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(logf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sctx, cancel := context.WithCancel(ctx)
	ready := make(chan app.Addrs, 1)
	errc := make(chan error, 1)
	go func() { errc <- app.Serve(sctx, s.cfg, log, ready) }()
	select {
	case a := <-ready:
		s.base = "http://" + a.API
	case err := <-errc:
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-errc
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(s.log)
			t.Logf("server log (last 4 KiB):\n%s", tail(b, 4096))
		}
	})
	return s
}

// startWorker runs `tuijin worker` over the drill's servers until the test
// ends.
func (s *stack) startWorker() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, []string{"worker"}, config.Map(s.vars), io.Discard) }()
	s.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			s.t.Errorf("worker: %v", err)
		}
	})
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// answer is what one request got.
type answer struct {
	status     int
	retryAfter string
	code       string
	body       []byte
	err        error // no answer at all
}

var client = &http.Client{Timeout: 60 * time.Second}

func (s *stack) do(token, method, path, contentType string, body []byte) answer {
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	a.body, a.err = io.ReadAll(resp.Body)
	if a.status >= 400 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(a.body, &e)
		a.code = e.Error.Code
	}
	return a
}

func (s *stack) json(token, method, path string, v any) answer {
	b, _ := json.Marshal(v)
	return s.do(token, method, path, "application/json", b)
}

// login returns a bearer token for a demo account.
func (s *stack) login(user string) (string, answer) {
	a := s.json("", "POST", "/api/v1/auth/tokens", map[string]string{"username": user, "password": password})
	if a.status != http.StatusCreated {
		return "", a
	}
	var tok struct{ Token string }
	_ = json.Unmarshal(a.body, &tok)
	return tok.Token, a
}

func (s *stack) mustLogin(user string) string {
	s.t.Helper()
	tok, a := s.login(user)
	if tok == "" {
		s.t.Fatalf("login %s: %d %s %v", user, a.status, a.body, a.err)
	}
	return tok
}

// tally counts the answers of a drill.
type tally struct {
	mu                                 sync.Mutex
	sent, answered, ok, clean, unclean int
	samples                            []string
}

// note records an answer and says whether (and after how long) to send
// the request again: never after a success or a refusal of the request
// itself, after Retry-After for a clean 503, after a second otherwise.
func (c *tally) note(a answer) (again bool, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	switch {
	case a.err != nil && a.status == 0:
		c.unclean++
		c.sample(fmt.Sprintf("no answer: %v", a.err))
		return true, time.Second
	case a.status < 300:
		c.answered++
		c.ok++
		return false, 0
	case a.status == http.StatusServiceUnavailable && a.code != "" && a.retryAfter != "":
		c.answered++
		c.clean++
		n, err := strconv.Atoi(a.retryAfter)
		if err != nil || n < 1 {
			c.clean--
			c.unclean++
			c.sample("bad Retry-After " + a.retryAfter)
			return true, time.Second
		}
		return true, time.Duration(n) * time.Second
	default:
		c.answered++
		c.unclean++
		c.sample(fmt.Sprintf("%d %s %.200s", a.status, a.retryAfter, a.body))
		return a.status >= 500, time.Second
	}
}

func (c *tally) sample(s string) {
	if len(c.samples) < 5 {
		c.samples = append(c.samples, s)
	}
}

func (c *tally) String() string {
	return fmt.Sprintf("%d requests sent, %d answered: %d succeeded, %d clean errors (503 with Retry-After), %d other failures %v",
		c.sent, c.answered, c.ok, c.clean, c.unclean, c.samples)
}

// retry sends a request until it succeeds or is refused for itself, at
// most 20 times, honouring Retry-After; it returns the last answer.
func retry(c *tally, send func() answer) answer {
	var a answer
	for i := 0; i < 20; i++ {
		a = send()
		again, wait := c.note(a)
		if !again {
			return a
		}
		time.Sleep(wait)
	}
	return a
}

// county returns a county's id by its code.
func (s *stack) county(code string) uuid.UUID {
	s.t.Helper()
	var id uuid.UUID
	if err := s.env.Owner.Bun.NewRaw("SELECT id FROM counties WHERE code = ?", code).Scan(context.Background(), &id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

// inCounty runs fn as the owning role in a county (Row-Level Security is
// forced on the owner too).
func (s *stack) inCounty(county uuid.UUID, fn func(ctx context.Context, tx bun.IDB) error) {
	s.t.Helper()
	if err := s.env.Owner.InCounty(context.Background(), county, fn); err != nil {
		s.t.Fatal(err)
	}
}

// helperProjects are the projects a field account drafts reports for.
func (s *stack) helperProjects(token string) []uuid.UUID {
	s.t.Helper()
	a := s.do(token, "GET", "/api/v1/projects?limit=200", "", nil)
	var list struct {
		Items []struct {
			ID uuid.UUID `json:"id"`
		} `json:"items"`
	}
	if a.status != 200 || json.Unmarshal(a.body, &list) != nil {
		s.t.Fatalf("projects: %d %s", a.status, a.body)
	}
	var out []uuid.UUID
	first := weeks(1)[0]
	for _, p := range list.Items {
		r := s.json(token, "PUT", reportPath(p.ID, first), map[string]any{"image_progress": "准备", "image_percent": 1, "investment_yuan": 0})
		if r.status == 200 {
			out = append(out, p.ID)
		}
	}
	if len(out) == 0 {
		s.t.Fatal("the account drafts no project's report")
	}
	return out
}

// weeks are the Mondays of past weeks of this year, newest first, n at most.
func weeks(n int) []string {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(sh)
	monday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, sh)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	var out []string
	for w := monday.AddDate(0, 0, -7); w.Year() == now.Year() && w.YearDay() > 7 && len(out) < n; w = w.AddDate(0, 0, -7) {
		out = append(out, w.Format(time.DateOnly))
	}
	return out
}

func reportPath(p uuid.UUID, week string) string {
	return "/api/v1/projects/" + p.String() + "/reports/" + week
}

func logCounts(t *testing.T, what string, c *tally, extra ...string) {
	t.Helper()
	t.Logf("%s: %s; %s", what, c, strings.Join(extra, "; "))
}
