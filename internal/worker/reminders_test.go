package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/supervision"
	"github.com/tuijin/tuijin/internal/worker"
)

func countKind(t *testing.T, c uuid.UUID, account uuid.UUID, kind string) int {
	t.Helper()
	var n int
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM notifications WHERE account_id = ? AND kind = ?", account, kind).Scan(ctx, &n)
	})
	return n
}

// The day before the deadline, helpers whose report is not in are told;
// problems due tomorrow and overdue ones reach the office; a job run again
// sends nothing twice.
func TestRemindersAndDeadlines(t *testing.T) {
	c := county(t, "guangshan")
	helper := account(t, c, "gs.helper")
	office := account(t, c, "gs.office")
	// Thursday 2028-06-08 12:00 Shanghai: reports of the week of 2028-06-05 are due Friday.
	now := time.Date(2028, 6, 8, 12, 0, 0, 0, settings.Shanghai)
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		if _, err := postgres.CreateKeyList(ctx, tx, 2028, "光山县2028年度重点项目"); err != nil && errs.KindOf(err) != errs.Conflict {
			return err
		}
		list, _, err := postgres.ListProjects(ctx, tx, postgres.ProjectFilter{Year: 2026, Today: time.Now()}, postgres.Page{Limit: 200})
		if err != nil {
			return err
		}
		for _, p := range list {
			if _, err := postgres.PutEntry(ctx, tx, 2028, p.ID, 1000000, nil, time.Date(2028, 1, 3, 0, 0, 0, 0, time.UTC), "test"); err != nil && errs.KindOf(err) != errs.Conflict {
				return err
			}
		}
		p := list[0]
		tomorrow := time.Date(2028, 6, 9, 0, 0, 0, 0, time.UTC)
		past := time.Date(2028, 5, 30, 0, 0, 0, 0, time.UTC)
		for _, d := range []time.Time{tomorrow, past} {
			pr, err := reportingdb.RaiseProblem(ctx, tx, reportingdb.Problem{ProjectID: p.ID, Source: "direct", Category: "land", Description: "用地问题 " + d.Format(time.DateOnly)})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE problems SET deadline = ? WHERE id = ?", d, pr.ID); err != nil {
				return err
			}
		}
		return nil
	})
	run := func(job string) {
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			_, err := worker.RunJob(ctx, tx, worker.JobPayload{CountyID: c, Job: job}, now)
			return err
		})
	}
	for i := 0; i < 2; i++ {
		run(supervision.JobReportReminder)
		run(supervision.JobDeadlines)
	}
	if n := countKind(t, c, helper, postgres.MsgReportDue); n == 0 {
		t.Fatal("the helper was not reminded")
	}
	near, overdue := countKind(t, c, office, postgres.MsgDeadlineNear), countKind(t, c, office, postgres.MsgDeadlineOverdue)
	if near != 1 || overdue < 1 {
		t.Fatalf("office messages: %d near, %d overdue", near, overdue)
	}
	var dup int
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM (SELECT account_id, idem_key FROM notifications GROUP BY 1, 2 HAVING count(*) > 1) d").Scan(ctx, &dup)
	})
	if dup != 0 {
		t.Fatalf("%d duplicated messages", dup)
	}
}
