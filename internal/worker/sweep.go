package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/uploads"
)

// Sweep settles each county's staged uploads every interval until ctx
// ends (see uploads.Stager.Sweep): objects of uploads that never committed
// are removed once uploads.Grace has passed, those of committed ones whose
// locking failed are locked. Replicas share the work (the stages are
// claimed with SKIP LOCKED).
func Sweep(ctx context.Context, d *db.DB, st uploads.Stager, interval time.Duration, log *slog.Logger) {
	var counties []uuid.UUID
	var listed time.Time
	tick := time.NewTicker(interval)
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
				log.Error("sweep: list counties", "error", err)
				continue
			}
			listed = time.Now()
		}
		for _, c := range counties {
			sw, err := st.Sweep(ctx, c, uploads.Grace)
			if err != nil && ctx.Err() == nil {
				log.Error("sweep", "county", c, "error", err)
			}
			if sw.Locked+sw.Removed > 0 {
				log.Info("sweep", "county", c, "locked", sw.Locked, "removed", sw.Removed, "objects", sw.Objects)
			}
			// Issued files whose request ended before it stored them.
			n, err := st.Flush(ctx, c)
			if err != nil && ctx.Err() == nil {
				log.Error("sweep: store queued objects", "county", c, "error", err)
			}
			if n > 0 {
				log.Info("sweep: stored queued objects", "county", c, "objects", n)
			}
		}
	}
}
