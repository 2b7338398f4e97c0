package servicetest_test

import (
	"context"
	"database/sql"
	"net"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tuijin/tuijin/internal/servicetest"
)

// TestServers: each server starts on its own port, stops and starts again.
func TestServers(t *testing.T) {
	pg := servicetest.StartPostgres(t)
	db, err := sql.Open("pgx", pg.AdminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query: %v", err)
	}
	pg.Stop()
	if err := db.PingContext(context.Background()); err == nil {
		t.Fatal("a stopped cluster answered")
	}
	pg.Start()
	if err := db.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	r := servicetest.StartRedis(t)
	r.Stop()
	if c, err := net.Dial("tcp", r.Addr()); err == nil {
		c.Close()
		t.Fatal("a stopped Redis accepted a connection")
	}
	r.Start()
	m := servicetest.StartMinIO(t)
	m.Stop()
	m.Start()
}
