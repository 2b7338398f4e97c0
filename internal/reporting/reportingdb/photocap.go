package reportingdb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
)

// CheckPhotoCap refuses a photo beyond the county's cap for a project's
// week (settings.MaxPhotosPerWeek): each original is kept, locked, for
// years. With lock, the project-week stays locked until the transaction
// ends, so that parallel uploads cannot pass the cap together (the check
// that writes the row); without, it is the early refusal made before an
// upload's body is read.
func CheckPhotoCap(ctx context.Context, tx bun.IDB, projectID uuid.UUID, week time.Time, lock bool) error {
	if lock {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('photos:' || ?::text || ':' || ?::text, 0))",
			projectID, week.Format(time.DateOnly)); err != nil {
			return err
		}
	}
	rules, err := postgres.SettingsOn(ctx, tx, week)
	if err != nil {
		return err
	}
	n, err := tx.NewSelect().Model((*Photo)(nil)).Where("project_id = ? AND week_start = ? AND observation_id IS NULL", projectID, week).Count(ctx)
	if err != nil {
		return err
	}
	if max := rules.Values.MaxPhotosPerWeek; int(n) >= max {
		return errs.E(errs.Conflict, "photo_cap_reached",
			fmt.Sprintf("本项目本周已上传%d张照片，已达每周上限%d张", n, max),
			fmt.Sprintf("%d photos this week: the weekly cap of %d is reached", n, max))
	}
	return nil
}
