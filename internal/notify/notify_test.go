package notify

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/errs"
)

func TestPublicAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
	}{
		{"127.0.0.1", false}, {"127.8.9.10", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"100.64.0.1", false}, {"0.0.0.0", false}, {"255.255.255.255", false}, {"224.0.0.1", false},
		{"::1", false}, {"::", false}, {"fe80::1", false}, {"fe80::1%lo", false}, {"fc00::1", false}, {"fd12:3456::1", false},
		{"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"64:ff9b::a00:1", false}, {"2002:a00:1::1", false},
		{"ff02::1", false},
		{"101.91.22.57", true}, {"203.119.129.1", true}, {"2400:3200::1", true},
	} {
		if got := PublicAddr(netip.MustParseAddr(tc.addr)); got != tc.public {
			t.Errorf("PublicAddr(%s) = %v, want %v", tc.addr, got, tc.public)
		}
	}
}

// countingTLS is a local https receiver that counts the connections made to it.
func countingTLS(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`) }

// TestProductionDialerRefusesInternalAddresses: with the production
// transport, a webhook to a loopback, private or link-local address fails
// before connecting, even when the host is on the allow-list.
func TestProductionDialerRefusesInternalAddresses(t *testing.T) {
	local, conns := countingTLS(t, ok)
	targets := []string{local.URL + "/send?key=k", "https://10.11.12.13/send", "https://169.254.169.254/latest/meta-data", "https://[::1]:1/send"}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		targets[3] = "https://" + ln.Addr().String() + "/send"
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				conns.Add(1)
				c.Close()
			}
		}()
	}
	for _, target := range targets {
		host := strings.Split(strings.TrimPrefix(target, "https://"), "/")[0]
		s := &Sender{WebhookHosts: []string{host}}
		err := s.Send(context.Background(), WeCom, target, "", Message{Title: "t", Body: "b"})
		if !errors.Is(err, ErrAddressNotAllowed) {
			t.Errorf("%s: %v, want ErrAddressNotAllowed", target, err)
		}
		if err != nil && strings.Contains(err.Error(), "key=k") {
			t.Errorf("the error shows the URL's query: %v", err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the local receivers got %d connections", n)
	}
}

// TestWebhookRefusesPlainHTTP: neither a stored channel nor a send may use http://.
func TestWebhookRefusesPlainHTTP(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); ok(w, r) }))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	s := &Sender{WebhookHosts: []string{host}, Transport: srv.Client().Transport}
	if err := s.Send(context.Background(), WeCom, srv.URL+"/send", "", Message{Title: "t"}); err == nil {
		t.Fatal("a webhook was sent over http://")
	}
	if calls.Load() != 0 {
		t.Fatal("the http:// receiver was called")
	}
	err := s.CheckTarget(WeCom, "http://"+host+"/send")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.Invalid || !strings.Contains(e.Error(), "validation_failed") || e.Fields[0].Code != "invalid_url" {
		t.Fatalf("CheckTarget of an http:// URL: %v", err)
	}
}

// TestWebhookDoesNotFollowRedirects: a 307 (to a loopback receiver, or
// anywhere) is a failed send; the redirect's target receives nothing.
func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	inner, innerConns := countingTLS(t, ok)
	plain := httptest.NewServer(http.HandlerFunc(ok))
	defer plain.Close()
	for _, to := range []string{inner.URL + "/steal", plain.URL + "/steal"} {
		outer, _ := countingTLS(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, to, http.StatusTemporaryRedirect)
		})
		s := &Sender{WebhookHosts: []string{strings.TrimPrefix(outer.URL, "https://"), strings.TrimPrefix(inner.URL, "https://")},
			Transport: outer.Client().Transport}
		err := s.Send(context.Background(), DingTalk, outer.URL+"/robot/send?access_token=x", "SEC1", Message{Title: "t"})
		if err == nil || !strings.Contains(err.Error(), "307") {
			t.Errorf("redirect to %s: %v", to, err)
		}
	}
	if n := innerConns.Load(); n != 0 {
		t.Errorf("the redirect's target got %d connections", n)
	}
}

// TestSMTPTimeout: a server that accepts and never answers does not hold
// the sender past its deadline.
func TestSMTPTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	s := &Sender{SMTPAddr: ln.Addr().String(), SMTPFrom: "tuijin@example.cn"}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, Email, "a@example.cn", "", Message{Title: "t", Body: "b"}) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a silent SMTP server accepted the message")
		}
	case <-time.After(SMTPTimeout + 30*time.Second):
		t.Fatal("Send did not return from a silent SMTP server")
	}
}
