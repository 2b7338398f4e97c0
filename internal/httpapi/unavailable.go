package httpapi

import (
	"time"

	"github.com/tuijin/tuijin/internal/db"
	"github.com/tuijin/tuijin/internal/errs"
)

// errUnavailable answers a request that failed because PostgreSQL or Redis
// could not be reached or dropped its connection (a restart, a failover):
// nothing was decided about it, and the client may send it again after
// Retry-After.
var errUnavailable = &errs.Error{Kind: errs.Unavailable, Code: "service_unavailable",
	ZH: "服务暂时不可用（数据库或缓存正在恢复），请稍后重试", EN: "the service is briefly unavailable (its database or cache is recovering); try again shortly",
	RetryAfter: 2 * time.Second}

// unavailable returns errUnavailable wrapping err when err is a connection
// failure, nil otherwise.
func unavailable(err error) *errs.Error {
	if db.Unavailable(err) {
		return errUnavailable.Wrap(err)
	}
	return nil
}
