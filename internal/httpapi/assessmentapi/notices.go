package assessmentapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
)

// NoticeVersion is an issued notice.
type NoticeVersion struct {
	ID        uuid.UUID `json:"id"`
	IssueNo   int       `json:"issue_no"`
	IssueLine string    `json:"issue_line" description:"光项领〔2026〕3号"`
	Version   int       `json:"version"`
	Reason    string    `json:"reason"`
	IssuedAt  time.Time `json:"issued_at"`
	Heading   string    `json:"heading"`
	SHA256    string    `json:"sha256"`
}

func toNotice(in assessmentdb.IssuedNotice) NoticeVersion {
	n, _ := in.Notice()
	return NoticeVersion{ID: in.ID, IssueNo: in.IssueNo, IssueLine: n.IssueLine("第1版"), Version: in.Version, Reason: in.Reason, IssuedAt: in.IssuedAt,
		Heading: n.Heading(), SHA256: hexs(in.OutputHash)}
}

// NoticeIssue publishes the notice; a re-issue needs a reason.
type NoticeIssue struct {
	Reason string `json:"reason,omitempty"`
}

func (s *API) noticeFiles(r *httpapi.Req) assessmentdb.NoticeFiles {
	f := assessmentdb.NoticeFiles{Fonts: s.Config.PDFFont, RetainYears: s.Config.RetainYears}
	if k := s.Keeper(r); k != nil {
		f.Store = k // queued with the rows, stored after the commit
	}
	return f
}

func (s *API) noticeRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	formats := "text/html,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/pdf"
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/assessments/:id/notice", Summary: "An approved version's published notices (考核结果通报)", Tag: "assessment", Roles: httpapi.CountyRead, County: true, Resp: []NoticeVersion{}, Handler: s.notices},
		{Method: http.MethodGet, Path: v1 + "/assessments/:id/notice/draft/:format", Summary: "The notice as it would be published now, marked as a draft", Tag: "assessment", Roles: httpapi.DeskRead, County: true, Download: formats, Handler: s.noticeDraft},
		{Method: http.MethodPost, Path: v1 + "/assessments/:id/notice", Summary: "Publish (freeze) the notice of an approved version: a number, the text and the page, workbook and PDF stored; a re-issue needs a reason", Tag: "assessment", Roles: httpapi.OfficeOnly, County: true, Status: http.StatusCreated, Body: NoticeIssue{}, Resp: NoticeVersion{}, Handler: s.issueNotice},
		{Method: http.MethodGet, Path: v1 + "/assessment-notices/:nid/:format", Summary: "A published notice's file as issued (hash checked)", Tag: "assessment", Roles: httpapi.CountyRead, County: true, Download: formats, Handler: s.noticeFile},
	}
}

func (s *API) notices(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	list, err := assessmentdb.Notices(r.Ctx, r.Tx, id)
	return httpapi.APIList(list, toNotice), err
}

func (s *API) noticeDraft(r *httpapi.Req) (any, error) {
	v, _, err := s.load(r)
	if err != nil {
		return nil, err
	}
	format := r.C.Param("format")
	if _, ok := assessment.NoticeFormats[format]; !ok {
		return nil, errs.ErrNotFound
	}
	n, err := assessmentdb.DraftNotice(r.Ctx, r.Tx, v, s.Today())
	if err != nil {
		return nil, err
	}
	label := assessmentdb.NoticeLabel(0)
	var data []byte
	switch format {
	case "html":
		data, err = assessment.NoticeHTML(n, label)
	case "xlsx":
		data, err = assessment.NoticeXLSX(n, label)
	default:
		data, err = assessment.NoticePDF(n, label, s.Config.PDFFont)
	}
	return httpapi.File{Name: n.Heading() + "-草稿." + format, ContentType: assessment.NoticeFormats[format], Data: data, Inline: format == "html"}, err
}

func (s *API) issueNotice(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in NoticeIssue
	if r.C.Request().ContentLength != 0 {
		if err := httpapi.BindJSON(r.C, &in); err != nil {
			return nil, err
		}
	}
	n, err := assessmentdb.IssueNotice(r.Ctx, r.Tx, s.noticeFiles(r), id, in.Reason, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return toNotice(n), nil
}

func (s *API) noticeFile(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "nid")
	if err != nil {
		return nil, err
	}
	in, err := assessmentdb.GetNotice(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	format := r.C.Param("format")
	ref, err := assessmentdb.NoticeFileRef(r.Ctx, r.Tx, in, format)
	if err != nil {
		return nil, err
	}
	n, err := in.Notice()
	if err != nil {
		return nil, err
	}
	return httpapi.File{Name: n.Heading() + "-" + n.IssueLine("第1版") + "." + format, ContentType: assessment.NoticeFormats[format],
		Open: s.StoredFile(r, ref), Inline: format == "html"}, nil
}
