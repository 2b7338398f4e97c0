package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/project"
)

// Category is an entry of the county's project category catalogue.
type Category struct {
	bun.BaseModel `bun:"table:project_categories"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	Code          string    `bun:"code"`
	Name          string    `bun:"name"`
	SortOrder     int       `bun:"sort_order"`
}

// ProcedureType is an entry of the county's approval-procedure catalogue.
type ProcedureType struct {
	bun.BaseModel        `bun:"table:procedure_types"`
	ID                   uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID             uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	Code                 string     `bun:"code"`
	Name                 string     `bun:"name"`
	DefaultServiceUnitID *uuid.UUID `bun:"default_service_unit_id,type:uuid"`
	SortOrder            int        `bun:"sort_order"`
}

// ListCategories lists the category catalogue.
func ListCategories(ctx context.Context, tx bun.IDB) ([]Category, error) {
	out := []Category{}
	return out, tx.NewSelect().Model(&out).OrderExpr("sort_order, code").Scan(ctx)
}

// CreateCategory adds a category, audited.
func CreateCategory(ctx context.Context, tx bun.IDB, c Category) (Category, error) {
	var v errs.Validation
	if c.Code == "" || len([]rune(c.Code)) > 40 {
		v.Add("code", "invalid_code", "编码须为1-40个字符", "code must be 1-40 characters")
	}
	if c.Name == "" || len([]rune(c.Name)) > 50 {
		v.Add("name", "invalid_name", "名称须为1-50个字符", "name must be 1-50 characters")
	}
	if err := v.Err(); err != nil {
		return c, err
	}
	c.ID = uuid.New()
	if _, err := tx.NewInsert().Model(&c).Returning("id").Exec(ctx); err != nil {
		return c, MapErr(err)
	}
	return c, Audit(ctx, tx, audit.Entry{Action: "category.create", EntityType: "category", EntityID: c.ID.String(), After: c})
}

// ListProcedureTypes lists the procedure catalogue.
func ListProcedureTypes(ctx context.Context, tx bun.IDB) ([]ProcedureType, error) {
	out := []ProcedureType{}
	return out, tx.NewSelect().Model(&out).OrderExpr("sort_order, code").Scan(ctx)
}

// CreateProcedureType adds a procedure type, audited.
func CreateProcedureType(ctx context.Context, tx bun.IDB, p ProcedureType) (ProcedureType, error) {
	var v errs.Validation
	if p.Code == "" || len([]rune(p.Code)) > 40 {
		v.Add("code", "invalid_code", "编码须为1-40个字符", "code must be 1-40 characters")
	}
	if p.Name == "" || len([]rune(p.Name)) > 100 {
		v.Add("name", "invalid_name", "名称须为1-100个字符", "name must be 1-100 characters")
	}
	if err := v.Err(); err != nil {
		return p, err
	}
	p.ID = uuid.New()
	if _, err := tx.NewInsert().Model(&p).Returning("id").Exec(ctx); err != nil {
		return p, MapErr(err)
	}
	return p, Audit(ctx, tx, audit.Entry{Action: "procedure_type.create", EntityType: "procedure_type", EntityID: p.ID.String(), After: p})
}

type ProjectRow struct {
	bun.BaseModel       `bun:"table:projects,alias:p"`
	ID                  uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID            uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Code                string     `bun:"code"`
	Name                string     `bun:"name"`
	CategoryID          uuid.UUID  `bun:"category_id,type:uuid"`
	Level               string     `bun:"level"`
	ConstructionType    string     `bun:"construction_type"`
	Status              string     `bun:"status"`
	ResponsibleUnitID   uuid.UUID  `bun:"responsible_unit_id,type:uuid"`
	TownshipUnitID      *uuid.UUID `bun:"township_unit_id,type:uuid"`
	Latitude            *float64   `bun:"latitude,type:numeric"`
	Longitude           *float64   `bun:"longitude,type:numeric"`
	Content             string     `bun:"content"`
	TotalInvestmentYuan int64      `bun:"total_investment_yuan"`
	InvestedToDateYuan  int64      `bun:"invested_to_date_yuan"`
	PlannedStart        *time.Time `bun:"planned_start,type:date"`
	PlannedCompletion   *time.Time `bun:"planned_completion,type:date"`
	Tags                []string   `bun:"tags,array"`
	Version             int        `bun:"version"`
	CreatedAt           time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt           time.Time  `bun:"updated_at,nullzero,default:now()"`
}

func toProject(r ProjectRow) project.Project {
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	return project.Project{ID: r.ID, Code: r.Code, Name: r.Name, CategoryID: r.CategoryID, Level: project.Level(r.Level),
		ConstructionType: project.ConstructionType(r.ConstructionType), Status: project.Status(r.Status),
		ResponsibleUnitID: r.ResponsibleUnitID, TownshipUnitID: r.TownshipUnitID, Latitude: r.Latitude, Longitude: r.Longitude,
		Content: r.Content, TotalInvestmentYuan: r.TotalInvestmentYuan, InvestedToDateYuan: r.InvestedToDateYuan,
		PlannedStart: r.PlannedStart, PlannedCompletion: r.PlannedCompletion, Tags: tags, Version: r.Version, UpdatedAt: r.UpdatedAt}
}

func toProjectRow(p project.Project) ProjectRow {
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	return ProjectRow{ID: p.ID, Code: p.Code, Name: p.Name, CategoryID: p.CategoryID, Level: string(p.Level),
		ConstructionType: string(p.ConstructionType), Status: string(p.Status), ResponsibleUnitID: p.ResponsibleUnitID,
		TownshipUnitID: p.TownshipUnitID, Latitude: p.Latitude, Longitude: p.Longitude, Content: p.Content,
		TotalInvestmentYuan: p.TotalInvestmentYuan, InvestedToDateYuan: p.InvestedToDateYuan, PlannedStart: p.PlannedStart,
		PlannedCompletion: p.PlannedCompletion, Tags: tags, Version: p.Version}
}

// Scope narrows what a field user sees (P3): projects of their unit, and
// projects whose task force they currently sit on. Nil means everything.
type Scope struct {
	UnitID   *uuid.UUID
	PersonID *uuid.UUID
}

func (s *Scope) Apply(q *bun.SelectQuery, today time.Time) {
	if s == nil {
		return
	}
	q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q.Where("false")
		if s.UnitID != nil {
			q.WhereOr("p.responsible_unit_id = ?", *s.UnitID)
		}
		if s.PersonID != nil {
			q.WhereOr(`EXISTS (SELECT 1 FROM task_force_assignments a WHERE a.project_id = p.id AND a.person_id = ?
				AND a.valid_from <= ? AND (a.valid_to IS NULL OR a.valid_to > ?))`, *s.PersonID, today, today)
		}
		return q
	})
}

// ProjectFilter narrows the project list.
type ProjectFilter struct {
	UnitID, TownshipID, CategoryID, ChiefID *uuid.UUID
	Level, Type, Status, Tag, Query         string
	Year                                    int // on that year's key list (not removed)
	Scope                                   *Scope
	Today                                   time.Time
}

// ListProjects lists projects by name.
func ListProjects(ctx context.Context, tx bun.IDB, f ProjectFilter, p Page) ([]project.Project, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	var rows []ProjectRow
	q := tx.NewSelect().Model(&rows).OrderExpr("p.name, p.id").Limit(int64(p.Limit + 1))
	var cur struct {
		N  string
		ID uuid.UUID
	}
	if ok, err := DecodeCursor(p.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("(p.name, p.id) > (?, ?)", cur.N, cur.ID)
	}
	if f.UnitID != nil {
		q.Where("p.responsible_unit_id = ?", *f.UnitID)
	}
	if f.TownshipID != nil {
		q.Where("p.township_unit_id = ?", *f.TownshipID)
	}
	if f.CategoryID != nil {
		q.Where("p.category_id = ?", *f.CategoryID)
	}
	for field, val := range map[string]string{"p.level": f.Level, "p.construction_type": f.Type, "p.status": f.Status} {
		if val != "" {
			q.Where("? = ?", bun.Ident(field), val)
		}
	}
	if f.Tag != "" {
		q.Where("? = ANY(p.tags)", f.Tag)
	}
	if f.Query != "" {
		q.Where("(strpos(p.name, ?) > 0 OR strpos(p.code, ?) > 0)", f.Query, f.Query)
	}
	if f.ChiefID != nil {
		q.Where(`EXISTS (SELECT 1 FROM task_force_assignments a WHERE a.project_id = p.id AND a.role = 'chief' AND a.person_id = ?
			AND a.valid_from <= ? AND (a.valid_to IS NULL OR a.valid_to > ?))`, *f.ChiefID, f.Today, f.Today)
	}
	if f.Year != 0 {
		q.Where(`EXISTS (SELECT 1 FROM key_list_entries e JOIN key_lists l ON l.id = e.key_list_id
			WHERE e.project_id = p.id AND l.year = ? AND e.removed_on IS NULL)`, f.Year)
	}
	f.Scope.Apply(q, f.Today)
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
	out := make([]project.Project, len(rows))
	for i, r := range rows {
		out[i] = toProject(r)
	}
	return out, next, nil
}

// GetProject returns a project within scope, or errs.ErrNotFound.
func GetProject(ctx context.Context, tx bun.IDB, id uuid.UUID, scope *Scope, today time.Time) (project.Project, error) {
	var r ProjectRow
	q := tx.NewSelect().Model(&r).Where("p.id = ?", id)
	scope.Apply(q, today)
	if err := q.Scan(ctx); err != nil {
		return project.Project{}, MapErr(err)
	}
	return toProject(r), nil
}

// CreateProject validates and stores a project, audited.
func CreateProject(ctx context.Context, tx bun.IDB, p project.Project) (project.Project, error) {
	if err := p.Validate(); err != nil {
		return project.Project{}, err
	}
	p.ID, p.Version = uuid.New(), 1
	r := toProjectRow(p)
	if _, err := tx.NewInsert().Model(&r).Returning("*").Exec(ctx); err != nil {
		return project.Project{}, MapErr(err)
	}
	out := toProject(r)
	return out, Audit(ctx, tx, audit.Entry{Action: "project.create", EntityType: "project", EntityID: out.ID.String(), After: out})
}

// UpdateProject replaces a project's fields if the version matches.
func UpdateProject(ctx context.Context, tx bun.IDB, p project.Project, today time.Time) (project.Project, error) {
	before, err := GetProject(ctx, tx, p.ID, nil, today)
	if err != nil {
		return project.Project{}, err
	}
	if err := p.Validate(); err != nil {
		return project.Project{}, err
	}
	r := toProjectRow(p)
	res, err := tx.NewUpdate().Model(&r).ExcludeColumn("id", "county_id", "version", "created_at", "updated_at").
		Set("version = version + 1").Set("updated_at = now()").
		Where("p.id = ? AND p.version = ?", p.ID, p.Version).Returning("*").Exec(ctx)
	if err != nil {
		return project.Project{}, MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return project.Project{}, errs.ErrVersionConflict
	}
	after := toProject(r)
	return after, Audit(ctx, tx, audit.Entry{Action: "project.update", EntityType: "project", EntityID: p.ID.String(), Before: before, After: after})
}

// DeleteProject removes a project that is on no key list (a listed
// project leaves a list by a dated removal, never by deletion).
func DeleteProject(ctx context.Context, tx bun.IDB, id uuid.UUID, today time.Time) error {
	before, err := GetProject(ctx, tx, id, nil, today)
	if err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*ProjectRow)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		if err = MapErr(err); errs.KindOf(err) == errs.Invalid {
			return errs.E(errs.Conflict, "project_listed", "项目已列入年度重点项目清单，请以“移出清单”处理，不能删除",
				"the project is on a key list: remove it from the list with a date and reason instead").Wrap(err)
		}
		return err
	}
	return Audit(ctx, tx, audit.Entry{Action: "project.delete", EntityType: "project", EntityID: id.String(), Before: before})
}
