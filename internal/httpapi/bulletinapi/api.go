// Package bulletinapi is the HTTP API of the bulletin area: its routes, request and
// response types and handlers, served by the platform's httpapi.Server.
package bulletinapi

import "github.com/tuijin/tuijin/internal/httpapi"

// API serves the area's routes on the platform's Server.
type API struct{ *httpapi.Server }

// Routes are the area's routes, for httpapi.Deps.Areas.
func Routes(s *httpapi.Server) []*httpapi.Route { return (&API{s}).routes() }
