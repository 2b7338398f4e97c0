package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
)

// Categories are those of Luoshan's published bulletins; every demo county
// uses them.
var categories = []string{"农林水", "工业", "能源", "城建", "交通", "社会事业"}

// procedureTypes is the approval catalogue with the service unit that
// usually handles each item (M4.2).
var procedureTypes = []struct{ code, name, unit string }{
	{"P01", "项目审批（核准、备案）", "县发改委"},
	{"P02", "用地预审与选址意见书", "县自然资源局"},
	{"P03", "建设用地规划许可证", "县自然资源局"},
	{"P04", "建设工程规划许可证", "县自然资源局"},
	{"P05", "环境影响评价", "县生态环境分局"},
	{"P06", "节能审查", "县发改委"},
	{"P07", "施工许可证", "县住建局"},
	{"P08", "消防设计审查", "县住建局"},
}

type projectSpec struct {
	code, name, category, level, ctype, unit, township string
	totalWan, yearWan                                  string
	lat, lng                                           float64
	tags                                               []string
	chief, assistant, responsible, helper              string
}

// Invented demo projects of Guangshan (the Guandu River project is the
// Hundred Cities project the mechanism names).
var guangshanProjects = []projectSpec{
	{"GS2026-001", "官渡河综合治理项目", "城建", "county", "continuing", "县百城提质办", "紫水街道", "150000", "32000", 32.012, 114.915, []string{project.TagHundredCities}, "刘志强", "许晨", "马超", ""},
	{"GS2026-002", "光山县产业集聚区标准化厂房项目", "工业", "municipal", "new", "光山县产业集聚区", "光山县产业集聚区", "86000", "25000", 31.998, 114.931, nil, "陈国庆", "许晨", "", ""},
	{"GS2026-003", "紫水街道老旧小区改造项目", "城建", "county", "new", "紫水街道", "紫水街道", "12600.5", "8000", 32.007, 114.902, nil, "赵文斌", "许晨", "罗军", "唐明"},
	{"GS2026-004", "十里镇高标准农田建设项目", "农林水", "county", "completing", "十里镇", "十里镇", "9800", "9800", 31.962, 114.874, nil, "陈国庆", "许晨", "", ""},
	{"GS2026-005", "光山县城乡供水一体化项目", "农林水", "provincial", "continuing", "县水利局", "", "64000", "18000", 32.021, 114.897, nil, "刘志强", "许晨", "", ""},
}

// loadRegistry seeds the catalogues and, for Guangshan, the demo projects on
// the current year's key list. Existing rows are kept.
func loadRegistry(ctx context.Context, tx bun.IDB, units map[string]uuid.UUID, people map[string]uuid.UUID, withProjects bool) error {
	cats, err := postgres.ListCategories(ctx, tx)
	if err != nil {
		return err
	}
	catID := map[string]uuid.UUID{}
	for _, c := range cats {
		catID[c.Name] = c.ID
	}
	for i, name := range categories {
		if _, ok := catID[name]; ok {
			continue
		}
		c, err := postgres.CreateCategory(ctx, tx, postgres.Category{Code: fmt.Sprintf("C%02d", i+1), Name: name, SortOrder: i + 1})
		if err != nil {
			return err
		}
		catID[name] = c.ID
	}
	types, err := postgres.ListProcedureTypes(ctx, tx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, t := range types {
		have[t.Code] = true
	}
	for i, t := range procedureTypes {
		if have[t.code] {
			continue
		}
		u := units[t.unit]
		if _, err := postgres.CreateProcedureType(ctx, tx, postgres.ProcedureType{Code: t.code, Name: t.name, DefaultServiceUnitID: &u, SortOrder: i + 1}); err != nil {
			return err
		}
	}
	if !withProjects {
		return nil
	}
	year := time.Now().Year()
	if _, err := postgres.GetKeyList(ctx, tx, year); err != nil {
		if _, err := postgres.CreateKeyList(ctx, tx, year, fmt.Sprintf("光山县%d年度重点项目", year)); err != nil {
			return err
		}
	}
	existing, _, err := postgres.ListProjects(ctx, tx, postgres.ProjectFilter{Today: time.Now()}, postgres.Page{Limit: postgres.MaxPageSize})
	if err != nil {
		return err
	}
	haveProject := map[string]bool{}
	for _, p := range existing {
		haveProject[p.Code] = true
	}
	start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range guangshanProjects {
		if haveProject[s.code] {
			continue
		}
		total, err := project.ParseWan(s.totalWan)
		if err != nil {
			return err
		}
		planned, err := project.ParseWan(s.yearWan)
		if err != nil {
			return err
		}
		lat, lng := s.lat, s.lng
		p := project.Project{Code: s.code, Name: s.name, CategoryID: catID[s.category], Level: project.Level(s.level),
			ConstructionType: project.ConstructionType(s.ctype), Status: "under_construction", ResponsibleUnitID: units[s.unit],
			Latitude: &lat, Longitude: &lng, TotalInvestmentYuan: total, Tags: s.tags,
			Content: "演示数据：" + s.name}
		if s.township != "" {
			t := units[s.township]
			p.TownshipUnitID = &t
		}
		created, err := postgres.CreateProject(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("project %s: %w", s.name, err)
		}
		if _, err := postgres.PutEntry(ctx, tx, year, created.ID, planned, nil, start, "年初确定"); err != nil {
			return err
		}
		for role, person := range map[project.Role]string{project.RoleChief: s.chief, project.RoleAssistant: s.assistant,
			project.RoleResponsible: s.responsible, project.RoleHelper: s.helper} {
			if person == "" {
				continue
			}
			if _, err := postgres.Assign(ctx, tx, created, role, people[person], start, ""); err != nil && errs.KindOf(err) != errs.Conflict {
				return fmt.Errorf("%s %s: %w", s.name, role, err)
			}
		}
	}
	return nil
}
