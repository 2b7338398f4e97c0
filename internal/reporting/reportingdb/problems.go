package reportingdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Problem is a difficulty a project needs solved (M2.3).
type Problem struct {
	bun.BaseModel  `bun:"table:problems,alias:pb"`
	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID       uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	ProjectID      uuid.UUID  `bun:"project_id,type:uuid"`
	Source         string     `bun:"source"`
	Category       string     `bun:"category"`
	Description    string     `bun:"description"`
	RaisedBy       *uuid.UUID `bun:"raised_by,type:uuid"`
	RaisedAt       time.Time  `bun:"raised_at,nullzero,default:now()"`
	Level          string     `bun:"level"`
	AssignedUnitID *uuid.UUID `bun:"assigned_unit_id,type:uuid"`
	Deadline       *time.Time `bun:"deadline,type:date"`
	Status         string     `bun:"status"`
	Resolution     string     `bun:"resolution"`
	ResolvedAt     *time.Time `bun:"resolved_at"`
	Version        int        `bun:"version"`
	UpdatedAt      time.Time  `bun:"updated_at,nullzero,default:now()"`
	ProjectName    string     `bun:"project_name,scanonly"`
}

var (
	problemSources    = map[string]bool{"report": true, "visit": true, "direct": true, "inspection": true}
	problemCategories = map[string]bool{"land": true, "funding": true, "approvals": true, "power": true, "relocation": true, "other": true}
	problemLevels     = map[string]bool{"unit": true, "office": true, "chief": true, "weekly_meeting": true}
	problemStatuses   = map[string]bool{"open": true, "in_progress": true, "resolved": true, "closed": true}
)

func (p *Problem) validate() error {
	var v errs.Validation
	if !problemSources[p.Source] {
		v.Add("source", "invalid_source", "问题来源无效", "unknown source")
	}
	if !problemCategories[p.Category] {
		v.Add("category", "invalid_category", "问题类别无效（用地、资金、审批、电力、征迁、其他）", "category must be land, funding, approvals, power, relocation or other")
	}
	if p.Description == "" || len([]rune(p.Description)) > 2000 {
		v.Add("description", "required", "请描述问题（不超过2000字）", "describe the problem (at most 2000 characters)")
	}
	if !problemLevels[p.Level] {
		v.Add("level", "invalid_level", "提交层级无效", "unknown level")
	}
	if !problemStatuses[p.Status] {
		v.Add("status", "invalid_status", "状态无效", "unknown status")
	}
	if (p.Status == "resolved" || p.Status == "closed") && p.Resolution == "" {
		v.Add("resolution", "required", "解决或关闭问题须写明处理结果", "a resolved or closed problem needs its resolution")
	}
	return v.Err()
}

func selectProblems(tx bun.IDB, out *[]Problem) *bun.SelectQuery {
	return tx.NewSelect().Model(out).ColumnExpr("pb.*, p.name AS project_name").Join("JOIN projects p ON p.id = pb.project_id")
}

// ProblemFilter narrows the problem list.
type ProblemFilter struct {
	ProjectID *uuid.UUID
	Status    string
	Overdue   bool
	Today     time.Time
	Scope     *postgres.Scope
}

// ListProblems lists problems, the most urgent first.
func ListProblems(ctx context.Context, tx bun.IDB, f ProblemFilter) ([]Problem, error) {
	out := []Problem{}
	q := selectProblems(tx, &out).OrderExpr("pb.deadline NULLS LAST, pb.raised_at")
	if f.ProjectID != nil {
		q.Where("pb.project_id = ?", *f.ProjectID)
	}
	if f.Status != "" {
		if !problemStatuses[f.Status] {
			return nil, errs.E(errs.Invalid, "invalid_filter", "状态筛选无效", "unknown status filter")
		}
		q.Where("pb.status = ?", f.Status)
	}
	if f.Overdue {
		q.Where("pb.status IN ('open','in_progress') AND pb.deadline < ?", f.Today)
	}
	f.Scope.Apply(q, f.Today)
	return out, q.Scan(ctx)
}

// GetProblem returns one problem within scope.
func GetProblem(ctx context.Context, tx bun.IDB, id uuid.UUID, scope *postgres.Scope, today time.Time) (Problem, error) {
	var out []Problem
	q := selectProblems(tx, &out).Where("pb.id = ?", id)
	scope.Apply(q, today)
	if err := q.Scan(ctx); err != nil {
		return Problem{}, err
	}
	if len(out) == 0 {
		return Problem{}, errs.ErrNotFound
	}
	return out[0], nil
}

// RaiseProblem stores a new problem (audited).
func RaiseProblem(ctx context.Context, tx bun.IDB, p Problem) (Problem, error) {
	p.Level, p.Status = "unit", "open"
	if err := p.validate(); err != nil {
		return Problem{}, err
	}
	p.ID, p.Version = uuid.New(), 1
	if _, err := tx.NewInsert().Model(&p).Exec(ctx); err != nil {
		return Problem{}, postgres.MapErr(err)
	}
	return p, postgres.Audit(ctx, tx, audit.Entry{Action: "problem.raise", EntityType: "project", EntityID: p.ProjectID.String(), After: p})
}

// HandleProblem changes a problem's level, assignment, deadline, status and
// resolution (by version, audited).
func HandleProblem(ctx context.Context, tx bun.IDB, p Problem, now time.Time) (Problem, error) {
	cur, err := GetProblem(ctx, tx, p.ID, nil, now)
	if err != nil {
		return Problem{}, err
	}
	before := cur
	cur.Level, cur.AssignedUnitID, cur.Deadline, cur.Status, cur.Resolution = p.Level, p.AssignedUnitID, p.Deadline, p.Status, p.Resolution
	if err := cur.validate(); err != nil {
		return Problem{}, err
	}
	if cur.Status == "resolved" || cur.Status == "closed" {
		if cur.ResolvedAt == nil {
			t := now
			cur.ResolvedAt = &t
		}
	} else {
		cur.ResolvedAt = nil
	}
	res, err := tx.NewUpdate().Model(&cur).Column("level", "assigned_unit_id", "deadline", "status", "resolution", "resolved_at").
		Set("version = version + 1").Set("updated_at = now()").Where("pb.id = ? AND pb.version = ?", p.ID, p.Version).Exec(ctx)
	if err != nil {
		return Problem{}, postgres.MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Problem{}, errs.ErrVersionConflict
	}
	cur.Version++
	return cur, postgres.Audit(ctx, tx, audit.Entry{Action: "problem.handle", EntityType: "project", EntityID: cur.ProjectID.String(), Before: before, After: cur})
}
