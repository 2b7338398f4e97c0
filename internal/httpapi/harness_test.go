package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/demo"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/objects"
)

const demoPassword = "Tuijin@2026-test"

// harness is one real server (the same Serve that `tuijin serve` runs) on a
// fresh database with the demo tenants loaded. Loopback is its trusted proxy,
// so a test can speak for distinct client addresses with X-Forwarded-For.
type harness struct {
	env     *dbtest.Env
	cfg     config.Config
	base    string
	metrics string
	doc     *openapi3.T
	router  routers.Router
	rdb     *redis.Client
	store   *objects.Store
}

// dropBucket removes the run's bucket, bypassing its governance locks.
func (h *harness) dropBucket() {
	ctx := context.Background()
	c := h.store.Client()
	for o := range c.ListObjects(ctx, h.store.Bucket(), minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		_ = c.RemoveObject(ctx, h.store.Bucket(), o.Key, minio.RemoveObjectOptions{VersionID: o.VersionID, GovernanceBypass: true})
	}
	_ = c.RemoveBucket(ctx, h.store.Bucket())
}

var h *harness

func TestMain(m *testing.M) {
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	h, err = start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
	code := m.Run()
	cancel()
	time.Sleep(100 * time.Millisecond)
	h.dropBucket()
	h.env.Close()
	os.Exit(code)
}

func start(ctx context.Context) (*harness, error) {
	env, err := dbtest.New(ctx)
	if err != nil {
		return nil, err
	}
	// TUIJIN_TEST_REDIS_URL lets two runs on one machine keep apart (the
	// database and the bucket are each run's own already).
	redisURL := "redis://127.0.0.1:6379/11"
	if v := os.Getenv("TUIJIN_TEST_REDIS_URL"); v != "" {
		redisURL = v
	}
	vars := map[string]string{
		"TUIJIN_DATABASE_URL":         env.AppURL,
		"TUIJIN_MIGRATE_DATABASE_URL": env.OwnerURL,
		"TUIJIN_REDIS_URL":            redisURL,
		"TUIJIN_HTTP_ADDR":            "127.0.0.1:0",
		"TUIJIN_METRICS_ADDR":         "127.0.0.1:0",
		"TUIJIN_TRUSTED_PROXIES":      "127.0.0.1/32",
		"TUIJIN_DEMO_PASSWORD":        demoPassword,
		"TUIJIN_LOG_LEVEL":            "warn",
		// A bucket of this run's own, in GOVERNANCE mode so that it can be
		// emptied afterwards with an explicit bypass (production: COMPLIANCE).
		"TUIJIN_S3_BUCKET":    "tuijin-test-" + strings.ToLower(uuid.NewString()[:8]),
		"TUIJIN_S3_LOCK_MODE": "GOVERNANCE",
		"TUIJIN_RETAIN_YEARS": "1",
	}
	cfg, err := config.Load(config.Map(vars))
	if err != nil {
		return nil, err
	}
	perms, err := httpapi.RoutePermissions(cfg, app.Areas...)
	if err != nil {
		return nil, err
	}
	if err := env.Owner.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error { return authz.SyncPermissions(ctx, tx, perms) }); err != nil {
		return nil, err
	}
	if _, err := demo.Load(ctx, env.App, env.Owner, auth.NewHasher(0), demoPassword); err != nil {
		return nil, err
	}
	ropt, _ := redis.ParseURL(cfg.RedisURL)
	rdb := redis.NewClient(ropt)
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return nil, err
	}
	logf, _ := os.CreateTemp("", "tuijin-api-test-*.log")
	log := slog.New(slog.NewJSONHandler(logf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ready := make(chan app.Addrs, 1)
	errc := make(chan error, 1)
	go func() { errc <- app.Serve(ctx, cfg, log, ready) }()
	var addrs app.Addrs
	select {
	case addrs = <-ready:
	case err := <-errc:
		return nil, err
	}
	hh := &harness{env: env, cfg: cfg, base: "http://" + addrs.API, metrics: "http://" + addrs.Metrics, rdb: rdb}
	if hh.store, err = objects.Open(objects.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, Bucket: cfg.S3Bucket, Governance: true}); err != nil {
		return nil, err
	}
	if err := hh.store.EnsureBucket(ctx); err != nil {
		return nil, fmt.Errorf("MinIO must run on %s (scripts/test.sh starts it): %w", cfg.S3Endpoint, err)
	}
	resp, err := http.Get(hh.base + "/api/v1/openapi.json")
	if err != nil {
		return nil, err
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi document invalid: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: hh.base}}
	for _, ct := range []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf", "image/jpeg", "image/png"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	hh.doc = doc
	if hh.router, err = gorillamux.NewRouter(doc); err != nil {
		return nil, err
	}
	return hh, nil
}

// client is one caller: a bearer token or a cookie, and optionally the
// address a trusted proxy says it speaks for.
type client struct {
	t      testing.TB
	token  string
	cookie string
	xff    string
}

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

// code returns the error code of an error response.
func (r response) code() string {
	var e httpapi.ErrorBody
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func anon(t testing.TB) *client { return &client{t: t} }

// login returns a bearer-token client for a demo account.
func login(t testing.TB, user string) *client {
	t.Helper()
	return loginWith(t, user, demoPassword)
}

func loginWith(t testing.TB, user, password string) *client {
	t.Helper()
	r := anon(t).do("POST", "/api/v1/auth/tokens", map[string]string{"username": user, "password": password})
	if r.Status != http.StatusCreated {
		t.Fatalf("login %s: %d %s", user, r.Status, r.Body)
	}
	var tok httpapi.TokenResponse
	r.decode(t, &tok)
	return &client{t: t, token: tok.Token}
}

// do sends a request and validates the response against the OpenAPI
// document. body may be nil, a string (sent as is) or a value (as JSON).
func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	return c.doWith(method, path, body, "application/json")
}

func (c *client) doWith(method, path string, body any, contentType string) response {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	req, _ := http.NewRequest(method, h.base+path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", httpapi.SessionCookie+"="+c.cookie)
	}
	if c.xff != "" {
		req.Header.Set("X-Forwarded-For", c.xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Body: out, Header: resp.Header}
	validate(c.t, req, r)
	return r
}

// validate checks a response against the OpenAPI document (routes outside
// the document, like /healthz, are not checked).
func validate(t testing.TB, req *http.Request, r response) {
	t.Helper()
	vreq, _ := http.NewRequest(req.Method, req.URL.String(), nil)
	route, params, err := h.router.FindRoute(vreq)
	if err != nil {
		if strings.HasPrefix(req.URL.Path, "/api/v1/") && r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: answered %d but is not in the OpenAPI document", req.Method, req.URL.Path, r.Status)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts},
		Status:                 r.Status, Header: r.Header, Options: opts,
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %.400s", req.Method, req.URL.Path, r.Status, err, r.Body)
	}
}
