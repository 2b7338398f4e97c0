package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/reportingapi"
	"github.com/tuijin/tuijin/internal/settings"
)

// guangshanAccount makes a fresh Guangshan account with roles (through the
// API, as its office) and returns its id and a client logged in with it.
func guangshanAccount(t *testing.T, roles []string, person *uuid.UUID) (uuid.UUID, *client) {
	t.Helper()
	_, id, c := accountBy(t, "gs.office", roles, person)
	return id, c
}

// TestOneSeatPerPerson (M2.1): the helper of a project cannot also be put
// into another of its seats; the seat keeps its holder.
func TestOneSeatPerPerson(t *testing.T) {
	office := login(t, "gs.office")
	p := projectByCode(t, office, "GS2026-003") // 唐明 is its helper, 许晨 its assistant
	o := guangshanOrg(t, office)
	path := "/api/v1/projects/" + p.ID.String() + "/task-force"
	r := office.do("POST", path, map[string]any{"role": "assistant", "person_id": o.people["唐明"], "valid_from": time.Now().Format(time.DateOnly)})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "one_seat_per_person") {
		t.Fatalf("the helper made the assistant too: %d %s", r.Status, r.Body)
	}
	var seats []httpapi.Assignment
	office.do("GET", path, nil).decode(t, &seats)
	for _, s := range seats {
		if s.Role == "assistant" && s.PersonName != "许晨" {
			t.Fatalf("the assistant's seat changed: %+v", s)
		}
	}
}

// TestOwnRoles: an administrator cannot change their own roles or the
// person their account acts as; an edit of their own name keeps them.
func TestOwnRoles(t *testing.T) {
	id, admin := guangshanAccount(t, []string{"office"}, nil)
	self := "/api/v1/accounts/" + id.String()
	if r := admin.do("PUT", self, map[string]any{"display_name": "测试", "roles": []string{"office", "statistics"}}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "own_roles") {
		t.Fatalf("an office account gave itself the statistics role: %d %s", r.Status, r.Body)
	}
	o := guangshanOrg(t, login(t, "gs.office"))
	tang := o.people["唐明"]
	if r := admin.do("PUT", self, map[string]any{"display_name": "测试", "roles": []string{"office"}, "person_id": tang}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "own_person") {
		t.Fatalf("an office account made itself act as the helper: %d %s", r.Status, r.Body)
	}
	var a httpapi.Account
	r := admin.do("PUT", self, map[string]any{"display_name": "测试改名", "roles": []string{"office"}})
	r.decode(t, &a)
	if r.Status != http.StatusOK || a.DisplayName != "测试改名" {
		t.Fatalf("renaming oneself: %d %s", r.Status, r.Body)
	}
	// Nor through another account of the same person: an office account
	// acting as 唐明 cannot change the roles of gs.helper (唐明's).
	tangID := uuid.MustParse(tang)
	_, twin := guangshanAccount(t, []string{"office"}, &tangID)
	var list httpapi.List[httpapi.Account]
	login(t, "gs.office").do("GET", "/api/v1/accounts?limit=200", nil).decode(t, &list)
	found := false
	for _, a := range list.Items {
		if a.Username == "gs.helper" {
			found = true
			if r := twin.do("PUT", "/api/v1/accounts/"+a.ID.String(), map[string]any{"display_name": a.DisplayName, "roles": []string{"task_force", "statistics"}, "person_id": tang}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "own_roles") {
				t.Fatalf("an account changed the roles of another account of its person: %d %s", r.Status, r.Body)
			}
		}
	}
	if !found {
		t.Fatal("gs.helper is not in the account list")
	}
	// Another administrator may.
	if r := login(t, "gs.office").do("PUT", self, map[string]any{"display_name": "测试改名", "roles": []string{"office", "statistics"}}); r.Status != http.StatusOK {
		t.Fatalf("another administrator changes the roles: %d %s", r.Status, r.Body)
	}
}

// TestMonthlyFigureDuties (M4.4): no figures for a month not yet begun or a
// year the project is not listed in, and the account that reported a month
// cannot verify it, even holding the statistics role as well.
func TestMonthlyFigureDuties(t *testing.T) {
	office := login(t, "gs.office")
	p := projectByCode(t, office, "GS2026-005") // not the project TestMonthlyFigures adds up
	year := time.Now().Year()
	base := "/api/v1/projects/" + p.ID.String() + "/monthly/"
	today := settings.Today(time.Now()) // the county's date
	next := time.Date(today.Year(), today.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	if r := office.do("PUT", base+strconv.Itoa(next.Year())+"/"+strconv.Itoa(int(next.Month())), map[string]any{"investment_yuan": 1000000}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "month_not_begun") {
		t.Fatalf("next month's figures: %d %s", r.Status, r.Body)
	}
	if r := office.do("PUT", base+strconv.Itoa(year-3)+"/5", map[string]any{"investment_yuan": 1000000}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "not_listed") {
		t.Fatalf("figures of a year the project is not listed in: %d %s", r.Status, r.Body)
	}
	_, dual := guangshanAccount(t, []string{"office", "statistics"}, nil)
	if r := dual.do("PUT", base+strconv.Itoa(year)+"/2", map[string]any{"investment_yuan": 3000000}); r.Status != http.StatusOK {
		t.Fatalf("report February: %d %s", r.Status, r.Body)
	}
	if r := dual.do("POST", base+strconv.Itoa(year)+"/2/verify", nil); r.Status != http.StatusForbidden || r.code() != "own_figure" {
		t.Fatalf("the reporter verifies: %d %s", r.Status, r.Body)
	}
	var v reportingapi.MonthlyView
	r := login(t, "gs.stats").do("POST", base+strconv.Itoa(year)+"/2/verify", nil)
	r.decode(t, &v)
	if r.Status != http.StatusOK || !v.Months[1].Verified {
		t.Fatalf("the Statistics Bureau verifies: %d %s", r.Status, r.Body)
	}
}

// TestVisitsOncePerDay (M2.2): two check-ins a second apart are one day
// present; a visit time back-dated by hours is stored, unverified, with
// the reason; compliance counts days.
func TestVisitsOncePerDay(t *testing.T) {
	office, chief := login(t, "gs.office"), login(t, "gs.taskforce")
	p := projectByCode(t, office, "GS2026-003") // 许晨 is its assistant (2 a week)
	path := "/api/v1/projects/" + p.ID.String() + "/visits"
	c := newClock(t, at(20, 1, "10:00"))
	near := map[string]any{"latitude": 32.0072, "longitude": 114.9021}
	for range 2 {
		if r := c.do(chief, "POST", path, near); r.Status != http.StatusCreated {
			t.Fatalf("check in: %d %s", r.Status, r.Body)
		}
		c.now = c.now.Add(time.Second)
	}
	c.now = at(20, 3, "15:00")
	back := map[string]any{"latitude": 32.0072, "longitude": 114.9021, "visited_at": at(20, 2, "09:00")}
	var v reportingapi.Visit
	r := c.do(chief, "POST", path, back)
	r.decode(t, &v)
	if r.Status != http.StatusCreated || v.Verified || !strings.Contains(v.Reason, "不能补登") {
		t.Fatalf("a visit back-dated by a day: %d %s", r.Status, r.Body)
	}
	var rows httpapi.List[reportingapi.ComplianceRow]
	c.do(office, "GET", "/api/v1/visits/compliance?week="+week(20), nil).decode(t, &rows)
	for _, x := range rows.Items {
		if x.ProjectID == p.ID && x.Role == "assistant" && (x.Done != 1 || x.Met) {
			t.Fatalf("two check-ins a second apart and a back-dated one: %+v", x)
		}
	}
}

// TestPhotoCap: a project's week takes at most the county's cap of photos
// (each original is locked for years); the cap is refused before the body
// is read, with a clear error.
func TestPhotoCap(t *testing.T) {
	office, helper := login(t, "gs.office"), login(t, "gs.helper")
	p := projectByCode(t, office, "GS2026-003")
	var s httpapi.SettingsVersion
	office.do("GET", "/api/v1/settings", nil).decode(t, &s)
	if s.Values.MaxPhotosPerWeek != 30 {
		t.Fatalf("the default cap is %d", s.Values.MaxPhotosPerWeek)
	}
	c := newClock(t, at(22, 2, "10:00"))
	path := "/api/v1/projects/" + p.ID.String() + "/photos?week=" + week(22)
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		// 30 photos already this week (rows as the upload writes them).
		_, err := tx.ExecContext(ctx, `INSERT INTO photos (project_id, week_start, sha256, size_bytes, content_type, width, height, original_key, display_key, thumb_key, file_name)
			SELECT ?, ?, sha256(convert_to('cap' || g, 'UTF8')), 1, 'image/jpeg', 1, 1, 'k' || g, 'd' || g, 't' || g, 'f.jpg' FROM generate_series(1, 30) g`, p.ID, week(22))
		return err
	})
	r := c.do(helper, "POST", path, testJPEG(t, 640, 480, nil))
	if r.Status != http.StatusConflict || r.code() != "photo_cap_reached" || !strings.Contains(string(r.Body), "30") {
		t.Fatalf("the 31st photo: %d %s", r.Status, r.Body)
	}
}
