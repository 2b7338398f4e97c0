// Package assessmentdb stores the assessment (internal/assessment has the
// rules): it gathers a period's snapshot from the data, keeps each version
// with its snapshot (row and locked object) and result, records the
// office's adjustments and the leading group's approval, and verifies.
package assessmentdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/bulletin/bulletindb"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Version is an assessment version as stored.
type Version struct {
	bun.BaseModel     `bun:"table:assessments,alias:asm"`
	ID                uuid.UUID       `bun:"id,pk,type:uuid"`
	CountyID          uuid.UUID       `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	Period            string          `bun:"period"`
	PeriodStart       time.Time       `bun:"period_start,type:date"`
	PeriodEnd         time.Time       `bun:"period_end,type:date"`
	Version           int             `bun:"version"`
	Status            string          `bun:"status"`
	Reason            string          `bun:"reason"`
	Snapshot          json.RawMessage `bun:"snapshot,type:jsonb"`
	SnapshotSHA256    []byte          `bun:"snapshot_sha256"`
	SnapshotKey       string          `bun:"snapshot_key"`
	SnapshotVersionID string          `bun:"snapshot_version_id"`
	Result            string          `bun:"result"`
	ResultSHA256      []byte          `bun:"result_sha256"`
	ComputedBy        uuid.UUID       `bun:"computed_by,type:uuid"`
	ComputedAt        time.Time       `bun:"computed_at"`
	AdjustedBy        *uuid.UUID      `bun:"adjusted_by,type:uuid"`
	ApprovedBy        *uuid.UUID      `bun:"approved_by,type:uuid"`
	ApprovedAt        *time.Time      `bun:"approved_at"`
}

// Decoded is the version's result.
func (v Version) Decoded() (assessment.Result, error) {
	var r assessment.Result
	err := json.Unmarshal([]byte(v.Result), &r)
	return r, err
}

// Store keeps snapshots as locked objects and reads them back.
type Store interface {
	objects.Keeper
}

// Files say where snapshots go.
type Files struct {
	Store       Store
	RetainYears int
}

var errStorage = errs.E(errs.Unavailable, "storage_unavailable", "文件存储未配置或不可用，考核暂不能计算", "file storage is not configured or unavailable: assessments cannot be computed now")

var errPeriod = errs.E(errs.Invalid, "invalid_period", "考核期间须为半年（2026-H1）或年度（2026）", "an assessment is of a half-year or a year")

// Gather reads a period's snapshot from the data: every unit's facts
// (completed investment and projects by the bulletins' rules, nodes due
// and on time, the observations' unit results and best sites, stall weeks,
// escalations not withdrawn, late or missing reports, inspection findings,
// the letters' commitments due and kept) and the settings in force at the
// period's end.
func Gather(ctx context.Context, tx bun.IDB, p bulletin.Period) (assessment.Snapshot, error) {
	label := p.Label()
	if p.Kind == bulletin.PeriodYear {
		label = fmt.Sprintf("%d年度", p.Start.Year())
	}
	s := assessment.Snapshot{Period: string(p.Kind), Start: p.Start.Format(time.DateOnly), End: p.End.Format(time.DateOnly), Label: label,
		Units: []assessment.Unit{}, Adjustments: []assessment.Adjustment{}}
	if p.Kind != bulletin.PeriodHalf && p.Kind != bulletin.PeriodYear {
		return s, errPeriod
	}
	if err := tx.NewRaw("SELECT name FROM counties WHERE id = app_county()").Scan(ctx, &s.County); err != nil {
		return s, err
	}
	v, err := postgres.SettingsOn(ctx, tx, p.End)
	if err != nil {
		return s, err
	}
	set := v.Values
	s.Weights = assessment.Weights{Investment: set.WeightInvestment, NodePlan: set.WeightNodePlan, Observation: set.WeightObservation,
		Supervision: set.WeightSupervision, Letters: set.Assessment.WeightLetters}
	s.Rules, s.ZonesOwn, s.TieBreaks = set.Assessment, set.ObservationRubric.ZonesOwn, append([]string{}, set.ObservationRubric.TieBreaks...)
	s.Rewards, s.Fines, s.FiscalCut = append([]int64{}, set.TownshipRewardsYuan...), append([]int64{}, set.TownshipFinesYuan...), set.FiscalCutPercent
	s.ServiceRewarded = set.ServiceUnitsRewarded
	in, err := bulletindb.BulletinInputs(ctx, tx, "weekly", p)
	if err != nil {
		return s, err
	}
	invest := map[string]bulletin.UnitRow{}
	for _, u := range bulletin.Compute(in).ByUnit {
		invest[u.Name] = u
	}
	var rows []struct {
		UID         uuid.UUID `bun:"uid"`
		ID          string    `bun:"id"`
		Name        string    `bun:"name"`
		Kind        string    `bun:"kind"`
		Head        string    `bun:"head"`
		NodesDue    int       `bun:"nodes_due"`
		NodesOnTime int       `bun:"nodes_on_time"`
		Observation []string  `bun:"observation,array"`
		BestSite    string    `bun:"best_site"`
		StallWeeks  int       `bun:"stall_weeks"`
		Escalations int       `bun:"escalations"`
		LateReports int       `bun:"late_reports"`
		Findings    int       `bun:"findings"`
		LettersDue  int       `bun:"letters_due"`
		LettersKept int       `bun:"letters_kept"`
	}
	if err := tx.NewRaw(`
		WITH listed AS (SELECT project_id FROM listed_projects(?0, ?1)),
		     mine AS (SELECT p.id, p.responsible_unit_id AS unit_id FROM projects p JOIN listed l ON l.project_id = p.id),
		     events AS (SELECT id FROM observation_events WHERE status = 'closed' AND month BETWEEN ?0 AND ?1)
		SELECT u.id AS uid, u.id::text AS id, u.name, u.kind, coalesce(h.name, '') AS head,
		  (SELECT count(*) FROM project_nodes n JOIN mine m ON m.id = n.project_id
		    WHERE m.unit_id = u.id AND n.planned_date BETWEEN ?0 AND ?1) AS nodes_due,
		  (SELECT count(*) FROM project_nodes n JOIN mine m ON m.id = n.project_id
		    WHERE m.unit_id = u.id AND n.planned_date BETWEEN ?0 AND ?1 AND n.actual_date <= n.planned_date) AS nodes_on_time,
		  coalesce((SELECT array_agg(r.score_num::text ORDER BY e.month) FROM observation_results r JOIN events ev ON ev.id = r.event_id
		    JOIN observation_events e ON e.id = r.event_id WHERE r.kind = 'unit' AND r.subject_id = u.id), '{}') AS observation,
		  coalesce((SELECT max(r.score_num)::text FROM observation_results r JOIN events ev ON ev.id = r.event_id
		    JOIN observation_sites os ON os.event_id = r.event_id AND os.project_id = r.subject_id
		    WHERE r.kind = 'site' AND os.unit_id = u.id), '') AS best_site,
		  (SELECT count(*) FROM week_status w JOIN mine m ON m.id = w.project_id
		    WHERE m.unit_id = u.id AND w.stalled AND w.week_start BETWEEN ?0 AND ?1) AS stall_weeks,
		  (SELECT count(*) FROM escalations x JOIN mine m ON m.id = x.project_id
		    WHERE m.unit_id = u.id AND x.status <> 'withdrawn' AND x.raised_week BETWEEN ?0 AND ?1) AS escalations,
		  (SELECT count(*) FROM week_status w JOIN mine m ON m.id = w.project_id
		    WHERE m.unit_id = u.id AND w.report_state <> 'on_time' AND w.week_start BETWEEN ?0 AND ?1) AS late_reports,
		  (SELECT count(*) FROM inspections i JOIN mine m ON m.id = i.project_id
		    WHERE m.unit_id = u.id AND i.findings <> '' AND i.week_start BETWEEN ?0 AND ?1) AS findings,
		  (SELECT count(*) FROM letter_items li JOIN letters le ON le.id = li.letter_id
		    WHERE le.unit_id = u.id AND le.kind = 'responsibility' AND li.due_date BETWEEN ?0 AND ?1) AS letters_due,
		  (SELECT count(*) FROM letter_items li JOIN letters le ON le.id = li.letter_id
		    WHERE le.unit_id = u.id AND le.kind = 'responsibility' AND li.due_date BETWEEN ?0 AND ?1 AND li.kept_on <= li.due_date) AS letters_kept
		FROM units u LEFT JOIN people h ON h.id = u.head_person_id
		ORDER BY u.code, u.name`, p.Start, p.End).Scan(ctx, &rows); err != nil {
		return s, fmt.Errorf("assessment facts: %w", err)
	}
	for _, r := range rows {
		u := assessment.Unit{ID: r.ID, Name: r.Name, Kind: r.Kind, Head: r.Head, NodesDue: r.NodesDue, NodesOnTime: r.NodesOnTime,
			Observation: r.Observation, BestSite: r.BestSite, StallWeeks: r.StallWeeks, Escalations: r.Escalations, LateReports: r.LateReports,
			Findings: r.Findings, LettersDue: r.LettersDue, LettersKept: r.LettersKept}
		if iv, ok := invest[u.Name]; ok {
			u.Projects, u.PlanYuan, u.DoneYuan = iv.Projects, iv.PlanYuan, iv.DoneYuan
		}
		if u.Observation == nil {
			u.Observation = []string{}
		}
		s.Units = append(s.Units, u)
	}
	if err := gatherServices(ctx, tx, p, &s); err != nil {
		return s, fmt.Errorf("assessment service units: %w", err)
	}
	return s, nil
}

func encode(s assessment.Snapshot) ([]byte, []byte) {
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return b, sum[:]
}

// keep writes a snapshot as a locked object and returns its key and version.
func (f Files) keep(ctx context.Context, county, id uuid.UUID, b, sum []byte, now time.Time) (objects.Stored, error) {
	key := fmt.Sprintf("assessments/%s/%s/snapshot-%x.json", county, id, sum[:8])
	return f.Store.Put(ctx, key, bytes.NewReader(b), "application/json", now.AddDate(f.RetainYears, 0, 0))
}

// List are a period's versions, newest first.
func List(ctx context.Context, tx bun.IDB, p bulletin.Period) ([]Version, error) {
	out := []Version{}
	err := tx.NewSelect().Model(&out).Where("asm.period = ? AND asm.period_start = ?", string(p.Kind), p.Start).OrderExpr("asm.version DESC").Scan(ctx)
	return out, err
}

// Get reads a version.
func Get(ctx context.Context, tx bun.IDB, id uuid.UUID) (Version, error) {
	var out []Version
	if err := tx.NewSelect().Model(&out).Where("asm.id = ?", id).Scan(ctx); err != nil {
		return Version{}, err
	}
	if len(out) == 0 {
		return Version{}, errs.E(errs.NotFound, "assessment_not_found", "未找到该考核", "no such assessment")
	}
	return out[0], nil
}

// Compute gathers the period's snapshot, freezes it (locked object and
// row, with its SHA-256) and computes the result from it (audited), all in
// tx: the benchmarks' and the tests' way. The platform computes in the
// worker (RunCompute), whose transactions never wait on the object store.
// A version not yet approved is computed again in place, keeping the
// office's adjustments; after approval a new version is a correction and
// needs a reason.
func Compute(ctx context.Context, tx bun.IDB, files Files, p bulletin.Period, reason string, by uuid.UUID, now time.Time) (Version, error) {
	if files.Store == nil {
		return Version{}, errStorage
	}
	if err := lockPeriod(ctx, tx, p); err != nil {
		return Version{}, err
	}
	next, err := nextVersion(ctx, tx, p, reason, by, now)
	if err != nil {
		return Version{}, err
	}
	snap, err := Gather(ctx, tx, p)
	if err != nil {
		return Version{}, err
	}
	snap.Adjustments = next.Carried
	b, sum := encode(snap)
	st, err := files.keep(ctx, next.County, next.V.ID, b, sum, now)
	if err != nil {
		return Version{}, err
	}
	return record(ctx, tx, next, snap, b, sum, st)
}

// lockedGet reads a version holding its period's lock: an adjustment or an
// approval waits for a computation of the period that is writing, and the
// worker's computation sees theirs (see RunCompute), so that none of them
// overwrites another's.
func lockedGet(ctx context.Context, tx bun.IDB, id uuid.UUID) (Version, error) {
	v, err := Get(ctx, tx, id)
	if err != nil {
		return v, err
	}
	if err := lockPeriod(ctx, tx, bulletin.Period{Kind: bulletin.PeriodKind(v.Period), Start: v.PeriodStart, End: v.PeriodEnd}); err != nil {
		return v, err
	}
	return Get(ctx, tx, id)
}

// lockPeriod makes a period's computations wait for each other.
func lockPeriod(ctx context.Context, tx bun.IDB, p bulletin.Period) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('assessment:' || app_county()::text || ?, 0))", string(p.Kind)+p.Start.Format(time.DateOnly))
	return err
}

// next is the version a computation writes: a first one, the unapproved
// one again in place (its adjustments carried over), or a correction.
type next struct {
	County  uuid.UUID
	V       Version
	Replace bool
	Carried []assessment.Adjustment
	Last    *Version // the newest version on record when it was decided
}

// nextVersion decides the version a computation for p writes, from the
// versions on record; a correction of an approved version needs a reason.
func nextVersion(ctx context.Context, tx bun.IDB, p bulletin.Period, reason string, by uuid.UUID, now time.Time) (next, error) {
	prior, err := List(ctx, tx, p)
	if err != nil {
		return next{}, err
	}
	var n next
	if err := tx.NewRaw("SELECT app_county()").Scan(ctx, &n.County); err != nil {
		return n, err
	}
	reason = strings.TrimSpace(reason)
	n.V = Version{ID: uuid.New(), Period: string(p.Kind), PeriodStart: p.Start, PeriodEnd: p.End, Version: 1, Status: "computed", Reason: reason,
		ComputedBy: by, ComputedAt: now}
	n.Carried = []assessment.Adjustment{}
	if len(prior) == 0 {
		return n, nil
	}
	last := prior[0]
	n.Last = &last
	if last.Status == "computed" {
		n.Replace, n.V.ID, n.V.Version, n.V.Reason, n.V.AdjustedBy = true, last.ID, last.Version, last.Reason, last.AdjustedBy
		var old assessment.Snapshot
		if err := json.Unmarshal(last.Snapshot, &old); err != nil {
			return n, err
		}
		n.Carried = old.Adjustments
		return n, nil
	}
	if err := correctionReason(last, reason); err != nil {
		return n, err
	}
	n.V.Version = last.Version + 1
	return n, nil
}

// correctionReason refuses a correction of an approved version without a reason.
func correctionReason(last Version, reason string) error {
	if last.Status != "approved" || len([]rune(strings.TrimSpace(reason))) >= 4 {
		return nil
	}
	var ve errs.Validation
	ve.Add("reason", "reason_required", fmt.Sprintf("第%d版考核结果已审定；更正须写明理由（至少4个字）", last.Version), "approved already: a correction needs a reason (at least 4 characters)")
	return ve.Err()
}

// record writes the version n with its frozen snapshot (b, its SHA-256 sum,
// stored as st) and the result computed from it, and audits both hashes.
func record(ctx context.Context, tx bun.IDB, n next, snap assessment.Snapshot, b, sum []byte, st objects.Stored) (Version, error) {
	v := n.V
	v.Snapshot, v.SnapshotSHA256, v.SnapshotKey, v.SnapshotVersionID = b, sum, st.Key, st.VersionID
	res := assessment.Compute(snap).Canonical()
	rs := sha256.Sum256(res)
	v.Result, v.ResultSHA256 = string(res), rs[:]
	if n.Replace {
		if _, err := tx.NewUpdate().Model(&v).Column("snapshot", "snapshot_sha256", "snapshot_key", "snapshot_version_id", "result", "result_sha256",
			"computed_by", "computed_at").WherePK().Exec(ctx); err != nil {
			return v, postgres.MapErr(err)
		}
	} else if _, err := tx.NewInsert().Model(&v).Exec(ctx); err != nil {
		return v, postgres.MapErr(err)
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "assessment.compute", EntityType: "assessment", EntityID: v.ID.String(),
		After: map[string]any{"period": v.Period, "start": v.PeriodStart.Format(time.DateOnly), "version": v.Version, "reason": v.Reason,
			"snapshot_sha256": fmt.Sprintf("%x", v.SnapshotSHA256), "result_sha256": fmt.Sprintf("%x", v.ResultSHA256)}}); err != nil {
		return v, err
	}
	return Get(ctx, tx, v.ID)
}

// freeze stores the snapshot and sets the version's snapshot and result.
func (f Files) freeze(ctx context.Context, county uuid.UUID, v *Version, snap assessment.Snapshot, now time.Time) error {
	b, sum := encode(snap)
	st, err := f.keep(ctx, county, v.ID, b, sum, now)
	if err != nil {
		return err
	}
	v.Snapshot, v.SnapshotSHA256, v.SnapshotKey, v.SnapshotVersionID = b, sum, st.Key, st.VersionID
	res := assessment.Compute(snap).Canonical()
	rs := sha256.Sum256(res)
	v.Result, v.ResultSHA256 = string(res), rs[:]
	return nil
}

// Adjust records the office's change to a unit's component with its
// reason, freezes the snapshot with it and computes again (audited).
func Adjust(ctx context.Context, tx bun.IDB, files Files, id uuid.UUID, a assessment.Adjustment, by uuid.UUID, byName string, now time.Time) (Version, error) {
	if files.Store == nil {
		return Version{}, errStorage
	}
	v, err := lockedGet(ctx, tx, id)
	if err != nil {
		return v, err
	}
	if v.Status == "approved" {
		return v, errs.E(errs.Conflict, "assessment_final", "考核结果已审定，不能调整；如需更正请重新计算为新版本", "the assessment is approved: correct it as a new version")
	}
	var snap assessment.Snapshot
	if err := json.Unmarshal(v.Snapshot, &snap); err != nil {
		return v, err
	}
	var ve errs.Validation
	known := false
	for _, u := range snap.Units {
		known = known || u.ID == a.UnitID
	}
	if !known {
		ve.Add("unit_id", "not_found", "本期考核中没有该单位", "no such unit in this assessment")
	}
	if assessment.ComponentNames[a.Component] == "" {
		ve.Add("component", "invalid", "考核项须为 investment、node_plan、observation、supervision 或 letters", "unknown component")
	}
	if d, ok := new(big.Rat).SetString(a.Points); !ok || d.Abs(d).Cmp(big.NewRat(100, 1)) > 0 {
		ve.Add("points", "invalid", "调整分值须为-100到100之间的数", "points are a number between -100 and 100")
	}
	if len([]rune(strings.TrimSpace(a.Reason))) < 4 {
		ve.Add("reason", "reason_required", "调整须写明理由（至少4个字）", "an adjustment needs a reason (at least 4 characters)")
	}
	if err := ve.Err(); err != nil {
		return v, err
	}
	a.Reason, a.By = strings.TrimSpace(a.Reason), byName
	snap.Adjustments = append(snap.Adjustments, a)
	if err := files.freeze(ctx, v.CountyID, &v, snap, now); err != nil {
		return v, err
	}
	v.AdjustedBy = &by
	if _, err := tx.NewUpdate().Model(&v).Column("snapshot", "snapshot_sha256", "snapshot_key", "snapshot_version_id", "result", "result_sha256", "adjusted_by").
		WherePK().Exec(ctx); err != nil {
		return v, postgres.MapErr(err)
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "assessment.adjust", EntityType: "assessment", EntityID: id.String(),
		After: map[string]any{"unit": a.UnitID, "component": a.Component, "points": a.Points, "reason": a.Reason,
			"snapshot_sha256": fmt.Sprintf("%x", v.SnapshotSHA256), "result_sha256": fmt.Sprintf("%x", v.ResultSHA256)}}); err != nil {
		return v, err
	}
	return Get(ctx, tx, id)
}

// Approve is the leading group's approval: the version becomes final. The
// account that computed it last or adjusted it may not approve it.
func Approve(ctx context.Context, tx bun.IDB, id uuid.UUID, by uuid.UUID, now time.Time) (Version, error) {
	v, err := lockedGet(ctx, tx, id)
	if err != nil {
		return v, err
	}
	if v.Status == "approved" {
		return v, errs.E(errs.Conflict, "assessment_final", "考核结果已审定", "the assessment is approved already")
	}
	if v.ComputedBy == by || (v.AdjustedBy != nil && *v.AdjustedBy == by) {
		return v, errs.E(errs.Forbidden, "own_assessment", "考核结果由您计算或调整，须由他人审定", "you computed or adjusted this assessment: someone else approves it")
	}
	if _, err := tx.NewUpdate().Model((*Version)(nil)).Set("status = 'approved', approved_by = ?, approved_at = ?", by, now).Where("id = ?", id).Exec(ctx); err != nil {
		return v, postgres.MapErr(err)
	}
	if err := postgres.Audit(ctx, tx, audit.Entry{Action: "assessment.approve", EntityType: "assessment", EntityID: id.String(),
		After: map[string]any{"version": v.Version, "result_sha256": fmt.Sprintf("%x", v.ResultSHA256)}}); err != nil {
		return v, err
	}
	return Get(ctx, tx, id)
}

// Finding is what verification found wrong with a version.
type Finding struct {
	ID      uuid.UUID
	Label   string
	Problem string
}

// Verify recomputes every version of the county from its stored snapshot:
// the snapshot must match its hash (row and locked object alike), and the
// result computed again must equal the stored result byte for byte.
func Verify(ctx context.Context, tx bun.IDB, files Files) (int, []Finding, error) {
	var list []Version
	if err := tx.NewSelect().Model(&list).OrderExpr("asm.period_start, asm.period, asm.version").Scan(ctx); err != nil {
		return 0, nil, err
	}
	var found []Finding
	for _, v := range list {
		label := fmt.Sprintf("%s %s 第%d版", v.Period, v.PeriodStart.Format(time.DateOnly), v.Version)
		// The row's snapshot as stored in jsonb is re-encoded: compare the object's bytes.
		if files.Store == nil {
			return 0, nil, errStorage
		}
		fh, err := files.Store.Verified(ctx, v.SnapshotKey, v.SnapshotVersionID, v.SnapshotSHA256)
		if err != nil {
			found = append(found, Finding{v.ID, label, "快照文件与其哈希不符或无法读取：" + err.Error()})
			continue
		}
		raw, err := io.ReadAll(fh)
		fh.Close()
		if err != nil {
			return 0, nil, err
		}
		var snap, rowSnap assessment.Snapshot
		if err := json.Unmarshal(raw, &snap); err != nil {
			found = append(found, Finding{v.ID, label, "快照文件无法解析"})
			continue
		}
		if err := json.Unmarshal(v.Snapshot, &rowSnap); err != nil || !bytes.Equal(mustJSON(rowSnap), raw) {
			found = append(found, Finding{v.ID, label, "数据库中的快照与锁定的快照文件不一致"})
			continue
		}
		again := assessment.Compute(snap).Canonical()
		if !bytes.Equal(again, []byte(v.Result)) {
			found = append(found, Finding{v.ID, label, "由快照重新计算的结果与存储的结果不一致"})
			continue
		}
		if sum := sha256.Sum256([]byte(v.Result)); !bytes.Equal(sum[:], v.ResultSHA256) {
			found = append(found, Finding{v.ID, label, "存储的结果与其哈希不符"})
		}
	}
	return len(list), found, nil
}

func mustJSON(s assessment.Snapshot) []byte {
	b, _ := json.Marshal(s)
	return b
}
