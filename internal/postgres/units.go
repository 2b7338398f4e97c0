package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/org"
	"github.com/tuijin/tuijin/internal/project"
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
	HeadPersonID  *uuid.UUID `bun:"head_person_id,type:uuid"`
	SortOrder     int        `bun:"sort_order"`
	Active        bool       `bun:"active"`
	Version       int        `bun:"version"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time  `bun:"updated_at,nullzero,default:now()"`
}

func toUnit(r unitRow) org.Unit {
	return org.Unit{ID: r.ID, CountyID: r.CountyID, Code: r.Code, Name: r.Name, Kind: org.UnitKind(r.Kind),
		IsServiceUnit: r.IsServiceUnit, ParentID: r.ParentID, HeadPersonID: r.HeadPersonID, SortOrder: r.SortOrder, Active: r.Active,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toUnitRow(u org.Unit) unitRow {
	return unitRow{ID: u.ID, Code: u.Code, Name: u.Name, Kind: string(u.Kind), IsServiceUnit: u.IsServiceUnit,
		ParentID: u.ParentID, HeadPersonID: u.HeadPersonID, SortOrder: u.SortOrder, Active: u.Active, Version: u.Version}
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
	if ok, err := DecodeCursor(p.After, &cur); err != nil {
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
		next = EncodeCursor(struct {
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

// checkHead: a unit's main head is one of its own people.
func checkHead(ctx context.Context, tx bun.IDB, u org.Unit) error {
	if u.HeadPersonID == nil {
		return nil
	}
	p, err := GetPerson(ctx, tx, *u.HeadPersonID)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return err
	}
	if err != nil || p.UnitID == nil || *p.UnitID != u.ID {
		var v errs.Validation
		v.Add("head_person_id", "head_not_in_unit", "主要负责人须为本单位人员（请先在人员中登记其所属单位）", "the main head must be a person of this unit (register them in the unit first)")
		return v.Err()
	}
	return nil
}

// CreateUnit validates and stores a new unit, audited. A new unit has no
// people yet, so no main head: it is set by UpdateUnit.
func CreateUnit(ctx context.Context, tx bun.IDB, u org.Unit) (org.Unit, error) {
	if err := u.Validate(); err != nil {
		return org.Unit{}, err
	}
	if u.HeadPersonID != nil {
		var v errs.Validation
		v.Add("head_person_id", "head_not_in_unit", "新建单位尚无人员；请先登记人员，再指定主要负责人", "a new unit has no people yet: register them, then set the main head")
		return org.Unit{}, v.Err()
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
	if err := checkHead(ctx, tx, u); err != nil {
		return org.Unit{}, err
	}
	r := toUnitRow(u)
	res, err := tx.NewUpdate().Model(&r).
		Column("code", "name", "kind", "is_service_unit", "parent_id", "head_person_id", "sort_order", "active").
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

// HolderUnitOf is a responsible unit with its main head, for the seat rules.
func HolderUnitOf(ctx context.Context, tx bun.IDB, unitID uuid.UUID) (project.HolderUnit, error) {
	out := project.HolderUnit{ID: unitID}
	var rows []struct {
		HeadID   *uuid.UUID `bun:"head_person_id"`
		HeadName string     `bun:"head_name"`
	}
	err := tx.NewRaw(`SELECT u.head_person_id, coalesce(p.name, '') AS head_name FROM units u
		LEFT JOIN people p ON p.id = u.head_person_id WHERE u.id = ?`, unitID).Scan(ctx, &rows)
	if err == nil && len(rows) == 1 {
		out.HeadID, out.HeadName = rows[0].HeadID, rows[0].HeadName
	}
	return out, err
}
