package meetingapi

import "github.com/tuijin/tuijin/internal/httpapi"

// minutesRoutes serve the minutes (会议纪要) of a sitting.
func (s *API) minutesRoutes() []*httpapi.Route { return nil }
