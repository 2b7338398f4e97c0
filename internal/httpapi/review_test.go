package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi/reviewapi"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
)

// TestJointReview: a unit nominates a procedure of its own project (not of
// another's), the office lists, holds and decides; a decision without a
// deadline gets the county's default; a unit sees what it serves or
// nominated; the figures count the sitting; Luoshan sees none of it.
func TestJointReview(t *testing.T) {
	office, unit, taskforce := login(t, "gs.office"), login(t, "gs.unit"), login(t, "gs.taskforce")
	var sitting meetingdb.Sitting
	var own, other uuid.UUID
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		if _, err := meetingdb.EnsureSittings(ctx, tx, day(t, "2026-03-09"), day(t, "2026-03-13")); err != nil {
			return err
		}
		list, err := meetingdb.ListSittings(ctx, tx, day(t, "2026-03-09"), day(t, "2026-03-13"))
		for _, s := range list {
			if s.Kind == "joint_review" {
				sitting = s
			}
		}
		if err != nil {
			return err
		}
		// 紫水街道's project and another unit's, each with a pending procedure.
		if err := tx.NewRaw(`INSERT INTO project_procedures (project_id, type_id, service_unit_id)
			SELECT p.id, t.id, t.default_service_unit_id FROM projects p, procedure_types t WHERE p.code = 'GS2026-003' AND t.code = 'P03'
			RETURNING id`).Scan(ctx, &own); err != nil {
			return err
		}
		return tx.NewRaw(`INSERT INTO project_procedures (project_id, type_id, service_unit_id)
			SELECT p.id, t.id, t.default_service_unit_id FROM projects p JOIN units u ON u.id = p.responsible_unit_id, procedure_types t
			WHERE u.name <> '紫水街道' AND t.code = 'P06' ORDER BY p.code LIMIT 1 RETURNING id`).Scan(ctx, &other)
	})
	if sitting.ID == uuid.Nil || sitting.Day.Format("2006-01-02") != "2026-03-11" {
		t.Fatalf("no joint review on Wednesday 11 March: %+v", sitting)
	}
	base := "/api/v1/joint-reviews/" + sitting.ID.String() + "/items"
	var mine, theirs reviewapi.ReviewItem
	r := unit.do("POST", base, map[string]any{"procedure_id": own})
	r.decode(t, &mine)
	if r.Status != http.StatusCreated || mine.Source != "project" || mine.Outcome != "pending" || mine.Project != "紫水街道老旧小区改造项目" {
		t.Fatalf("the unit nominates its project's item: %d %s", r.Status, r.Body)
	}
	if r := unit.do("POST", base, map[string]any{"procedure_id": other}); r.Status != http.StatusNotFound {
		t.Fatalf("the unit nominates another unit's item: %d %s", r.Status, r.Body)
	}
	if r := taskforce.do("POST", base, map[string]any{"procedure_id": other}); r.Status != http.StatusForbidden {
		t.Fatalf("a task force member nominates: %d %s", r.Status, r.Body)
	}
	r = office.do("POST", base, map[string]any{"procedure_id": other})
	r.decode(t, &theirs)
	if r.Status != http.StatusCreated || theirs.Source != "office" {
		t.Fatalf("the office nominates: %d %s", r.Status, r.Body)
	}
	if r := office.do("POST", base, map[string]any{"procedure_id": other}); r.Status != http.StatusConflict {
		t.Fatalf("nominated twice: %d %s", r.Status, r.Body)
	}
	// The office moves the sitting a day on: the items' first day follows it.
	var st struct {
		Version int `json:"version"`
	}
	office.do("GET", "/api/v1/meetings/"+sitting.ID.String(), nil)
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT version FROM meeting_sittings WHERE id = ?", sitting.ID).Scan(ctx, &st.Version)
	})
	if r := office.do("PUT", "/api/v1/meetings/"+sitting.ID.String(), map[string]any{"day": "2026-03-12", "reason": "与县委常委会冲突", "version": st.Version}); r.Status != http.StatusOK {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	var list []reviewapi.ReviewItem
	unit.do("GET", base, nil).decode(t, &list)
	if len(list) != 1 || list[0].FirstOn != "2026-03-12" {
		t.Fatalf("after the move: %+v", list)
	}
	if len(list) != 1 || list[0].ID != mine.ID {
		t.Fatalf("the unit's view of the list: %+v", list)
	}
	office.do("GET", base, nil).decode(t, &list)
	if len(list) != 2 {
		t.Fatalf("the office's view of the list: %d items", len(list))
	}
	if r := office.do("POST", "/api/v1/meetings/"+sitting.ID.String()+"/hold", nil); r.Status != http.StatusOK {
		t.Fatalf("hold: %d %s", r.Status, r.Body)
	}
	if r := unit.do("PUT", "/api/v1/review-items/"+mine.ID.String(), map[string]any{"outcome": "done", "version": mine.Version}); r.Status != http.StatusForbidden {
		t.Fatalf("a unit records a decision: %d", r.Status)
	}
	if r := office.do("PUT", "/api/v1/review-items/"+mine.ID.String(), map[string]any{"outcome": "later", "version": mine.Version}); r.Status != http.StatusBadRequest {
		t.Fatalf("an unknown outcome: %d %s", r.Status, r.Body)
	}
	r = office.do("PUT", "/api/v1/review-items/"+mine.ID.String(), map[string]any{"outcome": "deadline", "accept_with_deficiencies": true, "agency_service": true, "version": mine.Version})
	r.decode(t, &mine)
	if r.Status != http.StatusOK || mine.Outcome != "deadline" || mine.Deadline == nil || *mine.Deadline != "2026-03-26" || !mine.AcceptWithDeficiencies || !mine.AgencyService {
		t.Fatalf("a deadline by default: %d %s", r.Status, r.Body)
	}
	if r := office.do("PUT", "/api/v1/review-items/"+theirs.ID.String(), map[string]any{"outcome": "done", "version": theirs.Version + 1}); r.Status != http.StatusConflict {
		t.Fatalf("a stale version: %d %s", r.Status, r.Body)
	}
	r = office.do("PUT", "/api/v1/review-items/"+theirs.ID.String(), map[string]any{"outcome": "done", "merged_assessment": true, "version": theirs.Version})
	r.decode(t, &theirs)
	if r.Status != http.StatusOK || theirs.DoneOn == nil || *theirs.DoneOn != "2026-03-12" {
		t.Fatalf("done on the spot: %d %s", r.Status, r.Body)
	}
	// The service unit's own view: the open item, 250-odd days over by now.
	var open []reviewapi.ReviewItem
	office.do("GET", "/api/v1/review-items?unit_id="+mine.ServiceUnitID.String(), nil).decode(t, &open)
	if len(open) != 1 || open[0].ID != mine.ID || open[0].DaysOver <= 0 {
		t.Fatalf("the service unit's open items: %+v", open)
	}
	var figs reviewapi.ReviewFigures
	r = office.do("GET", "/api/v1/joint-reviews/figures?from=2026-03-01&to=2026-03-31", nil)
	r.decode(t, &figs)
	if r.Status != http.StatusOK || figs.Figures.All.Items != 2 || figs.Figures.All.Done != 1 || figs.Figures.All.Rate != "50.0" || len(figs.Figures.Unfinished) != 1 {
		t.Fatalf("figures: %d %s", r.Status, r.Body)
	}
	if r := unit.do("GET", "/api/v1/joint-reviews/figures", nil); r.Status != http.StatusForbidden {
		t.Fatalf("a unit reads the county's figures: %d", r.Status)
	}
	ls := login(t, "ls.office")
	if r := ls.do("GET", base, nil); r.Status != http.StatusNotFound {
		t.Fatalf("Luoshan reads Guangshan's list: %d %s", r.Status, r.Body)
	}
	if r := ls.do("PUT", "/api/v1/review-items/"+mine.ID.String(), map[string]any{"outcome": "done", "version": mine.Version}); r.Status != http.StatusNotFound {
		t.Fatalf("Luoshan decides Guangshan's item: %d", r.Status)
	}
}
