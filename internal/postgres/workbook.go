package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/workbook"
)

// LoadCatalogue reads the names a workbook may use.
func LoadCatalogue(ctx context.Context, tx bun.IDB) (workbook.Catalogue, error) {
	cat := workbook.Catalogue{Units: map[string]uuid.UUID{}, Categories: map[string]uuid.UUID{}, People: map[string][]workbook.Person{},
		ProcedureTypes: map[string]uuid.UUID{}}
	var units []unitRow
	if err := tx.NewSelect().Model(&units).Scan(ctx); err != nil {
		return cat, err
	}
	for _, u := range units {
		cat.Units[u.Name] = u.ID
	}
	var heads []struct {
		UnitID   uuid.UUID `bun:"id"`
		HeadID   uuid.UUID `bun:"head_person_id"`
		HeadName string    `bun:"name"`
	}
	if err := tx.NewRaw(`SELECT u.id, u.head_person_id, p.name FROM units u JOIN people p ON p.id = u.head_person_id`).Scan(ctx, &heads); err != nil {
		return cat, err
	}
	cat.Heads = map[uuid.UUID]project.HolderUnit{}
	for _, h := range heads {
		id := h.HeadID
		cat.Heads[h.UnitID] = project.HolderUnit{ID: h.UnitID, HeadID: &id, HeadName: h.HeadName}
	}
	var people []personRow
	if err := tx.NewSelect().Model(&people).Where("active").Scan(ctx); err != nil {
		return cat, err
	}
	for _, p := range people {
		cat.People[p.Name] = append(cat.People[p.Name], workbook.Person{ID: p.ID, Rank: p.Rank, UnitID: p.UnitID})
	}
	cats, err := ListCategories(ctx, tx)
	if err != nil {
		return cat, err
	}
	for _, c := range cats {
		cat.Categories[c.Name] = c.ID
	}
	types, err := ListProcedureTypes(ctx, tx)
	if err != nil {
		return cat, err
	}
	for _, t := range types {
		cat.ProcedureTypes[t.Name] = t.ID
	}
	return cat, nil
}

// ImportRow says what an import did (or, in a dry run, would do) to one project.
type ImportRow struct {
	Line    int      `json:"line"`
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Action  string   `json:"action" enum:"create,update,unchanged"`
	Changes []string `json:"changes"`
}

// ImportReport sums up an import.
type ImportReport struct {
	Year       int         `json:"year"`
	Created    int         `json:"created"`
	Updated    int         `json:"updated"`
	Unchanged  int         `json:"unchanged"`
	Procedures int         `json:"procedures"`
	Rows       []ImportRow `json:"rows"`
}

func eqDate(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}

func eqFloat(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func eqUUID(a, b *uuid.UUID) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// diff names the workbook fields in which in differs from cur.
func diff(cur, in project.Project) []string {
	var ch []string
	add := func(differs bool, name string) {
		if differs {
			ch = append(ch, name)
		}
	}
	add(cur.Name != in.Name, "项目名称")
	add(cur.CategoryID != in.CategoryID, "项目类别")
	add(cur.Level != in.Level, "项目级别")
	add(cur.ConstructionType != in.ConstructionType, "建设性质")
	add(cur.Content != in.Content, "建设内容及规模")
	add(cur.TotalInvestmentYuan != in.TotalInvestmentYuan, "总投资")
	add(cur.ResponsibleUnitID != in.ResponsibleUnitID, "责任单位")
	add(!eqUUID(cur.TownshipUnitID, in.TownshipUnitID), "所在乡镇")
	add(!eqDate(cur.PlannedStart, in.PlannedStart), "计划开工")
	add(!eqDate(cur.PlannedCompletion, in.PlannedCompletion), "计划竣工")
	add(!eqFloat(cur.Latitude, in.Latitude) || !eqFloat(cur.Longitude, in.Longitude), "经纬度")
	add(!slices.Equal(cur.Tags, in.Tags), "标签")
	return ch
}

// ImportKeyList applies a parsed workbook to a year's key list in tx:
// projects are matched by code (created or updated), listed with their
// planned investment, their task forces changed from on, and the ledger
// items upserted. The caller rolls tx back for a dry run.
func ImportKeyList(ctx context.Context, tx bun.IDB, year int, on time.Time, wb workbook.Result, progress func(done, total int)) (ImportReport, error) {
	rep := ImportReport{Year: year, Rows: []ImportRow{}}
	if _, err := GetKeyList(ctx, tx, year); err != nil {
		if _, err := CreateKeyList(ctx, tx, year, ""); err != nil {
			return rep, err
		}
	}
	var existing []ProjectRow
	if err := tx.NewSelect().Model(&existing).Scan(ctx); err != nil {
		return rep, err
	}
	byCode := map[string]project.Project{}
	for _, r := range existing {
		byCode[r.Code] = toProject(r)
	}
	entries, err := ListEntries(ctx, tx, year)
	if err != nil {
		return rep, err
	}
	listed := map[uuid.UUID]ListEntry{}
	for _, e := range entries {
		listed[e.ProjectID] = e
	}
	ids := map[string]uuid.UUID{}
	created, err := createAll(ctx, tx, year, on, wb.Rows, byCode)
	if err != nil {
		return rep, err
	}
	processed := len(created)
	if progress != nil {
		progress(processed, len(wb.Rows))
	}
	for i, row := range wb.Rows {
		in := row.Project
		out := ImportRow{Line: row.Line, Code: in.Code, Name: in.Name, Changes: []string{}}
		cur, ok := byCode[in.Code]
		switch {
		case !ok:
			ids[in.Code] = created[in.Code]
			out.Action = "create"
			rep.Created++
			rep.Rows = append(rep.Rows, out)
			continue
		default:
			if ch := diff(cur, in); len(ch) > 0 {
				in.ID, in.Version, in.Status, in.InvestedToDateYuan = cur.ID, cur.Version, cur.Status, cur.InvestedToDateYuan
				updated, err := UpdateProject(ctx, tx, in, on)
				if err != nil {
					return rep, err
				}
				cur, out.Changes = updated, ch
			}
		}
		ids[in.Code] = cur.ID
		if e, ok := listed[cur.ID]; !ok || e.RemovedOn != nil || e.PlannedInvestmentYuan != row.PlannedYuan ||
			(row.Baseline != nil && (e.BaselineImagePercent == nil || *e.BaselineImagePercent != *row.Baseline)) {
			if _, err := PutEntry(ctx, tx, year, cur.ID, row.PlannedYuan, row.Baseline, on, "Excel导入"); err != nil {
				return rep, err
			}
			if out.Action != "create" {
				out.Changes = append(out.Changes, "年度计划投资")
			}
		}
		holders, err := TaskForceOn(ctx, tx, cur.ID, on)
		if err != nil {
			return rep, err
		}
		now := map[project.Role]uuid.UUID{}
		for _, h := range holders {
			now[h.Role] = h.PersonID
		}
		for _, role := range project.Roles {
			want, ok := row.Holders[role]
			if !ok || now[role] == want {
				continue
			}
			if _, err := Assign(ctx, tx, cur, role, want, on, "Excel导入"); err != nil {
				return rep, err
			}
			if out.Action != "create" {
				out.Changes = append(out.Changes, project.RoleNames[role])
			}
		}
		switch {
		case len(out.Changes) > 0:
			out.Action = "update"
			rep.Updated++
		default:
			out.Action = "unchanged"
			rep.Unchanged++
		}
		rep.Rows = append(rep.Rows, out)
		if processed++; progress != nil && (processed%50 == 0 || i == len(wb.Rows)-1) {
			progress(processed, len(wb.Rows))
		}
	}
	for _, l := range wb.Ledger {
		pid := ids[l.ProjectCode]
		procs, err := ProjectProcedures(ctx, tx, pid)
		if err != nil {
			return rep, err
		}
		item := Procedure{ProjectID: pid, TypeID: l.TypeID, ServiceUnitID: l.UnitID, Roadmap: l.Roadmap, PlannedDate: l.Planned,
			ActualDate: l.Actual, Status: l.Status, AcceptWithDeficiencies: l.Flags[0], MergedAssessment: l.Flags[1],
			RegionalAssessment: l.Flags[2], JointAcceptance: l.Flags[3], AgencyService: l.Flags[4]}
		var cur *Procedure
		for i := range procs {
			if procs[i].TypeID == l.TypeID {
				cur = &procs[i]
			}
		}
		if cur != nil {
			same := cur.ServiceUnitID == item.ServiceUnitID && cur.Roadmap == item.Roadmap && eqDate(cur.PlannedDate, item.PlannedDate) &&
				eqDate(cur.ActualDate, item.ActualDate) && cur.Status == item.Status && cur.AcceptWithDeficiencies == item.AcceptWithDeficiencies &&
				cur.MergedAssessment == item.MergedAssessment && cur.RegionalAssessment == item.RegionalAssessment &&
				cur.JointAcceptance == item.JointAcceptance && cur.AgencyService == item.AgencyService
			if same {
				continue
			}
			item.ID, item.Version = cur.ID, cur.Version
		}
		if _, err := PutProcedure(ctx, tx, item); err != nil {
			return rep, err
		}
		rep.Procedures++
	}
	return rep, nil
}

// createAll creates the workbook's new projects set-wise — one statement
// each for the projects, their list entries and their task-force seats —
// and records them all in one audit entry. It returns their ids by code.
func createAll(ctx context.Context, tx bun.IDB, year int, on time.Time, rows []workbook.Row, existing map[string]project.Project) (map[string]uuid.UUID, error) {
	ids := map[string]uuid.UUID{}
	var projects []ProjectRow
	var seats []assignmentRow
	var views []project.Project
	planned := map[uuid.UUID]int64{}
	baseline := map[uuid.UUID]*int{}
	for _, row := range rows {
		if _, ok := existing[row.Project.Code]; ok {
			continue
		}
		p := row.Project
		if err := p.Validate(); err != nil {
			return nil, err
		}
		p.ID, p.Version = uuid.New(), 1
		ids[p.Code] = p.ID
		projects = append(projects, toProjectRow(p))
		views = append(views, p)
		planned[p.ID], baseline[p.ID] = row.PlannedYuan, row.Baseline
		for _, role := range project.Roles {
			if who, ok := row.Holders[role]; ok {
				seats = append(seats, assignmentRow{ID: uuid.New(), ProjectID: p.ID, Role: string(role), PersonID: who, ValidFrom: on, Note: "Excel导入"})
			}
		}
	}
	if len(projects) == 0 {
		return ids, nil
	}
	list, err := GetKeyList(ctx, tx, year)
	if err != nil {
		return nil, err
	}
	entries := make([]ListEntry, 0, len(projects))
	for _, p := range projects {
		entries = append(entries, ListEntry{ID: uuid.New(), KeyListID: list.ID, ProjectID: p.ID, PlannedInvestmentYuan: planned[p.ID],
			BaselineImagePercent: baseline[p.ID], AddedOn: on, AddedReason: "Excel导入"})
	}
	if _, err := tx.NewInsert().Model(&projects).Exec(ctx); err != nil {
		return nil, MapErr(err)
	}
	if _, err := tx.NewInsert().Model(&entries).Exec(ctx); err != nil {
		return nil, MapErr(err)
	}
	if len(seats) > 0 {
		if _, err := tx.NewInsert().Model(&seats).Exec(ctx); err != nil {
			return nil, MapErr(err)
		}
	}
	return ids, Audit(ctx, tx, audit.Entry{Action: "key_list.import", EntityType: "key_list", EntityID: fmt.Sprint(year),
		After: map[string]any{"year": year, "on": on.Format(time.DateOnly), "created": views, "planned_investment_yuan": planned, "task_force": seats}})
}

// ExportKeyList gathers a year's listed projects (holders as on day) and their ledger.
func ExportKeyList(ctx context.Context, tx bun.IDB, year int, day time.Time) ([]workbook.ExportRow, []workbook.ExportLedger, error) {
	entries, err := ListEntries(ctx, tx, year)
	if err != nil {
		return nil, nil, err
	}
	unitName := map[uuid.UUID]string{}
	var units []unitRow
	if err := tx.NewSelect().Model(&units).Scan(ctx); err != nil {
		return nil, nil, err
	}
	for _, u := range units {
		unitName[u.ID] = u.Name
	}
	catName := map[uuid.UUID]string{}
	cats, err := ListCategories(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cats {
		catName[c.ID] = c.Name
	}
	var rows []workbook.ExportRow
	var ledger []workbook.ExportLedger
	for _, e := range entries {
		if e.RemovedOn != nil {
			continue
		}
		p, err := GetProject(ctx, tx, e.ProjectID, nil, day)
		if err != nil {
			return nil, nil, err
		}
		holders, err := TaskForceOn(ctx, tx, p.ID, day)
		if err != nil {
			return nil, nil, err
		}
		names := map[project.Role]string{}
		for _, h := range holders {
			names[h.Role] = h.PersonName
		}
		r := workbook.ExportRow{Project: p, CategoryName: catName[p.CategoryID], UnitName: unitName[p.ResponsibleUnitID], PlannedYuan: e.PlannedInvestmentYuan,
			Baseline: e.BaselineImagePercent, Holders: names}
		if p.TownshipUnitID != nil {
			r.TownshipName = unitName[*p.TownshipUnitID]
		}
		rows = append(rows, r)
		procs, err := ProjectProcedures(ctx, tx, p.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, pr := range procs {
			ledger = append(ledger, workbook.ExportLedger{ProjectCode: p.Code, ProjectName: p.Name, TypeName: pr.TypeName,
				UnitName: unitName[pr.ServiceUnitID], Roadmap: pr.Roadmap, Planned: pr.PlannedDate, Actual: pr.ActualDate, Status: pr.Status,
				Flags: [5]bool{pr.AcceptWithDeficiencies, pr.MergedAssessment, pr.RegionalAssessment, pr.JointAcceptance, pr.AgencyService}})
		}
	}
	return rows, ledger, nil
}
