// Package errs is tuijin's closed set of error kinds. Every error that reaches
// a client carries one kind, a stable code and messages in Chinese and English.
// The HTTP layer maps kinds to status codes in one table.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind is a class of failure.
type Kind int

const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Forbidden
	Unauthenticated
	TooMany
	TooLarge
	Unavailable
)

// FieldError names one bad field of a request.
type FieldError struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	ZH    string `json:"message_zh"`
	EN    string `json:"message_en"`
}

// Error is an error with a kind, a stable code and bilingual messages.
type Error struct {
	Kind   Kind
	Code   string
	ZH     string
	EN     string
	Fields []FieldError
	// RetryAfter, when set, tells the client when to try again (TooMany, Unavailable).
	RetryAfter time.Duration
	// Ref is the id of what the client can follow up, e.g. the import
	// attempt whose annotated workbook shows every bad cell.
	Ref string
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.EN, e.Err)
	}
	return e.Code + ": " + e.EN
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind k.
func E(k Kind, code, zh, en string) *Error { return &Error{Kind: k, Code: code, ZH: zh, EN: en} }

// Wrap keeps cause for logs; the client sees only code and messages.
func (e *Error) Wrap(cause error) *Error { c := *e; c.Err = cause; return &c }

// Validation collects field errors; Err returns nil when there are none.
type Validation struct{ fields []FieldError }

// Add records a bad field.
func (v *Validation) Add(field, code, zh, en string) {
	v.fields = append(v.fields, FieldError{Field: field, Code: code, ZH: zh, EN: en})
}

// Err returns the collected errors as one Invalid error, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: "validation_failed", ZH: "输入有误，请检查标出的字段", EN: "some fields are invalid", Fields: v.fields}
}

// KindOf returns the kind of err (Internal when it carries none).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Common errors.
var (
	ErrNotFound        = E(NotFound, "not_found", "未找到该对象", "not found")
	ErrForbidden       = E(Forbidden, "forbidden", "无权执行此操作", "you may not do this")
	ErrUnauthenticated = E(Unauthenticated, "unauthenticated", "请先登录", "please log in")
	ErrVersionConflict = E(Conflict, "version_conflict", "数据已被他人修改，请刷新后重试", "the record was changed by someone else; reload and try again")
	ErrDuplicate       = E(Conflict, "duplicate", "已存在相同编码或名称的记录", "a record with the same code or name exists")
	ErrInUse           = E(Conflict, "in_use", "该记录仍被引用，不能删除", "the record is still referenced and cannot be deleted")
	ErrNoCounty        = E(Conflict, "no_county_selected", "请先选择县区", "select a county first")
)

// CodeOf is err's stable code ("" when it is not an *Error).
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
