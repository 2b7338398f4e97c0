package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Prefecture is a prefecture-level city (P2) holding counties.
type Prefecture struct {
	bun.BaseModel `bun:"table:prefectures"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	Code          string    `bun:"code"`
	Name          string    `bun:"name"`
}

// County is a tenant (P1).
type County struct {
	bun.BaseModel `bun:"table:counties"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	PrefectureID  uuid.UUID `bun:"prefecture_id,type:uuid"`
	Code          string    `bun:"code"`
	Name          string    `bun:"name"`
	Slug          string    `bun:"slug"`
}

// ListCounties lists counties, of one prefecture when pref is not nil.
func ListCounties(ctx context.Context, tx bun.IDB, pref *uuid.UUID) ([]County, error) {
	var out []County
	q := tx.NewSelect().Model(&out).Order("code")
	if pref != nil {
		q.Where("prefecture_id = ?", *pref)
	}
	return out, q.Scan(ctx)
}

// GetCounty returns one county.
func GetCounty(ctx context.Context, tx bun.IDB, id uuid.UUID) (County, error) {
	var c County
	return c, MapErr(tx.NewSelect().Model(&c).Where("id = ?", id).Scan(ctx))
}

// EnsurePrefecture creates the prefecture with code if missing and returns it.
func EnsurePrefecture(ctx context.Context, tx bun.IDB, code, name string) (Prefecture, error) {
	p := Prefecture{ID: uuid.New(), Code: code, Name: name}
	if _, err := tx.NewInsert().Model(&p).On("CONFLICT (code) DO UPDATE").Set("name = EXCLUDED.name").Returning("id, code, name").Exec(ctx); err != nil {
		return p, err
	}
	return p, nil
}

// EnsureCounty creates the county with code if missing and returns it.
func EnsureCounty(ctx context.Context, tx bun.IDB, pref uuid.UUID, code, name, slug string) (County, error) {
	c := County{ID: uuid.New(), PrefectureID: pref, Code: code, Name: name, Slug: slug}
	if _, err := tx.NewInsert().Model(&c).On("CONFLICT (code) DO UPDATE").Set("name = EXCLUDED.name").Returning("id, prefecture_id, code, name, slug").Exec(ctx); err != nil {
		return c, err
	}
	return c, nil
}
