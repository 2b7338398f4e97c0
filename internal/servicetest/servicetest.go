// Package servicetest starts, for one test, servers of its own — a
// PostgreSQL cluster (initdb and pg_ctl on a free port), a redis-server and
// a MinIO server, each in a temporary directory — that the test may stop,
// restart or break without touching the machine's shared services. It is
// for tests only (fault and backup drills). A missing server binary fails
// the test with what to install; scripts/test.sh installs them all.
package servicetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bin finds a server binary: on PATH, in PostgreSQL's versioned bin
// directories, or in Go's bin directory (MinIO, installed by go install).
func Bin(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		dirs = append(dirs, filepath.Join(strings.TrimSpace(string(gopath)), "bin"))
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExec(p) {
			return p
		}
	}
	t.Fatalf("%s is not installed (scripts/test.sh installs PostgreSQL, Redis and MinIO)", name)
	return ""
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitFor(what string, timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ok() {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up within %s", what, timeout)
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// Postgres is a PostgreSQL cluster of the test's own, with trust
// authentication on 127.0.0.1 and the superuser postgres.
type Postgres struct {
	t       testing.TB
	Dir     string
	Port    int
	pgCtl   string
	asOwner func(*exec.Cmd)
}

// StartPostgres makes a cluster with initdb and starts it; the test's end
// stops it and removes it.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	initdb := Bin(t, "initdb")
	p := &Postgres{t: t, Port: FreePort(t), pgCtl: Bin(t, "pg_ctl"), asOwner: func(*exec.Cmd) {}}
	dir, err := os.MkdirTemp("", "tuijin-pg-*")
	if err != nil {
		t.Fatal(err)
	}
	p.Dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	// PostgreSQL refuses to run as root: run its programs as postgres.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the system user postgres (Debian's postgresql package makes it): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.asOwner = func(c *exec.Cmd) {
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		}
	}
	if out, err := p.run(initdb, "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Start()
	t.Cleanup(func() { p.run(p.pgCtl, "-D", p.data(), "-m", "immediate", "-w", "stop") })
	return p
}

func (p *Postgres) data() string { return filepath.Join(p.Dir, "data") }

func (p *Postgres) run(bin string, args ...string) ([]byte, error) {
	c := exec.Command(bin, args...)
	c.Dir = p.Dir
	p.asOwner(c)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return out.Bytes(), err
}

// Start starts the cluster and waits until it accepts connections.
func (p *Postgres) Start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60", p.Port, p.Dir)
	if out, err := p.run(p.pgCtl, "-D", p.data(), "-o", opts, "-l", filepath.Join(p.Dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.Dir, "log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop shuts the cluster down in mode fast: open transactions are rolled
// back and every client is disconnected, as in a restart for maintenance.
func (p *Postgres) Stop() {
	p.t.Helper()
	if out, err := p.run(p.pgCtl, "-D", p.data(), "-m", "fast", "-w", "stop"); err != nil {
		p.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// AdminURL is the superuser's URL of database name.
func (p *Postgres) AdminURL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, name)
}

// proc is a server run as a child process, stopped with SIGTERM.
type proc struct {
	t    testing.TB
	name string
	argv []string
	env  []string
	log  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (s *proc) start(ready func() bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	c := exec.Command(s.argv[0], s.argv[1:]...)
	c.Env = append(os.Environ(), s.env...)
	c.Stdout, c.Stderr = logf, logf
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("%s: %v", s.name, err)
	}
	done := make(chan struct{})
	go func() { c.Wait(); logf.Close(); close(done) }()
	s.cmd, s.done = c, done
	if err := waitFor(s.name, time.Minute, ready); err != nil {
		log, _ := os.ReadFile(s.log)
		s.t.Fatalf("%v\n%s", err, log)
	}
}

func (s *proc) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Redis is a redis-server of the test's own, keeping its data in an
// append-only file as production does, so that a stop loses no queued job.
type Redis struct {
	proc
	Port int
}

// StartRedis starts a redis-server on a free port; the test's end stops it.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	dir := t.TempDir()
	r := &Redis{Port: FreePort(t)}
	r.proc = proc{t: t, name: "redis-server", log: filepath.Join(dir, "log"), argv: []string{Bin(t, "redis-server"),
		"--bind", "127.0.0.1", "--port", strconv.Itoa(r.Port), "--dir", dir, "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction"}}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// Start starts the server (again) and waits until it answers.
func (r *Redis) Start() { r.start(func() bool { return dialable(r.Addr()) }) }

// Stop shuts the server down (SIGTERM: it writes its data and exits).
func (r *Redis) Stop() { r.stop() }

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL is a redis:// URL of database 0.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// MinIO is a MinIO server of the test's own with a fixed root account.
type MinIO struct {
	proc
	Port int
}

// MinIO's root account in tests.
const (
	MinIOUser     = "drill"
	MinIOPassword = "drill-secret-key"
)

// StartMinIO starts a MinIO server on a free port over a temporary
// directory; the test's end stops it.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	dir := t.TempDir()
	m := &MinIO{Port: FreePort(t)}
	console := FreePort(t)
	m.proc = proc{t: t, name: "minio", log: filepath.Join(dir, "log"),
		argv: []string{Bin(t, "minio"), "server", filepath.Join(dir, "data"), "--quiet", "--address", m.Endpoint(),
			"--console-address", "127.0.0.1:" + strconv.Itoa(console)},
		env: []string{"MINIO_ROOT_USER=" + MinIOUser, "MINIO_ROOT_PASSWORD=" + MinIOPassword, "MINIO_BROWSER=off",
			"MINIO_UPDATE=off", "MINIO_CI_CD=1"}}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}

// Start starts the server (again) over the same directory and waits until
// it reports itself live.
func (m *MinIO) Start() {
	m.start(func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.Endpoint()+"/minio/health/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// Stop shuts the server down.
func (m *MinIO) Stop() { m.stop() }

// Endpoint is host:port.
func (m *MinIO) Endpoint() string { return "127.0.0.1:" + strconv.Itoa(m.Port) }
