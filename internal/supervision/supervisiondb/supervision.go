package supervisiondb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/supervision"
)

// WeekCloseResult is what a week close found (stored with its job run).
type WeekCloseResult struct {
	Week              string `json:"week"`
	Projects          int    `json:"projects"`
	NoProgress        int    `json:"no_progress"`
	Missing           int    `json:"missing"`
	Late              int    `json:"late"`
	Stalled           int    `json:"stalled"` // streak at or over the level-1 threshold
	Escalations       int    `json:"escalations"`
	VisitShortfalls   int    `json:"visit_shortfalls"`
	OverdueProcedures int    `json:"overdue_procedures"`
	OverdueNodes      int    `json:"overdue_nodes"`
	OverdueProblems   int    `json:"overdue_problems"`
	Messages          int    `json:"messages"`
}

// CloseWeek closes a county's week (M1.3, M2.2): for every project on the
// key list that week it stores the report state, the substantive progress
// (a missing report is none) and the stall streak; raises escalations at the
// thresholds naming the people who held the posts during the streak;
// stores each seat's site presence; counts overdue procedure items, node
// dates and problems; and queues the messages. A week already closed is not
// closed again: the stored result is returned. The previous week is closed
// first when it was not (catching up after downtime).
func CloseWeek(ctx context.Context, tx bun.IDB, week time.Time, now time.Time) (WeekCloseResult, error) {
	if week.Weekday() != time.Monday {
		return WeekCloseResult{}, errs.E(errs.Invalid, "invalid_week", "周次应以该周星期一的日期表示", "a week is given by its Monday")
	}
	var pending []time.Time
	for w := week; len(pending) < 60; w = w.AddDate(0, 0, -7) {
		done, err := postgres.JobDone(ctx, tx, supervision.JobWeekClose, supervision.Period(w))
		if err != nil {
			return WeekCloseResult{}, err
		}
		if done {
			break
		}
		if w != week {
			listed, err := tx.NewSelect().Table("key_list_entries").Join("JOIN key_lists k ON k.id = key_list_entries.key_list_id").
				Where("k.year = ? AND key_list_entries.added_on <= ?", w.Year(), w.AddDate(0, 0, 6)).Exists(ctx)
			if err != nil {
				return WeekCloseResult{}, err
			}
			if !listed {
				break
			}
		}
		pending = append(pending, w)
	}
	var res WeekCloseResult
	for i := len(pending) - 1; i >= 0; i-- {
		r, err := closeOneWeek(ctx, tx, pending[i], now)
		if err != nil {
			return WeekCloseResult{}, err
		}
		res = r
	}
	if len(pending) == 0 { // the week was closed before: its stored result
		_, stored, err := postgres.LockJob(ctx, tx, supervision.JobWeekClose, supervision.Period(week))
		if err != nil {
			return res, err
		}
		err = json.Unmarshal(stored, &res)
		return res, err
	}
	return res, nil
}

func closeOneWeek(ctx context.Context, tx bun.IDB, week time.Time, now time.Time) (WeekCloseResult, error) {
	period := supervision.Period(week)
	res := WeekCloseResult{Week: period}
	done, stored, err := postgres.LockJob(ctx, tx, supervision.JobWeekClose, period)
	if err != nil {
		return res, err
	}
	if done {
		err = json.Unmarshal(stored, &res)
		return res, err
	}
	rules, err := postgres.SettingsOn(ctx, tx, week)
	if err != nil {
		return res, err
	}
	s := rules.Values
	end := week.AddDate(0, 0, 6)
	// Each listed project's week: state, progress, the streak from last
	// week's row, and each seat holder's verified site presence (M2.2).
	err = tx.QueryRowContext(ctx, `WITH listed AS (
		  SELECT e.project_id FROM key_list_entries e JOIN key_lists k ON k.id = e.key_list_id AND k.year = ?2
		  WHERE e.added_on <= ?1::date AND (e.removed_on IS NULL OR e.removed_on > ?0::date)),
		v AS (
		  SELECT project_id, person_id, role, count(*) AS visits,
		    count(DISTINCT (visited_at AT TIME ZONE 'Asia/Shanghai')::date) AS days
		  FROM site_visits WHERE week_start = ?0::date AND verified GROUP BY project_id, person_id, role),
		seat(role, required) AS (VALUES ('chief', ?4::int), ('assistant', ?5::int), ('responsible', ?6::int), ('helper', ?7::int)),
		comp AS (
		  SELECT l.project_id, jsonb_object_agg(seat.role, jsonb_build_object('person_id', h.person_id, 'required', seat.required,
		      'done', CASE WHEN seat.role = 'helper' THEN coalesce(v.days, 0) ELSE coalesce(v.visits, 0) END)) AS c
		  FROM listed l CROSS JOIN seat
		  LEFT JOIN task_force_assignments h ON h.project_id = l.project_id AND h.role = seat.role
		    AND h.valid_from <= ?1::date AND (h.valid_to IS NULL OR h.valid_to > ?1::date)
		  LEFT JOIN v ON v.project_id = l.project_id AND v.person_id = h.person_id AND v.role = seat.role
		  GROUP BY l.project_id),
		ins AS (
		INSERT INTO week_status (project_id, week_start, report_state, progress, overridden, streak, compliance)
		SELECT l.project_id, ?0::date,
		  CASE WHEN r.id IS NULL OR r.status = 'draft' THEN 'missing' WHEN r.late THEN 'late' ELSE 'on_time' END,
		  g.progress, r.override_progress IS NOT NULL AND r.status <> 'draft',
		  CASE WHEN g.progress THEN 0 ELSE coalesce(prev.streak, 0) + 1 END,
		  comp.c
		FROM listed l JOIN comp ON comp.project_id = l.project_id
		LEFT JOIN weekly_reports r ON r.project_id = l.project_id AND r.week_start = ?0::date
		LEFT JOIN week_status prev ON prev.project_id = l.project_id AND prev.week_start = ?0::date - 7
		CROSS JOIN LATERAL (SELECT coalesce(r.status <> 'draft' AND coalesce(r.override_progress, r.rule_progress, false), false) AS progress) g
		ON CONFLICT (project_id, week_start) DO UPDATE SET report_state = EXCLUDED.report_state,
		  progress = EXCLUDED.progress, overridden = EXCLUDED.overridden, streak = EXCLUDED.streak, compliance = EXCLUDED.compliance
		RETURNING report_state, progress, streak, compliance)
		SELECT count(*), count(*) FILTER (WHERE NOT progress), count(*) FILTER (WHERE report_state = 'missing'),
		  count(*) FILTER (WHERE report_state = 'late'), count(*) FILTER (WHERE streak >= ?3),
		  coalesce(sum((SELECT count(*) FROM jsonb_each(compliance) c WHERE c.value->>'person_id' IS NOT NULL
		    AND (c.value->>'done')::int < (c.value->>'required')::int)), 0) FROM ins`,
		week, end, week.Year(), s.StallUnitHeadWeeks, s.VisitsChiefPerWeek, s.VisitsAssistantPerWeek, s.VisitsResponsiblePerWeek, s.HelperDaysPerWeek).
		Scan(&res.Projects, &res.NoProgress, &res.Missing, &res.Late, &res.Stalled, &res.VisitShortfalls)
	if err != nil {
		return res, fmt.Errorf("week status: %w", err)
	}
	// Escalations: the holders of the seat during the streak's weeks up to
	// the threshold. >= catches up a threshold passed while closes were missed.
	type raised struct {
		ID          uuid.UUID  `bun:"id"`
		ProjectID   uuid.UUID  `bun:"project_id"`
		ProjectName string     `bun:"project_name"`
		Level       int        `bun:"level"`
		PersonID    *uuid.UUID `bun:"person_id"`
		PersonName  string     `bun:"person_name"`
		Weeks       int        `bun:"weeks"`
	}
	var esc []raised
	for _, l := range supervision.Levels(s) {
		var part []raised
		err = tx.NewRaw(`WITH new AS (
			INSERT INTO escalations (project_id, level, role, person_id, streak_start, raised_week, weeks)
			SELECT DISTINCT s.project_id, ?0, ?1, a.person_id, s.week_start - 7 * (s.streak - 1), ?3::date, ?2::int
			FROM week_status s
			LEFT JOIN task_force_assignments a ON a.project_id = s.project_id AND a.role = ?1
			  AND daterange(a.valid_from, a.valid_to) && daterange(s.week_start - 7 * (s.streak - 1), s.week_start - 7 * (s.streak - 1) + 7 * ?2::int)
			WHERE s.week_start = ?3::date AND s.streak >= ?2::int
			  AND NOT EXISTS (SELECT 1 FROM escalations x WHERE x.project_id = s.project_id AND x.level = ?0
			    AND x.streak_start = s.week_start - 7 * (s.streak - 1))
			ON CONFLICT DO NOTHING
			RETURNING id, project_id, level, person_id, weeks)
			SELECT new.*, p.name AS project_name, coalesce(pp.name, '') AS person_name
			FROM new JOIN projects p ON p.id = new.project_id LEFT JOIN people pp ON pp.id = new.person_id`,
			l.Level, l.Role, l.Threshold, week).Scan(ctx, &part)
		if err != nil {
			return res, fmt.Errorf("escalations level %d: %w", l.Level, err)
		}
		esc = append(esc, part...)
	}
	res.Escalations = len(esc)
	// Seats whose holder fell short of the minimum, for their messages.
	var shortfalls []struct {
		ProjectID   uuid.UUID `bun:"project_id"`
		ProjectName string    `bun:"project_name"`
		Role        string    `bun:"role"`
		PersonID    uuid.UUID `bun:"person_id"`
		Required    int       `bun:"required"`
		Done        int       `bun:"done"`
	}
	if res.VisitShortfalls > 0 {
		err = tx.NewRaw(`SELECT s.project_id, p.name AS project_name, c.key AS role, (c.value->>'person_id')::uuid AS person_id,
			  (c.value->>'required')::int AS required, (c.value->>'done')::int AS done
			FROM week_status s JOIN projects p ON p.id = s.project_id CROSS JOIN jsonb_each(s.compliance) c
			WHERE s.week_start = ?0::date AND c.value->>'person_id' IS NOT NULL
			  AND (c.value->>'done')::int < (c.value->>'required')::int`, week).Scan(ctx, &shortfalls)
		if err != nil {
			return res, fmt.Errorf("compliance: %w", err)
		}
	}
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM project_procedures pr JOIN week_status s ON s.project_id = pr.project_id AND s.week_start = ?0::date
		  WHERE pr.status IN ('pending','in_progress') AND pr.planned_date <= ?1::date),
		(SELECT count(*) FROM project_nodes n JOIN week_status s ON s.project_id = n.project_id AND s.week_start = ?0::date
		  WHERE n.actual_date IS NULL AND n.planned_date <= ?1::date),
		(SELECT count(*) FROM problems pb JOIN week_status s ON s.project_id = pb.project_id AND s.week_start = ?0::date
		  WHERE pb.status IN ('open','in_progress') AND pb.deadline <= ?1::date)`, week, end).
		Scan(&res.OverdueProcedures, &res.OverdueNodes, &res.OverdueProblems)
	if err != nil {
		return res, fmt.Errorf("overdue: %w", err)
	}
	// Messages: the people named and the office; missing reports to the
	// helper and the responsible person; shortfalls to the seat's holder.
	var missing []struct {
		ProjectID   uuid.UUID `bun:"project_id"`
		ProjectName string    `bun:"project_name"`
		PersonID    uuid.UUID `bun:"person_id"`
	}
	err = tx.NewRaw(`SELECT s.project_id, p.name AS project_name, a.person_id FROM week_status s
		JOIN projects p ON p.id = s.project_id
		JOIN task_force_assignments a ON a.project_id = s.project_id AND a.role IN ('helper','responsible')
		  AND a.valid_from <= ?1::date AND (a.valid_to IS NULL OR a.valid_to > ?1::date)
		WHERE s.week_start = ?0::date AND s.report_state = 'missing'`, week, end).Scan(ctx, &missing)
	if err != nil {
		return res, err
	}
	var people []uuid.UUID
	for _, e := range esc {
		if e.PersonID != nil {
			people = append(people, *e.PersonID)
		}
	}
	for _, m := range missing {
		people = append(people, m.PersonID)
	}
	for _, f := range shortfalls {
		people = append(people, f.PersonID)
	}
	accounts, err := postgres.AccountsOfPeople(ctx, tx, people)
	if err != nil {
		return res, err
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return res, err
	}
	var msgs []postgres.Message
	weekName := week.Format("2006年1月2日") + "当周"
	for _, e := range esc {
		who := e.PersonName
		if e.PersonID == nil {
			who = "（岗位空缺）"
		}
		target := map[int]string{1: "项目责任人", 2: "项目长"}[e.Level]
		title := fmt.Sprintf("电视问政：%s连续%d周无实质进度", e.ProjectName, e.Weeks)
		body := fmt.Sprintf("项目“%s”截至%s已连续%d周无实质进度，按规定对%s%s进行电视问政。", e.ProjectName, weekName, e.Weeks, target, who)
		link := "/supervision?tab=escalations"
		if e.PersonID != nil {
			for _, a := range accounts[*e.PersonID] {
				msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: title, Body: body, Link: link, IdemKey: "escalation:" + e.ID.String()})
			}
		}
		for _, a := range office {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: title, Body: body, Link: link, IdemKey: "escalation:" + e.ID.String()})
		}
	}
	for _, m := range missing {
		for _, a := range accounts[m.PersonID] {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgReportMissing, Title: "周报缺报：" + m.ProjectName,
				Body: fmt.Sprintf("项目“%s”%s周报未按时报送，记为无实质进度。", m.ProjectName, weekName),
				Link: "/projects/" + m.ProjectID.String(), IdemKey: "missing:" + m.ProjectID.String() + ":" + period})
		}
	}
	for _, f := range shortfalls {
		for _, a := range accounts[f.PersonID] {
			unit := "次"
			if f.Role == "helper" {
				unit = "天"
			}
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgVisitShortfall, Title: "到场不足：" + f.ProjectName,
				Body: fmt.Sprintf("%s您在项目“%s”到场%d%s，应不少于%d%s。", weekName, f.ProjectName, f.Done, unit, f.Required, unit),
				Link: "/projects/" + f.ProjectID.String(), IdemKey: "shortfall:" + f.ProjectID.String() + ":" + f.Role + ":" + period})
		}
	}
	if res.Messages, err = postgres.Notify(ctx, tx, msgs); err != nil {
		return res, fmt.Errorf("notify: %w", err)
	}
	if len(esc) > 0 {
		ids := make([]string, len(esc))
		for i, e := range esc {
			ids[i] = e.ID.String()
		}
		if err := postgres.Audit(ctx, tx, audit.Entry{Action: "escalation.raise", EntityType: "week", EntityID: period,
			After: map[string]any{"escalations": ids}}); err != nil {
			return res, err
		}
	}
	return res, postgres.FinishJob(ctx, tx, supervision.JobWeekClose, period, res, now)
}

// Dashboard is the supervision overview of a county's closed weeks.
type Dashboard struct {
	LatestWeek *time.Time
	Trend      []struct {
		Week        time.Time `bun:"week_start,type:date"`
		Projects    int       `bun:"projects"`
		NoProgress  int       `bun:"no_progress"`
		Missing     int       `bun:"missing"`
		Stalled     int       `bun:"stalled"`
		Escalations int       `bun:"escalations"`
	}
	Stalled []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		Name      string    `bun:"name"`
		UnitName  string    `bun:"unit_name"`
		Streak    int       `bun:"streak"`
	}
	Compliance []struct {
		Role  string `bun:"role"`
		Seats int    `bun:"seats"`
		Met   int    `bun:"met"`
	}
	Open int
}

// SupervisionDashboard reads the last weeks' closes: their stored counts
// (the trend), the projects stalled at the latest close, each seat's
// compliance then, and the open escalations.
func SupervisionDashboard(ctx context.Context, tx bun.IDB, weeks int) (Dashboard, error) {
	var d Dashboard
	// Each close stored its counts (stalled at the threshold then in force).
	err := tx.NewRaw(`SELECT * FROM (
		  SELECT period::date AS week_start, (result->>'projects')::int AS projects, (result->>'no_progress')::int AS no_progress,
		    (result->>'missing')::int AS missing, (result->>'stalled')::int AS stalled, (result->>'escalations')::int AS escalations
		  FROM job_runs WHERE job = ? ORDER BY period DESC LIMIT ?) t
		ORDER BY week_start`, supervision.JobWeekClose, weeks).Scan(ctx, &d.Trend)
	if err != nil || len(d.Trend) == 0 {
		return d, err
	}
	latest := d.Trend[len(d.Trend)-1].Week
	d.LatestWeek = &latest
	if err := tx.NewRaw(`SELECT w.project_id, p.name, u.name AS unit_name, w.streak FROM week_status w
		JOIN projects p ON p.id = w.project_id JOIN units u ON u.id = p.responsible_unit_id
		WHERE w.week_start = ? AND w.streak > 0 ORDER BY w.streak DESC, p.code LIMIT 100`, latest).Scan(ctx, &d.Stalled); err != nil {
		return d, err
	}
	if err := tx.NewRaw(`SELECT c.key AS role, count(*) FILTER (WHERE c.value->>'person_id' IS NOT NULL) AS seats,
		  count(*) FILTER (WHERE c.value->>'person_id' IS NOT NULL AND (c.value->>'done')::int >= (c.value->>'required')::int) AS met
		FROM week_status s CROSS JOIN jsonb_each(s.compliance) c WHERE s.week_start = ? GROUP BY c.key
		ORDER BY array_position(ARRAY['chief','assistant','responsible','helper'], c.key)`, latest).Scan(ctx, &d.Compliance); err != nil {
		return d, err
	}
	err = tx.NewRaw("SELECT count(*) FROM escalations WHERE status IN ('pending','scheduled')").Scan(ctx, &d.Open)
	return d, err
}
