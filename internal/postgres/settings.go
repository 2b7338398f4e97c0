package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/settings"
)

type settingsRow struct {
	bun.BaseModel `bun:"table:settings_versions"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	EffectiveFrom time.Time       `bun:"effective_from,type:date"`
	Values        json.RawMessage `bun:"values,type:jsonb"`
	Reason        string          `bun:"reason"`
	CreatedBy     *uuid.UUID      `bun:"created_by,type:uuid"`
	CreatedAt     time.Time       `bun:"created_at,nullzero,default:now()"`
}

func toVersion(r settingsRow) (settings.Version, error) {
	v := settings.Version{ID: r.ID, CountyID: r.CountyID, EffectiveFrom: r.EffectiveFrom, Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
	// Start from the defaults so a setting added after this version was
	// stored reads as Guangshan's value rather than zero.
	v.Values = settings.Defaults()
	return v, json.Unmarshal(r.Values, &v.Values)
}

// SettingsOn returns the county's settings version in force on date (the
// latest version effective on or before it).
func SettingsOn(ctx context.Context, tx bun.IDB, date time.Time) (settings.Version, error) {
	var r settingsRow
	err := tx.NewSelect().Model(&r).Where("effective_from <= ?", date.Format(time.DateOnly)).
		OrderExpr("effective_from DESC").Limit(1).Scan(ctx)
	if err != nil {
		if MapErr(err) == errs.ErrNotFound {
			return settings.Version{}, errs.E(errs.NotFound, "settings_not_found", "该日期没有生效的配置", "no settings are in force on that date")
		}
		return settings.Version{}, err
	}
	return toVersion(r)
}

// ListSettingsVersions lists every version, newest first.
func ListSettingsVersions(ctx context.Context, tx bun.IDB) ([]settings.Version, error) {
	var rows []settingsRow
	if err := tx.NewSelect().Model(&rows).OrderExpr("effective_from DESC").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]settings.Version, len(rows))
	for i, r := range rows {
		v, err := toVersion(r)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// PutSettingsVersion stores a complete set of settings effective from a date.
// A date before today is refused once the county has any version (rules
// already applied never change); a version for a future date may be replaced
// until it takes effect.
func PutSettingsVersion(ctx context.Context, tx bun.IDB, v settings.Version, now time.Time) (settings.Version, error) {
	if err := v.Values.Validate(); err != nil {
		return settings.Version{}, err
	}
	var existing []settingsRow
	if err := tx.NewSelect().Model(&existing).Scan(ctx); err != nil {
		return settings.Version{}, err
	}
	today := settings.Today(now)
	eff := time.Date(v.EffectiveFrom.Year(), v.EffectiveFrom.Month(), v.EffectiveFrom.Day(), 0, 0, 0, 0, time.UTC)
	var replaced *settingsRow
	for i := range existing {
		if existing[i].EffectiveFrom.Equal(eff) {
			replaced = &existing[i]
		}
	}
	if len(existing) > 0 && eff.Before(today) {
		return settings.Version{}, settings.ErrEffectiveInPast
	}
	if replaced != nil && !eff.After(today) {
		return settings.Version{}, errs.E(errs.Conflict, "settings_in_force", "该日期的配置已生效，不能替换；请另设新的生效日期", "the version for that date is already in force; add a version with a later date")
	}
	values, err := json.Marshal(v.Values)
	if err != nil {
		return settings.Version{}, err
	}
	a := audit.ActorFrom(ctx)
	r := settingsRow{ID: uuid.New(), EffectiveFrom: eff, Values: values, Reason: v.Reason, CreatedBy: a.AccountID}
	var before any
	if replaced != nil {
		old, _ := toVersion(*replaced)
		before = old
		if _, err := tx.NewDelete().Model((*settingsRow)(nil)).Where("id = ?", replaced.ID).Exec(ctx); err != nil {
			return settings.Version{}, err
		}
	}
	if _, err := tx.NewInsert().Model(&r).Returning("*").Exec(ctx); err != nil {
		return settings.Version{}, MapErr(err)
	}
	out, err := toVersion(r)
	if err != nil {
		return settings.Version{}, err
	}
	return out, Audit(ctx, tx, audit.Entry{Action: "settings.put", EntityType: "settings", EntityID: eff.Format(time.DateOnly), Before: before, After: out})
}
