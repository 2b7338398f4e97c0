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

type unitRow struct {
	bun.BaseModel `bun:"table:units"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid,default:gen_random_uuid()"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Code          string     `bun:"code"`
	Name          string     `bun:"name"`
	Kind          string     `bun:"kind"`
	IsServiceUnit bool       `bun:"is_service_unit"`
	ParentID      *uuid.UUID `bun:"parent_id,type:uuid"`
	SortOrder     int        `bun:"sort_order"`
	Active        bool       `bun:"active"`
	Version       int        `bun:"version"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time  `bun:"updated_at,nullzero,default:now()"`
}

func toUnit(r unitRow) org.Unit {
	return org.Unit{ID: r.ID, CountyID: r.CountyID, Code: r.Code, Name: r.Name, Kind: org.UnitKind(r.Kind),
		IsServiceUnit: r.IsServiceUnit, ParentID: r.ParentID, SortOrder: r.SortOrder, Active: r.Active,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toUnitRow(u org.Unit) unitRow {
	return unitRow{ID: u.ID, Code: u.Code, Name: u.Name, Kind: string(u.Kind), IsServiceUnit: u.IsServiceUnit,
		ParentID: u.ParentID, SortOrder: u.SortOrder, Active: u.Active, Version: u.Version}
}

// UnitFilter narrows a unit list.
type UnitFilter struct {
	Group string // township, department, service, or empty for all
	Query string // substring of the name
}

// ListUnits lists the county's units ordered by sort order and code.
func ListUnits(ctx context.Context, tx bun.IDB, f UnitFilter, p Page) ([]org.Unit, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	var rows []unitRow
	q := tx.NewSelect().Model(&rows).OrderExpr("sort_order, code").Limit(int64(p.Limit + 1))
	var cur struct {
		S int
		C string
	}
	if ok, err := decodeCursor(p.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("(sort_order, code) > (?, ?)", cur.S, cur.C)
	}
	switch f.Group {
	case "":
	case "township":
		q.Where("kind IN ('street','town','township','zone')")
	case "department":
		q.Where("kind = 'department'")
	case "service":
		q.Where("is_service_unit")
	default:
		return nil, "", errs.E(errs.Invalid, "invalid_filter", "单位分组无效（township、department、service）", "group must be township, department or service")
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
		next = encodeCursor(struct {
			S int
			C string
		}{last.SortOrder, last.Code})
	}
	out := make([]org.Unit, len(rows))
	for i, r := range rows {
		out[i] = toUnit(r)
	}
	return out, next, nil
}

// GetUnit returns one unit of the county, or errs.ErrNotFound.
func GetUnit(ctx context.Context, tx bun.IDB, id uuid.UUID) (org.Unit, error) {
	var r unitRow
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return org.Unit{}, MapErr(err)
	}
	return toUnit(r), nil
}

// CreateUnit validates and stores a new unit, audited.
func CreateUnit(ctx context.Context, tx bun.IDB, u org.Unit) (org.Unit, error) {
	if err := u.Validate(); err != nil {
		return org.Unit{}, err
	}
	u.ID, u.Version, u.Active = uuid.New(), 1, true
	r := toUnitRow(u)
	if _, err := tx.NewInsert().Model(&r).Returning("*").Exec(ctx); err != nil {
		return org.Unit{}, MapErr(err)
	}
	out := toUnit(r)
	return out, Audit(ctx, tx, audit.Entry{Action: "unit.create", EntityType: "unit", EntityID: out.ID.String(), After: out})
}

// UpdateUnit replaces a unit's fields if its version still matches.
func UpdateUnit(ctx context.Context, tx bun.IDB, u org.Unit) (org.Unit, error) {
	before, err := GetUnit(ctx, tx, u.ID)
	if err != nil {
		return org.Unit{}, err
	}
	if err := u.Validate(); err != nil {
		return org.Unit{}, err
	}
	if u.ParentID != nil && *u.ParentID == u.ID {
		var v errs.Validation
		v.Add("parent_id", "cycle", "上级单位不能是本单位", "a unit cannot be its own parent")
		return org.Unit{}, v.Err()
	}
	r := toUnitRow(u)
	res, err := tx.NewUpdate().Model(&r).
		Column("code", "name", "kind", "is_service_unit", "parent_id", "sort_order", "active").
		Set("version = version + 1").Set("updated_at = now()").
		Where("id = ? AND version = ?", u.ID, u.Version).Returning("*").Exec(ctx)
	if err != nil {
		return org.Unit{}, MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return org.Unit{}, errs.ErrVersionConflict
	}
	after := toUnit(r)
	return after, Audit(ctx, tx, audit.Entry{Action: "unit.update", EntityType: "unit", EntityID: u.ID.String(), Before: before, After: after})
}

// DeleteUnit removes a unit that nothing references.
func DeleteUnit(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	before, err := GetUnit(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*unitRow)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		if err = MapErr(err); errs.KindOf(err) == errs.Invalid {
			return errs.ErrInUse.Wrap(err)
		}
		return err
	}
	return Audit(ctx, tx, audit.Entry{Action: "unit.delete", EntityType: "unit", EntityID: id.String(), Before: before})
}
