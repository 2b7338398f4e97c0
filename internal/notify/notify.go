// Package notify sends a message over a user's outside channel (issue 7 §6):
// a WeCom (企业微信) or DingTalk (钉钉) group robot webhook, or e-mail over
// SMTP. Delivery bookkeeping (once per message and channel, retries, dead
// letters) is the worker's; this package only speaks the protocols.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
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
}

// Sender sends messages. Webhook hosts are limited to an allow-list so a
// user's channel cannot make the server call an internal address.
type Sender struct {
	HTTP         *http.Client
	WebhookHosts []string // host or host:port; empty allows none
	SMTPAddr     string   // host:port; empty disables e-mail
	SMTPFrom     string
	SMTPUser     string
	SMTPPassword string
	Now          func() time.Time
}

// New is the sender the configuration describes.
func New(cfg config.Config) *Sender {
	return &Sender{HTTP: &http.Client{Timeout: 15 * time.Second}, WebhookHosts: strings.Split(cfg.WebhookHosts, ","),
		SMTPAddr: cfg.SMTPAddr, SMTPFrom: cfg.SMTPFrom, SMTPUser: cfg.SMTPUser, SMTPPassword: cfg.SMTPPassword}
}

// CheckTarget validates a channel's target before it is stored.
func (s *Sender) CheckTarget(channel, target string) error {
	var v errs.Validation
	switch channel {
	case WeCom, DingTalk:
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.Add("target", "invalid_url", "机器人地址须为完整的 Webhook 网址", "the robot address must be a full webhook URL")
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
		return s.mail(target, m)
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

// webhook posts JSON; both robots answer {"errcode":0} on success.
func (s *Sender) webhook(ctx context.Context, target string, body any) error {
	u, err := url.Parse(target)
	if err != nil || !s.hostAllowed(u.Host) {
		return fmt.Errorf("webhook host not allowed: %s", target)
	}
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	c := s.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
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

// mail sends a UTF-8 plain-text e-mail.
func (s *Sender) mail(to string, m Message) error {
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
	msg.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Body + "\n" + m.Link + "\n"))
	for len(enc) > 76 {
		msg.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	msg.WriteString(enc + "\r\n")
	var auth smtp.Auth
	if s.SMTPUser != "" {
		auth = smtp.PlainAuth("", s.SMTPUser, s.SMTPPassword, host)
	}
	return smtp.SendMail(s.SMTPAddr, auth, s.SMTPFrom, []string{to}, msg.Bytes())
}
