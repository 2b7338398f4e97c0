package meetingdb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
)

// Attendance is one person expected at a sitting and how they attended.
type Attendance struct {
	bun.BaseModel  `bun:"table:meeting_attendance,alias:ma"`
	CountyID       uuid.UUID  `bun:"county_id,type:uuid,nullzero,default:app_county()"`
	SittingID      uuid.UUID  `bun:"sitting_id,pk,type:uuid"`
	PersonID       uuid.UUID  `bun:"person_id,pk,type:uuid"`
	Role           string     `bun:"role"`
	Status         string     `bun:"status"`
	Reason         string     `bun:"reason"`
	DeputyPersonID *uuid.UUID `bun:"deputy_person_id,type:uuid"`
	SignedAt       *time.Time `bun:"signed_at"`
	PersonName     string     `bun:"person_name,scanonly"`
	PersonPost     string     `bun:"person_post,scanonly"`
	DeputyName     string     `bun:"deputy_name,scanonly"`
}

// participants expects the sitting's chair and its series' standing
// participants (settings.ParticipantGroups): the office's staff, the
// leading group, the subcontracting county leaders of the projects listed
// in the period reviewed, the heads of those projects' units, or of the
// agenda's units. It returns the people expected.
func participants(ctx context.Context, tx bun.IDB, st Sitting, s settings.Settings, items []Item) ([]uuid.UUID, error) {
	_, series := meeting.Series(meeting.Kind(st.Kind), s)
	var units []uuid.UUID
	for _, it := range items {
		if it.UnitID != nil {
			units = append(units, *it.UnitID)
		}
	}
	groups := map[string]bool{}
	for _, g := range series.Participants {
		groups[g] = true
	}
	var people []uuid.UUID
	err := tx.NewRaw(`SELECT DISTINCT person_id FROM (
		  SELECT a.person_id FROM accounts a JOIN casbin_rules r ON r.ptype = 'g' AND r.v0 = a.id::text AND r.v1 = 'office'
		    AND r.v2 LIKE '%/' || app_county()::text
		  WHERE ?0 AND a.county_id = app_county() AND NOT a.disabled AND a.person_id IS NOT NULL
		  UNION
		  SELECT m.person_id FROM org_group_members m JOIN org_groups g ON g.id = m.group_id WHERE ?1 AND g.kind = 'leading_group'
		  UNION
		  SELECT a.person_id FROM task_force_assignments a JOIN listed_projects(?5::date, ?6::date) l ON l.project_id = a.project_id
		  WHERE ?2 AND a.role = 'chief' AND a.valid_from <= ?6::date AND (a.valid_to IS NULL OR a.valid_to > ?6::date)
		  UNION
		  SELECT u.head_person_id FROM listed_projects(?5::date, ?6::date) l JOIN projects p ON p.id = l.project_id
		    JOIN units u ON u.id = p.responsible_unit_id WHERE ?3 AND u.head_person_id IS NOT NULL
		  UNION
		  SELECT u.head_person_id FROM units u WHERE ?4 AND u.id = ANY(?7::uuid[]) AND u.head_person_id IS NOT NULL
		  UNION
		  SELECT u.head_person_id FROM review_items ri JOIN units u ON u.id = ri.service_unit_id
		  WHERE ?8 AND ri.sitting_id = ?9 AND u.head_person_id IS NOT NULL
		) x JOIN people pe ON pe.id = x.person_id WHERE pe.active`,
		groups["office"], groups["leading_group"], groups["chiefs"], groups["unit_heads"], groups["item_units"],
		st.ReviewFrom, st.ReviewTo, pgdialect.Array(units), groups["service_units"], st.ID).Scan(ctx, &people)
	if err != nil {
		return nil, err
	}
	rows := make([]Attendance, 0, len(people)+1)
	if st.ChairPersonID != nil {
		rows = append(rows, Attendance{SittingID: st.ID, PersonID: *st.ChairPersonID, Role: "chair", Status: "expected"})
	}
	for _, p := range people {
		if st.ChairPersonID == nil || p != *st.ChairPersonID {
			rows = append(rows, Attendance{SittingID: st.ID, PersonID: p, Role: "participant", Status: "expected"})
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return nil, postgres.MapErr(err)
	}
	out := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		out[i] = r.PersonID
	}
	return out, nil
}

// invite tells the people expected (their accounts) that the agenda is
// ready, once per sitting and account.
func invite(ctx context.Context, tx bun.IDB, st Sitting, people []uuid.UUID) (int, error) {
	accounts, err := postgres.AccountsOfPeople(ctx, tx, people)
	if err != nil {
		return 0, err
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return 0, err
	}
	when := st.StartsAt.In(settings.Shanghai).Format("1月2日 15:04")
	title := fmt.Sprintf("会议通知：%s（%s）", meeting.Kind(st.Kind).Name(), when)
	body := fmt.Sprintf("%s于%s在%s召开，议程已拟定，请按时参会。", st.Label(), when, st.Place)
	link := "/meetings/" + st.ID.String()
	seen := map[uuid.UUID]bool{}
	var msgs []postgres.Message
	add := func(a uuid.UUID) {
		if !seen[a] {
			seen[a] = true
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgMeeting, Title: title, Body: body, Link: link, IdemKey: "meeting_prepared:" + st.ID.String()})
		}
	}
	for _, p := range people {
		for _, a := range accounts[p] {
			add(a)
		}
	}
	for _, a := range office {
		add(a)
	}
	return postgres.Notify(ctx, tx, msgs)
}

// ListAttendance is a sitting's attendance, the chair first.
func ListAttendance(ctx context.Context, tx bun.IDB, sitting uuid.UUID) ([]Attendance, error) {
	out := []Attendance{}
	err := tx.NewSelect().Model(&out).ColumnExpr("ma.*, pe.name AS person_name, pe.post AS person_post, coalesce(dp.name, '') AS deputy_name").
		Join("JOIN people pe ON pe.id = ma.person_id").Join("LEFT JOIN people dp ON dp.id = ma.deputy_person_id").
		Where("ma.sitting_id = ?", sitting).OrderExpr("ma.role = 'chair' DESC, pe.name").Scan(ctx)
	return out, err
}
