package meetingapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
	"github.com/tuijin/tuijin/internal/settings"
)

// FeedState says whether the caller has a calendar feed.
type FeedState struct {
	Active     bool       `json:"active"`
	CreatedAt  *time.Time `json:"created_at"`
	LastReadAt *time.Time `json:"last_read_at" description:"when a calendar last fetched it"`
}

// FeedURL is a new feed's address, shown once: subscribe to it in a phone
// or desktop calendar (it is a secret; make a new one to revoke it).
type FeedURL struct {
	URL string `json:"url"`
}

// feedRoutes serve the calendar: personal iCalendar feeds.
func (s *API) feedRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	all := httpapi.CountyUsers
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/calendar/feed", Summary: "Whether one has a calendar feed", Tag: "meetings", Roles: all, County: true, Resp: FeedState{}, Handler: s.feedState},
		{Method: http.MethodPost, Path: v1 + "/calendar/feed", Summary: "A new secret calendar feed URL (shown once; any earlier one stops working)", Tag: "meetings", Roles: all, County: true, Status: http.StatusCreated, Resp: FeedURL{}, Handler: s.newFeed},
		{Method: http.MethodDelete, Path: v1 + "/calendar/feed", Summary: "Revoke one's calendar feed (its URL then answers 404)", Tag: "meetings", Roles: all, County: true, Status: http.StatusNoContent, Handler: s.revokeFeed},
		{Method: http.MethodGet, Path: v1 + "/calendar/:county/:token", Summary: "An iCalendar feed (text/calendar) by its secret URL, for calendar apps: the sittings of the past month and the coming two", Tag: "meetings",
			Roles: []authz.Role{authz.Anonymous}, Download: "text/calendar", Handler: s.feed},
	}
}

func (s *API) feedState(r *httpapi.Req) (any, error) {
	f, err := meetingdb.ActiveFeed(r.Ctx, r.Tx, r.Session.AccountID)
	if err != nil || f == nil {
		return FeedState{}, err
	}
	return FeedState{Active: true, CreatedAt: &f.CreatedAt, LastReadAt: f.LastReadAt}, nil
}

func (s *API) newFeed(r *httpapi.Req) (any, error) {
	secret, _, err := meetingdb.NewFeed(r.Ctx, r.Tx, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return FeedURL{URL: strings.TrimRight(s.Config.PublicURL, "/") + "/api/v1/calendar/" + r.Session.ActiveCountyID.String() + "/" + secret + ".ics"}, nil
}

func (s *API) revokeFeed(r *httpapi.Req) (any, error) {
	return nil, meetingdb.RevokeFeed(r.Ctx, r.Tx, r.Session.AccountID, s.Now())
}

// feed answers a calendar app: no session, the secret in the URL. Desk
// roles see every sitting of the county; others those they chair or are
// expected at.
func (s *API) feed(r *httpapi.Req) (any, error) {
	secret := strings.TrimSuffix(r.C.Param("token"), ".ics")
	county, err := uuid.Parse(r.C.Param("county"))
	if err != nil {
		return nil, errs.E(errs.NotFound, "feed_not_found", "日历订阅地址无效或已停用", "no such calendar feed")
	}
	var body []byte
	err = s.DB.InCounty(r.Ctx, county, func(ctx context.Context, tx bun.IDB) error {
		account, err := meetingdb.ResolveFeed(ctx, tx, secret)
		if err != nil {
			return err
		}
		var acc struct {
			Person *uuid.UUID `bun:"person_id"`
			Pref   uuid.UUID  `bun:"prefecture_id"`
			Name   string     `bun:"name"`
		}
		if err := tx.NewRaw(`SELECT a.person_id, c.prefecture_id, c.name FROM auth_account_by_id(?) a JOIN counties c ON c.id = ?`, account, county).
			Scan(ctx, &acc); err != nil {
			return err
		}
		whole := false
		for _, role := range s.Authz.RolesIn(account, authz.CountyDomain(acc.Pref, county)) {
			whole = whole || role == authz.Office || role == authz.LeadingGroup
		}
		now := s.Now()
		today := settings.Today(now)
		events, err := meetingdb.FeedEvents(ctx, tx, acc.Person, whole, today.AddDate(0, -1, 0), today.AddDate(0, 0, meeting.Horizon), now,
			func(id uuid.UUID) string {
				return strings.TrimRight(s.Config.PublicURL, "/") + "/meetings/" + id.String()
			})
		if err != nil {
			return err
		}
		body = meeting.ICalendar(acc.Name+"重点项目会议", events)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return httpapi.File{Name: "tuijin.ics", ContentType: "text/calendar; charset=utf-8", Data: body, Inline: true}, nil
}
