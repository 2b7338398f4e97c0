package assessmentdb

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/review/reviewdb"
)

// Round is a service units' rating round (M5.3).
type Round struct {
	bun.BaseModel `bun:"table:service_rating_rounds,alias:srr"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Period        string     `bun:"period"`
	PeriodStart   time.Time  `bun:"period_start,type:date"`
	PeriodEnd     time.Time  `bun:"period_end,type:date"`
	Status        string     `bun:"status"`
	OpenedBy      uuid.UUID  `bun:"opened_by,type:uuid"`
	OpenedAt      time.Time  `bun:"opened_at"`
	ClosedAt      *time.Time `bun:"closed_at"`
}

// OpenRound opens a period's rating round (audited; once per period).
func OpenRound(ctx context.Context, tx bun.IDB, p bulletin.Period, by uuid.UUID, now time.Time) (Round, error) {
	r := Round{ID: uuid.New(), Period: string(p.Kind), PeriodStart: p.Start, PeriodEnd: p.End, Status: "open", OpenedBy: by, OpenedAt: now}
	res, err := tx.NewInsert().Model(&r).On("CONFLICT (county_id, period, period_start) DO NOTHING").Exec(ctx)
	if err != nil {
		return r, postgres.MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return r, errs.E(errs.Conflict, "round_exists", "本期服务单位评价已开启", "this period's rating round is open already")
	}
	return r, postgres.Audit(ctx, tx, audit.Entry{Action: "service_rating.open", EntityType: "service_rating", EntityID: r.ID.String(),
		After: map[string]any{"period": r.Period, "start": p.Start.Format(time.DateOnly)}})
}

// GetRound reads a period's round (nil when none).
func GetRound(ctx context.Context, tx bun.IDB, p bulletin.Period) (*Round, error) {
	var list []Round
	if err := tx.NewSelect().Model(&list).Where("srr.period = ? AND srr.period_start = ?", string(p.Kind), p.Start).Scan(ctx); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	return &list[0], nil
}

// CloseRound ends a round's rating (audited).
func CloseRound(ctx context.Context, tx bun.IDB, id uuid.UUID, now time.Time) error {
	res, err := tx.NewUpdate().Model((*Round)(nil)).Set("status = 'closed', closed_at = ?", now).Where("id = ? AND status = 'open'", id).Exec(ctx)
	if err != nil {
		return postgres.MapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.Conflict, "round_closed", "该评价已结束或不存在", "the round is closed or does not exist")
	}
	return postgres.Audit(ctx, tx, audit.Entry{Action: "service_rating.close", EntityType: "service_rating", EntityID: id.String()})
}

// Rateable is a service unit a rater may rate, with the rater's rating if any.
type Rateable struct {
	UnitID  uuid.UUID `bun:"unit_id" json:"unit_id"`
	Name    string    `bun:"name" json:"name"`
	Score   *int      `bun:"score" json:"score"`
	Comment string    `bun:"comment" json:"comment"`
}

// Rateables are the service units rater dealt with in the round's period:
// the service units of the procedures of the listed projects it is
// responsible for or that lie in it (a township).
func Rateables(ctx context.Context, tx bun.IDB, r Round, rater uuid.UUID) ([]Rateable, error) {
	out := []Rateable{}
	err := tx.NewRaw(`SELECT DISTINCT u.id AS unit_id, u.name, sr.score, coalesce(sr.comment, '') AS comment
		FROM listed_projects(?, ?) l JOIN projects p ON p.id = l.project_id
		JOIN project_procedures pp ON pp.project_id = p.id JOIN units u ON u.id = pp.service_unit_id
		LEFT JOIN service_ratings sr ON sr.round_id = ? AND sr.rater_unit_id = ? AND sr.service_unit_id = u.id
		WHERE (p.responsible_unit_id = ? OR p.township_unit_id = ?) AND u.id <> ?
		ORDER BY u.name`, r.PeriodStart, r.PeriodEnd, r.ID, rater, rater, rater, rater).Scan(ctx, &out)
	return out, err
}

// Rate records (or revises while the round is open) a rater unit's rating
// of a service unit it dealt with (audited; the rated unit never sees who).
func Rate(ctx context.Context, tx bun.IDB, r Round, rater, service uuid.UUID, score int, comment string, by uuid.UUID, now time.Time) error {
	if r.Status != "open" {
		return errs.E(errs.Conflict, "round_closed", "本期服务单位评价已结束", "the rating round is closed")
	}
	var v errs.Validation
	if score < 0 || score > 100 {
		v.Add("score", "out_of_range", "评分须在0到100之间", "the score is 0 to 100")
	}
	if len([]rune(comment)) > 500 {
		v.Add("comment", "too_long", "意见不能超过500字", "the comment is at most 500 characters")
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := Rateables(ctx, tx, r, rater)
	if err != nil {
		return err
	}
	ok := false
	for _, x := range list {
		ok = ok || x.UnitID == service
	}
	if !ok {
		return errs.E(errs.NotFound, "not_rateable", "本单位本期未与该服务单位发生办理事项，不能评价", "your unit did not deal with this service unit in the period")
	}
	if _, err := tx.NewRaw(`INSERT INTO service_ratings (round_id, rater_unit_id, service_unit_id, score, comment, rated_by, rated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (round_id, rater_unit_id, service_unit_id) DO UPDATE SET score = EXCLUDED.score, comment = EXCLUDED.comment, rated_by = EXCLUDED.rated_by, rated_at = EXCLUDED.rated_at
		RETURNING score`, r.ID, rater, service, score, strings.TrimSpace(comment), by, now).Exec(ctx); err != nil {
		return postgres.MapErr(err)
	}
	return postgres.Audit(ctx, tx, audit.Entry{Action: "service_rating.rate", EntityType: "service_rating", EntityID: r.ID.String(),
		After: map[string]any{"rater": rater, "service_unit": service, "score": score}})
}

// RoundSummary is, per service unit, how many rated it and the mean —
// never who.
type RoundSummary struct {
	UnitID  uuid.UUID `bun:"unit_id" json:"unit_id"`
	Name    string    `bun:"name" json:"name"`
	Ratings int       `bun:"ratings" json:"ratings"`
	Mean    string    `bun:"mean" json:"mean"`
}

// Summary is a round's summary.
func Summary(ctx context.Context, tx bun.IDB, r Round) ([]RoundSummary, error) {
	out := []RoundSummary{}
	err := tx.NewRaw(`SELECT u.id AS unit_id, u.name, count(*) AS ratings, round(avg(sr.score)::numeric, 2)::text AS mean
		FROM service_ratings sr JOIN units u ON u.id = sr.service_unit_id WHERE sr.round_id = ? GROUP BY u.id, u.name ORDER BY u.name`, r.ID).Scan(ctx, &out)
	return out, err
}

// gatherServices adds the service units to a snapshot: the ratings of the
// period's round (anonymous), the joint review figures by service unit and
// the service letters' commitments.
func gatherServices(ctx context.Context, tx bun.IDB, p bulletin.Period, s *assessment.Snapshot) error {
	fig, err := reviewdb.Figures(ctx, tx, p.Start, p.End, p.End)
	if err != nil {
		return err
	}
	review := map[string][2]int{}
	for _, u := range fig.ByUnit {
		review[u.Name] = [2]int{u.Items, u.Done}
	}
	var rows []struct {
		ID          string `bun:"id"`
		Name        string `bun:"name"`
		Head        string `bun:"head"`
		Ratings     []int  `bun:"ratings,array"`
		LettersDue  int    `bun:"letters_due"`
		LettersKept int    `bun:"letters_kept"`
	}
	if err := tx.NewRaw(`
		WITH round AS (SELECT id FROM service_rating_rounds WHERE period = ?2 AND period_start = ?0),
		     served AS (SELECT DISTINCT service_unit_id AS id FROM project_procedures
		                UNION SELECT service_unit_id FROM service_ratings WHERE round_id IN (SELECT id FROM round)
		                UNION SELECT unit_id FROM letters WHERE kind = 'service' AND year = extract(year FROM ?1::date))
		SELECT u.id::text AS id, u.name, coalesce(h.name, '') AS head,
		  coalesce((SELECT array_agg(sr.score ORDER BY sr.score) FROM service_ratings sr WHERE sr.round_id IN (SELECT id FROM round) AND sr.service_unit_id = u.id), '{}') AS ratings,
		  (SELECT count(*) FROM letter_items li JOIN letters le ON le.id = li.letter_id
		    WHERE le.unit_id = u.id AND le.kind = 'service' AND li.due_date BETWEEN ?0 AND ?1) AS letters_due,
		  (SELECT count(*) FROM letter_items li JOIN letters le ON le.id = li.letter_id
		    WHERE le.unit_id = u.id AND le.kind = 'service' AND li.due_date BETWEEN ?0 AND ?1 AND li.kept_on <= li.due_date) AS letters_kept
		FROM served JOIN units u ON u.id = served.id LEFT JOIN people h ON h.id = u.head_person_id
		ORDER BY u.code, u.name`, p.Start, p.End, string(p.Kind)).Scan(ctx, &rows); err != nil {
		return err
	}
	s.ServiceUnits = []assessment.ServiceUnit{}
	for _, r := range rows {
		rv := review[r.Name]
		ratings := r.Ratings
		if ratings == nil {
			ratings = []int{}
		}
		s.ServiceUnits = append(s.ServiceUnits, assessment.ServiceUnit{ID: r.ID, Name: r.Name, Head: r.Head, Ratings: ratings,
			ReviewItems: rv[0], ReviewDone: rv[1], LettersDue: r.LettersDue, LettersKept: r.LettersKept})
	}
	return nil
}
