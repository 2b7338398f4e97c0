package reportingdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/postgres"
)

// ListedSQL selects the projects listed on any day of a period: the SQL
// function listed_projects(from, to) of migration 0010, the one definition
// of "listed" (M1.8). Callers join it; its two arguments are dates.
const ListedSQL = "listed_projects(?::date, ?::date)"

// Listed is a project on the key list during a period, with its listing.
type Listed struct {
	ProjectID             uuid.UUID  `bun:"project_id"`
	EntryID               uuid.UUID  `bun:"entry_id"`
	Year                  int        `bun:"year"`
	PlannedInvestmentYuan int64      `bun:"planned_investment_yuan"`
	AddedOn               time.Time  `bun:"added_on,type:date"`
	RemovedOn             *time.Time `bun:"removed_on,type:date"`
	BaselineImagePercent  *int       `bun:"baseline_image_percent"`
}

// ListedIn lists every project listed on any day of [from, to].
func ListedIn(ctx context.Context, tx bun.IDB, from, to time.Time) ([]Listed, error) {
	out := []Listed{}
	err := tx.NewRaw("SELECT * FROM "+ListedSQL+" ORDER BY project_id", from, to).Scan(ctx, &out)
	return out, err
}

// ListingOf is the listing of a project during [from, to], or nil when the
// project was not listed then.
func ListingOf(ctx context.Context, tx bun.IDB, projectID uuid.UUID, from, to time.Time) (*Listed, error) {
	var out []Listed
	if err := tx.NewRaw("SELECT * FROM "+ListedSQL+" WHERE project_id = ?", from, to, projectID).Scan(ctx, &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// ListedProject is a listed project with what lists show of it.
type ListedProject struct {
	Listed
	Code     string    `bun:"code"`
	Name     string    `bun:"name"`
	UnitID   uuid.UUID `bun:"responsible_unit_id"`
	UnitName string    `bun:"unit_name"`
}

// ListedPage is a page of the projects listed on any day of [from, to]
// that scope lets the caller see, by code; next is the cursor of the
// following page ("" on the last).
func ListedPage(ctx context.Context, tx bun.IDB, from, to time.Time, scope *postgres.Scope, today time.Time, page postgres.Page) ([]ListedProject, string, error) {
	page, err := page.Normalize()
	if err != nil {
		return nil, "", err
	}
	var cur struct {
		Code string
		ID   uuid.UUID
	}
	q := tx.NewSelect().TableExpr(ListedSQL+" AS l", from, to).
		ColumnExpr("l.*, p.code, p.name, p.responsible_unit_id, u.name AS unit_name").
		Join("JOIN projects AS p ON p.id = l.project_id").Join("JOIN units AS u ON u.id = p.responsible_unit_id").
		OrderExpr("p.code, p.id").Limit(int64(page.Limit + 1))
	if ok, err := postgres.DecodeCursor(page.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("(p.code, p.id) > (?, ?)", cur.Code, cur.ID)
	}
	scope.Apply(q, today)
	out := []ListedProject{}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > page.Limit {
		out = out[:page.Limit]
		last := out[len(out)-1]
		cur.Code, cur.ID = last.Code, last.ProjectID
		next = postgres.EncodeCursor(cur)
	}
	return out, next, nil
}

// ListedWeeks says, for each of weeks (Mondays), which of projects were
// listed on any day of it — through listed_projects, week by week.
func ListedWeeks(ctx context.Context, tx bun.IDB, weeks []time.Time, projects []uuid.UUID) (map[uuid.UUID]map[time.Time]bool, error) {
	out := map[uuid.UUID]map[time.Time]bool{}
	if len(weeks) == 0 || len(projects) == 0 {
		return out, nil
	}
	var rows []struct {
		Week      time.Time `bun:"week,type:date"`
		ProjectID uuid.UUID `bun:"project_id"`
	}
	err := tx.NewRaw(`SELECT w::date AS week, l.project_id
		FROM unnest(?::date[]) w CROSS JOIN LATERAL listed_projects(w::date, w::date + 6) l
		WHERE l.project_id IN (?)`, weeksArray(weeks), bun.List(projects)).Scan(ctx, &rows)
	for _, r := range rows {
		if out[r.ProjectID] == nil {
			out[r.ProjectID] = map[time.Time]bool{}
		}
		out[r.ProjectID][r.Week] = true
	}
	return out, err
}

func weeksArray(weeks []time.Time) any {
	s := make([]string, len(weeks))
	for i, w := range weeks {
		s[i] = w.Format(time.DateOnly)
	}
	return pgdialect.Array(s)
}
