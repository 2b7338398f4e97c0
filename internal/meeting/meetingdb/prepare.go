package meetingdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
)

// Item is an agenda item as stored.
type Item struct {
	bun.BaseModel `bun:"table:meeting_items,alias:mi"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	SittingID     uuid.UUID       `bun:"sitting_id,type:uuid"`
	Position      int             `bun:"position"`
	Kind          string          `bun:"kind"`
	Source        string          `bun:"source"`
	ProjectID     *uuid.UUID      `bun:"project_id,type:uuid"`
	ProblemID     *uuid.UUID      `bun:"problem_id,type:uuid"`
	ActionID      *uuid.UUID      `bun:"action_id,type:uuid"`
	UnitID        *uuid.UUID      `bun:"unit_id,type:uuid"`
	PersonID      *uuid.UUID      `bun:"person_id,type:uuid"`
	Title         string          `bun:"title"`
	Detail        string          `bun:"detail"`
	Evidence      json.RawMessage `bun:"evidence,type:jsonb"`
	Picked        bool            `bun:"picked"`
	SetAside      bool            `bun:"set_aside"` // taken off the agenda, kept in its backlog
	Minutes       string          `bun:"minutes"`
	CreatedAt     time.Time       `bun:"created_at,nullzero,default:now()"`
}

// Card is a project's evidence on an agenda: where it stands in the week
// reviewed (or the latest closed week), as the preparation found it.
type Card struct {
	ProjectID     uuid.UUID `bun:"project_id" json:"project_id"`
	Code          string    `bun:"code" json:"code"`
	Name          string    `bun:"name" json:"name"`
	Unit          string    `bun:"unit" json:"unit"`
	UnitID        uuid.UUID `bun:"unit_id" json:"-"`
	Chief         string    `bun:"chief" json:"chief"`
	Week          string    `bun:"week" json:"week"`
	Progress      *bool     `bun:"progress" json:"progress"`
	Streak        int       `bun:"streak" json:"streak"`
	ReportState   string    `bun:"report_state" json:"report_state"`
	ImageProgress string    `bun:"image_progress" json:"image_progress"`
	ImagePercent  *int      `bun:"image_percent" json:"image_percent"`
	Photos        int       `bun:"photos" json:"photos"`
	PhotoIDs      []string  `bun:"photo_ids,array" json:"photo_ids"`
	OpenProblems  []string  `bun:"open_problems,array" json:"open_problems"`
	Escalations   []string  `bun:"escalations,array" json:"escalations"`
}

// cards reads the project cards of projects as of week (a Monday).
func cards(ctx context.Context, tx bun.IDB, projects []uuid.UUID, week time.Time) (map[uuid.UUID]Card, error) {
	out := map[uuid.UUID]Card{}
	if len(projects) == 0 {
		return out, nil
	}
	var rows []Card
	err := tx.NewRaw(`SELECT p.id AS project_id, p.code, p.name, u.name AS unit, u.id AS unit_id, ?1::text AS week,
		  coalesce((SELECT pe.name FROM task_force_assignments a JOIN people pe ON pe.id = a.person_id
		    WHERE a.project_id = p.id AND a.role = 'chief' AND a.valid_from <= ?1::date + 6 AND (a.valid_to IS NULL OR a.valid_to > ?1::date + 6)
		    LIMIT 1), '') AS chief,
		  ws.progress, coalesce(ws.streak, 0) AS streak, coalesce(ws.report_state, '') AS report_state,
		  coalesce(wr.image_progress, '') AS image_progress, wr.image_percent,
		  (SELECT count(*) FROM photos ph WHERE ph.project_id = p.id AND ph.week_start = ?1::date AND ph.observation_id IS NULL) AS photos,
		  ARRAY(SELECT ph.id::text FROM photos ph WHERE ph.project_id = p.id AND ph.week_start = ?1::date AND ph.observation_id IS NULL ORDER BY ph.uploaded_at LIMIT 6) AS photo_ids,
		  ARRAY(SELECT pb.description FROM problems pb WHERE pb.project_id = p.id AND pb.status IN ('open','in_progress') ORDER BY pb.raised_at LIMIT 10) AS open_problems,
		  ARRAY(SELECT CASE es.level WHEN 1 THEN '责任单位主要负责人' ELSE '分包县级领导' END || coalesce(pp.name, '') || '（连续' || es.weeks || '周）'
		        FROM escalations es LEFT JOIN people pp ON pp.id = es.person_id
		        WHERE es.project_id = p.id AND es.status IN ('pending','scheduled') ORDER BY es.raised_week, es.level) AS escalations
		FROM projects p JOIN units u ON u.id = p.responsible_unit_id
		LEFT JOIN week_status ws ON ws.project_id = p.id AND ws.week_start = ?1::date
		LEFT JOIN weekly_reports wr ON wr.project_id = p.id AND wr.week_start = ?1::date AND wr.status <> 'draft'
		WHERE p.id = ANY(?0::uuid[])`, pgdialect.Array(projects), week.Format(time.DateOnly)).Scan(ctx, &rows)
	for _, r := range rows {
		out[r.ProjectID] = r
	}
	return out, err
}

// PrepareResult is what a preparation drafted.
type PrepareResult struct {
	SittingID    uuid.UUID `json:"sitting_id"`
	Items        int       `json:"items"`
	Participants int       `json:"participants"`
	Messages     int       `json:"messages"`
	Already      bool      `json:"already_prepared,omitempty"`
}

// Prepare drafts a planned sitting's agenda from the data and tells its
// participants (P4), once: the sitting is claimed by stamping it, so a
// second worker or a retry finds it prepared and changes nothing.
func Prepare(ctx context.Context, tx bun.IDB, id uuid.UUID, now time.Time) (PrepareResult, error) {
	res := PrepareResult{SittingID: id}
	var claimed []uuid.UUID
	if err := tx.NewRaw(`UPDATE meeting_sittings SET prepared_at = ?, updated_at = ? WHERE id = ? AND prepared_at IS NULL AND status = 'planned' RETURNING id`,
		now, now, id).Scan(ctx, &claimed); err != nil {
		return res, err
	}
	if len(claimed) == 0 {
		res.Already = true
		return res, nil
	}
	st, err := GetSitting(ctx, tx, id)
	if err != nil {
		return res, err
	}
	v, err := postgres.SettingsOn(ctx, tx, st.Day)
	if err != nil {
		return res, err
	}
	d := drafter{ctx: ctx, tx: tx, st: st, s: v.Values}
	switch meeting.Kind(st.Kind) {
	case meeting.Weekly:
		err = d.weekly()
	case meeting.Monthly:
		err = d.monthly()
	case meeting.JointReview:
		// Its list is the procedure items nominated and carried to it
		// (internal/review); the preparation tells their service units.
	default:
		err = d.bimonthly()
	}
	if err != nil {
		return res, fmt.Errorf("agenda of %s: %w", st.Label(), err)
	}
	for i := range d.items {
		d.items[i].Position = i + 1
	}
	if len(d.items) > 0 {
		if _, err := tx.NewInsert().Model(&d.items).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return res, postgres.MapErr(err)
		}
	}
	res.Items = len(d.items)
	people, err := participants(ctx, tx, st, v.Values, d.items)
	if err != nil {
		return res, err
	}
	res.Participants = len(people)
	if res.Messages, err = invite(ctx, tx, st, people); err != nil {
		return res, err
	}
	return res, postgres.Audit(ctx, tx, audit.Entry{Action: "meeting.prepare", EntityType: "meeting", EntityID: id.String(),
		After: map[string]any{"items": res.Items, "participants": res.Participants}})
}

type drafter struct {
	ctx   context.Context
	tx    bun.IDB
	st    Sitting
	s     settings.Settings
	items []Item
}

func (d *drafter) add(kind meeting.ItemKind, title string, evidence any, set func(*Item)) error {
	b, err := json.Marshal(evidence)
	if err != nil {
		return err
	}
	it := Item{ID: uuid.New(), SittingID: d.st.ID, Kind: string(kind), Source: "prepared", Title: truncate(title, 200), Evidence: b}
	if set != nil {
		set(&it)
	}
	d.items = append(d.items, it)
	return nil
}

// reviewWeek is the week whose cards the agenda shows: the week reviewed,
// or the latest week closed by the sitting's start.
func (d *drafter) reviewWeek() time.Time {
	if d.st.ReviewWeek != nil {
		return *d.st.ReviewWeek
	}
	return supervision.WeekToClose(d.st.StartsAt, d.s)
}

// weekly: the decisions of earlier sittings now overdue (heard first),
// the projects stalled in the week reviewed (escalated ones marked), the
// problems raised to the weekly meeting (M2.3), and the approvals overdue.
func (d *drafter) weekly() error {
	if err := d.overdueActions(); err != nil {
		return err
	}
	week := d.reviewWeek()
	var stalled []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		Streak    int       `bun:"streak"`
		Escalated bool      `bun:"escalated"`
	}
	if err := d.tx.NewRaw(`SELECT ws.project_id, ws.streak,
		  EXISTS (SELECT 1 FROM escalations es WHERE es.project_id = ws.project_id AND es.raised_week = ws.week_start AND es.status <> 'withdrawn') AS escalated
		FROM week_status ws JOIN projects p ON p.id = ws.project_id
		WHERE ws.week_start = ? AND ws.stalled ORDER BY ws.streak DESC, p.code`, week).Scan(d.ctx, &stalled); err != nil {
		return err
	}
	var problems []struct {
		ID          uuid.UUID  `bun:"id"`
		ProjectID   uuid.UUID  `bun:"project_id"`
		Category    string     `bun:"category"`
		Description string     `bun:"description"`
		UnitID      *uuid.UUID `bun:"assigned_unit_id"`
	}
	if err := d.tx.NewRaw(`SELECT pb.id, pb.project_id, pb.category, pb.description, pb.assigned_unit_id FROM problems pb
		WHERE pb.level = 'weekly_meeting' AND pb.status IN ('open','in_progress') ORDER BY pb.raised_at`).Scan(d.ctx, &problems); err != nil {
		return err
	}
	var procedures []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		Items     []string  `bun:"items,array"`
		Days      int       `bun:"days"`
	}
	if err := d.tx.NewRaw(`SELECT pr.project_id, array_agg(t.name || '（计划' || to_char(pr.planned_date, 'YYYY-MM-DD') || '，' || su.name || '）' ORDER BY pr.planned_date) AS items,
		  max(?::date - pr.planned_date) AS days
		FROM project_procedures pr JOIN procedure_types t ON t.id = pr.type_id JOIN units su ON su.id = pr.service_unit_id
		JOIN projects p ON p.id = pr.project_id
		WHERE pr.status IN ('pending','in_progress') AND pr.planned_date < ?::date
		  AND EXISTS (SELECT 1 FROM listed_projects(?::date, ?::date) l WHERE l.project_id = pr.project_id)
		GROUP BY pr.project_id, p.code ORDER BY max(?::date - pr.planned_date) DESC, p.code`,
		d.st.Day, d.st.Day, d.st.ReviewFrom, d.st.ReviewTo, d.st.Day).Scan(d.ctx, &procedures); err != nil {
		return err
	}
	var ids []uuid.UUID
	for _, s := range stalled {
		ids = append(ids, s.ProjectID)
	}
	for _, p := range problems {
		ids = append(ids, p.ProjectID)
	}
	for _, p := range procedures {
		ids = append(ids, p.ProjectID)
	}
	cs, err := cards(d.ctx, d.tx, ids, week)
	if err != nil {
		return err
	}
	for _, s := range stalled {
		c := cs[s.ProjectID]
		kind, title := meeting.ItemStalledProject, fmt.Sprintf("%s：连续%d周无实质进度", c.Name, s.Streak)
		if s.Escalated {
			kind, title = meeting.ItemEscalatedProject, title+"，本周提请电视问政"
		}
		if err := d.add(kind, title, c, func(it *Item) { it.ProjectID, it.UnitID = &c.ProjectID, &c.UnitID }); err != nil {
			return err
		}
	}
	for _, p := range problems {
		c, pid := cs[p.ProjectID], p.ID
		if err := d.add(meeting.ItemProblem, c.Name+"："+p.Description, map[string]any{"card": c, "category": p.Category}, func(it *Item) {
			it.ProjectID, it.ProblemID, it.UnitID = &c.ProjectID, &pid, p.UnitID
			if it.UnitID == nil {
				it.UnitID = &c.UnitID
			}
		}); err != nil {
			return err
		}
	}
	for _, p := range procedures {
		c := cs[p.ProjectID]
		title := fmt.Sprintf("%s：%d项手续逾期未办结（最长%d天）", c.Name, len(p.Items), p.Days)
		if err := d.add(meeting.ItemOverdueProcedure, title, map[string]any{"card": c, "procedures": p.Items}, func(it *Item) {
			it.ProjectID, it.UnitID = &c.ProjectID, &c.UnitID
		}); err != nil {
			return err
		}
	}
	return nil
}

// overdueActions puts every decision of an earlier sitting that is past
// its deadline by this sitting's day on the agenda, first.
func (d *drafter) overdueActions() error {
	var rows []struct {
		ID        uuid.UUID  `bun:"id"`
		Number    int        `bun:"number"`
		Text      string     `bun:"text"`
		Deadline  time.Time  `bun:"deadline"`
		Status    string     `bun:"status"`
		Reported  *time.Time `bun:"reported_on"`
		UnitID    uuid.UUID  `bun:"owner_unit_id"`
		Unit      string     `bun:"unit"`
		ProjectID *uuid.UUID `bun:"project_id"`
		Sitting   uuid.UUID  `bun:"sitting_id"`
	}
	if err := d.tx.NewRaw(`SELECT a.id, a.number, a.text, a.deadline, a.status, a.reported_on, a.owner_unit_id, u.name AS unit, a.project_id, a.sitting_id
		FROM meeting_actions a JOIN units u ON u.id = a.owner_unit_id JOIN meeting_sittings s ON s.id = a.sitting_id
		WHERE a.status <> 'closed' AND a.deadline < ? AND a.sitting_id <> ?
		ORDER BY a.deadline, s.day, a.number`, d.st.Day, d.st.ID).Scan(d.ctx, &rows); err != nil {
		return err
	}
	labels := map[uuid.UUID]string{}
	for _, r := range rows {
		if !meeting.Overdue(meeting.ActionStatus(r.Status), r.Deadline, r.Reported, d.st.Day) {
			continue
		}
		if _, ok := labels[r.Sitting]; !ok {
			st, err := GetSitting(d.ctx, d.tx, r.Sitting)
			if err != nil {
				return err
			}
			labels[r.Sitting] = st.Label()
		}
		days := int(d.st.Day.Sub(r.Deadline).Hours() / 24)
		title := fmt.Sprintf("【督办】%s：%s（%s，逾期%d天）", labels[r.Sitting], r.Text, r.Unit, days)
		ev := map[string]any{"sitting": labels[r.Sitting], "number": meeting.Numeral(r.Number), "deadline": r.Deadline.Format(time.DateOnly),
			"unit": r.Unit, "status": meeting.ActionStatusNames[meeting.ActionStatus(r.Status)], "days_overdue": days}
		id, unit := r.ID, r.UnitID
		if err := d.add(meeting.ItemOverdueAction, title, ev, func(it *Item) { it.ActionID, it.UnitID, it.ProjectID = &id, &unit, r.ProjectID }); err != nil {
			return err
		}
	}
	return nil
}

// figures computes the bulletin's figures of a month (its rules: 时序进度,
// completion, the units' ranking).
func (d *drafter) figures(month time.Time) (bulletin.Figures, error) {
	p, err := bulletin.ParsePeriod("month", month.Format("2006-01"))
	if err != nil {
		return bulletin.Figures{}, err
	}
	in, err := bulletindb.BulletinInputs(d.ctx, d.tx, "weekly", p)
	if err != nil {
		return bulletin.Figures{}, err
	}
	return bulletin.Compute(in), nil
}

var categoryNames = map[string]string{"land": "用地", "funding": "资金", "approvals": "审批手续", "power": "电力", "relocation": "征迁", "other": "其他"}

// monthly: the month against 时序进度 and the units behind it; the kinds of
// problem several projects share (M1.4).
func (d *drafter) monthly() error {
	f, err := d.figures(d.st.ReviewFrom)
	if err != nil {
		return err
	}
	o := f.Overview
	title := fmt.Sprintf("%d年1-%d月重点项目建设情况：累计完成投资%s亿元，占年度计划%s%%，时序进度%s%%", d.st.ReviewFrom.Year(),
		int(d.st.ReviewFrom.Month()), bulletin.Yi(o.DoneYuan), o.CompletionRate, f.Schedule)
	var behind []bulletin.UnitRow
	for _, u := range f.ByUnit {
		if len(u.Lead) > 0 && u.Lead[0] == '-' {
			behind = append(behind, u)
		}
	}
	if err := d.add(meeting.ItemMonthFigures, title, map[string]any{"overview": o, "schedule": f.Schedule, "schedule_basis": f.ScheduleHow,
		"units_behind": behind}, nil); err != nil {
		return err
	}
	var shared []struct {
		Category string   `bun:"category"`
		Projects int      `bun:"projects"`
		Lines    []string `bun:"lines,array"`
	}
	if err := d.tx.NewRaw(`SELECT pb.category, count(DISTINCT pb.project_id) AS projects,
		  array_agg(p.name || '：' || pb.description ORDER BY p.code, pb.raised_at) AS lines
		FROM problems pb JOIN projects p ON p.id = pb.project_id
		WHERE pb.status IN ('open','in_progress')
		GROUP BY pb.category HAVING count(DISTINCT pb.project_id) >= 2 ORDER BY count(DISTINCT pb.project_id) DESC, pb.category`).Scan(d.ctx, &shared); err != nil {
		return err
	}
	for _, c := range shared {
		title := fmt.Sprintf("%s问题（涉及%d个项目）", categoryNames[c.Category], c.Projects)
		if err := d.add(meeting.ItemCommonProblem, title, map[string]any{"category": c.Category, "problems": c.Lines}, nil); err != nil {
			return err
		}
	}
	return nil
}

// bimonthly (and half-year): each subcontracting county leader reports on
// their projects; the best- and worst-ranked responsible units of the
// period speak (M1.5, M1.7) — ranked by the bulletin's unit ranking
// (completion of the year plan) at the period's end, until an assessment
// exists to rank them.
func (d *drafter) bimonthly() error {
	var leaders []struct {
		PersonID uuid.UUID   `bun:"person_id"`
		Name     string      `bun:"name"`
		Projects []uuid.UUID `bun:"projects,array"`
	}
	if err := d.tx.NewRaw(`SELECT a.person_id, pe.name, array_agg(DISTINCT a.project_id) AS projects
		FROM task_force_assignments a JOIN people pe ON pe.id = a.person_id
		JOIN listed_projects(?0::date, ?1::date) l ON l.project_id = a.project_id
		WHERE a.role = 'chief' AND a.valid_from <= ?1::date AND (a.valid_to IS NULL OR a.valid_to > ?1::date)
		GROUP BY a.person_id, pe.name ORDER BY pe.name`, d.st.ReviewFrom, d.st.ReviewTo).Scan(d.ctx, &leaders); err != nil {
		return err
	}
	week := d.reviewWeek()
	for _, l := range leaders {
		cs, err := cards(d.ctx, d.tx, l.Projects, week)
		if err != nil {
			return err
		}
		list := make([]Card, 0, len(l.Projects))
		for _, p := range l.Projects {
			list = append(list, cs[p])
		}
		pid := l.PersonID
		if err := d.add(meeting.ItemLeaderReport, fmt.Sprintf("%s汇报分包项目推进情况（%d个）", l.Name, len(list)), list,
			func(it *Item) { it.PersonID = &pid }); err != nil {
			return err
		}
	}
	f, err := d.figures(time.Date(d.st.ReviewTo.Year(), d.st.ReviewTo.Month(), 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	var ranked []bulletin.UnitRow
	for _, u := range f.ByUnit {
		if u.Rank > 0 {
			ranked = append(ranked, u)
		}
	}
	units, err := unitIDs(d.ctx, d.tx)
	if err != nil {
		return err
	}
	model := "典型发言"
	if meeting.Kind(d.st.Kind) == meeting.HalfYear {
		model = "经验介绍"
	}
	top, bottom := min(d.s.RankingTopN, len(ranked)), min(d.s.RankingBottomN, len(ranked))
	if top+bottom > len(ranked) { // few units: nobody speaks twice
		bottom = len(ranked) - top
	}
	speak := func(kind meeting.ItemKind, word string, u bulletin.UnitRow) error {
		id, ok := units[u.Name]
		title := fmt.Sprintf("%s%s（第%d名，完成年度计划%s%%）", u.Name, word, u.Rank, u.CompletionRate)
		return d.add(kind, title, u, func(it *Item) {
			if ok {
				it.UnitID = &id
			}
		})
	}
	for _, u := range ranked[:top] {
		if err := speak(meeting.ItemModelSpeech, model, u); err != nil {
			return err
		}
	}
	for i := len(ranked) - bottom; i < len(ranked); i++ {
		if err := speak(meeting.ItemPledgeSpeech, "表态发言", ranked[i]); err != nil {
			return err
		}
	}
	return nil
}

func unitIDs(ctx context.Context, tx bun.IDB) (map[string]uuid.UUID, error) {
	var rows []struct {
		ID   uuid.UUID `bun:"id"`
		Name string    `bun:"name"`
	}
	out := map[string]uuid.UUID{}
	err := tx.NewRaw("SELECT id, name FROM units").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.Name] = r.ID
	}
	return out, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
