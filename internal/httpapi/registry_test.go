package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/httpapi"
)

// ids of Guangshan's demo organisation, as its office sees them.
type gsOrg struct {
	units    map[string]string
	people   map[string]string
	category string
	types    []httpapi.ProcedureType
}

func guangshanOrg(t *testing.T, c *client) gsOrg {
	t.Helper()
	o := gsOrg{units: map[string]string{}, people: map[string]string{}}
	var units httpapi.List[httpapi.Unit]
	c.do("GET", "/api/v1/units?limit=200", nil).decode(t, &units)
	for _, u := range units.Items {
		o.units[u.Name] = u.ID.String()
	}
	var people httpapi.List[httpapi.Person]
	c.do("GET", "/api/v1/people?limit=200", nil).decode(t, &people)
	for _, p := range people.Items {
		o.people[p.Name] = p.ID.String()
	}
	var cats []httpapi.Category
	c.do("GET", "/api/v1/project-categories", nil).decode(t, &cats)
	for _, cat := range cats {
		if cat.Name == "城建" {
			o.category = cat.ID.String()
		}
	}
	c.do("GET", "/api/v1/procedure-types", nil).decode(t, &o.types)
	if o.category == "" || len(o.types) < 8 || o.units["紫水街道"] == "" {
		t.Fatal("demo registry catalogues missing")
	}
	return o
}

func newProject(t *testing.T, c *client, o gsOrg, unit string, extra map[string]any) httpapi.Project {
	t.Helper()
	body := map[string]any{"code": "T-" + uuid.NewString()[:8], "name": "测试项目" + uuid.NewString()[:4], "category_id": o.category,
		"level": "county", "construction_type": "new", "responsible_unit_id": o.units[unit], "total_investment_yuan": 123456789012}
	for k, v := range extra {
		body[k] = v
	}
	r := c.do("POST", "/api/v1/projects", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create project: %d %s", r.Status, r.Body)
	}
	var p httpapi.Project
	r.decode(t, &p)
	return p
}

func TestProjectCRUDAndFilters(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	lat, lng := 32.01, 114.92
	p := newProject(t, gs, o, "紫水街道", map[string]any{"latitude": lat, "longitude": lng, "tags": []string{"百城提质", "百城提质", " "},
		"planned_start": "2026-03-01", "planned_completion": "2027-12-31", "township_unit_id": o.units["紫水街道"]})
	if p.TotalInvestmentYuan != 123456789012 || len(p.Tags) != 1 || *p.PlannedStart != "2026-03-01" || *p.Latitude != lat {
		t.Fatalf("created: %+v", p)
	}
	var l httpapi.List[httpapi.Project]
	gs.do("GET", "/api/v1/projects?tag=百城提质&unit_id="+o.units["紫水街道"], nil).decode(t, &l)
	found := false
	for _, x := range l.Items {
		found = found || x.ID == p.ID
		if x.ResponsibleUnitID.String() != o.units["紫水街道"] {
			t.Errorf("filter by unit returned %s", x.Name)
		}
	}
	if !found {
		t.Fatal("filtered list lacks the project")
	}
	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"latitude": 114.92, "longitude": 32.01}, "latitude"},
		{map[string]any{"latitude": 32.0}, "latitude"},
		{map[string]any{"planned_start": "2027-01-01", "planned_completion": "2026-01-01"}, "planned_completion"},
		{map[string]any{"level": "national"}, "level"},
		{map[string]any{"planned_start": "2026-13-01"}, "planned_start"},
		{map[string]any{"total_investment_yuan": -1}, "total_investment_yuan"},
	}
	for _, b := range bad {
		body := map[string]any{"code": "BAD-1", "name": "坏项目", "category_id": o.category, "level": "county", "construction_type": "new",
			"responsible_unit_id": o.units["紫水街道"], "total_investment_yuan": 1}
		for k, v := range b.body {
			body[k] = v
		}
		r := gs.do("POST", "/api/v1/projects", body)
		if r.Status != 400 || !strings.Contains(string(r.Body), `"field":"`+b.field+`"`) {
			t.Errorf("%v: %d %s", b.body, r.Status, r.Body)
		}
	}
	upd := map[string]any{"code": p.Code, "name": "改名后的项目", "category_id": o.category, "level": "municipal", "construction_type": "new",
		"responsible_unit_id": o.units["紫水街道"], "total_investment_yuan": 5, "version": p.Version}
	if r := gs.do("PUT", "/api/v1/projects/"+p.ID.String(), upd); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if r := gs.do("PUT", "/api/v1/projects/"+p.ID.String(), upd); r.Status != 409 {
		t.Fatalf("stale update: %d", r.Status)
	}
	var hist httpapi.List[httpapi.AuditEntry]
	gs.do("GET", "/api/v1/projects/"+p.ID.String()+"/history", nil).decode(t, &hist)
	if len(hist.Items) != 2 || hist.Items[0].Action != "project.update" {
		t.Fatalf("history: %+v", hist.Items)
	}
	if r := gs.do("DELETE", "/api/v1/projects/"+p.ID.String(), nil); r.Status != 204 {
		t.Fatalf("delete unlisted project: %d %s", r.Status, r.Body)
	}
}

// TestKeyListDynamicManagement: add, remove with date and reason, add again,
// delete refused while listed, carry-over of unfinished projects (M1.8).
func TestKeyListDynamicManagement(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	for _, y := range []int{2031, 2032} {
		if r := gs.do("POST", "/api/v1/key-lists", map[string]any{"year": y}); r.Status != 201 {
			t.Fatalf("open %d: %d %s", y, r.Status, r.Body)
		}
	}
	a := newProject(t, gs, o, "紫水街道", nil)
	b := newProject(t, gs, o, "十里镇", map[string]any{"status": "completed"})
	for _, p := range []httpapi.Project{a, b} {
		r := gs.do("PUT", fmt.Sprintf("/api/v1/key-lists/2031/projects/%s", p.ID), map[string]any{"planned_investment_yuan": 120000000, "on": "2031-01-05", "reason": "年初确定"})
		if r.Status != 200 {
			t.Fatalf("add: %d %s", r.Status, r.Body)
		}
	}
	if r := gs.do("DELETE", "/api/v1/projects/"+a.ID.String(), nil); r.Status != 409 || r.code() != "project_listed" {
		t.Fatalf("delete listed: %d %s", r.Status, r.Body)
	}
	if r := gs.do("POST", fmt.Sprintf("/api/v1/key-lists/2031/projects/%s/removal", a.ID), map[string]any{"on": "2031-06-30"}); r.Status != 400 {
		t.Fatalf("removal without reason: %d", r.Status)
	}
	r := gs.do("POST", fmt.Sprintf("/api/v1/key-lists/2031/projects/%s/removal", a.ID), map[string]any{"on": "2031-06-30", "reason": "业主资金未落实"})
	var e httpapi.ListEntry
	r.decode(t, &e)
	if r.Status != 200 || e.RemovedOn == nil || *e.RemovedOn != "2031-06-30" || e.AddedOn != "2031-01-05" {
		t.Fatalf("removal: %d %s", r.Status, r.Body)
	}
	var listed httpapi.List[httpapi.Project]
	gs.do("GET", "/api/v1/projects?year=2031&limit=200", nil).decode(t, &listed)
	for _, p := range listed.Items {
		if p.ID == a.ID {
			t.Fatal("a removed project is still listed for the year")
		}
	}
	r = gs.do("PUT", fmt.Sprintf("/api/v1/key-lists/2031/projects/%s", a.ID), map[string]any{"planned_investment_yuan": 50000000, "on": "2031-09-01", "reason": "资金落实，重新列入"})
	r.decode(t, &e)
	if e.RemovedOn != nil || e.AddedOn != "2031-09-01" {
		t.Fatalf("re-added: %s", r.Body)
	}
	var res httpapi.CarryOverResult
	r = gs.do("POST", "/api/v1/key-lists/2032/carry-over", map[string]any{"on": "2032-01-01"})
	r.decode(t, &res)
	var entries []httpapi.ListEntry
	gs.do("GET", "/api/v1/key-lists/2032", nil).decode(t, &entries)
	carried := map[uuid.UUID]bool{}
	for _, x := range entries {
		carried[x.ProjectID] = true
	}
	if r.Status != 200 || !carried[a.ID] || carried[b.ID] {
		t.Fatalf("carry-over: %s; carried a=%v b(completed)=%v", r.Body, carried[a.ID], carried[b.ID])
	}
}

// TestTaskForceHistory: the chief must be a county-level leader; a chief
// changed mid-year leaves a history that answers who was chief in week N.
func TestTaskForceHistory(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	p := newProject(t, gs, o, "紫水街道", nil)
	path := "/api/v1/projects/" + p.ID.String() + "/task-force"
	cases := []struct {
		role, person, code string
	}{
		{"chief", "许晨", "chief_not_county_leader"},
		{"assistant", "刘志强", "assistant_not_section_level"},
		{"responsible", "韩冰", "responsible_not_in_unit"},
		{"responsible", "唐明", "responsible_not_unit_head"}, // of the unit, but 罗军 heads it
		{"helper", "周婷", "helper_not_unit_deputy"},
	}
	for _, c := range cases {
		r := gs.do("POST", path, map[string]any{"role": c.role, "person_id": o.people[c.person], "valid_from": "2026-01-01"})
		if r.Status != 400 || !strings.Contains(string(r.Body), c.code) {
			t.Errorf("%s %s: %d %s", c.role, c.person, r.Status, r.Body)
		}
	}
	for _, a := range []map[string]any{
		{"role": "chief", "person_id": o.people["刘志强"], "valid_from": "2026-01-01"},
		{"role": "assistant", "person_id": o.people["许晨"], "valid_from": "2026-01-01"},
		{"role": "responsible", "person_id": o.people["罗军"], "valid_from": "2026-01-01"},
		{"role": "helper", "person_id": o.people["唐明"], "valid_from": "2026-01-01"},
		{"role": "chief", "person_id": o.people["陈国庆"], "valid_from": "2026-04-06", "note": "分工调整"},
	} {
		if r := gs.do("POST", path, a); r.Status != 201 {
			t.Fatalf("assign %v: %d %s", a, r.Status, r.Body)
		}
	}
	if r := gs.do("POST", path, map[string]any{"role": "chief", "person_id": o.people["赵文斌"], "valid_from": "2026-03-01"}); r.Status != 400 {
		t.Fatalf("backdated change before the current holder: %d %s", r.Status, r.Body)
	}
	chiefIn := func(week int) string {
		day := isoWeekMonday(2026, week).Format(time.DateOnly)
		var as []httpapi.Assignment
		gs.do("GET", path+"?on="+day, nil).decode(t, &as)
		for _, a := range as {
			if a.Role == "chief" {
				return a.PersonName
			}
		}
		return ""
	}
	if w13, w15 := chiefIn(13), chiefIn(15); w13 != "刘志强" || w15 != "陈国庆" {
		t.Fatalf("chief in week 13: %s, in week 15: %s", w13, w15)
	}
	var hist []httpapi.Assignment
	gs.do("GET", path+"/history", nil).decode(t, &hist)
	if len(hist) != 5 || hist[0].Role != "chief" || hist[0].ValidTo == nil || *hist[0].ValidTo != "2026-04-06" {
		t.Fatalf("history: %+v", hist)
	}
}

func isoWeekMonday(year, week int) time.Time {
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(week-1))
}

// TestPlanMustAddUp: monthly investment targets must add up to the year's
// planned investment on the key list (M4.4); cumulative figures are derived.
func TestPlanMustAddUp(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	gs.do("POST", "/api/v1/key-lists", map[string]any{"year": 2033})
	p := newProject(t, gs, o, "紫水街道", nil)
	gs.do("PUT", fmt.Sprintf("/api/v1/key-lists/2033/projects/%s", p.ID), map[string]any{"planned_investment_yuan": 120000000, "on": "2033-01-01"})
	months := func(each int64) []map[string]any {
		out := make([]map[string]any, 12)
		for i := range out {
			out[i] = map[string]any{"month": i + 1, "image_target": fmt.Sprintf("完成第%d阶段", i+1), "investment_yuan": each}
		}
		return out
	}
	nodes := []map[string]any{{"node": "site_ready", "planned": "2033-02-01"}, {"node": "main_start", "planned": "2033-03-15", "actual": "2033-03-20"}}
	r := gs.do("PUT", "/api/v1/projects/"+p.ID.String()+"/plan/2033", map[string]any{"year": 2033, "nodes": nodes, "months": months(9_000_000)})
	if r.Status != 400 || !strings.Contains(string(r.Body), "targets_do_not_add_up") || !strings.Contains(string(r.Body), "12000") {
		t.Fatalf("108 of 120 (10k yuan): %d %s", r.Status, r.Body)
	}
	r = gs.do("PUT", "/api/v1/projects/"+p.ID.String()+"/plan/2033", map[string]any{"year": 2033, "nodes": nodes, "months": months(10_000_000)})
	var plan httpapi.Plan
	r.decode(t, &plan)
	if r.Status != 200 || len(plan.Months) != 12 || plan.Months[11].CumulativeYuan != 120000000 || len(plan.Nodes) != 2 || *plan.PlannedInvestmentYuan != 120000000 {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
}

// TestProcedureLedger: fast-track flags, done needs a date, overdue by query.
func TestProcedureLedger(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	p := newProject(t, gs, o, "紫水街道", nil)
	path := "/api/v1/projects/" + p.ID.String() + "/procedures"
	env := o.types[4] // 环境影响评价
	r := gs.do("POST", path, map[string]any{"type_id": env.ID, "service_unit_id": *env.DefaultServiceUnitID, "status": "done"})
	if r.Status != 400 || !strings.Contains(string(r.Body), "actual_date") {
		t.Fatalf("done without date: %d %s", r.Status, r.Body)
	}
	r = gs.do("POST", path, map[string]any{"type_id": env.ID, "service_unit_id": *env.DefaultServiceUnitID, "status": "in_progress",
		"planned_date": "2020-05-01", "roadmap": "区域评估覆盖，简化编制", "regional_assessment": true, "agency_service": true})
	var proc httpapi.Procedure
	r.decode(t, &proc)
	if r.Status != 201 || !proc.Overdue || !proc.RegionalAssessment || proc.TypeName != "环境影响评价" {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	var overdue []httpapi.Procedure
	gs.do("GET", "/api/v1/procedures/overdue", nil).decode(t, &overdue)
	if !containsProc(overdue, proc.ID) {
		t.Fatal("overdue item not listed")
	}
	r = gs.do("PUT", path+"/"+proc.ID.String(), map[string]any{"type_id": env.ID, "service_unit_id": *env.DefaultServiceUnitID,
		"status": "done", "planned_date": "2020-05-01", "actual_date": "2020-06-10", "version": proc.Version})
	if r.Status != 200 {
		t.Fatalf("finish: %d %s", r.Status, r.Body)
	}
	gs.do("GET", "/api/v1/procedures/overdue", nil).decode(t, &overdue)
	if containsProc(overdue, proc.ID) {
		t.Fatal("a finished item is still overdue")
	}
	if r := gs.do("POST", path, map[string]any{"type_id": env.ID, "service_unit_id": *env.DefaultServiceUnitID, "status": "pending"}); r.Status != 409 {
		t.Fatalf("the same procedure twice: %d", r.Status)
	}
}

func containsProc(ps []httpapi.Procedure, id uuid.UUID) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}

// TestFieldUsersSeeTheirOwnProjects (P3): a unit user sees its unit's
// projects; a task-force member the projects whose task force they sit on.
func TestFieldUsersSeeTheirOwnProjects(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	own := newProject(t, gs, o, "紫水街道", nil)
	other := newProject(t, gs, o, "十里镇", nil)
	unit := login(t, "gs.unit") // 罗军, 紫水街道
	if r := unit.do("GET", "/api/v1/projects/"+own.ID.String(), nil); r.Status != 200 {
		t.Fatalf("unit user, own unit's project: %d", r.Status)
	}
	if r := unit.do("GET", "/api/v1/projects/"+other.ID.String(), nil); r.Status != 404 {
		t.Fatalf("unit user, another unit's project: %d", r.Status)
	}
	var l httpapi.List[httpapi.Project]
	unit.do("GET", "/api/v1/projects?limit=200", nil).decode(t, &l)
	for _, p := range l.Items {
		if p.ResponsibleUnitID.String() != o.units["紫水街道"] {
			t.Errorf("unit user sees %s of another unit", p.Name)
		}
	}
	tf := login(t, "gs.taskforce") // 许晨
	if r := tf.do("GET", "/api/v1/projects/"+other.ID.String(), nil); r.Status != 404 {
		t.Fatalf("task force, not on it: %d", r.Status)
	}
	gs.do("POST", "/api/v1/projects/"+other.ID.String()+"/task-force", map[string]any{"role": "assistant", "person_id": o.people["许晨"], "valid_from": "2020-01-01"})
	if r := tf.do("GET", "/api/v1/projects/"+other.ID.String(), nil); r.Status != 200 {
		t.Fatalf("task force, assistant of it: %d", r.Status)
	}
	if r := tf.do("GET", "/api/v1/projects/"+own.ID.String()+"/procedures", nil); r.Status != 404 {
		t.Fatalf("task force reads another project's ledger: %d", r.Status)
	}
}

// TestRegistryCrossCounty: Luoshan's office cannot reach Guangshan's
// projects by path, query or body, and Guangshan's data does not change.
func TestRegistryCrossCounty(t *testing.T) {
	gs := login(t, "gs.office")
	o := guangshanOrg(t, gs)
	p := newProject(t, gs, o, "紫水街道", nil)
	gs.do("POST", "/api/v1/key-lists", map[string]any{"year": 2034})
	gs.do("PUT", fmt.Sprintf("/api/v1/key-lists/2034/projects/%s", p.ID), map[string]any{"planned_investment_yuan": 1, "on": "2034-01-01"})
	ls := login(t, "ls.office")
	var lsCats []httpapi.Category
	ls.do("GET", "/api/v1/project-categories", nil).decode(t, &lsCats)
	var lsUnits httpapi.List[httpapi.Unit]
	ls.do("GET", "/api/v1/units?limit=1", nil).decode(t, &lsUnits)
	ls.do("POST", "/api/v1/key-lists", map[string]any{"year": 2034})
	before := snapshot(t)
	id := p.ID.String()
	months := make([]map[string]any, 12)
	for i := range months {
		months[i] = map[string]any{"month": i + 1, "image_target": "", "investment_yuan": 0}
	}
	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/api/v1/projects/" + id, nil, 404},
		{"PUT", "/api/v1/projects/" + id, map[string]any{"code": "X", "name": "X", "category_id": lsCats[0].ID, "level": "county", "construction_type": "new", "responsible_unit_id": lsUnits.Items[0].ID, "total_investment_yuan": 1, "version": 1}, 404},
		{"DELETE", "/api/v1/projects/" + id, nil, 404},
		{"GET", "/api/v1/projects/" + id + "/history", nil, 404},
		{"GET", "/api/v1/projects/" + id + "/task-force", nil, 404},
		{"POST", "/api/v1/projects/" + id + "/task-force", map[string]any{"role": "chief", "person_id": uuid.New(), "valid_from": "2034-01-01"}, 404},
		{"GET", "/api/v1/projects/" + id + "/procedures", nil, 404},
		{"POST", "/api/v1/projects/" + id + "/procedures", map[string]any{"type_id": o.types[0].ID, "service_unit_id": o.units["县发改委"], "status": "pending"}, 404},
		{"GET", "/api/v1/projects/" + id + "/plan/2034", nil, 404},
		{"PUT", "/api/v1/projects/" + id + "/plan/2034", map[string]any{"year": 2034, "nodes": []any{}, "months": months}, 404},
		{"PUT", "/api/v1/key-lists/2034/projects/" + id, map[string]any{"planned_investment_yuan": 1, "on": "2034-01-01"}, 404},
		{"POST", "/api/v1/key-lists/2034/projects/" + id + "/removal", map[string]any{"on": "2034-02-01", "reason": "越权"}, 404},
		{"POST", "/api/v1/projects", map[string]any{"code": "LS-X", "name": "越权", "category_id": o.category, "level": "county", "construction_type": "new", "responsible_unit_id": lsUnits.Items[0].ID, "total_investment_yuan": 1}, 400},
		{"POST", "/api/v1/projects", map[string]any{"code": "LS-Y", "name": "越权", "category_id": lsCats[0].ID, "level": "county", "construction_type": "new", "responsible_unit_id": o.units["紫水街道"], "total_investment_yuan": 1}, 400},
	}
	for _, c := range cases {
		if r := ls.do(c.method, c.path, c.body); r.Status != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.Status, r.Body, c.status)
		}
	}
	var l httpapi.List[httpapi.Project]
	ls.do("GET", "/api/v1/projects?unit_id="+o.units["紫水街道"], nil).decode(t, &l)
	var entries []httpapi.ListEntry
	ls.do("GET", "/api/v1/key-lists/2034", nil).decode(t, &entries)
	if len(l.Items) != 0 || len(entries) != 0 {
		t.Fatalf("Luoshan sees %d Guangshan projects and %d entries", len(l.Items), len(entries))
	}
	if snapshot(t) != before {
		t.Fatal("Guangshan's data changed")
	}
}
