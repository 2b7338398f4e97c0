package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/httpapi"
)

// newAccount makes a fresh Luoshan account (through the API, as its office)
// and returns its username, id and a client logged in with its new password.
func newAccount(t *testing.T, role string) (string, string, *client) {
	t.Helper()
	user, id, c := accountBy(t, "ls.office", []string{role}, nil)
	return user, id.String(), c
}

// accountBy makes a fresh account with roles (and person, if given)
// through the API as the administrator office, changes its first password
// and returns its username, id and a client logged in with it.
func accountBy(t *testing.T, office string, roles []string, person *uuid.UUID) (string, uuid.UUID, *client) {
	t.Helper()
	user := "t" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	in := map[string]any{"username": user, "display_name": "测试", "roles": roles, "password": "Initial-pass-1"}
	if person != nil {
		in["person_id"] = *person
	}
	r := login(t, office).do("POST", "/api/v1/accounts", in)
	if r.Status != http.StatusCreated {
		t.Fatalf("create account: %d %s", r.Status, r.Body)
	}
	var a httpapi.Account
	r.decode(t, &a)
	c := loginWith(t, user, "Initial-pass-1")
	if r := c.do("PUT", "/api/v1/auth/password", map[string]any{"current_password": "Initial-pass-1", "new_password": "Second-pass-2"}); r.Status != http.StatusNoContent {
		t.Fatalf("first password change: %d %s", r.Status, r.Body)
	}
	return user, a.ID, c
}

func TestWrongPassword(t *testing.T) {
	for _, user := range []string{"gs.leader", "no.such.user"} {
		r := anon(t).do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": "wrong-password"})
		if r.Status != http.StatusUnauthorized || r.code() != "bad_credentials" {
			t.Errorf("%s: %d %s", user, r.Status, r.Body)
		}
		if strings.Contains(r.Header.Get("Set-Cookie"), httpapi.SessionCookie+"=") {
			t.Errorf("%s: a failed login set a session cookie", user)
		}
	}
}

// TestCookieLogin: the console's login sets an HttpOnly, Secure, SameSite
// cookie that authenticates later requests; logout ends that session.
func TestCookieLogin(t *testing.T) {
	r := anon(t).do("POST", "/api/v1/auth/login", map[string]string{"username": "gs.inspector", "password": demoPassword})
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	var me httpapi.Me
	r.decode(t, &me)
	if me.Username != "gs.inspector" || me.County == nil || me.County.Code != "411522" || len(me.Roles) != 1 || me.Roles[0] != "inspector" {
		t.Fatalf("me: %+v", me)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == httpapi.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", cookie)
	}
	c := &client{t: t, cookie: cookie.Value}
	if r := c.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusOK {
		t.Fatalf("me with cookie: %d", r.Status)
	}
	if r := c.do("POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := c.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusUnauthorized || r.code() != "session_expired" {
		t.Fatalf("after logout: %d %s", r.Status, r.Body)
	}
}

// TestAccountThrottle: after the account's failure limit, even the right
// password is refused with 429 and Retry-After, from any address.
func TestAccountThrottle(t *testing.T) {
	user, _, _ := newAccount(t, "inspector")
	bad := &client{t: t, xff: "203.0.113.10"}
	for i := 0; i < h.cfg.LoginMaxPerUser; i++ {
		if r := bad.do("POST", "/api/v1/auth/tokens", map[string]string{"username": user, "password": "nope"}); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	other := &client{t: t, xff: "203.0.113.11"}
	r := other.do("POST", "/api/v1/auth/tokens", map[string]string{"username": user, "password": "Second-pass-2"})
	if r.Status != http.StatusTooManyRequests || r.code() != "login_throttled" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("right password while throttled: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
}

// TestIPThrottleIgnoresForgedForwardedFor: the client address is the
// right-most one not added by a trusted proxy, so a client that forges
// X-Forwarded-For entries still counts against its own address.
func TestIPThrottleIgnoresForgedForwardedFor(t *testing.T) {
	real := "203.0.113.20"
	for i := 0; i < h.cfg.LoginMaxPerIP; i++ {
		forged := &client{t: t, xff: fmt.Sprintf("198.51.100.%d, %s", i+1, real)}
		user := fmt.Sprintf("ghost%d.user", i) // a different account each time
		if r := forged.do("POST", "/api/v1/auth/tokens", map[string]string{"username": user, "password": "nope"}); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	forged := &client{t: t, xff: "198.51.100.250, " + real}
	r := forged.do("POST", "/api/v1/auth/tokens", map[string]string{"username": "gs.leader", "password": demoPassword})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("from the throttled address with a new forged prefix: %d %s", r.Status, r.Body)
	}
	fresh := &client{t: t, xff: "203.0.113.21"}
	if r := fresh.do("POST", "/api/v1/auth/tokens", map[string]string{"username": "gs.leader", "password": demoPassword}); r.Status != http.StatusCreated {
		t.Fatalf("another address is not throttled: %d %s", r.Status, r.Body)
	}
}

// TestExpiredSessions: idle and absolute timeouts end a session.
func TestExpiredSessions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, sql string }{
		{"idle", "UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE token_hash = sha256(?::bytea)"},
		{"absolute", "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(?::bytea)"},
	} {
		c := login(t, "gs.unit")
		if r := c.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusOK {
			t.Fatalf("%s: fresh session refused: %d", tc.name, r.Status)
		}
		res, err := h.env.Owner.Bun.ExecContext(ctx, tc.sql, c.token)
		if n, _ := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("%s: age the session: %v (%d rows)", tc.name, err, n)
		}
		// The server caches sessions for up to a minute; another replica's
		// eviction message (or that minute) makes it ask the database again.
		var me httpapi.Me
		c.do("GET", "/api/v1/auth/me", nil).decode(t, &me)
		if err := h.rdb.Publish(ctx, httpapi.SessionsChannel, me.AccountID.String()).Err(); err != nil {
			t.Fatal(err)
		}
		var r response
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if r = c.do("GET", "/api/v1/units", nil); r.Status != http.StatusOK {
				break
			}
		}
		if r.Status != http.StatusUnauthorized || r.code() != "session_expired" {
			t.Fatalf("%s: %d %.200s", tc.name, r.Status, r.Body)
		}
	}
}

// TestPasswordChange: wrong current password and weak passwords are
// refused; a change ends the account's other sessions.
func TestPasswordChange(t *testing.T) {
	user, _, c := newAccount(t, "task_force")
	other := loginWith(t, user, "Second-pass-2")
	for _, tc := range []struct {
		body  map[string]any
		code  string
		field string
	}{
		{map[string]any{"current_password": "wrong", "new_password": "Third-pass-3"}, "wrong_current_password", ""},
		{map[string]any{"current_password": "Second-pass-2", "new_password": "short"}, "validation_failed", "new_password"},
		{map[string]any{"current_password": "Second-pass-2", "new_password": "alllowercaseletters"}, "validation_failed", "new_password"},
	} {
		r := c.do("PUT", "/api/v1/auth/password", tc.body)
		if r.Status != http.StatusBadRequest || r.code() != tc.code || (tc.field != "" && !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`)) {
			t.Errorf("%v: %d %s", tc.body, r.Status, r.Body)
		}
	}
	if r := c.do("PUT", "/api/v1/auth/password", map[string]any{"current_password": "Second-pass-2", "new_password": "Third-pass-3"}); r.Status != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := c.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusOK {
		t.Fatalf("the changing session ended: %d", r.Status)
	}
	if r := other.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("another session survived the change: %d", r.Status)
	}
	loginWith(t, user, "Third-pass-3")
}

// TestAdminReset: a reset password works once and must be changed before
// anything else; the account's sessions end.
func TestAdminReset(t *testing.T) {
	user, id, c := newAccount(t, "unit_user")
	r := login(t, "ls.office").do("POST", "/api/v1/accounts/"+id+"/password-reset", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	var tmp httpapi.TemporaryPassword
	r.decode(t, &tmp)
	if r := c.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("session survived the reset: %d", r.Status)
	}
	n := loginWith(t, user, tmp.TemporaryPassword)
	if r := n.do("GET", "/api/v1/units", nil); r.Status != http.StatusForbidden || r.code() != "password_change_required" {
		t.Fatalf("before changing the temporary password: %d %s", r.Status, r.Body)
	}
	if r := n.do("PUT", "/api/v1/auth/password", map[string]any{"current_password": tmp.TemporaryPassword, "new_password": "Fourth-pass-4"}); r.Status != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := n.do("GET", "/api/v1/units", nil); r.Status != http.StatusOK {
		t.Fatalf("after the change: %d %s", r.Status, r.Body)
	}
}

// TestDisabledAccount: disabling ends the sessions and refuses new logins.
func TestDisabledAccount(t *testing.T) {
	user, id, c := newAccount(t, "inspector")
	r := login(t, "ls.office").do("PUT", "/api/v1/accounts/"+id, map[string]any{"display_name": "停用", "roles": []string{"inspector"}, "disabled": true})
	if r.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := c.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("session of a disabled account: %d", r.Status)
	}
	r = (&client{t: t, xff: "203.0.113.30"}).do("POST", "/api/v1/auth/tokens", map[string]string{"username": user, "password": "Second-pass-2"})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("login of a disabled account: %d", r.Status)
	}
}

// TestRoleChangeTakesEffect: roles given through the API apply to the next request.
func TestRoleChangeTakesEffect(t *testing.T) {
	_, id, c := newAccount(t, "inspector")
	if r := c.do("GET", "/api/v1/accounts", nil); r.Status != http.StatusForbidden {
		t.Fatalf("inspector listed accounts: %d", r.Status)
	}
	r := login(t, "ls.office").do("PUT", "/api/v1/accounts/"+id, map[string]any{"display_name": "升级", "roles": []string{"office"}, "disabled": false})
	if r.Status != http.StatusOK {
		t.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	if r := c.do("GET", "/api/v1/accounts", nil); r.Status != http.StatusOK {
		t.Fatalf("after grant: %d %s", r.Status, r.Body)
	}
	r = login(t, "ls.office").do("PUT", "/api/v1/accounts/"+id, map[string]any{"display_name": "x", "roles": []string{"platform_admin"}, "disabled": false})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("an office granted platform_admin: %d %s", r.Status, r.Body)
	}
}
