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
	Progress bool `bun:"progress"`
	Streak   int  `bun:"streak"`
	Stalled  bool `bun:"stalled"`
}

// CorrectWeeks re-closes a project's week after its report's substantive
// progress was decided again (an override), and every later closed week
// whose streak depends on it: the project's rows are judged again in order
// until a week's streak comes out as stored. An escalation raised in those
// weeks whose streak no longer holds is withdrawn with the reason (never
// deleted; one already held or waived stands and is reported), a streak
// that now reaches a threshold is raised, each week's job result is
// updated with the correction, and the issued bulletins covering the
// changed weeks are flagged as needing a correction. A week not yet closed
// changes nothing here: its close will read the report as it is.
func CorrectWeeks(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time, reason string, by *uuid.UUID, now time.Time) (Correction, error) {
	out := Correction{Weeks: []string{}, Withdrawn: []uuid.UUID{}, Kept: []uuid.UUID{}, Raised: []uuid.UUID{}, Flagged: []uuid.UUID{}}
	type rejudged struct {
		week time.Time
		pw   projectWeek
	}
	var changed []rejudged
	for w := week; ; w = w.AddDate(0, 0, 7) {
		closed, _, err := postgres.LockJob(ctx, tx, supervision.JobWeekClose, supervision.Period(w))
		if err != nil {
			return out, err
		}
		if !closed {
			break
		}
		rules, err := postgres.SettingsOn(ctx, tx, w)
		if err != nil {
			return out, err
		}
		judged, err := judgeWeek(ctx, tx, w, rules.Values, &projectID)
		if err != nil {
			return out, err
		}
		if len(judged) == 0 {
			break // not listed that week: no streak runs through it
		}
		var stored []storedWeek
		if err := tx.NewRaw("SELECT progress, streak, stalled FROM week_status WHERE project_id = ? AND week_start = ?", projectID, w).
			Scan(ctx, &stored); err != nil {
			return out, err
		}
		pw := judged[0]
		if len(stored) == 1 && stored[0].Progress == pw.Progress && stored[0].Streak == pw.Streak && stored[0].Stalled == pw.Stalled {
			if w.Equal(week) {
				continue // the decision agrees with what the week closed on
			}
			break // from here on the streak is as stored
		}
		if err := storeWeek(ctx, tx, w, judged); err != nil {
			return out, fmt.Errorf("week status: %w", err)
		}
		changed = append(changed, rejudged{w, pw})
	}
	if len(changed) == 0 {
		return out, nil
	}
	first, last := changed[0].week, changed[len(changed)-1].week
	// Escalations raised in the changed weeks whose streak no longer holds.
	var held []Escalation
	if err := tx.NewSelect().Model(&held).Where("es.project_id = ? AND es.raised_week BETWEEN ? AND ? AND es.status <> 'withdrawn'", projectID, first, last).
		Scan(ctx); err != nil {
		return out, err
	}
	streakAt := map[time.Time]int{}
	for _, c := range changed {
		streakAt[c.week] = c.pw.Streak
	}
	why := "所依据的周次实质进度认定已更正：" + reason
	var withdrawn []Escalation
	for _, e := range held {
		n := streakAt[e.RaisedWeek]
		if n >= e.Weeks && supervision.StreakStart(e.RaisedWeek, n).Equal(e.StreakStart) {
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
		out.Withdrawn = append(out.Withdrawn, e.ID)
		withdrawn = append(withdrawn, e)
	}
	var raisedAll []raised
	for _, c := range changed {
		rules, err := postgres.SettingsOn(ctx, tx, c.week)
		if err != nil {
			return out, err
		}
		esc, err := raiseEscalations(ctx, tx, c.week, []projectWeek{c.pw}, rules.Values)
		if err != nil {
			return out, err
		}
		for _, e := range esc {
			out.Raised = append(out.Raised, e.ID)
		}
		raisedAll = append(raisedAll, esc...)
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
	n, err := withdrawalMessages(ctx, tx, withdrawn, out.Kept, why)
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

// withdrawalMessages tells the people named and the office that an
// escalation was withdrawn, and the office of those that stand although
// their streak no longer holds.
func withdrawalMessages(ctx context.Context, tx bun.IDB, withdrawn []Escalation, kept []uuid.UUID, why string) (int, error) {
	if len(withdrawn) == 0 && len(kept) == 0 {
		return 0, nil
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return 0, err
	}
	var people []uuid.UUID
	for _, e := range withdrawn {
		if e.PersonID != nil {
			people = append(people, *e.PersonID)
		}
	}
	accounts, err := postgres.AccountsOfPeople(ctx, tx, people)
	if err != nil {
		return 0, err
	}
	var names []struct {
		ID   uuid.UUID `bun:"id"`
		Name string    `bun:"name"`
	}
	ids := append([]uuid.UUID{}, kept...)
	for _, e := range withdrawn {
		ids = append(ids, e.ID)
	}
	if err := tx.NewRaw(`SELECT es.id, p.name FROM escalations es JOIN projects p ON p.id = es.project_id WHERE es.id = ANY(?::uuid[])`,
		pgdialect.Array(ids)).Scan(ctx, &names); err != nil {
		return 0, err
	}
	project := map[uuid.UUID]string{}
	for _, n := range names {
		project[n.ID] = n.Name
	}
	var msgs []postgres.Message
	link := "/supervision?tab=escalations"
	for _, e := range withdrawn {
		title := "电视问政已撤销：" + project[e.ID]
		body := fmt.Sprintf("项目“%s”因连续%d周无实质进度提请的%s电视问政已撤销。%s", project[e.ID], e.Weeks, supervision.LevelName(e.Level), why)
		key := "withdrawn:" + e.ID.String()
		if e.PersonID != nil {
			for _, a := range accounts[*e.PersonID] {
				msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: title, Body: body, Link: link, IdemKey: key})
			}
		}
		for _, a := range office {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: title, Body: body, Link: link, IdemKey: key})
		}
	}
	for _, id := range kept {
		for _, a := range office {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgEscalation, Title: "问政依据已更正：" + project[id],
				Body: "项目“" + project[id] + "”的一条已问政（或已免于问政）记录所依据的周次已更正，记录保留，请核对。" + why,
				Link: link, IdemKey: "basis_corrected:" + id.String()})
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
