package httpapi

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/supervision/supervisiondb"
)

// Escalation is a row of the TV-questioning register (M1.3).
type Escalation struct {
	ID          uuid.UUID  `json:"id"`
	ProjectID   uuid.UUID  `json:"project_id"`
	ProjectCode string     `json:"project_code"`
	ProjectName string     `json:"project_name"`
	UnitName    string     `json:"unit_name"`
	Level       int        `json:"level" description:"1: 责任单位主要负责人; 2: 分包县级领导"`
	Role        string     `json:"role" enum:"responsible,chief"`
	PersonID    *uuid.UUID `json:"person_id" description:"null: the seat was empty during the streak"`
	PersonName  string     `json:"person_name"`
	PersonPost  string     `json:"person_post"`
	StreakStart string     `json:"streak_start" format:"date"`
	RaisedWeek  string     `json:"raised_week" format:"date"`
	Weeks       int        `json:"weeks"`
	Status      string     `json:"status" enum:"pending,scheduled,done,waived"`
	ScheduledOn *string    `json:"scheduled_on" format:"date"`
	Note        string     `json:"note"`
	Version     int        `json:"version"`
}

// EscalationDetail is an escalation with the evidence of its streak.
type EscalationDetail struct {
	Escalation Escalation     `json:"escalation"`
	Evidence   []EvidenceWeek `json:"evidence"`
}

// EvidenceWeek is one week of a streak: the report, its photos and the visits.
type EvidenceWeek struct {
	Week           string      `json:"week" format:"date"`
	ReportState    string      `json:"report_state" enum:"on_time,late,missing"`
	Progress       bool        `json:"progress"`
	ReportStatus   string      `json:"report_status"`
	ImageProgress  string      `json:"image_progress"`
	InvestmentYuan int64       `json:"investment_yuan"`
	Overridden     bool        `json:"overridden"`
	PhotoIDs       []uuid.UUID `json:"photo_ids"`
	Visits         int         `json:"visits"`
	VerifiedVisits int         `json:"verified_visits"`
}

// EscalationUpdate moves an escalation through the register.
type EscalationUpdate struct {
	Status      string  `json:"status" enum:"scheduled,done,waived"`
	ScheduledOn *string `json:"scheduled_on,omitempty" format:"date"`
	Note        string  `json:"note,omitempty"`
	Version     int     `json:"version"`
}

// WeekCloseInput names the week to close.
type WeekCloseInput struct {
	Week string `json:"week" format:"date" description:"星期一; its close time must have passed"`
}

// WeekCloseResult is what a week close found.
type WeekCloseResult struct {
	Week              string `json:"week" format:"date"`
	Projects          int    `json:"projects"`
	NoProgress        int    `json:"no_progress"`
	Missing           int    `json:"missing"`
	Late              int    `json:"late"`
	Stalled           int    `json:"stalled"`
	Escalations       int    `json:"escalations"`
	VisitShortfalls   int    `json:"visit_shortfalls"`
	OverdueProcedures int    `json:"overdue_procedures"`
	OverdueNodes      int    `json:"overdue_nodes"`
	OverdueProblems   int    `json:"overdue_problems"`
	Messages          int    `json:"messages"`
}

// Dashboard is the supervision overview: trend, stalled projects, compliance.
type Dashboard struct {
	LatestWeek *string          `json:"latest_week" format:"date"`
	Trend      []TrendWeek      `json:"trend"`
	Stalled    []StalledProject `json:"stalled"`
	Compliance []RoleCompliance `json:"compliance"`
	Open       int              `json:"open_escalations"`
}

// TrendWeek is one closed week.
type TrendWeek struct {
	Week        string `json:"week" format:"date"`
	Projects    int    `json:"projects"`
	NoProgress  int    `json:"no_progress"`
	Missing     int    `json:"missing"`
	Stalled     int    `json:"stalled"`
	Escalations int    `json:"escalations"`
}

// StalledProject is a project without substantive progress at the latest close.
type StalledProject struct {
	ProjectID uuid.UUID `json:"project_id"`
	Name      string    `json:"name"`
	UnitName  string    `json:"unit_name"`
	Streak    int       `json:"streak"`
}

// RoleCompliance is a seat's weekly site-presence compliance at the latest close.
type RoleCompliance struct {
	Role  string `json:"role" enum:"chief,assistant,responsible,helper"`
	Seats int    `json:"seats"`
	Met   int    `json:"met"`
}

func toEscalationAPI(e supervisiondb.Escalation) Escalation {
	return Escalation{ID: e.ID, ProjectID: e.ProjectID, ProjectCode: e.ProjectCode, ProjectName: e.ProjectName, UnitName: e.UnitName,
		Level: e.Level, Role: e.Role, PersonID: e.PersonID, PersonName: e.PersonName, PersonPost: e.PersonPost,
		StreakStart: e.StreakStart.Format(time.DateOnly), RaisedWeek: e.RaisedWeek.Format(time.DateOnly), Weeks: e.Weeks,
		Status: e.Status, ScheduledOn: dateString(e.ScheduledOn), Note: e.Note, Version: e.Version}
}

func (s *Server) listEscalations(r *Req) (any, error) {
	f := supervisiondb.EscalationFilter{Status: r.C.QueryParam("status")}
	if l := r.C.QueryParam("level"); l != "" {
		f.Level, _ = strconv.Atoi(l)
	}
	var err error
	if f.ProjectID, err = queryUUID(r.C, "project_id"); err != nil {
		return nil, err
	}
	list, err := supervisiondb.ListEscalations(r.Ctx, r.Tx, f, s.today())
	return apiList(list, toEscalationAPI), err
}

func (s *Server) getEscalation(r *Req) (any, error) {
	id, err := pathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	e, err := supervisiondb.GetEscalation(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	ev, err := supervisiondb.EscalationEvidence(r.Ctx, r.Tx, e)
	out := EscalationDetail{Escalation: toEscalationAPI(e), Evidence: []EvidenceWeek{}}
	for _, w := range ev.Weeks {
		x := EvidenceWeek{Week: w.Week, ReportState: w.ReportState, Progress: w.Progress, PhotoIDs: w.PhotoIDs, Visits: w.Visits, VerifiedVisits: w.Verified}
		if w.Report != nil {
			x.ReportStatus, x.ImageProgress, x.InvestmentYuan, x.Overridden = w.Report.Status, w.Report.ImageProgress, w.Report.InvestmentYuan, w.Report.OverrideProgress != nil
		}
		out.Evidence = append(out.Evidence, x)
	}
	return out, err
}

func (s *Server) updateEscalation(r *Req) (any, error) {
	id, err := pathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in EscalationUpdate
	if err := bindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, errVersionRequired
	}
	var d dates
	on := d.opt("scheduled_on", in.ScheduledOn)
	if err := d.err(); err != nil {
		return nil, err
	}
	e, err := supervisiondb.UpdateEscalation(r.Ctx, r.Tx, id, supervisiondb.EscalationChange{Status: in.Status, ScheduledOn: on, Note: in.Note, Version: in.Version}, s.Now())
	return toEscalationAPI(e), err
}

var errWeekNotOver = errs.E(errs.Conflict, "week_not_closed_yet", "该周尚未到结算时间，不能提前结算", "the week's close time has not come yet")

// closeWeek runs a week close now (the office, e.g. after the worker was down).
func (s *Server) closeWeek(r *Req) (any, error) {
	var in WeekCloseInput
	if err := bindJSON(r.C, &in); err != nil {
		return nil, err
	}
	week, err := reporting.ParseWeek(in.Week)
	if err != nil {
		return nil, err
	}
	rules, err := postgres.SettingsOn(r.Ctx, r.Tx, week)
	if err != nil {
		return nil, err
	}
	if s.Now().Before(supervision.CloseAt(week, rules.Values)) {
		return nil, errWeekNotOver
	}
	res, err := supervisiondb.CloseWeek(r.Ctx, r.Tx, week, s.Now())
	return WeekCloseResult(res), err
}

func (s *Server) dashboard(r *Req) (any, error) {
	weeks, err := weeksQuery(r.C, 12, 52)
	if err != nil {
		return nil, err
	}
	d, err := supervisiondb.SupervisionDashboard(r.Ctx, r.Tx, weeks)
	if err != nil {
		return nil, err
	}
	out := Dashboard{LatestWeek: dateString(d.LatestWeek), Trend: []TrendWeek{}, Stalled: []StalledProject{}, Compliance: []RoleCompliance{}, Open: d.Open}
	for _, t := range d.Trend {
		out.Trend = append(out.Trend, TrendWeek{Week: t.Week.Format(time.DateOnly), Projects: t.Projects, NoProgress: t.NoProgress, Missing: t.Missing, Stalled: t.Stalled, Escalations: t.Escalations})
	}
	for _, p := range d.Stalled {
		out.Stalled = append(out.Stalled, StalledProject{ProjectID: p.ProjectID, Name: p.Name, UnitName: p.UnitName, Streak: p.Streak})
	}
	for _, c := range d.Compliance {
		out.Compliance = append(out.Compliance, RoleCompliance{Role: c.Role, Seats: c.Seats, Met: c.Met})
	}
	return out, nil
}

// Notification is a message in the caller's inbox.
type Notification struct {
	ID        uuid.UUID  `json:"id"`
	Kind      string     `json:"kind" enum:"report_due,report_missing,visit_shortfall,escalation,deadline_near,deadline_overdue,bulletin_issued"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// Inbox is the caller's newest messages.
type Inbox struct {
	Items  []Notification `json:"items"`
	Unread int            `json:"unread"`
}

// ReadInput marks one message read, or all when id is absent.
type ReadInput struct {
	ID *uuid.UUID `json:"id,omitempty"`
}

// Channel is one of the caller's outside channels (the secret is never shown).
type Channel struct {
	Channel   string    `json:"channel" enum:"wecom,dingtalk,email"`
	Target    string    `json:"target"`
	Signed    bool      `json:"signed"`
	Enabled   bool      `json:"enabled"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ChannelInput sets a channel: a robot webhook URL or an e-mail address;
// secret is DingTalk's signing secret (加签), kept when omitted.
type ChannelInput struct {
	Target  string  `json:"target"`
	Secret  *string `json:"secret,omitempty"`
	Enabled bool    `json:"enabled"`
}

func (s *Server) inbox(r *Req) (any, error) {
	list, unread, err := postgres.Inbox(r.Ctx, r.Tx, r.Session.AccountID, 100)
	out := Inbox{Items: make([]Notification, len(list)), Unread: unread}
	for i, n := range list {
		out.Items[i] = Notification{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
	}
	return out, err
}

func (s *Server) markRead(r *Req) (any, error) {
	var in ReadInput
	if err := bindJSON(r.C, &in); err != nil {
		return nil, err
	}
	return nil, postgres.MarkRead(r.Ctx, r.Tx, r.Session.AccountID, in.ID, s.Now())
}

func toChannelAPI(c postgres.Channel) Channel {
	return Channel{Channel: c.Channel, Target: c.Target, Signed: c.Secret != "", Enabled: c.Enabled, UpdatedAt: c.UpdatedAt}
}

func (s *Server) listChannels(r *Req) (any, error) {
	list, err := postgres.Channels(r.Ctx, r.Tx, r.Session.AccountID)
	return apiList(list, toChannelAPI), err
}

func (s *Server) putChannel(r *Req) (any, error) {
	channel := r.C.Param("channel")
	var in ChannelInput
	if err := bindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if err := s.notifier.CheckTarget(channel, in.Target); err != nil {
		return nil, err
	}
	c := postgres.Channel{AccountID: r.Session.AccountID, Channel: channel, Target: in.Target, Enabled: in.Enabled}
	if in.Secret != nil {
		c.Secret = *in.Secret
	} else if list, err := postgres.Channels(r.Ctx, r.Tx, r.Session.AccountID); err == nil {
		for _, old := range list {
			if old.Channel == channel {
				c.Secret = old.Secret
			}
		}
	}
	if channel != "dingtalk" {
		c.Secret = ""
	}
	saved, err := postgres.PutChannel(r.Ctx, r.Tx, c)
	return toChannelAPI(saved), err
}

func (s *Server) deleteChannel(r *Req) (any, error) {
	return nil, postgres.DeleteChannel(r.Ctx, r.Tx, r.Session.AccountID, r.C.Param("channel"))
}

// DeadLetter is a job or delivery that failed its last retry.
type DeadLetter struct {
	ID        uuid.UUID       `json:"id"`
	TaskType  string          `json:"task_type"`
	Payload   json.RawMessage `json:"payload"`
	Error     string          `json:"error"`
	Attempts  int             `json:"attempts"`
	FailedAt  time.Time       `json:"failed_at"`
	RetriedAt *time.Time      `json:"retried_at"`
}

func toDeadLetterAPI(d postgres.DeadLetter) DeadLetter {
	return DeadLetter{ID: d.ID, TaskType: d.TaskType, Payload: d.Payload, Error: d.Error, Attempts: d.Attempts, FailedAt: d.FailedAt, RetriedAt: d.RetriedAt}
}

func (s *Server) listDeadLetters(r *Req) (any, error) {
	list, err := postgres.ListDeadLetters(r.Ctx, r.Tx)
	return apiList(list, toDeadLetterAPI), err
}

func (s *Server) retryDeadLetter(r *Req) (any, error) {
	id, err := pathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	d, err := postgres.RetryDeadLetter(r.Ctx, r.Tx, id, r.Session.AccountID, s.Now())
	return toDeadLetterAPI(d), err
}

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

func (s *Server) bulletinQuery(r *Req) (string, time.Time, error) {
	kind := r.C.QueryParam("kind")
	if kind == "" {
		kind = "weekly"
	}
	week, err := s.weekQuery(r)
	return kind, week, err
}

// previewBulletin computes a week's bulletin from the current data.
func (s *Server) previewBulletin(r *Req) (any, error) {
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
func (s *Server) previewBulletinPage(r *Req) (any, error) {
	kind, week, err := s.bulletinQuery(r)
	if err != nil {
		return nil, err
	}
	in, err := bulletindb.BulletinInputs(r.Ctx, r.Tx, kind, week)
	if err != nil {
		return nil, err
	}
	html, err := bulletin.HTML(bulletin.Compute(in), bulletindb.VersionLabel(0))
	return File{Name: "bulletin-draft.html", ContentType: "text/html; charset=utf-8", Data: html, Inline: true}, err
}

func (s *Server) issueBulletin(r *Req) (any, error) {
	var in BulletinIssue
	if err := bindJSON(r.C, &in); err != nil {
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

func (s *Server) listBulletins(r *Req) (any, error) {
	list, err := bulletindb.ListBulletins(r.Ctx, r.Tx, r.C.QueryParam("kind"))
	return apiList(list, toBulletinAPI), err
}

// bulletinFile renders an issued version from its frozen inputs (after
// checking it still hashes to what was issued) as html, xlsx or pdf.
func (s *Server) bulletinFile(r *Req) (any, error) {
	id, err := pathID(r.C, "id")
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
		return File{Name: name + ".html", ContentType: "text/html; charset=utf-8", Data: html, Inline: true}, nil
	case "xlsx":
		data, err := bulletin.XLSX(f, label)
		return File{Name: name + ".xlsx", ContentType: xlsxType, Data: data}, err
	case "pdf":
		data, err := bulletin.PDF(f, label, s.Config.PDFFont)
		return File{Name: name + ".pdf", ContentType: "application/pdf", Data: data}, err
	}
	return nil, errs.ErrNotFound
}
