package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/tuijin/tuijin/internal/errs"
)

// bindBody runs bindJSON on one request body, as a handler would see it
// (the body limited as the server limits it).
func bindBody(t *testing.T, contentType string, body []byte, v any) error {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/projects", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	req.Body = http.MaxBytesReader(rec, req.Body, 4096)
	return BindJSON(echo.New().NewContext(req, rec), v)
}

// FuzzBindJSON: whatever the body, the binder either fills the request
// struct — and then the struct written back as JSON binds to the same
// value — or refuses with a client error (never an internal one) whose
// field errors each name their field.
func FuzzBindJSON(f *testing.F) {
	for _, s := range []string{
		`{"code":"GS-001","name":"紫水街道","category_id":"0b8e4e52-7f0c-4a5e-9a55-3c1d0d6b2f10","level":"county","construction_type":"new","responsible_unit_id":"0b8e4e52-7f0c-4a5e-9a55-3c1d0d6b2f11","latitude":32.1,"longitude":114.9,"total_investment_yuan":123456700,"planned_start":"2026-03-01","tags":["百城提质"],"version":3}`,
		`{}`, ``, `null`, `[]`, `"x"`, `{"name":1}`, `{"nmae":"x"}`, `{"name":"a"}{"name":"b"}`, `{"name":"a"} x`,
		`{"total_investment_yuan":1e400}`, `{"total_investment_yuan":9223372036854775808}`, `{"latitude":"32"}`,
		`{"category_id":"not-a-uuid"}`, `{"tags":[1,2]}`, `{"tags":[]}`, `{"\u0000":1}`, `{"a\"b":1}`, `{"name":"\ud800"}`,
	} {
		f.Add("application/json", []byte(s))
	}
	f.Add("application/json; charset=utf-8", []byte(`{"name":"x"}`))
	f.Add("text/plain", []byte(`{"name":"x"}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		var in ProjectInput
		err := bindBody(t, contentType, body, &in)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || (e.Kind != errs.Invalid && e.Kind != errs.TooLarge) {
				t.Fatalf("body %q: not a client error: %v", body, err)
			}
			for _, fe := range e.Fields {
				// An unknown field may be named "" ({"":1}); others need a name.
				if fe.Code == "" || (fe.Field == "" && fe.Code != "unknown_field") {
					t.Fatalf("body %q: field error without its field: %+v", body, fe)
				}
			}
			return
		}
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("bound %+v cannot be written back: %v", in, err)
		}
		var back ProjectInput
		if err := bindBody(t, "application/json", again, &back); err != nil {
			t.Fatalf("written back as %s, refused: %v", again, err)
		}
		// "tags":[] and no tags mean the same: no tags (omitempty writes none).
		if len(in.Tags) == 0 {
			in.Tags = nil
		}
		if !reflect.DeepEqual(in, back) {
			t.Fatalf("bound %+v, written back and bound again %+v", in, back)
		}
	})
}
