package worker_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/notify"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/worker"
)

// notifyOn gives account a WeCom channel to target and one message keyed
// key; it returns the delivery's id.
func notifyOn(t *testing.T, c, acct uuid.UUID, target, key string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		if _, err := postgres.PutChannel(ctx, tx, postgres.Channel{AccountID: acct, Channel: "wecom", Target: target, Enabled: true}); err != nil {
			return err
		}
		if _, err := postgres.Notify(ctx, tx, []postgres.Message{{AccountID: acct, Kind: postgres.MsgReportDue, Title: "周报明日截止", Body: "请及时填报。", IdemKey: key}}); err != nil {
			return err
		}
		return tx.NewRaw(`SELECT d.id FROM deliveries d JOIN notifications n ON n.id = d.notification_id
			WHERE n.idem_key = ? AND d.channel = 'wecom'`, key).Scan(ctx, &id)
	})
	t.Cleanup(func() {
		in(t, c, func(ctx context.Context, tx bun.IDB) error { return postgres.DeleteChannel(ctx, tx, acct, "wecom") })
	})
	return id
}

// TestNoLockWhileSending: while the worker's request is at the receiver,
// the delivery's row is not locked (the send runs outside any transaction).
func TestNoLockWhileSending(t *testing.T) {
	c := county(t, "guangshan")
	acct := account(t, c, "gs.leader")
	var mu sync.Mutex
	var lockErr error
	var seen bool
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := env.App.InCounty(context.Background(), c, func(ctx context.Context, tx bun.IDB) error {
			var id uuid.UUID
			return tx.NewRaw(`SELECT d.id FROM deliveries d JOIN notifications n ON n.id = d.notification_id
				WHERE n.idem_key = 't-nolock' FOR UPDATE OF d NOWAIT`).Scan(ctx, &id)
		})
		mu.Lock()
		lockErr, seen = err, true
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer recv.Close()
	startWorker(t, &notify.Sender{WebhookHosts: []string{strings.TrimPrefix(recv.URL, "https://")}, Transport: recv.Client().Transport}, 3)
	notifyOn(t, c, acct, recv.URL+"/send?key=x", "t-nolock")
	waitFor(t, "delivery", 15*time.Second, func() bool { s, _ := deliveryState(t, c, "t-nolock", "wecom"); return s == "sent" })
	mu.Lock()
	defer mu.Unlock()
	if !seen || lockErr != nil {
		t.Fatalf("the delivery's row was locked while its message was being sent: %v", lockErr)
	}
}

// TestDeliveryLease: an attempt that died while sending holds the delivery
// until its lease runs out; then another attempt sends it (at least once).
// Once recorded as sent, a delivery is not sent again, as when asynq runs a
// task again after a crash that followed the record.
func TestDeliveryLease(t *testing.T) {
	c := county(t, "guangshan")
	acct := account(t, c, "gs.taskforce")
	var got atomic.Int32
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer recv.Close()
	d := worker.Deps{DB: env.App, Log: quietLog(), PublicURL: "https://tuijin.example",
		Sender: &notify.Sender{WebhookHosts: []string{strings.TrimPrefix(recv.URL, "https://")}, Transport: recv.Client().Transport}}
	id := notifyOn(t, c, acct, recv.URL+"/send", "t-lease")
	p := worker.DeliverPayload{CountyID: c, DeliveryID: id}

	// An attempt claims the delivery and dies before recording anything.
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		_, ok, err := postgres.ClaimDelivery(ctx, tx, id, worker.DeliveryLease)
		if !ok && err == nil {
			t.Fatal("nothing to claim")
		}
		return err
	})
	if err := d.Deliver(context.Background(), p, false); !errors.Is(err, postgres.ErrDeliveryLeased) {
		t.Fatalf("second attempt during the lease: %v", err)
	}
	if got.Load() != 0 {
		t.Fatal("sent during another attempt's lease")
	}
	// The lease runs out.
	in(t, c, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = ?", id)
		return err
	})
	if err := d.Deliver(context.Background(), p, false); err != nil {
		t.Fatalf("attempt after the lease: %v", err)
	}
	if n := got.Load(); n != 1 {
		t.Fatalf("received %d times, want 1", n)
	}
	// The task runs again (a crash after the record): nothing is sent.
	if err := d.Deliver(context.Background(), p, false); err != nil {
		t.Fatal(err)
	}
	if n := got.Load(); n != 1 {
		t.Fatalf("a sent delivery was sent again (%d)", n)
	}
	if status, attempts := deliveryState(t, c, "t-lease", "wecom"); status != "sent" || attempts != 2 {
		t.Fatalf("delivery %s after %d attempts", status, attempts)
	}
}
