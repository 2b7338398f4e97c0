package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/httpapi"
)

// benchServer is the API in-process on the test database's application pool,
// so the benchmark can read that pool's round-trip counter.
func benchServer(b *testing.B) *httpapi.Server {
	ropt, _ := redis.ParseURL(h.cfg.RedisURL)
	rdb := redis.NewClient(ropt)
	b.Cleanup(func() { rdb.Close() })
	z, err := authz.New(authz.NewAdapter(h.env.App.Bun))
	if err != nil {
		b.Fatal(err)
	}
	s, err := httpapi.New(httpapi.Deps{Areas: app.Areas, Config: h.cfg, DB: h.env.App, Redis: rdb, Authz: z, Hasher: auth.NewHasher(0),
		Throttle: auth.NewThrottle(rdb, 1000000, 1000000, h.cfg.LoginWindow), Log: slog.New(slog.DiscardHandler), Objects: h.store})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkGetUnit: GET /api/v1/units/:id through session, casbin and the
// tenant transaction. Reports database round trips per request.
func BenchmarkGetUnit(b *testing.B) {
	gs := login(b, "gs.office")
	var units httpapi.List[httpapi.Unit]
	gs.do("GET", "/api/v1/units?limit=1", nil).decode(b, &units)
	path := "/api/v1/units/" + units.Items[0].ID.String()
	s := benchServer(b)
	handler := s.Handler()
	trips0 := h.env.App.RoundTrips.Load()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+gs.token)
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(h.env.App.RoundTrips.Load()-trips0)/float64(b.N), "roundtrips/op")
}

// BenchmarkRawPgxGetUnit: the same row by primary key with a bare pgx
// connection per worker (as the superuser, so no RLS), the floor to compare with.
func BenchmarkRawPgxGetUnit(b *testing.B) {
	gs := login(b, "gs.office")
	var units httpapi.List[httpapi.Unit]
	gs.do("GET", "/api/v1/units?limit=1", nil).decode(b, &units)
	id := units.Items[0].ID
	u, _ := url.Parse(dbtest.AdminURL())
	u.Path = "/" + h.env.Name
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := pgx.Connect(context.Background(), u.String())
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close(context.Background())
		for pb.Next() {
			var code, name string
			if err := conn.QueryRow(context.Background(), "SELECT code, name FROM units WHERE id = $1", id).Scan(&code, &name); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLogin: logins per second with the argon2id concurrency cap.
func BenchmarkLogin(b *testing.B) {
	s := benchServer(b)
	handler := s.Handler()
	body := `{"username":"gs.leader","password":"` + demoPassword + `"}`
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/api/v1/auth/tokens", stringsReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
}

func stringsReader(s string) *stringReader { return &stringReader{s: s} }

type stringReader struct {
	s string
	i int
}

func (r *stringReader) Read(p []byte) (int, error) {
	if r.i >= len(r.s) {
		return 0, io.EOF
	}
	n := copy(p, r.s[r.i:])
	r.i += n
	return n, nil
}
