package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tuijin/tuijin/internal/errs"
)

// Throttle counts failed logins per account and per client IP in Redis,
// in fixed windows. A throttled login is refused before its password is
// checked. Success clears the account's counter, never the IP's.
type Throttle struct {
	rdb               redis.UniversalClient
	maxAccount, maxIP int
	window            time.Duration
}

// NewThrottle returns a throttle over rdb.
func NewThrottle(rdb redis.UniversalClient, maxAccount, maxIP int, window time.Duration) *Throttle {
	return &Throttle{rdb: rdb, maxAccount: maxAccount, maxIP: maxIP, window: window}
}

func accountKey(u string) string { return "tuijin:login:fail:acct:" + strings.ToLower(u) }
func ipKey(ip string) string     { return "tuijin:login:fail:ip:" + ip }

// Check refuses the attempt when either counter is at its limit.
func (t *Throttle) Check(ctx context.Context, username, ip string) error {
	pipe := t.rdb.Pipeline()
	a := pipe.Get(ctx, accountKey(username))
	i := pipe.Get(ctx, ipKey(ip))
	at := pipe.PTTL(ctx, accountKey(username))
	it := pipe.PTTL(ctx, ipKey(ip))
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	an, _ := a.Int()
	in, _ := i.Int()
	var wait time.Duration
	if an >= t.maxAccount {
		wait = at.Val()
	}
	if in >= t.maxIP && it.Val() > wait {
		wait = it.Val()
	}
	if wait > 0 {
		e := errs.E(errs.TooMany, "login_throttled",
			fmt.Sprintf("登录失败次数过多，请%d分钟后再试", int(wait.Minutes())+1),
			fmt.Sprintf("too many failed logins; try again in %d minutes", int(wait.Minutes())+1))
		e.RetryAfter = wait
		return e
	}
	return nil
}

// Fail records a failed attempt.
func (t *Throttle) Fail(ctx context.Context, username, ip string) error {
	pipe := t.rdb.TxPipeline()
	for _, k := range []string{accountKey(username), ipKey(ip)} {
		pipe.Incr(ctx, k)
		pipe.ExpireNX(ctx, k, t.window)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// Succeed clears the account's counter.
func (t *Throttle) Succeed(ctx context.Context, username string) error {
	return t.rdb.Del(ctx, accountKey(username)).Err()
}
