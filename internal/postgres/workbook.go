package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/audit"
	"github.com/tuijin/tuijin/internal/db"
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

// createAll creates the workbook's new projects set-wise and records them
// all in one audit entry; it returns their ids by code.
//
// The rows are streamed with COPY into two temporary tables (the projects
// with their list entries, and their task-force seats), from which one
// statement each writes the projects, the entries and the seats, and one
// the audit entry, whose JSON the database assembles from the JSON of
// each project and seat. Nothing is built whole in memory: thousands of
// projects as multi-row INSERTs and an audit entry of megabytes, each
// formatted into a query string and copied again on its way to the
// server, cost several times their size, which made most of what an
// import allocated. (COPY cannot write to the tables themselves: they have
// row-level security.)
func createAll(ctx context.Context, tx bun.IDB, year int, on time.Time, rows []workbook.Row, existing map[string]project.Project) (map[string]uuid.UUID, error) {
	ids := map[string]uuid.UUID{}
	var fresh []int // the rows to create
	for i, row := range rows {
		if _, ok := existing[row.Project.Code]; ok {
			continue
		}
		p := row.Project
		if err := p.Validate(); err != nil {
			return nil, err
		}
		ids[p.Code] = uuid.New()
		fresh = append(fresh, i)
	}
	if len(fresh) == 0 {
		return ids, nil
	}
	list, err := GetKeyList(ctx, tx, year)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `
		CREATE TEMP TABLE import_projects ON COMMIT DROP AS
		  SELECT 0 AS ord, p.id, p.code, p.name, p.category_id, p.level, p.construction_type, p.status, p.responsible_unit_id,
		         p.township_unit_id, p.latitude, p.longitude, p.content, p.total_investment_yuan, p.invested_to_date_yuan,
		         p.planned_start, p.planned_completion, p.tags, p.version,
		         e.id AS entry_id, e.planned_investment_yuan, e.baseline_image_percent, NULL::jsonb AS view
		    FROM projects p, key_list_entries e WITH NO DATA;
		CREATE TEMP TABLE import_seats ON COMMIT DROP AS
		  SELECT 0 AS ord, a.id, a.project_id, a.role, a.person_id, a.valid_from, a.note, NULL::jsonb AS seat
		    FROM task_force_assignments a WITH NO DATA`); err != nil {
		return nil, err
	}
	// The JSON of each project and seat is what the audit entry held when
	// it was marshalled whole: encoding/json's of the same values.
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	jsonOf := func(v any) ([]byte, error) {
		js.Reset()
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(js.Bytes(), []byte("\n")), nil
	}
	var l copyLine
	n := 0
	projects := &copyRows{row: func(b []byte) ([]byte, bool, error) {
		if n == len(fresh) {
			return b, false, nil
		}
		row := rows[fresh[n]]
		p := row.Project
		_ = p.Validate() // as checked above: trims and defaults the status
		p.ID, p.Version = ids[p.Code], 1
		r := toProjectRow(p)
		view, err := jsonOf(&p)
		if err != nil {
			return b, false, err
		}
		l.b = b
		l.int(int64(n))
		l.uuid(r.ID)
		l.text(r.Code)
		l.text(r.Name)
		l.uuid(r.CategoryID)
		l.text(r.Level)
		l.text(r.ConstructionType)
		l.text(r.Status)
		l.uuid(r.ResponsibleUnitID)
		l.uuidPtr(r.TownshipUnitID)
		l.float(r.Latitude)
		l.float(r.Longitude)
		l.text(r.Content)
		l.int(r.TotalInvestmentYuan)
		l.int(r.InvestedToDateYuan)
		l.datePtr(r.PlannedStart)
		l.datePtr(r.PlannedCompletion)
		l.textArray(r.Tags)
		l.int(int64(r.Version))
		l.uuid(uuid.New())
		l.int(row.PlannedYuan)
		l.intPtr(row.Baseline)
		l.bytes(view)
		l.end()
		n++
		return l.b, true, nil
	}}
	if _, err := db.CopyFrom(ctx, tx, `COPY import_projects FROM STDIN`, projects); err != nil {
		return nil, err
	}
	// The seats in the order they were written before: by row, then role.
	seatRow, role, ord := 0, 0, 0
	seats := &copyRows{row: func(b []byte) ([]byte, bool, error) {
		for ; seatRow < len(fresh); seatRow, role = seatRow+1, 0 {
			row := rows[fresh[seatRow]]
			for ; role < len(project.Roles); role++ {
				who, ok := row.Holders[project.Roles[role]]
				if !ok {
					continue
				}
				a := assignmentRow{ID: uuid.New(), ProjectID: ids[row.Project.Code], Role: string(project.Roles[role]), PersonID: who, ValidFrom: on, Note: "Excel导入"}
				seat, err := jsonOf(&a)
				if err != nil {
					return b, false, err
				}
				l.b = b
				l.int(int64(ord))
				l.uuid(a.ID)
				l.uuid(a.ProjectID)
				l.text(a.Role)
				l.uuid(a.PersonID)
				l.date(a.ValidFrom)
				l.text(a.Note)
				l.bytes(seat)
				l.end()
				ord++
				role++
				return l.b, true, nil
			}
		}
		return b, false, nil
	}}
	if _, err := db.CopyFrom(ctx, tx, `COPY import_seats FROM STDIN`, seats); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO projects (id, code, name, category_id, level, construction_type, status, responsible_unit_id, township_unit_id,
		                      latitude, longitude, content, total_investment_yuan, invested_to_date_yuan, planned_start,
		                      planned_completion, tags, version)
		SELECT id, code, name, category_id, level, construction_type, status, responsible_unit_id, township_unit_id,
		       latitude, longitude, content, total_investment_yuan, invested_to_date_yuan, planned_start,
		       planned_completion, tags, version
		  FROM import_projects ORDER BY ord;
		INSERT INTO key_list_entries (id, key_list_id, project_id, planned_investment_yuan, added_on, added_reason, removed_on,
		                              removed_reason, baseline_image_percent)
		SELECT entry_id, ?, id, planned_investment_yuan, ?, 'Excel导入', NULL, '', baseline_image_percent
		  FROM import_projects ORDER BY ord;
		INSERT INTO task_force_assignments (id, project_id, role, person_id, valid_from, valid_to, note)
		SELECT id, project_id, role, person_id, valid_from, NULL, note FROM import_seats ORDER BY ord`,
		list.ID, on.UTC().Format(time.DateOnly)); err != nil { // the day, as bun writes a time for a date column
		return nil, MapErr(err)
	}
	a := audit.ActorFrom(ctx)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO audit_log (actor_id, actor_name, request_id, action, entity_type, entity_id, before, after, prev_hash, hash)
		SELECT ?, ?, ?, 'key_list.import', 'key_list', ?, NULL, jsonb_build_object(
		         'year', ?::int, 'on', ?::text,
		         'created', (SELECT jsonb_agg(view ORDER BY ord) FROM import_projects),
		         'planned_investment_yuan', (SELECT jsonb_object_agg(id::text, planned_investment_yuan) FROM import_projects),
		         'task_force', (SELECT jsonb_agg(seat ORDER BY ord) FROM import_seats)),
		       '\x', '\x';
		DROP TABLE import_projects, import_seats`,
		a.AccountID, a.Name, a.RequestID, fmt.Sprint(year), year, on.Format(time.DateOnly)); err != nil {
		return nil, err
	}
	return ids, nil
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
