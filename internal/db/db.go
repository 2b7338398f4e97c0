// Package db opens tuijin's PostgreSQL connections through bun on pgx, applies
// migrations and runs work inside tenant transactions.
//
// Tenant isolation (P1): every county-scoped unit of work runs in one
// transaction that first sets app.county_id with set_config(..., true), so the
// setting dies with the transaction and never leaks through a pooled
// connection. There is no global handle and no global "current county".
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/errs"
)

// DB is a pool of connections of one database role.
type DB struct {
	Bun *bun.DB
	// RoundTrips counts client→server round trips on every connection of the
	// pool (a write after a read starts a new one); benchmarks read it.
	RoundTrips *atomic.Int64
}

// Open connects to url with at most maxConns connections.
func Open(ctx context.Context, url string, maxConns int) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// bun inlines arguments into the SQL text, so caching prepared
	// statements would only churn the cache and cost a round trip per
	// distinct query; exec mode sends parse, bind and execute at once.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	counter := new(atomic.Int64)
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, trips: counter}, nil
	}
	sqldb := stdlib.OpenDB(*cfg)
	sqldb.SetMaxOpenConns(maxConns)
	sqldb.SetMaxIdleConns(maxConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{Bun: bun.NewDB(sqldb, pgdialect.New()), RoundTrips: counter}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return d, nil
}

// Close closes the pool.
func (d *DB) Close() error { return d.Bun.Close() }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.Bun.PingContext(ctx) }

// InCounty runs fn in one transaction bound to county. fn's error rolls back.
func (d *DB) InCounty(ctx context.Context, county uuid.UUID, fn func(ctx context.Context, tx bun.IDB) error) error {
	if county == uuid.Nil {
		return errs.ErrNoCounty
	}
	return d.inDomain(ctx, county.String(), fn)
}

// InCountySnapshot runs fn in one REPEATABLE READ transaction bound to
// county: every statement sees the data as of the first, whatever commits
// meanwhile (a snapshot gathered over many queries holds together).
func (d *DB) InCountySnapshot(ctx context.Context, county uuid.UUID, fn func(ctx context.Context, tx bun.IDB) error) error {
	if county == uuid.Nil {
		return errs.ErrNoCounty
	}
	return d.Bun.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', ?, true)", county.String()); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
}

// InPlatform runs fn in one transaction with no county: county tables show
// nothing; the audit chain used is the platform's (the nil UUID).
func (d *DB) InPlatform(ctx context.Context, fn func(ctx context.Context, tx bun.IDB) error) error {
	return d.inDomain(ctx, uuid.Nil.String(), fn)
}

func (d *DB) inDomain(ctx context.Context, domain string, fn func(ctx context.Context, tx bun.IDB) error) error {
	return d.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', ?, true)", domain); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
}

// Conn is a connection held for one request, inside an open transaction.
type Conn struct {
	bun.Conn
	done bool
}

// BeginWith takes a connection, starts a transaction and runs setup (SQL
// without parameters; values in it must be literals the caller made safe) in
// the same round trip, returning the rows of its last statement as text.
func (d *DB) BeginWith(ctx context.Context, setup string) (*Conn, [][][]byte, error) {
	bc, err := d.Bun.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	var rows [][][]byte
	err = bc.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn().PgConn()
		results, err := pc.Exec(ctx, "BEGIN; "+setup).ReadAll()
		if err != nil {
			return err
		}
		if len(results) > 0 {
			rows = results[len(results)-1].Rows
		}
		return nil
	})
	c := &Conn{Conn: bc}
	if err != nil {
		c.Rollback(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return c, rows, nil
}

// Commit commits the request's transaction and releases the connection.
func (c *Conn) Commit(ctx context.Context) error {
	if c.done {
		return errors.New("db: transaction already finished")
	}
	c.done = true
	_, err := c.Conn.ExecContext(ctx, "COMMIT")
	c.release(err)
	return err
}

// Rollback ends the transaction if it is still open; safe to call twice.
func (c *Conn) Rollback(ctx context.Context) {
	if c.done {
		return
	}
	c.done = true
	_, err := c.Conn.ExecContext(ctx, "ROLLBACK")
	c.release(err)
}

// release returns the connection to the pool, or discards it when the
// transaction could not be ended cleanly (pgx's reset refuses a connection
// that is still inside a transaction, so it cannot leak a county setting).
func (c *Conn) release(err error) {
	if err != nil {
		_ = c.Conn.Raw(func(any) error { return driverErrBadConn })
	}
	_ = c.Conn.Close()
}

var driverErrBadConn = driver.ErrBadConn

// CopyFrom runs copySQL, a COPY ... FROM STDIN, on the connection of tx,
// sending the data as r gives it: a bulk write held in memory only a chunk
// at a time, where a multi-row INSERT is built whole (and copied twice more
// on its way out). tx must be a connection (a request's *Conn, a
// bun.Conn): database/sql does not give a transaction's. COPY runs inside
// the transaction begun on it. An error r returns is returned as it is.
func CopyFrom(ctx context.Context, tx bun.IDB, copySQL string, r io.Reader) (int64, error) {
	rc, ok := tx.(interface {
		Raw(func(driverConn any) error) error
	})
	if !ok {
		return 0, fmt.Errorf("db: COPY needs a connection, not %T", tx)
	}
	src := &copySource{r: r}
	var n int64
	err := rc.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: COPY needs a pgx connection, not %T", dc)
		}
		tag, err := c.Conn().PgConn().CopyFrom(ctx, src, copySQL)
		n = tag.RowsAffected()
		return err
	})
	if src.err != nil {
		return n, src.err
	}
	return n, err
}

// copySource keeps the error of the reader (pgx sends only its text to the
// server, which answers with an error of its own).
type copySource struct {
	r   io.Reader
	err error
}

func (s *copySource) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// IsUniqueViolation reports a unique-constraint error.
func IsUniqueViolation(err error) bool { return pgCode(err) == "23505" }

// IsForeignKeyViolation reports a foreign-key error.
func IsForeignKeyViolation(err error) bool { return pgCode(err) == "23503" }

// IsCheckViolation reports a check-constraint error.
func IsCheckViolation(err error) bool { return pgCode(err) == "23514" }

// ViolatedConstraint names the constraint an integrity error broke ("" if
// err is not one).
func ViolatedConstraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && len(pe.Code) == 5 && pe.Code[:2] == "23" {
		return pe.ConstraintName
	}
	return ""
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// NoRows reports sql.ErrNoRows.
func NoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

type countingConn struct {
	net.Conn
	trips   *atomic.Int64
	reading atomic.Bool
}

func (c *countingConn) Write(b []byte) (int, error) {
	if c.reading.Swap(false) {
		c.trips.Add(1)
	}
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	c.reading.Store(true)
	return c.Conn.Read(b)
}
