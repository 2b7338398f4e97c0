package worker_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/notify"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/worker"
)

// startWorker runs an in-process worker on its own Redis database.
func startWorker(t *testing.T, sender *notify.Sender, maxRetry int) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 13})
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("Redis must run on 127.0.0.1:6379: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- worker.Run(ctx, worker.Deps{DB: env.App, Redis: rdb, Sender: sender, Log: quietLog(), Concurrency: 4,
			MaxRetry: maxRetry, ScheduleSync: time.Hour, RetryBase: 200 * time.Millisecond, PublicURL: "https://tuijin.example"})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		rdb.FlushDB(context.Background())
		rdb.Close()
	})
}

func account(t testing.TB, c uuid.UUID, username string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT id FROM accounts WHERE username = ?", username).Scan(ctx, &id)
	})
	return id
}

func deliveryState(t testing.TB, c uuid.UUID, key, channel string) (status string, attempts int) {
	t.Helper()
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		err := tx.NewRaw(`SELECT d.status, d.attempts FROM deliveries d JOIN notifications n ON n.id = d.notification_id
			WHERE n.idem_key = ? AND d.channel = ?`, key, channel).Scan(ctx, &status, &attempts)
		if err != nil && strings.Contains(err.Error(), "no rows") {
			return nil
		}
		return err
	})
	return
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Webhook delivery to a local https receiver (reached through the test
// server's own transport: the production one refuses loopback addresses):
// success; failing twice then succeeding gives one delivery; failing always
// ends in the dead-letter list, from which the office can retry it.
func TestWebhookDelivery(t *testing.T) {
	c := county(t, "guangshan")
	office := account(t, c, "gs.office")
	var mu sync.Mutex
	received := map[string][]map[string]any{} // path -> accepted bodies
	var calls atomic.Int32
	failFirst := map[string]int{"/flaky": 2}
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if failFirst[r.URL.Path] > 0 {
			failFirst[r.URL.Path]--
			io.WriteString(w, `{"errcode":45009,"errmsg":"api freq out of limit"}`)
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		body["_query"] = r.URL.RawQuery
		received[r.URL.Path] = append(received[r.URL.Path], body)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer recv.Close()
	host := strings.TrimPrefix(recv.URL, "https://")
	startWorker(t, &notify.Sender{WebhookHosts: []string{host}, Transport: recv.Client().Transport}, 3)

	send := func(channel, path, secret, key string) {
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			if _, err := postgres.PutChannel(ctx, tx, postgres.Channel{AccountID: office, Channel: channel, Target: recv.URL + path + "?access_token=abc", Secret: secret, Enabled: true}); err != nil {
				return err
			}
			_, err := postgres.Notify(ctx, tx, []postgres.Message{{AccountID: office, Kind: postgres.MsgEscalation, Title: "电视问政：测试项目", Body: "连续2周无实质进度", Link: "/supervision?tab=escalations", IdemKey: key}})
			return err
		})
	}
	// WeCom, succeeding at once.
	send("wecom", "/ok", "", "t-ok")
	waitFor(t, "WeCom delivery", 15*time.Second, func() bool { s, _ := deliveryState(t, c, "t-ok", "wecom"); return s == "sent" })
	mu.Lock()
	if got := received["/ok"]; len(got) != 1 || got[0]["msgtype"] != "markdown" || !strings.Contains(got[0]["markdown"].(map[string]any)["content"].(string), "https://tuijin.example/supervision?tab=escalations") {
		t.Fatalf("WeCom body: %v", got)
	}
	mu.Unlock()
	// DingTalk, signed, failing twice first: exactly one accepted delivery.
	send("dingtalk", "/flaky", "SECabc", "t-flaky")
	waitFor(t, "DingTalk delivery after two failures", 20*time.Second, func() bool { s, _ := deliveryState(t, c, "t-flaky", "dingtalk"); return s == "sent" })
	time.Sleep(1500 * time.Millisecond) // a duplicate would arrive now
	mu.Lock()
	got := received["/flaky"]
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("flaky receiver accepted %d deliveries, want 1", len(got))
	}
	if q := got[0]["_query"].(string); !strings.Contains(q, "sign=") || !strings.Contains(q, "timestamp=") {
		t.Fatalf("DingTalk request not signed: %s", q)
	}
	if _, attempts := deliveryState(t, c, "t-flaky", "dingtalk"); attempts != 3 {
		t.Fatalf("attempts = %d, want 3", attempts)
	}
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		return postgres.DeleteChannel(ctx, tx, office, "dingtalk")
	})
	// Always failing: dead after 1 + 3 attempts, listed for the office.
	send("wecom", "/down", "", "t-down")
	waitFor(t, "dead delivery", 30*time.Second, func() bool { s, _ := deliveryState(t, c, "t-down", "wecom"); return s == "dead" })
	var dead []postgres.DeadLetter
	waitFor(t, "dead letter", 10*time.Second, func() bool {
		in(t, c, func(ctx context.Context, tx bun.IDB) error {
			var err error
			dead, _, err = postgres.ListDeadLetters(ctx, tx, postgres.Page{})
			return err
		})
		return len(dead) > 0 && dead[0].TaskType == worker.TypeDeliver
	})
	if !strings.Contains(dead[0].Error, "502") || dead[0].Attempts != 4 {
		t.Fatalf("dead letter: %+v", dead[0])
	}
	// The office fixes the channel and retries: delivered once.
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		if _, err := postgres.PutChannel(ctx, tx, postgres.Channel{AccountID: office, Channel: "wecom", Target: recv.URL + "/fixed", Enabled: true}); err != nil {
			return err
		}
		_, err := postgres.RetryDeadLetter(ctx, tx, dead[0].ID, office, time.Now())
		return err
	})
	waitFor(t, "retried delivery", 15*time.Second, func() bool { s, _ := deliveryState(t, c, "t-down", "wecom"); return s == "sent" })
	mu.Lock()
	if n := len(received["/fixed"]); n != 1 {
		t.Fatalf("retried delivery arrived %d times", n)
	}
	mu.Unlock()
	in(t, c, func(ctx context.Context, tx bun.IDB) error { return postgres.DeleteChannel(ctx, tx, office, "wecom") })
}

// smtpServer is a minimal local SMTP receiver that keeps each message.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
}

func newSMTPServer(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(line string) { io.WriteString(c, line+"\r\n") }
	reply("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			reply("250 test")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			reply("250 OK")
		case cmd == "DATA":
			reply("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			reply("250 queued")
		case cmd == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

// E-mail through the worker to a local SMTP server, with a UTF-8 subject.
func TestEmailDelivery(t *testing.T) {
	c := county(t, "guangshan")
	helper := account(t, c, "gs.helper")
	srv := newSMTPServer(t)
	startWorker(t, &notify.Sender{SMTPAddr: srv.ln.Addr().String(), SMTPFrom: "tuijin@guangshan.gov.cn"}, 3)
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		if _, err := postgres.PutChannel(ctx, tx, postgres.Channel{AccountID: helper, Channel: "email", Target: "tangming@example.cn", Enabled: true}); err != nil {
			return err
		}
		_, err := postgres.Notify(ctx, tx, []postgres.Message{{AccountID: helper, Kind: postgres.MsgReportDue, Title: "周报明日截止：光山县测试项目", Body: "请及时填报。", IdemKey: "t-mail"}})
		return err
	})
	waitFor(t, "e-mail", 15*time.Second, func() bool { s, _ := deliveryState(t, c, "t-mail", "email"); return s == "sent" })
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.msgs) != 1 {
		t.Fatalf("%d messages received", len(srv.msgs))
	}
	m := srv.msgs[0]
	if !strings.Contains(m, "To: tangming@example.cn") || !strings.Contains(m, "Subject: =?UTF-8?b?") || !strings.Contains(m, "@guangshan.gov.cn>\r\n") || !strings.Contains(m, "Message-ID: <") {
		t.Fatalf("headers: %s", m)
	}
	body := m[strings.Index(m, "\r\n\r\n")+4:]
	dec, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if !strings.Contains(string(dec), "请及时填报") {
		t.Fatalf("body: %q", dec)
	}
	in(t, c, func(ctx context.Context, tx bun.IDB) error { return postgres.DeleteChannel(ctx, tx, helper, "email") })
}
