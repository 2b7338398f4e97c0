package assessment

import (
	"fmt"
	"strings"
)

// MonthLead is a unit's lead on 时序进度 at a month's end (percentage
// points, one decimal; negative: behind; "" without planned investment).
type MonthLead struct {
	Month string `json:"month"` // 2026-09
	Lead  string `json:"lead"`
}

// UnitTrack is what the accountability proposal reads of a unit (M5.7).
type UnitTrack struct {
	UnitID      string      `json:"unit_id"`
	Name        string      `json:"name"`
	Months      []MonthLead `json:"months"`      // in order, up to the month counted
	Escalations int         `json:"escalations"` // in the year, not withdrawn
}

// Proposal proposes a unit for referral to the discipline inspection
// commission, with its evidence.
type Proposal struct {
	UnitID   string `json:"unit_id"`
	Name     string `json:"name"`
	Evidence string `json:"evidence"`
}

// Propose lists the units whose indicators keep falling: behind 时序进度
// at the end of the last monthsBehind months running, or escalated at
// least escalations times.
func Propose(tracks []UnitTrack, monthsBehind, escalations int) []Proposal {
	out := []Proposal{}
	for _, t := range tracks {
		var why []string
		run := 0
		var behind []string
		for i := len(t.Months) - 1; i >= 0; i-- {
			m := t.Months[i]
			if !strings.HasPrefix(m.Lead, "-") || strings.Trim(m.Lead, "-0.") == "" {
				break
			}
			run++
			behind = append([]string{fmt.Sprintf("%s慢%s个百分点", m.Month, m.Lead[1:])}, behind...)
		}
		if monthsBehind > 0 && run >= monthsBehind {
			why = append(why, fmt.Sprintf("连续%d个月慢于时序进度（%s）", run, strings.Join(behind, "，")))
		}
		if escalations > 0 && t.Escalations >= escalations {
			why = append(why, fmt.Sprintf("本年度被电视问政%d次", t.Escalations))
		}
		if len(why) > 0 {
			out = append(out, Proposal{UnitID: t.UnitID, Name: t.Name, Evidence: strings.Join(why, "；")})
		}
	}
	return out
}
