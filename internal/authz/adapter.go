package authz

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Adapter stores casbin rules in the casbin_rules table. (The ready-made
// casbin adapters are not available from the module proxy here.)
type Adapter struct {
	db bun.IDB
	// read is the policy version (security_versions.policy) of the rules
	// last read.
	read atomic.Int64
}

// NewAdapter returns an adapter over db.
func NewAdapter(db bun.IDB) *Adapter { return &Adapter{db: db} }

type ruleRow struct {
	bun.BaseModel `bun:"table:casbin_rules"`
	ID            int64  `bun:"id,pk,autoincrement"`
	PType         string `bun:"ptype"`
	V0            string `bun:"v0"`
	V1            string `bun:"v1"`
	V2            string `bun:"v2"`
	V3            string `bun:"v3"`
	V4            string `bun:"v4"`
	V5            string `bun:"v5"`
}

func toRuleRow(ptype string, rule []string) ruleRow {
	v := make([]string, 6)
	copy(v, rule)
	return ruleRow{PType: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}
}

// LoadPolicy implements persist.Adapter. It reads the rules and their
// version from one snapshot.
func (a *Adapter) LoadPolicy(m model.Model) error {
	var rows []ruleRow
	var version int64
	err := a.db.RunInTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw("SELECT policy FROM security_versions").Scan(ctx, &version); err != nil {
			return fmt.Errorf("policy version: %w", err)
		}
		return tx.NewSelect().Model(&rows).Order("id").Scan(ctx)
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		rule := []string{r.PType}
		for _, v := range []string{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5} {
			if v == "" {
				break
			}
			rule = append(rule, v)
		}
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return fmt.Errorf("casbin rule %d: %w", r.ID, err)
		}
	}
	a.read.Store(version)
	return nil
}

// SavePolicy implements persist.Adapter; policies are written with the
// functions below instead.
func (a *Adapter) SavePolicy(model.Model) error {
	return fmt.Errorf("casbin SavePolicy is not used: write rules with authz.SyncPermissions and authz.SetRoles")
}

// AddPolicy implements persist.Adapter.
func (a *Adapter) AddPolicy(_ string, ptype string, rule []string) error {
	r := toRuleRow(ptype, rule)
	_, err := a.db.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(context.Background())
	return err
}

// RemovePolicy implements persist.Adapter.
func (a *Adapter) RemovePolicy(_ string, ptype string, rule []string) error {
	r := toRuleRow(ptype, rule)
	_, err := a.db.NewDelete().Model((*ruleRow)(nil)).
		Where("ptype = ? AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ? AND v4 = ? AND v5 = ?", r.PType, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5).
		Exec(context.Background())
	return err
}

// RemoveFilteredPolicy implements persist.Adapter.
func (a *Adapter) RemoveFilteredPolicy(_ string, ptype string, fieldIndex int, fieldValues ...string) error {
	q := a.db.NewDelete().Model((*ruleRow)(nil)).Where("ptype = ?", ptype)
	for i, v := range fieldValues {
		if v != "" {
			q.Where("? = ?", bun.Ident(fmt.Sprintf("v%d", fieldIndex+i)), v)
		}
	}
	_, err := q.Exec(context.Background())
	return err
}

// SyncPermissions replaces every permission row with perms (run by migrate).
func SyncPermissions(ctx context.Context, tx bun.IDB, perms []Permission) error {
	if _, err := tx.NewDelete().Model((*ruleRow)(nil)).Where("ptype = 'p'").Exec(ctx); err != nil {
		return err
	}
	rows := make([]ruleRow, 0, len(perms))
	for _, p := range perms {
		rows = append(rows, toRuleRow("p", []string{string(p.Role), p.Route, p.Method}))
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// SetRoles replaces an account's role assignments within domain in tx; call
// Authorizer.Reload after the transaction commits.
func SetRoles(ctx context.Context, tx bun.IDB, account uuid.UUID, domain string, roles []Role) error {
	if _, err := tx.NewDelete().Model((*ruleRow)(nil)).Where("ptype = 'g' AND v0 = ? AND v2 = ?", account.String(), domain).Exec(ctx); err != nil {
		return err
	}
	for _, r := range roles {
		row := toRuleRow("g", []string{account.String(), string(r), domain})
		if _, err := tx.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
