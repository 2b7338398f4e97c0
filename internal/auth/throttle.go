package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tuijin/tuijin/internal/errs"
)

// Throttle counts login attempts per account and per client IP in Redis, in
// fixed windows. An attempt is reserved before its password is hashed, in
// one atomic step that refuses it when either counter is at its limit, so
// parallel attempts cannot all pass a check made before any of them is
// counted. A failed attempt keeps its reservation; a success clears the
// account's counter and gives back its reservation of the IP's; an attempt
// that ended for another reason (the database did not answer) gives back
// both.
type Throttle struct {
	rdb               redis.UniversalClient
	maxAccount, maxIP int
	window            time.Duration
}

// NewThrottle returns a throttle over rdb.
func NewThrottle(rdb redis.UniversalClient, maxAccount, maxIP int, window time.Duration) *Throttle {
	return &Throttle{rdb: rdb, maxAccount: maxAccount, maxIP: maxIP, window: window}
}

// The keys share one hash tag, so that a script may use both on a cluster.
func accountKey(u string) string { return "tuijin:{login}:acct:" + strings.ToLower(u) }
func ipKey(ip string) string     { return "tuijin:{login}:ip:" + ip }

// reserve counts an attempt on both keys unless one is at its limit; it
// returns 0, or how many milliseconds the caller must wait.
var reserve = redis.NewScript(`
local wait = 0
for i = 1, 2 do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n >= tonumber(ARGV[i]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then
      redis.call('PEXPIRE', KEYS[i], ARGV[3])
      ttl = tonumber(ARGV[3])
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i = 1, 2 do
  redis.call('INCR', KEYS[i])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return 0`)

// giveBack takes one reservation back from each key that still counts one;
// with ARGV[1] = "clear" the first key is deleted instead.
var giveBack = redis.NewScript(`
for i = 1, #KEYS do
  if i == 1 and ARGV[1] == 'clear' then
    redis.call('DEL', KEYS[i])
  elseif tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 0`)

// ErrThrottleDown answers a login while Redis, which keeps the counters,
// does not answer: no password is checked without them.
var ErrThrottleDown = &errs.Error{Kind: errs.Unavailable, Code: "login_unavailable",
	ZH: "登录服务暂时不可用，请稍后再试", EN: "logging in is unavailable for a moment; try again shortly", RetryAfter: 30 * time.Second}

// Reserve counts an attempt of username from ip before its password is
// checked. It fails with TooMany (login_throttled, with the wait) when
// either counter is at its limit, and with ErrThrottleDown when Redis does
// not answer. A successful Reserve is followed by Succeed or Release, or
// by nothing: a failed attempt keeps its reservation.
func (t *Throttle) Reserve(ctx context.Context, username, ip string) error {
	wait, err := reserve.Run(ctx, t.rdb, []string{accountKey(username), ipKey(ip)}, t.maxAccount, t.maxIP, t.window.Milliseconds()).Int64()
	if err != nil {
		return ErrThrottleDown.Wrap(fmt.Errorf("login throttle: %w", err))
	}
	if wait > 0 {
		d := time.Duration(wait) * time.Millisecond
		e := errs.E(errs.TooMany, "login_throttled",
			fmt.Sprintf("登录失败次数过多，请%d分钟后再试", int(d.Minutes())+1),
			fmt.Sprintf("too many failed logins; try again in %d minutes", int(d.Minutes())+1))
		e.RetryAfter = d
		return e
	}
	return nil
}

// Succeed clears the account's counter and gives back the attempt's
// reservation of the IP's. Its error (Redis went away) is only logged: the
// password was right.
func (t *Throttle) Succeed(ctx context.Context, username, ip string) error {
	return giveBack.Run(context.WithoutCancel(ctx), t.rdb, []string{accountKey(username), ipKey(ip)}, "clear").Err()
}

// Release gives back a reserved attempt that was neither a success nor a
// failure (the check itself could not be made). Callers only log its error.
func (t *Throttle) Release(ctx context.Context, username, ip string) error {
	return giveBack.Run(context.WithoutCancel(ctx), t.rdb, []string{accountKey(username), ipKey(ip)}, "").Err()
}
