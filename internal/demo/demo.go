// Package demo loads the demo tenants: the Xinyang prefecture, Guangshan
// County (the first tenant, with its real townships, streets, zones and
// departments from shared/demo) and Luoshan County as a second tenant, with
// one account per role. People's names are invented. Loading is idempotent.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/org"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
)

type unitSpec struct {
	code, name string
	kind       org.UnitKind
	service    bool
	parent     string
}

type personSpec struct {
	name, post string
	rank       org.Rank
	unit       string
}

type countySpec struct {
	code, name, slug string
	units            []unitSpec
	people           []personSpec
	leading          map[string]org.Position // person → position
	office           map[string]org.Position
	inspectors       [6]string         // head of inspection groups 1..6
	heads            map[string]string // unit → its main head (主要负责人)
	accounts         []accountSpec
}

type accountSpec struct {
	user, person string
	role         authz.Role
}

func townships(names map[org.UnitKind][]string, prefix string) []unitSpec {
	var out []unitSpec
	n := 0
	for _, k := range []org.UnitKind{org.KindStreet, org.KindTown, org.KindTownship, org.KindZone} {
		for _, name := range names[k] {
			n++
			out = append(out, unitSpec{code: fmt.Sprintf("%s%02d", prefix, n), name: name, kind: k})
		}
	}
	return out
}

// departments common to both demo counties (the six assessment departments first).
var departments = []unitSpec{
	{"D01", "县委组织部", org.KindDepartment, false, ""},
	{"D02", "县委督查室", org.KindDepartment, false, ""},
	{"D03", "县政府督查室", org.KindDepartment, false, ""},
	{"D04", "县发改委", org.KindDepartment, true, ""},
	{"D05", "县重点项目办", org.KindDepartment, false, "D04"},
	{"D06", "县统计局", org.KindDepartment, false, ""},
	{"D07", "县百城提质办", org.KindDepartment, false, ""},
	{"D08", "县委宣传部", org.KindDepartment, false, ""},
	{"D09", "县纪委监委", org.KindDepartment, false, ""},
	{"D10", "县自然资源局", org.KindDepartment, true, ""},
	{"D11", "县住建局", org.KindDepartment, true, ""},
	{"D12", "县生态环境分局", org.KindDepartment, true, ""},
	{"D13", "县交通运输局", org.KindDepartment, true, ""},
	{"D14", "县水利局", org.KindDepartment, true, ""},
	{"D15", "县财政局", org.KindDepartment, true, ""},
	{"D16", "县行政审批服务局", org.KindDepartment, true, ""},
	{"D17", "县消防救援大队", org.KindDepartment, true, ""},
	{"D18", "县人防办", org.KindDepartment, true, ""},
	{"D19", "县政府办", org.KindDepartment, false, ""},
	{"E01", "县供电公司", org.KindEnterprise, true, ""},
}

var inspectionUnits = [6]string{"县委组织部", "县委督查室", "县政府督查室", "县重点项目办", "县统计局", "县百城提质办"}

func guangshan() countySpec {
	units := townships(map[org.UnitKind][]string{
		org.KindStreet:   {"弦山街道", "紫水街道"},
		org.KindTown:     {"十里镇", "寨河镇", "孙铁铺镇", "马畈镇", "泼陂河镇", "白雀园镇", "砖桥镇"},
		org.KindTownship: {"仙居乡", "北向店乡", "罗陈乡", "殷棚乡", "南向店乡", "晏河乡", "凉亭乡", "斛山乡", "槐店乡", "文殊乡"},
		org.KindZone:     {"光山县产业集聚区", "大苏山国家森林公园管理区", "光山县商务中心区"},
	}, "T")
	return countySpec{code: "411522", name: "光山县", slug: "guangshan", units: append(units, departments...),
		people: []personSpec{
			{"王立新", "县长", org.RankCountyLeader, "县政府办"},
			{"刘志强", "常务副县长", org.RankCountyLeader, "县政府办"},
			{"陈国庆", "副县长", org.RankCountyLeader, "县政府办"},
			{"赵文斌", "副县长", org.RankCountyLeader, "县政府办"},
			{"孙海涛", "县发改委主任、县重点项目办主任", org.RankSection, "县发改委"},
			{"周婷", "县重点项目办专职人员", org.RankOther, "县重点项目办"},
			{"吴磊", "县重点项目办专职人员", org.RankOther, "县重点项目办"},
			{"郑伟", "县委组织部副部长", org.RankSection, "县委组织部"},
			{"冯雪", "县委督查室主任", org.RankSection, "县委督查室"},
			{"黄鹏", "县政府督查室主任", org.RankSection, "县政府督查室"},
			{"何静", "县统计局局长", org.RankSection, "县统计局"},
			{"马超", "县百城提质办主任", org.RankSection, "县百城提质办"},
			{"罗军", "紫水街道党工委书记", org.RankSection, "紫水街道"},
			{"唐明", "紫水街道办事处副主任", org.RankSection, "紫水街道"},
			{"韩冰", "县住建局局长", org.RankSection, "县住建局"},
			{"许晨", "县政府办副主任", org.RankSection, "县政府办"},
			{"张建华", "十里镇党委书记", org.RankSection, "十里镇"},
			{"李明远", "县水利局局长", org.RankSection, "县水利局"},
			{"周向东", "光山县产业集聚区管委会主任", org.RankSection, "光山县产业集聚区"},
		},
		heads: map[string]string{"紫水街道": "罗军", "县百城提质办": "马超", "县住建局": "韩冰", "县发改委": "孙海涛",
			"县委督查室": "冯雪", "县政府督查室": "黄鹏", "县统计局": "何静", "十里镇": "张建华", "县水利局": "李明远",
			"光山县产业集聚区": "周向东"},
		leading: map[string]org.Position{"王立新": "leader", "刘志强": "deputy", "陈国庆": "deputy", "赵文斌": "deputy",
			"孙海涛": "member", "罗军": "member", "韩冰": "member"},
		office:     map[string]org.Position{"孙海涛": "director", "周婷": "staff", "吴磊": "staff"},
		inspectors: [6]string{"郑伟", "冯雪", "黄鹏", "孙海涛", "何静", "马超"},
		accounts: []accountSpec{
			{"gs.leader", "王立新", authz.LeadingGroup}, {"gs.office", "周婷", authz.Office},
			{"gs.inspector", "郑伟", authz.Inspector}, {"gs.unit", "罗军", authz.UnitUser}, {"gs.taskforce", "许晨", authz.TaskForce},
			{"gs.helper", "唐明", authz.TaskForce}, {"gs.stats", "何静", authz.Statistics},
		},
	}
}

func luoshan() countySpec {
	units := townships(map[org.UnitKind][]string{
		org.KindStreet: {"龙山街道", "丽水街道", "宝城街道"},
		org.KindTown:   {"灵山镇", "子路镇", "楠杆镇", "青山镇", "周党镇", "竹竿镇"},
	}, "T")
	return countySpec{code: "411521", name: "罗山县", slug: "luoshan", units: append(units, departments...),
		people: []personSpec{
			{"李振东", "县长", org.RankCountyLeader, "县政府办"},
			{"杨帆", "常务副县长", org.RankCountyLeader, "县政府办"},
			{"曹毅", "县重点项目办专职人员", org.RankOther, "县重点项目办"},
			{"高远", "县委组织部副部长", org.RankSection, "县委组织部"},
			{"邓亮", "龙山街道党工委书记", org.RankSection, "龙山街道"},
			{"彭丽", "县政府办副主任", org.RankSection, "县政府办"},
		},
		heads:      map[string]string{"龙山街道": "邓亮"},
		leading:    map[string]org.Position{"李振东": "leader", "杨帆": "deputy"},
		office:     map[string]org.Position{"曹毅": "staff"},
		inspectors: [6]string{"高远", "", "", "曹毅", "", ""},
		accounts: []accountSpec{
			{"ls.leader", "李振东", authz.LeadingGroup}, {"ls.office", "曹毅", authz.Office},
			{"ls.inspector", "高远", authz.Inspector}, {"ls.unit", "邓亮", authz.UnitUser}, {"ls.taskforce", "彭丽", authz.TaskForce},
		},
	}
}

// Account is a demo account as printed for the user.
type Account struct{ Username, County, Role string }

// Load creates or completes the demo data and returns the demo accounts.
// app is the application role; owner is used only for the platform and
// prefecture accounts, which Row-Level Security refuses to the application.
func Load(ctx context.Context, app, owner *db.DB, h *auth.Hasher, password string) ([]Account, error) {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "tuijin demo"})
	hash, err := h.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var pref postgres.Prefecture
	if err := app.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
		pref, err = postgres.EnsurePrefecture(ctx, tx, "411500", "信阳市")
		return err
	}); err != nil {
		return nil, err
	}
	var out []Account
	for _, spec := range []countySpec{guangshan(), luoshan()} {
		accts, err := loadCounty(ctx, app, pref, spec, hash)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.name, err)
		}
		out = append(out, accts...)
	}
	global := []struct {
		user, name, scope string
		role              authz.Role
		domain            string
	}{
		{"admin", "平台管理员", "platform", authz.PlatformAdmin, authz.PlatformDomain},
		{"xinyang.city", "市重点项目办", "prefecture", authz.Municipal, authz.PrefectureDomain(pref.ID)},
	}
	for _, g := range global {
		var id uuid.UUID
		err := owner.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
			a, err := postgres.AccountByUsername(ctx, tx, g.user)
			if err == nil {
				id = a.ID
				return nil
			}
			var p *uuid.UUID
			if g.scope == "prefecture" {
				p = &pref.ID
			}
			a, err = postgres.CreateAccount(ctx, tx, postgres.Account{Scope: g.scope, PrefectureID: p, Username: g.user, DisplayName: g.name, PasswordHash: hash})
			id = a.ID
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := app.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
			return authz.SetRoles(ctx, tx, id, g.domain, []authz.Role{g.role})
		}); err != nil {
			return nil, err
		}
		out = append(out, Account{g.user, "全部", string(g.role)})
	}
	return out, nil
}

func loadCounty(ctx context.Context, app *db.DB, pref postgres.Prefecture, spec countySpec, hash string) ([]Account, error) {
	var county postgres.County
	if err := app.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		county, err = postgres.EnsureCounty(ctx, tx, pref.ID, spec.code, spec.name, spec.slug)
		return err
	}); err != nil {
		return nil, err
	}
	var out []Account
	err := app.InCounty(ctx, county.ID, func(ctx context.Context, tx bun.IDB) error {
		existing, _, err := postgres.ListUnits(ctx, tx, postgres.UnitFilter{}, postgres.Page{Limit: postgres.MaxPageSize})
		if err != nil {
			return err
		}
		units := map[string]uuid.UUID{}
		byCode := map[string]uuid.UUID{}
		for _, u := range existing {
			units[u.Name], byCode[u.Code] = u.ID, u.ID
		}
		for i, u := range spec.units {
			if _, ok := units[u.name]; ok {
				continue
			}
			var parent *uuid.UUID
			if id, ok := byCode[u.parent]; ok {
				parent = &id
			}
			created, err := postgres.CreateUnit(ctx, tx, org.Unit{Code: u.code, Name: u.name, Kind: u.kind, IsServiceUnit: u.service, ParentID: parent, SortOrder: i + 1})
			if err != nil {
				return fmt.Errorf("unit %s: %w", u.name, err)
			}
			units[u.name], byCode[u.code] = created.ID, created.ID
		}
		people := map[string]uuid.UUID{}
		ps, _, err := postgres.ListPeople(ctx, tx, postgres.PersonFilter{}, postgres.Page{Limit: postgres.MaxPageSize})
		if err != nil {
			return err
		}
		for _, p := range ps {
			people[p.Name] = p.ID
		}
		for _, p := range spec.people {
			if _, ok := people[p.name]; ok {
				continue
			}
			unit := units[p.unit]
			created, err := postgres.CreatePerson(ctx, tx, org.Person{Name: p.name, Post: p.post, Rank: p.rank, UnitID: &unit})
			if err != nil {
				return fmt.Errorf("person %s: %w", p.name, err)
			}
			people[p.name] = created.ID
		}
		for unitName, head := range spec.heads {
			u, err := postgres.GetUnit(ctx, tx, units[unitName])
			if err != nil {
				return err
			}
			if u.HeadPersonID != nil {
				continue
			}
			id := people[head]
			u.HeadPersonID = &id
			if _, err := postgres.UpdateUnit(ctx, tx, u); err != nil {
				return fmt.Errorf("head of %s: %w", unitName, err)
			}
		}
		groups, err := postgres.ListGroups(ctx, tx, "")
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, g := range groups {
			have[fmt.Sprint(g.Kind, g.Number)] = true
		}
		ensure := func(kind org.GroupKind, number int, name, lead string, members map[string]org.Position) error {
			if have[fmt.Sprint(kind, number)] {
				return nil
			}
			var leadID *uuid.UUID
			if id, ok := units[lead]; ok {
				leadID = &id
			}
			g, err := postgres.CreateGroup(ctx, tx, org.Group{Kind: kind, Number: number, Name: name, LeadUnitID: leadID})
			if err != nil {
				return err
			}
			for person, pos := range members {
				if _, err := postgres.AddMember(ctx, tx, g.ID, people[person], pos); err != nil {
					return err
				}
			}
			return nil
		}
		if err := ensure(org.GroupLeading, 0, spec.name+"重点项目建设领导小组", "县政府办", spec.leading); err != nil {
			return err
		}
		if err := ensure(org.GroupOffice, 0, spec.name+"重点项目建设领导小组办公室（县重点项目办）", "县发改委", spec.office); err != nil {
			return err
		}
		for i, unit := range inspectionUnits {
			members := map[string]org.Position{}
			if spec.inspectors[i] != "" {
				members[spec.inspectors[i]] = "leader"
			}
			name := fmt.Sprintf("第%s督导组（%s）", []string{"一", "二", "三", "四", "五", "六"}[i], unit)
			if err := ensure(org.GroupInspection, i+1, name, unit, members); err != nil {
				return err
			}
		}
		if _, err := postgres.SettingsOn(ctx, tx, time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			v := settings.Version{EffectiveFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Values: settings.Defaults(), Reason: "光山县《关于进一步完善重点项目建设协调推进机制的意见》默认值"}
			if _, err := postgres.PutSettingsVersion(ctx, tx, v, time.Now()); err != nil {
				return err
			}
		}
		if err := loadRegistry(ctx, tx, units, people, spec.code == "411522"); err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		for _, a := range spec.accounts {
			var id uuid.UUID
			if existing, err := postgres.AccountByUsername(ctx, tx, a.user); err == nil {
				id = existing.ID
			} else {
				pid := people[a.person]
				created, err := postgres.CreateAccount(ctx, tx, postgres.Account{Scope: "county", CountyID: &county.ID, Username: a.user,
					DisplayName: a.person, PersonID: &pid, PasswordHash: hash})
				if err != nil {
					return fmt.Errorf("account %s: %w", a.user, err)
				}
				id = created.ID
			}
			if err := authz.SetRoles(ctx, tx, id, authz.CountyDomain(pref.ID, county.ID), []authz.Role{a.role}); err != nil {
				return err
			}
			out = append(out, Account{a.user, spec.name, string(a.role)})
		}
		return nil
	})
	return out, err
}
