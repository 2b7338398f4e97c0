package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaultsFileAndMasking(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "db")
	if err := os.WriteFile(secret, []byte("postgres://app:s3cret@db:5432/tuijin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TUIJIN_DATABASE_URL_FILE": secret, "TUIJIN_SESSION_IDLE": "10m", "TUIJIN_S3_SECRET_KEY": "verysecret"}
	c, err := Load(Map(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://app:s3cret@db:5432/tuijin" || c.SessionIdle != 10*time.Minute || c.HTTPAddr != "127.0.0.1:8080" {
		t.Fatalf("loaded %+v", c)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("cfg", "config", c)
	if strings.Contains(b.String(), "s3cret") || strings.Contains(b.String(), "verysecret") || !strings.Contains(b.String(), "app:xxxxx@db") {
		t.Fatalf("secrets not masked: %s", b.String())
	}
}

func TestLoadRefusesBadValues(t *testing.T) {
	env := map[string]string{"TUIJIN_SESSION_IDLE": "soon", "TUIJIN_TRUSTED_PROXIES": "10.0.0.0/99", "TUIJIN_DB_MAX_CONNS": "many"}
	_, err := Load(Map(env))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"TUIJIN_SESSION_IDLE", "TUIJIN_TRUSTED_PROXIES", "TUIJIN_DB_MAX_CONNS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

// TestEmptyValues: a variable set to the empty string is empty, not the
// default: an optional address turns off; a number, boolean or duration,
// or a required string, is refused, naming the variable.
func TestEmptyValues(t *testing.T) {
	c, err := Load(Map(map[string]string{"TUIJIN_METRICS_ADDR": "", "TUIJIN_WEBHOOK_HOSTS": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "" || c.WebhookHosts != "" {
		t.Fatalf("empty values replaced by defaults: metrics %q, webhook hosts %q", c.MetricsAddr, c.WebhookHosts)
	}
	for _, name := range []string{"TUIJIN_DB_MAX_CONNS", "TUIJIN_S3_TLS", "TUIJIN_SESSION_IDLE", "TUIJIN_LOGIN_WINDOW", "TUIJIN_HTTP_ADDR", "TUIJIN_DATABASE_URL"} {
		_, err := Load(Map(map[string]string{name: ""}))
		if err == nil || !strings.Contains(err.Error(), name+": set but empty") {
			t.Errorf("%s set but empty: %v", name, err)
		}
	}
}

// TestUnreadableFile: an X_FILE that cannot be read (or is empty, or comes
// with X as well) stops loading, naming the variable; it never falls back to
// the default.
func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "s3")
	if err := os.WriteFile(secret, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"TUIJIN_S3_SECRET_KEY_FILE": filepath.Join(dir, "missing")}, "TUIJIN_S3_SECRET_KEY_FILE"},
		{map[string]string{"TUIJIN_S3_SECRET_KEY_FILE": dir}, "TUIJIN_S3_SECRET_KEY_FILE"}, // a directory
		{map[string]string{"TUIJIN_S3_SECRET_KEY_FILE": ""}, "TUIJIN_S3_SECRET_KEY_FILE is set but empty"},
		{map[string]string{"TUIJIN_S3_SECRET_KEY_FILE": secret, "TUIJIN_S3_SECRET_KEY": "x"}, "both set"},
	} {
		c, err := Load(Map(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, S3 secret %q", tc.env, err, c.S3SecretKey)
		}
	}
	c, err := Load(Map(map[string]string{"TUIJIN_S3_SECRET_KEY_FILE": secret}))
	if err != nil || c.S3SecretKey != "from-file" {
		t.Fatalf("readable file: %q, %v", c.S3SecretKey, err)
	}
}
