package reportingdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/settings"
)

// CompletedInvestment is each project's completed investment in year up to
// and including through (see reporting.CompletedInvestment), read from the
// counted weekly reports and the months the Statistics Bureau verified.
// Every project asked for has an entry.
func CompletedInvestment(ctx context.Context, tx bun.IDB, projects []uuid.UUID, year int, through time.Time) (map[uuid.UUID]reporting.Investment, error) {
	out := map[uuid.UUID]reporting.Investment{}
	if len(projects) == 0 {
		return out, nil
	}
	statuses := make([]string, len(reporting.InvestmentStatuses))
	for i, s := range reporting.InvestmentStatuses {
		statuses[i] = string(s)
	}
	var weeks []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		Week      time.Time `bun:"week_start,type:date"`
		Yuan      int64     `bun:"investment_yuan"`
	}
	// Weeks whose Sunday is in the year, up to through.
	first := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -6)
	if err := tx.NewRaw(`SELECT project_id, week_start, investment_yuan FROM weekly_reports
		WHERE project_id IN (?) AND status IN (?) AND week_start BETWEEN ? AND ?`,
		bun.List(projects), bun.List(statuses), first, through.AddDate(0, 0, -6)).Scan(ctx, &weeks); err != nil {
		return nil, err
	}
	var months []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		Month     int       `bun:"month"`
		Yuan      int64     `bun:"investment_yuan"`
	}
	if err := tx.NewRaw(`SELECT project_id, month, investment_yuan FROM monthly_figures
		WHERE project_id IN (?) AND year = ? AND verified_at IS NOT NULL`, bun.List(projects), year).Scan(ctx, &months); err != nil {
		return nil, err
	}
	amounts := map[uuid.UUID][]reporting.WeekAmount{}
	for _, w := range weeks {
		amounts[w.ProjectID] = append(amounts[w.ProjectID], reporting.WeekAmount{Week: w.Week, Yuan: w.Yuan})
	}
	verified := map[uuid.UUID]map[time.Month]int64{}
	for _, m := range months {
		if verified[m.ProjectID] == nil {
			verified[m.ProjectID] = map[time.Month]int64{}
		}
		verified[m.ProjectID][time.Month(m.Month)] = m.Yuan
	}
	for _, p := range projects {
		out[p] = reporting.CompletedInvestment(year, through, amounts[p], verified[p])
	}
	return out, nil
}

// Seat is one task-force seat of a project in a week (M2.2): its holder on
// the week's last day, the weekly minimum and what was done.
type Seat struct {
	Role       project.Role `json:"role"`
	PersonID   *uuid.UUID   `json:"person_id"`
	PersonName string       `json:"person_name"`
	Required   int          `json:"required"`
	Done       int          `json:"done"`
}

// Met says whether the seat is held and its minimum met.
func (s Seat) Met() bool { return s.PersonID != nil && reporting.SeatMet(s.Required, s.Done) }

// SeatCompliance is every seat of each of projects in a week under the
// settings s in force that week: the holder on the week's last day and the
// days of the week they made a verified visit in that seat (a day counts
// once, however many check-ins it has: M2.2 asks for presence on site).
func SeatCompliance(ctx context.Context, tx bun.IDB, week time.Time, projects []uuid.UUID, s settings.Settings) (map[uuid.UUID][]Seat, error) {
	out := map[uuid.UUID][]Seat{}
	if len(projects) == 0 {
		return out, nil
	}
	end := week.AddDate(0, 0, 6)
	var holders []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		Role      string    `bun:"role"`
		PersonID  uuid.UUID `bun:"person_id"`
		Name      string    `bun:"name"`
	}
	if err := tx.NewRaw(`SELECT a.project_id, a.role, a.person_id, pe.name FROM task_force_assignments a
		JOIN people pe ON pe.id = a.person_id
		WHERE a.project_id IN (?0) AND a.valid_from <= ?1::date AND (a.valid_to IS NULL OR a.valid_to > ?1::date)`,
		bun.List(projects), end).Scan(ctx, &holders); err != nil {
		return nil, err
	}
	var counts []struct {
		ProjectID uuid.UUID `bun:"project_id"`
		PersonID  uuid.UUID `bun:"person_id"`
		Role      string    `bun:"role"`
		Days      int       `bun:"days"`
	}
	if err := tx.NewRaw(`SELECT project_id, person_id, role,
		  count(DISTINCT (visited_at AT TIME ZONE 'Asia/Shanghai')::date) AS days
		FROM site_visits WHERE week_start = ? AND verified AND project_id IN (?)
		GROUP BY project_id, person_id, role`, week, bun.List(projects)).Scan(ctx, &counts); err != nil {
		return nil, err
	}
	type seatKey struct {
		project uuid.UUID
		role    string
	}
	held := map[seatKey]int{}
	for i, h := range holders {
		held[seatKey{h.ProjectID, h.Role}] = i
	}
	type visitKey struct {
		project, person uuid.UUID
		role            string
	}
	done := map[visitKey]int{}
	for _, c := range counts {
		done[visitKey{c.ProjectID, c.PersonID, c.Role}] = c.Days
	}
	for _, p := range projects {
		seats := make([]Seat, 0, len(project.Roles))
		for _, role := range project.Roles {
			seat := Seat{Role: role, Required: reporting.Minimum(role, s)}
			if i, ok := held[seatKey{p, string(role)}]; ok {
				h := holders[i]
				id := h.PersonID
				seat.PersonID, seat.PersonName = &id, h.Name
				seat.Done = done[visitKey{p, h.PersonID, string(role)}]
			}
			seats = append(seats, seat)
		}
		out[p] = seats
	}
	return out, nil
}
