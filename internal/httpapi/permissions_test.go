package httpapi_test

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/httpapi"
)

// principals are the demo accounts of each role, plus the public.
var principals = map[string]string{
	"platform_admin": "admin",
	"municipal":      "xinyang.city",
	"leading_group":  "gs.leader",
	"office":         "gs.office",
	"inspector":      "gs.inspector",
	"unit_user":      "gs.unit",
	"task_force":     "gs.taskforce",
	"statistics":     "gs.stats",
	"anonymous":      "",
}

const (
	all      = "platform_admin municipal leading_group office inspector unit_user task_force statistics"
	public   = "anonymous " + all
	orgW     = "office platform_admin"
	accounts = "office platform_admin"
	auditR   = "office leading_group municipal platform_admin"
	letterR  = "office leading_group municipal platform_admin inspector unit_user"
	countyU  = "municipal leading_group office inspector unit_user task_force statistics"
)

// expected is who may call each endpoint (P3). It is written by hand, not
// derived from the route table: a new endpoint without a row here fails.
var expected = map[string]string{
	"GET /api/v1/openapi.json":                    public,
	"POST /api/v1/auth/login":                     public,
	"POST /api/v1/auth/tokens":                    public,
	"POST /api/v1/auth/logout":                    all,
	"GET /api/v1/auth/me":                         all,
	"PUT /api/v1/auth/password":                   all,
	"PUT /api/v1/auth/county":                     all,
	"GET /api/v1/counties":                        all,
	"GET /api/v1/units":                           all,
	"POST /api/v1/units":                          orgW,
	"GET /api/v1/units/:id":                       all,
	"PUT /api/v1/units/:id":                       orgW,
	"DELETE /api/v1/units/:id":                    orgW,
	"GET /api/v1/people":                          all,
	"POST /api/v1/people":                         orgW,
	"GET /api/v1/people/:id":                      all,
	"PUT /api/v1/people/:id":                      orgW,
	"DELETE /api/v1/people/:id":                   orgW,
	"GET /api/v1/groups":                          all,
	"POST /api/v1/groups":                         orgW,
	"GET /api/v1/groups/:id":                      all,
	"PUT /api/v1/groups/:id":                      orgW,
	"DELETE /api/v1/groups/:id":                   orgW,
	"PUT /api/v1/groups/:id/members/:personId":    orgW,
	"DELETE /api/v1/groups/:id/members/:personId": orgW,
	"GET /api/v1/settings":                        all,
	"GET /api/v1/settings/versions":               all,
	"POST /api/v1/settings/versions":              "office",
	"GET /api/v1/accounts":                        accounts,
	"POST /api/v1/accounts":                       accounts,
	"GET /api/v1/accounts/:id":                    accounts,
	"PUT /api/v1/accounts/:id":                    accounts,
	"POST /api/v1/accounts/:id/password-reset":    accounts,
	"GET /api/v1/audit":                           auditR,
	// Supervision (issue 7): the register is for the leading group and the
	// office; bulletins, once issued, and one's own inbox for every county user.
	"GET /api/v1/escalations":                        "office leading_group municipal platform_admin",
	"GET /api/v1/escalations/:id":                    "office leading_group municipal platform_admin",
	"PUT /api/v1/escalations/:id":                    "office",
	"POST /api/v1/supervision/week-close":            "office",
	"GET /api/v1/supervision/dashboard":              "office leading_group municipal platform_admin inspector",
	"GET /api/v1/inspections/plan":                   "office leading_group municipal platform_admin inspector",
	"PUT /api/v1/inspections/plan/:year/:projectId":  "office",
	"POST /api/v1/inspections/plan/:year/auto":       "office",
	"GET /api/v1/inspections":                        "office leading_group municipal platform_admin inspector",
	"POST /api/v1/projects/:id/inspections":          "inspector office",
	"GET /api/v1/bulletins":                          countyU,
	"GET /api/v1/bulletins/preview":                  "office leading_group municipal platform_admin inspector",
	"GET /api/v1/bulletins/preview/page":             "office leading_group municipal platform_admin inspector",
	"POST /api/v1/bulletins":                         "office",
	"GET /api/v1/bulletins/:id/:format":              countyU,
	"GET /api/v1/notifications":                      countyU,
	"POST /api/v1/notifications/read":                countyU,
	"GET /api/v1/notifications/channels":             countyU,
	"PUT /api/v1/notifications/channels/:channel":    countyU,
	"DELETE /api/v1/notifications/channels/:channel": countyU,
	"GET /api/v1/jobs/dead":                          "office",
	"POST /api/v1/jobs/dead/:id/retry":               "office",
	// Registry (issue 5): everyone of the county reads (field roles only
	// their own projects); the office and platform admins write.
	"GET /api/v1/project-categories":                           all,
	"POST /api/v1/project-categories":                          orgW,
	"GET /api/v1/procedure-types":                              all,
	"POST /api/v1/procedure-types":                             orgW,
	"GET /api/v1/projects":                                     all,
	"POST /api/v1/projects":                                    orgW,
	"GET /api/v1/projects/:id":                                 all,
	"PUT /api/v1/projects/:id":                                 orgW,
	"DELETE /api/v1/projects/:id":                              orgW,
	"GET /api/v1/projects/:id/history":                         all,
	"GET /api/v1/projects/:id/task-force":                      all,
	"GET /api/v1/projects/:id/task-force/history":              all,
	"POST /api/v1/projects/:id/task-force":                     orgW,
	"GET /api/v1/projects/:id/procedures":                      all,
	"POST /api/v1/projects/:id/procedures":                     orgW,
	"PUT /api/v1/projects/:id/procedures/:procedureId":         orgW,
	"GET /api/v1/procedures/overdue":                           all,
	"GET /api/v1/projects/:id/plan/:year":                      all,
	"PUT /api/v1/projects/:id/plan/:year":                      orgW,
	"GET /api/v1/key-lists":                                    all,
	"POST /api/v1/key-lists":                                   orgW,
	"GET /api/v1/key-lists/:year":                              all,
	"PUT /api/v1/key-lists/:year/projects/:projectId":          orgW,
	"POST /api/v1/key-lists/:year/projects/:projectId/removal": orgW,
	"POST /api/v1/key-lists/:year/carry-over":                  orgW,
	"GET /api/v1/candidates":                                   all,
	"POST /api/v1/candidates":                                  orgW,
	"PUT /api/v1/candidates/:id":                               orgW,
	"POST /api/v1/candidates/:id/promote":                      orgW,
	"POST /api/v1/imports/key-list":                            orgW,
	"GET /api/v1/imports/progress/:id":                         orgW,
	"GET /api/v1/imports/attempts":                             orgW,
	"GET /api/v1/imports/attempts/:id/annotated":               orgW,
	"GET /api/v1/exports/key-list":                             "office leading_group municipal platform_admin inspector",
	"GET /api/v1/exports/key-list-template":                    all,
	"GET /api/v1/letters":                                      letterR,
	"POST /api/v1/letters":                                     orgW,
	"GET /api/v1/letters/:id":                                  letterR,
	"PUT /api/v1/letters/:id":                                  orgW,
	"GET /api/v1/letters/:id/scans":                            letterR,
	"POST /api/v1/letters/:id/scans":                           orgW,
	"GET /api/v1/letters/:id/scans/:scanId":                    letterR,
	"GET /api/v1/projects/:id/reports":                         all,
	"GET /api/v1/projects/:id/reports/:week":                   all,
	"PUT /api/v1/projects/:id/reports/:week":                   "task_force unit_user",
	"POST /api/v1/projects/:id/reports/:week/submit":           "task_force unit_user",
	"POST /api/v1/projects/:id/reports/:week/confirm":          "task_force unit_user",
	"POST /api/v1/projects/:id/reports/:week/verify":           "office",
	"POST /api/v1/projects/:id/reports/:week/return":           "office",
	"POST /api/v1/projects/:id/reports/:week/override":         "office",
	"GET /api/v1/projects/:id/reports/:week/revisions":         all,
	"GET /api/v1/reports/grid":                                 "office leading_group municipal platform_admin inspector",
	"GET /api/v1/reports":                                      "office leading_group municipal platform_admin inspector",
	"POST /api/v1/projects/:id/visits":                         "task_force unit_user",
	"GET /api/v1/projects/:id/visits":                          all,
	"GET /api/v1/visits/compliance":                            all,
	"GET /api/v1/problems":                                     all,
	"GET /api/v1/problems/:id":                                 all,
	"POST /api/v1/projects/:id/problems":                       "task_force unit_user office inspector",
	"PUT /api/v1/problems/:id":                                 "office",
	"POST /api/v1/projects/:id/photos":                         "task_force unit_user office inspector",
	"GET /api/v1/projects/:id/photos":                          all,
	"GET /api/v1/photos/duplicates":                            "office",
	"GET /api/v1/photos/:id/:variant":                          all,
	"GET /api/v1/projects/:id/monthly/:year":                   all,
	"PUT /api/v1/projects/:id/monthly/:year/:month":            "task_force unit_user office",
	"POST /api/v1/projects/:id/monthly/:year/:month/verify":    "statistics",
	// Meetings: the data layer (chair, those expected) is tested in meetings_test.go.
	"GET /api/v1/meetings":                           all,
	"GET /api/v1/meetings/:id":                       all,
	"PUT /api/v1/meetings/:id":                       "office",
	"POST /api/v1/meetings/:id/prepare":              "office",
	"POST /api/v1/meetings/:id/items":                "office",
	"PUT /api/v1/meetings/:id/agenda":                all,
	"POST /api/v1/meetings/:id/approve":              all,
	"POST /api/v1/meetings/:id/hold":                 "office",
	"PUT /api/v1/meetings/:id/items/:itemId/minutes": "office",
	"POST /api/v1/meetings/:id/sign-in":              all,
	"PUT /api/v1/meetings/:id/attendance/:personId":  "office",
	"POST /api/v1/meetings/:id/participants":         "office",
	"POST /api/v1/meetings/:id/actions":              "office",
	"GET /api/v1/actions":                            all,
	"GET /api/v1/actions/figures":                    "office leading_group municipal platform_admin inspector",
	"PUT /api/v1/actions/:id":                        all,
	"POST /api/v1/meetings/schedule":                 "office",
	// Joint review: a unit nominates for its own projects and sees what it serves or nominated (review_test.go).
	"GET /api/v1/joint-reviews/figures":    "office leading_group municipal platform_admin inspector",
	"GET /api/v1/joint-reviews/:id/items":  countyU,
	"POST /api/v1/joint-reviews/:id/items": "office unit_user",
	"PUT /api/v1/review-items/:id":         "office",
	"GET /api/v1/review-items/:id/history": countyU,
	"GET /api/v1/review-items":             countyU,
	// Observation: judges are data on the event (observation_test.go).
	"GET /api/v1/observations":                          all,
	"POST /api/v1/observations":                         "office",
	"GET /api/v1/observations/:id":                      all,
	"POST /api/v1/observations/:id/sheets":              all,
	"POST /api/v1/observations/:id/photos":              all,
	"POST /api/v1/observations/:id/close":               "office",
	"GET /api/v1/observations/:id/review":               all,
	"GET /api/v1/observations/:id/review/draft/:format": all,
	"POST /api/v1/observations/:id/review":              "office",
	"GET /api/v1/observation-reviews/:rid/:format":      all,
	// Assessment (assessment_test.go): a unit reads its own approved line.
	"GET /api/v1/assessments":                          "office leading_group municipal platform_admin inspector unit_user",
	"POST /api/v1/assessments":                         "office",
	"GET /api/v1/assessment-runs":                      "office leading_group municipal platform_admin inspector",
	"GET /api/v1/assessment-runs/:id":                  "office leading_group municipal platform_admin inspector",
	"GET /api/v1/assessments/:id":                      "office leading_group municipal platform_admin inspector unit_user",
	"POST /api/v1/assessments/:id/adjustments":         "office",
	"POST /api/v1/assessments/:id/approve":             "leading_group",
	"POST /api/v1/service-ratings":                     "office",
	"GET /api/v1/people/:id/record":                    "office leading_group municipal unit_user task_force",
	"GET /api/v1/people/:id/record/xlsx":               "office leading_group municipal unit_user task_force",
	"GET /api/v1/accountability":                       "office leading_group municipal",
	"PUT /api/v1/accountability/:unitId":               "office",
	"GET /api/v1/assessments/:id/notice":               all,
	"GET /api/v1/assessments/:id/notice/draft/:format": "office leading_group municipal platform_admin inspector",
	"POST /api/v1/assessments/:id/notice":              "office",
	"GET /api/v1/assessment-notices/:nid/:format":      all,
	"GET /api/v1/service-ratings":                      "office leading_group municipal platform_admin inspector unit_user",
	"PUT /api/v1/service-ratings/:id/units/:unitId":    "unit_user",
	"POST /api/v1/service-ratings/:id/close":           "office",
	// Batch ground-breaking rounds (batchstart_test.go).
	"GET /api/v1/batch-starts":          countyU,
	"PUT /api/v1/batch-starts/ceremony": "office",
	"PUT /api/v1/batch-starts/reasons":  "office unit_user",
	// Minutes: the chair issues, those who see the sitting read (minutes_test.go).
	"GET /api/v1/meetings/:id/minutes":               all,
	"PUT /api/v1/meetings/:id/minutes":               "office",
	"GET /api/v1/meetings/:id/minutes/draft/:format": all,
	"POST /api/v1/meetings/:id/minutes":              all,
	"GET /api/v1/minutes/:mid/:format":               all,
	"GET /api/v1/calendar/feed":                      countyU,
	"POST /api/v1/calendar/feed":                     countyU,
	"DELETE /api/v1/calendar/feed":                   countyU,
	"GET /api/v1/calendar/:county/:token":            public,
}

var paramRE = regexp.MustCompile(`:[A-Za-z]+`)

// TestPermissionMatrix calls every endpoint as every role. Calls carry
// random ids and empty bodies, so an allowed call fails later (404, 400)
// and changes nothing; a denied one must be 403 (401 for the public).
func TestPermissionMatrix(t *testing.T) {
	s, err := httpapi.New(httpapi.Deps{Areas: app.Areas, Config: h.cfg, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	clients := map[string]*client{}
	for role, user := range principals {
		if user == "" {
			clients[role] = anon(t)
		} else {
			clients[role] = login(t, user)
		}
	}
	for _, r := range s.Routes() {
		key := r.Method + " " + r.Path
		seen[key] = true
		allowed, ok := expected[key]
		if !ok {
			t.Errorf("%s has no row in the expected permission table", key)
			continue
		}
		path := paramRE.ReplaceAllStringFunc(r.Path, func(p string) string {
			switch p {
			case ":year":
				return "2099"
			case ":week":
				return "2026-03-02"
			case ":variant":
				return "display"
			case ":month":
				return "3"
			}
			return uuid.NewString()
		})
		for role := range principals {
			c := clients[role]
			if key == "POST /api/v1/auth/logout" && role != "anonymous" {
				c = login(t, principals[role]) // a session of its own to end
			}
			var body any
			if r.Method == http.MethodPost || r.Method == http.MethodPut {
				body = "{}"
			}
			resp := c.do(r.Method, path, body)
			want := strings.Contains(" "+allowed+" ", " "+role+" ")
			denied := resp.Status == http.StatusForbidden || resp.Status == http.StatusUnauthorized
			switch {
			case want && denied:
				t.Errorf("%s as %s: want allowed, got %d %s", key, role, resp.Status, resp.code())
			case !want && role == "anonymous" && resp.Status != http.StatusUnauthorized:
				t.Errorf("%s as the public: want 401, got %d", key, resp.Status)
			case !want && role != "anonymous" && resp.Status != http.StatusForbidden:
				t.Errorf("%s as %s: want 403, got %d %s", key, role, resp.Status, resp.code())
			}
		}
	}
	for key := range expected {
		if !seen[key] {
			t.Errorf("expected table names %s, which is not a route", key)
		}
	}
}

// TestUnknownRouteDenied: a route that exists in Echo but has no
// permission row is refused to every role.
func TestUnknownRouteIs404(t *testing.T) {
	r := login(t, "admin").do("GET", "/api/v1/no-such-thing", nil)
	if r.Status != http.StatusNotFound || r.code() != "route_not_found" {
		t.Fatalf("got %d %s", r.Status, r.Body)
	}
}
