package settings

import "github.com/tuijin/tuijin/internal/errs"

// Assessment is how a county assesses its responsible units for a
// half-year or a year (M1.7, M1.8, M5.2–M5.5) beyond the weights and the
// reward and fine amounts: the points each supervision fact costs, how a
// prize place shared by a tie pays, and the letters' weight.
type Assessment struct {
	// Supervision starts at 100 and loses these points per fact, down to 0.
	PerStallWeek  int `json:"per_stall_week"`
	PerEscalation int `json:"per_escalation"`
	PerLateReport int `json:"per_late_report"` // a report late or missing
	PerFinding    int `json:"per_finding"`     // an inspection finding
	// SharedPrize: "full" pays each unit sharing a place that place's full
	// amount; "split" shares the amounts of the places the tied units occupy.
	SharedPrize string `json:"shared_prize"`
	// WeightLetters is the weight of the letters' commitments kept (M4.1);
	// the five weights sum to 100.
	WeightLetters int `json:"weight_letters"`
	// A department completes its yearly task at this investment completion
	// rate (percent).
	TaskPercent int `json:"task_percent"`
	// A service unit's score (M5.3): this percent from the ratings of the
	// units it served, the rest from its joint review completion rate.
	ServiceRatingPercent int `json:"service_rating_percent"`
	// M5.7: a unit behind 时序进度 at the end of this many consecutive
	// months, or escalated this many times in the year, is proposed for
	// referral to the discipline inspection commission.
	ReferMonthsBehind int `json:"refer_months_behind"`
	ReferEscalations  int `json:"refer_escalations"`
}

// DefaultAssessment is Guangshan's.
func DefaultAssessment() Assessment {
	return Assessment{PerStallWeek: 2, PerEscalation: 5, PerLateReport: 1, PerFinding: 1, SharedPrize: "full", TaskPercent: 100, ServiceRatingPercent: 70,
		ReferMonthsBehind: 3, ReferEscalations: 3}
}

func (a Assessment) validate(v *errs.Validation) {
	for f, n := range map[string]int{"assessment.per_stall_week": a.PerStallWeek, "assessment.per_escalation": a.PerEscalation,
		"assessment.per_late_report": a.PerLateReport, "assessment.per_finding": a.PerFinding} {
		if n < 0 || n > 50 {
			v.Add(f, "out_of_range", "扣分须在0到50之间", "points lost are 0 to 50")
		}
	}
	if a.SharedPrize != "full" && a.SharedPrize != "split" {
		v.Add("assessment.shared_prize", "invalid", "并列名次奖金须为 full（各得该名次全额）或 split（平分所占名次奖金）", "shared_prize is full or split")
	}
	if a.WeightLetters < 0 || a.WeightLetters > 100 {
		v.Add("assessment.weight_letters", "out_of_range", "权重须在0到100之间", "a weight is 0 to 100")
	}
	if a.ServiceRatingPercent < 0 || a.ServiceRatingPercent > 100 {
		v.Add("assessment.service_rating_percent", "out_of_range", "服务评价占比须在0到100之间", "the ratings' share is 0 to 100 percent")
	}
	if a.ReferMonthsBehind < 1 || a.ReferMonthsBehind > 12 || a.ReferEscalations < 1 || a.ReferEscalations > 52 {
		v.Add("assessment.refer_months_behind", "out_of_range", "移交问责的连续落后月数须为1-12、问政次数须为1-52", "months behind are 1 to 12, escalations 1 to 52")
	}
	if a.TaskPercent < 1 || a.TaskPercent > 200 {
		v.Add("assessment.task_percent", "out_of_range", "完成任务的标准须在1%到200%之间", "the task's rate is 1 to 200 percent")
	}
}
