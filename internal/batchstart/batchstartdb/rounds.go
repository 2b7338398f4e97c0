// Package batchstartdb stores batch ground-breaking rounds (internal/batchstart
// has the rules): the projects of a round from the ledger, the ceremony as
// the office records it, and the units' reasons.
package batchstartdb

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/batchstart"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Ceremony is a round's ceremony as recorded.
type Ceremony struct {
	bun.BaseModel `bun:"table:batch_start_rounds,alias:bsr"`
	ID            uuid.UUID   `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID   `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	WindowFrom    time.Time   `bun:"window_from,type:date"`
	WindowTo      time.Time   `bun:"window_to,type:date"`
	CeremonyOn    time.Time   `bun:"ceremony_on,type:date"`
	Place         string      `bun:"place"`
	Note          string      `bun:"note"`
	Present       []uuid.UUID `bun:"present,type:uuid[],array"`
	RecordedBy    *uuid.UUID  `bun:"recorded_by,type:uuid"`
	Version       int         `bun:"version"`
	UpdatedAt     time.Time   `bun:"updated_at,nullzero,default:now()"`
}

// Round is a round's projects and figures on a day, with its ceremony.
type Round struct {
	Figures  batchstart.Figures
	IDs      []uuid.UUID // the projects' ids, in Figures.Projects' order
	Ceremony *Ceremony
}

// GetRound reads window w's round as it stands on asOf: the projects
// listed in the window's year whose planned start falls in it (the
// ledger's rule, project_planned_start), each started or not by asOf
// (project_started), the reasons and the ceremony.
func GetRound(ctx context.Context, tx bun.IDB, w batchstart.Window, asOf time.Time) (Round, error) {
	var out Round
	var rows []struct {
		ID           uuid.UUID  `bun:"id"`
		Code         string     `bun:"code"`
		Name         string     `bun:"name"`
		Unit         string     `bun:"unit"`
		PlannedStart time.Time  `bun:"planned_start"`
		StartedOn    *time.Time `bun:"started_on"`
		Started      bool       `bun:"started"`
		Reason       string     `bun:"reason"`
	}
	yearEnd := time.Date(w.From.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
	if err := tx.NewRaw(`SELECT p.id, p.code, p.name, u.name AS unit, ps.planned_start,
		  CASE WHEN project_started_on(p.id) <= ?2 THEN project_started_on(p.id) END AS started_on,
		  project_started(p.id, ?2) AS started, coalesce(r.reason, '') AS reason
		FROM listed_projects(?0, ?3) l JOIN projects p ON p.id = l.project_id JOIN units u ON u.id = p.responsible_unit_id
		CROSS JOIN LATERAL (SELECT project_planned_start(p.id) AS planned_start) ps
		LEFT JOIN batch_start_reasons r ON r.window_from = ?0 AND r.project_id = p.id
		WHERE ps.planned_start BETWEEN ?0 AND ?1
		ORDER BY ps.planned_start, p.code`, w.From, w.To, asOf, yearEnd).Scan(ctx, &rows); err != nil {
		return out, err
	}
	var cer []Ceremony
	if err := tx.NewSelect().Model(&cer).Where("bsr.window_from = ?", w.From).Scan(ctx); err != nil {
		return out, err
	}
	present := map[uuid.UUID]bool{}
	if len(cer) == 1 {
		out.Ceremony = &cer[0]
		for _, id := range cer[0].Present {
			present[id] = true
		}
	}
	ps := make([]batchstart.Project, len(rows))
	byCode := map[string]uuid.UUID{}
	for i, r := range rows {
		ps[i] = batchstart.Project{Code: r.Code, Name: r.Name, Unit: r.Unit, PlannedStart: r.PlannedStart, StartedOn: r.StartedOn,
			Started: r.Started, Reason: r.Reason, Present: present[r.ID]}
		byCode[r.Code] = r.ID
	}
	out.Figures = batchstart.Count(w, ps)
	for _, p := range out.Figures.Projects {
		out.IDs = append(out.IDs, byCode[p.Code])
	}
	return out, nil
}

// CeremonyInput is the office's record of a round's ceremony.
type CeremonyInput struct {
	CeremonyOn time.Time
	Place      string
	Note       string
	Present    []uuid.UUID
	Version    int // 0 for the first record
}

// RecordCeremony records (or corrects) a round's ceremony (audited); the
// projects present must be the round's.
func RecordCeremony(ctx context.Context, tx bun.IDB, w batchstart.Window, in CeremonyInput, by uuid.UUID, now time.Time) (Ceremony, error) {
	var v errs.Validation
	if in.CeremonyOn.IsZero() {
		v.Add("ceremony_on", "required", "请填写开工仪式日期", "the ceremony's date is required")
	} else if in.CeremonyOn.Year() != w.From.Year() {
		v.Add("ceremony_on", "out_of_range", "开工仪式日期须在本轮所在年度内", "the ceremony must be in the round's year")
	}
	if len([]rune(in.Place)) > 100 {
		v.Add("place", "too_long", "地点不能超过100字", "the place is at most 100 characters")
	}
	if len([]rune(in.Note)) > 1000 {
		v.Add("note", "too_long", "说明不能超过1000字", "the note is at most 1000 characters")
	}
	round, err := GetRound(ctx, tx, w, now)
	if err != nil {
		return Ceremony{}, err
	}
	ofRound := map[uuid.UUID]bool{}
	for _, id := range round.IDs {
		ofRound[id] = true
	}
	for _, id := range in.Present {
		if !ofRound[id] {
			v.Add("present", "not_in_round", "到场项目须为本轮计划开工的项目", "projects present must be the round's")
			break
		}
	}
	if err := v.Err(); err != nil {
		return Ceremony{}, err
	}
	c := Ceremony{ID: uuid.New(), WindowFrom: w.From, WindowTo: w.To, CeremonyOn: in.CeremonyOn, Place: strings.TrimSpace(in.Place),
		Note: strings.TrimSpace(in.Note), Present: append([]uuid.UUID{}, in.Present...), RecordedBy: &by, Version: 1, UpdatedAt: now}
	var before any
	if round.Ceremony == nil {
		if in.Version != 0 {
			return c, errs.ErrVersionConflict
		}
		if _, err := tx.NewInsert().Model(&c).Exec(ctx); err != nil {
			return c, postgres.MapErr(err)
		}
	} else {
		before = map[string]any{"ceremony_on": round.Ceremony.CeremonyOn.Format(time.DateOnly), "place": round.Ceremony.Place, "present": round.Ceremony.Present}
		res, err := tx.NewUpdate().Model((*Ceremony)(nil)).Set("ceremony_on = ?, place = ?, note = ?, present = ?, recorded_by = ?, version = version + 1, updated_at = ?",
			c.CeremonyOn, c.Place, c.Note, pgdialect.Array(c.Present), by, now).Where("window_from = ? AND version = ?", w.From, in.Version).Exec(ctx)
		if err != nil {
			return c, postgres.MapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return c, errs.ErrVersionConflict
		}
	}
	var saved Ceremony
	if err := tx.NewSelect().Model(&saved).Where("bsr.window_from = ?", w.From).Scan(ctx); err != nil {
		return saved, err
	}
	return saved, postgres.Audit(ctx, tx, audit.Entry{Action: "batch_start.ceremony", EntityType: "batch_start", EntityID: w.From.Format(time.DateOnly), Before: before,
		After: map[string]any{"ceremony_on": c.CeremonyOn.Format(time.DateOnly), "place": c.Place, "present": c.Present}})
}

// RecordReason keeps a unit's reason why a project of the round has not
// started (audited). onlyUnit, for a unit's account, limits it to the
// unit's projects.
func RecordReason(ctx context.Context, tx bun.IDB, w batchstart.Window, project uuid.UUID, reason string, onlyUnit *uuid.UUID, by uuid.UUID, now time.Time) error {
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n < 2 || n > 500 {
		var v errs.Validation
		v.Add("reason", "invalid_length", "原因须为2至500字", "the reason is 2 to 500 characters")
		return v.Err()
	}
	round, err := GetRound(ctx, tx, w, now)
	if err != nil {
		return err
	}
	var p *batchstart.Project
	for i, id := range round.IDs {
		if id == project {
			p = &round.Figures.Projects[i]
		}
	}
	var unit uuid.UUID
	if p != nil {
		if err := tx.NewRaw("SELECT responsible_unit_id FROM projects WHERE id = ?", project).Scan(ctx, &unit); err != nil {
			return err
		}
	}
	if p == nil || (onlyUnit != nil && unit != *onlyUnit) {
		return errs.E(errs.NotFound, "project_not_in_round", "该项目不在本轮集中开工计划中", "the project is not in this round")
	}
	if p.Timing != batchstart.NotStarted {
		return errs.E(errs.Conflict, "project_started", "该项目已开工，无需填写未开工原因", "the project has started: no reason is needed")
	}
	if _, err := tx.NewRaw(`INSERT INTO batch_start_reasons (window_from, project_id, reason, recorded_by, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (county_id, window_from, project_id) DO UPDATE SET reason = EXCLUDED.reason, recorded_by = EXCLUDED.recorded_by, updated_at = EXCLUDED.updated_at
		RETURNING project_id`, w.From, project, reason, by, now).Exec(ctx); err != nil {
		return postgres.MapErr(err)
	}
	return postgres.Audit(ctx, tx, audit.Entry{Action: "batch_start.reason", EntityType: "project", EntityID: project.String(),
		Before: map[string]any{"reason": p.Reason}, After: map[string]any{"window": w.From.Format(time.DateOnly), "reason": reason}})
}
