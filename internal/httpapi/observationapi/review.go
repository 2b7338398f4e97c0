package observationapi

import (
	"encoding/hex"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/observation"
	"github.com/tuijin/tuijin/internal/observation/observationdb"
	"github.com/tuijin/tuijin/internal/postgres"
)

// ReviewVersion is an issued version of a monthly review.
type ReviewVersion struct {
	ID        uuid.UUID `json:"id"`
	IssueNo   int       `json:"issue_no"`
	IssueLine string    `json:"issue_line" description:"2026年第9期"`
	Version   int       `json:"version"`
	Label     string    `json:"label"`
	Reason    string    `json:"reason"`
	IssuedAt  time.Time `json:"issued_at"`
	SHA256    string    `json:"sha256" description:"of the page (html)"`
	Heading   string    `json:"heading"`
}

func toReviewVersion(ir observationdb.IssuedReview) ReviewVersion {
	r, _ := ir.Review()
	label := observationdb.VersionLabel(ir.Version)
	return ReviewVersion{ID: ir.ID, IssueNo: ir.IssueNo, IssueLine: r.IssueLine("第1版"), Version: ir.Version, Label: label, Reason: ir.Reason,
		IssuedAt: ir.IssuedAt, SHA256: hex.EncodeToString(ir.OutputHash), Heading: r.Heading()}
}

// ReviewIssue issues the review; a correction needs a reason.
type ReviewIssue struct {
	Reason string `json:"reason,omitempty"`
}

func (s *API) reviewFiles(r *httpapi.Req) (observationdb.Files, error) {
	f := observationdb.Files{Fonts: s.Config.PDFFont, RetainYears: s.Config.RetainYears, BestN: 2}
	if k := s.Keeper(r); k != nil {
		f.Store = k // queued with the rows, stored after the commit
	}
	v, err := postgres.SettingsOn(r.Ctx, r.Tx, s.Today())
	if err != nil {
		return f, err
	}
	if v.Values.RankingTopN > 0 {
		f.BestN = v.Values.RankingTopN
	}
	return f, nil
}

func (s *API) reviewRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	formats := "text/html,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/pdf"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/observations/:id/review", Summary: "A closed observation's monthly review (月点评): its issued versions", Tag: "observation", Roles: httpapi.CountyRead, County: true, Resp: []ReviewVersion{}, Handler: s.reviews},
		{Method: http.MethodGet, Path: v1 + "/observations/:id/review/draft/:format", Summary: "The review as it would be issued now, marked as a draft: html, xlsx or pdf", Tag: "observation", Roles: httpapi.CountyRead, County: true, Download: formats, Handler: s.reviewDraft},
		{Method: http.MethodPost, Path: v1 + "/observations/:id/review", Summary: "Issue (freeze) the review: an issue number, the text and the page, workbook and PDF stored; a further version is a correction with a reason", Tag: "observation", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusCreated, Body: ReviewIssue{}, Resp: ReviewVersion{}, Handler: s.issueReview},
		{Method: http.MethodGet, Path: v1 + "/observation-reviews/:rid/:format", Summary: "An issued review's file as issued (hash checked)", Tag: "observation", Roles: httpapi.CountyRead, County: true, Download: formats, Handler: s.reviewFile},
	}
}

func (s *API) reviews(r *httpapi.Req) (any, error) {
	e, _, err := s.visible(r)
	if err != nil {
		return nil, err
	}
	list, err := observationdb.ListReviews(r.Ctx, r.Tx, e.ID)
	return httpapi.APIList(list, toReviewVersion), err
}

func (s *API) reviewDraft(r *httpapi.Req) (any, error) {
	e, _, err := s.visible(r)
	if err != nil {
		return nil, err
	}
	format := r.C.Param("format")
	if _, ok := observation.ReviewFormats[format]; !ok {
		return nil, errs.ErrNotFound
	}
	files, err := s.reviewFiles(r)
	if err != nil {
		return nil, err
	}
	rv, err := observationdb.DraftReview(r.Ctx, r.Tx, e, files.BestN, s.Today())
	if err != nil {
		return nil, err
	}
	label := observationdb.VersionLabel(0)
	var data []byte
	switch format {
	case "html":
		data, err = observation.ReviewHTML(rv, label)
	case "xlsx":
		data, err = observation.ReviewXLSX(rv, label)
	default:
		data, err = observation.ReviewPDF(rv, label, s.Config.PDFFont)
	}
	return httpapi.File{Name: rv.Heading() + "-草稿." + format, ContentType: observation.ReviewFormats[format], Data: data, Inline: format == "html"}, err
}

func (s *API) issueReview(r *httpapi.Req) (any, error) {
	e, _, err := s.visible(r)
	if err != nil {
		return nil, err
	}
	var in ReviewIssue
	if r.C.Request().ContentLength != 0 {
		if err := httpapi.BindJSON(r.C, &in); err != nil {
			return nil, err
		}
	}
	files, err := s.reviewFiles(r)
	if err != nil {
		return nil, err
	}
	ir, err := observationdb.IssueReview(r.Ctx, r.Tx, files, e.ID, in.Reason, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return toReviewVersion(ir), nil
}

func (s *API) reviewFile(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "rid")
	if err != nil {
		return nil, err
	}
	ir, err := observationdb.GetReview(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	e, err := observationdb.GetEvent(r.Ctx, r.Tx, ir.EventID)
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	if sc != nil && !e.IsJudge(r.Session.PersonID) {
		return nil, errs.E(errs.NotFound, "review_not_found", "未找到该观摩点评", "no such review")
	}
	format := r.C.Param("format")
	ref, err := observationdb.ReviewFileRef(r.Ctx, r.Tx, ir, format)
	if err != nil {
		return nil, err
	}
	rv, err := ir.Review()
	if err != nil {
		return nil, err
	}
	return httpapi.File{Name: rv.Heading() + "-" + rv.IssueLine("第1版") + "-" + observationdb.VersionLabel(ir.Version) + "." + format,
		ContentType: observation.ReviewFormats[format], Open: s.StoredFile(r, ref), Inline: format == "html"}, nil
}
