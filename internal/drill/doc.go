// Package drill holds tuijin's fault drills: a real server (the same Serve
// that `tuijin serve` runs, and the worker) over PostgreSQL, Redis and MinIO
// servers of the drill's own (internal/servicetest), one of which is stopped
// or restarted under load. Each drill counts the requests answered, the
// clean errors (503 with Retry-After), the writes lost and duplicated, and
// checks that tuijin recovers without being restarted. The shared services
// of the machine are never touched.
package drill
