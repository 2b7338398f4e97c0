package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v5"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/reporting"
)

var (
	errMediaType = errs.E(errs.Invalid, "unsupported_media_type", "请求内容须为 JSON（Content-Type: application/json）", "the body must be JSON (Content-Type: application/json)")
	errEmptyBody = errs.E(errs.Invalid, "empty_body", "请求内容为空", "the request body is empty")
	errBadJSON   = errs.E(errs.Invalid, "malformed_json", "JSON 格式错误", "the body is not well-formed JSON")
	errNotObject = errs.E(errs.Invalid, "not_an_object", "请求内容须为 JSON 对象", "the body must be a JSON object")
)

// bindJSON decodes the body into v strictly: JSON only, no unknown fields,
// right types, one value. It binds the body and nothing else (never path
// or query), so a body field cannot overwrite a path parameter.
func BindJSON(c *echo.Context, v any) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if mt != "application/json" {
		return errMediaType
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return DecodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return DecodeError(err)
		}
		return errBadJSON
	}
	if hasNUL(reflect.ValueOf(v)) {
		return errNULCharacter
	}
	return nil
}

// hasNUL reports whether a decoded body holds a string with a NUL character
// (PostgreSQL stores none).
func hasNUL(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return strings.ContainsRune(v.String(), 0)
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasNUL(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && hasNUL(v.Field(i)) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if hasNUL(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if hasNUL(it.Key()) || hasNUL(it.Value()) {
				return true
			}
		}
	}
	return false
}

func DecodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return errBadJSON.Wrap(err)
	case errors.As(err, &typ) && typ.Field == "": // an array, a string … where an object belongs
		return errNotObject.Wrap(err)
	case errors.As(err, &typ):
		var v errs.Validation
		v.Add(typ.Field, "wrong_type", "字段类型错误，应为"+typ.Type.String(), "wrong type, expected "+typ.Type.String())
		return v.Err()
	}
	if msg := err.Error(); len(msg) > 20 && msg[:20] == "json: unknown field " {
		var v errs.Validation
		field, _ := strconv.Unquote(msg[20:])
		v.Add(field, "unknown_field", "不允许的字段", "unknown field")
		return v.Err()
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return e
	}
	return errBadJSON.Wrap(err)
}

// pathID parses the :id path parameter (any malformed id is simply not found).
func PathID(c *echo.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, errs.ErrNotFound
	}
	return id, nil
}

// replacedID serves a PUT that creates a record on one route and replaces it
// on another: uuid.Nil when the path has no such parameter (create),
// otherwise the path's id, and then the client must send the version it read.
func replacedID(c *echo.Context, name string, version int) (uuid.UUID, error) {
	if c.Param(name) == "" {
		return uuid.Nil, nil
	}
	id, err := PathID(c, name)
	if err != nil {
		return uuid.Nil, err
	}
	if version == 0 {
		return uuid.Nil, ErrVersionRequired
	}
	return id, nil
}

// PageQuery reads ?limit=&after= (a page of a keyset-paginated list).
func PageQuery(c *echo.Context) (postgres.Page, error) {
	p := postgres.Page{After: c.QueryParam("after")}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return p, errs.E(errs.Invalid, "invalid_limit", "每页条数须为整数", "limit must be an integer")
		}
		p.Limit = n
	}
	return p.Normalize()
}

// queryUUID reads an optional UUID query parameter.
func QueryUUID(c *echo.Context, name string) (*uuid.UUID, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		var v errs.Validation
		v.Add(name, "invalid_uuid", "编号格式错误", "not a valid id")
		return nil, v.Err()
	}
	return &id, nil
}

// weeksQuery reads ?weeks= (a count of weeks from 1 to max), def when absent.
func WeeksQuery(c *echo.Context, def, max int) (int, error) {
	q := c.QueryParam("weeks")
	if q == "" {
		return def, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > max {
		var v errs.Validation
		v.Add("weeks", "out_of_range", fmt.Sprintf("周数须在1到%d之间", max), fmt.Sprintf("weeks must be 1 to %d", max))
		return 0, v.Err()
	}
	return n, nil
}

// pathYear parses the :year path parameter.
func PathYear(c *echo.Context) (int, error) {
	y, err := strconv.Atoi(c.Param("year"))
	if err != nil || y < 2000 || y > 2100 {
		return 0, errs.ErrNotFound
	}
	return y, nil
}

// dates collects date fields ("YYYY-MM-DD") of a request into one validation.
type Dates struct{ v errs.Validation }

func (d *Dates) Opt(field string, s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		d.v.Add(field, "invalid_date", "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD")
		return nil
	}
	return &t
}

func (d *Dates) Req(field, s string) time.Time {
	if s == "" {
		d.v.Add(field, "required", "请填写日期", "date is required")
		return time.Time{}
	}
	if t := d.Opt(field, &s); t != nil {
		return *t
	}
	return time.Time{}
}

func (d *Dates) Err() error { return d.v.Err() }

func DateString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// apiList converts a list from the store to its API type item by item; the
// result is never nil, so an empty list is [] in JSON.
func APIList[T, U any](in []T, convert func(T) U) []U {
	out := make([]U, len(in))
	for i, x := range in {
		out[i] = convert(x)
	}
	return out
}

// weekQuery reads ?week= (a Monday), default this week.
func (s *Server) WeekQuery(r *Req) (time.Time, error) {
	if q := r.C.QueryParam("week"); q != "" {
		return reporting.ParseWeek(q)
	}
	return reporting.WeekStart(s.Now()), nil
}
