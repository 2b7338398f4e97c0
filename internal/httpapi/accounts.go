package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"strings"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
)

// countyRoles are the roles an account can hold within one county.
var countyRoles = map[authz.Role]bool{authz.LeadingGroup: true, authz.Office: true, authz.Inspector: true, authz.UnitUser: true, authz.TaskForce: true, authz.Statistics: true}

func checkRoles(roles []string) ([]authz.Role, error) {
	out := make([]authz.Role, 0, len(roles))
	for _, r := range roles {
		if !countyRoles[authz.Role(r)] {
			var v errs.Validation
			v.Add("roles", "invalid_role", "角色无效："+r, "not a county role: "+r)
			return nil, v.Err()
		}
		out = append(out, authz.Role(r))
	}
	return out, nil
}

func (s *Server) accountAPI(a postgres.Account, domain string) Account {
	roles := []string{}
	for _, r := range s.Authz.RolesIn(a.ID, domain) {
		roles = append(roles, string(r))
	}
	return Account{ID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Scope: a.Scope, PersonID: a.PersonID,
		Disabled: a.Disabled, MustChangePassword: a.MustChangePassword, Roles: roles}
}

// reloadAuthz makes this replica and every other one read the policy again.
func (s *Server) reloadAuthz(ctx context.Context) {
	if err := s.Authz.Reload(ctx); err != nil {
		s.Log.ErrorContext(ctx, "reload casbin policy", "error", err)
	}
	if err := s.Redis.Publish(ctx, AuthzChannel, "roles").Err(); err != nil {
		s.Log.ErrorContext(ctx, "publish policy change", "error", err)
	}
}

func (s *Server) listAccounts(r *Req) (any, error) {
	p, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	as, next, err := postgres.ListAccounts(r.Ctx, r.Tx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(as))
	for i, a := range as {
		out[i] = s.accountAPI(a, r.Session.Domain())
	}
	return NewList(out, next), nil
}

func (s *Server) getAccount(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	a, err := postgres.GetCountyAccount(r.Ctx, r.Tx, id)
	return s.accountAPI(a, r.Session.Domain()), err
}

func (s *Server) setRoles(r *Req, id uuid.UUID, roles []authz.Role) error {
	before := s.Authz.RolesIn(id, r.Session.Domain())
	own, err := postgres.SamePerson(r.Ctx, r.Tx, &id, r.Session.AccountID) // this account, or another of the same person
	if err != nil {
		return err
	}
	if own {
		if sameRoles(before, roles) {
			return nil // an edit of one's own name keeps one's roles
		}
		var v errs.Validation
		v.Add("roles", "own_roles", "不能更改自己账号的角色，请由其他管理员办理", "you cannot change your own roles: another administrator must")
		return v.Err()
	}
	if err := authz.SetRoles(r.Ctx, r.Tx, id, r.Session.Domain(), roles); err != nil {
		return err
	}
	r.AfterCommit(s.reloadAuthz)
	return postgres.Audit(r.Ctx, r.Tx, audit.Entry{Action: "account.roles", EntityType: "account", EntityID: id.String(),
		Before: map[string]any{"roles": before}, After: map[string]any{"roles": roles}})
}

func sameRoles(a, b []authz.Role) bool {
	set := map[authz.Role]bool{}
	for _, r := range a {
		set[r] = true
	}
	for _, r := range b {
		if !set[r] {
			return false
		}
	}
	seen := map[authz.Role]bool{}
	for _, r := range b {
		seen[r] = true
	}
	return len(seen) == len(set)
}

func (s *Server) createAccount(r *Req) (any, error) {
	var in AccountInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	roles, err := checkRoles(in.Roles)
	if err != nil {
		return nil, err
	}
	var v errs.Validation
	if !usernameOK(in.Username) {
		v.Add("username", "invalid_username", "用户名须为3-41位小写字母、数字、点、下划线或连字符", "username must be 3-41 lower-case letters, digits, '.', '_' or '-'")
	}
	if n := len([]rune(strings.TrimSpace(in.DisplayName))); n == 0 || n > 50 {
		v.Add("display_name", "required", "请填写姓名（不超过50字）", "display name is required (at most 50 characters)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := auth.CheckPolicy(in.Password, in.Username); err != nil {
		return nil, renameField(err, "new_password", "password")
	}
	hash, err := s.Hasher.Hash(r.Ctx, in.Password)
	if err != nil {
		return nil, err
	}
	a, err := postgres.CreateAccount(r.Ctx, r.Tx, postgres.Account{Scope: "county", CountyID: r.Session.ActiveCountyID,
		Username: in.Username, DisplayName: strings.TrimSpace(in.DisplayName), PersonID: in.PersonID, PasswordHash: hash, MustChangePassword: true})
	if err != nil {
		return nil, err
	}
	if err := s.setRoles(r, a.ID, roles); err != nil {
		return nil, err
	}
	out := s.accountAPI(a, r.Session.Domain())
	out.Roles = in.Roles
	return out, nil
}

func (s *Server) updateAccount(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in AccountUpdate
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	roles, err := checkRoles(in.Roles)
	if err != nil {
		return nil, err
	}
	if id == r.Session.AccountID && in.Disabled {
		var v errs.Validation
		v.Add("disabled", "self_disable", "不能停用自己的账号", "you cannot disable your own account")
		return nil, v.Err()
	}
	own, err := postgres.SamePerson(r.Ctx, r.Tx, &id, r.Session.AccountID)
	if err != nil {
		return nil, err
	}
	if own {
		cur, err := postgres.GetCountyAccount(r.Ctx, r.Tx, id)
		if err != nil {
			return nil, err
		}
		if !sameRef(cur.PersonID, in.PersonID) {
			var v errs.Validation
			v.Add("person_id", "own_person", "不能更改自己账号关联的人员，请由其他管理员办理", "you cannot change the person your own account acts as: another administrator must")
			return nil, v.Err()
		}
	}
	a, err := postgres.UpdateAccount(r.Ctx, r.Tx, id, strings.TrimSpace(in.DisplayName), in.PersonID, in.Disabled)
	if err != nil {
		return nil, err
	}
	if err := s.setRoles(r, id, roles); err != nil {
		return nil, err
	}
	if in.Disabled {
		if err := postgres.RevokeAccountSessions(r.Ctx, r.Tx, id, nil); err != nil {
			return nil, err
		}
	}
	// Cached sessions carry the name and the person link: every change ends them.
	r.AfterCommit(func(ctx context.Context) { s.evictEverywhere(ctx, id) })
	out := s.accountAPI(a, r.Session.Domain())
	out.Roles = in.Roles
	return out, nil
}

func sameRef(a, b *uuid.UUID) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func (s *Server) resetPassword(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	a, err := postgres.GetCountyAccount(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	temp := temporaryPassword()
	hash, err := s.Hasher.Hash(r.Ctx, temp)
	if err != nil {
		return nil, err
	}
	if err := postgres.SetPassword(r.Ctx, r.Tx, a.ID, hash, true, "account.password_reset"); err != nil {
		return nil, err
	}
	if err := postgres.RevokeAccountSessions(r.Ctx, r.Tx, a.ID, nil); err != nil {
		return nil, err
	}
	r.AfterCommit(func(ctx context.Context) { s.evictEverywhere(ctx, a.ID) })
	return TemporaryPassword{TemporaryPassword: temp}, nil
}

// temporaryPassword makes a 14-character password that meets the policy.
func temporaryPassword() string {
	const sets = "abcdefghijkmnpqrstuvwxyz" + "ABCDEFGHJKLMNPQRSTUVWXYZ" + "23456789"
	pick := func(set string) byte {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		return set[n.Int64()]
	}
	b := []byte{pick("abcdefghijkmnpqrstuvwxyz"), pick("ABCDEFGHJKLMNPQRSTUVWXYZ"), pick("23456789"), '-'}
	for len(b) < 14 {
		b = append(b, pick(sets))
	}
	return string(b)
}

func usernameOK(u string) bool {
	if len(u) < 3 || len(u) > 41 {
		return false
	}
	for i, c := range u {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

func renameField(err error, from, to string) error {
	var e *errs.Error
	if errors.As(err, &e) {
		for i := range e.Fields {
			if e.Fields[i].Field == from {
				e.Fields[i].Field = to
			}
		}
	}
	return err
}

func (s *Server) listAudit(r *Req) (any, error) {
	p, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	return auditPage(r, r.C.QueryParam("entity_type"), r.C.QueryParam("entity_id"), p)
}

// auditPage is one page of the county's audit entries, optionally of one entity.
func auditPage(r *Req, entityType, entityID string, p postgres.Page) (any, error) {
	recs, next, err := postgres.ListAudit(r.Ctx, r.Tx, entityType, entityID, p)
	if err != nil {
		return nil, err
	}
	out := make([]AuditEntry, len(recs))
	for i, a := range recs {
		out[i] = AuditEntry{Seq: a.Seq, At: a.At, ActorID: a.ActorID, ActorName: a.ActorName, RequestID: a.RequestID,
			Action: a.Action, EntityType: a.EntityType, EntityID: a.EntityID, Before: raw(a.Before), After: raw(a.After)}
	}
	return NewList(out, next), nil
}

func raw(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return RawJSON(b)
}
