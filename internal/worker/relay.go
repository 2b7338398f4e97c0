package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Relay moves outbox rows to asynq until ctx ends: every half second, for
// each county, it locks a batch of unrelayed rows (SKIP LOCKED, so several
// replicas share the work), enqueues each under the task ID "outbox:<id>"
// (a row enqueued before a crash is not enqueued twice) and stamps them.
func Relay(ctx context.Context, d *db.DB, client *asynq.Client, maxRetry int, log *slog.Logger) {
	var counties []uuid.UUID
	var listed time.Time
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if time.Since(listed) > time.Minute {
			var err error
			if counties, err = countyIDs(ctx, d); err != nil {
				log.Error("relay: list counties", "error", err)
				continue
			}
			listed = time.Now()
		}
		for _, c := range counties {
			if _, err := RelayCounty(ctx, d, c, client, maxRetry); err != nil && ctx.Err() == nil {
				log.Error("relay", "county", c, "error", err)
			}
		}
	}
}

func countyIDs(ctx context.Context, d *db.DB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := d.InPlatform(ctx, func(ctx context.Context, tx bun.IDB) error {
		list, err := postgres.ListCounties(ctx, tx, nil)
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		return err
	})
	return ids, err
}

// RelayCounty relays one batch of a county's outbox and returns how many rows it moved.
func RelayCounty(ctx context.Context, d *db.DB, county uuid.UUID, client *asynq.Client, maxRetry int) (int, error) {
	n := 0
	err := d.InCounty(ctx, county, func(ctx context.Context, tx bun.IDB) error {
		rows, err := postgres.PendingOutbox(ctx, tx, 200)
		if err != nil || len(rows) == 0 {
			return err
		}
		var done []int64
		for _, r := range rows {
			t, err := outboxTask(county, r, maxRetry)
			if err != nil {
				return err
			}
			if _, err := client.EnqueueContext(ctx, t); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
				return err
			}
			done = append(done, r.ID)
		}
		n = len(done)
		return postgres.MarkRelayed(ctx, tx, done, time.Now())
	})
	return n, err
}

func outboxTask(county uuid.UUID, r postgres.OutboxRow, maxRetry int) (*asynq.Task, error) {
	id := asynq.TaskID(fmt.Sprintf("outbox:%d", r.ID))
	switch r.Kind {
	case "deliver":
		var p DeliverPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return nil, err
		}
		p.CountyID = county
		b, _ := json.Marshal(p)
		return asynq.NewTask(TypeDeliver, b, id, asynq.Queue("deliveries"), asynq.MaxRetry(maxRetry), asynq.Timeout(time.Minute)), nil
	case "job":
		var p JobPayload
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			return nil, err
		}
		p.CountyID = county
		b, _ := json.Marshal(p)
		// Its own id, not the period's: the failed task it retries may
		// still hold that one in asynq's archive.
		return asynq.NewTask(TypeCountyJob, b, id, asynq.Queue("jobs"), asynq.MaxRetry(maxRetry), asynq.Timeout(30*time.Minute)), nil
	}
	return nil, fmt.Errorf("outbox row %d: unknown kind %q", r.ID, r.Kind)
}
