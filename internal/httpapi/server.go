// Package httpapi is tuijin's JSON API under /api/v1 (Echo v5).
//
// Every route is declared once in a route table with its roles, its request
// and response types and its handler; the table registers the Echo route,
// yields the casbin permissions and generates the OpenAPI document. A request
// runs in one database transaction that starts, resolves the session and
// sets the tenant (app.county_id) in a single round trip; the response is
// written only after the transaction commits. An upload (a route with a raw
// file body) uses that transaction only to authorise and check, releases it
// before reading the body, and writes in a second one (see package uploads).
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/notify"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/uploads"
)

// Deps are what the API needs.
type Deps struct {
	Config   config.Config
	DB       *db.DB
	Redis    redis.UniversalClient
	Authz    *authz.Authorizer
	Hasher   *auth.Hasher
	Throttle *auth.Throttle
	Log      *slog.Logger
	Metrics  *Metrics       // nil: no metrics
	Console  http.Handler   // nil: no console
	Objects  *objects.Store // nil: file endpoints answer 503
	Now      func() time.Time
	Areas    []Area // the areas' routes beside the platform's own
}

// Area gives the routes of one area of the mechanism; its handlers live in
// internal/httpapi/<area>api and reach the platform through the Server.
type Area func(*Server) []*Route

// Server is the HTTP API.
type Server struct {
	Deps
	notifier *notify.Sender // checks notification channels' targets
	echo     *echo.Echo
	routes   []*Route
	spec     []byte
	sessions sessionCache
	URLKey   []byte
}

// SessionCookie is the console's session cookie.
const SessionCookie = "tuijin_session"

// AuthzChannel is the Redis channel on which a replica that changed role
// assignments tells the others to reload the policy.
const AuthzChannel = "tuijin:authz:changed"

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{Deps: d, URLKey: []byte(d.Config.URLSecret), notifier: notify.New(d.Config)}
	if len(s.URLKey) == 0 {
		s.URLKey = make([]byte, 32)
		_, _ = rand.Read(s.URLKey)
		if d.Log != nil && d.DB != nil {
			d.Log.Warn("TUIJIN_URL_SECRET is empty: photo URLs are signed with a per-process key and will not work across replicas")
		}
	}
	e := echo.New()
	e.Logger = d.Log
	e.HTTPErrorHandler = s.handleError
	nets, err := d.Config.TrustedProxyNets()
	if err != nil {
		return nil, err
	}
	if len(nets) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range nets {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.Pre(s.requestIDMiddleware, s.recoverMiddleware, s.logMiddleware, s.headersMiddleware, s.bodyLimitMiddleware, s.nulMiddleware)
	s.echo = e
	s.routes = s.routeTable()
	for _, area := range d.Areas {
		s.routes = append(s.routes, area(s)...)
	}
	for _, r := range s.routes {
		e.Add(r.Method, r.Path, s.wrap(r))
	}
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	// Metrics live on their own listener (TUIJIN_METRICS_ADDR); the public
	// one says so plainly rather than falling through to the console.
	e.GET("/metrics", func(*echo.Context) error { return errRouteNotFound })
	if d.Console != nil {
		// The console's files are public; what it shows comes from the API.
		// Unknown API paths stay JSON 404s.
		console := func(c *echo.Context) error {
			if strings.HasPrefix(c.Request().URL.Path, "/api/") {
				return errRouteNotFound
			}
			d.Console.ServeHTTP(c.Response(), c.Request())
			return nil
		}
		e.GET("/*", console)
		e.HEAD("/*", console)
	}
	spec, err := s.openAPI()
	if err != nil {
		return nil, err
	}
	s.spec = spec
	return s, nil
}

// Stager stages uploads in the bucket (see package uploads).
func (s *Server) Stager() uploads.Stager {
	return uploads.Stager{DB: s.DB, Store: s.Objects, Log: s.Log}
}

// Keeper is the object keeper of the request's transaction for issued
// documents: what they store is queued with their rows and put in the
// object store after the commit (see uploads.Deferred); nil without an
// object store.
func (s *Server) Keeper(r *Req) *uploads.Deferred {
	if s.Objects == nil || r.Tx == nil {
		return nil
	}
	d := &uploads.Deferred{Tx: r.Tx, Store: s.Objects}
	county := r.Session.ActiveCountyID
	r.AfterCommit(func(ctx context.Context) {
		if !d.Queued() || county == nil {
			return
		}
		if _, err := s.Stager().Flush(ctx, *county); err != nil {
			s.Log.WarnContext(ctx, "issued files: storing left to the worker", "error", err)
		}
	})
	return d
}

// Handler returns the http.Handler of the API.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo exposes the router (for tests that walk the routes, and for the console).
func (s *Server) Echo() *echo.Echo { return s.echo }

// OpenAPI returns the OpenAPI document served at /api/v1/openapi.json.
func (s *Server) OpenAPI() []byte { return s.spec }

// Routes returns the route table.
func (s *Server) Routes() []*Route { return s.routes }

// Permissions returns the casbin permissions of the route table.
func (s *Server) Permissions() []authz.Permission {
	var out []authz.Permission
	for _, r := range s.routes {
		for _, role := range r.Roles {
			out = append(out, authz.Permission{Role: role, Route: r.Path, Method: r.Method})
		}
	}
	return out
}

// Session is a logged-in session as resolved for one request.
type Session struct {
	SessionID          uuid.UUID  `json:"session_id"`
	AccountID          uuid.UUID  `json:"account_id"`
	Scope              string     `json:"scope"`
	PrefectureID       *uuid.UUID `json:"prefecture_id"`
	HomeCountyID       *uuid.UUID `json:"home_county_id"`
	ActiveCountyID     *uuid.UUID `json:"active_county_id"`
	ActivePrefectureID *uuid.UUID `json:"active_prefecture_id"`
	Username           string     `json:"username"`
	DisplayName        string     `json:"display_name"`
	PersonID           *uuid.UUID `json:"person_id"`
	MustChangePassword bool       `json:"must_change_password"`
	ExpiresAt          time.Time  `json:"expires_at"`
	IdleExpiresAt      time.Time  `json:"idle_expires_at"`
}

// parseSessionRow reads a row of sessionSQL: the session and the policy
// and sessions versions it was resolved under.
func parseSessionRow(row [][]byte) (*Session, int64, int64, error) {
	policy, sessions, err := versionsOf(row)
	if err != nil {
		return nil, 0, 0, err
	}
	var s Session
	return &s, policy, sessions, json.Unmarshal(row[0], &s)
}

// Domain is the casbin domain the session works in.
func (s *Session) Domain() string {
	if s.ActiveCountyID == nil || s.ActivePrefectureID == nil {
		return "none"
	}
	return authz.CountyDomain(*s.ActivePrefectureID, *s.ActiveCountyID)
}

// Req is what a handler gets: the request, its context (carrying the
// actor), the session (nil when anonymous) and the request's transaction
// (nil when anonymous).
type Req struct {
	C       *echo.Context
	Ctx     context.Context
	Session *Session
	Tx      bun.IDB
	// conn is the request's transaction while it is open.
	conn *db.Conn
	// afterCommit runs once the transaction has committed.
	afterCommit []func(context.Context)
	// rollback ends the transaction without keeping its writes (dry runs).
	rollback bool
	// commitOnError keeps the writes of a request answered with an error.
	commitOnError bool
}

// RollbackOnly makes the request's writes a rehearsal: the answer is sent,
// the transaction is rolled back.
func (r *Req) RollbackOnly() { r.rollback = true }

// CommitOnError keeps what the request wrote even when it answers with an
// error (a refused import keeps its attempt and annotated workbook).
func (r *Req) CommitOnError() { r.commitOnError = true }

// File is a download: Data, or Body streamed and then closed.
type File struct {
	Name        string
	ContentType string
	Data        []byte
	Body        io.ReadCloser
	// Open, when set, gives the body after the request's transaction has
	// ended (a stored file is read, hash checked, with no transaction
	// open); its error is the answer.
	Open   func(ctx context.Context) (io.ReadCloser, error)
	Inline bool // shown in the browser (a printable page) rather than saved
}

// StoredFile opens a stored file for File.Open: from the object queue
// while it waits there (an issued document's file just written; see
// uploads.Deferred), otherwise the version from the object store; either
// way checked against its hash (a mismatch is objects.ErrCorrupted).
func (s *Server) StoredFile(r *Req, ref objects.Ref) func(ctx context.Context) (io.ReadCloser, error) {
	county := r.Session.ActiveCountyID
	return func(ctx context.Context) (io.ReadCloser, error) {
		if s.Objects == nil || county == nil {
			return nil, objects.ErrUnavailable
		}
		var f *os.File
		if ref.VersionID == "" {
			err := s.DB.InCounty(ctx, *county, func(ctx context.Context, tx bun.IDB) error {
				var err error
				f, err = (&uploads.Deferred{Tx: tx, Store: s.Objects}).Verified(ctx, ref.Key, "", ref.SHA256)
				return err
			})
			return tempFileOf(f, err)
		}
		return tempFileOf(s.Objects.Verified(ctx, ref.Key, ref.VersionID, ref.SHA256))
	}
}

func tempFileOf(f *os.File, err error) (io.ReadCloser, error) {
	if err != nil {
		if f != nil {
			TempFile{File: f}.Close()
		}
		return nil, err
	}
	return TempFile{File: f}, nil
}

// AfterCommit schedules fn to run after a successful commit.
func (r *Req) AfterCommit(fn func(context.Context)) { r.afterCommit = append(r.afterCommit, fn) }

// Release commits the request's transaction now: an upload route (one with
// Route.Upload) authorises and checks in it, then releases it before it
// reads its body, so that no pooled connection waits "idle in transaction"
// on a slow client. What AfterCommit scheduled runs. Afterwards r.Tx is nil;
// the handler writes in transactions of its own (Server.InTx).
func (r *Req) Release() error {
	if r.conn == nil {
		return nil
	}
	conn := r.conn
	r.conn, r.Tx = nil, nil
	if err := conn.Commit(r.Ctx); err != nil {
		return err
	}
	r.runAfterCommit()
	return nil
}

func (r *Req) runAfterCommit() {
	fns := r.afterCommit
	r.afterCommit = nil
	for _, fn := range fns {
		fn(context.WithoutCancel(r.Ctx))
	}
}

var (
	errBodyInTx = errors.New("httpapi: an upload's body was read inside the request transaction (call Req.Release first)")
	// ErrCountyChanged is a session that switched county while its upload arrived.
	ErrCountyChanged = errs.E(errs.Conflict, "county_changed", "上传期间切换了县区，未保存，请重新上传", "the session switched county during the upload; nothing was saved, upload it again")
)

// guardedBody refuses to be read while the request's transaction is open.
type guardedBody struct {
	io.ReadCloser
	r *Req
}

func (g guardedBody) Read(p []byte) (int, error) {
	if g.r.conn != nil {
		return 0, errBodyInTx
	}
	return g.ReadCloser.Read(p)
}

// InTx runs fn in a transaction of its own for an upload's handler that has
// released the request's transaction: the session is resolved again in the
// round trip that begins it (a session ended meanwhile, a changed role or
// another county refuses the write) and fn's writes commit when it returns
// nil. Who may call: handlers of Upload routes, after Req.Release.
func (s *Server) InTx(r *Req, fn func(ctx context.Context, tx bun.IDB) error) error {
	cn, sess, err := s.beginRequest(r.Ctx, tokenFrom(r.C))
	if err != nil {
		return err
	}
	defer cn.Rollback(context.WithoutCancel(r.Ctx))
	switch {
	case sess == nil || sess.SessionID != r.Session.SessionID:
		return errSessionExpired
	case !s.Authz.Allow(sess.AccountID.String(), sess.Domain(), r.C.Path(), r.C.Request().Method):
		return errs.ErrForbidden
	case sess.ActiveCountyID == nil || r.Session.ActiveCountyID == nil || *sess.ActiveCountyID != *r.Session.ActiveCountyID:
		return ErrCountyChanged
	}
	if err := fn(r.Ctx, cn); err != nil {
		return err
	}
	return cn.Commit(r.Ctx)
}

var (
	errSessionExpired         = errs.E(errs.Unauthenticated, "session_expired", "登录已过期，请重新登录", "your session has expired; log in again")
	errPasswordChangeRequired = errs.E(errs.Forbidden, "password_change_required", "请先修改初始密码", "change your initial password first")
)

func tokenFrom(c *echo.Context) string {
	if h := c.Request().Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	if ck, err := c.Cookie(SessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

// sessionSQL resolves the session inside the request's transaction, with
// the security counters (parseSessionRow reads its row). Only values we
// made are spliced in: the hex SHA-256 of the token and an integer.
func (s *Server) sessionSQL(token string) string {
	return fmt.Sprintf(`SELECT to_json(x), %s FROM auth_session('\x%s'::bytea, '%d seconds'::interval) x, security_versions v`,
		versionsSQL, hex.EncodeToString(auth.TokenHash(token)), int(s.Config.SessionIdle.Seconds()))
}

func (s *Server) wrap(r *Route) echo.HandlerFunc {
	return func(c *echo.Context) error {
		ctx := c.Request().Context()
		req := &Req{C: c, Ctx: ctx}
		token := tokenFrom(c)
		if token != "" {
			cn, sess, err := s.beginRequest(ctx, token)
			if err != nil {
				return err
			}
			defer cn.Rollback(context.WithoutCancel(ctx))
			if sess != nil {
				req.Session, req.Tx, req.conn = sess, cn, cn
			} else {
				cn.Rollback(ctx)
			}
		}
		if r.Upload != "" {
			c.Request().Body = guardedBody{ReadCloser: c.Request().Body, r: req}
		}
		route := c.Path()
		if !s.Authz.Allow(string(authz.Anonymous), "", route, r.Method) {
			switch {
			case req.Session == nil && token != "":
				return errSessionExpired
			case req.Session == nil:
				return errs.ErrUnauthenticated
			case !s.Authz.Allow(req.Session.AccountID.String(), req.Session.Domain(), route, r.Method):
				return errs.ErrForbidden
			case req.Session.MustChangePassword && !r.DuringPasswordChange:
				return errPasswordChangeRequired
			}
		}
		actor := audit.Actor{RequestID: requestID(c), Name: "anonymous"}
		if req.Session != nil {
			id := req.Session.AccountID
			actor.AccountID, actor.Name = &id, req.Session.Username
		}
		req.Ctx = audit.WithActor(ctx, actor)
		if r.County && (req.Session == nil || req.Session.ActiveCountyID == nil) {
			return errs.ErrNoCounty
		}
		out, err := r.Handler(req)
		conn := req.conn // nil once released
		if err != nil {
			if conn != nil && req.commitOnError && !req.rollback {
				if cerr := conn.Commit(ctx); cerr != nil {
					return cerr
				}
			}
			return err
		}
		if conn != nil && req.rollback {
			conn.Rollback(ctx)
		} else if conn != nil {
			if err := conn.Commit(ctx); err != nil {
				return err
			}
			req.runAfterCommit()
		}
		if f, ok := out.(File); ok {
			disposition := "attachment"
			if f.Inline {
				disposition = "inline"
			}
			if f.Open != nil {
				body, err := f.Open(ctx)
				if err != nil {
					return err
				}
				f.Body = body
			}
			c.Response().Header().Set("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(f.Name))
			if f.Body != nil {
				defer f.Body.Close()
				return c.Stream(http.StatusOK, f.ContentType, f.Body)
			}
			return c.Blob(http.StatusOK, f.ContentType, f.Data)
		}
		status := r.Status
		if status == 0 {
			status = http.StatusOK
		}
		if status == http.StatusNoContent {
			return c.NoContent(status)
		}
		return c.JSON(status, out)
	}
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

type requestIDKey struct{}

func requestID(c *echo.Context) string {
	if v, ok := c.Get("request_id").(string); ok {
		return v
	}
	return ""
}

func (s *Server) requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		id := c.Request().Header.Get("X-Request-Id")
		if !requestIDRE.MatchString(id) {
			id = uuid.NewString()
		}
		c.Set("request_id", id)
		c.Response().Header().Set("X-Request-Id", id)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), requestIDKey{}, id)))
		return next(c)
	}
}

func (s *Server) recoverMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return next(c)
	}
}

func (s *Server) logMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			s.handleError(c, err)
		}
		_, status := echo.ResolveResponseStatus(c.Response(), nil)
		s.Metrics.observe(c.Path(), c.Request().Method, status, time.Since(start))
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.Log.LogAttrs(c.Request().Context(), level, "http",
			slog.String("request_id", requestID(c)), slog.String("method", c.Request().Method),
			slog.String("route", c.Path()), slog.String("path", c.Request().URL.Path),
			slog.Int("status", status), slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("ip", c.RealIP()))
		return nil
	}
}

func (s *Server) headersMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		if s.Config.CookieSecure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

func (s *Server) bodyLimitMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		req := c.Request()
		limit := s.Config.BodyLimit
		if strings.HasPrefix(req.URL.Path, "/api/v1/imports/") || strings.HasSuffix(req.URL.Path, "/scans") || strings.HasSuffix(req.URL.Path, "/photos") {
			limit = s.Config.UploadLimit
		}
		if req.ContentLength > limit {
			return errTooLarge
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		return next(c)
	}
}

// nulMiddleware refuses a path or query that carries a NUL character:
// PostgreSQL stores none, and the query it would reach fails.
func (s *Server) nulMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		u := c.Request().URL
		if strings.ContainsRune(u.Path, 0) || strings.Contains(u.RawQuery, "%00") {
			return errNULCharacter
		}
		return next(c)
	}
}

func (s *Server) healthz(c *echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when PostgreSQL and Redis both answer.
func (s *Server) readyz(c *echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "redis": "ok"}
	status := http.StatusOK
	if err := s.DB.Ping(ctx); err != nil {
		checks["postgres"], status = err.Error(), http.StatusServiceUnavailable
	}
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		checks["redis"], status = err.Error(), http.StatusServiceUnavailable
	}
	return c.JSON(status, checks)
}
