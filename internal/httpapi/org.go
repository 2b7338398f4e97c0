package httpapi

import (
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/org"
	"github.com/tuijin/tuijin/internal/postgres"
)

var ErrVersionRequired = func() error {
	var v errs.Validation
	v.Add("version", "required", "修改时须提供版本号", "version is required to replace a record")
	return v.Err()
}()

func (s *Server) listUnits(r *Req) (any, error) {
	p, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	us, next, err := postgres.ListUnits(r.Ctx, r.Tx, postgres.UnitFilter{Group: r.C.QueryParam("group"), Query: r.C.QueryParam("q")}, p)
	if err != nil {
		return nil, err
	}
	out := make([]Unit, len(us))
	for i, u := range us {
		out[i] = toUnitAPI(u)
	}
	return NewList(out, next), nil
}

func (s *Server) getUnit(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	u, err := postgres.GetUnit(r.Ctx, r.Tx, id)
	return toUnitAPI(u), err
}

func (s *Server) createUnit(r *Req) (any, error) {
	var in UnitInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	u, err := postgres.CreateUnit(r.Ctx, r.Tx, in.toDomain(org.Unit{}.ID))
	return toUnitAPI(u), err
}

func (s *Server) updateUnit(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in UnitInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, ErrVersionRequired
	}
	u, err := postgres.UpdateUnit(r.Ctx, r.Tx, in.toDomain(id))
	return toUnitAPI(u), err
}

func (s *Server) deleteUnit(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	return nil, postgres.DeleteUnit(r.Ctx, r.Tx, id)
}

func (s *Server) listPeople(r *Req) (any, error) {
	p, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	unit, err := QueryUUID(r.C, "unit_id")
	if err != nil {
		return nil, err
	}
	ps, next, err := postgres.ListPeople(r.Ctx, r.Tx, postgres.PersonFilter{UnitID: unit, Rank: r.C.QueryParam("rank"), Query: r.C.QueryParam("q")}, p)
	if err != nil {
		return nil, err
	}
	out := make([]Person, len(ps))
	for i, x := range ps {
		out[i] = toPersonAPI(x)
	}
	return NewList(out, next), nil
}

func (s *Server) getPerson(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	p, err := postgres.GetPerson(r.Ctx, r.Tx, id)
	return toPersonAPI(p), err
}

func (s *Server) createPerson(r *Req) (any, error) {
	var in PersonInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	p, err := postgres.CreatePerson(r.Ctx, r.Tx, in.toDomain(org.Person{}.ID))
	return toPersonAPI(p), err
}

func (s *Server) updatePerson(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in PersonInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, ErrVersionRequired
	}
	p, err := postgres.UpdatePerson(r.Ctx, r.Tx, in.toDomain(id))
	return toPersonAPI(p), err
}

func (s *Server) deletePerson(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	return nil, postgres.DeletePerson(r.Ctx, r.Tx, id)
}

func (s *Server) listGroups(r *Req) (any, error) {
	gs, err := postgres.ListGroups(r.Ctx, r.Tx, r.C.QueryParam("kind"))
	if err != nil {
		return nil, err
	}
	return APIList(gs, toGroupAPI), nil
}

func (s *Server) getGroup(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	g, err := postgres.GetGroup(r.Ctx, r.Tx, id)
	return toGroupAPI(g), err
}

func (s *Server) createGroup(r *Req) (any, error) {
	var in GroupInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	g, err := postgres.CreateGroup(r.Ctx, r.Tx, org.Group{Kind: org.GroupKind(in.Kind), Number: in.Number, Name: in.Name, LeadUnitID: in.LeadUnitID, Duty: in.Duty})
	return toGroupAPI(g), err
}

func (s *Server) updateGroup(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	var in GroupInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	if in.Version == 0 {
		return nil, ErrVersionRequired
	}
	g, err := postgres.UpdateGroup(r.Ctx, r.Tx, org.Group{ID: id, Name: in.Name, LeadUnitID: in.LeadUnitID, Duty: in.Duty, Version: in.Version})
	return toGroupAPI(g), err
}

func (s *Server) deleteGroup(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	return nil, postgres.DeleteGroup(r.Ctx, r.Tx, id)
}

func (s *Server) putMember(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	pid, err := PathID(r.C, "personId")
	if err != nil {
		return nil, err
	}
	var in MemberInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	g, err := postgres.AddMember(r.Ctx, r.Tx, id, pid, org.Position(in.Position))
	return toGroupAPI(g), err
}

func (s *Server) deleteMember(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	pid, err := PathID(r.C, "personId")
	if err != nil {
		return nil, err
	}
	g, err := postgres.RemoveMember(r.Ctx, r.Tx, id, pid)
	return toGroupAPI(g), err
}
