// Package notify sends a message over a user's outside channel (issue 7 §6):
// a WeCom (企业微信) or DingTalk (钉钉) group robot webhook, or e-mail over
// SMTP. Delivery bookkeeping (once per message and channel, retries, dead
// letters) is the worker's; this package only speaks the protocols.
//
// A webhook target is a user's input, so a request goes out only over
// https, to an allowed host, to a public address (checked on the address
// actually dialled, after DNS), and never follows a redirect. Every call has
// a deadline.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/errs"
)

// Channels a user can add.
const (
	WeCom    = "wecom"
	DingTalk = "dingtalk"
	Email    = "email"
)

// Message is what is sent.
type Message struct {
	Title string
	Body  string
	Link  string // absolute URL of the page in the console, or empty
	// ID names the message for its receiver, the same on every attempt
	// (an e-mail's Message-ID), so that a message sent again after a crash
	// can be recognised; empty: none.
	ID string
}

// Time limits of one attempt.
const (
	WebhookTimeout = 15 * time.Second
	SMTPTimeout    = 30 * time.Second
)

// Sender sends messages. Webhook hosts are limited to an allow-list and
// webhook connections to public addresses, so a user's channel cannot make
// the server call an internal address.
type Sender struct {
	WebhookHosts []string // host or host:port; empty allows none
	SMTPAddr     string   // host:port; empty disables e-mail
	SMTPFrom     string
	SMTPUser     string
	SMTPPassword string
	Now          func() time.Time
	// Transport carries webhook requests. Nil is PublicTransport, which
	// connects to public addresses only; tests set one that reaches their
	// local receiver. The https-only, no-redirect and host rules hold
	// whatever the transport.
	Transport http.RoundTripper
}

// New is the sender the configuration describes.
func New(cfg config.Config) *Sender {
	return &Sender{WebhookHosts: strings.Split(cfg.WebhookHosts, ","),
		SMTPAddr: cfg.SMTPAddr, SMTPFrom: cfg.SMTPFrom, SMTPUser: cfg.SMTPUser, SMTPPassword: cfg.SMTPPassword}
}

// ErrAddressNotAllowed is the error of a webhook whose host resolves to a
// loopback, private, link-local or otherwise non-public address.
var ErrAddressNotAllowed = errors.New("webhook address is not a public address")

// PublicTransport is the transport of webhook requests: no proxy, and a
// dialer that refuses every address PublicAddr refuses, checked on the
// address being connected to (after DNS), so that a name resolving to an
// internal address is refused too.
var PublicTransport http.RoundTripper = &http.Transport{
	DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: refuseNonPublic}).DialContext,
	TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	TLSHandshakeTimeout:   5 * time.Second,
	ResponseHeaderTimeout: 10 * time.Second,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          20,
	IdleConnTimeout:       90 * time.Second,
}

func refuseNonPublic(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || (network != "tcp4" && network != "tcp6") || !PublicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrAddressNotAllowed, address)
	}
	return nil
}

// nonPublic are ranges that the netip predicates do not cover: shared
// (carrier-grade NAT), IETF protocol assignments, benchmarking,
// documentation, reserved and broadcast; NAT64, 6to4 and Teredo (which embed
// an IPv4 address), IPv6 discard, documentation and the old site-local range.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16",
		"2001::/32", "100::/64", "2001:db8::/32", "fec0::/10"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// PublicAddr reports whether a is an address a webhook may connect to: not
// loopback, private, link-local, multicast, unspecified or reserved.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a.WithZone("")) {
			return false
		}
	}
	return true
}

// CheckTarget validates a channel's target before it is stored.
func (s *Sender) CheckTarget(channel, target string) error {
	var v errs.Validation
	switch channel {
	case WeCom, DingTalk:
		u, err := url.Parse(target)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			v.Add("target", "invalid_url", "机器人地址须为 https:// 开头的完整 Webhook 网址", "the robot address must be a full https:// webhook URL")
		} else if !s.hostAllowed(u.Host) {
			v.Add("target", "host_not_allowed", "不允许向该主机发送（仅限企业微信、钉钉机器人地址）", "this host is not an allowed webhook host")
		}
	case Email:
		if a, err := mail.ParseAddress(target); err != nil || a.Address != target {
			v.Add("target", "invalid_email", "电子邮箱地址格式不正确", "not a valid e-mail address")
		}
	default:
		v.Add("channel", "invalid_channel", "渠道须为 wecom、dingtalk 或 email", "channel must be wecom, dingtalk or email")
	}
	return v.Err()
}

func (s *Sender) hostAllowed(host string) bool {
	h := strings.ToLower(host)
	for _, a := range s.WebhookHosts {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && (h == a || strings.Split(h, ":")[0] == a) {
			return true
		}
	}
	return false
}

// Send delivers m over channel to target (secret signs DingTalk requests).
func (s *Sender) Send(ctx context.Context, channel, target, secret string, m Message) error {
	switch channel {
	case WeCom:
		return s.webhook(ctx, target, map[string]any{"msgtype": "markdown",
			"markdown": map[string]string{"content": "**" + m.Title + "**\n" + m.Body + link(m.Link)}})
	case DingTalk:
		u := target
		if secret != "" {
			signed, err := DingTalkSign(target, secret, s.now())
			if err != nil {
				return err
			}
			u = signed
		}
		return s.webhook(ctx, u, map[string]any{"msgtype": "markdown",
			"markdown": map[string]string{"title": m.Title, "text": "#### " + m.Title + "\n" + m.Body + link(m.Link)}})
	case Email:
		return s.mail(ctx, target, m)
	}
	return fmt.Errorf("unknown channel %q", channel)
}

func link(l string) string {
	if l == "" {
		return ""
	}
	return "\n[查看详情](" + l + ")"
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// DingTalkSign adds DingTalk's signature to a robot URL: timestamp in
// milliseconds and sign = base64(HMAC-SHA256(secret, timestamp + "\n" + secret)).
func DingTalkSign(target, secret string, now time.Time) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("sign", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// webhook posts JSON over https; both robots answer {"errcode":0} on success.
func (s *Sender) webhook(ctx context.Context, target string, body any) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("webhook must be an https:// URL: %s", redact(target))
	}
	if !s.hostAllowed(u.Host) {
		return fmt.Errorf("webhook host not allowed: %s", u.Host)
	}
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook request: %s", redact(target))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	t := s.Transport
	if t == nil {
		t = PublicTransport
	}
	// A redirect is not followed: its status is the answer, and a failure.
	c := &http.Client{Transport: t, Timeout: WebhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redact(ue.URL) // the query holds the robot's access token
		}
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d: %.200s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	var r struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("webhook answer is not JSON: %.200s", raw)
	}
	if r.ErrCode != 0 {
		return fmt.Errorf("webhook errcode %d: %s", r.ErrCode, r.ErrMsg)
	}
	return nil
}

// redact drops a URL's query and user, which carry tokens.
func redact(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "(malformed URL)"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// mail sends a UTF-8 plain-text e-mail within SMTPTimeout (or ctx's
// deadline, if sooner), using STARTTLS when the server offers it.
func (s *Sender) mail(ctx context.Context, to string, m Message) error {
	if s.SMTPAddr == "" {
		return fmt.Errorf("e-mail is not configured (TUIJIN_SMTP_ADDR)")
	}
	host, _, err := net.SplitHostPort(s.SMTPAddr)
	if err != nil {
		return err
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
		s.SMTPFrom, to, mime.BEncoding.Encode("UTF-8", m.Title), s.now().Format(time.RFC1123Z))
	if m.ID != "" {
		domain := "tuijin"
		if at := strings.LastIndexByte(s.SMTPFrom, '@'); at >= 0 {
			domain = strings.Trim(s.SMTPFrom[at+1:], "<> ")
		}
		fmt.Fprintf(&msg, "Message-ID: <%s@%s>\r\n", m.ID, domain)
	}
	msg.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Body + "\n" + m.Link + "\n"))
	for len(enc) > 76 {
		msg.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	msg.WriteString(enc + "\r\n")

	ctx, cancel := context.WithTimeout(ctx, SMTPTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.SMTPAddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Every read and write ends at the deadline, or at once when ctx ends.
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	defer context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if s.SMTPUser != "" {
		if err := c.Auth(smtp.PlainAuth("", s.SMTPUser, s.SMTPPassword, host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(s.SMTPFrom); err != nil {
		return fmt.Errorf("smtp MAIL: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(msg.Bytes()); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	return c.Quit()
}
