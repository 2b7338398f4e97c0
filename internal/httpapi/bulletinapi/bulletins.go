package bulletinapi

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/supervision"
)

// BulletinVersion is an issued version of a bulletin.
type BulletinVersion struct {
	ID       uuid.UUID `json:"id"`
	Kind     string    `json:"kind" enum:"weekly,group6"`
	Week     string    `json:"week" format:"date"`
	Version  int       `json:"version"`
	Reason   string    `json:"reason"`
	IssuedAt time.Time `json:"issued_at"`
	SHA256   string    `json:"sha256"`
}

// BulletinIssue issues a week's bulletin; a correction needs a reason.
type BulletinIssue struct {
	Kind   string `json:"kind" enum:"weekly,group6"`
	Week   string `json:"week" format:"date"`
	Reason string `json:"reason,omitempty"`
}

func toBulletinAPI(b bulletindb.Bulletin) BulletinVersion {
	return BulletinVersion{ID: b.ID, Kind: b.Kind, Week: b.WeekStart.Format(time.DateOnly), Version: b.Version, Reason: b.Reason,
		IssuedAt: b.IssuedAt, SHA256: hex.EncodeToString(b.OutputHash)}
}

func (s *API) bulletinQuery(r *httpapi.Req) (string, time.Time, error) {
	kind := r.C.QueryParam("kind")
	if kind == "" {
		kind = "weekly"
	}
	week, err := s.WeekQuery(r)
	return kind, week, err
}

// previewBulletin computes a week's bulletin from the current data.
func (s *API) previewBulletin(r *httpapi.Req) (any, error) {
	kind, week, err := s.bulletinQuery(r)
	if err != nil {
		return nil, err
	}
	in, err := bulletindb.BulletinInputs(r.Ctx, r.Tx, kind, week)
	if err != nil {
		return nil, err
	}
	closed, err := postgres.JobDone(r.Ctx, r.Tx, supervision.JobWeekClose, supervision.Period(week))
	out := bulletinJSON(bulletin.Compute(in))
	out["week_closed"] = closed
	return out, err
}

func bulletinJSON(f bulletin.Figures) map[string]any {
	return map[string]any{"title": f.Title(), "subtitle": f.Subtitle(), "overview_text": f.OverviewText(), "schedule": f.Schedule,
		"overview": f.Overview, "by_type": f.ByType, "by_category": f.ByCategory, "by_unit": f.ByUnit, "stalled": f.Stalled,
		"escalations": f.Inputs.Escalations, "overdue_approvals": f.Inputs.OverdueApprovals, "findings": f.Inputs.Findings,
		"missing_inspections": f.Inputs.MissingInspections, "rounding_rule": bulletin.RoundingRule}
}

// previewBulletinPage is the draft as the printable page.
func (s *API) previewBulletinPage(r *httpapi.Req) (any, error) {
	kind, week, err := s.bulletinQuery(r)
	if err != nil {
		return nil, err
	}
	in, err := bulletindb.BulletinInputs(r.Ctx, r.Tx, kind, week)
	if err != nil {
		return nil, err
	}
	html, err := bulletin.HTML(bulletin.Compute(in), bulletindb.VersionLabel(0))
	return httpapi.File{Name: "bulletin-draft.html", ContentType: "text/html; charset=utf-8", Data: html, Inline: true}, err
}

func (s *API) issueBulletin(r *httpapi.Req) (any, error) {
	var in BulletinIssue
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	week, err := reporting.ParseWeek(in.Week)
	if err != nil {
		return nil, err
	}
	id := r.Session.AccountID
	b, err := bulletindb.IssueBulletin(r.Ctx, r.Tx, in.Kind, week, in.Reason, &id, s.Now())
	return toBulletinAPI(b), err
}

func (s *API) listBulletins(r *httpapi.Req) (any, error) {
	page, err := httpapi.PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	list, next, err := bulletindb.ListBulletins(r.Ctx, r.Tx, r.C.QueryParam("kind"), page)
	return httpapi.NewList(httpapi.APIList(list, toBulletinAPI), next), err
}

// bulletinFile renders an issued version from its frozen inputs (after
// checking it still hashes to what was issued) as html, xlsx or pdf.
func (s *API) bulletinFile(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	b, err := bulletindb.GetBulletin(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	f, html, err := b.Figures()
	if err != nil {
		return nil, err
	}
	name := f.Inputs.County + "-" + b.Kind + "-" + b.WeekStart.Format(time.DateOnly) + "-v" + strconv.Itoa(b.Version)
	label := bulletindb.VersionLabel(b.Version)
	switch r.C.Param("format") {
	case "html":
		return httpapi.File{Name: name + ".html", ContentType: "text/html; charset=utf-8", Data: html, Inline: true}, nil
	case "xlsx":
		data, err := bulletin.XLSX(f, label)
		return httpapi.File{Name: name + ".xlsx", ContentType: httpapi.XLSXType, Data: data}, err
	case "pdf":
		data, err := bulletin.PDF(f, label, s.Config.PDFFont)
		return httpapi.File{Name: name + ".pdf", ContentType: "application/pdf", Data: data}, err
	}
	return nil, errs.ErrNotFound
}

// bulletinRoutes are the bulletin area's routes.
func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/bulletins", Summary: "Issued bulletin versions", Tag: "supervision", Roles: httpapi.CountyUsers, County: true, Query: append([]httpapi.Param{{Name: "kind", Description: "weekly | group6", Type: "string"}}, httpapi.PageParams...), Resp: httpapi.List[BulletinVersion]{}, Handler: s.listBulletins},
		{Method: http.MethodGet, Path: v1 + "/bulletins/preview", Summary: "A week's bulletin computed from the current data (not issued)", Tag: "supervision", Roles: httpapi.DeskRead, County: true, Query: []httpapi.Param{{Name: "kind", Description: "weekly | group6", Type: "string"}, {Name: "week", Description: "周（星期一）", Type: "date"}}, Resp: map[string]any{}, Handler: s.previewBulletin},
		{Method: http.MethodGet, Path: v1 + "/bulletins/preview/page", Summary: "The draft bulletin as a printable page", Tag: "supervision", Roles: httpapi.DeskRead, County: true, Query: []httpapi.Param{{Name: "kind", Description: "weekly | group6", Type: "string"}, {Name: "week", Description: "周（星期一）", Type: "date"}}, Download: "text/html", Handler: s.previewBulletinPage},
		{Method: http.MethodPost, Path: v1 + "/bulletins", Summary: "Issue (freeze) a week's bulletin; a further version is a correction with a reason", Tag: "supervision", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusCreated, Body: BulletinIssue{}, Resp: BulletinVersion{}, Handler: s.issueBulletin},
		{Method: http.MethodGet, Path: v1 + "/bulletins/:id/:format", Summary: "An issued bulletin rendered from its frozen inputs: html, xlsx or pdf", Tag: "supervision", Roles: httpapi.CountyUsers, County: true, Download: "text/html,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/pdf", Handler: s.bulletinFile},
	}
}
