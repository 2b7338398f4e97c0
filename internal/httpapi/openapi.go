package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/authz"
)

// rawJSON is JSON passed through as it is.
type RawJSON = json.RawMessage

// openAPI generates the OpenAPI 3.0 document from the route table: paths,
// parameters, request bodies and responses come from the Go types, so the
// document cannot drift from the code.
func (s *Server) openAPI() ([]byte, error) {
	g := &schemaGen{components: map[string]any{}}
	errRef := g.schema(reflect.TypeOf(ErrorBody{}))
	paths := map[string]map[string]any{}
	paramRE := regexp.MustCompile(`:([A-Za-z]+)`)
	for _, r := range s.routes {
		path := paramRE.ReplaceAllString(r.Path, "{$1}")
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": operationID(r),
			"tags":        []string{r.Tag},
		}
		var params []any
		for _, m := range paramRE.FindAllStringSubmatch(r.Path, -1) {
			sch := map[string]any{"type": "string", "format": "uuid"}
			switch m[1] {
			case "year":
				sch = map[string]any{"type": "integer", "minimum": 2000, "maximum": 2100}
			case "week":
				sch = map[string]any{"type": "string", "format": "date"}
			case "month":
				sch = map[string]any{"type": "integer", "minimum": 1, "maximum": 12}
			case "variant":
				sch = map[string]any{"type": "string", "enum": []string{"display", "thumb", "original"}}
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": sch})
		}
		for _, q := range r.Query {
			sch := map[string]any{"type": q.Type}
			switch q.Type {
			case "uuid":
				sch = map[string]any{"type": "string", "format": "uuid"}
			case "date":
				sch = map[string]any{"type": "string", "format": "date"}
			}
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": false, "description": q.Description, "schema": sch})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.Upload != "" {
			content := map[string]any{}
			for _, ct := range strings.Split(r.Upload, ",") {
				content[ct] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		if r.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(r.Body))}}}
		}
		status := r.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if r.Download != "" {
			content := map[string]any{}
			for _, ct := range strings.Split(r.Download, ",") {
				content[ct] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			ok["content"] = content
		} else if status != http.StatusNoContent && r.Resp != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(r.Resp))}}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(status): ok,
			"default":            map[string]any{"description": "错误 error", "content": map[string]any{"application/json": map[string]any{"schema": errRef}}},
		}
		op["x-roles"] = roleNames(r.Roles)
		if !isAnonymous(r.Roles) {
			op["security"] = []any{map[string]any{"cookie": []string{}}, map[string]any{"bearer": []string{}}}
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "tuijin API", "version": "1",
			"description": "重点项目建设协调推进平台 API. Errors carry a stable code and messages in Chinese and English."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
	}
	return json.MarshalIndent(doc, "", " ")
}

func isAnonymous(roles []authz.Role) bool {
	for _, r := range roles {
		if r == authz.Anonymous {
			return true
		}
	}
	return false
}

func roleNames(roles []authz.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

func operationID(r *Route) string {
	parts := strings.FieldsFunc(r.Path[len("/api/v1/"):], func(c rune) bool { return c == '/' || c == '-' || c == '.' })
	var b strings.Builder
	b.WriteString(strings.ToLower(r.Method))
	for _, p := range parts {
		if strings.HasPrefix(p, ":") {
			p = "by" + strings.ToUpper(p[1:2]) + p[2:]
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

type schemaGen struct{ components map[string]any }

var (
	timeType = reflect.TypeOf(time.Time{})
	uuidType = reflect.TypeOf(uuid.UUID{})
	rawType  = reflect.TypeOf(json.RawMessage{})
	anyType  = reflect.TypeOf((*any)(nil)).Elem()
)

func componentName(t reflect.Type) string {
	name := t.Name()
	if i := strings.Index(name, "["); i >= 0 { // List[pkg.Unit] → UnitList
		inner := name[i+1 : len(name)-1]
		inner = inner[strings.LastIndex(inner, ".")+1:]
		name = inner + name[:i]
	}
	return name
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == uuidType:
		return map[string]any{"type": "string", "format": "uuid"}
	case t == rawType || t == anyType:
		return map[string]any{"nullable": true}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if ref, ok := s["$ref"]; ok {
			return map[string]any{"allOf": []any{map[string]any{"$ref": ref}}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := componentName(t)
		if _, done := g.components[name]; !done {
			g.components[name] = map[string]any{} // placeholder against recursion
			props := map[string]any{}
			var required []string
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				tag := f.Tag.Get("json")
				if tag == "-" || !f.IsExported() {
					continue
				}
				if f.Anonymous {
					panic(fmt.Sprintf("openapi: %s embeds %s; JSON flattens it but the document would not: name the field", t, f.Type))
				}
				parts := strings.Split(tag, ",")
				jname := parts[0]
				if jname == "" {
					jname = f.Name
				}
				ps := g.schema(f.Type)
				if enum := f.Tag.Get("enum"); enum != "" {
					ps["enum"] = strings.Split(enum, ",")
				}
				if format := f.Tag.Get("format"); format != "" {
					ps["format"] = format
				}
				props[jname] = ps
				omit := len(parts) > 1 && parts[1] == "omitempty"
				if !omit {
					required = append(required, jname)
				}
			}
			sch := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if len(required) > 0 {
				sch["required"] = required
			}
			g.components[name] = sch
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	panic(fmt.Sprintf("openapi: unsupported type %s", t))
}
