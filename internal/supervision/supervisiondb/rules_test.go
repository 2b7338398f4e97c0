package supervisiondb_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/demo"
	"github.com/tuijin/tuijin/internal/org"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

var env *dbtest.Env

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	if env, err = dbtest.New(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := demo.Load(ctx, env.App, env.Owner, auth.NewHasher(0), "Tuijin@2026"); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		env.Close()
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

// world is Guangshan as the tests see it: its ids by name.
type world struct {
	county                 uuid.UUID
	units, people, cats    map[string]uuid.UUID
	office                 uuid.UUID // gs.office's account
	officeName, statistics string
}

func guangshan(t *testing.T) world {
	t.Helper()
	w := world{units: map[string]uuid.UUID{}, people: map[string]uuid.UUID{}, cats: map[string]uuid.UUID{}}
	if err := env.App.InPlatform(context.Background(), func(ctx context.Context, tx bun.IDB) error {
		list, err := postgres.ListCounties(ctx, tx, nil)
		for _, c := range list {
			if c.Slug == "guangshan" {
				w.county = c.ID
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		units, _, err := postgres.ListUnits(ctx, tx, postgres.UnitFilter{}, postgres.Page{Limit: postgres.MaxPageSize})
		for _, u := range units {
			w.units[u.Name] = u.ID
		}
		if err != nil {
			return err
		}
		people, _, err := postgres.ListPeople(ctx, tx, postgres.PersonFilter{}, postgres.Page{Limit: postgres.MaxPageSize})
		for _, p := range people {
			w.people[p.Name] = p.ID
		}
		if err != nil {
			return err
		}
		cats, err := postgres.ListCategories(ctx, tx)
		for _, c := range cats {
			w.cats[c.Name] = c.ID
		}
		if err != nil {
			return err
		}
		a, err := postgres.AccountByUsername(ctx, tx, "gs.office")
		w.office = a.ID
		return err
	})
	return w
}

func in(t testing.TB, county uuid.UUID, fn func(ctx context.Context, tx bun.IDB) error) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := env.App.InCounty(ctx, county, fn); err != nil {
		t.Fatal(err)
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// The weeks of the scenario, in 2031 (1 January is a Wednesday).
var (
	w0 = day("2030-12-30") // spans the new year; its Sunday is in January
	w1 = day("2031-01-06")
	w3 = day("2031-01-20")
	w4 = day("2031-01-27") // Sunday 2 February: a February week
	w5 = day("2031-02-03")
)

// newYear opens a scenario's year: its key list, and the default settings
// without the photo minimum from the December before.
func newYear(ctx context.Context, tx bun.IDB, year int) error {
	if _, err := postgres.CreateKeyList(ctx, tx, year, fmt.Sprintf("光山县%d年度重点项目", year)); err != nil {
		return err
	}
	s := settings.Defaults()
	s.MinPhotosPerReport = 0
	_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: time.Date(year-1, 12, 1, 0, 0, 0, 0, time.UTC), Values: s, Reason: "测试"}, time.Now())
	return err
}

// newProject creates a 紫水街道 project with its task force (the helper
// 唐明, the unit's head 罗军, the chief 刘志强) and lists it on the list of
// the year it is added in.
func newProject(t *testing.T, w world, tx bun.IDB, ctx context.Context, code string, added time.Time, baseline *int) project.Project {
	t.Helper()
	p, err := postgres.CreateProject(ctx, tx, project.Project{Code: code, Name: "规则测试" + code, CategoryID: w.cats["城建"], Level: "county",
		ConstructionType: "continuing", Status: "under_construction", ResponsibleUnitID: w.units["紫水街道"], TotalInvestmentYuan: 500_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.PutEntry(ctx, tx, added.Year(), p.ID, 100_000_000, baseline, added, "测试"); err != nil {
		t.Fatal(err)
	}
	for role, who := range map[project.Role]string{project.RoleChief: "刘志强", project.RoleResponsible: "罗军", project.RoleHelper: "唐明"} {
		if _, err := postgres.Assign(ctx, tx, p, role, w.people[who], day("2030-12-01"), ""); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// report writes a week's report through the real flow: the helper drafts
// and submits (the rules decide), then each of steps (confirm, verify,
// return) in turn.
func report(t *testing.T, ctx context.Context, tx bun.IDB, w world, p project.Project, week time.Time, c reporting.Content, steps ...string) {
	t.Helper()
	if c.ImageProgress == "" {
		c.ImageProgress = "施工中"
	}
	helper := w.people["唐明"]
	at := week.AddDate(0, 0, 2).Add(10 * time.Hour) // Wednesday, before the deadline
	if _, err := reportingdb.SaveDraft(ctx, tx, p.ID, week, c, helper); err != nil {
		t.Fatal(err)
	}
	if _, err := reportingdb.Submit(ctx, tx, p.ID, week, helper, at); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if _, err := reportingdb.Transition(ctx, tx, p.ID, week, s, w.office, "请补充现场照片", at); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

type truth struct {
	listedW3, listedW4, listedW5 bool
	state                        reporting.State // in W4
	progress                     bool            // in W4
	doneW3, doneW4               int64           // completed investment through W3's and W4's Sundays
}

// TestEveryCallerAgrees runs every caller of the rules on the same data —
// the reporting grid, the week close, the dashboard, the bulletin inputs,
// the reminders and the compliance page — and checks that they agree with
// one table of what is true: which projects are listed (added mid-year,
// removed mid-year), each week's state and substantive progress (a returned
// report, an unconfirmed one, first reports with and without a baseline)
// and the completed investment (a month verified by the Statistics Bureau).
func TestEveryCallerAgrees(t *testing.T) {
	w := guangshan(t)
	ptr := func(n int) *int { return &n }
	ps := map[string]project.Project{}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if err := newYear(ctx, tx, 2031); err != nil {
			return err
		}
		jan1 := day("2031-01-01")
		ps["mid"] = newProject(t, w, tx, ctx, "R-MID", day("2031-01-29"), nil) // added on the Wednesday of W4
		ps["removed"] = newProject(t, w, tx, ctx, "R-REMOVED", jan1, nil)
		if err := postgres.RemoveEntry(ctx, tx, 2031, ps["removed"].ID, day("2031-01-30"), "项目调出"); err != nil { // Thursday of W4
			return err
		}
		for _, code := range []string{"returned", "unconfirmed", "verified", "nobaseline"} {
			ps[code] = newProject(t, w, tx, ctx, "R-"+strings.ToUpper(code), jan1, nil)
		}
		ps["baseline44"] = newProject(t, w, tx, ctx, "R-BASE44", jan1, ptr(40))
		ps["baseline46"] = newProject(t, w, tx, ctx, "R-BASE46", jan1, ptr(40))

		report(t, ctx, tx, w, ps["returned"], w4, reporting.Content{InvestmentYuan: 2_000_000}, "return")
		report(t, ctx, tx, w, ps["unconfirmed"], w4, reporting.Content{InvestmentYuan: 3_000_000})
		for i, amount := range []int64{1_000_000, 2_000_000, 3_000_000, 4_000_000} { // W1…W4
			report(t, ctx, tx, w, ps["verified"], w1.AddDate(0, 0, 7*i), reporting.Content{InvestmentYuan: amount}, "confirm")
		}
		// The Statistics Bureau's January figure replaces January's weekly sum (6,000,000).
		if _, err := reportingdb.PutMonthlyFigure(ctx, tx, reportingdb.MonthlyFigure{ProjectID: ps["verified"].ID, Year: 2031, Month: 1, InvestmentYuan: 7_500_000}, day("2031-02-05")); err != nil {
			return err
		}
		if _, err := reportingdb.VerifyMonthlyFigure(ctx, tx, ps["verified"].ID, 2031, 1, w.people["何静"], day("2031-02-05")); err != nil {
			return err
		}
		report(t, ctx, tx, w, ps["nobaseline"], w4, reporting.Content{ImagePercent: 30}) // first report: the baseline, not a gain
		report(t, ctx, tx, w, ps["baseline44"], w4, reporting.Content{ImagePercent: 44}) // 40 → 44: 4 points, under 5
		report(t, ctx, tx, w, ps["baseline46"], w4, reporting.Content{ImagePercent: 46}) // 40 → 46: progress
		return nil
	})
	want := map[string]truth{
		"mid":         {false, true, true, reporting.StateMissing, false, 0, 0},
		"removed":     {true, true, false, reporting.StateMissing, false, 0, 0},
		"returned":    {true, true, true, reporting.StateOnTime, false, 0, 0},
		"unconfirmed": {true, true, true, reporting.StateOnTime, true, 0, 0},
		"verified":    {true, true, true, reporting.StateOnTime, true, 6_000_000, 11_500_000},
		"nobaseline":  {true, true, true, reporting.StateOnTime, false, 0, 0},
		"baseline44":  {true, true, true, reporting.StateOnTime, false, 0, 0},
		"baseline46":  {true, true, true, reporting.StateOnTime, true, 0, 0},
	}
	name := map[uuid.UUID]string{}
	for k, p := range ps {
		name[p.ID] = k
	}
	mine := func(id uuid.UUID) bool { _, ok := name[id]; return ok }

	// Reminders (run before the deadline, as the worker does): the listed
	// projects whose report is not in.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		_, err := supervisiondb.RemindReports(ctx, tx, w4)
		return err
	})
	reminded := map[string]bool{}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		var keys []string
		err := tx.NewRaw("SELECT DISTINCT idem_key FROM notifications WHERE idem_key LIKE ?", "due:%:"+w4.Format(time.DateOnly)).Scan(ctx, &keys)
		for _, k := range keys {
			if id, err := uuid.Parse(strings.Split(k, ":")[1]); err == nil && mine(id) {
				reminded[name[id]] = true
			}
		}
		return err
	})
	for k, tr := range want {
		due := tr.listedW4 && (tr.state == reporting.StateMissing || k == "returned")
		if reminded[k] != due {
			t.Errorf("reminders: %s reminded=%v, want %v", k, reminded[k], due)
		}
	}

	// The week close, catching up W0…W4 in order.
	var closed supervisiondb.WeekCloseResult
	closeAt := time.Date(2031, 2, 7, 18, 0, 0, 0, settings.Shanghai)
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		var err error
		closed, err = supervisiondb.CloseWeek(ctx, tx, w4, closeAt)
		return err
	})
	type status struct {
		ProjectID uuid.UUID `bun:"project_id"`
		State     string    `bun:"report_state"`
		Progress  bool      `bun:"progress"`
		Streak    int       `bun:"streak"`
		Stalled   bool      `bun:"stalled"`
	}
	weekStatus := func(week time.Time) map[string]status {
		out := map[string]status{}
		in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
			var rows []status
			err := tx.NewRaw("SELECT project_id, report_state, progress, streak, stalled FROM week_status WHERE week_start = ?", week).Scan(ctx, &rows)
			for _, r := range rows {
				if mine(r.ProjectID) {
					out[name[r.ProjectID]] = r
				}
			}
			return err
		})
		return out
	}
	closedW4, closedW3 := weekStatus(w4), weekStatus(w3)
	for k, tr := range want {
		st, ok := closedW4[k]
		if ok != tr.listedW4 || (ok && (reporting.State(st.State) != tr.state || st.Progress != tr.progress)) {
			t.Errorf("week close W4: %s %+v (listed %v), want %+v", k, st, ok, tr)
		}
		if _, ok := closedW3[k]; ok != tr.listedW3 {
			t.Errorf("week close W3: %s listed=%v, want %v", k, ok, tr.listedW3)
		}
	}
	// W0 (30 Dec – 5 Jan) is listed through 1–5 January: the close caught it up.
	if _, ok := weekStatus(w0)["returned"]; !ok {
		t.Error("the week spanning the new year was not closed for a project listed on 1 January")
	}
	// Streaks: the removed project missed W0…W4 (5 weeks, stalled); the
	// project added in W4 missed its first week (1, not stalled).
	if s := closedW4["removed"]; s.Streak != 5 || !s.Stalled {
		t.Errorf("removed project's streak %+v", s)
	}
	if s := closedW4["mid"]; s.Streak != 1 || s.Stalled {
		t.Errorf("new project's streak %+v", s)
	}

	// The reporting grid of W3…W5 as the office sees it after the close.
	cells := map[string]map[time.Time]reportingdb.GridCell{}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		page := postgres.Page{Limit: 3} // small pages: every project must come through the cursor
		for {
			_, got, next, err := reportingdb.Grid(ctx, tx, []time.Time{w3, w4, w5}, closeAt, nil, page)
			if err != nil {
				return err
			}
			for _, c := range got {
				if mine(c.ProjectID) {
					if cells[name[c.ProjectID]] == nil {
						cells[name[c.ProjectID]] = map[time.Time]reportingdb.GridCell{}
					}
					cells[name[c.ProjectID]][c.Week] = c
				}
			}
			if next == "" {
				return nil
			}
			page.After = next
		}
	})
	for k, tr := range want {
		c := cells[k]
		if (c[w3].State != reporting.StateUnlisted) != tr.listedW3 || (c[w5].State != reporting.StateUnlisted) != tr.listedW5 {
			t.Errorf("grid: %s W3 %s W5 %s, want listed %v %v", k, c[w3].State, c[w5].State, tr.listedW3, tr.listedW5)
		}
		if c[w4].State != tr.state || c[w4].Progress == nil || *c[w4].Progress != tr.progress {
			t.Errorf("grid: %s W4 %+v, want %s %v", k, c[w4], tr.state, tr.progress)
		}
		if st := closedW4[k]; reporting.State(st.State) != c[w4].State || st.Progress != *c[w4].Progress {
			t.Errorf("grid and close disagree on %s: %+v vs %+v", k, c[w4], st)
		}
	}

	// The dashboard: its trend is the close's result; its stalled list is
	// the close's stalled projects, however many.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		d, err := supervisiondb.SupervisionDashboard(ctx, tx, 12)
		if err != nil {
			return err
		}
		last := d.Trend[len(d.Trend)-1]
		if !last.Week.Equal(w4) || last.Projects != closed.Projects || last.Stalled != closed.Stalled || last.NoProgress != closed.NoProgress {
			t.Errorf("dashboard trend %+v, close %+v", last, closed)
		}
		stalled := map[string]bool{}
		for _, s := range d.Stalled {
			if mine(s.ProjectID) {
				stalled[name[s.ProjectID]] = true
			}
		}
		for k := range want {
			if stalled[k] != closedW4[k].Stalled {
				t.Errorf("dashboard stalled %s=%v, close %v", k, stalled[k], closedW4[k].Stalled)
			}
		}
		return nil
	})

	// The bulletin inputs of W3 and W4: the listed projects, the completed
	// investment (the Bureau's January in W4, not yet in W3) and the close's "stalled".
	for _, week := range []time.Time{w3, w4} {
		in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
			b, err := bulletindb.BulletinInputs(ctx, tx, "weekly", bulletin.Week(week))
			if err != nil {
				return err
			}
			got := map[string]int{}
			for i, p := range b.Projects {
				if strings.HasPrefix(p.Code, "R-") {
					got[strings.ToLower(strings.TrimPrefix(p.Code, "R-"))] = i
				}
			}
			closedWeek := weekStatus(week)
			for k, tr := range want {
				key := map[string]string{"baseline44": "base44", "baseline46": "base46"}[k]
				if key == "" {
					key = k
				}
				i, ok := got[key]
				listed, done := tr.listedW4, tr.doneW4
				if week == w3 {
					listed, done = tr.listedW3, tr.doneW3
				}
				if ok != listed {
					t.Errorf("bulletin %s: %s listed=%v, want %v", week.Format(time.DateOnly), k, ok, listed)
					continue
				}
				if !ok {
					continue
				}
				p := b.Projects[i]
				if p.DoneYuan != done || p.Stalled != closedWeek[k].Stalled || p.Streak != closedWeek[k].Streak {
					t.Errorf("bulletin %s: %s done %d stalled %v streak %d; want done %d, close %+v", week.Format(time.DateOnly), k, p.DoneYuan, p.Stalled, p.Streak, done, closedWeek[k])
				}
			}
			if p := b.Projects[got["verified"]]; week == w4 && p.DoneSource != "1月为统计局核定数，2月为周报汇总数" {
				t.Errorf("bulletin W4: source %q", p.DoneSource)
			}
			return nil
		})
	}

	checkStoredWeeks(t, w.county)

	// The compliance page lists every listed project, through its cursor.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		seen := map[string]bool{}
		page := postgres.Page{Limit: 2}
		for {
			rows, next, err := reportingdb.Compliance(ctx, tx, w4, nil, page)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if mine(r.ProjectID) {
					seen[name[r.ProjectID]] = true
				}
			}
			if next == "" {
				break
			}
			page.After = next
		}
		for k, tr := range want {
			if seen[k] != tr.listedW4 {
				t.Errorf("compliance: %s listed=%v, want %v", k, seen[k], tr.listedW4)
			}
		}
		return nil
	})
}

// TestListedProjects is the SQL definition of "listed" on its own: the
// days an entry covers, a removal on a Monday, a year boundary, a project
// put back on the list (two periods), and a period over two years' lists.
func TestListedProjects(t *testing.T) {
	w := guangshan(t)
	var a, b, c project.Project
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		for _, y := range []int{2033, 2034} {
			if _, err := postgres.CreateKeyList(ctx, tx, y, fmt.Sprint(y)); err != nil {
				return err
			}
		}
		a = newProject(t, w, tx, ctx, "L-A", day("2033-03-02"), nil)                               // a Wednesday
		if err := postgres.RemoveEntry(ctx, tx, 2033, a.ID, day("2033-03-14"), "调出"); err != nil { // a Monday
			return err
		}
		if _, err := postgres.PutEntry(ctx, tx, 2033, a.ID, 1, nil, day("2033-04-06"), "重新列入"); err != nil {
			return err
		}
		if _, err := postgres.PutEntry(ctx, tx, 2033, a.ID, 1, nil, day("2033-04-01"), "早于移出"); err != nil {
			return fmt.Errorf("a change of the open period refused: %w", err)
		}
		b = newProject(t, w, tx, ctx, "L-B", day("2033-01-01"), nil) // 2033's list only
		c = newProject(t, w, tx, ctx, "L-C", day("2033-06-01"), nil)
		if _, err := postgres.PutEntry(ctx, tx, 2034, c.ID, 7, nil, day("2034-01-01"), "续建"); err != nil {
			return err
		}
		return nil
	})
	listed := func(from, to string) map[uuid.UUID]reportingdb.Listed {
		out := map[uuid.UUID]reportingdb.Listed{}
		in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
			ls, err := reportingdb.ListedIn(ctx, tx, day(from), day(to))
			for _, l := range ls {
				out[l.ProjectID] = l
			}
			return err
		})
		return out
	}
	cases := []struct {
		from, to string
		a, b, c  bool
	}{
		{"2033-02-23", "2033-03-01", false, true, false}, // the week before A was added
		{"2033-02-27", "2033-03-05", true, true, false},  // A added on the Wednesday of the week
		{"2033-03-07", "2033-03-13", true, true, false},  // the week before A's removal
		{"2033-03-14", "2033-03-20", false, true, false}, // removed on the Monday: not listed that week
		{"2033-03-28", "2033-04-03", false, true, false}, // between its two periods
		{"2033-04-06", "2033-04-12", true, true, false},  // back on the list
		{"2033-12-29", "2034-01-04", true, true, true},   // the week spanning the years
		{"2034-01-05", "2034-01-11", false, false, true}, // 2034: only C is on 2034's list
	}
	for _, tc := range cases {
		got := listed(tc.from, tc.to)
		_, ga := got[a.ID]
		_, gb := got[b.ID]
		_, gc := got[c.ID]
		if ga != tc.a || gb != tc.b || gc != tc.c {
			t.Errorf("%s…%s: A %v B %v C %v, want %v %v %v", tc.from, tc.to, ga, gb, gc, tc.a, tc.b, tc.c)
		}
	}
	// Over two lists the later year's entry is given.
	if l := listed("2033-12-29", "2034-01-04")[c.ID]; l.Year != 2034 || l.PlannedInvestmentYuan != 7 {
		t.Errorf("spanning listing %+v", l)
	}
	// Putting A back before the day it was removed is refused.
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if err := postgres.RemoveEntry(ctx, tx, 2033, a.ID, day("2033-05-04"), "再次调出"); err != nil {
			return err
		}
		if _, err := postgres.PutEntry(ctx, tx, 2033, a.ID, 1, nil, day("2033-05-01"), "倒签"); err == nil || !strings.Contains(err.Error(), "validation") {
			t.Errorf("a new period before the removal: %v", err)
		}
		return nil
	})
}

// TestEscalationNamesSomeone: with the responsible seat empty, level 1
// names the unit's main head; with no chief, level 2 names the leading
// group's leader; a person without an account is listed for the office
// (无账号，请线下通知) and told through the inboxes of their unit's accounts.
func TestEscalationNamesSomeone(t *testing.T) {
	w := guangshan(t)
	var p project.Project
	var colleague uuid.UUID
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		if _, err := postgres.CreateKeyList(ctx, tx, 2035, "2035"); err != nil {
			return err
		}
		var err error
		p, err = postgres.CreateProject(ctx, tx, project.Project{Code: "E-1", Name: "十里镇无人分包项目", CategoryID: w.cats["农林水"], Level: "county",
			ConstructionType: "new", Status: "preparing", ResponsibleUnitID: w.units["十里镇"], TotalInvestmentYuan: 1})
		if err != nil {
			return err
		}
		if _, err := postgres.PutEntry(ctx, tx, 2035, p.ID, 1, nil, day("2035-01-01"), "测试"); err != nil {
			return err
		}
		// A colleague of the head (张建华, who has no account) has one.
		shili := w.units["十里镇"]
		person, err := postgres.CreatePerson(ctx, tx, orgPerson("十里镇党政办主任", shili))
		if err != nil {
			return err
		}
		a, err := postgres.CreateAccount(ctx, tx, postgres.Account{Scope: "county", CountyID: &w.county, Username: "gs.shili", DisplayName: "十里镇", PersonID: &person.ID, PasswordHash: "x"})
		colleague = a.ID
		return err
	})
	at := time.Date(2035, 1, 26, 18, 0, 0, 0, settings.Shanghai) // the close of the week of 15 January (3 weeks)
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		_, err := supervisiondb.CloseWeek(ctx, tx, day("2035-01-15"), at)
		return err
	})
	var rows []struct {
		Level   int        `bun:"level"`
		Person  *uuid.UUID `bun:"person_id"`
		NamedAs string     `bun:"named_as"`
	}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT level, person_id, named_as FROM escalations WHERE project_id = ? ORDER BY level", p.ID).Scan(ctx, &rows)
	})
	if len(rows) != 2 || rows[0].Person == nil || *rows[0].Person != w.people["张建华"] || rows[0].NamedAs != string(supervision.NamedUnitHead) ||
		rows[1].Person == nil || *rows[1].Person != w.people["王立新"] || rows[1].NamedAs != string(supervision.NamedGroupLeader) {
		t.Fatalf("escalations %+v", rows)
	}
	var bodies []struct {
		Account uuid.UUID `bun:"account_id"`
		Body    string    `bun:"body"`
	}
	in(t, w.county, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT account_id, body FROM notifications WHERE kind = 'escalation' AND body LIKE ?", "%十里镇无人分包项目%").Scan(ctx, &bodies)
	})
	var toOffice, toColleague bool
	for _, b := range bodies {
		if b.Account == w.office && strings.Contains(b.Body, "张建华无账号，请线下通知") && strings.Contains(b.Body, supervision.LevelUnitHeadName) {
			toOffice = true
		}
		if b.Account == colleague && strings.Contains(b.Body, "张建华") {
			toColleague = true
		}
	}
	if !toOffice || !toColleague {
		t.Fatalf("messages to the office %v, to the unit's account %v: %+v", toOffice, toColleague, bodies)
	}
	checkStoredWeeks(t, w.county)
}

// checkStoredWeeks recomputes every stored week of the county from the
// reports with the Go rules (reporting.Progress, supervision.NextStreak,
// supervision.Stalled): what the close stored is what the rules say.
func checkStoredWeeks(t *testing.T, county uuid.UUID) {
	t.Helper()
	in(t, county, func(ctx context.Context, tx bun.IDB) error {
		var rows []struct {
			ProjectID uuid.UUID `bun:"project_id"`
			Week      time.Time `bun:"week_start,type:date"`
			Progress  bool      `bun:"progress"`
			Streak    int       `bun:"streak"`
			Stalled   bool      `bun:"stalled"`
		}
		if err := tx.NewRaw("SELECT project_id, week_start, progress, streak, stalled FROM week_status ORDER BY project_id, week_start").Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			t.Error("no stored weeks")
		}
		type last struct {
			week   time.Time
			streak int
		}
		prev := map[uuid.UUID]last{}
		for _, r := range rows {
			s, err := postgres.SettingsOn(ctx, tx, r.Week)
			if err != nil {
				return err
			}
			var f *reporting.Facts
			if rep, err := reportingdb.GetReport(ctx, tx, r.ProjectID, r.Week); err == nil {
				f = rep.Facts()
			}
			before := 0
			if p, ok := prev[r.ProjectID]; ok && p.week.Equal(r.Week.AddDate(0, 0, -7)) {
				before = p.streak
			}
			progress := reporting.Progress(f)
			streak := supervision.NextStreak(before, progress)
			if r.Progress != progress || r.Streak != streak || r.Stalled != supervision.Stalled(streak, s.Values) {
				t.Errorf("%s %s: stored %+v, the rules: progress %v streak %d", r.ProjectID, r.Week.Format(time.DateOnly), r, progress, streak)
			}
			prev[r.ProjectID] = last{r.Week, r.Streak}
		}
		return nil
	})
}

func orgPerson(post string, unit uuid.UUID) org.Person {
	return org.Person{Name: "测试人员" + post[len(post)-6:], Post: post, Rank: org.RankSection, UnitID: &unit}
}
