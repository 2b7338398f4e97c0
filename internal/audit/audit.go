// Package audit describes who did what: the actor of a request and the
// entries of the append-only, hash-chained audit trail (issue 2 §7).
package audit

import (
	"context"

	"github.com/google/uuid"
)

// Actor is whoever causes a write: a logged-in account, or a system process.
type Actor struct {
	AccountID *uuid.UUID
	Name      string
	RequestID string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or a system actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "system"}
}

// Entry is one audited write. Before and After are the object's JSON views
// (nil when it did not exist before / does not exist after).
type Entry struct {
	Action     string // e.g. unit.create
	EntityType string
	EntityID   string
	Before     any
	After      any
}
