// Package postgres stores tuijin's domain objects in PostgreSQL through bun.
// Every function takes a bun.IDB, so one service call composes several writes
// in one tenant transaction; the county comes from that transaction
// (app.county_id), never from an argument, and Row-Level Security checks it.
package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/uptrace/bun"
)

// Page asks for one page of a keyset-paginated list.
type Page struct {
	Limit int    // 1..MaxPageSize; 0 means DefaultPageSize
	After string // opaque cursor from the previous page
}

const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

var errOneSeat = errs.E(errs.Invalid, "one_seat_per_person", "一人不能在同一项目任务组兼任两个岗位", "one person cannot hold two seats of a project's task force")

var errBadCursor = errs.E(errs.Invalid, "invalid_cursor", "分页游标无效", "invalid page cursor")

// Normalize clamps the limit and refuses oversized pages.
func (p Page) Normalize() (Page, error) {
	if p.Limit == 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit < 1 || p.Limit > MaxPageSize {
		return p, errs.E(errs.Invalid, "invalid_limit", "每页条数须在1到200之间", "limit must be between 1 and 200")
	}
	return p, nil
}

// DecodeCursor reads a cursor made by EncodeCursor into into; false when s is empty.
func DecodeCursor(s string, into any) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, into) != nil {
		return false, errBadCursor
	}
	return true, nil
}

// EncodeCursor makes the opaque cursor of a keyset page.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// mapErr turns constraint violations into domain errors.
func MapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case db.NoRows(err):
		return errs.ErrNotFound
	case db.ViolatedConstraint(err) == "task_force_one_seat_per_person":
		return errOneSeat.Wrap(err)
	case db.IsUniqueViolation(err):
		return errs.ErrDuplicate.Wrap(err)
	case db.IsForeignKeyViolation(err):
		return errs.E(errs.Invalid, "invalid_reference", "引用的对象不存在或仍被引用", "a referenced object does not exist, or this one is still referenced").Wrap(err)
	case db.IsCheckViolation(err):
		return errs.E(errs.Invalid, "constraint_violation", "数据不符合约束", "the data violates a constraint").Wrap(err)
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return err
}

// IsNotFound says whether err means no such row.
func IsNotFound(err error) bool {
	return db.NoRows(err) || errs.KindOf(err) == errs.NotFound
}

// NewestFirst reads one page of q (a select into out) ordered newest first
// by the timestamp column col and then the id column idCol; key gives a
// row's values of both. It returns the cursor of the next page ("" on the
// last), so that no list is ever cut silently.
func NewestFirst[T any](ctx context.Context, q *bun.SelectQuery, page Page, col, idCol string, key func(T) (time.Time, uuid.UUID), out *[]T) (string, error) {
	page, err := page.Normalize()
	if err != nil {
		return "", err
	}
	var cur struct {
		T  time.Time
		ID uuid.UUID
	}
	if ok, err := DecodeCursor(page.After, &cur); err != nil {
		return "", err
	} else if ok {
		q.Where("(?, ?) < (?, ?)", bun.Ident(col), bun.Ident(idCol), cur.T, cur.ID)
	}
	if err := q.OrderExpr("? DESC, ? DESC", bun.Ident(col), bun.Ident(idCol)).Limit(int64(page.Limit+1)).Scan(ctx, out); err != nil {
		return "", err
	}
	if len(*out) <= page.Limit {
		return "", nil
	}
	*out = (*out)[:page.Limit]
	cur.T, cur.ID = key((*out)[page.Limit-1])
	return EncodeCursor(cur), nil
}
