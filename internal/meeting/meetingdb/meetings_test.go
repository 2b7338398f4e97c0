package meetingdb_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/demo"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
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

func county(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := env.App.InPlatform(context.Background(), func(ctx context.Context, tx bun.IDB) error {
		list, err := postgres.ListCounties(ctx, tx, nil)
		for _, c := range list {
			if c.Slug == slug {
				id = c.ID
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func in(t testing.TB, c uuid.UUID, fn func(ctx context.Context, tx bun.IDB) error) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := env.App.InCounty(ctx, c, fn); err != nil {
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

func ids(ctx context.Context, tx bun.IDB, query string, args ...any) map[string]uuid.UUID {
	var rows []struct {
		ID   uuid.UUID `bun:"id"`
		Name string    `bun:"name"`
	}
	if err := tx.NewRaw(query, args...).Scan(ctx, &rows); err != nil {
		panic(err)
	}
	out := map[string]uuid.UUID{}
	for _, r := range rows {
		out[r.Name] = r.ID
	}
	return out
}

// quarter is 2041's first quarter in Guangshan: six projects in six units,
// four of which report progress every week (8, 6, 4 and 2 million yuan),
// two never (they stall and escalate); 刘志强 subcontracts three, 陈国庆
// three. The land problems of the two silent projects are shared.
type quarter struct {
	county   uuid.UUID
	projects map[string]project.Project // by unit name
	units    map[string]uuid.UUID
	office   uuid.UUID
}

var unitOrder = []string{"紫水街道", "十里镇", "县水利局", "光山县产业集聚区", "仙居乡", "北向店乡"}

func setUp(t *testing.T) quarter {
	q := quarter{county: county(t, "guangshan"), projects: map[string]project.Project{}}
	in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
		if _, err := postgres.CreateKeyList(ctx, tx, 2041, "光山县2041年度重点项目"); err != nil {
			return err
		}
		s := settings.Defaults()
		s.MinPhotosPerReport = 0
		if _, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: day("2040-12-01"), Values: s, Reason: "测试"}, time.Now()); err != nil {
			return err
		}
		q.units = ids(ctx, tx, "SELECT id, name FROM units")
		people := ids(ctx, tx, "SELECT id, name FROM people")
		cat := ids(ctx, tx, "SELECT id, name FROM project_categories")["城建"]
		a, err := postgres.AccountByUsername(ctx, tx, "gs.office")
		q.office = a.ID
		if err != nil {
			return err
		}
		for i, u := range unitOrder {
			p, err := postgres.CreateProject(ctx, tx, project.Project{Code: fmt.Sprintf("M41-%d", i+1), Name: u + "会议测试项目", CategoryID: cat,
				Level: "county", ConstructionType: "continuing", Status: "under_construction", ResponsibleUnitID: q.units[u], TotalInvestmentYuan: 500_000_000})
			if err != nil {
				return err
			}
			if _, err := postgres.PutEntry(ctx, tx, 2041, p.ID, 100_000_000, nil, day("2041-01-01"), "测试"); err != nil {
				return err
			}
			chief := "刘志强"
			if i%2 == 1 {
				chief = "陈国庆"
			}
			if _, err := postgres.Assign(ctx, tx, p, project.RoleChief, people[chief], day("2040-12-01"), ""); err != nil {
				return err
			}
			q.projects[u] = p
		}
		reporter, confirmer := uuid.New(), uuid.New()
		for w := day("2040-12-31"); w.Before(day("2041-03-31")); w = w.AddDate(0, 0, 7) {
			for i, u := range unitOrder[:4] {
				p := q.projects[u]
				c := reporting.Content{ImageProgress: "施工中", InvestmentYuan: int64(8-2*i) * 1_000_000}
				at := w.AddDate(0, 0, 2).Add(10 * time.Hour)
				if _, err := reportingdb.SaveDraft(ctx, tx, p.ID, w, c, reporter); err != nil {
					return err
				}
				if _, err := reportingdb.Submit(ctx, tx, p.ID, w, reporter, at); err != nil {
					return err
				}
				if _, err := reportingdb.Transition(ctx, tx, p.ID, w, "confirm", confirmer, "", at); err != nil {
					return err
				}
			}
		}
		for _, u := range []string{"仙居乡", "北向店乡"} {
			if _, err := reportingdb.RaiseProblem(ctx, tx, reportingdb.Problem{ProjectID: q.projects[u].ID, Source: "direct", Category: "land",
				Description: u + "项目用地指标未落实"}); err != nil {
				return err
			}
		}
		return nil
	})
	return q
}

// run simulates the county's days from..to: each morning the daily meeting
// job, each Friday evening the week close.
func (q quarter) run(t *testing.T, from, to time.Time, each func(d time.Time)) {
	t.Helper()
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
			_, err := meetingdb.RunDaily(ctx, tx, d, meeting.At(d, "07:30"))
			return err
		})
		if each != nil {
			each(d)
		}
		if d.Weekday() == time.Friday {
			monday := d.AddDate(0, 0, -4)
			in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
				_, err := supervisiondb.CloseWeek(ctx, tx, monday, meeting.At(d, "18:01"))
				return err
			})
		}
	}
}

func sittingOn(t *testing.T, q quarter, kind meeting.Kind, d string) (meetingdb.Sitting, []meetingdb.Item) {
	t.Helper()
	var st meetingdb.Sitting
	var items []meetingdb.Item
	in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
		list, err := meetingdb.ListSittings(ctx, tx, day(d), day(d))
		if err != nil {
			return err
		}
		for _, s := range list {
			if s.Kind == string(kind) {
				st = s
			}
		}
		if st.ID == uuid.Nil {
			t.Fatalf("no %s sitting on %s: %+v", kind, d, list)
		}
		items, err = meetingdb.ListItems(ctx, tx, st.ID)
		return err
	})
	return st, items
}

func titles(items []meetingdb.Item, kind meeting.ItemKind) []string {
	var out []string
	for _, it := range items {
		if it.Kind == string(kind) {
			out = append(out, it.Title)
		}
	}
	return out
}

// TestSimulatedQuarter: over 2041's first quarter, every sitting is on the
// calendar and drafted on its preparation day from the data — stalled and
// escalated projects, the problem raised to the weekly meeting, the month
// against 时序进度 and the shared land problems; a decision left overdue
// comes back on the next weekly agenda by itself and reaches its owner's
// inbox; the bi-monthly speakers are the best and worst units of January
// and February.
func TestSimulatedQuarter(t *testing.T) {
	q := setUp(t)
	var action meetingdb.Action
	q.run(t, day("2041-01-01"), day("2041-03-08"), func(d time.Time) {
		switch d.Format(time.DateOnly) {
		case "2041-01-15": // raised to the weekly meeting's chair (M2.3)
			in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
				p, err := reportingdb.RaiseProblem(ctx, tx, reportingdb.Problem{ProjectID: q.projects["仙居乡"].ID, Source: "direct", Category: "power",
					Description: "施工临时用电未接入"})
				if err != nil {
					return err
				}
				p.Level = "weekly_meeting"
				_, err = reportingdb.HandleProblem(ctx, tx, p, meeting.At(d, "10:00"))
				return err
			})
		case "2041-01-14": // the sitting of 14 January decides; its decision is not done in time
			st, _ := sittingOn(t, q, meeting.Weekly, "2041-01-14")
			pid := q.projects["北向店乡"].ID
			in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
				if _, err := meetingdb.Hold(ctx, tx, st.ID, meeting.At(d, "10:00")); err != nil {
					return err
				}
				var err error
				action, err = meetingdb.AddAction(ctx, tx, st.ID, meetingdb.ActionInput{Text: "县自然资源局协调落实用地指标", OwnerUnitID: q.units["北向店乡"],
					Deadline: day("2041-01-18"), ProjectID: &pid}, d)
				return err
			})
		}
	})

	// Every weekly sitting was drafted on its preparation day (two days before).
	var weekly []meetingdb.Sitting
	in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
		all, err := meetingdb.ListSittings(ctx, tx, day("2041-01-01"), day("2041-03-08"))
		for _, s := range all {
			if s.Kind == string(meeting.Weekly) {
				weekly = append(weekly, s)
			}
		}
		return err
	})
	if len(weekly) != 9 { // the Mondays from 7 January to 4 March
		t.Fatalf("%d weekly sittings from 1 January to 8 March", len(weekly))
	}
	for _, s := range weekly {
		if s.PreparedAt == nil || s.PreparedAt.In(settings.Shanghai).Format(time.DateOnly) != s.Day.AddDate(0, 0, -2).Format(time.DateOnly) {
			t.Errorf("sitting of %s prepared at %v", s.Day.Format(time.DateOnly), s.PreparedAt)
		}
	}
	// 21 January: the week of 14 January closed; the two silent projects
	// are stalled (3 weeks: escalated to their county leaders that week).
	_, items := sittingOn(t, q, meeting.Weekly, "2041-01-21")
	stalled := append(titles(items, meeting.ItemStalledProject), titles(items, meeting.ItemEscalatedProject)...)
	if len(stalled) != 2 || !strings.Contains(strings.Join(stalled, " "), "仙居乡会议测试项目：连续3周无实质进度") {
		t.Errorf("stalled on 21 January: %v", stalled)
	}
	if got := titles(items, meeting.ItemProblem); len(got) != 1 || !strings.Contains(got[0], "施工临时用电未接入") {
		t.Errorf("problems raised to the weekly meeting: %v", got)
	}
	overdue := titles(items, meeting.ItemOverdueAction)
	if len(overdue) != 1 || !strings.Contains(overdue[0], "县自然资源局协调落实用地指标") || !strings.Contains(overdue[0], "逾期3天") {
		t.Errorf("the overdue decision on the next agenda: %v", overdue)
	}
	if items[0].Kind != string(meeting.ItemOverdueAction) {
		t.Errorf("the earlier decisions are heard first: %s", items[0].Kind)
	}
	var inbox int
	in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM notifications WHERE kind = 'action_overdue' AND idem_key = ? AND account_id = ?",
			"action_overdue:"+action.ID.String(), q.office).Scan(ctx, &inbox)
	})
	if inbox != 1 {
		t.Errorf("the office was told of the overdue decision %d times", inbox)
	}
	// The monthly meeting of January: the month against 时序进度; the land
	// problems shared by two projects.
	_, items = sittingOn(t, q, meeting.Monthly, "2041-01-31")
	if got := titles(items, meeting.ItemMonthFigures); len(got) != 1 || !strings.Contains(got[0], "时序进度8.3%") {
		t.Errorf("January's figures: %v", got)
	}
	if got := titles(items, meeting.ItemCommonProblem); len(got) != 1 || got[0] != "用地问题（涉及2个项目）" {
		t.Errorf("common problems: %v", got)
	}
	// The bi-monthly meeting of 6 March: each county leader reports; the
	// units ranked best and worst over January–February speak.
	st, items := sittingOn(t, q, meeting.Bimonthly, "2041-03-06")
	if st.ReviewFrom.Format(time.DateOnly) != "2041-01-01" || st.ReviewTo.Format(time.DateOnly) != "2041-02-28" {
		t.Errorf("the bi-monthly meeting reviews %s–%s", st.ReviewFrom, st.ReviewTo)
	}
	leaders := titles(items, meeting.ItemLeaderReport)
	sort.Strings(leaders)
	if strings.Join(leaders, " ") != "刘志强汇报分包项目推进情况（3个） 陈国庆汇报分包项目推进情况（3个）" {
		t.Errorf("leaders' reports: %v", leaders)
	}
	model, pledge := titles(items, meeting.ItemModelSpeech), titles(items, meeting.ItemPledgeSpeech)
	if len(model) != 2 || !strings.HasPrefix(model[0], "紫水街道典型发言（第1名") || !strings.HasPrefix(model[1], "十里镇典型发言（第2名") {
		t.Errorf("model speeches: %v", model)
	}
	if len(pledge) != 2 || !strings.Contains(strings.Join(pledge, " "), "仙居乡表态发言") || !strings.Contains(strings.Join(pledge, " "), "北向店乡表态发言") {
		t.Errorf("pledge speeches: %v", pledge)
	}
	// Participants: the chair (the 县委书记 is not in the demo: none) and
	// the standing groups were told once each.
	var told int
	in(t, q.county, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM notifications WHERE idem_key = ?", "meeting_prepared:"+st.ID.String()).Scan(ctx, &told)
	})
	if told == 0 {
		t.Error("nobody was told of the bi-monthly meeting")
	}
}

// TestPreparedOnce: two workers prepare the same day at once, and a retry
// runs it again: one agenda, one set of messages.
func TestPreparedOnce(t *testing.T) {
	q := county(t, "guangshan")
	d := day("2043-03-28") // a Saturday: the weekly sitting of 30 March is due
	in(t, q, func(ctx context.Context, tx bun.IDB) error {
		s := settings.Defaults()
		_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: day("2043-01-01"), Values: s, Reason: "测试"}, time.Now())
		return err
	})
	var wg sync.WaitGroup
	results := make([]meetingdb.DailyResult, 3)
	errs := make([]error, 3)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := audit.WithActor(context.Background(), audit.Actor{Name: "worker"})
			errs[i] = env.App.InCounty(ctx, q, func(ctx context.Context, tx bun.IDB) error {
				var err error
				results[i], err = meetingdb.RunDaily(ctx, tx, d, meeting.At(d, "07:30"))
				return err
			})
		}()
	}
	wg.Wait()
	in(t, q, func(ctx context.Context, tx bun.IDB) error { // the retry
		var err error
		results[2], err = meetingdb.RunDaily(ctx, tx, d, meeting.At(d, "07:31"))
		return err
	})
	for _, err := range errs[:2] {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, items := sittingOn(t, meetingq(q), meeting.Weekly, "2043-03-30")
	var msgs, rows int
	in(t, q, func(ctx context.Context, tx bun.IDB) error {
		if err := tx.NewRaw("SELECT count(*), count(DISTINCT account_id) FROM notifications WHERE idem_key = ?", "meeting_prepared:"+st.ID.String()).Scan(ctx, &msgs, &rows); err != nil {
			return err
		}
		return nil
	})
	if len(results[0].Prepared) != 1 || fmt.Sprint(results[0]) != fmt.Sprint(results[1]) || fmt.Sprint(results[1]) != fmt.Sprint(results[2]) {
		t.Errorf("three runs answered differently: %+v", results)
	}
	if msgs == 0 || msgs != rows || results[0].Prepared[0].Items != len(items) {
		t.Errorf("%d messages to %d accounts; %d items, the run drafted %d", msgs, rows, len(items), results[0].Prepared[0].Items)
	}
}

func meetingq(c uuid.UUID) quarter { return quarter{county: c} }

// TestSeriesPerCounty: Luoshan moving its monthly meeting to Tuesdays does
// not move Guangshan's (last Thursdays).
func TestSeriesPerCounty(t *testing.T) {
	gs, ls := county(t, "guangshan"), county(t, "luoshan")
	in(t, ls, func(ctx context.Context, tx bun.IDB) error {
		s := settings.Defaults()
		s.MeetingMonthly.Weekday = 2
		_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: day("2044-01-01"), Values: s, Reason: "改为周二"}, time.Now())
		return err
	})
	in(t, gs, func(ctx context.Context, tx bun.IDB) error {
		_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: day("2044-01-01"), Values: settings.Defaults(), Reason: "测试"}, time.Now())
		return err
	})
	weekdays := map[uuid.UUID][]string{}
	for _, c := range []uuid.UUID{gs, ls} {
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			if _, err := meetingdb.EnsureSittings(ctx, tx, day("2044-01-01"), day("2044-03-31")); err != nil {
				return err
			}
			list, err := meetingdb.ListSittings(ctx, tx, day("2044-01-01"), day("2044-03-31"))
			for _, s := range list {
				if s.Kind == string(meeting.Monthly) {
					weekdays[c] = append(weekdays[c], s.Day.Format("01-02 Mon"))
				}
			}
			return err
		})
	}
	if strings.Join(weekdays[gs], " ") != "01-28 Thu 02-25 Thu 03-31 Thu" || strings.Join(weekdays[ls], " ") != "01-26 Tue 02-23 Tue 03-29 Tue" {
		t.Errorf("Guangshan %v, Luoshan %v", weekdays[gs], weekdays[ls])
	}
}

// TestAgendaBacklog: an item taken off the agenda waits in its backlog and
// can be put back; the office removes one for good only on purpose, and
// only one left off the agenda.
func TestAgendaBacklog(t *testing.T) {
	c := county(t, "guangshan")
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: day("2045-01-01"), Values: settings.Defaults(), Reason: "测试"}, time.Now())
		if err != nil {
			return err
		}
		_, err = meetingdb.EnsureSittings(ctx, tx, day("2045-01-09"), day("2045-01-09")) // a Monday
		return err
	})
	st, _ := sittingOn(t, meetingq(c), meeting.Weekly, "2045-01-09")
	var a, b, d meetingdb.Item
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		var err error
		for _, x := range []struct {
			it    *meetingdb.Item
			title string
		}{{&a, "甲议题"}, {&b, "乙议题"}, {&d, "丙议题"}} {
			if *x.it, err = meetingdb.AddItem(ctx, tx, st.ID, meetingdb.ItemInput{Title: x.title}); err != nil {
				return err
			}
		}
		return nil
	})
	agenda := func() (string, string) {
		var on, aside []meetingdb.Item
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			var err error
			if on, err = meetingdb.ListItems(ctx, tx, st.ID); err != nil {
				return err
			}
			aside, err = meetingdb.ListBacklog(ctx, tx, st.ID)
			return err
		})
		join := func(items []meetingdb.Item) string {
			var s []string
			for _, it := range items {
				s = append(s, it.Title)
			}
			return strings.Join(s, " ")
		}
		return join(on), join(aside)
	}
	change := func(ch meetingdb.AgendaChange) error {
		var err error
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			_, err = meetingdb.ChangeAgenda(ctx, tx, st.ID, ch)
			return nil
		})
		return err
	}
	if err := change(meetingdb.AgendaChange{Order: []uuid.UUID{d.ID, a.ID}}); err != nil {
		t.Fatal(err)
	}
	if on, aside := agenda(); on != "丙议题 甲议题" || aside != "乙议题" {
		t.Fatalf("set aside: agenda %q, backlog %q", on, aside)
	}
	if err := change(meetingdb.AgendaChange{Order: []uuid.UUID{b.ID, d.ID, a.ID}}); err != nil {
		t.Fatal(err)
	}
	if on, aside := agenda(); on != "乙议题 丙议题 甲议题" || aside != "" {
		t.Fatalf("put back: agenda %q, backlog %q", on, aside)
	}
	if err := change(meetingdb.AgendaChange{Order: []uuid.UUID{a.ID}, Remove: []uuid.UUID{a.ID}}); err == nil {
		t.Fatal("an item on the agenda removed")
	}
	if err := change(meetingdb.AgendaChange{Order: []uuid.UUID{a.ID}, Remove: []uuid.UUID{b.ID}}); err != nil {
		t.Fatal(err)
	}
	if on, aside := agenda(); on != "甲议题" || aside != "丙议题" {
		t.Fatalf("removed: agenda %q, backlog %q", on, aside)
	}
	// The tracker finds a decision by its text or its owner unit, a % taken literally.
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		units := ids(ctx, tx, "SELECT id, name FROM units")
		for _, x := range []struct{ text, unit string }{{"完成3号楼征迁协议签订", "紫水街道"}, {"电力增容100%到位", "十里镇"}} {
			if _, err := meetingdb.AddAction(ctx, tx, st.ID, meetingdb.ActionInput{ItemID: &a.ID, Text: x.text, OwnerUnitID: units[x.unit],
				Deadline: day("2045-01-16")}, day("2045-01-09")); err != nil {
				return err
			}
		}
		for q, want := range map[string]int{"征迁": 1, "十里": 1, "100%": 1, "%": 1, "议题": 0, "": 2} {
			list, _, err := meetingdb.ListActions(ctx, tx, meetingdb.ActionFilter{SittingID: &st.ID, Q: q, Today: day("2045-01-09")}, postgres.Page{Limit: 10})
			if err != nil {
				return err
			}
			if len(list) != want {
				t.Errorf("search %q: %d actions, want %d", q, len(list), want)
			}
			if len(list) > 0 && (list[0].ItemID == nil || *list[0].ItemID != a.ID) {
				t.Errorf("the action's item: %v", list[0].ItemID)
			}
		}
		return nil
	})
}
