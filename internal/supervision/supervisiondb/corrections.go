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
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/supervision"
)

// WeekCorrection is one change made to a closed week after it closed, kept
// in the week's job result.
type WeekCorrection struct {
	At        time.Time  `json:"at"`
	ProjectID uuid.UUID  `json:"project_id"`
	Reason    string     `json:"reason"`
	Progress  bool       `json:"progress"`
	Streak    int        `json:"streak"`
	By        *uuid.UUID `json:"by,omitempty"`
}

// Correction is what re-closing a project's weeks changed.
type Correction struct {
	// Weeks are the closed weeks whose judgement of the project changed,
	// oldest first ("YYYY-MM-DD").
	Weeks []string `json:"weeks"`
	// Withdrawn are the escalations whose streak no longer holds; Kept are
	// those it no longer holds for that were already held or waived (they
	// stand as history and the office is told).
	Withdrawn []uuid.UUID `json:"withdrawn"`
	Kept      []uuid.UUID `json:"kept"`
	Raised    []uuid.UUID `json:"raised"`
	// Flagged are the issued bulletins covering those weeks, now marked as
	// needing a correction.
	Flagged  []uuid.UUID `json:"flagged_bulletins"`
	Messages int         `json:"messages"`
}

// Changed says whether anything was re-judged.
func (c Correction) Changed() bool { return len(c.Weeks) > 0 }

type storedWeek struct {
	Progress   bool `bun:"progress"`
	Overridden bool `bun:"overridden"`
	Streak     int  `bun:"streak"`
	Stalled    bool `bun:"stalled"`
}

func readStoredWeek(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time) (*storedWeek, error) {
	var rows []storedWeek
	if err := tx.NewRaw("SELECT progress, overridden, streak, stalled FROM week_status WHERE project_id = ? AND week_start = ?", projectID, week).
		Scan(ctx, &rows); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// CorrectWeeks closes a project's week again after the office decided its
// substantive progress anew (an override), with every later closed week
// whose streak depends on it. The overridden week takes the decision; each
// later week keeps what it closed on (its report state, progress and site
// presence as they were then) and only its streak and "stalled" follow,
// until a week's streak comes out as stored. An escalation raised in those
// weeks whose streak no longer holds is withdrawn with the reason (never
// deleted; one already held or waived stands, and the office is asked to
// check it); a streak that now reaches a threshold is raised; each week's
// job result is updated and lists the correction; the issued bulletins that
// cover the changed weeks and list the project are flagged as needing a
// correction. A week not yet closed, or a decision that agrees with what
// the week closed on, changes nothing here.
func CorrectWeeks(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time, reason string, by *uuid.UUID, now time.Time) (Correction, error) {
	out := Correction{Weeks: []string{}, Withdrawn: []uuid.UUID{}, Kept: []uuid.UUID{}, Raised: []uuid.UUID{}, Flagged: []uuid.UUID{}}
	closed, _, err := postgres.LockJob(ctx, tx, supervision.JobWeekClose, supervision.Period(week))
	if err != nil || !closed {
		return out, err
	}
	stored, err := readStoredWeek(ctx, tx, projectID, week)
	if err != nil || stored == nil {
		return out, err // not listed that week: nothing was closed for it
	}
	rep, err := reportingdb.GetReport(ctx, tx, projectID, week)
	if err != nil {
		return out, err
	}
	f := rep.Facts()
	decided, overridden := reporting.Progress(f), f.Submitted() && f.OverrideProgress != nil
	if decided == stored.Progress {
		if overridden != stored.Overridden {
			_, err = tx.ExecContext(ctx, "UPDATE week_status SET overridden = ? WHERE project_id = ? AND week_start = ?", overridden, projectID, week)
		}
		return out, err
	}
	prev, err := readStoredWeek(ctx, tx, projectID, week.AddDate(0, 0, -7))
	if err != nil {
		return out, err
	}
	streak := 0
	if prev != nil {
		streak = prev.Streak
	}
	type rejudged struct {
		week time.Time
		pw   projectWeek
	}
	var changed []rejudged
	for w := week; ; w = w.AddDate(0, 0, 7) {
		if !w.Equal(week) {
			closed, _, err := postgres.LockJob(ctx, tx, supervision.JobWeekClose, supervision.Period(w))
			if err != nil {
				return out, err
			}
			if !closed {
				break
			}
			if stored, err = readStoredWeek(ctx, tx, projectID, w); err != nil {
				return out, err
			}
			if stored == nil {
				break // not listed that week: no streak runs through it
			}
		}
		rules, err := postgres.SettingsOn(ctx, tx, w)
		if err != nil {
			return out, err
		}
		pw := projectWeek{ProjectID: projectID, Progress: stored.Progress, Overridden: stored.Overridden}
		if w.Equal(week) {
			pw.Progress, pw.Overridden = decided, overridden
		}
		pw.Streak = supervision.NextStreak(streak, pw.Progress)
		pw.Stalled = supervision.Stalled(pw.Streak, rules.Values)
		if !w.Equal(week) && pw.Streak == stored.Streak && pw.Stalled == stored.Stalled {
			break // from here on the streak is as stored
		}
		if _, err := tx.ExecContext(ctx, `UPDATE week_status SET progress = ?, overridden = ?, streak = ?, stalled = ?
			WHERE project_id = ? AND week_start = ?`, pw.Progress, pw.Overridden, pw.Streak, pw.Stalled, projectID, w); err != nil {
			return out, fmt.Errorf("week status: %w", err)
		}
		changed = append(changed, rejudged{w, pw})
		streak = pw.Streak
	}
	first, last := changed[0].week, changed[len(changed)-1].week
	// Escalations raised in the changed weeks whose streak no longer holds:
	// it must still reach the threshold at the week it was raised and cover
	// the weeks it was raised for.
	var held []Escalation
	if err := tx.NewSelect().Model(&held).Where("es.project_id = ? AND es.raised_week BETWEEN ? AND ? AND es.status <> 'withdrawn'", projectID, first, last).
		Scan(ctx); err != nil {
		return out, err
	}
	streakAt := map[string]int{}
	for _, c := range changed {
		streakAt[supervision.Period(c.week)] = c.pw.Streak
	}
	why := "所依据的周次实质进度认定已更正：" + reason
	var withdrawn []Escalation
	for _, e := range held {
		n := streakAt[supervision.Period(e.RaisedWeek)]
		if n >= e.Weeks && !supervision.StreakStart(e.RaisedWeek, n).After(e.StreakStart) {
			continue // the streak still holds
		}
		if e.Status == "done" || e.Status == "waived" {
			out.Kept = append(out.Kept, e.ID)
			continue
		}
		res, err := tx.NewUpdate().Model((*Escalation)(nil)).
			Set("status = 'withdrawn', withdrawn_at = ?, withdrawn_reason = ?, version = version + 1, updated_at = ?", now, truncate(why, 1000), now).
			Where("es.id = ? AND es.version = ?", e.ID, e.Version).Exec(ctx)
		if err != nil {
			return out, postgres.MapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return out, errVersionConflict
		}
		if err := postgres.Audit(ctx, tx, audit.Entry{Action: "escalation.withdrawn", EntityType: "escalation", EntityID: e.ID.String(),
			Before: escalationView(e), After: map[string]any{"status": "withdrawn", "reason": why, "version": e.Version + 1}}); err != nil {
			return out, err
		}
		out.Withdrawn = append(out.Withdrawn, e.ID)
		withdrawn = append(withdrawn, e)
	}
	for _, c := range changed {
		rules, err := postgres.SettingsOn(ctx, tx, c.week)
		if err != nil {
			return out, err
		}
		esc, err := raiseEscalations(ctx, tx, c.week, []projectWeek{c.pw}, rules.Values)
		if err != nil {
			return out, err
		}
		if len(esc) > 0 {
			ids := make([]string, len(esc))
			for i, e := range esc {
				ids[i] = e.ID.String()
				out.Raised = append(out.Raised, e.ID)
			}
			if err := postgres.Audit(ctx, tx, audit.Entry{Action: "escalation.raise", EntityType: "week", EntityID: supervision.Period(c.week),
				After: map[string]any{"escalations": ids, "correction": why}}); err != nil {
				return out, err
			}
		}
		n, err := weekMessages(ctx, tx, c.week, nil, esc)
		if err != nil {
			return out, err
		}
		out.Messages += n
		out.Weeks = append(out.Weeks, supervision.Period(c.week))
		note, err := json.Marshal([]WeekCorrection{{At: now, ProjectID: projectID, Reason: reason, Progress: c.pw.Progress, Streak: c.pw.Streak, By: by}})
		if err != nil {
			return out, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE job_runs SET result = result || jsonb_build_object(
			  'no_progress', (SELECT count(*) FROM week_status WHERE week_start = ?0::date AND NOT progress),
			  'stalled', (SELECT count(*) FROM week_status WHERE week_start = ?0::date AND stalled),
			  'escalations', (SELECT count(*) FROM escalations WHERE raised_week = ?0::date AND status <> 'withdrawn'),
			  'corrections', coalesce(result->'corrections', '[]'::jsonb) || ?1::jsonb)
			WHERE county_id = app_county() AND job = ?2 AND period = ?3`, c.week, string(note), supervision.JobWeekClose, supervision.Period(c.week)); err != nil {
			return out, fmt.Errorf("job result: %w", err)
		}
	}
	n, err := withdrawalMessages(ctx, tx, withdrawn, out.Kept, why, first, now)
	if err != nil {
		return out, err
	}
	out.Messages += n
	flagged, err := bulletindb.FlagIssued(ctx, tx, first, last.AddDate(0, 0, 6), projectID, why, by)
	if err != nil {
		return out, err
	}
	out.Flagged = flagged
	return out, postgres.Audit(ctx, tx, audit.Entry{Action: "week.correct", EntityType: "project", EntityID: projectID.String(),
		After: map[string]any{"weeks": out.Weeks, "withdrawn": out.Withdrawn, "kept": out.Kept, "raised": out.Raised,
			"flagged_bulletins": out.Flagged, "reason": reason}})
}

// withdrawalMessages tells everyone an escalation was told to (the person
// named, through their unit's accounts when they have none, and the
// office) that it was withdrawn, and asks the office to check those that
// stand although their streak no longer holds.
func withdrawalMessages(ctx context.Context, tx bun.IDB, withdrawn []Escalation, kept []uuid.UUID, why string, first, now time.Time) (int, error) {
	if len(withdrawn) == 0 && len(kept) == 0 {
		return 0, nil
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return 0, err
	}
	ids := append([]uuid.UUID{}, kept...)
	var people []uuid.UUID
	for _, e := range withdrawn {
		ids = append(ids, e.ID)
		if e.PersonID != nil {
			people = append(people, *e.PersonID)
		}
	}
	accounts, err := postgres.AccountsOfPeople(ctx, tx, people)
	if err != nil {
		return 0, err
	}
	var names []struct {
		ID       uuid.UUID  `bun:"id"`
		Project  string     `bun:"project"`
		UnitID   *uuid.UUID `bun:"unit_id"`
		Reported string     `bun:"person"`
	}
	if err := tx.NewRaw(`SELECT es.id, p.name AS project, pp.unit_id, coalesce(pp.name, '') AS person FROM escalations es
		JOIN projects p ON p.id = es.project_id LEFT JOIN people pp ON pp.id = es.person_id WHERE es.id = ANY(?::uuid[])`,
		pgdialect.Array(ids)).Scan(ctx, &names); err != nil {
		return 0, err
	}
	type named struct {
		project, person string
		unit            *uuid.UUID
	}
	by := map[uuid.UUID]named{}
	var units []uuid.UUID
	for _, n := range names {
		by[n.ID] = named{n.Project, n.Reported, n.UnitID}
		if n.UnitID != nil {
			units = append(units, *n.UnitID)
		}
	}
	unitAccounts, err := postgres.AccountsOfUnits(ctx, tx, units)
	if err != nil {
		return 0, err
	}
	var msgs []postgres.Message
	link := "/supervision?tab=escalations"
	for _, e := range withdrawn {
		n := by[e.ID]
		title := "电视问政已撤销：" + n.project
		body := fmt.Sprintf("项目“%s”因连续%d周无实质进度提请对%s%s的电视问政已撤销。%s", n.project, e.Weeks, supervision.LevelName(e.Level), n.person, why)
		key := "withdrawn:" + e.ID.String()
		var to []uuid.UUID
		if e.PersonID != nil {
			to = accounts[*e.PersonID]
			if len(to) == 0 && n.unit != nil {
				to = unitAccounts[*n.unit]
			}
		}
		for _, a := range append(to, office...) {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: title, Body: body, Link: link, IdemKey: key})
		}
	}
	for _, id := range kept {
		n := by[id]
		key := fmt.Sprintf("basis_corrected:%s:%s:%d", id, supervision.Period(first), now.UnixNano())
		for _, a := range office {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: "问政依据已更正：" + n.project,
				Body: "项目“" + n.project + "”一条已问政（或已免于问政）的记录所依据的周次已更正，记录保留，请核对。" + why,
				Link: link, IdemKey: key})
		}
	}
	return postgres.Notify(ctx, tx, msgs)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
