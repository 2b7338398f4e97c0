package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/tuijin/tuijin/internal/errs"
)

// statusOf is the one table from error kinds to HTTP status codes.
var statusOf = map[errs.Kind]int{
	errs.Internal:        http.StatusInternalServerError,
	errs.Invalid:         http.StatusBadRequest,
	errs.NotFound:        http.StatusNotFound,
	errs.Conflict:        http.StatusConflict,
	errs.Forbidden:       http.StatusForbidden,
	errs.Unauthenticated: http.StatusUnauthorized,
	errs.TooMany:         http.StatusTooManyRequests,
	errs.TooLarge:        http.StatusRequestEntityTooLarge,
	errs.Unavailable:     http.StatusServiceUnavailable,
}

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries a stable code and messages in Chinese and English.
type ErrorDetail struct {
	Code      string            `json:"code"`
	MessageZH string            `json:"message_zh"`
	MessageEN string            `json:"message_en"`
	RequestID string            `json:"request_id"`
	Fields    []errs.FieldError `json:"fields,omitempty"`
	Ref       string            `json:"ref,omitempty"`
}

var (
	errRouteNotFound    = errs.E(errs.NotFound, "route_not_found", "接口不存在", "no such endpoint")
	errMethodNotAllowed = errs.E(errs.Invalid, "method_not_allowed", "不支持该请求方法", "method not allowed")
	errTooLarge         = errs.E(errs.TooLarge, "body_too_large", "请求内容过大", "request body too large")
	errNULCharacter     = errs.E(errs.Invalid, "nul_character", "请求中不能含有空字符（\\0）", "the request must not contain a NUL character")
	errInternal         = errs.E(errs.Internal, "internal", "服务器内部错误，请联系管理员并提供请求编号", "internal error; report the request id to your administrator")
)

// handleError writes err as an ErrorBody. Errors without a kind are logged
// with the request id and answered with a generic message.
func (s *Server) handleError(c *echo.Context, err error) {
	if resp, uerr := echo.UnwrapResponse(c.Response()); uerr == nil && resp.Committed {
		return
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		var he echo.HTTPStatusCoder
		switch {
		case errors.As(err, &he) && he.StatusCode() == http.StatusNotFound:
			e = errRouteNotFound
		case errors.As(err, &he) && he.StatusCode() == http.StatusMethodNotAllowed:
			e = errMethodNotAllowed
			c.Response().WriteHeader(http.StatusMethodNotAllowed)
		case errors.As(err, &he) && he.StatusCode() == http.StatusRequestEntityTooLarge:
			e = errTooLarge
		default:
			if e = unavailable(err); e == nil {
				e = errInternal
			}
		}
	}
	status := statusOf[e.Kind]
	if e == errMethodNotAllowed {
		status = http.StatusMethodNotAllowed
	}
	if status >= 500 {
		s.Log.ErrorContext(c.Request().Context(), "request failed", slog.String("request_id", requestID(c)), slog.Any("error", err))
	}
	if e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())+1))
	}
	body := ErrorBody{ErrorDetail{Code: e.Code, MessageZH: e.ZH, MessageEN: e.EN, RequestID: requestID(c), Fields: e.Fields, Ref: e.Ref}}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}
