package reportingdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/reporting"
)

// Visit is a task-force member's check-in at a site.
type Visit struct {
	bun.BaseModel `bun:"table:site_visits,alias:v"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID     uuid.UUID `bun:"project_id,type:uuid"`
	PersonID      uuid.UUID `bun:"person_id,type:uuid"`
	Role          string    `bun:"role"`
	VisitedAt     time.Time `bun:"visited_at"`
	RecordedAt    time.Time `bun:"recorded_at"`
	WeekStart     time.Time `bun:"week_start,type:date"`
	Latitude      float64   `bun:"latitude,type:numeric"`
	Longitude     float64   `bun:"longitude,type:numeric"`
	AccuracyM     *int      `bun:"accuracy_m"`
	DistanceM     *int      `bun:"distance_m"`
	Verified      bool      `bun:"verified"`
	Reason        string    `bun:"reason"`
	Note          string    `bun:"note"`
	PersonName    string    `bun:"person_name,scanonly"`
}

// RecordVisit checks a visit against the project's location, the county's
// radius and its week, and stores it with the verdict (audited).
func RecordVisit(ctx context.Context, tx bun.IDB, p project.Project, v Visit) (Visit, error) {
	rules, err := postgres.SettingsOn(ctx, tx, reporting.WeekStart(v.VisitedAt))
	if err != nil {
		return Visit{}, err
	}
	c := reporting.CheckVisit(p, v.Latitude, v.Longitude, v.VisitedAt, v.RecordedAt, rules.Values)
	v.ID, v.ProjectID, v.WeekStart, v.DistanceM, v.Verified, v.Reason = uuid.New(), p.ID, c.Week, c.DistanceM, c.Verified, c.Reason
	if _, err := tx.NewInsert().Model(&v).Exec(ctx); err != nil {
		return Visit{}, postgres.MapErr(err)
	}
	return v, postgres.Audit(ctx, tx, audit.Entry{Action: "visit.record", EntityType: "project", EntityID: p.ID.String(), After: v})
}

// ListVisits lists a project's visits of a week, newest first.
func ListVisits(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time) ([]Visit, error) {
	out := []Visit{}
	return out, tx.NewSelect().Model(&out).ColumnExpr("v.*, pe.name AS person_name").Join("JOIN people pe ON pe.id = v.person_id").
		Where("v.project_id = ? AND v.week_start = ?", projectID, week).OrderExpr("v.visited_at DESC").Scan(ctx)
}

// ComplianceRow is one seat of one listed project in a week.
type ComplianceRow struct {
	ProjectID   uuid.UUID
	ProjectCode string
	ProjectName string
	Seat
}

// Compliance answers M2.2 for a page of the projects listed in the week
// (within scope, by code): each seat, its holder on the week's last day and
// their verified visits against the minimum (SeatCompliance). next is the
// cursor of the following page.
func Compliance(ctx context.Context, tx bun.IDB, week time.Time, scope *postgres.Scope, page postgres.Page) ([]ComplianceRow, string, error) {
	rules, err := postgres.SettingsOn(ctx, tx, week)
	if err != nil {
		return nil, "", err
	}
	end := week.AddDate(0, 0, 6)
	projects, next, err := ListedPage(ctx, tx, week, end, scope, end, page)
	if err != nil {
		return nil, "", err
	}
	ids := make([]uuid.UUID, len(projects))
	for i, p := range projects {
		ids[i] = p.ProjectID
	}
	seats, err := SeatCompliance(ctx, tx, week, ids, rules.Values)
	if err != nil {
		return nil, "", err
	}
	out := []ComplianceRow{}
	for _, p := range projects {
		for _, seat := range seats[p.ProjectID] {
			out = append(out, ComplianceRow{ProjectID: p.ProjectID, ProjectCode: p.Code, ProjectName: p.Name, Seat: seat})
		}
	}
	return out, next, nil
}
