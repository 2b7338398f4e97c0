package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/meetingapi"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

// TestMeetingRoles (the data layer under the casbin roles): the office
// manages a sitting; only its chair approves the agenda; a unit head
// expected because a project of the unit is on the agenda reads it and
// signs in, someone not expected does not see it; the unit reports its
// decision done, only the office closes it; the tracker shows each unit
// its own.
func TestMeetingRoles(t *testing.T) {
	office, leader, unit, taskforce := login(t, "gs.office"), login(t, "gs.leader"), login(t, "gs.unit"), login(t, "gs.taskforce")
	var sitting meetingdb.Sitting
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		if _, err := supervisiondb.CloseWeek(ctx, tx, day(t, "2026-04-20"), time.Date(2026, 4, 25, 0, 0, 0, 0, time.UTC)); err != nil {
			return err
		}
		if _, err := meetingdb.EnsureSittings(ctx, tx, day(t, "2026-04-27"), day(t, "2026-04-27")); err != nil {
			return err
		}
		list, err := meetingdb.ListSittings(ctx, tx, day(t, "2026-04-27"), day(t, "2026-04-27"))
		for _, s := range list {
			if s.Kind == "weekly" {
				sitting = s
			}
		}
		return err
	})
	base := "/api/v1/meetings/" + sitting.ID.String()
	if r := unit.do("GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("a unit user reads a sitting before being expected: %d", r.Status)
	}
	if r := office.do("POST", base+"/prepare", nil); r.Status != http.StatusOK {
		t.Fatalf("prepare: %d %s", r.Status, r.Body)
	}
	var d meetingapi.SittingDetail
	r := unit.do("GET", base, nil) // 罗军 heads 紫水街道, whose stalled project is on the agenda
	r.decode(t, &d)
	if r.Status != http.StatusOK || !d.Expected || d.MayManage || d.IsChair {
		t.Fatalf("the unit's head reads the sitting: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(d.Sitting.Label, "重点项目建设周例会") || d.Sitting.ChairName != "王立新" || len(d.Items) == 0 {
		t.Fatalf("sitting %+v, %d items", d.Sitting, len(d.Items))
	}
	var zishui *meetingapi.Item
	for i, it := range d.Items {
		if strings.Contains(it.Title, "紫水街道老旧小区改造项目") {
			zishui = &d.Items[i]
		}
	}
	if zishui == nil || zishui.Section == "" || !strings.Contains(string(zishui.Evidence), `"streak"`) {
		t.Fatalf("the unit's project on the agenda: %+v", d.Items)
	}
	if r := taskforce.do("GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("someone not expected reads the sitting: %d", r.Status)
	}
	if r := taskforce.do("POST", base+"/sign-in", nil); r.Status != http.StatusNotFound {
		t.Fatalf("someone not expected signs in: %d", r.Status)
	}
	var a meetingapi.Attendee
	r = unit.do("POST", base+"/sign-in", nil)
	r.decode(t, &a)
	if r.Status != http.StatusOK || a.Status != "signed_in" || a.SignedAt == nil {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	// The office orders the agenda; the chair (王立新, 县长) picks the project and approves.
	order := make([]string, len(d.Items))
	for i, it := range d.Items {
		order[i] = it.ID.String()
	}
	if r := unit.do("PUT", base+"/agenda", map[string]any{"order": order, "picked": []string{}}); r.Status != http.StatusForbidden || r.code() != "not_the_chair" {
		t.Fatalf("a participant edits the agenda: %d %s", r.Status, r.Body)
	}
	var three []string
	for _, it := range d.Items {
		if it.ProjectID != nil && len(three) < 3 {
			three = append(three, it.ID.String())
		}
	}
	if len(three) < 3 {
		t.Fatalf("fewer than three projects on the agenda: %+v", d.Items)
	}
	if r := leader.do("PUT", base+"/agenda", map[string]any{"order": order, "picked": three}); r.Status != http.StatusBadRequest {
		t.Fatalf("three projects picked for a weekly meeting: %d %s", r.Status, r.Body)
	}
	if r := leader.do("PUT", base+"/agenda", map[string]any{"order": order, "picked": []string{zishui.ID.String()}}); r.Status != http.StatusOK {
		t.Fatalf("the chair picks: %d %s", r.Status, r.Body)
	}
	if r := office.do("POST", base+"/approve", nil); r.Status != http.StatusForbidden || r.code() != "not_the_chair" {
		t.Fatalf("the office approves the agenda: %d %s", r.Status, r.Body)
	}
	if r := leader.do("POST", base+"/approve", nil); r.Status != http.StatusOK {
		t.Fatalf("the chair approves: %d %s", r.Status, r.Body)
	}
	if r := office.do("POST", base+"/items", map[string]any{"title": "临时动议"}); r.Status != http.StatusConflict || r.code() != "agenda_approved" {
		t.Fatalf("an item added after approval: %d %s", r.Status, r.Body)
	}
	// A decision for 紫水街道: the unit reports it, the office closes it.
	o := guangshanOrg(t, office)
	var act meetingapi.Action
	r = office.do("POST", base+"/actions", map[string]any{"text": "紫水街道一周内完成3号楼北侧2户征迁协议签订", "owner_unit_id": o.units["紫水街道"],
		"deadline": "2026-05-04", "project_id": zishui.ProjectID})
	r.decode(t, &act)
	if r.Status != http.StatusCreated || act.Numeral != "一" || act.Status != "open" {
		t.Fatalf("decision: %d %s", r.Status, r.Body)
	}
	var mine, theirs httpapi.List[meetingapi.Action]
	unit.do("GET", "/api/v1/actions?sitting_id="+sitting.ID.String(), nil).decode(t, &mine)
	taskforce.do("GET", "/api/v1/actions?sitting_id="+sitting.ID.String(), nil).decode(t, &theirs)
	if len(mine.Items) != 1 || len(theirs.Items) != 0 {
		t.Fatalf("the tracker: the unit sees %d, another sees %d", len(mine.Items), len(theirs.Items))
	}
	path := "/api/v1/actions/" + act.ID.String()
	if r := taskforce.do("PUT", path, map[string]any{"status": "reported", "evidence": "已签订协议", "version": 1}); r.Status != http.StatusNotFound {
		t.Fatalf("someone else reports the unit's decision: %d %s", r.Status, r.Body)
	}
	r = unit.do("PUT", path, map[string]any{"status": "reported", "evidence": "2户征迁协议已于4月30日签订", "version": 1})
	r.decode(t, &act)
	if r.Status != http.StatusOK || act.Status != "reported" {
		t.Fatalf("the unit reports: %d %s", r.Status, r.Body)
	}
	if r := unit.do("PUT", path, map[string]any{"status": "closed", "version": 2}); r.Status != http.StatusForbidden || r.code() != "office_only" {
		t.Fatalf("the unit closes its own decision: %d %s", r.Status, r.Body)
	}
	r = office.do("PUT", path, map[string]any{"status": "closed", "version": 2})
	r.decode(t, &act)
	if r.Status != http.StatusOK || act.Status != "closed" || act.ClosedAt == nil {
		t.Fatalf("the office closes: %d %s", r.Status, r.Body)
	}
	var figs meetingapi.ActionFigures
	office.do("GET", "/api/v1/actions/figures?from=2026-04-01&to=2026-04-30", nil).decode(t, &figs)
	if figs.Figures.All.Total < 1 || figs.Figures.All.Done < 1 {
		t.Fatalf("figures %+v", figs.Figures.All)
	}
	if r := login(t, "ls.office").do("GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("Luoshan reads a Guangshan sitting: %d", r.Status)
	}
}

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCalendarFeed: a personal iCalendar feed, parsed by an independent
// parser (emersion/go-ical): the county's sittings with their times, places
// and a skipped one cancelled; a new feed revokes the old URL, and a
// revoked feed answers 404.
func TestCalendarFeed(t *testing.T) {
	leader := login(t, "gs.leader")
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var sittings []meetingdb.Sitting
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		if _, err := meetingdb.EnsureSittings(ctx, tx, today, today.AddDate(0, 0, 14)); err != nil {
			return err
		}
		var err error
		sittings, err = meetingdb.ListSittings(ctx, tx, today, today.AddDate(0, 0, 14))
		return err
	})
	if len(sittings) < 2 {
		t.Fatalf("%d sittings in the next two weeks", len(sittings))
	}
	skipped := sittings[len(sittings)-1]
	if r := login(t, "gs.office").do("PUT", "/api/v1/meetings/"+skipped.ID.String(), map[string]any{"skip": true, "reason": "与全县防汛会议冲突", "version": skipped.Version}); r.Status != http.StatusOK {
		t.Fatalf("skip: %d %s", r.Status, r.Body)
	}
	var feed meetingapi.FeedURL
	r := leader.do("POST", "/api/v1/calendar/feed", nil)
	r.decode(t, &feed)
	if r.Status != http.StatusCreated || !strings.HasSuffix(feed.URL, ".ics") {
		t.Fatalf("new feed: %d %s", r.Status, r.Body)
	}
	get := func(url string) (*http.Response, []byte) {
		t.Helper()
		path := url[strings.Index(url, "/api/v1/"):]
		resp, err := http.Get(h.base + path) // no session: a calendar app
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get(feed.URL)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("an independent parser refuses the feed: %v\n%s", err, body)
	}
	events := map[string]ical.Event{}
	for _, e := range cal.Events() {
		uid, _ := e.Props.Text(ical.PropUID)
		events[uid] = e
	}
	for _, s := range sittings {
		e, ok := events[s.ID.String()+"@tuijin"]
		if !ok {
			t.Errorf("sitting %s of %s is not in the feed", s.Kind, s.Day.Format(time.DateOnly))
			continue
		}
		start, err := e.DateTimeStart(time.UTC)
		summary, _ := e.Props.Text(ical.PropSummary)
		place, _ := e.Props.Text(ical.PropLocation)
		status, _ := e.Props.Text(ical.PropStatus)
		if err != nil || !start.Equal(s.StartsAt) || !strings.Contains(summary, meeting.Kind(s.Kind).Name()) || place != s.Place {
			t.Errorf("event %q at %v in %q, want %s at %v in %q (%v)", summary, start, place, s.Label(), s.StartsAt, s.Place, err)
		}
		if want := map[bool]string{true: "CANCELLED", false: "CONFIRMED"}[s.ID == skipped.ID]; status != want {
			t.Errorf("%s: status %s, want %s", s.Label(), status, want)
		}
	}
	// A new feed: the old URL stops working; a revoked one too.
	var second meetingapi.FeedURL
	leader.do("POST", "/api/v1/calendar/feed", nil).decode(t, &second)
	if resp, _ := get(feed.URL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the replaced feed answers %d", resp.StatusCode)
	}
	if resp, _ := get(second.URL); resp.StatusCode != http.StatusOK {
		t.Errorf("the new feed answers %d", resp.StatusCode)
	}
	if r := leader.do("DELETE", "/api/v1/calendar/feed", nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d", r.Status)
	}
	if resp, _ := get(second.URL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the revoked feed answers %d", resp.StatusCode)
	}
	if resp, _ := get("/api/v1/calendar/not-a-county/not-a-secret.ics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a made-up feed answers %d", resp.StatusCode)
	}
	// The secret of one county does not open another's calendar.
	var third meetingapi.FeedURL
	leader.do("POST", "/api/v1/calendar/feed", nil).decode(t, &third)
	secret := third.URL[strings.LastIndex(third.URL, "/")+1:]
	if resp, _ := get("/api/v1/calendar/" + countyBySlug(t, "luoshan").String() + "/" + secret); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a made-up feed answers %d", resp.StatusCode)
	}
}
