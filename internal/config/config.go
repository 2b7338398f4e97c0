// Package config reads tuijin's configuration from environment variables.
//
// Every setting has a default that works on a developer machine with local
// PostgreSQL, Redis and MinIO. A variable that is set replaces its default
// even when it is empty: an empty string is empty (which turns off an
// optional address), an empty number, boolean or duration is an error.
// Secrets may also be given as a file: for a variable X, X_FILE names a file
// whose content (trimmed) is the value, which is how Kubernetes secrets are
// mounted; a file that cannot be read is an error, never the default.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one tuijin process.
type Config struct {
	HTTPAddr    string `env:"TUIJIN_HTTP_ADDR" default:"127.0.0.1:8080" required:"true" doc:"address the API and console listen on"`
	MetricsAddr string `env:"TUIJIN_METRICS_ADDR" default:"127.0.0.1:9090" doc:"address of the private /metrics listener (empty: off)"`
	DatabaseURL string `env:"TUIJIN_DATABASE_URL" default:"postgres://tuijin_app@127.0.0.1:5432/tuijin?sslmode=disable" required:"true" secret:"true" doc:"PostgreSQL URL of the application role (no table ownership, no BYPASSRLS)"`
	MigrateURL  string `env:"TUIJIN_MIGRATE_DATABASE_URL" default:"postgres://tuijin_owner@127.0.0.1:5432/tuijin?sslmode=disable" required:"true" secret:"true" doc:"PostgreSQL URL of the owning role, used by migrate and audit verify"`
	AppRole     string `env:"TUIJIN_APP_ROLE" default:"tuijin_app" required:"true" doc:"database role the application connects as; migrate grants it its privileges"`
	BackupURL   string `env:"TUIJIN_BACKUP_DATABASE_URL" default:"postgres://tuijin_backup@127.0.0.1:5432/tuijin?sslmode=disable" secret:"true" doc:"PostgreSQL URL of the backup role (BYPASSRLS, read only), used by backup and restore"`
	BackupRole  string `env:"TUIJIN_BACKUP_ROLE" default:"tuijin_backup" doc:"database role backups read as; migrate grants it SELECT when it exists"`
	DBMaxConns  int    `env:"TUIJIN_DB_MAX_CONNS" default:"20" doc:"maximum open PostgreSQL connections"`
	RedisURL    string `env:"TUIJIN_REDIS_URL" default:"redis://127.0.0.1:6379/0" required:"true" secret:"true" doc:"Redis URL (login throttling, jobs)"`
	S3Endpoint  string `env:"TUIJIN_S3_ENDPOINT" default:"127.0.0.1:9000" required:"true" doc:"S3/MinIO endpoint host:port"`
	S3AccessKey string `env:"TUIJIN_S3_ACCESS_KEY" default:"minioadmin" secret:"true" doc:"S3 access key"`
	S3SecretKey string `env:"TUIJIN_S3_SECRET_KEY" default:"minioadmin" secret:"true" doc:"S3 secret key"`
	S3Bucket    string `env:"TUIJIN_S3_BUCKET" default:"tuijin" required:"true" doc:"bucket for photos and signed documents"`
	S3UseTLS    bool   `env:"TUIJIN_S3_TLS" default:"false" doc:"use HTTPS for S3"`
	S3LockMode  string `env:"TUIJIN_S3_LOCK_MODE" default:"COMPLIANCE" doc:"object lock mode of stored documents: COMPLIANCE (nobody can delete during retention) or GOVERNANCE"`
	RetainYears int    `env:"TUIJIN_RETAIN_YEARS" default:"10" doc:"years a signed document or photo stays locked"`
	URLSecret   string `env:"TUIJIN_URL_SECRET" default:"" secret:"true" doc:"key that signs short-lived photo URLs (the same on every replica; empty: a random one per process)"`
	PhotoPixels int    `env:"TUIJIN_PHOTO_MAX_PIXELS" default:"40000000" doc:"largest photo accepted, in pixels (checked before decoding)"`

	DecodeBudget      int64 `env:"TUIJIN_DECODE_BUDGET" default:"201326592" doc:"bytes of memory the worker may spend at once decoding photos and annotating refused workbooks; a photo whose decoding would need more (width × height × bytes a pixel, from its header) is refused at upload"`
	DecodeConcurrency int   `env:"TUIJIN_DECODE_CONCURRENCY" default:"2" doc:"photos decoded (or workbooks annotated) at once by one worker process"`
	ImportMaxRows     int   `env:"TUIJIN_IMPORT_MAX_ROWS" default:"10000" doc:"rows a sheet of an imported workbook may have; a longer one is refused before it is checked"`
	ImportMaxColumns  int   `env:"TUIJIN_IMPORT_MAX_COLUMNS" default:"200" doc:"columns an imported workbook's sheets may fill"`
	ImportMaxInflated int64 `env:"TUIJIN_IMPORT_MAX_INFLATED" default:"67108864" doc:"bytes an imported workbook's parts that are read (sheets, shared strings, styles) may inflate to; images and other parts are never read"`

	SessionIdle     time.Duration `env:"TUIJIN_SESSION_IDLE" default:"30m" doc:"a session ends after this long without a request"`
	SessionAbsolute time.Duration `env:"TUIJIN_SESSION_ABSOLUTE" default:"12h" doc:"a session ends this long after login, whatever its use"`
	CookieSecure    bool          `env:"TUIJIN_COOKIE_SECURE" default:"true" doc:"mark the session cookie Secure (browsers accept it on http://127.0.0.1 and localhost)"`
	TrustedProxies  string        `env:"TUIJIN_TRUSTED_PROXIES" default:"" doc:"comma-separated CIDRs whose X-Forwarded-For is believed; empty: the peer address is the client"`
	HashConcurrency int           `env:"TUIJIN_HASH_CONCURRENCY" default:"0" doc:"password hashes computed at once (0: number of CPUs)"`
	LoginMaxPerUser int           `env:"TUIJIN_LOGIN_MAX_FAILURES_ACCOUNT" default:"5" doc:"failed logins per account per window before it is throttled"`
	LoginMaxPerIP   int           `env:"TUIJIN_LOGIN_MAX_FAILURES_IP" default:"20" doc:"failed logins per client IP per window before it is throttled"`
	LoginWindow     time.Duration `env:"TUIJIN_LOGIN_WINDOW" default:"15m" doc:"throttling window"`
	BodyLimit       int64         `env:"TUIJIN_BODY_LIMIT" default:"1048576" doc:"maximum JSON request body in bytes"`
	UploadLimit     int64         `env:"TUIJIN_UPLOAD_LIMIT" default:"20971520" doc:"maximum uploaded file (workbooks, scans) in bytes"`
	LogLevel        string        `env:"TUIJIN_LOG_LEVEL" default:"info" doc:"debug, info, warn or error"`
	DemoPassword    string        `env:"TUIJIN_DEMO_PASSWORD" default:"Tuijin@2026" secret:"true" doc:"password of the demo accounts created by tuijin demo"`

	WorkerConcurrency int           `env:"TUIJIN_WORKER_CONCURRENCY" default:"4" doc:"jobs one worker process runs at once"`
	ScheduleSync      time.Duration `env:"TUIJIN_SCHEDULE_SYNC" default:"1m" doc:"how often the worker re-reads each county's settings for its periodic jobs"`
	JobMaxRetry       int           `env:"TUIJIN_JOB_MAX_RETRY" default:"8" doc:"retries of a failed job or delivery before it goes to the dead-letter list"`
	JobRetryBase      time.Duration `env:"TUIJIN_JOB_RETRY_BASE" default:"10s" doc:"delay before a failed job's first retry, doubling each time up to an hour"`
	PublicURL         string        `env:"TUIJIN_PUBLIC_URL" default:"http://127.0.0.1:8080" required:"true" doc:"address users open the console at (links in messages)"`
	WebhookHosts      string        `env:"TUIJIN_WEBHOOK_HOSTS" default:"qyapi.weixin.qq.com,oapi.dingtalk.com" doc:"comma-separated hosts robot webhooks may be sent to, over https to public addresses only (empty: none)"`
	SMTPAddr          string        `env:"TUIJIN_SMTP_ADDR" default:"" doc:"SMTP server host:port for e-mail notifications (empty: e-mail off)"`
	SMTPFrom          string        `env:"TUIJIN_SMTP_FROM" default:"tuijin@localhost" doc:"sender address of e-mail notifications"`
	SMTPUser          string        `env:"TUIJIN_SMTP_USER" default:"" doc:"SMTP user (empty: no authentication)"`
	SMTPPassword      string        `env:"TUIJIN_SMTP_PASSWORD" default:"" secret:"true" doc:"SMTP password"`
	PDFFont           string        `env:"TUIJIN_PDF_FONT" default:"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc,/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf,/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" doc:"fonts embedded in PDF bulletins, comma-separated, in order of preference: each character is drawn with the first that has it (TrueType .ttf, or the first face of a .ttc; Debian packages fonts-wqy-microhei, fonts-droid-fallback, fonts-dejavu-core)"`
}

// Load reads the configuration through lookup (os.LookupEnv in production).
// The error names every variable that is wrong: a value that does not parse,
// an empty value where one is required, an X_FILE that cannot be read or is
// given together with X.
func Load(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	v := reflect.ValueOf(&c).Elem()
	t := v.Type()
	var errs []error
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("env")
		raw, ok, err := value(lookup, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			raw = f.Tag.Get("default")
		}
		if err := setField(v.Field(i), raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if raw == "" && f.Tag.Get("required") == "true" {
			errs = append(errs, fmt.Errorf("%s: set but empty; unset it to use the default %q", name, f.Tag.Get("default")))
		}
	}
	if err := c.validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Map is a lookup over a fixed set of variables (for tests and tools).
func Map(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// value is the variable's value and whether it is set, from X_FILE or X.
func value(lookup func(string) (string, bool), name string) (string, bool, error) {
	file, fromFile := lookup(name + "_FILE")
	raw, set := lookup(name)
	if !fromFile {
		return raw, set, nil
	}
	if set {
		return "", false, fmt.Errorf("%s and %s_FILE are both set: give one", name, name)
	}
	if file == "" {
		return "", false, fmt.Errorf("%s_FILE is set but empty", name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", false, fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), true, nil
}

func setField(f reflect.Value, raw string) error {
	switch f.Interface().(type) {
	case string:
		f.SetString(raw)
		return nil
	}
	if raw == "" {
		return errors.New("set but empty; unset it to use the default")
	}
	switch f.Interface().(type) {
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("not a boolean: %q", raw)
		}
		f.SetBool(b)
	case int, int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", raw)
		}
		f.SetInt(n)
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("not a duration: %q", raw)
		}
		f.SetInt(int64(d))
	}
	return nil
}

func (c Config) validate() error {
	var errs []error
	if _, err := c.TrustedProxyNets(); err != nil {
		errs = append(errs, err)
	}
	if c.SessionIdle <= 0 || c.SessionAbsolute < c.SessionIdle {
		errs = append(errs, errors.New("TUIJIN_SESSION_IDLE must be positive and not longer than TUIJIN_SESSION_ABSOLUTE"))
	}
	if c.S3LockMode != "COMPLIANCE" && c.S3LockMode != "GOVERNANCE" {
		errs = append(errs, errors.New("TUIJIN_S3_LOCK_MODE must be COMPLIANCE or GOVERNANCE"))
	}
	if c.RetainYears < 1 || c.RetainYears > 100 {
		errs = append(errs, errors.New("TUIJIN_RETAIN_YEARS must be 1 to 100"))
	}
	if c.DecodeBudget < 16<<20 || c.DecodeConcurrency < 1 {
		errs = append(errs, errors.New("TUIJIN_DECODE_BUDGET must be at least 16 MiB and TUIJIN_DECODE_CONCURRENCY at least 1"))
	}
	if c.ImportMaxRows < 100 || c.ImportMaxColumns < 30 || c.ImportMaxInflated < 1<<20 {
		errs = append(errs, errors.New("TUIJIN_IMPORT_MAX_ROWS must be at least 100, TUIJIN_IMPORT_MAX_COLUMNS at least 30 and TUIJIN_IMPORT_MAX_INFLATED at least 1 MiB"))
	}
	if c.BodyLimit < 1024 {
		errs = append(errs, errors.New("TUIJIN_BODY_LIMIT must be at least 1024"))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, errors.New("TUIJIN_LOG_LEVEL must be debug, info, warn or error"))
	}
	return errors.Join(errs...)
}

// TrustedProxyNets parses TrustedProxies.
func (c Config) TrustedProxyNets() ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			if strings.Contains(s, ":") {
				s += "/128"
			} else {
				s += "/32"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("TUIJIN_TRUSTED_PROXIES: %q is not a CIDR", s)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// LogValue lists the effective configuration with secrets masked, for the
// start-up log line.
func (c Config) LogValue() slog.Value {
	v := reflect.ValueOf(c)
	t := v.Type()
	attrs := make([]slog.Attr, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		val := fmt.Sprint(v.Field(i).Interface())
		if f.Tag.Get("secret") == "true" {
			val = mask(val)
		}
		attrs = append(attrs, slog.String(f.Tag.Get("env"), val))
	}
	return slog.GroupValue(attrs...)
}

// mask hides a secret; for URLs only the password part is hidden.
func mask(s string) string {
	if s == "" {
		return ""
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return "*****"
}

// Doc is one row of the configuration table in the README.
type Doc struct{ Name, Default, Description string }

// Docs lists every variable, for documentation.
func Docs() []Doc {
	t := reflect.TypeOf(Config{})
	out := make([]Doc, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		out = append(out, Doc{f.Tag.Get("env"), f.Tag.Get("default"), f.Tag.Get("doc")})
	}
	return out
}
