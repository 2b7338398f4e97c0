// Package observationdb stores the monthly observation (internal/observation
// has the rules): events with their sites and judges, the judges' sheets,
// and the results computed at close.
package observationdb

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/observation"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
)

// Event is an observation event.
type Event struct {
	bun.BaseModel `bun:"table:observation_events,alias:oe"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Month         time.Time       `bun:"month,type:date"`
	HeldOn        time.Time       `bun:"held_on,type:date"`
	Title         string          `bun:"title"`
	HalfYear      bool            `bun:"half_year"`
	RubricJSON    json.RawMessage `bun:"rubric,type:jsonb"`
	Judges        []uuid.UUID     `bun:"judges,type:uuid[],array"`
	Status        string          `bun:"status"`
	ClosedAt      *time.Time      `bun:"closed_at"`
	ClosedBy      *uuid.UUID      `bun:"closed_by,type:uuid"`
	CloseNote     string          `bun:"close_note"`
	CreatedBy     *uuid.UUID      `bun:"created_by,type:uuid"`
	Version       int             `bun:"version"`
	CreatedAt     time.Time       `bun:"created_at,nullzero,default:now()"`
}

// Rubric is the rubric the event is scored by.
func (e Event) Rubric() observation.Rubric {
	var r settings.Rubric
	_ = json.Unmarshal(e.RubricJSON, &r)
	return observation.Rubric{Rubric: r}
}

// IsJudge says whether person judges the event.
func (e Event) IsJudge(person *uuid.UUID) bool {
	if person == nil {
		return false
	}
	for _, j := range e.Judges {
		if j == *person {
			return true
		}
	}
	return false
}

// Site is a site of an event, in tour order.
type Site struct {
	ProjectID uuid.UUID  `bun:"project_id" json:"project_id"`
	Position  int        `bun:"position" json:"position"`
	Code      string     `bun:"code" json:"code"`
	Name      string     `bun:"name" json:"name"`
	Place     string     `bun:"place" json:"place"`
	UnitID    *uuid.UUID `bun:"unit_id" json:"unit_id"`
	Unit      string     `bun:"unit" json:"unit"`
	Pool      string     `bun:"pool" json:"pool"`
}

var errEventNotFound = errs.E(errs.NotFound, "observation_not_found", "未找到该观摩活动", "no such observation")

// GetEvent reads one event.
func GetEvent(ctx context.Context, tx bun.IDB, id uuid.UUID) (Event, error) {
	var list []Event
	if err := tx.NewSelect().Model(&list).Where("oe.id = ?", id).Scan(ctx); err != nil {
		return Event{}, err
	}
	if len(list) == 0 {
		return Event{}, errEventNotFound
	}
	return list[0], nil
}

// ListEvents are a year's events, by month.
func ListEvents(ctx context.Context, tx bun.IDB, year int) ([]Event, error) {
	out := []Event{}
	err := tx.NewSelect().Model(&out).Where("extract(year FROM oe.month) = ?", year).OrderExpr("oe.month").Scan(ctx)
	return out, err
}

// Sites are an event's sites in tour order.
func Sites(ctx context.Context, tx bun.IDB, event uuid.UUID) ([]Site, error) {
	out := []Site{}
	err := tx.NewRaw(`SELECT s.project_id, s.position, p.code, p.name, coalesce(tw.name, '') AS place, s.unit_id, coalesce(u.name, '') AS unit, s.pool
		FROM observation_sites s JOIN projects p ON p.id = s.project_id LEFT JOIN units u ON u.id = s.unit_id
		LEFT JOIN units tw ON tw.id = p.township_unit_id
		WHERE s.event_id = ? ORDER BY s.position`, event).Scan(ctx, &out)
	return out, err
}

// EventInput creates an event.
type EventInput struct {
	Month  time.Time // its first day
	HeldOn time.Time
	Title  string
	Judges []uuid.UUID // people
	Sites  []uuid.UUID // projects, in tour order
}

// CreateEvent puts a month's observation on record (audited) with the
// rubric in force on its day; each site counts for its responsible unit,
// or, for an enterprise's project, its township; its pool follows.
func CreateEvent(ctx context.Context, tx bun.IDB, in EventInput, by uuid.UUID, now time.Time) (Event, error) {
	var v errs.Validation
	month := time.Date(in.Month.Year(), in.Month.Month(), 1, 0, 0, 0, 0, time.UTC)
	if in.HeldOn.Year() != month.Year() || in.HeldOn.Month() != month.Month() {
		v.Add("held_on", "out_of_month", "观摩日期须在所属月份内", "the observation is held in its month")
	}
	if t := strings.TrimSpace(in.Title); t == "" || len([]rune(t)) > 100 {
		v.Add("title", "invalid_length", "标题须为1至100字", "the title is 1 to 100 characters")
	}
	if len(in.Judges) == 0 || len(in.Judges) > 50 {
		v.Add("judges", "invalid_count", "评委须为1至50人", "1 to 50 judges")
	}
	if len(in.Sites) == 0 || len(in.Sites) > 60 {
		v.Add("sites", "invalid_count", "观摩点须为1至60个", "1 to 60 sites")
	}
	seen := map[uuid.UUID]bool{}
	for _, s := range in.Sites {
		if seen[s] {
			v.Add("sites", "duplicate", "观摩点重复", "a site is listed twice")
			break
		}
		seen[s] = true
	}
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	var n int
	if err := tx.NewRaw("SELECT count(*) FROM people WHERE id IN (?) AND active", bun.List(in.Judges)).Scan(ctx, &n); err != nil {
		return Event{}, err
	}
	if n != len(uniq(in.Judges)) {
		v.Add("judges", "unknown_person", "评委须为本县在职人员", "judges are active people of the county")
		return Event{}, v.Err()
	}
	s, err := postgres.SettingsOn(ctx, tx, in.HeldOn)
	if err != nil {
		return Event{}, err
	}
	rubric := observation.Rubric{Rubric: s.Values.ObservationRubric}
	raw, err := json.Marshal(rubric.Rubric)
	if err != nil {
		return Event{}, err
	}
	e := Event{ID: uuid.New(), Month: month, HeldOn: in.HeldOn, Title: strings.TrimSpace(in.Title), HalfYear: month.Month() == 6 || month.Month() == 12,
		RubricJSON: raw, Judges: uniq(in.Judges), Status: "open", CreatedBy: &by, Version: 1}
	res, err := tx.NewInsert().Model(&e).On("CONFLICT (county_id, month) DO NOTHING").Exec(ctx)
	if err != nil {
		return e, postgres.MapErr(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return e, errs.E(errs.Conflict, "observation_exists", "本月已有观摩活动", "this month has its observation already")
	}
	var projects []struct {
		ID       uuid.UUID  `bun:"id"`
		UnitID   uuid.UUID  `bun:"responsible_unit_id"`
		UnitKind string     `bun:"kind"`
		Township *uuid.UUID `bun:"township_unit_id"`
		TownKind *string    `bun:"town_kind"`
	}
	if err := tx.NewRaw(`SELECT p.id, p.responsible_unit_id, u.kind, p.township_unit_id, t.kind AS town_kind
		FROM projects p JOIN units u ON u.id = p.responsible_unit_id LEFT JOIN units t ON t.id = p.township_unit_id WHERE p.id IN (?)`,
		bun.List(in.Sites)).Scan(ctx, &projects); err != nil {
		return e, err
	}
	if len(projects) != len(in.Sites) {
		v.Add("sites", "unknown_project", "观摩点须为本县项目", "sites are projects of the county")
		return e, v.Err()
	}
	byID := map[uuid.UUID]int{}
	for i, p := range projects {
		byID[p.ID] = i
	}
	for pos, id := range in.Sites {
		p := projects[byID[id]]
		unit, kind := &p.UnitID, p.UnitKind
		if kind == "enterprise" {
			unit, kind = p.Township, ""
			if p.TownKind != nil {
				kind = *p.TownKind
			}
		}
		pool := rubric.PoolOf(kind)
		if pool == "" {
			unit = nil
		}
		if _, err := tx.NewRaw("INSERT INTO observation_sites (event_id, project_id, position, unit_id, pool) VALUES (?, ?, ?, ?, ?) RETURNING position",
			e.ID, id, pos+1, unit, pool).Exec(ctx); err != nil {
			return e, postgres.MapErr(err)
		}
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "observation.create", EntityType: "observation", EntityID: e.ID.String(),
		After: map[string]any{"month": month.Format("2006-01"), "held_on": in.HeldOn.Format(time.DateOnly), "sites": in.Sites, "judges": e.Judges}}); err != nil {
		return e, err
	}
	return GetEvent(ctx, tx, e.ID)
}

func uniq(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Score is a judge's sheet for a site.
type Score struct {
	bun.BaseModel `bun:"table:observation_scores,alias:os"`
	ID            uuid.UUID         `bun:"id,pk,type:uuid"`
	CountyID      uuid.UUID         `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	EventID       uuid.UUID         `bun:"event_id,type:uuid"`
	ProjectID     uuid.UUID         `bun:"project_id,type:uuid"`
	JudgeID       uuid.UUID         `bun:"judge_id,type:uuid"`
	Points        observation.Sheet `bun:"points,type:jsonb"`
	Total         int               `bun:"total"`
	Comment       string            `bun:"comment"`
	PhotoIDs      []uuid.UUID       `bun:"photo_ids,type:uuid[],array"`
	IdemKey       string            `bun:"idem_key"`
	AccountID     uuid.UUID         `bun:"account_id,type:uuid"`
	SubmittedAt   time.Time         `bun:"submitted_at"`
	JudgeName     string            `bun:"judge_name,scanonly"`
}

// ScoreInput is a judge's sheet as submitted.
type ScoreInput struct {
	ProjectID uuid.UUID
	Points    observation.Sheet
	Comment   string
	PhotoIDs  []uuid.UUID // photos the judge took for this site (AddSheetPhoto)
	IdemKey   string      // the browser's key: a retry with it is the same submission
}

// Submit records a judge's sheet for a site, once (audited). A retry with
// the same idempotency key returns the sheet stored the first time; a
// second, different sheet for the same site is refused. Only the event's
// judges score, and only while it is open.
func Submit(ctx context.Context, tx bun.IDB, event uuid.UUID, judge uuid.UUID, account uuid.UUID, in ScoreInput, now time.Time) (Score, bool, error) {
	var prior []Score
	if err := tx.NewSelect().Model(&prior).Where("os.idem_key = ?", in.IdemKey).Scan(ctx); err != nil {
		return Score{}, false, err
	}
	if len(prior) == 1 {
		p := prior[0]
		if p.EventID != event || p.JudgeID != judge || p.ProjectID != in.ProjectID {
			return Score{}, false, errs.E(errs.Conflict, "idempotency_key_reused", "该提交标识已用于另一份评分", "the idempotency key was used for another sheet")
		}
		return p, true, nil
	}
	e, err := GetEvent(ctx, tx, event)
	if err != nil {
		return Score{}, false, err
	}
	if !e.IsJudge(&judge) {
		return Score{}, false, errs.E(errs.Forbidden, "not_a_judge", "您不是本次观摩的评委", "you are not a judge of this observation")
	}
	if e.Status != "open" {
		return Score{}, false, errs.E(errs.Conflict, "observation_closed", "本次观摩评分已结束", "scoring of this observation has closed")
	}
	var v errs.Validation
	if n := len(in.IdemKey); n < 8 || n > 100 {
		v.Add("idempotency_key", "invalid_length", "提交标识须为8至100个字符", "the idempotency key is 8 to 100 characters")
	}
	if len([]rune(in.Comment)) > 500 {
		v.Add("comment", "too_long", "评语不能超过500字", "the comment is at most 500 characters")
	}
	if err := v.Err(); err != nil {
		return Score{}, false, err
	}
	r := e.Rubric()
	if err := r.Check(in.Points); err != nil {
		return Score{}, false, err
	}
	photos, err := checkSheetPhotos(ctx, tx, event, in.ProjectID, account, in.PhotoIDs)
	if err != nil {
		return Score{}, false, err
	}
	sc := Score{ID: uuid.New(), EventID: event, ProjectID: in.ProjectID, JudgeID: judge, Points: in.Points, Total: r.Total(in.Points),
		Comment: strings.TrimSpace(in.Comment), PhotoIDs: photos, IdemKey: in.IdemKey, AccountID: account, SubmittedAt: now}
	res, err := tx.NewInsert().Model(&sc).On("CONFLICT (event_id, project_id, judge_id) DO NOTHING").Exec(ctx)
	if err != nil {
		if errs.KindOf(postgres.MapErr(err)) == errs.Invalid {
			return sc, false, errs.E(errs.NotFound, "site_not_found", "该项目不是本次观摩点", "the project is not a site of this observation")
		}
		return sc, false, postgres.MapErr(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return sc, false, errs.E(errs.Conflict, "already_scored", "您已为该观摩点评分，评分提交后不能修改", "you scored this site already; a submitted sheet is final")
	}
	return sc, false, postgres.Audit(ctx, tx, audit.Entry{Action: "observation.score", EntityType: "observation", EntityID: event.String(),
		After: map[string]any{"project": in.ProjectID, "judge": judge, "total": sc.Total, "photos": len(photos)}})
}

// Scores are an event's sheets: all of them, or one judge's.
func Scores(ctx context.Context, tx bun.IDB, event uuid.UUID, judge *uuid.UUID) ([]Score, error) {
	out := []Score{}
	q := tx.NewSelect().Model(&out).ColumnExpr("os.*, pe.name AS judge_name").Join("JOIN people pe ON pe.id = os.judge_id").Where("os.event_id = ?", event)
	if judge != nil {
		q.Where("os.judge_id = ?", *judge)
	}
	err := q.OrderExpr("os.submitted_at").Scan(ctx)
	return out, err
}

// Result is a stored result: a site's or a unit's score and rank.
type Result struct {
	bun.BaseModel `bun:"table:observation_results,alias:orr"`
	CountyID      uuid.UUID `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	EventID       uuid.UUID `bun:"event_id,type:uuid"`
	Kind          string    `bun:"kind"`
	SubjectID     uuid.UUID `bun:"subject_id,type:uuid"`
	Pool          string    `bun:"pool"`
	ScoreNum      string    `bun:"score_num"`
	Score         string    `bun:"score"`
	Rank          int       `bun:"rank"`
	Judges        int       `bun:"judges"`
	TieNote       string    `bun:"tie_note"`
	Name          string    `bun:"name,scanonly"`
}

// Close ends scoring (audited) and stores the results: each site's score
// by the event's rubric, sites ranked; each unit's score (the mean of its
// sites'), ranked in its pool with the rubric's tie-breaks (the annual
// investment completion rate as of the month's end, the best site). Sites
// a judge did not score are counted without that judge; missing sheets
// need the office's note.
func Close(ctx context.Context, tx bun.IDB, event uuid.UUID, note string, by uuid.UUID, now time.Time) ([]Result, error) {
	e, err := GetEvent(ctx, tx, event)
	if err != nil {
		return nil, err
	}
	if e.Status != "open" {
		return nil, errs.E(errs.Conflict, "observation_closed", "本次观摩评分已结束", "scoring of this observation has closed")
	}
	sites, err := Sites(ctx, tx, event)
	if err != nil {
		return nil, err
	}
	scores, err := Scores(ctx, tx, event, nil)
	if err != nil {
		return nil, err
	}
	missing := len(sites)*len(e.Judges) - len(scores)
	note = strings.TrimSpace(note)
	if missing > 0 && len([]rune(note)) < 4 {
		var v errs.Validation
		v.Add("note", "reason_required", fmt.Sprintf("尚有%d份评分未提交；如需结束评分，请说明原因（至少4个字）", missing), "sheets are missing: say why scoring closes anyway")
		return nil, v.Err()
	}
	r := e.Rubric()
	totals := map[string]map[string]int{}
	for _, s := range scores {
		k := s.ProjectID.String()
		if totals[k] == nil {
			totals[k] = map[string]int{}
		}
		totals[k][s.JudgeID.String()] = s.Total
	}
	siteScores := r.Scores(totals)
	// Completion rates by unit name, as of the month's end (the bulletin's figures).
	p, err := bulletin.ParsePeriod("month", e.Month.Format("2006-01"))
	if err != nil {
		return nil, err
	}
	in, err := bulletindb.BulletinInputs(ctx, tx, "weekly", p)
	if err != nil {
		return nil, err
	}
	rates := map[string]*big.Rat{}
	for _, u := range bulletin.Compute(in).ByUnit {
		if u.PlanYuan > 0 {
			rates[u.Name] = big.NewRat(u.DoneYuan, u.PlanYuan)
		}
	}
	var siteEntries []observation.Entry
	type unitAcc struct {
		name, pool string
		scores     []*big.Rat
		best       *big.Rat
	}
	units := map[uuid.UUID]*unitAcc{}
	var unitOrder []uuid.UUID
	judgesOf := map[string]int{}
	for _, s := range sites {
		k := s.ProjectID.String()
		judgesOf[k] = len(totals[k])
		sc, ok := siteScores[k]
		if !ok {
			continue // nobody scored it
		}
		siteEntries = append(siteEntries, observation.Entry{Key: k, Name: s.Name, Score: sc})
		if s.UnitID == nil {
			continue
		}
		a := units[*s.UnitID]
		if a == nil {
			a = &unitAcc{name: s.Unit, pool: s.Pool}
			units[*s.UnitID] = a
			unitOrder = append(unitOrder, *s.UnitID)
		}
		a.scores = append(a.scores, sc)
		if a.best == nil || sc.Cmp(a.best) > 0 {
			a.best = sc
		}
	}
	var out []Result
	for _, rk := range observation.Rank(siteEntries, nil) {
		out = append(out, result(event, "site", uuid.MustParse(rk.Key), "", rk, judgesOf[rk.Key]))
	}
	pools := map[string][]observation.Entry{}
	for _, id := range unitOrder {
		a := units[id]
		sum := new(big.Rat)
		for _, x := range a.scores {
			sum.Add(sum, x)
		}
		sum.Quo(sum, big.NewRat(int64(len(a.scores)), 1))
		pools[a.pool] = append(pools[a.pool], observation.Entry{Key: id.String(), Name: a.name, Score: sum, CompletionRate: rates[a.name], BestSite: a.best})
	}
	for pool, entries := range pools {
		for _, rk := range observation.Rank(entries, r.TieBreaks) {
			out = append(out, result(event, "unit", uuid.MustParse(rk.Key), pool, rk, 0))
		}
	}
	if len(out) > 0 {
		if _, err := tx.NewInsert().Model(&out).Exec(ctx); err != nil {
			return nil, postgres.MapErr(err)
		}
	}
	if _, err := tx.NewUpdate().Model((*Event)(nil)).Set("status = 'closed', closed_at = ?, closed_by = ?, close_note = ?, version = version + 1", now, by, note).
		Where("id = ?", event).Exec(ctx); err != nil {
		return nil, postgres.MapErr(err)
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "observation.close", EntityType: "observation", EntityID: event.String(),
		After: map[string]any{"missing": missing, "note": note, "results": len(out)}}); err != nil {
		return nil, err
	}
	return Results(ctx, tx, event)
}

func result(event uuid.UUID, kind string, id uuid.UUID, pool string, rk observation.Ranked, judges int) Result {
	return Result{EventID: event, Kind: kind, SubjectID: id, Pool: pool, ScoreNum: rk.Score.FloatString(12), Score: observation.Two(rk.Score),
		Rank: rk.Rank, Judges: judges, TieNote: rk.TieNote}
}

// Results are an event's stored results: sites, then units by pool and rank.
func Results(ctx context.Context, tx bun.IDB, event uuid.UUID) ([]Result, error) {
	out := []Result{}
	err := tx.NewSelect().Model(&out).ColumnExpr("orr.*, coalesce(p.name, u.name) AS name").
		Join("LEFT JOIN projects p ON orr.kind = 'site' AND p.id = orr.subject_id").Join("LEFT JOIN units u ON orr.kind = 'unit' AND u.id = orr.subject_id").
		Where("orr.event_id = ?", event).OrderExpr("orr.kind, orr.pool, orr.rank, name").Scan(ctx)
	return out, err
}
