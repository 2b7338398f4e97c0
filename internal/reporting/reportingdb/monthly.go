package reportingdb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
)

// MonthlyFigure is a project's completed investment and image progress of a month.
type MonthlyFigure struct {
	bun.BaseModel  `bun:"table:monthly_figures,alias:mf"`
	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID       uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID      uuid.UUID  `bun:"project_id,type:uuid"`
	Year           int        `bun:"year"`
	Month          int        `bun:"month"`
	InvestmentYuan int64      `bun:"investment_yuan"`
	ImageProgress  string     `bun:"image_progress"`
	ReportedBy     *uuid.UUID `bun:"reported_by,type:uuid"`
	ReportedAt     time.Time  `bun:"reported_at,nullzero,default:now()"`
	VerifiedBy     *uuid.UUID `bun:"verified_by,type:uuid"`
	VerifiedAt     *time.Time `bun:"verified_at"`
	Version        int        `bun:"version"`
}

// MonthlyFigures returns a project's figures of a year by month.
func MonthlyFigures(ctx context.Context, tx bun.IDB, projectID uuid.UUID, year int) (map[int]MonthlyFigure, error) {
	var rows []MonthlyFigure
	if err := tx.NewSelect().Model(&rows).Where("mf.project_id = ? AND mf.year = ?", projectID, year).Scan(ctx); err != nil {
		return nil, err
	}
	out := map[int]MonthlyFigure{}
	for _, r := range rows {
		out[r.Month] = r
	}
	return out, nil
}

// lockMonth reads one month's figures and locks the row until the
// transaction ends, so that a correction and a verification of the same
// month cannot cross.
func lockMonth(ctx context.Context, tx bun.IDB, projectID uuid.UUID, year, month int) (MonthlyFigure, bool, error) {
	var f MonthlyFigure
	err := tx.NewSelect().Model(&f).Where("mf.project_id = ? AND mf.year = ? AND mf.month = ?", projectID, year, month).For("UPDATE").Scan(ctx)
	if db.NoRows(err) {
		return MonthlyFigure{}, false, nil
	}
	return f, err == nil, err
}

// PutMonthlyFigure reports (or corrects) a month; a correction clears the
// Statistics Bureau's verification. A month is reported once it has begun
// (today is the county's date) and only for a year the project is on the
// key list.
func PutMonthlyFigure(ctx context.Context, tx bun.IDB, f MonthlyFigure, today time.Time) (MonthlyFigure, error) {
	var v errs.Validation
	if f.Month < 1 || f.Month > 12 || f.Year < 2000 || f.Year > 2100 {
		v.Add("month", "out_of_range", "年月无效", "year or month out of range")
	} else if first := time.Date(f.Year, time.Month(f.Month), 1, 0, 0, 0, 0, time.UTC); first.After(today) {
		v.Add("month", "month_not_begun", "该月尚未开始，不能填报", "that month has not begun")
	} else {
		listing, err := ListingOf(ctx, tx, f.ProjectID, time.Date(f.Year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(f.Year, 12, 31, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return MonthlyFigure{}, err
		}
		if listing == nil {
			v.Add("year", "not_listed", fmt.Sprintf("该项目未列入%d年重点项目名单，不能填报当年数据", f.Year),
				fmt.Sprintf("the project is not on the %d key list", f.Year))
		}
	}
	if f.InvestmentYuan < 0 || f.InvestmentYuan > project.MaxYuan {
		v.Add("investment_yuan", "out_of_range", "当月完成投资超出范围", "investment out of range")
	}
	if len([]rune(f.ImageProgress)) > 1000 {
		v.Add("image_progress", "too_long", "形象进度不能超过1000字", "image progress must be at most 1000 characters")
	}
	if err := v.Err(); err != nil {
		return MonthlyFigure{}, err
	}
	before, exists, err := lockMonth(ctx, tx, f.ProjectID, f.Year, f.Month)
	if err != nil {
		return MonthlyFigure{}, err
	}
	if exists {
		f.ID, f.Version = before.ID, before.Version+1
		f.VerifiedBy, f.VerifiedAt = nil, nil
		if _, err := tx.NewUpdate().Model(&f).Column("investment_yuan", "image_progress", "reported_by", "verified_by", "verified_at", "version").
			Set("reported_at = now()").WherePK().Exec(ctx); err != nil {
			return MonthlyFigure{}, postgres.MapErr(err)
		}
	} else {
		f.ID, f.Version = uuid.New(), 1
		if _, err := tx.NewInsert().Model(&f).Exec(ctx); err != nil {
			return MonthlyFigure{}, postgres.MapErr(err)
		}
	}
	var b any
	if exists {
		b = before
	}
	return f, postgres.Audit(ctx, tx, audit.Entry{Action: "monthly.put", EntityType: "project", EntityID: f.ProjectID.String(), Before: b, After: f})
}

// VerifyMonthlyFigure is the Statistics Bureau's mark on a reported month.
func VerifyMonthlyFigure(ctx context.Context, tx bun.IDB, projectID uuid.UUID, year, month int, by uuid.UUID, now time.Time) (MonthlyFigure, error) {
	f, ok, err := lockMonth(ctx, tx, projectID, year, month)
	if err != nil {
		return MonthlyFigure{}, err
	}
	if !ok {
		return MonthlyFigure{}, errs.E(errs.NotFound, "figure_not_reported", "该月数据尚未填报", "that month has not been reported")
	}
	if same, err := postgres.SamePerson(ctx, tx, f.ReportedBy, by); err != nil {
		return MonthlyFigure{}, err
	} else if same {
		return MonthlyFigure{}, errs.E(errs.Forbidden, "own_figure", "不能核实本人填报的数据", "nobody verifies figures they reported")
	}
	before := f
	f.VerifiedBy, f.VerifiedAt = &by, &now
	if _, err := tx.NewUpdate().Model(&f).Column("verified_by", "verified_at").WherePK().Exec(ctx); err != nil {
		return MonthlyFigure{}, postgres.MapErr(err)
	}
	return f, postgres.Audit(ctx, tx, audit.Entry{Action: "monthly.verify", EntityType: "project", EntityID: projectID.String(), Before: before, After: f})
}
