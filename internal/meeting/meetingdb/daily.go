package meetingdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/review/reviewdb"
)

// DailyResult is what the daily meeting job did (stored with its run).
type DailyResult struct {
	Day             string          `json:"day"`
	SittingsAdded   int             `json:"sittings_added"`
	Prepared        []PrepareResult `json:"prepared"`
	OverdueMessages int             `json:"overdue_messages"`
	ReviewCarried   int             `json:"review_carried"` // joint review items carried to the next sitting
}

// RunDaily is the daily meeting job for day (a date): the sittings of the
// next meeting.Horizon days on the calendar, each agenda due by day drafted
// (Prepare), the overdue actions' owners told, and joint review items past
// their deadline carried to the next joint review sitting. A day done before is
// not done again: its stored result is returned.
func RunDaily(ctx context.Context, tx bun.IDB, day, now time.Time) (DailyResult, error) {
	period := day.Format(time.DateOnly)
	res := DailyResult{Day: period, Prepared: []PrepareResult{}}
	done, stored, err := postgres.LockJob(ctx, tx, meeting.JobPrepare, period)
	if err != nil {
		return res, err
	}
	if done {
		err = json.Unmarshal(stored, &res)
		return res, err
	}
	if res.SittingsAdded, err = EnsureSittings(ctx, tx, day, day.AddDate(0, 0, meeting.Horizon)); err != nil {
		return res, fmt.Errorf("calendar: %w", err)
	}
	if res.ReviewCarried, err = reviewdb.CarryOver(ctx, tx, day, now); err != nil {
		return res, fmt.Errorf("joint review: %w", err)
	}
	var due []uuid.UUID
	if err := tx.NewRaw(`SELECT id FROM meeting_sittings WHERE status = 'planned' AND prepared_at IS NULL AND prepare_on <= ? AND day >= ?
		ORDER BY starts_at`, day, day).Scan(ctx, &due); err != nil {
		return res, err
	}
	for _, id := range due {
		r, err := Prepare(ctx, tx, id, now)
		if err != nil {
			return res, err
		}
		res.Prepared = append(res.Prepared, r)
	}
	if res.OverdueMessages, err = OverdueNotices(ctx, tx, day); err != nil {
		return res, fmt.Errorf("overdue actions: %w", err)
	}
	return res, postgres.FinishJob(ctx, tx, meeting.JobPrepare, period, res, now)
}
