package meetingdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Feed is an account's calendar feed (the secret itself is never stored).
type Feed struct {
	bun.BaseModel `bun:"table:calendar_feeds,alias:cf"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	AccountID     uuid.UUID  `bun:"account_id,type:uuid"`
	TokenHash     []byte     `bun:"token_hash"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	LastReadAt    *time.Time `bun:"last_read_at"`
}

// ActiveFeed is the account's feed in force, or nil.
func ActiveFeed(ctx context.Context, tx bun.IDB, account uuid.UUID) (*Feed, error) {
	var list []Feed
	if err := tx.NewSelect().Model(&list).Where("cf.account_id = ? AND cf.revoked_at IS NULL", account).Scan(ctx); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	return &list[0], nil
}

// NewFeed revokes the account's feed in force, if any, and makes a new
// one; the secret is returned once (for the URL) and only its SHA-256 kept.
func NewFeed(ctx context.Context, tx bun.IDB, account uuid.UUID, now time.Time) (string, Feed, error) {
	if err := RevokeFeed(ctx, tx, account, now); err != nil {
		return "", Feed{}, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Feed{}, err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	h := sha256.Sum256([]byte(secret))
	f := Feed{ID: uuid.New(), AccountID: account, TokenHash: h[:]}
	if _, err := tx.NewInsert().Model(&f).Exec(ctx); err != nil {
		return "", Feed{}, postgres.MapErr(err)
	}
	return secret, f, postgres.Audit(ctx, tx, audit.Entry{Action: "calendar_feed.create", EntityType: "account", EntityID: account.String()})
}

// RevokeFeed ends the account's feed in force (its URL then answers 404).
func RevokeFeed(ctx context.Context, tx bun.IDB, account uuid.UUID, now time.Time) error {
	res, err := tx.NewUpdate().Model((*Feed)(nil)).Set("revoked_at = ?", now).Where("account_id = ? AND revoked_at IS NULL", account).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return postgres.Audit(ctx, tx, audit.Entry{Action: "calendar_feed.revoke", EntityType: "account", EntityID: account.String()})
	}
	return nil
}

// errFeedNotFound answers an unknown, revoked or malformed secret alike.
var errFeedNotFound = errs.E(errs.NotFound, "feed_not_found", "日历订阅地址无效或已停用", "no such calendar feed")

// ResolveFeed finds the account of an active feed by its secret, in a
// transaction bound to the feed's county; a disabled account has none.
func ResolveFeed(ctx context.Context, tx bun.IDB, secret string) (uuid.UUID, error) {
	if len(secret) != 43 || strings.ContainsAny(secret, "+/=") {
		return uuid.Nil, errFeedNotFound
	}
	h := sha256.Sum256([]byte(secret))
	var ids []uuid.UUID
	if err := tx.NewRaw(`UPDATE calendar_feeds f SET last_read_at = now()
		WHERE f.token_hash = ? AND f.revoked_at IS NULL AND EXISTS (SELECT 1 FROM auth_account_by_id(f.account_id) a WHERE NOT a.disabled)
		RETURNING f.account_id`, h[:]).Scan(ctx, &ids); err != nil {
		return uuid.Nil, err
	}
	if len(ids) == 0 {
		return uuid.Nil, errFeedNotFound
	}
	return ids[0], nil
}

// FeedEvents are the sittings of [from, to] a feed shows: every sitting of
// the county for whole-county readers, else those the person chairs or is
// expected at. link makes a sitting's console address.
func FeedEvents(ctx context.Context, tx bun.IDB, person *uuid.UUID, whole bool, from, to, now time.Time, link func(uuid.UUID) string) ([]meeting.Event, error) {
	var list []Sitting
	q := sittingQuery(tx, &list).Where("ms.day BETWEEN ? AND ?", from, to)
	switch {
	case whole:
	case person != nil:
		q.Where("(ms.chair_person_id = ? OR EXISTS (SELECT 1 FROM meeting_attendance a WHERE a.sitting_id = ms.id AND a.person_id = ?))", *person, *person)
	default:
		return []meeting.Event{}, nil
	}
	if err := q.OrderExpr("ms.starts_at").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]meeting.Event, 0, len(list))
	for _, s := range list {
		desc := fmt.Sprintf("主持：%s%s", s.ChairPost, s.ChairName)
		if s.Status == "skipped" {
			desc += "\n已取消：" + s.ChangeReason
		} else if s.ChangeReason != "" {
			desc += "\n调整：" + s.ChangeReason
		}
		loc := s.Place
		if s.SiteProjectName != "" {
			loc = s.SiteProjectName + "（现场办公会）"
		}
		out = append(out, meeting.Event{UID: s.ID.String() + "@tuijin", Summary: s.Label(), Location: loc, Description: desc,
			URL: link(s.ID), Start: s.StartsAt, Duration: 2 * time.Hour, Cancelled: s.Status == "skipped", Sequence: s.Version, Stamp: now})
	}
	return out, nil
}
