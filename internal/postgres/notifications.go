package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
)

// Message kinds (issue 7 §6).
const (
	MsgReportDue       = "report_due"       // report due tomorrow
	MsgReportMissing   = "report_missing"   // the week closed without a report
	MsgVisitShortfall  = "visit_shortfall"  // the seat's site-visit quota was not met
	MsgEscalation      = "escalation"       // named for TV questioning (to the person and the office)
	MsgDeadlineNear    = "deadline_near"    // a problem or procedure is due tomorrow
	MsgDeadlineOverdue = "deadline_overdue" // … and is now overdue
	MsgBulletinIssued  = "bulletin_issued"
	MsgDoubleSeat      = "double_seat" // a person holds two seats of a project (sent once, by migration 0013)
	MsgMeeting         = "meeting"     // a sitting's agenda is ready
	MsgActionOverdue   = "action_overdue"
)

// Message is one in-app notification to one account. IdemKey makes it at
// most once per account (a job run twice sends nothing twice).
type Message struct {
	AccountID uuid.UUID
	Kind      string
	Title     string
	Body      string
	Link      string
	IdemKey   string
}

// Notification is a message in an inbox.
type Notification struct {
	bun.BaseModel `bun:"table:notifications,alias:n"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid" json:"id"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	AccountID     uuid.UUID  `bun:"account_id,type:uuid" json:"-"`
	Kind          string     `bun:"kind" json:"kind"`
	Title         string     `bun:"title" json:"title"`
	Body          string     `bun:"body" json:"body"`
	Link          string     `bun:"link" json:"link"`
	IdemKey       string     `bun:"idem_key" json:"-"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()" json:"created_at"`
	ReadAt        *time.Time `bun:"read_at" json:"read_at"`
}

// Notify puts messages in inboxes and, in the same statement, a delivery
// and an outbox row for each outside channel the recipient enabled. Messages
// already sent (same account and key) are skipped. It returns how many
// messages were new.
func Notify(ctx context.Context, tx bun.IDB, msgs []Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	var acc []uuid.UUID
	var kind, title, body, link, key []string
	for _, m := range msgs {
		acc = append(acc, m.AccountID)
		kind, title, body, link, key = append(kind, m.Kind), append(title, m.Title), append(body, m.Body), append(link, m.Link), append(key, m.IdemKey)
	}
	var n int
	err := tx.QueryRowContext(ctx, `WITH m AS (
		  INSERT INTO notifications (account_id, kind, title, body, link, idem_key)
		  SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
		  ON CONFLICT (account_id, idem_key) DO NOTHING RETURNING id, account_id),
		d AS (
		  INSERT INTO deliveries (notification_id, channel)
		  SELECT m.id, c.channel FROM m JOIN notification_channels c ON c.account_id = m.account_id AND c.enabled
		  RETURNING id),
		o AS (INSERT INTO outbox (kind, payload) SELECT 'deliver', jsonb_build_object('delivery_id', d.id) FROM d)
		SELECT count(*) FROM m`,
		pgdialect.Array(acc), pgdialect.Array(kind), pgdialect.Array(title), pgdialect.Array(body),
		pgdialect.Array(link), pgdialect.Array(key)).Scan(&n)
	return n, err
}

// AccountsOfPeople maps people to the accounts that act as them.
func AccountsOfPeople(ctx context.Context, tx bun.IDB, people []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	out := map[uuid.UUID][]uuid.UUID{}
	if len(people) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT person_id, id FROM accounts WHERE person_id = ANY(?::uuid[]) AND NOT disabled`, pgdialect.Array(people))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p, a uuid.UUID
		if err := rows.Scan(&p, &a); err != nil {
			return nil, err
		}
		out[p] = append(out[p], a)
	}
	return out, rows.Err()
}

// OfficeAccounts are the county's key project office accounts (casbin role
// office in the county's domain).
func OfficeAccounts(ctx context.Context, tx bun.IDB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewRaw(`SELECT a.id FROM accounts a JOIN casbin_rules r ON r.ptype = 'g' AND r.v0 = a.id::text
		AND r.v1 = 'office' AND r.v2 LIKE '%/' || app_county()::text
		WHERE a.county_id = app_county() AND NOT a.disabled ORDER BY a.id`).Scan(ctx, &ids)
	return ids, err
}

// Inbox lists a page of an account's messages, newest first, the cursor of
// the following page and how many are unread.
func Inbox(ctx context.Context, tx bun.IDB, account uuid.UUID, page Page) ([]Notification, string, int, error) {
	list := []Notification{}
	next, err := NewestFirst(ctx, tx.NewSelect().Model((*Notification)(nil)).Where("n.account_id = ?", account), page,
		"n.created_at", "n.id", func(n Notification) (time.Time, uuid.UUID) { return n.CreatedAt, n.ID }, &list)
	if err != nil {
		return nil, "", 0, err
	}
	unread, err := tx.NewSelect().Model((*Notification)(nil)).Where("n.account_id = ? AND n.read_at IS NULL", account).Count(ctx)
	return list, next, int(unread), err
}

// errNoMessage is MarkRead's answer for an id that is not one of the account's messages.
var errNoMessage = errs.E(errs.NotFound, "notification_not_found", "未找到该消息", "no such message")

// MarkRead marks one message (or, with id nil, all) of an account read. A
// message read before stays as it was; an id that is not one of the
// account's messages fails with NotFound.
func MarkRead(ctx context.Context, tx bun.IDB, account uuid.UUID, id *uuid.UUID, now time.Time) error {
	if id == nil {
		_, err := tx.NewUpdate().Model((*Notification)(nil)).Set("read_at = ?", now).
			Where("n.account_id = ? AND n.read_at IS NULL", account).Exec(ctx)
		return err
	}
	res, err := tx.NewUpdate().Model((*Notification)(nil)).Set("read_at = coalesce(n.read_at, ?)", now).
		Where("n.account_id = ? AND n.id = ?", account, *id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoMessage
	}
	return nil
}

// Channel is one of a user's outside channels.
type Channel struct {
	bun.BaseModel `bun:"table:notification_channels,alias:nc"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()" json:"-"`
	AccountID     uuid.UUID `bun:"account_id,pk,type:uuid" json:"-"`
	Channel       string    `bun:"channel,pk" json:"channel"`
	Target        string    `bun:"target" json:"target"`
	Secret        string    `bun:"secret" json:"secret,omitempty"`
	Enabled       bool      `bun:"enabled" json:"enabled"`
	UpdatedAt     time.Time `bun:"updated_at,nullzero,default:now()" json:"updated_at"`
}

// Channels lists an account's channels.
func Channels(ctx context.Context, tx bun.IDB, account uuid.UUID) ([]Channel, error) {
	var list []Channel
	err := tx.NewSelect().Model(&list).Where("nc.account_id = ?", account).Order("nc.channel").Scan(ctx)
	return list, err
}

// PutChannel creates or replaces one channel of an account (audited; the
// secret is not written to the audit trail).
func PutChannel(ctx context.Context, tx bun.IDB, c Channel) (Channel, error) {
	c.UpdatedAt = time.Now()
	if _, err := tx.NewInsert().Model(&c).On("CONFLICT (account_id, channel) DO UPDATE").
		Set("target = EXCLUDED.target, secret = EXCLUDED.secret, enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at").
		Exec(ctx); err != nil {
		return Channel{}, MapErr(err)
	}
	return c, Audit(ctx, tx, audit.Entry{Action: "notification_channel.put", EntityType: "notification_channel",
		EntityID: c.AccountID.String() + "/" + c.Channel,
		After:    map[string]any{"channel": c.Channel, "target": c.Target, "enabled": c.Enabled, "signed": c.Secret != ""}})
}

// DeleteChannel removes one channel of an account.
func DeleteChannel(ctx context.Context, tx bun.IDB, account uuid.UUID, channel string) error {
	res, err := tx.NewDelete().Model((*Channel)(nil)).Where("nc.account_id = ? AND nc.channel = ?", account, channel).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "channel_not_found", "未设置该通知渠道", "no such notification channel")
	}
	return Audit(ctx, tx, audit.Entry{Action: "notification_channel.delete", EntityType: "notification_channel",
		EntityID: account.String() + "/" + channel, Before: map[string]any{"channel": channel}})
}

// Delivery is one message sent over one channel, as claimed for one attempt.
type Delivery struct {
	ID         uuid.UUID
	Channel    string
	Target     string
	Secret     string
	Title      string
	Body       string
	Link       string
	AccountID  uuid.UUID
	LeaseToken uuid.UUID
}

// ErrDeliveryLeased is ClaimDelivery's answer while another attempt holds
// the delivery's lease; try again later.
var ErrDeliveryLeased = errs.E(errs.Conflict, "delivery_leased", "该消息正在由另一次尝试发送", "another attempt holds this delivery")

// ClaimDelivery leases a pending delivery for one attempt of at most lease
// and counts the attempt; commit tx before sending, so that no row stays
// locked while the message is out. ok is false when there is nothing to
// send: the delivery was sent, is dead, or it or its channel is gone. It
// fails with ErrDeliveryLeased while another attempt's lease runs.
func ClaimDelivery(ctx context.Context, tx bun.IDB, id uuid.UUID, lease time.Duration) (Delivery, bool, error) {
	var d Delivery
	err := tx.QueryRowContext(ctx, `UPDATE deliveries d SET lease_token = gen_random_uuid(),
		  lease_until = now() + make_interval(secs => ?), attempts = d.attempts + 1
		FROM notifications n, notification_channels c
		WHERE d.id = ? AND n.id = d.notification_id AND c.account_id = n.account_id AND c.channel = d.channel
		  AND d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until <= now())
		RETURNING d.id, d.channel, c.target, c.secret, n.title, n.body, n.link, n.account_id, d.lease_token`, lease.Seconds(), id).
		Scan(&d.ID, &d.Channel, &d.Target, &d.Secret, &d.Title, &d.Body, &d.Link, &d.AccountID, &d.LeaseToken)
	if err == nil {
		return d, true, nil
	}
	if !db.NoRows(err) {
		return d, false, err
	}
	var leased bool
	err = tx.QueryRowContext(ctx, `SELECT d.status = 'pending' AND d.lease_until > now() FROM deliveries d WHERE d.id = ?`, id).Scan(&leased)
	switch {
	case db.NoRows(err):
		return d, false, nil
	case err != nil:
		return d, false, err
	case leased:
		return d, false, ErrDeliveryLeased
	}
	return d, false, nil
}

// FinishDelivery records the outcome of a claimed attempt: sent (whoever
// holds the lease now, since the message is out), or the error, and dead
// when it was the last attempt; a failure is recorded only while d's lease
// is still the delivery's.
func FinishDelivery(ctx context.Context, tx bun.IDB, d Delivery, sendErr error, last bool, now time.Time) error {
	if sendErr == nil {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'sent', sent_at = ?, last_error = '', lease_token = NULL, lease_until = NULL
			WHERE id = ? AND status = 'pending'`, now, d.ID)
		return err
	}
	status := "pending"
	if last {
		status = "dead"
	}
	msg := truncate(sendErr.Error(), 500)
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, last_error = ?, lease_token = NULL, lease_until = NULL
		WHERE id = ? AND status = 'pending' AND lease_token = ?`, status, msg, d.ID, d.LeaseToken)
	return err
}

// AccountsOfUnits are the active accounts of the people of each unit: the
// inboxes through which a unit is told what one of its people must hear
// when that person has no account.
func AccountsOfUnits(ctx context.Context, tx bun.IDB, units []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	out := map[uuid.UUID][]uuid.UUID{}
	if len(units) == 0 {
		return out, nil
	}
	var rows []struct {
		UnitID    uuid.UUID `bun:"unit_id"`
		AccountID uuid.UUID `bun:"account_id"`
	}
	err := tx.NewRaw(`SELECT pe.unit_id, a.id AS account_id FROM accounts a JOIN people pe ON pe.id = a.person_id
		WHERE pe.unit_id = ANY(?::uuid[]) AND NOT a.disabled ORDER BY a.id`, pgdialect.Array(units)).Scan(ctx, &rows)
	for _, r := range rows {
		out[r.UnitID] = append(out[r.UnitID], r.AccountID)
	}
	return out, err
}

// SamePerson says whether account a (nil: nobody) and account b are the
// same account, or accounts of the same person (separation of duties).
func SamePerson(ctx context.Context, tx bun.IDB, a *uuid.UUID, b uuid.UUID) (bool, error) {
	if a == nil {
		return false, nil
	}
	if *a == b {
		return true, nil
	}
	var same bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts x JOIN accounts y ON x.person_id = y.person_id
		WHERE x.id = ? AND y.id = ?)`, *a, b).Scan(&same)
	return same, err
}
