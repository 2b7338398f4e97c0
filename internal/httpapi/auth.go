package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
)

// authenticate checks a username and password under the login throttle.
// Every failure gives the same answer, after the same amount of hashing.
// The attempt is counted before the password is hashed, so parallel
// attempts cannot pass the limit; a login while Redis (the counters) is
// down fails with Unavailable.
func (s *Server) authenticate(r *Req, in LoginInput) (postgres.Account, error) {
	ctx := r.Ctx
	username := strings.ToLower(strings.TrimSpace(in.Username))
	ip := r.C.RealIP()
	if username == "" || in.Password == "" {
		var v errs.Validation
		if username == "" {
			v.Add("username", "required", "请输入用户名", "username is required")
		}
		if in.Password == "" {
			v.Add("password", "required", "请输入密码", "password is required")
		}
		return postgres.Account{}, v.Err()
	}
	// A name no account can have (the database allows usernameOK's names
	// only) is never looked up, and all such names share one counter: an
	// attacker cannot fill Redis with keys, nor a NUL byte reach the query.
	key := username
	if !usernameOK(username) {
		key = "-invalid-"
	}
	if err := s.Throttle.Reserve(ctx, key, ip); err != nil {
		return postgres.Account{}, err
	}
	acct, ok, err := s.checkPassword(ctx, username, in.Password)
	if err != nil {
		if rerr := s.Throttle.Release(ctx, key, ip); rerr != nil {
			s.Log.ErrorContext(ctx, "login throttle release", "error", rerr)
		}
		return postgres.Account{}, err
	}
	if !ok {
		s.Log.WarnContext(ctx, "login failed", "username", key, "ip", ip, "request_id", requestID(r.C))
		return postgres.Account{}, postgres.ErrBadCredentials
	}
	if err := s.Throttle.Succeed(ctx, key, ip); err != nil {
		s.Log.ErrorContext(ctx, "login throttle clear", "error", err)
	}
	return acct, nil
}

// checkPassword reports whether password is that of the enabled account
// username; an unknown or disabled account is hashed against a dummy.
func (s *Server) checkPassword(ctx context.Context, username, password string) (postgres.Account, bool, error) {
	var acct postgres.Account
	err := error(errs.ErrNotFound)
	if usernameOK(username) {
		acct, err = postgres.AccountByUsername(ctx, s.DB.Bun, username)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return postgres.Account{}, false, err
		}
	}
	hash := acct.PasswordHash
	if err != nil || acct.Disabled {
		hash = ""
	}
	ok, err := s.Hasher.Verify(ctx, hash, password)
	return acct, ok, err
}

// startSession creates a session for acct in its first county and returns the token.
func (s *Server) startSession(r *Req, acct postgres.Account, client string) (string, time.Time, error) {
	token, hash, err := auth.NewToken()
	if err != nil {
		return "", time.Time{}, err
	}
	county, err := s.defaultCounty(r.Ctx, acct)
	if err != nil {
		return "", time.Time{}, err
	}
	expires := s.Now().Add(s.Config.SessionAbsolute)
	ctx := audit.WithActor(r.Ctx, audit.Actor{AccountID: &acct.ID, Name: acct.Username, RequestID: requestID(r.C)})
	work := func(ctx context.Context, tx bun.IDB) error {
		if err := postgres.CreateSession(ctx, tx, hash, acct.ID, county, r.C.RealIP(), r.C.Request().UserAgent(), expires); err != nil {
			return err
		}
		return postgres.Audit(ctx, tx, audit.Entry{Action: "auth.login", EntityType: "account", EntityID: acct.ID.String(),
			After: map[string]any{"client": client, "ip": r.C.RealIP()}})
	}
	if county != nil {
		err = s.DB.InCounty(ctx, *county, work)
	} else {
		err = s.DB.InPlatform(ctx, work)
	}
	return token, expires, err
}

// defaultCounty is the county a new session starts in: the account's own,
// or the first one a prefecture or platform account may see.
func (s *Server) defaultCounty(ctx context.Context, acct postgres.Account) (*uuid.UUID, error) {
	if acct.CountyID != nil {
		return acct.CountyID, nil
	}
	cs, err := postgres.ListCounties(ctx, s.DB.Bun, acct.PrefectureID)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0].ID, nil
}

func (s *Server) login(r *Req) (any, error) {
	var in LoginInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	acct, err := s.authenticate(r, in)
	if err != nil {
		return nil, err
	}
	token, expires, err := s.startSession(r, acct, "console")
	if err != nil {
		return nil, err
	}
	r.C.SetCookie(&http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.Config.CookieSecure,
		SameSite: http.SameSiteStrictMode, Expires: expires})
	// Resolve the new session the same way every later request will.
	cn, rows, err := s.DB.BeginWith(r.Ctx, s.sessionSQL(token))
	if err != nil {
		return nil, err
	}
	defer cn.Rollback(r.Ctx)
	if len(rows) != 1 {
		return nil, errSessionExpired
	}
	sess, policy, _, err := parseSessionRow(rows[0])
	if err == nil {
		err = s.Authz.Sync(r.Ctx, policy)
	}
	if err != nil {
		return nil, err
	}
	return s.meOf(r.Ctx, cn, sess)
}

func (s *Server) createToken(r *Req) (any, error) {
	var in LoginInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	acct, err := s.authenticate(r, in)
	if err != nil {
		return nil, err
	}
	token, expires, err := s.startSession(r, acct, "api")
	if err != nil {
		return nil, err
	}
	return TokenResponse{Token: token, ExpiresAt: expires}, nil
}

func (s *Server) logout(r *Req) (any, error) {
	if err := postgres.RevokeSession(r.Ctx, r.Tx, r.Session.SessionID); err != nil {
		return nil, err
	}
	if err := postgres.Audit(r.Ctx, r.Tx, audit.Entry{Action: "auth.logout", EntityType: "account", EntityID: r.Session.AccountID.String()}); err != nil {
		return nil, err
	}
	r.C.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.Config.CookieSecure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	r.AfterCommit(func(ctx context.Context) { s.evictEverywhere(ctx, r.Session.AccountID) })
	return nil, nil
}

func (s *Server) me(r *Req) (any, error) { return s.meOf(r.Ctx, r.Tx, r.Session) }

func (s *Server) meOf(ctx context.Context, tx bun.IDB, sess *Session) (Me, error) {
	counties, err := s.countiesOf(ctx, tx, sess)
	if err != nil {
		return Me{}, err
	}
	m := Me{AccountID: sess.AccountID, Username: sess.Username, DisplayName: sess.DisplayName, Scope: sess.Scope,
		PersonID: sess.PersonID, MustChangePassword: sess.MustChangePassword, Counties: counties, Roles: []string{},
		ExpiresAt: sess.ExpiresAt, IdleExpiresAt: sess.IdleExpiresAt}
	for i := range counties {
		if sess.ActiveCountyID != nil && counties[i].ID == *sess.ActiveCountyID {
			m.County = &counties[i]
		}
	}
	for _, role := range s.Authz.RolesIn(sess.AccountID, sess.Domain()) {
		m.Roles = append(m.Roles, string(role))
	}
	return m, nil
}

// countiesOf lists the counties in which the session's account holds a role.
func (s *Server) countiesOf(ctx context.Context, tx bun.IDB, sess *Session) ([]County, error) {
	all, err := postgres.ListCounties(ctx, tx, nil)
	if err != nil {
		return nil, err
	}
	out := []County{}
	for _, c := range all {
		if len(s.Authz.RolesIn(sess.AccountID, authz.CountyDomain(c.PrefectureID, c.ID))) > 0 {
			out = append(out, toCountyAPI(c))
		}
	}
	return out, nil
}

func (s *Server) listCounties(r *Req) (any, error) { return s.countiesOf(r.Ctx, r.Tx, r.Session) }

func (s *Server) switchCounty(r *Req) (any, error) {
	var in CountySwitch
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	c, err := postgres.GetCounty(r.Ctx, r.Tx, in.CountyID)
	if err != nil {
		return nil, err
	}
	if len(s.Authz.RolesIn(r.Session.AccountID, authz.CountyDomain(c.PrefectureID, c.ID))) == 0 {
		return nil, errs.ErrNotFound
	}
	if err := postgres.SetSessionCounty(r.Ctx, r.Tx, r.Session.SessionID, c.ID); err != nil {
		return nil, err
	}
	if err := postgres.Audit(r.Ctx, r.Tx, audit.Entry{Action: "auth.switch_county", EntityType: "account",
		EntityID: r.Session.AccountID.String(), Before: map[string]any{"county_id": r.Session.ActiveCountyID}, After: map[string]any{"county_id": c.ID}}); err != nil {
		return nil, err
	}
	r.AfterCommit(func(ctx context.Context) { s.evictEverywhere(ctx, r.Session.AccountID) })
	sess := *r.Session
	sess.ActiveCountyID, sess.ActivePrefectureID = &c.ID, &c.PrefectureID
	return s.meOf(r.Ctx, r.Tx, &sess)
}

var errWrongPassword = errs.E(errs.Invalid, "wrong_current_password", "当前密码错误", "the current password is wrong")

func (s *Server) changePassword(r *Req) (any, error) {
	var in PasswordChange
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	acct, err := postgres.AccountByID(r.Ctx, r.Tx, r.Session.AccountID)
	if err != nil {
		return nil, err
	}
	ip := r.C.RealIP()
	if err := s.Throttle.Reserve(r.Ctx, acct.Username, ip); err != nil {
		return nil, err
	}
	ok, err := s.Hasher.Verify(r.Ctx, acct.PasswordHash, in.CurrentPassword)
	if err != nil {
		if rerr := s.Throttle.Release(r.Ctx, acct.Username, ip); rerr != nil {
			s.Log.ErrorContext(r.Ctx, "login throttle release", "error", rerr)
		}
		return nil, err
	}
	if !ok {
		return nil, errWrongPassword
	}
	if err := s.Throttle.Succeed(r.Ctx, acct.Username, ip); err != nil {
		s.Log.ErrorContext(r.Ctx, "login throttle clear", "error", err)
	}
	if err := auth.CheckPolicy(in.NewPassword, acct.Username); err != nil {
		return nil, err
	}
	if in.NewPassword == in.CurrentPassword {
		var v errs.Validation
		v.Add("new_password", "password_unchanged", "新密码不能与当前密码相同", "the new password must differ from the current one")
		return nil, v.Err()
	}
	hash, err := s.Hasher.Hash(r.Ctx, in.NewPassword)
	if err != nil {
		return nil, err
	}
	if err := postgres.SetPassword(r.Ctx, r.Tx, acct.ID, hash, false, "account.password_change"); err != nil {
		return nil, err
	}
	r.AfterCommit(func(ctx context.Context) { s.evictEverywhere(ctx, acct.ID) })
	return nil, postgres.RevokeAccountSessions(r.Ctx, r.Tx, acct.ID, &r.Session.SessionID)
}
