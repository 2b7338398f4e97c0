package supervisiondb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
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
	// CaughtUp are the earlier weeks this close closed first, oldest first
	// (after downtime), each with its own figures.
	CaughtUp []WeekCloseResult `json:"caught_up,omitempty"`
	// Corrections are the changes made to the week after it closed.
	Corrections []WeekCorrection `json:"corrections,omitempty"`
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
			// Catch up only over weeks that had projects listed.
			listed, err := tx.NewSelect().TableExpr(reportingdb.ListedSQL, w, w.AddDate(0, 0, 6)).Exists(ctx)
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
	var earlier []WeekCloseResult
	for i := len(pending) - 1; i >= 0; i-- {
		r, err := closeOneWeek(ctx, tx, pending[i], now)
		if err != nil {
			return WeekCloseResult{}, err
		}
		if i > 0 {
			earlier = append(earlier, r)
		}
		res = r
	}
	res.CaughtUp = earlier
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
	weeks, err := judgeWeek(ctx, tx, week, s, nil)
	if err != nil {
		return res, err
	}
	if err := storeWeek(ctx, tx, week, weeks); err != nil {
		return res, fmt.Errorf("week status: %w", err)
	}
	for _, w := range weeks {
		res.Projects++
		if !w.Progress {
			res.NoProgress++
		}
		switch w.State {
		case reporting.StateMissing:
			res.Missing++
		case reporting.StateLate:
			res.Late++
		}
		if w.Stalled {
			res.Stalled++
		}
		for _, seat := range w.Seats {
			if seat.PersonID != nil && !seat.Met() {
				res.VisitShortfalls++
			}
		}
	}
	esc, err := raiseEscalations(ctx, tx, week, weeks, s)
	if err != nil {
		return res, err
	}
	res.Escalations = len(esc)
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
	if res.Messages, err = weekMessages(ctx, tx, week, weeks, esc); err != nil {
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

// projectWeek is one listed project's closed week as the rules decide it.
type projectWeek struct {
	ProjectID   uuid.UUID
	ProjectName string
	State       reporting.State
	Progress    bool
	Overridden  bool
	Streak      int
	Stalled     bool
	Seats       []reportingdb.Seat
}

// judgeWeek applies the rules to every project listed in the week: its
// report's state at the week's close time, the substantive progress, the
// streak continued from last week's row, "stalled", and each seat's
// compliance (of one project only when only is given). It reads;
// storeWeek writes.
func judgeWeek(ctx context.Context, tx bun.IDB, week time.Time, s settings.Settings, only *uuid.UUID) ([]projectWeek, error) {
	listed, err := reportingdb.ListedIn(ctx, tx, week, week.AddDate(0, 0, 6))
	if err != nil || len(listed) == 0 {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(listed))
	for _, l := range listed {
		if only == nil || l.ProjectID == *only {
			ids = append(ids, l.ProjectID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		ProjectID uuid.UUID           `bun:"project_id"`
		Name      string              `bun:"name"`
		Report    *reportingdb.Report `bun:"-"`
		Prev      int                 `bun:"prev_streak"`
	}
	if err := tx.NewRaw(`SELECT p.id AS project_id, p.name, coalesce(prev.streak, 0) AS prev_streak
		FROM projects p LEFT JOIN week_status prev ON prev.project_id = p.id AND prev.week_start = ?::date - 7
		WHERE p.id IN (?) ORDER BY p.code`, week, bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	var reports []reportingdb.Report
	if err := tx.NewSelect().Model(&reports).Where("wr.week_start = ? AND wr.project_id IN (?)", week, bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	byProject := map[uuid.UUID]*reporting.Facts{}
	for _, r := range reports {
		byProject[r.ProjectID] = r.Facts()
	}
	seats, err := reportingdb.SeatCompliance(ctx, tx, week, ids, s)
	if err != nil {
		return nil, err
	}
	due, closeAt := reporting.Deadline(week, s), supervision.CloseAt(week, s)
	out := make([]projectWeek, len(rows))
	for i, r := range rows {
		f := byProject[r.ProjectID]
		w := projectWeek{ProjectID: r.ProjectID, ProjectName: r.Name, Seats: seats[r.ProjectID],
			State: reporting.WeekState(true, f, due, closeAt), Progress: reporting.Progress(f)}
		w.Overridden = f.Submitted() && f.OverrideProgress != nil
		w.Streak = supervision.NextStreak(r.Prev, w.Progress)
		w.Stalled = supervision.Stalled(w.Streak, s)
		out[i] = w
	}
	return out, nil
}

// storeWeek writes the week's rows (one statement; a re-run replaces them).
func storeWeek(ctx context.Context, tx bun.IDB, week time.Time, weeks []projectWeek) error {
	if len(weeks) == 0 {
		return nil
	}
	n := len(weeks)
	ids, states, compliance := make([]uuid.UUID, n), make([]string, n), make([]string, n)
	progress, overridden, stalled, streaks := make([]bool, n), make([]bool, n), make([]bool, n), make([]int, n)
	for i, w := range weeks {
		ids[i], states[i], progress[i], overridden[i], streaks[i], stalled[i] = w.ProjectID, string(w.State), w.Progress, w.Overridden, w.Streak, w.Stalled
		c := map[string]any{}
		for _, seat := range w.Seats {
			c[string(seat.Role)] = map[string]any{"person_id": seat.PersonID, "required": seat.Required, "done": seat.Done}
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		compliance[i] = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO week_status (project_id, week_start, report_state, progress, overridden, streak, stalled, compliance)
		SELECT u.project_id, ?::date, u.state, u.progress, u.overridden, u.streak, u.stalled, u.compliance::jsonb
		FROM unnest(?::uuid[], ?::text[], ?::boolean[], ?::boolean[], ?::int[], ?::boolean[], ?::text[])
		  AS u(project_id, state, progress, overridden, streak, stalled, compliance)
		ON CONFLICT (project_id, week_start) DO UPDATE SET report_state = EXCLUDED.report_state, progress = EXCLUDED.progress,
		  overridden = EXCLUDED.overridden, streak = EXCLUDED.streak, stalled = EXCLUDED.stalled, compliance = EXCLUDED.compliance`,
		week, pgdialect.Array(ids), pgdialect.Array(states), pgdialect.Array(progress), pgdialect.Array(overridden),
		pgdialect.Array(streaks), pgdialect.Array(stalled), pgdialect.Array(compliance))
	return err
}

// raised is an escalation raised by a week close, with the names its messages need.
type raised struct {
	ID          uuid.UUID  `bun:"id"`
	ProjectID   uuid.UUID  `bun:"project_id"`
	ProjectName string     `bun:"project_name"`
	UnitID      uuid.UUID  `bun:"unit_id"`
	Level       int        `bun:"level"`
	PersonID    *uuid.UUID `bun:"person_id"`
	PersonName  string     `bun:"person_name"`
	PersonUnit  *uuid.UUID `bun:"person_unit_id"`
	NamedAs     string     `bun:"named_as"`
	Weeks       int        `bun:"weeks"`
}

// raiseEscalations raises, once per streak, each level the week's streaks
// have reached (supervision.DueLevels), naming every person who held the
// level's seat during the streak's weeks up to the threshold. With the seat
// empty all that time, level 1 names the responsible unit's main head and
// level 2 the leading group's leader; the person is NULL only when there
// is no one to name either.
func raiseEscalations(ctx context.Context, tx bun.IDB, week time.Time, weeks []projectWeek, s settings.Settings) ([]raised, error) {
	var projects, roles []string
	var levels, thresholds []int
	var starts []string
	for _, w := range weeks {
		for _, l := range supervision.DueLevels(w.Streak, s) {
			projects = append(projects, w.ProjectID.String())
			levels, roles, thresholds = append(levels, l.Level), append(roles, l.Role), append(thresholds, l.Threshold)
			starts = append(starts, supervision.StreakStart(week, w.Streak).Format(time.DateOnly))
		}
	}
	out := []raised{}
	if len(projects) == 0 {
		return out, nil
	}
	err := tx.NewRaw(`WITH due AS (
		  SELECT * FROM unnest(?0::uuid[], ?1::int[], ?2::text[], ?3::date[], ?4::int[]) AS d(project_id, level, role, streak_start, threshold)
		  -- An escalation in force at this level whose streak began within this
		  -- one (no week with progress between the two starts) is this streak's:
		  -- after a correction a streak may begin earlier than it did.
		  WHERE NOT EXISTS (SELECT 1 FROM escalations x WHERE x.project_id = d.project_id AND x.level = d.level
		    AND x.status <> 'withdrawn' AND x.streak_start >= d.streak_start
		    AND NOT EXISTS (SELECT 1 FROM week_status ws WHERE ws.project_id = d.project_id
		      AND ws.week_start BETWEEN d.streak_start AND x.streak_start AND ws.progress))),
		holders AS (
		  SELECT DISTINCT d.project_id, d.level, d.role, d.streak_start, d.threshold, a.person_id, 'seat' AS named_as
		  FROM due d JOIN task_force_assignments a ON a.project_id = d.project_id AND a.role = d.role
		    AND daterange(a.valid_from, a.valid_to) && daterange(d.streak_start, d.streak_start + 7 * d.threshold)),
		substitutes AS (
		  SELECT d.project_id, d.level, d.role, d.streak_start, d.threshold,
		    CASE WHEN d.level = 1 THEN u.head_person_id ELSE gl.person_id END AS person_id,
		    CASE WHEN d.level = 1 AND u.head_person_id IS NOT NULL THEN 'unit_head'
		         WHEN d.level = 2 AND gl.person_id IS NOT NULL THEN 'group_leader' ELSE 'seat' END AS named_as
		  FROM due d JOIN projects p ON p.id = d.project_id JOIN units u ON u.id = p.responsible_unit_id
		  LEFT JOIN LATERAL (SELECT m.person_id FROM org_group_members m JOIN org_groups g ON g.id = m.group_id
		    WHERE g.kind = 'leading_group' AND m.position = 'leader' ORDER BY m.created_at LIMIT 1) gl ON true
		  WHERE NOT EXISTS (SELECT 1 FROM holders h WHERE h.project_id = d.project_id AND h.level = d.level)),
		new AS (
		  INSERT INTO escalations (project_id, level, role, person_id, named_as, streak_start, raised_week, weeks)
		  SELECT project_id, level, role, person_id, named_as, streak_start, ?5::date, threshold FROM holders
		  UNION ALL
		  SELECT project_id, level, role, person_id, named_as, streak_start, ?5::date, threshold FROM substitutes
		  ON CONFLICT DO NOTHING
		  RETURNING id, project_id, level, person_id, named_as, weeks)
		SELECT new.*, p.name AS project_name, p.responsible_unit_id AS unit_id, coalesce(pp.name, '') AS person_name, pp.unit_id AS person_unit_id
		FROM new JOIN projects p ON p.id = new.project_id LEFT JOIN people pp ON pp.id = new.person_id
		ORDER BY p.code, new.level, pp.name`,
		pgdialect.Array(projects), pgdialect.Array(levels), pgdialect.Array(roles), pgdialect.Array(starts), pgdialect.Array(thresholds), week).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("escalations: %w", err)
	}
	return out, nil
}

// weekMessages tells the people named and the office of the escalations
// (a person without an account through their unit's accounts, and the
// office is asked to tell them offline), the helper and the responsible
// person of a missing report, and each seat holder who fell short.
func weekMessages(ctx context.Context, tx bun.IDB, week time.Time, weeks []projectWeek, esc []raised) (int, error) {
	period := supervision.Period(week)
	var people, units []uuid.UUID
	for _, e := range esc {
		if e.PersonID != nil {
			people = append(people, *e.PersonID)
			if e.PersonUnit != nil {
				units = append(units, *e.PersonUnit)
			}
		}
	}
	for _, w := range weeks {
		for _, seat := range w.Seats {
			if seat.PersonID != nil {
				people = append(people, *seat.PersonID)
			}
		}
	}
	accounts, err := postgres.AccountsOfPeople(ctx, tx, people)
	if err != nil {
		return 0, err
	}
	unitAccounts, err := postgres.AccountsOfUnits(ctx, tx, units)
	if err != nil {
		return 0, err
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return 0, err
	}
	var msgs []postgres.Message
	weekName := week.Format("2006年1月2日") + "当周"
	for _, e := range esc {
		title := fmt.Sprintf("电视问政：%s连续%d周无实质进度", e.ProjectName, e.Weeks)
		link := "/supervision?tab=escalations"
		key := "escalation:" + e.ID.String()
		who, officeNote := e.PersonName, ""
		switch {
		case e.PersonID == nil:
			who, officeNote = "（岗位空缺，无人可问）", "请重点项目办指定责任人。"
		case supervision.Named(e.NamedAs) == supervision.NamedUnitHead:
			who += "（项目责任人岗位空缺，由单位主要负责人承担）"
		case supervision.Named(e.NamedAs) == supervision.NamedGroupLeader:
			who += "（无分包县级领导，由领导小组组长承担）"
		}
		body := fmt.Sprintf("项目“%s”截至%s已连续%d周无实质进度，按规定对%s%s进行电视问政。", e.ProjectName, weekName, e.Weeks, supervision.LevelName(e.Level), who)
		if e.PersonID != nil {
			mine := accounts[*e.PersonID]
			if len(mine) == 0 {
				officeNote = e.PersonName + "无账号，请线下通知。"
				if e.PersonUnit != nil {
					mine = unitAccounts[*e.PersonUnit]
				}
			}
			for _, a := range mine {
				msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: title, Body: body, Link: link, IdemKey: key})
			}
		}
		for _, a := range office {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: title, Body: body + officeNote, Link: link, IdemKey: key})
		}
	}
	for _, w := range weeks {
		link := "/projects/" + w.ProjectID.String()
		for _, seat := range w.Seats {
			if seat.PersonID == nil {
				continue
			}
			if w.State == reporting.StateMissing && (seat.Role == project.RoleHelper || seat.Role == project.RoleResponsible) {
				for _, a := range accounts[*seat.PersonID] {
					msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgReportMissing, Title: "周报缺报：" + w.ProjectName,
						Body: fmt.Sprintf("项目“%s”%s周报未按时报送，记为无实质进度。", w.ProjectName, weekName),
						Link: link, IdemKey: "missing:" + w.ProjectID.String() + ":" + period})
				}
			}
			if !seat.Met() {
				unit := "次"
				if seat.Role == project.RoleHelper {
					unit = "天"
				}
				for _, a := range accounts[*seat.PersonID] {
					msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgVisitShortfall, Title: "到场不足：" + w.ProjectName,
						Body: fmt.Sprintf("%s您在项目“%s”到场%d%s，应不少于%d%s。", weekName, w.ProjectName, seat.Done, unit, seat.Required, unit),
						Link: link, IdemKey: "shortfall:" + w.ProjectID.String() + ":" + string(seat.Role) + ":" + period})
				}
			}
		}
	}
	return postgres.Notify(ctx, tx, msgs)
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
		WHERE w.week_start = ? AND w.stalled ORDER BY w.streak DESC, p.code`, latest).Scan(ctx, &d.Stalled); err != nil {
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
