package bulletinapi

import (
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/reporting"
)

// BulletinVersion is an issued version of a bulletin.
type BulletinVersion struct {
	ID          uuid.UUID `json:"id"`
	Kind        string    `json:"kind" enum:"weekly,group6"`
	Period      string    `json:"period" enum:"week,month,quarter,half,year"`
	At          string    `json:"at" description:"the period: 2026-03-02 (a week's Monday), 2026-03, 2026-Q1, 2026-H1, 2026"`
	PeriodLabel string    `json:"period_label" description:"2026年第13周（3月23日—3月29日）, 2026年1-3月 …"`
	PeriodStart string    `json:"period_start" format:"date"`
	PeriodEnd   string    `json:"period_end" format:"date"`
	IssueNo     int       `json:"issue_no" description:"第N期: per county, kind, period and year; a correction keeps its number"`
	Version     int       `json:"version"`
	Reason      string    `json:"reason"`
	IssuedAt    time.Time `json:"issued_at"`
	SHA256      string    `json:"sha256" description:"of the HTML as issued"`
	// NeedsCorrection: weeks of the period were judged again after this
	// version was issued; issue a correction (a new version).
	NeedsCorrection bool     `json:"needs_correction"`
	Corrections     []string `json:"corrections" description:"why, one entry per week judged again"`
}

// BulletinIssue issues a period's bulletin; a correction needs a reason.
type BulletinIssue struct {
	Kind   string `json:"kind" enum:"weekly,group6"`
	Period string `json:"period,omitempty" enum:"week,month,quarter,half,year" description:"default week"`
	At     string `json:"at,omitempty" description:"the period: 2026-03-02 (a week's Monday), 2026-03, 2026-Q1, 2026-H1, 2026"`
	Week   string `json:"week,omitempty" format:"date" description:"a week's Monday (the same as period week, at)"`
	Reason string `json:"reason,omitempty"`
}

func toBulletinAPI(b bulletindb.Bulletin) BulletinVersion {
	p := b.Span()
	return BulletinVersion{ID: b.ID, Kind: b.Kind, Period: b.Period, At: p.Value(), PeriodLabel: p.Label(), PeriodStart: b.PeriodStart.Format(time.DateOnly),
		PeriodEnd: b.PeriodEnd.Format(time.DateOnly), IssueNo: b.IssueNo, Version: b.Version, Reason: b.Reason, IssuedAt: b.IssuedAt,
		SHA256: hex.EncodeToString(b.OutputHash), NeedsCorrection: b.NeedsCorrection(), Corrections: append([]string{}, b.FlagReasons...)}
}

// period reads a bulletin's period: period (default week) and at, or week.
func (s *API) period(kind, at, week string) (bulletin.Period, error) {
	if kind == "" {
		kind = string(bulletin.PeriodWeek)
	}
	if at == "" {
		at = week
	}
	if at == "" && kind == string(bulletin.PeriodWeek) {
		at = reporting.WeekStart(s.Now()).Format(time.DateOnly)
	}
	p, err := bulletin.ParsePeriod(kind, at)
	if err != nil {
		var v errs.Validation
		var e *errs.Error
		if errors.As(err, &e) {
			v.Add("at", e.Code, e.ZH, e.EN)
		}
		return p, v.Err()
	}
	return p, nil
}

func (s *API) query(r *httpapi.Req) (string, bulletin.Period, error) {
	kind := r.C.QueryParam("kind")
	if kind == "" {
		kind = "weekly"
	}
	p, err := s.period(r.C.QueryParam("period"), r.C.QueryParam("at"), r.C.QueryParam("week"))
	return kind, p, err
}

func (s *API) files(r *httpapi.Req) bulletindb.Files {
	f := bulletindb.Files{Fonts: s.Config.PDFFont, RetainYears: s.Config.RetainYears}
	if k := s.Keeper(r); k != nil {
		f.Store = k // queued with the rows, stored after the commit
	}
	return f
}

// previewBulletin computes a period's bulletin from the current data.
func (s *API) previewBulletin(r *httpapi.Req) (any, error) {
	kind, p, err := s.query(r)
	if err != nil {
		return nil, err
	}
	in, err := bulletindb.BulletinInputs(r.Ctx, r.Tx, kind, p)
	if err != nil {
		return nil, err
	}
	out := bulletinJSON(bulletin.Compute(in))
	out["issuable"], out["not_issuable_reason"] = true, ""
	if err := bulletindb.Issuable(r.Ctx, r.Tx, p, s.Now()); err != nil {
		var e *errs.Error
		if !errors.As(err, &e) {
			return nil, err
		}
		out["issuable"], out["not_issuable_reason"] = false, e.ZH
	}
	return out, nil
}

func bulletinJSON(f bulletin.Figures) map[string]any {
	p := f.Inputs.Span()
	return map[string]any{"title": f.Title(), "subtitle": f.Subtitle(), "period": p.Kind, "at": p.Value(), "period_label": p.Label(),
		"this_period": p.ThisPeriod(), "overview_text": f.OverviewText(), "source_text": f.SourceText(), "schedule": f.Schedule,
		"schedule_basis": f.ScheduleHow, "overview": f.Overview, "by_type": f.ByType, "by_category": f.ByCategory, "by_unit": f.ByUnit,
		"stalled": f.Stalled, "escalations": f.Inputs.Escalations, "overdue_approvals": f.Inputs.OverdueApprovals, "findings": f.Inputs.Findings,
		"missing_inspections": f.Inputs.MissingInspections, "batch_starts": f.Inputs.BatchStarts, "rounding_rule": bulletin.RoundingRule}
}

// previewBulletinPage is the draft as the printable page.
func (s *API) previewBulletinPage(r *httpapi.Req) (any, error) {
	kind, p, err := s.query(r)
	if err != nil {
		return nil, err
	}
	in, err := bulletindb.BulletinInputs(r.Ctx, r.Tx, kind, p)
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
	p, err := s.period(in.Period, in.At, in.Week)
	if err != nil {
		return nil, err
	}
	id := r.Session.AccountID
	b, err := bulletindb.IssueBulletin(r.Ctx, r.Tx, s.files(r), in.Kind, p, in.Reason, &id, s.Now())
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

// bulletinFile serves an issued version's file as it was stored at issue,
// after checking its hash; a version issued before files were kept has
// them produced once from its stored inputs.
func (s *API) bulletinFile(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	b, err := bulletindb.GetBulletin(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	format := r.C.Param("format")
	ref, err := bulletindb.FileRef(r.Ctx, r.Tx, s.files(r), b, format, s.Now())
	if err != nil {
		return nil, err
	}
	f, err := b.Figures()
	if err != nil {
		return nil, err
	}
	return httpapi.File{Name: bulletin.FileName(f, bulletindb.VersionLabel(b.Version), format), ContentType: bulletin.Formats[format],
		Open: s.StoredFile(r, ref), Inline: format == "html"}, nil
}

var periodParams = []httpapi.Param{
	{Name: "kind", Description: "weekly | group6", Type: "string"},
	{Name: "period", Description: "week | month | quarter | half | year（默认 week）", Type: "string"},
	{Name: "at", Description: "期间：2026-03-02（周一）、2026-03、2026-Q1、2026-H1、2026", Type: "string"},
	{Name: "week", Description: "周（星期一），同 period=week&at=", Type: "date"},
}

// routes are the bulletin area's routes.
func (s *API) routes() []*httpapi.Route {
	const v1 = "/api/v1"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/bulletins", Summary: "Issued bulletin versions", Tag: "supervision", Roles: httpapi.CountyUsers, County: true, Query: append([]httpapi.Param{{Name: "kind", Description: "weekly | group6", Type: "string"}}, httpapi.PageParams...), Resp: httpapi.List[BulletinVersion]{}, Handler: s.listBulletins},
		{Method: http.MethodGet, Path: v1 + "/bulletins/preview", Summary: "A period's bulletin computed from the current data (not issued)", Tag: "supervision", Roles: httpapi.DeskRead, County: true, Query: periodParams, Resp: map[string]any{}, Handler: s.previewBulletin},
		{Method: http.MethodGet, Path: v1 + "/bulletins/preview/page", Summary: "The draft bulletin as a printable page", Tag: "supervision", Roles: httpapi.DeskRead, County: true, Query: periodParams, Download: "text/html", Handler: s.previewBulletinPage},
		{Method: http.MethodPost, Path: v1 + "/bulletins", Summary: "Issue (freeze) a period's bulletin: an issue number, its inputs, figures and files stored; a further version is a correction with a reason", Tag: "supervision", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusCreated, Body: BulletinIssue{}, Resp: BulletinVersion{}, Handler: s.issueBulletin},
		{Method: http.MethodGet, Path: v1 + "/bulletins/:id/:format", Summary: "An issued bulletin's file as issued (hash checked): html, xlsx or pdf", Tag: "supervision", Roles: httpapi.CountyUsers, County: true, Download: "text/html,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/pdf", Handler: s.bulletinFile},
	}
}
