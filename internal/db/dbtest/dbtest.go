// Package dbtest gives a test package a fresh, migrated PostgreSQL database
// of its own, reached through the application role (so Row-Level Security is
// exercised, never bypassed) and through the owning role.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/migrations"
)

// AppRole, OwnerRole and BackupRole are the roles scripts/lib.sh creates.
const (
	AppRole    = "tuijin_app"
	OwnerRole  = "tuijin_owner"
	BackupRole = "tuijin_backup"
)

// Env is one test database.
type Env struct {
	Name      string
	AppURL    string
	OwnerURL  string
	BackupURL string // the backup role (BYPASSRLS; `tuijin migrate` grants it SELECT)
	App       *db.DB
	Owner     *db.DB
	adminURL  string
}

// AdminURL is a superuser connection used only to create and drop databases.
func AdminURL() string {
	if u := os.Getenv("TUIJIN_TEST_ADMIN_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func withUserDB(base, user, dbname string) string {
	u, _ := url.Parse(base)
	u.User = url.User(user)
	u.Path = "/" + dbname
	return u.String()
}

// New creates and migrates a database on the shared server (AdminURL);
// Close drops it.
func New(ctx context.Context) (*Env, error) { return NewAt(ctx, AdminURL()) }

// NewWith creates a database on the shared server migrated with fsys (a
// migration test gives the migrations before the one it tests).
func NewWith(ctx context.Context, fsys fs.FS) (*Env, error) { return newEnv(ctx, AdminURL(), fsys) }

// NewAt creates the roles if missing and a migrated database on the server
// that the superuser URL admin reaches (a test's own cluster); Close drops it.
func NewAt(ctx context.Context, admin string) (*Env, error) { return newEnv(ctx, admin, migrations.FS) }

func newEnv(ctx context.Context, admin string, fsys fs.FS) (*Env, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	e := &Env{Name: "tuijin_t_" + hex.EncodeToString(b), adminURL: admin}
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		return nil, err
	}
	defer adb.Close()
	for _, stmt := range []string{
		fmt.Sprintf(`DO $$ BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB; END IF;
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN NOSUPERUSER NOBYPASSRLS; END IF;
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN NOSUPERUSER BYPASSRLS; END IF;
			END $$`, OwnerRole, OwnerRole, AppRole, AppRole, BackupRole, BackupRole),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", e.Name, OwnerRole),
	} {
		if _, err := adb.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("dbtest: %w", err)
		}
	}
	e.AppURL = withUserDB(admin, AppRole, e.Name)
	e.OwnerURL = withUserDB(admin, OwnerRole, e.Name)
	e.BackupURL = withUserDB(admin, BackupRole, e.Name)
	if e.Owner, err = db.Open(ctx, e.OwnerURL, 4); err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, e.Owner, fsys, AppRole); err != nil {
		e.Close()
		return nil, err
	}
	if e.App, err = db.Open(ctx, e.AppURL, 10); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close drops the database.
func (e *Env) Close() {
	if e.App != nil {
		e.App.Close()
	}
	if e.Owner != nil {
		e.Owner.Close()
	}
	if adb, err := sql.Open("pgx", e.adminURL); err == nil {
		_, _ = adb.Exec("DROP DATABASE IF EXISTS " + e.Name + " WITH (FORCE)")
		adb.Close()
	}
}
