// Package authz decides who may call which endpoint (P3) with casbin v2:
// RBAC with domains, one domain per county ("<prefecture>/<county>") plus
// patterns for the prefecture ("<prefecture>/*") and the platform ("*").
//
// A permission is a role, an Echo route template and an HTTP method, so a
// route without a permission row is denied to everyone. The domain of a
// request always comes from its server-side session.
package authz

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"
	"github.com/google/uuid"
)

// Role is a named set of permissions.
type Role string

const (
	PlatformAdmin Role = "platform_admin" // 平台管理员（集成商）
	Municipal     Role = "municipal"      // 市重点项目办：查看全部县区，只读
	LeadingGroup  Role = "leading_group"  // 领导小组成员
	Office        Role = "office"         // 县重点项目办工作人员
	Inspector     Role = "inspector"      // 督导组成员
	UnitUser      Role = "unit_user"      // 责任单位、服务单位用户
	TaskForce     Role = "task_force"     // 1+3专班成员
	Statistics    Role = "statistics"     // 统计局：核实月度统计数据
	Anonymous     Role = "anonymous"      // 公众（未登录）
)

// Roles lists the roles that can be assigned, with their Chinese names.
var Roles = []struct {
	Role Role
	ZH   string
}{
	{PlatformAdmin, "平台管理员"}, {Municipal, "市重点项目办"}, {LeadingGroup, "领导小组成员"},
	{Office, "县重点项目办"}, {Inspector, "督导组成员"}, {UnitUser, "单位用户"}, {TaskForce, "专班成员"}, {Statistics, "统计局"},
}

// Valid reports whether r is an assignable role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x.Role == r {
			return true
		}
	}
	return false
}

const modelText = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (r.sub == p.sub || g(r.sub, p.sub, r.dom)) && r.obj == p.obj && r.act == p.act
`

// CountyDomain is the casbin domain of a county.
func CountyDomain(prefecture, county uuid.UUID) string {
	return prefecture.String() + "/" + county.String()
}

// PrefectureDomain matches every county of a prefecture.
func PrefectureDomain(prefecture uuid.UUID) string { return prefecture.String() + "/*" }

// PlatformDomain matches every county.
const PlatformDomain = "*"

// Authorizer holds the enforcer; safe for concurrent use.
type Authorizer struct {
	mu      sync.Mutex // one reload at a time
	e       *casbin.SyncedCachedEnforcer
	a       *Adapter
	version atomic.Int64 // the policy version loaded
}

// New loads the policy through a.
func New(a *Adapter) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, err
	}
	// Decisions are cached per (subject, domain, route, method): without
	// the cache each request evaluates the matcher once per permission row.
	e, err := casbin.NewSyncedCachedEnforcer(m, a)
	if err != nil {
		return nil, fmt.Errorf("load casbin policy: %w", err)
	}
	e.EnableAutoSave(false) // rows are written in the request's transaction
	e.SetExpireTime(10 * time.Minute)
	e.AddNamedDomainMatchingFunc("g", "KeyMatch", util.KeyMatch)
	z := &Authorizer{e: e, a: a}
	if err := z.reload(); err != nil {
		return nil, err
	}
	return z, nil
}

// Reload reads the policy again (after this or another replica changed it).
// The decision cache is cleared again afterwards, so that no decision taken
// during the reload under the old policy survives it.
func (z *Authorizer) Reload(context.Context) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.reload()
}

func (z *Authorizer) reload() error {
	if err := z.e.LoadPolicy(); err != nil {
		return err
	}
	z.version.Store(z.a.read.Load())
	return z.e.InvalidateCache()
}

// Sync reloads the policy when version, the database's policy version as a
// request read it, is newer than the loaded one: a role changed through
// another replica applies at this replica's next request even when that
// replica's message was lost. Concurrent callers wait for one reload; the
// error is the reload's.
func (z *Authorizer) Sync(_ context.Context, version int64) error {
	if version <= z.version.Load() {
		return nil
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if version <= z.version.Load() {
		return nil
	}
	return z.reload()
}

// Allow reports whether sub (an account id, or Anonymous) may call method
// route in domain.
func (z *Authorizer) Allow(sub, domain, route, method string) bool {
	ok, err := z.e.Enforce(sub, domain, route, method)
	return err == nil && ok
}

// RolesIn returns the roles of an account in a domain.
func (z *Authorizer) RolesIn(account uuid.UUID, domain string) []Role {
	var out []Role
	seen := map[Role]bool{}
	rows, _ := z.e.GetFilteredGroupingPolicy(0, account.String())
	for _, r := range rows {
		if len(r) >= 3 && util.KeyMatch(domain, r[2]) && !seen[Role(r[1])] {
			seen[Role(r[1])] = true
			out = append(out, Role(r[1]))
		}
	}
	return out
}

// Assignment is one role of an account in a domain pattern.
type Assignment struct {
	Role   Role
	Domain string
}

// AssignmentsOf lists an account's role assignments.
func (z *Authorizer) AssignmentsOf(account uuid.UUID) []Assignment {
	rows, _ := z.e.GetFilteredGroupingPolicy(0, account.String())
	out := make([]Assignment, 0, len(rows))
	for _, r := range rows {
		out = append(out, Assignment{Role(r[1]), r[2]})
	}
	return out
}

// Permission lets Role call Method on Route (an Echo route template).
type Permission struct {
	Role   Role
	Route  string
	Method string
}
