package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/app"
	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/httpapi/assessmentapi"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
	"github.com/tuijin/tuijin/internal/uploads"
)

func unitLine(v assessmentapi.AssessmentVersion, name string) assessment.UnitResult {
	for _, u := range v.Result.Units {
		if u.Name == name {
			return u
		}
	}
	return assessment.UnitResult{}
}

// compute asks for a computation as the console does (202 and a queued
// request, whose job is in the outbox), runs the worker's job for it, and
// reads the request and the version it made. A refusal comes back as the
// POST's answer.
func compute(t *testing.T, c *client, body map[string]any) (assessmentapi.AssessmentVersion, response) {
	t.Helper()
	var run assessmentapi.AssessmentRun
	r := c.do("POST", "/api/v1/assessments", body)
	if r.Status != http.StatusAccepted {
		return assessmentapi.AssessmentVersion{}, r
	}
	r.decode(t, &run)
	if run.Status != "queued" || run.AssessmentID != nil {
		t.Fatalf("a request: %s", r.Body)
	}
	var queued int
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM outbox WHERE kind = 'job' AND payload->>'job' = ? AND payload->>'period' = ?", assessmentdb.JobCompute, run.ID.String()).Scan(ctx, &queued)
	})
	if queued != 1 {
		t.Fatalf("the request's job is not in the outbox (%d)", queued)
	}
	cmp := assessmentdb.Computer{DB: h.env.App, Stager: uploads.Stager{DB: h.env.App, Store: h.store, Log: slog.New(slog.DiscardHandler)}, RetainYears: h.cfg.RetainYears}
	if err := cmp.RunCompute(context.Background(), countyBySlug(t, "guangshan"), run.ID, time.Now(), false); err != nil {
		t.Fatalf("the worker's job: %v", err)
	}
	c.do("GET", "/api/v1/assessment-runs/"+run.ID.String(), nil).decode(t, &run)
	if run.Status != "done" || run.AssessmentID == nil || run.FinishedAt == nil {
		t.Fatalf("after the job: %+v", run)
	}
	var v assessmentapi.AssessmentVersion
	r = c.do("GET", "/api/v1/assessments/"+run.AssessmentID.String(), nil)
	r.decode(t, &v)
	r.Status = http.StatusCreated // made
	return v, r
}

// TestAssessment: Guangshan's 2026 year-end assessment computed from a
// frozen snapshot; the office adjusts with a reason; the office cannot
// approve, the leading group does; then it is final: no adjustment, a
// correction needs a reason and is version 2, version 1 unchanged; a unit
// sees its own line only; Luoshan's amounts and weights leave Guangshan's
// result as it was; `assessment verify` passes, then finds a tampered
// result and a tampered snapshot.
func TestAssessment(t *testing.T) {
	office, leader, unit := login(t, "gs.office"), login(t, "gs.leader"), login(t, "gs.unit")
	o := guangshanOrg(t, office)
	// The service units' rating round: 紫水街道 dealt with 县住建局 (a procedure of its project).
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO project_procedures (project_id, type_id, service_unit_id)
			SELECT p.id, t.id, t.default_service_unit_id FROM projects p, procedure_types t WHERE p.code = 'GS2026-003' AND t.code = 'P07'
			ON CONFLICT DO NOTHING`)
		return err
	})
	var round assessmentapi.RatingRound
	r := office.do("POST", "/api/v1/service-ratings", map[string]any{"period": "year", "at": "2026"})
	r.decode(t, &round)
	if r.Status != http.StatusCreated || round.Status != "open" {
		t.Fatalf("open the rating: %d %s", r.Status, r.Body)
	}
	var mine0 assessmentapi.RatingRound
	unit.do("GET", "/api/v1/service-ratings?period=year&at=2026", nil).decode(t, &mine0)
	if len(mine0.Rateables) != 1 || mine0.Rateables[0].Name != "县住建局" {
		t.Fatalf("紫水街道 may rate %+v", mine0.Rateables)
	}
	rateURL := "/api/v1/service-ratings/" + round.ID.String() + "/units/"
	if r := unit.do("PUT", rateURL+o.units["县发改委"], map[string]any{"score": 90}); r.Status != http.StatusNotFound {
		t.Fatalf("a unit rates a service unit it did not deal with: %d", r.Status)
	}
	if r := unit.do("PUT", rateURL+o.units["县住建局"], map[string]any{"score": 101}); r.Status != http.StatusBadRequest {
		t.Fatalf("a score over 100: %d", r.Status)
	}
	if r := unit.do("PUT", rateURL+o.units["县住建局"], map[string]any{"score": 86, "comment": "施工许可办理及时"}); r.Status != http.StatusOK {
		t.Fatalf("rate: %d %s", r.Status, r.Body)
	}
	var sum assessmentapi.RatingRound
	office.do("GET", "/api/v1/service-ratings?period=year&at=2026", nil).decode(t, &sum)
	if len(sum.Summary) != 1 || sum.Summary[0].Ratings != 1 || sum.Summary[0].Mean != "86.00" || strings.Contains(string(office.do("GET", "/api/v1/service-ratings?period=year&at=2026", nil).Body), o.units["紫水街道"]) {
		t.Fatalf("the office's summary %+v (and never who rated)", sum.Summary)
	}
	v1, r := compute(t, office, map[string]any{"period": "year", "at": "2026"})
	if r.Status != http.StatusCreated || v1.Version != 1 || v1.Status != "computed" || len(v1.Result.Units) == 0 || v1.Result.Label != "2026年度" {
		t.Fatalf("compute: %d %s", r.Status, r.Body)
	}
	if u := unitLine(v1, "紫水街道"); u.Pool != "townships" || u.Rank < 1 {
		t.Fatalf("紫水街道 %+v", u)
	}
	if u := unitLine(v1, "县住建局"); u.Pool != "departments" {
		t.Fatalf("县住建局 %+v", u)
	}
	rated := false
	for _, sv := range v1.Result.Services {
		rated = rated || (sv.Name == "县住建局" && sv.Ratings == 1 && sv.RatingMean == "86.00" && sv.Rank >= 1)
	}
	if !rated {
		t.Fatalf("the service units on the result: %+v", v1.Result.Services)
	}
	base := "/api/v1/assessments/" + v1.ID.String()
	r = office.do("POST", base+"/adjustments", map[string]any{"unit_id": o.units["紫水街道"], "component": "supervision", "points": "-5", "reason": "瞒报项目停工情况"})
	r.decode(t, &v1)
	if r.Status != http.StatusOK || len(v1.Adjustments) != 1 {
		t.Fatalf("adjust: %d %s", r.Status, r.Body)
	}
	found := false
	for _, c := range unitLine(v1, "紫水街道").Components {
		found = found || (c.Name == "supervision" && strings.Contains(c.Adjusted, "瞒报项目停工情况"))
	}
	if !found {
		t.Fatalf("the adjustment is not on the result: %+v", unitLine(v1, "紫水街道"))
	}
	if _, r := compute(t, office, map[string]any{"period": "year", "at": "2026"}); r.Status != http.StatusCreated {
		t.Fatalf("computed again: %d %s", r.Status, r.Body)
	}
	if r := office.do("POST", base+"/adjustments", map[string]any{"unit_id": o.units["紫水街道"], "component": "supervision", "points": "-5", "reason": ""}); r.Status != http.StatusBadRequest {
		t.Fatalf("an adjustment without a reason: %d", r.Status)
	}
	if r := unit.do("GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("a unit reads a result not approved: %d", r.Status)
	}
	if r := office.do("POST", base+"/notice", nil); r.Status != http.StatusConflict {
		t.Fatalf("a notice of a version not approved: %d", r.Status)
	}
	if r := office.do("POST", base+"/approve", nil); r.Status != http.StatusForbidden {
		t.Fatalf("the office approves: %d", r.Status)
	}
	r = leader.do("POST", base+"/approve", nil)
	r.decode(t, &v1)
	if r.Status != http.StatusOK || v1.Status != "approved" || v1.ApprovedAt == nil {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	// Published: the notice of the approved version, frozen.
	var nv assessmentapi.NoticeVersion
	r = office.do("POST", base+"/notice", nil)
	r.decode(t, &nv)
	if r.Status != http.StatusCreated || nv.IssueNo < 1 || !strings.Contains(nv.IssueLine, "光项领") || !strings.Contains(nv.Heading, "2026年度重点项目建设考核结果的通报") {
		t.Fatalf("notice: %d %s", r.Status, r.Body)
	}
	page := unit.do("GET", "/api/v1/assessment-notices/"+nv.ID.String()+"/html", nil)
	if page.Status != 200 || !strings.Contains(string(page.Body), "紫水街道") || office.do("GET", "/api/v1/assessment-notices/"+nv.ID.String()+"/pdf", nil).Status != 200 {
		t.Fatalf("the notice's files: %d", page.Status)
	}
	old := assessment.NoticeStyle
	assessment.NoticeStyle = "body { color: #c00 } /* changed after issue */"
	if again := unit.do("GET", "/api/v1/assessment-notices/"+nv.ID.String()+"/html", nil); !bytes.Equal(again.Body, page.Body) {
		t.Error("a published notice changed with the template")
	}
	assessment.NoticeStyle = old
	if r := office.do("POST", base+"/notice", nil); r.Status != http.StatusBadRequest {
		t.Fatalf("a re-issue without a reason: %d", r.Status)
	}
	// Final.
	if r := office.do("POST", base+"/adjustments", map[string]any{"unit_id": o.units["紫水街道"], "component": "supervision", "points": "1", "reason": "再调整一次"}); r.Status != http.StatusConflict {
		t.Fatalf("adjusted after approval: %d", r.Status)
	}
	if r := office.do("POST", "/api/v1/assessments", map[string]any{"period": "year", "at": "2026"}); r.Status != http.StatusBadRequest {
		t.Fatalf("a correction without a reason: %d", r.Status)
	}
	v2, r := compute(t, office, map[string]any{"period": "year", "at": "2026", "reason": "更正节点完成数据"})
	if r.Status != http.StatusCreated || v2.Version != 2 {
		t.Fatalf("correction: %d %s", r.Status, r.Body)
	}
	var again assessmentapi.AssessmentVersion
	office.do("GET", base, nil).decode(t, &again)
	if again.ResultSHA256 != v1.ResultSHA256 || again.Status != "approved" {
		t.Fatal("version 1 changed with the correction")
	}
	// A unit's own breakdown.
	var mine assessmentapi.AssessmentVersion
	unit.do("GET", base, nil).decode(t, &mine)
	if len(mine.Result.Units) != 1 || mine.Result.Units[0].Name != "紫水街道" || len(mine.Adjustments) != 0 {
		t.Fatalf("the unit sees %+v", mine.Result.Units)
	}
	// Luoshan's amounts and weights do not touch Guangshan's result.
	inCounty(t, "luoshan", func(ctx context.Context, tx bun.IDB) error {
		s := settings.Defaults()
		s.TownshipRewardsYuan, s.WeightInvestment, s.WeightNodePlan = []int64{300000}, 70, 10
		_, err := postgres.PutSettingsVersion(ctx, tx, settings.Version{EffectiveFrom: settings.Today(time.Now()).AddDate(0, 0, 1), Values: s, Reason: "罗山调整"}, time.Now())
		return err
	})
	v3, _ := compute(t, office, map[string]any{"period": "year", "at": "2026", "reason": "复核罗山调整后的结果"})
	leader.do("POST", "/api/v1/assessments/"+v2.ID.String()+"/approve", nil)
	if v3.ResultSHA256 != v2.ResultSHA256 || v3.SnapshotSHA256 != v2.SnapshotSHA256 {
		t.Fatalf("Guangshan's result moved with Luoshan's settings")
	}
	// Accountability: the proposals with their evidence; the office decides with a reason.
	var acc assessmentapi.Accountability
	r = leader.do("GET", "/api/v1/accountability?year=2026&month=10", nil)
	r.decode(t, &acc)
	if r.Status != http.StatusOK || acc.MonthsBehind != 3 || acc.Escalations != 3 {
		t.Fatalf("accountability: %d %s", r.Status, r.Body)
	}
	if r := office.do("PUT", "/api/v1/accountability/"+o.units["紫水街道"], map[string]any{"year": 2026, "refer": false, "reason": ""}); r.Status != http.StatusBadRequest {
		t.Fatalf("a decision without a reason: %d", r.Status)
	}
	if r := office.do("PUT", "/api/v1/accountability/"+o.units["紫水街道"], map[string]any{"year": 2026, "refer": false, "evidence": "连续3个月慢于时序进度", "reason": "已制定整改方案，暂不移交"}); r.Status != http.StatusOK {
		t.Fatalf("decide: %d %s", r.Status, r.Body)
	}
	leader.do("GET", "/api/v1/accountability?year=2026&month=10", nil).decode(t, &acc)
	if len(acc.Decisions) != 1 || acc.Decisions[0].Reason != "已制定整改方案，暂不移交" {
		t.Fatalf("decisions %+v", acc.Decisions)
	}
	if r := unit.do("GET", "/api/v1/accountability", nil); r.Status != http.StatusForbidden {
		t.Fatalf("a unit reads the proposals: %d", r.Status)
	}
	// A person's record: the office reads anyone's, a person their own.
	var rec assessmentdb.Record
	r = office.do("GET", "/api/v1/people/"+o.people["罗军"]+"/record?year=2026", nil)
	r.decode(t, &rec)
	if r.Status != http.StatusOK || rec.Name != "罗军" || len(rec.Seats) == 0 {
		t.Fatalf("record: %d %s", r.Status, r.Body)
	}
	if r := unit.do("GET", "/api/v1/people/"+o.people["罗军"]+"/record/xlsx?year=2026", nil); r.Status != http.StatusOK || !bytes.HasPrefix(r.Body, []byte("PK")) {
		t.Fatalf("own record workbook: %d", r.Status)
	}
	if r := unit.do("GET", "/api/v1/people/"+o.people["王立新"]+"/record", nil); r.Status != http.StatusNotFound {
		t.Fatalf("a unit user reads another's record: %d", r.Status)
	}
	var out bytes.Buffer
	if err := app.AssessmentVerify(context.Background(), h.cfg, &out); err != nil {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	// Tampering: a result, then a snapshot, of a version not yet approved.
	h1, _ := compute(t, office, map[string]any{"period": "half", "at": "2026-H1"})
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE assessments SET result = replace(result, '\"score\":\"', '\"score\":\"1') WHERE id = ?", h1.ID)
		return err
	})
	out.Reset()
	if err := app.AssessmentVerify(context.Background(), h.cfg, &out); err == nil || !strings.Contains(out.String(), "重新计算的结果与存储的结果不一致") {
		t.Fatalf("a tampered result passed: %v\n%s", err, out.String())
	}
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE assessments SET snapshot = jsonb_set(snapshot, '{fiscal_cut_percent}', '0') WHERE id = ?", h1.ID)
		return err
	})
	out.Reset()
	if err := app.AssessmentVerify(context.Background(), h.cfg, &out); err == nil || !strings.Contains(out.String(), "快照与锁定的快照文件不一致") {
		t.Fatalf("a tampered snapshot passed: %v\n%s", err, out.String())
	}
	// Computed again, it holds.
	compute(t, office, map[string]any{"period": "half", "at": "2026-H1"})
	if err := app.AssessmentVerify(context.Background(), h.cfg, &out); err != nil {
		t.Fatalf("verify after computing again: %v", err)
	}
}

// TestAssessmentRuns: the worker computes what the office asks for. Two
// presses while one request waits are one request; the job writes the
// version, and its snapshot object is locked only after the version is on
// record; run again (a retry after success) it writes nothing; a request
// the record has overtaken (the version approved meanwhile, and no reason
// for a correction) fails with why, leaving no object behind.
func TestAssessmentRuns(t *testing.T) {
	office, leader := login(t, "gs.office"), login(t, "gs.leader")
	gs := countyBySlug(t, "guangshan")
	ctx := context.Background()
	cmp := assessmentdb.Computer{DB: h.env.App, Stager: uploads.Stager{DB: h.env.App, Store: h.store, Log: slog.New(slog.DiscardHandler)}, RetainYears: h.cfg.RetainYears}
	post := func(body map[string]any) assessmentapi.AssessmentRun {
		var run assessmentapi.AssessmentRun
		r := office.do("POST", "/api/v1/assessments", body)
		r.decode(t, &run)
		if r.Status != http.StatusAccepted {
			t.Fatalf("request: %d %s", r.Status, r.Body)
		}
		return run
	}
	get := func(id string) (run assessmentapi.AssessmentRun) {
		office.do("GET", "/api/v1/assessment-runs/"+id, nil).decode(t, &run)
		return run
	}
	h2 := map[string]any{"period": "half", "at": "2025-H2"}
	first, second := post(h2), post(h2)
	if first.ID != second.ID || first.Status != "queued" {
		t.Fatalf("two presses: %s and %s", first.ID, second.ID)
	}
	var list []assessmentapi.AssessmentRun
	office.do("GET", "/api/v1/assessment-runs?period=half&at=2025-H2", nil).decode(t, &list)
	if len(list) != 1 || list[0].ID != first.ID {
		t.Fatalf("the period's requests: %+v", list)
	}
	if err := cmp.RunCompute(ctx, gs, first.ID, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	done := get(first.ID.String())
	if done.Status != "done" || done.AssessmentID == nil {
		t.Fatalf("after the job: %+v", done)
	}
	var v assessmentdb.Version
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) (err error) {
		v, err = assessmentdb.Get(ctx, tx, *done.AssessmentID)
		return
	})
	if until, locked, err := h.store.LockedUntil(ctx, v.SnapshotKey, v.SnapshotVersionID); err != nil || !locked || until.Before(time.Now()) {
		t.Fatalf("the snapshot object is not locked: %v %v %v", until, locked, err)
	}
	var audited int
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM audit_log WHERE action = 'assessment.compute' AND entity_id = ? AND after->>'snapshot_sha256' = encode(?::bytea, 'hex')", v.ID.String(), v.SnapshotSHA256).Scan(ctx, &audited)
	})
	if audited != 1 {
		t.Fatalf("the snapshot's hash is not in the audit chain (%d)", audited)
	}
	// Run again: nothing more.
	if err := cmp.RunCompute(ctx, gs, first.ID, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	var versions int
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM assessments WHERE period = 'half' AND period_start = '2025-07-01'").Scan(ctx, &versions)
	})
	if versions != 1 {
		t.Fatalf("a retry after success wrote again: %d versions", versions)
	}
	// Overtaken: asked while version 1 was open, approved before the job ran.
	late := post(h2)
	if r := leader.do("POST", "/api/v1/assessments/"+done.AssessmentID.String()+"/approve", nil); r.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if err := cmp.RunCompute(ctx, gs, late.ID, time.Now(), false); err != nil {
		t.Fatalf("a refusal is final, not retried: %v", err)
	}
	failed := get(late.ID.String())
	if failed.Status != "failed" || !strings.Contains(failed.ErrorZH, "更正须写明理由") || failed.AssessmentID != nil {
		t.Fatalf("overtaken: %+v", failed)
	}
	var staged int
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM staged_uploads WHERE prefix LIKE ?", "%run-"+late.ID.String()+"/").Scan(ctx, &staged)
	})
	left := 0
	for o := range h.store.Client().ListObjects(ctx, h.store.Bucket(), minio.ListObjectsOptions{Prefix: "assessments/" + gs.String() + "/", Recursive: true}) {
		if strings.Contains(o.Key, "run-"+late.ID.String()) {
			left++
		}
	}
	if staged != 0 || left != 0 {
		t.Fatalf("the failed request left %d stages and %d objects", staged, left)
	}
}

// TestAssessmentRunMeetsAdjustment: an adjustment that commits while the
// worker computes the period is never overwritten: the worker finds the
// record changed, leaves the request queued for the retry, and the retry's
// snapshot carries the adjustment.
func TestAssessmentRunMeetsAdjustment(t *testing.T) {
	office := login(t, "gs.office")
	gs := countyBySlug(t, "guangshan")
	ctx := context.Background()
	cmp := assessmentdb.Computer{DB: h.env.App, Stager: uploads.Stager{DB: h.env.App, Store: h.store, Log: slog.New(slog.DiscardHandler)}, RetainYears: h.cfg.RetainYears}
	v, _ := compute(t, office, map[string]any{"period": "half", "at": "2025-H1"})
	var run assessmentapi.AssessmentRun
	office.do("POST", "/api/v1/assessments", map[string]any{"period": "half", "at": "2025-H1"}).decode(t, &run)

	// The office's adjustment: written, not yet committed, when the worker runs.
	tx, err := h.env.App.Bun.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT set_config('app.county_id', ?, true)", gs.String()); err != nil {
		t.Fatal(err)
	}
	var by uuid.UUID
	if err := tx.NewRaw("SELECT id FROM accounts WHERE username = 'gs.office'").Scan(ctx, &by); err != nil {
		t.Fatal(err)
	}
	if _, err := assessmentdb.Adjust(ctx, tx, assessmentdb.Files{Store: &uploads.Deferred{Tx: tx, Store: h.store}, RetainYears: 1}, v.ID,
		assessment.Adjustment{UnitID: v.Result.Units[0].UnitID, Component: "investment", Points: "-5", Reason: "现场核实投资不实"}, by, "gs.office", time.Now()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmp.RunCompute(ctx, gs, run.ID, time.Now(), false) }()
	time.Sleep(time.Second) // the worker has gathered and waits for the period
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("the worker wrote over a record that changed while it gathered")
	}
	var again assessmentapi.AssessmentRun
	office.do("GET", "/api/v1/assessment-runs/"+run.ID.String(), nil).decode(t, &again)
	if again.Status != "queued" {
		t.Fatalf("the request after the clash: %+v", again)
	}
	if err := cmp.RunCompute(ctx, gs, run.ID, time.Now(), false); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	var after assessmentapi.AssessmentVersion
	office.do("GET", "/api/v1/assessments/"+v.ID.String(), nil).decode(t, &after)
	if len(after.Adjustments) != 1 || after.Adjustments[0].Reason != "现场核实投资不实" {
		t.Fatalf("the adjustment after the retry: %+v", after.Adjustments)
	}
}
