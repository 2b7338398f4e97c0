package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/httpapi"
)

// parallelLogins sends n logins at once and counts the answers by status.
func parallelLogins(t *testing.T, n int, body func(i int) map[string]string, xff string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			r := (&client{t: t, xff: xff}).do("POST", "/api/v1/auth/tokens", body(i))
			mu.Lock()
			got[r.Status]++
			mu.Unlock()
		}(i)
	}
	close(start)
	wg.Wait()
	return got
}

// TestParallelWrongPasswordsOneAccount: 30 wrong passwords for one account
// at once are counted before they are hashed, so exactly the account's limit
// of them is checked (401) and the rest are refused unhashed (429).
func TestParallelWrongPasswordsOneAccount(t *testing.T) {
	user, _, _ := newAccount(t, "inspector")
	got := parallelLogins(t, 30, func(int) map[string]string {
		return map[string]string{"username": user, "password": "wrong-password"}
	}, "203.0.113.60")
	if got[http.StatusUnauthorized] != h.cfg.LoginMaxPerUser || got[http.StatusTooManyRequests] != 30-h.cfg.LoginMaxPerUser {
		t.Fatalf("30 parallel wrong passwords answered %v; want %d × 401 and the rest 429", got, h.cfg.LoginMaxPerUser)
	}
}

// TestParallelWrongPasswordsOneAddress: 30 wrong passwords for 30 accounts
// from one address at once: exactly the address's limit are checked.
func TestParallelWrongPasswordsOneAddress(t *testing.T) {
	got := parallelLogins(t, 30, func(i int) map[string]string {
		return map[string]string{"username": fmt.Sprintf("spray%d.user", i), "password": "wrong-password"}
	}, "203.0.113.61")
	if got[http.StatusUnauthorized] != h.cfg.LoginMaxPerIP || got[http.StatusTooManyRequests] != 30-h.cfg.LoginMaxPerIP {
		t.Fatalf("30 parallel wrong passwords from one address answered %v; want %d × 401 and the rest 429", got, h.cfg.LoginMaxPerIP)
	}
}

// TestSuccessfulLoginsDoNotThrottleAnAddress: an office behind one address
// logs in more often than the address's failure limit.
func TestSuccessfulLoginsDoNotThrottleAnAddress(t *testing.T) {
	c := &client{t: t, xff: "203.0.113.62"}
	for i := 0; i < h.cfg.LoginMaxPerIP+5; i++ {
		if r := c.do("POST", "/api/v1/auth/tokens", map[string]string{"username": "gs.unit", "password": demoPassword}); r.Status != http.StatusCreated {
			t.Fatalf("login %d: %d %s", i+1, r.Status, r.Body)
		}
	}
}

// TestNULCharacters: a NUL byte in a login name, a query or a body is a
// client's mistake (400), never a 500.
func TestNULCharacters(t *testing.T) {
	r := (&client{t: t, xff: "203.0.113.63"}).do("POST", "/api/v1/auth/tokens", map[string]string{"username": "gs.office\x00", "password": "wrong-password"})
	if r.Status != http.StatusBadRequest || r.code() != "nul_character" {
		t.Errorf("login name with NUL: %d %s", r.Status, r.Body)
	}
	c := login(t, "gs.office")
	for _, path := range []string{"/api/v1/units?q=%00", "/api/v1/people?q=a%00b", "/api/v1/projects?q=%00"} {
		if r := c.do("GET", path, nil); r.Status != http.StatusBadRequest || r.code() != "nul_character" {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	r = c.do("POST", "/api/v1/candidates", map[string]any{"name": "a\x00b", "stage": "idea", "owner_unit_id": firstUnit(t, c)})
	if r.Status != http.StatusBadRequest || r.code() != "nul_character" {
		t.Errorf("body with NUL: %d %s", r.Status, r.Body)
	}
}

// firstUnit is the id of a unit of the caller's county.
func firstUnit(t *testing.T, c *client) string {
	t.Helper()
	var units struct {
		Items []httpapi.Unit `json:"items"`
	}
	c.do("GET", "/api/v1/units", nil).decode(t, &units)
	if len(units.Items) == 0 {
		t.Fatal("no units")
	}
	return units.Items[0].ID.String()
}

// privateRedis starts a redis-server of the test's own on a free port and
// returns its address and a function that stops it.
func privateRedis(t *testing.T) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Skipf("redis-server: %v", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for i := 0; rdb.Ping(context.Background()).Err() != nil; i++ {
		if i == 200 {
			t.Fatal("private redis-server did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
	return addr, stop
}

// replica is a second API server on the harness's database, with a Redis
// client of its own: what it announces on Redis never reaches the harness's
// server, as when a message is lost.
func replica(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	z, err := authz.New(authz.NewAdapter(h.env.App.Bun))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Deps{Config: h.cfg, DB: h.env.App, Redis: rdb, Authz: z, Hasher: auth.NewHasher(0),
		Throttle: auth.NewThrottle(rdb, h.cfg.LoginMaxPerUser, h.cfg.LoginMaxPerIP, h.cfg.LoginWindow),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// call sends a JSON request to base (a replica; no OpenAPI check) and
// returns the status and the decoded body.
func call(t *testing.T, base, token, method, path string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

// TestLoginWhileRedisIsDown: without its counters, a login is not checked
// and the answer is 503 with Retry-After (it was a 500).
func TestLoginWhileRedisIsDown(t *testing.T) {
	addr, stop := privateRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	base := replica(t, rdb)
	creds := map[string]string{"username": "gs.office", "password": demoPassword}
	if status, _, body := call(t, base, "", "POST", "/api/v1/auth/tokens", creds); status != http.StatusCreated {
		t.Fatalf("login with Redis up: %d %v", status, body)
	}
	stop()
	status, header, body := call(t, base, "", "POST", "/api/v1/auth/tokens", creds)
	if e, _ := body["error"].(map[string]any); status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || e["code"] != "login_unavailable" {
		t.Fatalf("login with Redis down: %d %v (Retry-After %q)", status, body, header.Get("Retry-After"))
	}
}

// TestChangesReachEveryReplica: changes made through another replica, whose
// Redis messages never arrive, apply at this server's next request: a
// person unlinked from the account, a role taken away, the sessions ended.
// (Before, a cached session lasted a minute and a role until a restart.)
func TestChangesReachEveryReplica(t *testing.T) {
	addr, _ := privateRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	other := replica(t, rdb)

	_, id, c := newAccount(t, "office")
	office := login(t, "ls.office")
	var people struct {
		Items []httpapi.Person `json:"items"`
	}
	office.do("GET", "/api/v1/people", nil).decode(t, &people)
	if len(people.Items) == 0 {
		t.Fatal("no people")
	}
	person := people.Items[0].ID
	if r := office.do("PUT", "/api/v1/accounts/"+id, map[string]any{"display_name": "专员", "roles": []string{"office"}, "person_id": person}); r.Status != http.StatusOK {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	var me httpapi.Me
	c.do("GET", "/api/v1/auth/me", nil).decode(t, &me) // cached on this server now
	if me.PersonID == nil || *me.PersonID != person {
		t.Fatalf("linked person not shown: %+v", me.PersonID)
	}
	if r := c.do("GET", "/api/v1/accounts", nil); r.Status != http.StatusOK {
		t.Fatalf("office lists accounts: %d", r.Status)
	}

	// Through the other replica: unlink the person and make the account an inspector.
	if status, _, body := call(t, other, office.token, "PUT", "/api/v1/accounts/"+id, map[string]any{"display_name": "专员", "roles": []string{"inspector"}}); status != http.StatusOK {
		t.Fatalf("change through the other replica: %d %v", status, body)
	}
	me = httpapi.Me{}
	c.do("GET", "/api/v1/auth/me", nil).decode(t, &me)
	if me.PersonID != nil {
		t.Errorf("the unlinked person is still the account's: %v", *me.PersonID)
	}
	if r := c.do("GET", "/api/v1/accounts", nil); r.Status != http.StatusForbidden {
		t.Errorf("the removed role still lists accounts: %d", r.Status)
	}

	// Through the other replica: reset the password, which ends the sessions.
	if status, _, body := call(t, other, office.token, "POST", "/api/v1/accounts/"+id+"/password-reset", nil); status != http.StatusOK {
		t.Fatalf("reset through the other replica: %d %v", status, body)
	}
	if r := c.do("GET", "/api/v1/auth/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("an ended session still works: %d", r.Status)
	}
}

// TestUnlinkTakesEffectAtOnce: on one server too, unlinking the person is
// seen by the account's very next request (it took up to a minute).
func TestUnlinkTakesEffectAtOnce(t *testing.T) {
	_, id, c := newAccount(t, "inspector")
	office := login(t, "ls.office")
	var people struct {
		Items []httpapi.Person `json:"items"`
	}
	office.do("GET", "/api/v1/people", nil).decode(t, &people)
	person := people.Items[0].ID
	office.do("PUT", "/api/v1/accounts/"+id, map[string]any{"display_name": "组员", "roles": []string{"inspector"}, "person_id": person})
	var me httpapi.Me
	c.do("GET", "/api/v1/auth/me", nil).decode(t, &me)
	if me.PersonID == nil {
		t.Fatal("link not shown")
	}
	office.do("PUT", "/api/v1/accounts/"+id, map[string]any{"display_name": "组员", "roles": []string{"inspector"}})
	me = httpapi.Me{}
	c.do("GET", "/api/v1/auth/me", nil).decode(t, &me)
	if me.PersonID != nil {
		t.Fatalf("the unlinked person is still the account's")
	}
}

// TestWebhookChannelNeedsHTTPS: a robot webhook on an allowed host is
// refused over plain http.
func TestWebhookChannelNeedsHTTPS(t *testing.T) {
	c := login(t, "gs.helper")
	r := c.do("PUT", "/api/v1/notifications/channels/wecom", httpapi.ChannelInput{Target: "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", Enabled: true})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "invalid_url") {
		t.Fatalf("http:// webhook: %d %s", r.Status, r.Body)
	}
}
