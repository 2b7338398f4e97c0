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

// ComplianceRow is one seat of one project in a week: the holder, how many
// verified visits (days present, for the helper) the seat needs and has.
type ComplianceRow struct {
	ProjectID   uuid.UUID
	ProjectName string
	Role        project.Role
	PersonID    *uuid.UUID
	PersonName  string
	Required    int
	Done        int
}

// Compliance answers M2.2 for the projects on the week's key list: each seat
// of each project, its holder in the week and their verified visits.
func Compliance(ctx context.Context, tx bun.IDB, week time.Time, scope *postgres.Scope) ([]ComplianceRow, error) {
	rules, err := postgres.SettingsOn(ctx, tx, week)
	if err != nil {
		return nil, err
	}
	end := week.AddDate(0, 0, 6)
	projects, _, err := postgres.ListProjects(ctx, tx, postgres.ProjectFilter{Year: week.Year(), Scope: scope, Today: end}, postgres.Page{Limit: postgres.MaxPageSize})
	if err != nil {
		return nil, err
	}
	type count struct {
		ProjectID uuid.UUID `bun:"project_id"`
		PersonID  uuid.UUID `bun:"person_id"`
		Role      string    `bun:"role"`
		Visits    int       `bun:"visits"`
		Days      int       `bun:"days"`
	}
	var counts []count
	err = tx.NewSelect().Model((*Visit)(nil)).
		ColumnExpr("v.project_id, v.person_id, v.role, count(*) AS visits, count(DISTINCT (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date) AS days").
		Where("v.week_start = ? AND v.verified", week).GroupExpr("v.project_id, v.person_id, v.role").Scan(ctx, &counts)
	if err != nil {
		return nil, err
	}
	done := map[string]count{}
	for _, c := range counts {
		done[c.ProjectID.String()+c.PersonID.String()+c.Role] = c
	}
	var out []ComplianceRow
	for _, p := range projects {
		holders, err := postgres.TaskForceOn(ctx, tx, p.ID, end)
		if err != nil {
			return nil, err
		}
		byRole := map[project.Role]project.Assignment{}
		for _, h := range holders {
			byRole[h.Role] = h
		}
		for _, role := range project.Roles {
			row := ComplianceRow{ProjectID: p.ID, ProjectName: p.Name, Role: role, Required: reporting.Minimum(role, rules.Values)}
			if h, ok := byRole[role]; ok {
				id := h.PersonID
				row.PersonID, row.PersonName = &id, h.PersonName
				c := done[p.ID.String()+h.PersonID.String()+string(role)]
				row.Done = c.Visits
				if role == project.RoleHelper {
					row.Done = c.Days
				}
			}
			out = append(out, row)
		}
	}
	return out, nil
}
