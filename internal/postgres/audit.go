package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
)

// Audit appends e to the audit trail of the transaction's county, with the
// actor of ctx. The database links it into the county's hash chain.
func Audit(ctx context.Context, tx bun.IDB, e audit.Entry) error {
	a := audit.ActorFrom(ctx)
	before, err := jsonOrNil(e.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNil(e.After)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (actor_id, actor_name, request_id, action, entity_type, entity_id, before, after, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '\x', '\x')`,
		a.AccountID, a.Name, a.RequestID, e.Action, e.EntityType, e.EntityID, before, after)
	return err
}

func jsonOrNil(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// AuditRecord is one audit row as read back.
type AuditRecord struct {
	Seq        int64           `bun:"seq"`
	At         time.Time       `bun:"at"`
	ActorID    *uuid.UUID      `bun:"actor_id"`
	ActorName  string          `bun:"actor_name"`
	RequestID  string          `bun:"request_id"`
	Action     string          `bun:"action"`
	EntityType string          `bun:"entity_type"`
	EntityID   string          `bun:"entity_id"`
	Before     json.RawMessage `bun:"before,type:jsonb"`
	After      json.RawMessage `bun:"after,type:jsonb"`
}

// ListAudit returns the county's audit entries, newest first, optionally for
// one entity.
func ListAudit(ctx context.Context, tx bun.IDB, entityType, entityID string, p Page) ([]AuditRecord, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	q := tx.NewSelect().Table("audit_log").
		Column("seq", "at", "actor_id", "actor_name", "request_id", "action", "entity_type", "entity_id", "before", "after").
		OrderExpr("seq DESC").Limit(int64(p.Limit + 1))
	var cur struct{ Seq int64 }
	if ok, err := DecodeCursor(p.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("seq < ?", cur.Seq)
	}
	if entityType != "" {
		q.Where("entity_type = ?", entityType)
	}
	if entityID != "" {
		q.Where("entity_id = ?", entityID)
	}
	var out []AuditRecord
	if err := q.Scan(ctx, &out); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		next = EncodeCursor(struct{ Seq int64 }{out[len(out)-1].Seq})
	}
	return out, next, nil
}

// ChainBreak names the first broken link of a county's audit chain.
type ChainBreak struct {
	CountyID uuid.UUID
	Seq      int64
	Reason   string
}

func (b ChainBreak) String() string {
	return fmt.Sprintf("county %s: entry %d: %s", b.CountyID, b.Seq, b.Reason)
}

// VerifyAudit walks every county's chain (and the platform's) in order and
// returns the first broken link of each broken chain, and how many entries it
// checked. Run it as the owning role; it sets each county in turn.
func VerifyAudit(ctx context.Context, d bun.IDB) (breaks []ChainBreak, checked int, err error) {
	var domains []uuid.UUID
	if err := d.NewSelect().Table("counties").Column("id").Order("code").Scan(ctx, &domains); err != nil {
		return nil, 0, err
	}
	domains = append([]uuid.UUID{uuid.Nil}, domains...)
	for _, county := range domains {
		err := d.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', ?, true)", county.String()); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT seq, prev_hash, hash,
				audit_row_hash(prev_hash, county_id, seq, at, actor_id, actor_name, request_id, action, entity_type, entity_id, before, after)
				FROM audit_log ORDER BY seq`)
			if err != nil {
				return err
			}
			defer rows.Close()
			var want int64 = 1
			prev := []byte{}
			for rows.Next() {
				var seq int64
				var prevHash, hash, recomputed []byte
				if err := rows.Scan(&seq, &prevHash, &hash, &recomputed); err != nil {
					return err
				}
				checked++
				var reason string
				switch {
				case seq != want:
					reason = fmt.Sprintf("expected entry %d, found %d (entries removed or reordered)", want, seq)
				case !bytes.Equal(prevHash, prev):
					reason = "prev_hash does not match the hash of the entry before"
				case !bytes.Equal(hash, recomputed):
					reason = "content does not match its hash (entry altered)"
				}
				if reason != "" {
					breaks = append(breaks, ChainBreak{county, seq, reason})
					return nil
				}
				prev, want = hash, want+1
			}
			return rows.Err()
		})
		if err != nil {
			return breaks, checked, err
		}
	}
	return breaks, checked, nil
}
