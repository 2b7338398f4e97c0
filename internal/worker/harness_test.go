package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/auth"
	"github.com/tuijin/tuijin/internal/db/dbtest"
	"github.com/tuijin/tuijin/internal/demo"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/settings"
)

var env *dbtest.Env

// TestMain gives the package one migrated database with the demo counties.
// Run as TUIJIN_WORKER_CHILD=1 the test binary is `tuijin worker` instead
// (the crash test kills it by its PID).
func TestMain(m *testing.M) {
	if os.Getenv("TUIJIN_WORKER_CHILD") == "1" {
		ctx, cancel := signalContext()
		defer cancel()
		if err := app.Run(ctx, []string{"worker"}, os.LookupEnv, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	ctx := context.Background()
	var err error
	if env, err = dbtest.New(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := demo.Load(ctx, env.App, env.Owner, auth.NewHasher(0), "Tuijin@2026"); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		env.Close()
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func county(t testing.TB, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := env.App.InPlatform(context.Background(), func(ctx context.Context, tx bun.IDB) error {
		list, err := postgres.ListCounties(ctx, tx, nil)
		for _, c := range list {
			if c.Slug == slug {
				id = c.ID
			}
		}
		return err
	})
	if err != nil || id == uuid.Nil {
		t.Fatalf("county %s: %v", slug, err)
	}
	return id
}

// in runs fn in the county as the test actor.
func in(t testing.TB, c uuid.UUID, fn func(ctx context.Context, tx bun.IDB) error) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
	if err := env.App.InCounty(ctx, c, fn); err != nil {
		t.Fatal(err)
	}
}

// fixture is a county-owned project of the demo list with its seat holders.
type fixture struct {
	county      uuid.UUID
	project     project.Project
	chief       uuid.UUID
	responsible uuid.UUID
	otherLeader uuid.UUID // a county leader who is not the chief
}

func projectFixture(t testing.TB, slug string, index int) fixture {
	t.Helper()
	f := fixture{county: county(t, slug)}
	in(t, f.county, func(ctx context.Context, tx bun.IDB) error {
		list, _, err := postgres.ListProjects(ctx, tx, postgres.ProjectFilter{Year: 2026, Today: settings.Today(time.Now())}, postgres.Page{Limit: 200})
		if err != nil {
			return err
		}
		// The index-th project with both a chief and a responsible person.
		for _, p := range list {
			holders, err := postgres.TaskForceOn(ctx, tx, p.ID, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
			if err != nil {
				return err
			}
			var chief, resp uuid.UUID
			for _, h := range holders {
				switch h.Role {
				case project.RoleChief:
					chief = h.PersonID
				case project.RoleResponsible:
					resp = h.PersonID
				}
			}
			if chief == uuid.Nil || resp == uuid.Nil {
				continue
			}
			if index == 0 {
				f.project, f.chief, f.responsible = p, chief, resp
				break
			}
			index--
		}
		return tx.NewRaw("SELECT id FROM people WHERE rank = 'county_leader' AND id <> ? ORDER BY name LIMIT 1", f.chief).Scan(ctx, &f.otherLeader)
	})
	if f.chief == uuid.Nil || f.responsible == uuid.Nil || f.otherLeader == uuid.Nil {
		t.Fatalf("fixture incomplete: %+v", f)
	}
	return f
}

func monday(week int) time.Time { // week 1 = 2026-01-05
	return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(week-1))
}

// putReport stores a submitted report with the rules' determination.
func putReport(t testing.TB, c uuid.UUID, projectID uuid.UUID, week time.Time, progress bool) {
	t.Helper()
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO weekly_reports (project_id, week_start, status, image_progress, rule_progress, submitted_at)
			VALUES (?, ?, 'verified', '施工中', ?, ?) ON CONFLICT (project_id, week_start) DO UPDATE SET rule_progress = EXCLUDED.rule_progress`,
			projectID, week, progress, week.AddDate(0, 0, 3))
		return err
	})
}
