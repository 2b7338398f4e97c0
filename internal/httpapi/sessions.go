package httpapi

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/db"
)

// SessionsChannel is the Redis channel on which a replica names an account
// whose sessions every replica must drop from its cache.
const SessionsChannel = "tuijin:sessions:evict"

// sessionTTL is how long a resolved session is reused without asking the
// database, so that auth_session keeps the session's last use current. A
// change of the account or a revocation applies sooner: every request reads
// the sessions version (security_versions) and a cached session resolved
// under another version is resolved again.
const sessionTTL = time.Minute

// sessionCache keeps resolved sessions by token hash, so that most requests
// do not call auth_session (about 0.5 ms of database time each).
type sessionCache struct {
	mu     sync.Mutex
	m      map[[sha256.Size]byte]cachedSession
	latest int64 // the newest sessions version seen: older entries are stale
}

type cachedSession struct {
	s       Session
	at      time.Time
	version int64 // security_versions.sessions when s was resolved
}

func (c *sessionCache) get(key [sha256.Size]byte, now time.Time) (*Session, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.version < c.latest || now.Sub(e.at) >= sessionTTL || !now.Before(e.s.ExpiresAt) || !now.Before(e.s.IdleExpiresAt) {
		return nil, 0, false
	}
	s := e.s
	return &s, e.version, true
}

func (c *sessionCache) put(key [sha256.Size]byte, s Session, version int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = map[[sha256.Size]byte]cachedSession{}
	}
	c.m[key] = cachedSession{s, now, version}
	c.seenLocked(version)
}

// seenLocked notes a sessions version read from the database; a cached
// session resolved under an older one is not used again.
func (c *sessionCache) seenLocked(version int64) {
	if version > c.latest {
		c.latest = version
	}
}

// drop forgets one cached session, stale under version.
func (c *sessionCache) drop(key [sha256.Size]byte, version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	c.seenLocked(version)
}

// evict drops every cached session of an account.
func (c *sessionCache) evict(account uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.s.AccountID == account {
			delete(c.m, k)
		}
	}
}

// EvictSessions drops an account's cached sessions on this replica; the
// serve command calls it for messages on SessionsChannel.
func (s *Server) EvictSessions(account uuid.UUID) { s.sessions.evict(account) }

// evictEverywhere drops an account's cached sessions on every replica.
func (s *Server) evictEverywhere(ctx context.Context, account uuid.UUID) {
	s.sessions.evict(account)
	if err := s.Redis.Publish(ctx, SessionsChannel, account.String()).Err(); err != nil {
		s.Log.ErrorContext(ctx, "publish session eviction", "error", err)
	}
}

// versionsSQL reads the security counters along with the request's first
// statement (a cross join with the one-row table).
const versionsSQL = "v.policy, v.sessions"

// versionsOf parses the two counters that follow the first column of row.
func versionsOf(row [][]byte) (policy, sessions int64, err error) {
	if len(row) != 3 {
		return 0, 0, fmt.Errorf("session row has %d columns", len(row))
	}
	if policy, err = strconv.ParseInt(string(row[1]), 10, 64); err != nil {
		return 0, 0, err
	}
	sessions, err = strconv.ParseInt(string(row[2]), 10, 64)
	return policy, sessions, err
}

// beginRequest opens the request's transaction with the tenant set, in one
// round trip, and returns the session of token (nil when it is not valid).
// The same round trip reads the security counters: a cached session
// resolved under another sessions version is resolved again (a second round
// trip), and a newer policy version reloads the policy first.
func (s *Server) beginRequest(ctx context.Context, token string) (*db.Conn, *Session, error) {
	key := sha256.Sum256([]byte(token))
	now := s.Now()
	if sess, version, ok := s.sessions.get(key, now); ok {
		domain := uuid.Nil
		if sess.ActiveCountyID != nil {
			domain = *sess.ActiveCountyID
		}
		cn, rows, err := s.DB.BeginWith(ctx, fmt.Sprintf("SELECT set_config('app.county_id', '%s', true), %s FROM security_versions v", domain, versionsSQL))
		if err != nil {
			return nil, nil, err
		}
		policy, current, err := versionsOf(firstRow(rows))
		if err == nil && current == version {
			if err := s.Authz.Sync(ctx, policy); err != nil {
				cn.Rollback(ctx)
				return nil, nil, err
			}
			return cn, sess, nil
		}
		cn.Rollback(ctx)
		if err != nil {
			return nil, nil, err
		}
		s.sessions.drop(key, current)
	}
	cn, rows, err := s.DB.BeginWith(ctx, s.sessionSQL(token))
	if err != nil {
		return nil, nil, err
	}
	if len(rows) != 1 {
		return cn, nil, nil
	}
	sess, policy, version, err := parseSessionRow(rows[0])
	if err == nil {
		err = s.Authz.Sync(ctx, policy)
	}
	if err != nil {
		cn.Rollback(ctx)
		return nil, nil, err
	}
	s.sessions.put(key, *sess, version, now)
	return cn, sess, nil
}

func firstRow(rows [][][]byte) [][]byte {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}
