// Package auth hashes passwords, makes session tokens and throttles logins.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/tuijin/tuijin/internal/errs"
)

// Argon2id parameters recommended by OWASP: 19 MiB, 2 passes, 1 lane.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// Hasher hashes and checks passwords with at most N hashes at once, so a
// burst of logins cannot exhaust memory (each hash takes 19 MiB).
type Hasher struct{ sem chan struct{} }

// NewHasher allows n concurrent hashes (n <= 0: one per CPU).
func NewHasher(n int) *Hasher {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	return &Hasher{sem: make(chan struct{}, n)}
}

var errBusy = errs.E(errs.Unavailable, "busy", "系统繁忙，请稍后再试", "the server is busy; try again shortly")

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errBusy.Wrap(ctx.Err())
	}
}

// Hash returns the PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-h.sem }()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is checked against when an account does not exist, so that the
// answer takes as long as for a wrong password.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Fz3m+2Ns1xq2eWw1XcQ0eWZ1QeI7f4r9zJkJ2v8WkA"

// Verify reports whether password matches phc. An empty phc is checked
// against a dummy hash and never matches.
func (h *Hasher) Verify(ctx context.Context, phc, password string) (bool, error) {
	real := phc != ""
	if !real {
		phc = dummyHash
	}
	var v, m, t, p int
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("unsupported password hash")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil {
		return false, err
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, err
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-h.sem }()
	got := argon2.IDKey([]byte(password), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
	return real && subtle.ConstantTimeCompare(got, want) == 1, nil
}

// CheckPolicy refuses weak passwords: at least 10 characters with at least
// three of lower case, upper case, digits and symbols, and not the username.
func CheckPolicy(password, username string) error {
	var v errs.Validation
	n := utf8.RuneCountInString(password)
	var lower, upper, digit, other int
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	switch {
	case n < 10 || n > 128:
		v.Add("new_password", "password_length", "密码长度须为10到128位", "password must be 10 to 128 characters")
	case lower+upper+digit+other < 3:
		v.Add("new_password", "password_weak", "密码须包含小写字母、大写字母、数字、符号中的至少三类", "password needs three of: lower case, upper case, digits, symbols")
	case strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		v.Add("new_password", "password_contains_username", "密码不能包含用户名", "password must not contain the username")
	}
	return v.Err()
}

// NewToken returns a random session token and its SHA-256, which is all
// the database keeps.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token), nil
}

// TokenHash is the stored form of a token.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
