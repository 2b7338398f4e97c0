package httpapi

import (
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/org"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
)

// List is a page of items; NextCursor is empty on the last page.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// NewList is a page of items (never null in JSON) and the next page's cursor.
func NewList[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: next}
}

// Unit is the API view of a unit.
type Unit struct {
	ID            uuid.UUID  `json:"id"`
	Code          string     `json:"code"`
	Name          string     `json:"name"`
	Kind          string     `json:"kind" enum:"street,town,township,zone,department,enterprise"`
	IsServiceUnit bool       `json:"is_service_unit"`
	ParentID      *uuid.UUID `json:"parent_id"`
	HeadPersonID  *uuid.UUID `json:"head_person_id" description:"主要负责人: the one eligible for the responsible seat of the unit's projects"`
	SortOrder     int        `json:"sort_order"`
	Active        bool       `json:"active"`
	Version       int        `json:"version"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// UnitInput creates or replaces a unit; Version is required to replace.
type UnitInput struct {
	Code          string     `json:"code"`
	Name          string     `json:"name"`
	Kind          string     `json:"kind" enum:"street,town,township,zone,department,enterprise"`
	IsServiceUnit bool       `json:"is_service_unit"`
	ParentID      *uuid.UUID `json:"parent_id,omitempty"`
	HeadPersonID  *uuid.UUID `json:"head_person_id,omitempty" description:"主要负责人 (a person of this unit); set once the unit has people"`
	SortOrder     int        `json:"sort_order,omitempty"`
	Active        *bool      `json:"active,omitempty"`
	Version       int        `json:"version,omitempty"`
}

func toUnitAPI(u org.Unit) Unit {
	return Unit{ID: u.ID, Code: u.Code, Name: u.Name, Kind: string(u.Kind), IsServiceUnit: u.IsServiceUnit,
		ParentID: u.ParentID, HeadPersonID: u.HeadPersonID, SortOrder: u.SortOrder, Active: u.Active, Version: u.Version, UpdatedAt: u.UpdatedAt}
}

func (in UnitInput) toDomain(id uuid.UUID) org.Unit {
	active := true
	if in.Active != nil {
		active = *in.Active
	}
	return org.Unit{ID: id, Code: in.Code, Name: in.Name, Kind: org.UnitKind(in.Kind), IsServiceUnit: in.IsServiceUnit,
		ParentID: in.ParentID, HeadPersonID: in.HeadPersonID, SortOrder: in.SortOrder, Active: active, Version: in.Version}
}

// Person is the API view of a person.
type Person struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	Post      string     `json:"post"`
	Rank      string     `json:"rank" enum:"county_leader,section_level,other"`
	UnitID    *uuid.UUID `json:"unit_id"`
	Phone     string     `json:"phone"`
	Active    bool       `json:"active"`
	Version   int        `json:"version"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// PersonInput creates or replaces a person.
type PersonInput struct {
	Name    string     `json:"name"`
	Post    string     `json:"post,omitempty"`
	Rank    string     `json:"rank" enum:"county_leader,section_level,other"`
	UnitID  *uuid.UUID `json:"unit_id,omitempty"`
	Phone   string     `json:"phone,omitempty"`
	Active  *bool      `json:"active,omitempty"`
	Version int        `json:"version,omitempty"`
}

func toPersonAPI(p org.Person) Person {
	return Person{ID: p.ID, Name: p.Name, Post: p.Post, Rank: string(p.Rank), UnitID: p.UnitID, Phone: p.Phone,
		Active: p.Active, Version: p.Version, UpdatedAt: p.UpdatedAt}
}

func (in PersonInput) toDomain(id uuid.UUID) org.Person {
	active := true
	if in.Active != nil {
		active = *in.Active
	}
	return org.Person{ID: id, Name: in.Name, Post: in.Post, Rank: org.Rank(in.Rank), UnitID: in.UnitID, Phone: in.Phone,
		Active: active, Version: in.Version}
}

// Group is the API view of the leading group, the office or an inspection group.
type Group struct {
	ID         uuid.UUID  `json:"id"`
	Kind       string     `json:"kind" enum:"leading_group,project_office,inspection"`
	Number     int        `json:"number"`
	Name       string     `json:"name"`
	LeadUnitID *uuid.UUID `json:"lead_unit_id"`
	Duty       string     `json:"duty"`
	Version    int        `json:"version"`
	Members    []Member   `json:"members"`
}

// Member is a person in a group.
type Member struct {
	PersonID   uuid.UUID `json:"person_id"`
	PersonName string    `json:"person_name"`
	Position   string    `json:"position" enum:"leader,deputy,member,director,staff"`
}

// GroupInput creates a group or replaces its name, lead unit and duty.
type GroupInput struct {
	Kind       string     `json:"kind,omitempty" enum:"leading_group,project_office,inspection"`
	Number     int        `json:"number,omitempty"`
	Name       string     `json:"name"`
	LeadUnitID *uuid.UUID `json:"lead_unit_id,omitempty"`
	Duty       string     `json:"duty,omitempty"`
	Version    int        `json:"version,omitempty"`
}

// MemberInput puts a person into a group with a position.
type MemberInput struct {
	Position string `json:"position" enum:"leader,deputy,member,director,staff"`
}

func toGroupAPI(g org.Group) Group {
	ms := make([]Member, len(g.Members))
	for i, m := range g.Members {
		ms[i] = Member{PersonID: m.PersonID, PersonName: m.PersonName, Position: string(m.Position)}
	}
	return Group{ID: g.ID, Kind: string(g.Kind), Number: g.Number, Name: g.Name, LeadUnitID: g.LeadUnitID, Duty: g.Duty,
		Version: g.Version, Members: ms}
}

// SettingsVersion is a dated, complete set of a county's settings.
type SettingsVersion struct {
	EffectiveFrom string            `json:"effective_from" format:"date"`
	Reason        string            `json:"reason"`
	CreatedAt     time.Time         `json:"created_at"`
	Values        settings.Settings `json:"values"`
}

// SettingsInput adds a version effective from a date (today or later).
type SettingsInput struct {
	EffectiveFrom string            `json:"effective_from" format:"date"`
	Reason        string            `json:"reason"`
	Values        settings.Settings `json:"values"`
}

func toSettingsAPI(v settings.Version) SettingsVersion {
	return SettingsVersion{EffectiveFrom: v.EffectiveFrom.Format(time.DateOnly), Reason: v.Reason, CreatedAt: v.CreatedAt, Values: v.Values}
}

// Account is the API view of an account with its roles in the current county.
type Account struct {
	ID                 uuid.UUID  `json:"id"`
	Username           string     `json:"username"`
	DisplayName        string     `json:"display_name"`
	Scope              string     `json:"scope" enum:"platform,prefecture,county"`
	PersonID           *uuid.UUID `json:"person_id"`
	Disabled           bool       `json:"disabled"`
	MustChangePassword bool       `json:"must_change_password"`
	Roles              []string   `json:"roles"`
}

// AccountInput creates a county account with an initial password.
type AccountInput struct {
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	PersonID    *uuid.UUID `json:"person_id,omitempty"`
	Roles       []string   `json:"roles"`
	Password    string     `json:"password"`
}

// AccountUpdate replaces an account's name, person, roles and disabled flag.
type AccountUpdate struct {
	DisplayName string     `json:"display_name"`
	PersonID    *uuid.UUID `json:"person_id,omitempty"`
	Roles       []string   `json:"roles"`
	Disabled    bool       `json:"disabled"`
}

// TemporaryPassword is the result of an admin reset.
type TemporaryPassword struct {
	TemporaryPassword string `json:"temporary_password"`
}

// County is a tenant.
type County struct {
	ID           uuid.UUID `json:"id"`
	PrefectureID uuid.UUID `json:"prefecture_id"`
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	Slug         string    `json:"slug"`
}

func toCountyAPI(c postgres.County) County {
	return County{ID: c.ID, PrefectureID: c.PrefectureID, Code: c.Code, Name: c.Name, Slug: c.Slug}
}

// Me is the logged-in account, its roles and where it works.
type Me struct {
	AccountID          uuid.UUID  `json:"account_id"`
	Username           string     `json:"username"`
	DisplayName        string     `json:"display_name"`
	Scope              string     `json:"scope" enum:"platform,prefecture,county"`
	PersonID           *uuid.UUID `json:"person_id"`
	MustChangePassword bool       `json:"must_change_password"`
	County             *County    `json:"county"`
	Counties           []County   `json:"counties"`
	Roles              []string   `json:"roles"`
	ExpiresAt          time.Time  `json:"expires_at"`
	IdleExpiresAt      time.Time  `json:"idle_expires_at"`
}

// LoginInput is a username and password.
type LoginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// TokenResponse is a bearer token for an API client.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PasswordChange changes the caller's own password.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// CountySwitch picks the county a municipal or platform session works in.
type CountySwitch struct {
	CountyID uuid.UUID `json:"county_id"`
}

// AuditEntry is one entry of the audit trail.
type AuditEntry struct {
	Seq        int64      `json:"seq"`
	At         time.Time  `json:"at"`
	ActorID    *uuid.UUID `json:"actor_id"`
	ActorName  string     `json:"actor_name"`
	RequestID  string     `json:"request_id"`
	Action     string     `json:"action"`
	EntityType string     `json:"entity_type"`
	EntityID   string     `json:"entity_id"`
	Before     any        `json:"before"`
	After      any        `json:"after"`
}
