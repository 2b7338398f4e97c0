package assessmentapi

import (
	"net/http"
	"strconv"

	"github.com/tuijin/tuijin/internal/assessment/assessmentdb"
	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/httpapi"
)

func (s *API) recordRoutes() []*httpapi.Route {
	const v1 = "/api/v1"
	roles := []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.UnitUser, authz.TaskForce}
	year := []httpapi.Param{{Name: "year", Description: "年份（默认今年）", Type: "integer"}}
	return []*httpapi.Route{
		{Method: http.MethodGet, Path: v1 + "/people/:id/record", Summary: "A person's record for performance reviews (M3.2): seats, site presence, escalations, the outcomes of the unit they head (desk roles, or the person)", Tag: "assessment", Roles: roles, County: true, Query: year, Resp: assessmentdb.Record{}, Handler: s.record},
		{Method: http.MethodGet, Path: v1 + "/people/:id/record/xlsx", Summary: "The record as a workbook for 述职评议", Tag: "assessment", Roles: roles, County: true, Query: year, Download: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Handler: s.recordXLSX},
	}
}

func (s *API) loadRecord(r *httpapi.Req) (assessmentdb.Record, error) {
	id, err := httpapi.PathID(r.C, "id")
	if err != nil {
		return assessmentdb.Record{}, err
	}
	sc, err := s.Scope(r)
	if err != nil {
		return assessmentdb.Record{}, err
	}
	if sc != nil && (r.Session.PersonID == nil || *r.Session.PersonID != id) {
		return assessmentdb.Record{}, errs.E(errs.NotFound, "person_not_found", "未找到该人员", "no such person")
	}
	year, err := intParam(r, "year", s.Today().Year(), 2000, 2100)
	if err != nil {
		return assessmentdb.Record{}, err
	}
	return assessmentdb.PersonRecord(r.Ctx, r.Tx, id, year)
}

func (s *API) record(r *httpapi.Req) (any, error) { return s.loadRecord(r) }

func (s *API) recordXLSX(r *httpapi.Req) (any, error) {
	rec, err := s.loadRecord(r)
	if err != nil {
		return nil, err
	}
	data, err := assessmentdb.RecordXLSX(rec)
	return httpapi.File{Name: rec.Name + "-" + itoa(rec.Year) + "年度重点项目履职记录.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: data}, err
}

func itoa(n int) string { return strconv.Itoa(n) }
