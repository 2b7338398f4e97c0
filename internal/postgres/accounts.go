package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
)

// Account is a login identity. Scope platform and prefecture accounts have
// no county.
type Account struct {
	ID                 uuid.UUID  `bun:"id"`
	Scope              string     `bun:"scope"`
	PrefectureID       *uuid.UUID `bun:"prefecture_id"`
	CountyID           *uuid.UUID `bun:"county_id"`
	Username           string     `bun:"username"`
	DisplayName        string     `bun:"display_name"`
	PersonID           *uuid.UUID `bun:"person_id"`
	PasswordHash       string     `bun:"password_hash" json:"-"`
	Disabled           bool       `bun:"disabled"`
	MustChangePassword bool       `bun:"must_change_password"`
}

type accountRow struct {
	bun.BaseModel      `bun:"table:accounts"`
	ID                 uuid.UUID  `bun:"id,pk,type:uuid"`
	Scope              string     `bun:"scope"`
	PrefectureID       *uuid.UUID `bun:"prefecture_id,type:uuid"`
	CountyID           *uuid.UUID `bun:"county_id,type:uuid"`
	Username           string     `bun:"username"`
	DisplayName        string     `bun:"display_name"`
	PersonID           *uuid.UUID `bun:"person_id,type:uuid"`
	PasswordHash       string     `bun:"password_hash"`
	Disabled           bool       `bun:"disabled"`
	MustChangePassword bool       `bun:"must_change_password"`
	PasswordChangedAt  time.Time  `bun:"password_changed_at,nullzero,default:now()"`
	CreatedAt          time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt          time.Time  `bun:"updated_at,nullzero,default:now()"`
}

func toAccount(r accountRow) Account {
	return Account{ID: r.ID, Scope: r.Scope, PrefectureID: r.PrefectureID, CountyID: r.CountyID, Username: r.Username,
		DisplayName: r.DisplayName, PersonID: r.PersonID, PasswordHash: r.PasswordHash, Disabled: r.Disabled, MustChangePassword: r.MustChangePassword}
}

// auditView is what the audit log keeps of an account (never the hash).
func (a Account) auditView() map[string]any {
	return map[string]any{"id": a.ID, "scope": a.Scope, "county_id": a.CountyID, "username": a.Username,
		"display_name": a.DisplayName, "person_id": a.PersonID, "disabled": a.Disabled}
}

// AccountByUsername finds any account by name, across counties (login).
func AccountByUsername(ctx context.Context, tx bun.IDB, username string) (Account, error) {
	var a Account
	err := tx.NewRaw("SELECT * FROM auth_account_by_username(?)", username).Scan(ctx, &a)
	return a, MapErr(err)
}

// AccountByID finds any account by id, across counties.
func AccountByID(ctx context.Context, tx bun.IDB, id uuid.UUID) (Account, error) {
	var a Account
	err := tx.NewRaw("SELECT * FROM auth_account_by_id(?)", id).Scan(ctx, &a)
	return a, MapErr(err)
}

// SetPassword stores a new password hash for any account, audited.
func SetPassword(ctx context.Context, tx bun.IDB, id uuid.UUID, hash string, mustChange bool, action string) error {
	if _, err := tx.ExecContext(ctx, "SELECT auth_set_password(?, ?, ?)", id, hash, mustChange); err != nil {
		return err
	}
	return Audit(ctx, tx, audit.Entry{Action: action, EntityType: "account", EntityID: id.String(), After: map[string]any{"must_change_password": mustChange}})
}

// ListAccounts lists the accounts of the transaction's county by username.
func ListAccounts(ctx context.Context, tx bun.IDB, p Page) ([]Account, string, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, "", err
	}
	var rows []accountRow
	q := tx.NewSelect().Model(&rows).Order("username").Limit(int64(p.Limit + 1))
	var cur struct{ U string }
	if ok, err := DecodeCursor(p.After, &cur); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("username > ?", cur.U)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		next = EncodeCursor(struct{ U string }{rows[len(rows)-1].Username})
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = toAccount(r)
	}
	return out, next, nil
}

// GetCountyAccount returns an account of the transaction's county.
func GetCountyAccount(ctx context.Context, tx bun.IDB, id uuid.UUID) (Account, error) {
	var r accountRow
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return Account{}, MapErr(err)
	}
	return toAccount(r), nil
}

// CreateAccount stores a new account. County accounts are created inside
// that county's transaction; platform and prefecture accounts only through
// the owning role (tuijin demo), since Row-Level Security refuses them to
// the application.
func CreateAccount(ctx context.Context, tx bun.IDB, a Account) (Account, error) {
	r := accountRow{ID: uuid.New(), Scope: a.Scope, PrefectureID: a.PrefectureID, CountyID: a.CountyID,
		Username: a.Username, DisplayName: a.DisplayName, PersonID: a.PersonID, PasswordHash: a.PasswordHash,
		MustChangePassword: a.MustChangePassword}
	if _, err := tx.NewInsert().Model(&r).Returning("*").Exec(ctx); err != nil {
		return Account{}, MapErr(err)
	}
	out := toAccount(r)
	return out, Audit(ctx, tx, audit.Entry{Action: "account.create", EntityType: "account", EntityID: out.ID.String(), After: out.auditView()})
}

// UpdateAccount changes an account's display name, person link and disabled flag.
func UpdateAccount(ctx context.Context, tx bun.IDB, id uuid.UUID, displayName string, personID *uuid.UUID, disabled bool) (Account, error) {
	before, err := GetCountyAccount(ctx, tx, id)
	if err != nil {
		return Account{}, err
	}
	r := accountRow{ID: id, DisplayName: displayName, PersonID: personID, Disabled: disabled}
	if _, err := tx.NewUpdate().Model(&r).Column("display_name", "person_id", "disabled").Set("updated_at = now()").
		Where("id = ?", id).Returning("*").Exec(ctx); err != nil {
		return Account{}, MapErr(err)
	}
	after := toAccount(r)
	return after, Audit(ctx, tx, audit.Entry{Action: "account.update", EntityType: "account", EntityID: id.String(), Before: before.auditView(), After: after.auditView()})
}

// CreateSession stores a new session (its token's SHA-256 only).
func CreateSession(ctx context.Context, tx bun.IDB, tokenHash []byte, accountID uuid.UUID, county *uuid.UUID, ip, ua string, expires time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, active_county_id, client_ip, user_agent, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, tokenHash, accountID, county, ip, truncate(ua, 300), expires)
	return err
}

// RevokeSession ends one session.
func RevokeSession(ctx context.Context, tx bun.IDB, sessionID uuid.UUID) error {
	_, err := tx.ExecContext(ctx, "UPDATE sessions SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL", sessionID)
	return err
}

// RevokeAccountSessions ends every session of an account except keep.
func RevokeAccountSessions(ctx context.Context, tx bun.IDB, accountID uuid.UUID, keep *uuid.UUID) error {
	q := tx.NewUpdate().Table("sessions").Set("revoked_at = now()").Where("account_id = ? AND revoked_at IS NULL", accountID)
	if keep != nil {
		q.Where("id <> ?", *keep)
	}
	_, err := q.Exec(ctx)
	return err
}

// SetSessionCounty switches the county a session works in.
func SetSessionCounty(ctx context.Context, tx bun.IDB, sessionID, county uuid.UUID) error {
	_, err := tx.ExecContext(ctx, "UPDATE sessions SET active_county_id = ? WHERE id = ?", county, sessionID)
	return err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// ErrBadCredentials is the one answer to every failed login.
var ErrBadCredentials = errs.E(errs.Unauthenticated, "bad_credentials", "用户名或密码错误", "wrong username or password")
