package assessmentdb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/assessment"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/supervision"
)

// Record is a person's record for performance reviews (述职评议, M3.2): the
// seats held, site presence per seat, escalations naming them, and the
// approved assessments' outcomes for the unit they head.
type Record struct {
	Name        string           `json:"name"`
	Post        string           `json:"post"`
	Unit        string           `json:"unit"`
	Year        int              `json:"year"`
	Seats       []RecordSeat     `json:"seats"`
	Presence    []RecordPresence `json:"presence"`
	Escalations []RecordEsc      `json:"escalations"`
	Outcomes    []RecordOutcome  `json:"outcomes"`
}

// RecordSeat is a task-force seat held.
type RecordSeat struct {
	Project string  `bun:"project" json:"project"`
	Role    string  `bun:"role" json:"role"`
	From    string  `bun:"valid_from" json:"from"`
	To      *string `bun:"valid_to" json:"to"`
}

// RecordPresence is the weeks of the year a seat's presence was measured, and met.
type RecordPresence struct {
	Role  string `bun:"role" json:"role"`
	Weeks int    `bun:"weeks" json:"weeks"`
	Met   int    `bun:"met" json:"met"`
}

// RecordEsc is an escalation naming the person.
type RecordEsc struct {
	Project string `bun:"project" json:"project"`
	Level   int    `bun:"level" json:"level"`
	Week    string `bun:"raised_week" json:"week"`
	Weeks   int    `bun:"weeks" json:"weeks"`
	Status  string `bun:"status" json:"status"`
}

// RecordOutcome is an approved assessment's outcome for the unit the person heads.
type RecordOutcome struct {
	Assessment string `json:"assessment"`
	Kind       string `json:"kind"`
	Reason     string `json:"reason"`
}

// PersonRecord gathers a person's record for a year.
func PersonRecord(ctx context.Context, tx bun.IDB, person uuid.UUID, year int) (Record, error) {
	r := Record{Year: year, Seats: []RecordSeat{}, Presence: []RecordPresence{}, Escalations: []RecordEsc{}, Outcomes: []RecordOutcome{}}
	var p []struct {
		Name   string     `bun:"name"`
		Post   string     `bun:"post"`
		Unit   string     `bun:"unit"`
		UnitID *uuid.UUID `bun:"unit_id"`
		Heads  bool       `bun:"heads"`
	}
	if err := tx.NewRaw(`SELECT pe.name, pe.post, coalesce(u.name, '') AS unit, pe.unit_id, EXISTS (SELECT 1 FROM units h WHERE h.head_person_id = pe.id) AS heads
		FROM people pe LEFT JOIN units u ON u.id = pe.unit_id WHERE pe.id = ?`, person).Scan(ctx, &p); err != nil {
		return r, err
	}
	if len(p) == 0 {
		return r, errs.E(errs.NotFound, "person_not_found", "未找到该人员", "no such person")
	}
	r.Name, r.Post, r.Unit = p[0].Name, p[0].Post, p[0].Unit
	from, to := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	if err := tx.NewRaw(`SELECT pr.name AS project, a.role, a.valid_from::text, a.valid_to::text FROM task_force_assignments a JOIN projects pr ON pr.id = a.project_id
		WHERE a.person_id = ? AND a.valid_from <= ? AND (a.valid_to IS NULL OR a.valid_to > ?) ORDER BY a.valid_from, pr.name`, person, to, from).Scan(ctx, &r.Seats); err != nil {
		return r, err
	}
	if err := tx.NewRaw(`SELECT c.key AS role, count(*) AS weeks, count(*) FILTER (WHERE (c.value->>'done')::int >= (c.value->>'required')::int) AS met
		FROM week_status w, jsonb_each(w.compliance) c
		WHERE c.value->>'person_id' = ?::text AND w.week_start BETWEEN ? AND ? GROUP BY c.key ORDER BY c.key`, person.String(), from, to).Scan(ctx, &r.Presence); err != nil {
		return r, err
	}
	if err := tx.NewRaw(`SELECT pr.name AS project, x.level, x.raised_week::text, x.weeks, x.status FROM escalations x JOIN projects pr ON pr.id = x.project_id
		WHERE x.person_id = ? AND x.raised_week BETWEEN ? AND ? ORDER BY x.raised_week`, person, from, to).Scan(ctx, &r.Escalations); err != nil {
		return r, err
	}
	if p[0].Heads && p[0].UnitID != nil {
		var vs []Version
		if err := tx.NewSelect().Model(&vs).Where("asm.status = 'approved' AND extract(year FROM asm.period_end) = ?", year).OrderExpr("asm.period_end, asm.version").Scan(ctx); err != nil {
			return r, err
		}
		for _, v := range vs {
			var res assessment.Result
			if err := json.Unmarshal([]byte(v.Result), &res); err != nil {
				return r, err
			}
			for _, o := range res.Outcomes {
				if o.UnitID == p[0].UnitID.String() {
					r.Outcomes = append(r.Outcomes, RecordOutcome{Assessment: fmt.Sprintf("%s（第%d版）", res.Label, v.Version), Kind: o.Kind, Reason: o.Reason})
				}
			}
		}
	}
	return r, nil
}

var roleNames = map[string]string{"chief": "项目长（县级领导）", "assistant": "项目助理", "responsible": "责任单位主要负责人", "helper": "驻地帮办"}

// RecordXLSX is the record as a workbook for a performance review.
func RecordXLSX(r Record) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	const sh = "履职记录"
	if err := x.SetSheetName("Sheet1", sh); err != nil {
		return nil, err
	}
	row := 1
	put := func(vals ...any) {
		_ = x.SetSheetRow(sh, "A"+strconv.Itoa(row), &vals)
		row++
	}
	put(fmt.Sprintf("%s %s年度重点项目履职记录", r.Name, strconv.Itoa(r.Year)))
	put("单位", r.Unit, "职务", r.Post)
	put()
	put("一、分包（包联）项目")
	put("项目", "岗位", "起", "止")
	for _, s := range r.Seats {
		to := "至今"
		if s.To != nil {
			to = *s.To
		}
		put(s.Project, roleNames[s.Role], s.From, to)
	}
	put()
	put("二、到场履职（按周）")
	put("岗位", "考核周数", "达标周数")
	for _, p := range r.Presence {
		put(roleNames[p.Role], p.Weeks, p.Met)
	}
	put()
	put("三、电视问政")
	put("项目", "层级", "提出周", "连续周数", "状态")
	for _, e := range r.Escalations {
		put(e.Project, supervision.LevelName(e.Level), e.Week, e.Weeks, e.Status)
	}
	put()
	put("四、考核奖惩（所领导单位）")
	put("考核", "类别", "事由")
	for _, o := range r.Outcomes {
		put(o.Assessment, o.Kind, o.Reason)
	}
	_ = x.SetColWidth(sh, "A", "A", 36)
	_ = x.SetColWidth(sh, "B", "E", 18)
	var b bytes.Buffer
	err := x.Write(&b)
	return b.Bytes(), err
}
