package reporting

import (
	"math"
	"strconv"
	"time"

	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/settings"
)

// Distance is the great-circle distance in metres between two points (degrees).
func Distance(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dlat, dlng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// VisitCheck is the verdict on one visit.
type VisitCheck struct {
	Week      time.Time
	DistanceM *int
	Verified  bool
	Reason    string // why not verified, in Chinese
}

// VisitClockSkew is how far a check-in's visit time may lie from the
// server's time of recording: a check-in is made on site, at the time.
const VisitClockSkew = 10 * time.Minute

// CheckVisit verifies a visit at (lat, lng) at visited, recorded at recorded,
// against the project's location and the county's radius (M2.2). The visit
// time must be within VisitClockSkew of the recording.
func CheckVisit(p project.Project, lat, lng float64, visited, recorded time.Time, s settings.Settings) VisitCheck {
	c := VisitCheck{Week: WeekStart(visited)}
	switch {
	case p.Latitude == nil || p.Longitude == nil:
		c.Reason = "项目未登记坐标，无法核验到场位置"
	case visited.After(recorded.Add(VisitClockSkew)):
		c.Reason = "到场时间晚于登记时间"
	case visited.Before(recorded.Add(-VisitClockSkew)):
		c.Reason = "到场时间早于登记时间10分钟以上：须在现场即时登记，不能补登"
	case !WeekStart(recorded).Equal(c.Week):
		c.Reason = "到场须在当周登记，不能补登往周"
	default:
		d := int(math.Round(Distance(lat, lng, *p.Latitude, *p.Longitude)))
		c.DistanceM = &d
		if d > s.VisitRadiusMeters {
			c.Reason = "距项目" + itoa(d) + "米，超出" + itoa(s.VisitRadiusMeters) + "米核验范围"
		} else {
			c.Verified = true
		}
	}
	if c.DistanceM == nil && p.Latitude != nil {
		d := int(math.Round(Distance(lat, lng, *p.Latitude, *p.Longitude)))
		c.DistanceM = &d
	}
	return c
}

// Minimum is how many verified visits (or, for the helper, days present) a
// seat needs in a week under the county's settings.
func Minimum(role project.Role, s settings.Settings) int {
	switch role {
	case project.RoleChief:
		return s.VisitsChiefPerWeek
	case project.RoleAssistant:
		return s.VisitsAssistantPerWeek
	case project.RoleResponsible:
		return s.VisitsResponsiblePerWeek
	case project.RoleHelper:
		return s.HelperDaysPerWeek
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }
