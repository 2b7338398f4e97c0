package meetingapi

import "github.com/tuijin/tuijin/internal/httpapi"

// feedRoutes serve the calendar: personal iCalendar feeds.
func (s *API) feedRoutes() []*httpapi.Route { return nil }
