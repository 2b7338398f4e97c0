package assessmentdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Tracks are each responsible unit's lead on 时序进度 at the end of every
// month of year up to month (the bulletins' figures) and its escalations
// in the year.
func Tracks(ctx context.Context, tx bun.IDB, year, month int) ([]assessment.UnitTrack, error) {
	byName := map[string]*assessment.UnitTrack{}
	var order []string
	var units []struct {
		ID   uuid.UUID `bun:"id"`
		Name string    `bun:"name"`
	}
	if err := tx.NewRaw("SELECT id, name FROM units WHERE kind <> 'enterprise' ORDER BY code, name").Scan(ctx, &units); err != nil {
		return nil, err
	}
	for _, u := range units {
		byName[u.Name] = &assessment.UnitTrack{UnitID: u.ID.String(), Name: u.Name, Months: []assessment.MonthLead{}}
		order = append(order, u.Name)
	}
	for m := 1; m <= month; m++ {
		p, err := bulletin.ParsePeriod("month", fmt.Sprintf("%d-%02d", year, m))
		if err != nil {
			return nil, err
		}
		in, err := bulletindb.BulletinInputs(ctx, tx, "weekly", p)
		if err != nil {
			return nil, err
		}
		leads := map[string]string{}
		for _, u := range bulletin.Compute(in).ByUnit {
			leads[u.Name] = u.Lead
		}
		for _, name := range order {
			byName[name].Months = append(byName[name].Months, assessment.MonthLead{Month: p.Value(), Lead: leads[name]})
		}
	}
	var esc []struct {
		Name string `bun:"name"`
		N    int    `bun:"n"`
	}
	if err := tx.NewRaw(`SELECT u.name, count(*) AS n FROM escalations x JOIN projects p ON p.id = x.project_id JOIN units u ON u.id = p.responsible_unit_id
		WHERE x.status <> 'withdrawn' AND extract(year FROM x.raised_week) = ? GROUP BY u.name`, year).Scan(ctx, &esc); err != nil {
		return nil, err
	}
	for _, e := range esc {
		if t := byName[e.Name]; t != nil {
			t.Escalations = e.N
		}
	}
	out := make([]assessment.UnitTrack, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out, nil
}

// Decision is the office's decision on a proposal.
type Decision struct {
	bun.BaseModel `bun:"table:accountability_decisions,alias:ad"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Year          int       `bun:"year"`
	UnitID        uuid.UUID `bun:"unit_id,type:uuid"`
	Refer         bool      `bun:"refer"`
	Evidence      string    `bun:"evidence"`
	Reason        string    `bun:"reason"`
	DecidedBy     uuid.UUID `bun:"decided_by,type:uuid"`
	DecidedAt     time.Time `bun:"decided_at"`
}

// Decisions are a year's decisions.
func Decisions(ctx context.Context, tx bun.IDB, year int) ([]Decision, error) {
	out := []Decision{}
	err := tx.NewSelect().Model(&out).Where("ad.year = ?", year).Scan(ctx)
	return out, err
}

// Decide records (or revises) the office's decision on a unit, with its
// reason and the evidence as proposed (audited, the earlier one kept there).
func Decide(ctx context.Context, tx bun.IDB, year int, unit uuid.UUID, refer bool, evidence, reason string, by uuid.UUID, now time.Time) (Decision, error) {
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n < 4 || n > 1000 {
		var v errs.Validation
		v.Add("reason", "reason_required", "须写明理由（4至1000字）", "a reason of 4 to 1000 characters is required")
		return Decision{}, v.Err()
	}
	var before []Decision
	if err := tx.NewSelect().Model(&before).Where("ad.year = ? AND ad.unit_id = ?", year, unit).Scan(ctx); err != nil {
		return Decision{}, err
	}
	d := Decision{Year: year, UnitID: unit, Refer: refer, Evidence: evidence, Reason: reason, DecidedBy: by, DecidedAt: now}
	if _, err := tx.NewInsert().Model(&d).On("CONFLICT (county_id, year, unit_id) DO UPDATE").
		Set("refer = EXCLUDED.refer, evidence = EXCLUDED.evidence, reason = EXCLUDED.reason, decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at").Exec(ctx); err != nil {
		return d, postgres.MapErr(err)
	}
	var prior any
	if len(before) == 1 {
		prior = map[string]any{"refer": before[0].Refer, "reason": before[0].Reason}
	}
	return d, postgres.Audit(ctx, tx, audit.Entry{Action: "accountability.decide", EntityType: "unit", EntityID: unit.String(), Before: prior,
		After: map[string]any{"year": year, "refer": refer, "reason": reason, "evidence": evidence}})
}
