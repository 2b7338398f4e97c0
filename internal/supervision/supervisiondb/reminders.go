package supervisiondb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
	"github.com/tuijin/tuijin/internal/reporting/reportingdb"
	"github.com/tuijin/tuijin/internal/settings"
)

// RemindReports tells each project's helper, the day before the deadline,
// that the week's report is not yet submitted.
func RemindReports(ctx context.Context, tx bun.IDB, week time.Time) (map[string]int, error) {
	var due []struct {
		ProjectID   uuid.UUID `bun:"project_id"`
		ProjectName string    `bun:"project_name"`
		PersonID    uuid.UUID `bun:"person_id"`
	}
	end := week.AddDate(0, 0, 6)
	// The listed projects whose report is not submitted, or was returned
	// and waits to be submitted again.
	err := tx.NewRaw(`SELECT l.project_id, p.name AS project_name, a.person_id
		FROM `+reportingdb.ListedSQL+` l JOIN projects p ON p.id = l.project_id
		JOIN task_force_assignments a ON a.project_id = l.project_id AND a.role = 'helper'
		  AND a.valid_from <= ?1::date AND (a.valid_to IS NULL OR a.valid_to > ?1::date)
		LEFT JOIN weekly_reports r ON r.project_id = l.project_id AND r.week_start = ?0::date
		WHERE r.id IS NULL OR r.status IN ('draft','returned')`, week, end).Scan(ctx, &due)
	if err != nil {
		return nil, err
	}
	people := make([]uuid.UUID, len(due))
	for i, d := range due {
		people[i] = d.PersonID
	}
	accounts, err := postgres.AccountsOfPeople(ctx, tx, people)
	if err != nil {
		return nil, err
	}
	rules, err := postgres.SettingsOn(ctx, tx, week)
	if err != nil {
		return nil, err
	}
	deadline := reporting.Deadline(week, rules.Values).In(settings.Shanghai).Format("1月2日 15:04")
	var msgs []postgres.Message
	for _, d := range due {
		for _, a := range accounts[d.PersonID] {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: postgres.MsgReportDue, Title: "周报明日截止：" + d.ProjectName,
				Body: fmt.Sprintf("项目“%s”本周周报将于%s截止，请及时填报并提交。", d.ProjectName, deadline),
				Link: "/", IdemKey: "due:" + d.ProjectID.String() + ":" + week.Format(time.DateOnly)})
		}
	}
	n, err := postgres.Notify(ctx, tx, msgs)
	return map[string]int{"projects": len(due), "messages": n}, err
}

// DeadlineMessages tells the office and the assigned unit's accounts about
// problems and procedure items due on the day after today, and those overdue
// (once each).
func DeadlineMessages(ctx context.Context, tx bun.IDB, today time.Time) (map[string]int, error) {
	var items []struct {
		Kind        string    `bun:"kind"`
		ID          uuid.UUID `bun:"id"`
		ProjectID   uuid.UUID `bun:"project_id"`
		ProjectName string    `bun:"project_name"`
		What        string    `bun:"what"`
		Due         time.Time `bun:"due,type:date"`
		UnitID      uuid.UUID `bun:"unit_id"`
	}
	err := tx.NewRaw(`SELECT 'problem' AS kind, pb.id, pb.project_id, p.name AS project_name, left(pb.description, 60) AS what,
		  pb.deadline AS due, coalesce(pb.assigned_unit_id, p.responsible_unit_id) AS unit_id
		FROM problems pb JOIN projects p ON p.id = pb.project_id
		WHERE pb.status IN ('open','in_progress') AND pb.deadline <= ?0::date + 1
		UNION ALL
		SELECT 'procedure', pr.id, pr.project_id, p.name, t.name, pr.planned_date, pr.service_unit_id
		FROM project_procedures pr JOIN projects p ON p.id = pr.project_id JOIN procedure_types t ON t.id = pr.type_id
		WHERE pr.status IN ('pending','in_progress') AND pr.planned_date <= ?0::date + 1`, today).Scan(ctx, &items)
	if err != nil {
		return nil, err
	}
	office, err := postgres.OfficeAccounts(ctx, tx)
	if err != nil {
		return nil, err
	}
	var unitAccounts []struct {
		UnitID    uuid.UUID `bun:"unit_id"`
		AccountID uuid.UUID `bun:"account_id"`
	}
	if err := tx.NewRaw(`SELECT pe.unit_id, a.id AS account_id FROM accounts a JOIN people pe ON pe.id = a.person_id
		JOIN casbin_rules r ON r.ptype = 'g' AND r.v0 = a.id::text AND r.v1 = 'unit_user'
		WHERE NOT a.disabled AND pe.unit_id IS NOT NULL`).Scan(ctx, &unitAccounts); err != nil {
		return nil, err
	}
	byUnit := map[uuid.UUID][]uuid.UUID{}
	for _, u := range unitAccounts {
		byUnit[u.UnitID] = append(byUnit[u.UnitID], u.AccountID)
	}
	var msgs []postgres.Message
	near, overdue := 0, 0
	for _, it := range items {
		kind, title, key := postgres.MsgDeadlineNear, "明日到期：", "near:"
		if it.Due.Before(today) {
			kind, title, key = postgres.MsgDeadlineOverdue, "已逾期：", "overdue:"
			overdue++
		} else {
			near++
		}
		what := map[string]string{"problem": "问题", "procedure": "审批事项"}[it.Kind]
		body := fmt.Sprintf("项目“%s”的%s“%s”办理期限为%s。", it.ProjectName, what, it.What, it.Due.Format("2006年1月2日"))
		for _, a := range append(append([]uuid.UUID{}, office...), byUnit[it.UnitID]...) {
			msgs = append(msgs, postgres.Message{AccountID: a, Kind: kind, Title: title + it.ProjectName + " " + what, Body: body,
				Link: "/projects/" + it.ProjectID.String(), IdemKey: key + it.Kind + ":" + it.ID.String() + ":" + it.Due.Format(time.DateOnly)})
		}
	}
	n, err := postgres.Notify(ctx, tx, msgs)
	return map[string]int{"near": near, "overdue": overdue, "messages": n}, err
}
