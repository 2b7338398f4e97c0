package httpapi

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/postgres"
)

// Notification is a message in the caller's inbox.
type Notification struct {
	ID        uuid.UUID  `json:"id"`
	Kind      string     `json:"kind" enum:"report_due,report_missing,visit_shortfall,escalation,deadline_near,deadline_overdue,bulletin_issued,double_seat,meeting,action_overdue"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// Inbox is a page of the caller's messages, newest first.
type Inbox struct {
	Items      []Notification `json:"items"`
	NextCursor string         `json:"next_cursor"`
	Unread     int            `json:"unread"`
}

// ReadInput marks one message read, or all when id is absent.
type ReadInput struct {
	ID *uuid.UUID `json:"id,omitempty"`
}

// Channel is one of the caller's outside channels (the secret is never shown).
type Channel struct {
	Channel   string    `json:"channel" enum:"wecom,dingtalk,email"`
	Target    string    `json:"target"`
	Signed    bool      `json:"signed"`
	Enabled   bool      `json:"enabled"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ChannelInput sets a channel: a robot webhook URL or an e-mail address;
// secret is DingTalk's signing secret (加签), kept when omitted.
type ChannelInput struct {
	Target  string  `json:"target"`
	Secret  *string `json:"secret,omitempty"`
	Enabled bool    `json:"enabled"`
}

func (s *Server) inbox(r *Req) (any, error) {
	page, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	list, next, unread, err := postgres.Inbox(r.Ctx, r.Tx, r.Session.AccountID, page)
	out := Inbox{Items: make([]Notification, len(list)), NextCursor: next, Unread: unread}
	for i, n := range list {
		out.Items[i] = Notification{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
	}
	return out, err
}

func (s *Server) markRead(r *Req) (any, error) {
	var in ReadInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	return nil, postgres.MarkRead(r.Ctx, r.Tx, r.Session.AccountID, in.ID, s.Now())
}

func toChannelAPI(c postgres.Channel) Channel {
	return Channel{Channel: c.Channel, Target: c.Target, Signed: c.Secret != "", Enabled: c.Enabled, UpdatedAt: c.UpdatedAt}
}

func (s *Server) listChannels(r *Req) (any, error) {
	list, err := postgres.Channels(r.Ctx, r.Tx, r.Session.AccountID)
	return APIList(list, toChannelAPI), err
}

func (s *Server) putChannel(r *Req) (any, error) {
	channel := r.C.Param("channel")
	var in ChannelInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if err := s.notifier.CheckTarget(channel, in.Target); err != nil {
		return nil, err
	}
	c := postgres.Channel{AccountID: r.Session.AccountID, Channel: channel, Target: in.Target, Enabled: in.Enabled}
	if in.Secret != nil {
		c.Secret = *in.Secret
	} else if list, err := postgres.Channels(r.Ctx, r.Tx, r.Session.AccountID); err == nil {
		for _, old := range list {
			if old.Channel == channel {
				c.Secret = old.Secret
			}
		}
	}
	if channel != "dingtalk" {
		c.Secret = ""
	}
	saved, err := postgres.PutChannel(r.Ctx, r.Tx, c)
	return toChannelAPI(saved), err
}

func (s *Server) deleteChannel(r *Req) (any, error) {
	return nil, postgres.DeleteChannel(r.Ctx, r.Tx, r.Session.AccountID, r.C.Param("channel"))
}

// DeadLetter is a job or delivery that failed its last retry.
type DeadLetter struct {
	ID        uuid.UUID       `json:"id"`
	TaskType  string          `json:"task_type"`
	Payload   json.RawMessage `json:"payload"`
	Error     string          `json:"error"`
	Attempts  int             `json:"attempts"`
	FailedAt  time.Time       `json:"failed_at"`
	RetriedAt *time.Time      `json:"retried_at"`
}

func toDeadLetterAPI(d postgres.DeadLetter) DeadLetter {
	return DeadLetter{ID: d.ID, TaskType: d.TaskType, Payload: d.Payload, Error: d.Error, Attempts: d.Attempts, FailedAt: d.FailedAt, RetriedAt: d.RetriedAt}
}

func (s *Server) listDeadLetters(r *Req) (any, error) {
	page, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	list, next, err := postgres.ListDeadLetters(r.Ctx, r.Tx, page)
	return NewList(APIList(list, toDeadLetterAPI), next), err
}

func (s *Server) retryDeadLetter(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	d, err := postgres.RetryDeadLetter(r.Ctx, r.Tx, id, r.Session.AccountID, s.Now())
	return toDeadLetterAPI(d), err
}
