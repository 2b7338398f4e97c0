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

type groupRow struct {
	bun.BaseModel `bun:"table:org_groups"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Kind          string     `bun:"kind"`
	Number        int        `bun:"number"`
	Name          string     `bun:"name"`
	LeadUnitID    *uuid.UUID `bun:"lead_unit_id,type:uuid"`
	Duty          string     `bun:"duty"`
	Version       int        `bun:"version"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time  `bun:"updated_at,nullzero,default:now()"`
}

type memberRow struct {
	bun.BaseModel `bun:"table:org_group_members,alias:m"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	GroupID       uuid.UUID `bun:"group_id,type:uuid"`
	PersonID      uuid.UUID `bun:"person_id,type:uuid"`
	Position      string    `bun:"position"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
	PersonName    string    `bun:"person_name,scanonly"`
}

func toGroup(r groupRow) org.Group {
	return org.Group{ID: r.ID, CountyID: r.CountyID, Kind: org.GroupKind(r.Kind), Number: r.Number, Name: r.Name,
		LeadUnitID: r.LeadUnitID, Duty: r.Duty, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Members: []org.Member{}}
}

// ListGroups lists the county's groups (optionally of one kind) with their
// members, leading group first, then the office, then inspection groups by number.
func ListGroups(ctx context.Context, tx bun.IDB, kind string) ([]org.Group, error) {
	var rows []groupRow
	q := tx.NewSelect().Model(&rows).OrderExpr("array_position(ARRAY['leading_group','project_office','inspection'], kind), number")
	if kind != "" {
		if _, ok := org.GroupKinds[org.GroupKind(kind)]; !ok {
			return nil, errs.E(errs.Invalid, "invalid_filter", "机构类型筛选无效", "unknown group kind filter")
		}
		q.Where("kind = ?", kind)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]org.Group, len(rows))
	idx := map[uuid.UUID]int{}
	for i, r := range rows {
		out[i] = toGroup(r)
		idx[r.ID] = i
	}
	if len(rows) == 0 {
		return out, nil
	}
	var members []memberRow
	err := tx.NewSelect().Model(&members).ColumnExpr("m.*, p.name AS person_name").
		Join("JOIN people p ON p.id = m.person_id").
		Where("m.group_id IN (?)", bun.List(keys(idx))).
		OrderExpr("array_position(ARRAY['leader','director','deputy','member','staff'], m.position), p.name").Scan(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		g := &out[idx[m.GroupID]]
		g.Members = append(g.Members, org.Member{ID: m.ID, GroupID: m.GroupID, PersonID: m.PersonID, PersonName: m.PersonName, Position: org.Position(m.Position)})
	}
	return out, nil
}

func keys(m map[uuid.UUID]int) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// GetGroup returns one group with its members.
func GetGroup(ctx context.Context, tx bun.IDB, id uuid.UUID) (org.Group, error) {
	var r groupRow
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return org.Group{}, MapErr(err)
	}
	g := toGroup(r)
	var members []memberRow
	err := tx.NewSelect().Model(&members).ColumnExpr("m.*, p.name AS person_name").
		Join("JOIN people p ON p.id = m.person_id").Where("m.group_id = ?", id).
		OrderExpr("array_position(ARRAY['leader','director','deputy','member','staff'], m.position), p.name").Scan(ctx)
	if err != nil {
		return org.Group{}, err
	}
	for _, m := range members {
		g.Members = append(g.Members, org.Member{ID: m.ID, GroupID: m.GroupID, PersonID: m.PersonID, PersonName: m.PersonName, Position: org.Position(m.Position)})
	}
	return g, nil
}

// CreateGroup stores a new group, audited.
func CreateGroup(ctx context.Context, tx bun.IDB, g org.Group) (org.Group, error) {
	if err := g.Validate(); err != nil {
		return org.Group{}, err
	}
	r := groupRow{ID: uuid.New(), Kind: string(g.Kind), Number: g.Number, Name: g.Name, LeadUnitID: g.LeadUnitID, Duty: g.Duty, Version: 1}
	if _, err := tx.NewInsert().Model(&r).Returning("*").Exec(ctx); err != nil {
		return org.Group{}, MapErr(err)
	}
	out := toGroup(r)
	return out, Audit(ctx, tx, audit.Entry{Action: "group.create", EntityType: "group", EntityID: out.ID.String(), After: out})
}

// UpdateGroup changes a group's name, lead unit and duty (kind and number stay).
func UpdateGroup(ctx context.Context, tx bun.IDB, g org.Group) (org.Group, error) {
	before, err := GetGroup(ctx, tx, g.ID)
	if err != nil {
		return org.Group{}, err
	}
	g.Kind, g.Number = before.Kind, before.Number
	if err := g.Validate(); err != nil {
		return org.Group{}, err
	}
	r := groupRow{ID: g.ID, Name: g.Name, LeadUnitID: g.LeadUnitID, Duty: g.Duty}
	res, err := tx.NewUpdate().Model(&r).Column("name", "lead_unit_id", "duty").
		Set("version = version + 1").Set("updated_at = now()").
		Where("id = ? AND version = ?", g.ID, g.Version).Returning("*").Exec(ctx)
	if err != nil {
		return org.Group{}, MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return org.Group{}, errs.ErrVersionConflict
	}
	after, err := GetGroup(ctx, tx, g.ID)
	if err != nil {
		return org.Group{}, err
	}
	return after, Audit(ctx, tx, audit.Entry{Action: "group.update", EntityType: "group", EntityID: g.ID.String(), Before: before, After: after})
}

// DeleteGroup removes a group and its memberships.
func DeleteGroup(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	before, err := GetGroup(ctx, tx, id)
	if err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*groupRow)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return MapErr(err)
	}
	return Audit(ctx, tx, audit.Entry{Action: "group.delete", EntityType: "group", EntityID: id.String(), Before: before})
}

// AddMember puts a person into a group (or changes their position).
func AddMember(ctx context.Context, tx bun.IDB, groupID, personID uuid.UUID, pos org.Position) (org.Group, error) {
	if err := org.ValidatePosition(pos); err != nil {
		return org.Group{}, err
	}
	before, err := GetGroup(ctx, tx, groupID)
	if err != nil {
		return org.Group{}, err
	}
	if _, err := GetPerson(ctx, tx, personID); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			var v errs.Validation
			v.Add("person_id", "not_found", "人员不存在", "no such person")
			return org.Group{}, v.Err()
		}
		return org.Group{}, err
	}
	m := memberRow{ID: uuid.New(), GroupID: groupID, PersonID: personID, Position: string(pos)}
	if _, err := tx.NewInsert().Model(&m).
		On("CONFLICT (group_id, person_id) DO UPDATE").Set("position = EXCLUDED.position").Exec(ctx); err != nil {
		return org.Group{}, MapErr(err)
	}
	after, err := GetGroup(ctx, tx, groupID)
	if err != nil {
		return org.Group{}, err
	}
	return after, Audit(ctx, tx, audit.Entry{Action: "group.member.put", EntityType: "group", EntityID: groupID.String(), Before: before, After: after})
}

// RemoveMember takes a person out of a group.
func RemoveMember(ctx context.Context, tx bun.IDB, groupID, personID uuid.UUID) (org.Group, error) {
	before, err := GetGroup(ctx, tx, groupID)
	if err != nil {
		return org.Group{}, err
	}
	res, err := tx.NewDelete().Model((*memberRow)(nil)).Where("group_id = ? AND person_id = ?", groupID, personID).Exec(ctx)
	if err != nil {
		return org.Group{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return org.Group{}, errs.ErrNotFound
	}
	after, err := GetGroup(ctx, tx, groupID)
	if err != nil {
		return org.Group{}, err
	}
	return after, Audit(ctx, tx, audit.Entry{Action: "group.member.remove", EntityType: "group", EntityID: groupID.String(), Before: before, After: after})
}
