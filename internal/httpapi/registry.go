package httpapi

import (
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/settings"
)

// wholeCounty are the roles that see every project of the county; the
// others (unit users, task-force members) see their own (P3).
var wholeCounty = map[authz.Role]bool{authz.PlatformAdmin: true, authz.Municipal: true, authz.LeadingGroup: true, authz.Office: true, authz.Inspector: true, authz.Statistics: true}

func (s *Server) Today() time.Time { return settings.Today(s.Now()) }

// scope is what the caller may see of the registry: nil for the whole county.
func (s *Server) Scope(r *Req) (*postgres.Scope, error) {
	roles := s.Authz.RolesIn(r.Session.AccountID, r.Session.Domain())
	unitUser := false
	for _, role := range roles {
		if wholeCounty[role] {
			return nil, nil
		}
		unitUser = unitUser || role == authz.UnitUser
	}
	sc := &postgres.Scope{PersonID: r.Session.PersonID}
	if unitUser && r.Session.PersonID != nil {
		p, err := postgres.GetPerson(r.Ctx, r.Tx, *r.Session.PersonID)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		sc.UnitID = p.UnitID
	}
	return sc, nil
}

// visibleProject loads the :id project if the caller may see it.
func (s *Server) VisibleProject(r *Req) (project.Project, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return project.Project{}, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return project.Project{}, err
	}
	return postgres.GetProject(r.Ctx, r.Tx, id, sc, s.Today())
}

func (s *Server) listCategories(r *Req) (any, error) {
	cs, err := postgres.ListCategories(r.Ctx, r.Tx)
	out := make([]Category, len(cs))
	for i, c := range cs {
		out[i] = Category{ID: c.ID, Code: c.Code, Name: c.Name, SortOrder: c.SortOrder}
	}
	return out, err
}

func (s *Server) createCategory(r *Req) (any, error) {
	var in CategoryInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	c, err := postgres.CreateCategory(r.Ctx, r.Tx, postgres.Category{Code: in.Code, Name: in.Name, SortOrder: in.SortOrder})
	return Category{ID: c.ID, Code: c.Code, Name: c.Name, SortOrder: c.SortOrder}, err
}

func (s *Server) listProcedureTypes(r *Req) (any, error) {
	ts, err := postgres.ListProcedureTypes(r.Ctx, r.Tx)
	out := make([]ProcedureType, len(ts))
	for i, t := range ts {
		out[i] = ProcedureType{ID: t.ID, Code: t.Code, Name: t.Name, DefaultServiceUnitID: t.DefaultServiceUnitID, SortOrder: t.SortOrder}
	}
	return out, err
}

func (s *Server) createProcedureType(r *Req) (any, error) {
	var in ProcedureTypeInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	t, err := postgres.CreateProcedureType(r.Ctx, r.Tx, postgres.ProcedureType{Code: in.Code, Name: in.Name, DefaultServiceUnitID: in.DefaultServiceUnitID, SortOrder: in.SortOrder})
	return ProcedureType{ID: t.ID, Code: t.Code, Name: t.Name, DefaultServiceUnitID: t.DefaultServiceUnitID, SortOrder: t.SortOrder}, err
}

func (s *Server) listProjects(r *Req) (any, error) {
	p, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	f := postgres.ProjectFilter{Level: r.C.QueryParam("level"), Type: r.C.QueryParam("type"), Status: r.C.QueryParam("status"),
		Tag: r.C.QueryParam("tag"), Query: r.C.QueryParam("q"), Today: s.Today()}
	for name, dst := range map[string]**uuid.UUID{"unit_id": &f.UnitID, "township_id": &f.TownshipID, "category_id": &f.CategoryID, "chief_id": &f.ChiefID} {
		if *dst, err = QueryUUID(r.C, name); err != nil {
			return nil, err
		}
	}
	if y := r.C.QueryParam("year"); y != "" {
		var v errs.Validation
		if _, e := time.Parse("2006", y); e != nil {
			v.Add("year", "invalid_year", "年度格式错误", "year must be four digits")
			return nil, v.Err()
		}
		f.Year, _ = atoi(y)
	}
	if f.Scope, err = s.Scope(r); err != nil {
		return nil, err
	}
	ps, next, err := postgres.ListProjects(r.Ctx, r.Tx, f, p)
	if err != nil {
		return nil, err
	}
	out := make([]Project, len(ps))
	for i, x := range ps {
		out[i] = toProjectAPI(x)
	}
	return NewList(out, next), nil
}

func (s *Server) getProject(r *Req) (any, error) {
	p, err := s.VisibleProject(r)
	return toProjectAPI(p), err
}

func (s *Server) createProject(r *Req) (any, error) {
	var in ProjectInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	p, err := in.toDomain(uuid.Nil)
	if err != nil {
		return nil, err
	}
	created, err := postgres.CreateProject(r.Ctx, r.Tx, p)
	return toProjectAPI(created), err
}

func (s *Server) updateProject(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in ProjectInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, ErrVersionRequired
	}
	p, err := in.toDomain(id)
	if err != nil {
		return nil, err
	}
	updated, err := postgres.UpdateProject(r.Ctx, r.Tx, p, s.Today())
	return toProjectAPI(updated), err
}

func (s *Server) deleteProject(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	return nil, postgres.DeleteProject(r.Ctx, r.Tx, id, s.Today())
}

func (s *Server) projectHistory(r *Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	pg, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	return auditPage(r, "project", p.ID.String(), pg)
}

func (s *Server) taskForce(r *Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	day := s.Today()
	if q := r.C.QueryParam("on"); q != "" {
		if day, err = parseDate("on", q); err != nil {
			return nil, err
		}
	}
	as, err := postgres.TaskForceOn(r.Ctx, r.Tx, p.ID, day)
	return APIList(as, toAssignmentAPI), err
}

func (s *Server) taskForceHistory(r *Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	as, err := postgres.TaskForceHistory(r.Ctx, r.Tx, p.ID)
	return APIList(as, toAssignmentAPI), err
}

func (s *Server) assign(r *Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	var in AssignmentInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d Dates
	from := d.Req("valid_from", in.ValidFrom)
	if err := d.Err(); err != nil {
		return nil, err
	}
	a, err := postgres.Assign(r.Ctx, r.Tx, p, project.Role(in.Role), in.PersonID, from, in.Note)
	return toAssignmentAPI(a), err
}

func (s *Server) listProcedures(r *Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	ps, err := postgres.ProjectProcedures(r.Ctx, r.Tx, p.ID)
	out := make([]Procedure, len(ps))
	for i, x := range ps {
		out[i] = toProcedureAPI(x, s.Today())
	}
	return out, err
}

func (s *Server) putProcedure(r *Req) (any, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return nil, err
	}
	var in ProcedureInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d Dates
	proc := postgres.Procedure{ProjectID: p.ID, TypeID: in.TypeID, ServiceUnitID: in.ServiceUnitID, Roadmap: in.Roadmap,
		PlannedDate: d.Opt("planned_date", in.PlannedDate), ActualDate: d.Opt("actual_date", in.ActualDate), Status: in.Status,
		AcceptWithDeficiencies: in.AcceptWithDeficiencies, MergedAssessment: in.MergedAssessment, RegionalAssessment: in.RegionalAssessment,
		JointAcceptance: in.JointAcceptance, AgencyService: in.AgencyService, Version: in.Version}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if proc.ID, err = replacedID(r.C, "procedureId", in.Version); err != nil {
		return nil, err
	}
	saved, err := postgres.PutProcedure(r.Ctx, r.Tx, proc)
	if err != nil {
		return nil, err
	}
	all, err := postgres.ProjectProcedures(r.Ctx, r.Tx, p.ID)
	for _, x := range all {
		if x.ID == saved.ID {
			return toProcedureAPI(x, s.Today()), err
		}
	}
	return nil, err
}

func (s *Server) overdueProcedures(r *Req) (any, error) {
	day := s.Today()
	var err error
	if q := r.C.QueryParam("on"); q != "" {
		if day, err = parseDate("on", q); err != nil {
			return nil, err
		}
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	ps, err := postgres.OverdueProcedures(r.Ctx, r.Tx, day, sc)
	out := make([]Procedure, len(ps))
	for i, x := range ps {
		out[i] = toProcedureAPI(x, day)
	}
	return out, err
}

func (s *Server) getPlan(r *Req) (any, error) {
	p, year, err := s.ProjectYear(r)
	if err != nil {
		return nil, err
	}
	plan, yp, err := PlanOf(r, p, year)
	return toPlanAPI(plan, yp), err
}

// projectYear reads the project (one the caller may see) and the year of
// the path.
func (s *Server) ProjectYear(r *Req) (project.Project, int, error) {
	p, err := s.VisibleProject(r)
	if err != nil {
		return project.Project{}, 0, err
	}
	year, err := PathYear(r.C)
	return p, year, err
}

// planOf reads a project's node plan and monthly targets of a year with the
// year's planned investment on the key list (nil when not listed).
func PlanOf(r *Req, p project.Project, year int) (project.Plan, *int64, error) {
	plan, err := postgres.GetPlan(r.Ctx, r.Tx, p.ID, year)
	if err != nil {
		return project.Plan{}, nil, err
	}
	yp, err := postgres.YearPlan(r.Ctx, r.Tx, p.ID, year)
	return plan, yp, err
}

func toPlanAPI(plan project.Plan, yearPlan *int64) Plan {
	out := Plan{Year: plan.Year, PlannedInvestmentYuan: yearPlan, Nodes: []NodeDates{}, Months: []MonthTarget{}}
	for _, n := range plan.Nodes {
		out.Nodes = append(out.Nodes, NodeDates{Node: string(n.Node), Planned: DateString(n.Planned), Actual: DateString(n.Actual)})
	}
	var cum int64
	for _, m := range plan.Months {
		cum += m.InvestmentYuan
		out.Months = append(out.Months, MonthTarget{Month: m.Month, ImageTarget: m.ImageTarget, InvestmentYuan: m.InvestmentYuan, CumulativeYuan: cum})
	}
	return out
}

func (s *Server) putPlan(r *Req) (any, error) {
	p, year, err := s.ProjectYear(r)
	if err != nil {
		return nil, err
	}
	var in Plan
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d Dates
	plan := project.Plan{Year: year}
	for _, n := range in.Nodes {
		plan.Nodes = append(plan.Nodes, project.NodeDates{Node: project.Node(n.Node), Planned: d.Opt("nodes", n.Planned), Actual: d.Opt("nodes", n.Actual)})
	}
	for _, m := range in.Months {
		plan.Months = append(plan.Months, project.MonthTarget{Month: m.Month, ImageTarget: m.ImageTarget, InvestmentYuan: m.InvestmentYuan})
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := postgres.PutPlan(r.Ctx, r.Tx, p.ID, plan); err != nil {
		return nil, err
	}
	saved, err := postgres.GetPlan(r.Ctx, r.Tx, p.ID, year)
	if err != nil {
		return nil, err
	}
	yp, err := postgres.YearPlan(r.Ctx, r.Tx, p.ID, year)
	return toPlanAPI(saved, yp), err
}

func (s *Server) listKeyLists(r *Req) (any, error) {
	ls, err := postgres.KeyLists(r.Ctx, r.Tx)
	out := make([]KeyList, len(ls))
	for i, l := range ls {
		out[i] = KeyList{Year: l.Year, Title: l.Title}
	}
	return out, err
}

func (s *Server) createKeyList(r *Req) (any, error) {
	var in KeyListInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	l, err := postgres.CreateKeyList(r.Ctx, r.Tx, in.Year, in.Title)
	return KeyList{Year: l.Year, Title: l.Title}, err
}

func (s *Server) keyListEntries(r *Req) (any, error) {
	year, err := PathYear(r.C)
	if err != nil {
		return nil, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return nil, err
	}
	es, err := postgres.ListEntries(r.Ctx, r.Tx, year)
	if err != nil {
		return nil, err
	}
	out := []ListEntry{}
	for _, e := range es {
		if sc != nil {
			if _, err := postgres.GetProject(r.Ctx, r.Tx, e.ProjectID, sc, s.Today()); err != nil {
				continue
			}
		}
		out = append(out, toEntryAPI(e))
	}
	return out, nil
}

func (s *Server) putEntry(r *Req) (any, error) {
	year, err := PathYear(r.C)
	if err != nil {
		return nil, err
	}
	pid, err := PathID(r.C, "projectId")
	if err != nil {
		return nil, err
	}
	if _, err := postgres.GetProject(r.Ctx, r.Tx, pid, nil, s.Today()); err != nil {
		return nil, err
	}
	var in EntryInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d Dates
	on := d.Req("on", in.On)
	if err := d.Err(); err != nil {
		return nil, err
	}
	if _, err := postgres.PutEntry(r.Ctx, r.Tx, year, pid, in.PlannedInvestmentYuan, in.BaselineImagePercent, on, in.Reason); err != nil {
		return nil, err
	}
	return s.entryOf(r, year, pid)
}

// entryOf is the project's latest period on the year's list.
func (s *Server) entryOf(r *Req, year int, pid uuid.UUID) (any, error) {
	es, err := postgres.ListEntries(r.Ctx, r.Tx, year)
	var latest *postgres.ListEntry
	for i := range es {
		if es[i].ProjectID == pid {
			latest = &es[i]
		}
	}
	if latest == nil {
		return nil, errs.ErrNotFound
	}
	return toEntryAPI(*latest), err
}

func (s *Server) removeEntry(r *Req) (any, error) {
	year, err := PathYear(r.C)
	if err != nil {
		return nil, err
	}
	pid, err := PathID(r.C, "projectId")
	if err != nil {
		return nil, err
	}
	var in RemovalInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d Dates
	on := d.Req("on", in.On)
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := postgres.RemoveEntry(r.Ctx, r.Tx, year, pid, on, in.Reason); err != nil {
		return nil, err
	}
	return s.entryOf(r, year, pid)
}

func (s *Server) carryOver(r *Req) (any, error) {
	year, err := PathYear(r.C)
	if err != nil {
		return nil, err
	}
	var in CarryOverInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	var d Dates
	on := d.Req("on", in.On)
	if err := d.Err(); err != nil {
		return nil, err
	}
	n, err := postgres.CarryOver(r.Ctx, r.Tx, year, on)
	return CarryOverResult{Projects: n}, err
}

func (s *Server) listCandidates(r *Req) (any, error) {
	cs, err := postgres.ListCandidates(r.Ctx, r.Tx)
	return APIList(cs, toCandidateAPI), err
}

func (s *Server) putCandidate(r *Req) (any, error) {
	var in CandidateInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	c := postgres.Candidate{Name: in.Name, Stage: in.Stage, OwnerUnitID: in.OwnerUnitID, OwnerPersonID: in.OwnerPersonID,
		EstimatedInvestmentYuan: in.EstimatedInvestmentYuan, Note: in.Note, Version: in.Version}
	id, err := replacedID(r.C, "id", in.Version)
	if err != nil {
		return nil, err
	}
	c.ID = id
	saved, err := postgres.PutCandidate(r.Ctx, r.Tx, c)
	return toCandidateAPI(saved), err
}

func (s *Server) promote(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in PromoteInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	p, err := in.Project.toDomain(uuid.Nil)
	var d Dates
	on := d.Req("on", in.On)
	if err != nil {
		return nil, err
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	created, err := postgres.Promote(r.Ctx, r.Tx, id, p, in.Year, in.PlannedInvestmentYuan, on)
	return toProjectAPI(created), err
}

func atoi(s string) (int, error) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errs.E(errs.Invalid, "invalid_number", "数字格式错误", "not a number")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// isOffice says whether the caller works for the key project office (or the platform).
func (s *Server) IsOffice(r *Req) bool {
	for _, role := range s.Authz.RolesIn(r.Session.AccountID, r.Session.Domain()) {
		if role == authz.Office || role == authz.PlatformAdmin {
			return true
		}
	}
	return false
}
