package httpapi

import (
	"time"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/settings"
)

func parseDate(field, s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		var v errs.Validation
		v.Add(field, "invalid_date", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD")
		return time.Time{}, v.Err()
	}
	return d, nil
}

func (s *Server) getSettings(r *Req) (any, error) {
	on := settings.Today(s.Now())
	if q := r.C.QueryParam("on"); q != "" {
		d, err := parseDate("on", q)
		if err != nil {
			return nil, err
		}
		on = d
	}
	v, err := postgres.SettingsOn(r.Ctx, r.Tx, on)
	return toSettingsAPI(v), err
}

func (s *Server) listSettingsVersions(r *Req) (any, error) {
	vs, err := postgres.ListSettingsVersions(r.Ctx, r.Tx)
	if err != nil {
		return nil, err
	}
	return APIList(vs, toSettingsAPI), nil
}

func (s *Server) putSettings(r *Req) (any, error) {
	// Every value must be sent: a missing one decodes as zero and fails
	// validation rather than silently taking a default.
	var in SettingsInput
	if err := BindJSON(r.C, &in); err != nil {
		return nil, err
	}
	d, err := parseDate("effective_from", in.EffectiveFrom)
	if err != nil {
		return nil, err
	}
	v, err := postgres.PutSettingsVersion(r.Ctx, r.Tx, settings.Version{EffectiveFrom: d, Reason: in.Reason, Values: in.Values}, s.Now())
	return toSettingsAPI(v), err
}
