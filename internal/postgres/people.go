package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/org"
)

type personRow struct {
	bun.BaseModel `bun:"table:people"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Name          string     `bun:"name"`
	Post          string     `bun:"post"`
	Rank          string     `bun:"rank"`
	UnitID        *uuid.UUID `bun:"unit_id,type:uuid"`
	Phone         string     `bun:"phone"`
	Active        bool       `bun:"active"`
	Version       int        `bun:"version"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time  `bun:"updated_at,nullzero,default:now()"`
}

func toPerson(r personRow) org.Person {
	return org.Person{ID: r.ID, CountyID: r.CountyID, Name: r.Name, Post: r.Post, Rank: org.Rank(r.Rank),
		UnitID: r.UnitID, Phone: r.Phone, Active: r.Active, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toPersonRow(p org.Person) personRow {
	return personRow{ID: p.ID, Name: p.Name, Post: p.Post, Rank: string(p.Rank), UnitID: p.UnitID,
		Phone: p.Phone, Active: p.Active, Version: p.Version}
}

// PersonFilter narrows a people list.
type PersonFilter struct {
	UnitID *uuid.UUID
	Rank   string
	Query  string
}

// ListPeople lists the county's people by name.
func ListPeople(ctx context.Context, tx bun.IDB, f PersonFilter, p Page) ([]org.Person, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	var rows []personRow
	q := tx.NewSelect().Model(&rows).OrderExpr("name, id").Limit(int64(p.Limit + 1))
	var cur struct {
		N  string
		ID uuid.UUID
	}
	if ok, err := DecodeCursor(p.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("(name, id) > (?, ?)", cur.N, cur.ID)
	}
	if f.UnitID != nil {
		q.Where("unit_id = ?", *f.UnitID)
	}
	if f.Rank != "" {
		if _, ok := org.Ranks[org.Rank(f.Rank)]; !ok {
			return nil, "", errs.E(errs.Invalid, "invalid_filter", "职级筛选无效", "unknown rank filter")
		}
		q.Where("rank = ?", f.Rank)
	}
	if f.Query != "" {
		q.Where("strpos(name, ?) > 0", f.Query)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = EncodeCursor(struct {
			N  string
			ID uuid.UUID
		}{last.Name, last.ID})
	}
	out := make([]org.Person, len(rows))
	for i, r := range rows {
		out[i] = toPerson(r)
	}
	return out, next, nil
}

// GetPerson returns one person of the county, or errs.ErrNotFound.
func GetPerson(ctx context.Context, tx bun.IDB, id uuid.UUID) (org.Person, error) {
	var r personRow
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return org.Person{}, MapErr(err)
	}
	return toPerson(r), nil
}

// CreatePerson validates and stores a new person, audited.
func CreatePerson(ctx context.Context, tx bun.IDB, p org.Person) (org.Person, error) {
	if err := p.Validate(); err != nil {
		return org.Person{}, err
	}
	p.ID, p.Version, p.Active = uuid.New(), 1, true
	r := toPersonRow(p)
	if _, err := tx.NewInsert().Model(&r).Returning("*").Exec(ctx); err != nil {
		return org.Person{}, MapErr(err)
	}
	out := toPerson(r)
	return out, Audit(ctx, tx, audit.Entry{Action: "person.create", EntityType: "person", EntityID: out.ID.String(), After: out})
}

// UpdatePerson replaces a person's fields if the version still matches.
func UpdatePerson(ctx context.Context, tx bun.IDB, p org.Person) (org.Person, error) {
	before, err := GetPerson(ctx, tx, p.ID)
	if err != nil {
		return org.Person{}, err
	}
	if err := p.Validate(); err != nil {
		return org.Person{}, err
	}
	r := toPersonRow(p)
	res, err := tx.NewUpdate().Model(&r).Column("name", "post", "rank", "unit_id", "phone", "active").
		Set("version = version + 1").Set("updated_at = now()").
		Where("id = ? AND version = ?", p.ID, p.Version).Returning("*").Exec(ctx)
	if err != nil {
		return org.Person{}, MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return org.Person{}, errs.ErrVersionConflict
	}
	after := toPerson(r)
	return after, Audit(ctx, tx, audit.Entry{Action: "person.update", EntityType: "person", EntityID: p.ID.String(), Before: before, After: after})
}

// DeletePerson removes a person nothing references.
func DeletePerson(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	before, err := GetPerson(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*personRow)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		if err = MapErr(err); errs.KindOf(err) == errs.Invalid {
			return errs.ErrInUse.Wrap(err)
		}
		return err
	}
	return Audit(ctx, tx, audit.Entry{Action: "person.delete", EntityType: "person", EntityID: id.String(), Before: before})
}
