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
	c, err := Load(func(k string) string { return env[k] })
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
	_, err := Load(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"TUIJIN_SESSION_IDLE", "TUIJIN_TRUSTED_PROXIES", "TUIJIN_DB_MAX_CONNS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
