package meetingapi

import (
	"encoding/hex"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
)

// MinutesState is a sitting's minutes: the office's draft text, the text
// as it would be issued now, who may do what, and the issued versions.
type MinutesState struct {
	Intro       string           `json:"intro" description:"the office's opening ('' for the usual one)"`
	Closing     string           `json:"closing"`
	Opening     string           `json:"opening" description:"the opening as it will print"`
	Lines       []string         `json:"lines" description:"the minutes' text as it would be issued now, paragraph by paragraph"`
	EditedBy    *uuid.UUID       `json:"edited_by" description:"the account that last wrote the minutes' text"`
	EditedAt    *time.Time       `json:"edited_at"`
	MayEdit     bool             `json:"may_edit" description:"the office, once the sitting is held"`
	MayIssue    bool             `json:"may_issue" description:"the chair, when the chair did not write them"`
	NotIssuable string           `json:"not_issuable_reason"`
	Versions    []MinutesVersion `json:"versions"`
}

// MinutesVersion is an issued version.
type MinutesVersion struct {
	ID        uuid.UUID `json:"id"`
	IssueNo   int       `json:"issue_no"`
	IssueLine string    `json:"issue_line" description:"2026年第12期"`
	Version   int       `json:"version"`
	Label     string    `json:"label" description:"第1版"`
	Reason    string    `json:"reason" description:"why a correction was issued"`
	IssuedBy  string    `json:"issued_by"`
	IssuedAt  time.Time `json:"issued_at"`
	SHA256    string    `json:"sha256" description:"of the page (html)"`
	Title     string    `json:"title"`
}

func toMinutesVersion(im meetingdb.IssuedMinutes) MinutesVersion {
	m, _ := im.Minutes()
	return MinutesVersion{ID: im.ID, IssueNo: im.IssueNo, IssueLine: m.IssueLine(), Version: im.Version, Label: meetingdb.MinutesVersionLabel(im.Version),
		Reason: im.Reason, IssuedBy: im.IssuedByName, IssuedAt: im.IssuedAt, SHA256: hex.EncodeToString(im.OutputHash), Title: m.Title()}
}

// MinutesDraftInput is the office's text of the minutes.
type MinutesDraftInput struct {
	Intro   string `json:"intro"`
	Closing string `json:"closing"`
}

// MinutesIssue issues the minutes; a correction needs a reason.
type MinutesIssue struct {
	Reason string `json:"reason,omitempty"`
}

func (s *API) minutesFiles(r *httpapi.Req) meetingdb.Files {
	f := meetingdb.Files{Fonts: s.Config.PDFFont, RetainYears: s.Config.RetainYears}
	if k := s.Keeper(r); k != nil {
		f.Store = k // queued with the rows, stored after the commit
	}
	return f
}

// minutesRoutes serve the minutes (会议纪要) of a sitting.
func (s *API) minutesRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	all := httpapi.CountyRead
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/meetings/:id/minutes", Summary: "A sitting's minutes: the draft text, the text as it would be issued now, and the issued versions", Tag: "meetings", Roles: all, County: true, Resp: MinutesState{}, Handler: s.minutesState},
		{Method: http.MethodPut, Path: v1 + "/meetings/:id/minutes", Summary: "The office's opening and closing words of the minutes (the items' minutes and the decisions are on the sitting)", Tag: "meetings", Roles: httpapi.OfficeOnly, County: true, Body: MinutesDraftInput{}, Resp: MinutesState{}, Handler: s.saveMinutes},
		{Method: http.MethodGet, Path: v1 + "/meetings/:id/minutes/draft/:format", Summary: "The minutes as they would be issued now, marked as a draft: html, pdf or docx", Tag: "meetings", Roles: all, County: true, Download: "text/html,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document", Handler: s.minutesDraftFile},
		{Method: http.MethodPost, Path: v1 + "/meetings/:id/minutes", Summary: "The chair issues (freezes) the minutes: an issue number (第N期), the text and the page, PDF and .docx stored; a further version is a correction with a reason", Tag: "meetings", Roles: all, County: true, Status: http.StatusCreated, Body: MinutesIssue{}, Resp: MinutesVersion{}, Handler: s.issueMinutes},
		{Method: http.MethodGet, Path: v1 + "/minutes/:mid/:format", Summary: "Issued minutes' file as issued (hash checked): html, pdf or docx", Tag: "meetings", Roles: all, County: true, Download: "text/html,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document", Handler: s.minutesFile},
	}
}

func (s *API) minutesState(r *httpapi.Req) (any, error) {
	st, c, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	return s.minutesOf(r, st, c)
}

func (s *API) minutesOf(r *httpapi.Req, st meetingdb.Sitting, c caller) (MinutesState, error) {
	out := MinutesState{Intro: st.MinutesIntro, Closing: st.MinutesClosing, EditedBy: st.MinutesEditedBy, EditedAt: st.MinutesEditedAt,
		MayEdit: c.office && st.Status == "held", Lines: []string{}}
	switch {
	case st.Status != "held":
		out.NotIssuable = "会议尚未召开"
	case !c.chair:
		out.NotIssuable = "纪要由会议主持人审定签发"
		if st.ChairPersonID == nil {
			out.NotIssuable = "会议未确定主持人，纪要无法审定签发"
		}
	case st.MinutesEditedBy != nil && *st.MinutesEditedBy == r.Session.AccountID:
		out.NotIssuable = "纪要由您本人起草，须由他人审定签发"
	default:
		out.MayIssue = true
	}
	if st.Status == "held" {
		m, err := meetingdb.DraftMinutes(r.Ctx, r.Tx, st, s.Today())
		if err != nil {
			return out, err
		}
		out.Opening, out.Lines = m.Opening(), m.Text(meetingdb.MinutesVersionLabel(0))
	}
	list, err := meetingdb.ListMinutes(r.Ctx, r.Tx, st.ID)
	out.Versions = httpapi.APIList(list, toMinutesVersion)
	return out, err
}

func (s *API) saveMinutes(r *httpapi.Req) (any, error) {
	st, c, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	var in MinutesDraftInput
	if err := httpapi.BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if st.Status != "held" {
		return nil, errs.E(errs.Conflict, "sitting_not_held", "会议尚未召开，不能起草纪要", "the sitting has not been held: no minutes yet")
	}
	st, err = meetingdb.SaveMinutesDraft(r.Ctx, r.Tx, st.ID, meetingdb.MinutesDraft{Intro: in.Intro, Closing: in.Closing}, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return s.minutesOf(r, st, c)
}

func (s *API) minutesDraftFile(r *httpapi.Req) (any, error) {
	st, _, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	format := r.C.Param("format")
	if _, ok := meeting.MinutesFormats[format]; !ok {
		return nil, errs.ErrNotFound
	}
	if st.Status != "held" {
		return nil, errs.E(errs.Conflict, "sitting_not_held", "会议尚未召开，尚无纪要", "the sitting has not been held: no minutes yet")
	}
	m, err := meetingdb.DraftMinutes(r.Ctx, r.Tx, st, s.Today())
	if err != nil {
		return nil, err
	}
	label := meetingdb.MinutesVersionLabel(0)
	var data []byte
	switch format {
	case "html":
		data, err = meeting.MinutesHTML(m, label)
	case "pdf":
		data, err = meeting.MinutesPDF(m, label, s.Config.PDFFont)
	default:
		data, err = meeting.MinutesDOCX(m, label)
	}
	return httpapi.File{Name: m.FileName(label, format), ContentType: meeting.MinutesFormats[format], Data: data, Inline: format == "html"}, err
}

func (s *API) issueMinutes(r *httpapi.Req) (any, error) {
	st, c, err := s.visibleSitting(r)
	if err != nil {
		return nil, err
	}
	var in MinutesIssue // the first version needs no body
	if r.C.Request().ContentLength != 0 {
		if err := httpapi.BindJSON(r.C, &in); err != nil {
			return nil, err
		}
	}
	if !c.chair {
		return nil, errNotChair
	}
	im, err := meetingdb.IssueMinutes(r.Ctx, r.Tx, s.minutesFiles(r), st.ID, in.Reason, r.Session.AccountID, s.Now())
	if err != nil {
		return nil, err
	}
	return toMinutesVersion(im), nil
}

// minutesFile serves an issued version's file as stored at issue, after
// checking its hash, to those who may see its sitting.
func (s *API) minutesFile(r *httpapi.Req) (any, error) {
	id, err := httpapi.PathID(r.C, "mid")
	if err != nil {
		return nil, err
	}
	im, err := meetingdb.GetMinutes(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	st, err := meetingdb.GetSitting(r.Ctx, r.Tx, im.SittingID)
	if err != nil {
		return nil, err
	}
	c, err := s.callerOf(r, st)
	if err != nil {
		return nil, err
	}
	if !c.desk && !c.chair && !c.expected {
		return nil, errs.E(errs.NotFound, "minutes_not_found", "未找到该会议纪要", "no such minutes")
	}
	format := r.C.Param("format")
	ref, err := meetingdb.MinutesFileRef(r.Ctx, r.Tx, im, format)
	if err != nil {
		return nil, err
	}
	m, err := im.Minutes()
	if err != nil {
		return nil, err
	}
	return httpapi.File{Name: m.FileName(meetingdb.MinutesVersionLabel(im.Version), format), ContentType: meeting.MinutesFormats[format],
		Open: s.StoredFile(r, ref), Inline: format == "html"}, nil
}
