// Package settings holds every number and cadence of the mechanism as a
// per-county setting (P1), with Guangshan's values as defaults. A county's
// settings are versioned by the date they take effect, so a past period is
// always judged under the rules it ran under.
package settings

import (
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
)

// Cadence is "every N weeks" or "every N months" (M1.1).
type Cadence struct {
	Every int    `json:"every"`
	Unit  string `json:"unit"` // week or month
}

// MeetingSeries is when and how one of the county's regular sittings is
// held (M1.1–M1.7); how often is its cadence.
type MeetingSeries struct {
	Weekday int `json:"weekday"` // 1 = Monday … 7 = Sunday
	// Week of the month for a monthly cadence: 1–4, or -1 for the last;
	// AnchorMonth is a month it is held in (every N months from it).
	Week        int    `json:"week"`
	AnchorMonth int    `json:"anchor_month"`
	Time        string `json:"time"` // HH:MM, Asia/Shanghai
	Place       string `json:"place"`
	// ChairPost is the post of the person who chairs it (县长, 常务副县长,
	// 县委书记): the chair is the person recorded with that post.
	ChairPost string `json:"chair_post"`
	// Participants are the standing participants, by group: office (the
	// key project office's staff), leading_group, chiefs (the county
	// leaders who subcontract listed projects), unit_heads (the heads of
	// every responsible unit), item_units (the heads of the units of the
	// agenda's projects).
	Participants []string `json:"participants"`
	// PrepDays: the agenda is drafted and the participants told this many
	// days before.
	PrepDays int `json:"prep_days"`
}

// ParticipantGroups are the groups a series may invite.
// service_units are the heads of the service units whose procedure items
// are on a joint review's list.
var ParticipantGroups = []string{"office", "leading_group", "chiefs", "unit_heads", "item_units", "service_units"}

// Settings is one complete set of a county's rules. Money is in whole yuan.
type Settings struct {
	// M1.3 stall escalation: consecutive weeks without substantive progress.
	StallUnitHeadWeeks     int `json:"stall_unit_head_weeks"`
	StallCountyLeaderWeeks int `json:"stall_county_leader_weeks"`
	// M2.2 site presence per week.
	VisitsChiefPerWeek       int `json:"visits_chief_per_week"`
	VisitsAssistantPerWeek   int `json:"visits_assistant_per_week"`
	VisitsResponsiblePerWeek int `json:"visits_responsible_per_week"`
	HelperDaysPerWeek        int `json:"helper_days_per_week"`
	VisitRadiusMeters        int `json:"visit_radius_meters"`
	// M3.4 weekly reporting: deadline weekday (1 = Monday … 7 = Sunday) and
	// time, Asia/Shanghai; the week closes at its own weekday and time.
	ReportDeadlineWeekday int    `json:"report_deadline_weekday"`
	ReportDeadlineTime    string `json:"report_deadline_time"`
	WeekCloseWeekday      int    `json:"week_close_weekday"`
	WeekCloseTime         string `json:"week_close_time"`
	MinPhotosPerReport    int    `json:"min_photos_per_report"`
	// MaxPhotosPerWeek caps a project's site photos of one week: every
	// original is kept, locked, for the retention period.
	MaxPhotosPerWeek int `json:"max_photos_per_week"`
	// Substantive progress rules (M1.3 input).
	ProgressMinInvestmentYuan int64 `json:"progress_min_investment_yuan"`
	ProgressMinImagePoints    int   `json:"progress_min_image_points"`
	// M1.1 cadences.
	CadenceWeeklyMeeting    Cadence `json:"cadence_weekly_meeting"`
	CadenceInspection       Cadence `json:"cadence_inspection"`
	CadenceMonthlyMeeting   Cadence `json:"cadence_monthly_meeting"`
	CadenceObservation      Cadence `json:"cadence_observation"`
	CadenceBatchStart       Cadence `json:"cadence_batch_start"`
	CadenceBimonthlyReport  Cadence `json:"cadence_bimonthly_report"`
	CadenceSemiannualReview Cadence `json:"cadence_semiannual_review"`
	CadenceJointReview      Cadence `json:"cadence_joint_review"`
	JointReviewDeadlineDays int     `json:"joint_review_deadline_days"`
	// M1.2, M1.4, M1.5, M1.7: the regular sittings.
	MeetingWeekly  MeetingSeries `json:"meeting_weekly"`
	MeetingMonthly MeetingSeries `json:"meeting_monthly"`
	// M3.7 joint review and approval (联审联批), every CadenceJointReview.
	MeetingJointReview MeetingSeries `json:"meeting_joint_review"`
	MeetingBimonthly   MeetingSeries `json:"meeting_bimonthly"`
	MeetingHalfYear    MeetingSeries `json:"meeting_half_year"`
	// §5 ranking, rewards and penalties.
	RankingTopN         int     `json:"ranking_top_n"`
	RankingBottomN      int     `json:"ranking_bottom_n"`
	TownshipRewardsYuan []int64 `json:"township_rewards_yuan"` // by rank from the top
	TownshipFinesYuan   []int64 `json:"township_fines_yuan"`   // by rank from the bottom
	FiscalCutPercent    int     `json:"fiscal_cut_percent"`    // M1.8
	WeightInvestment    int     `json:"weight_investment"`     // M5.2 scoring weights, summing to 100
	WeightNodePlan      int     `json:"weight_node_plan"`
	WeightObservation   int     `json:"weight_observation"`
	// M1.6 the monthly observation's rubric (internal/observation).
	ObservationRubric Rubric `json:"observation_rubric"`
	// M5 the assessment's deductions, shared prizes and letters' weight (internal/assessment).
	Assessment           Assessment `json:"assessment"`
	WeightSupervision    int        `json:"weight_supervision"`
	ServiceUnitsRewarded int        `json:"service_units_rewarded"` // M5.4: best-scored service units
	// ScheduleBasis is how bulletins count 时序进度 (the share of the year
	// elapsed): month (months completed ÷ 12, as published bulletins do),
	// half_month (half-months ÷ 24) or day (days elapsed ÷ days in the year).
	ScheduleBasis string `json:"schedule_basis"`
}

// Defaults are Guangshan County's rules as written in its mechanism.
func Defaults() Settings {
	return Settings{
		StallUnitHeadWeeks: 2, StallCountyLeaderWeeks: 3,
		VisitsChiefPerWeek: 1, VisitsAssistantPerWeek: 2, VisitsResponsiblePerWeek: 1,
		HelperDaysPerWeek: 5, VisitRadiusMeters: 500,
		ReportDeadlineWeekday: 5, ReportDeadlineTime: "12:00",
		WeekCloseWeekday: 5, WeekCloseTime: "18:00",
		MinPhotosPerReport:        3,
		MaxPhotosPerWeek:          30,
		ProgressMinInvestmentYuan: 100000, ProgressMinImagePoints: 5,
		CadenceWeeklyMeeting:    Cadence{1, "week"},
		CadenceInspection:       Cadence{1, "week"},
		CadenceMonthlyMeeting:   Cadence{1, "month"},
		CadenceObservation:      Cadence{1, "month"},
		CadenceBatchStart:       Cadence{2, "month"},
		CadenceBimonthlyReport:  Cadence{2, "month"},
		CadenceSemiannualReview: Cadence{6, "month"},
		CadenceJointReview:      Cadence{2, "week"},
		JointReviewDeadlineDays: 14,
		// 周例会: Monday morning, on the week just closed.
		MeetingWeekly: MeetingSeries{Weekday: 1, Time: "09:00", Place: "县政府第一会议室", ChairPost: "县长",
			Participants: []string{"office", "item_units"}, PrepDays: 2},
		// 联审联批会: every other Wednesday afternoon, the 常务副县长 with the service units.
		MeetingJointReview: MeetingSeries{Weekday: 3, Time: "15:00", Place: "县政务服务中心三楼会议室", ChairPost: "常务副县长",
			Participants: []string{"office", "service_units"}, PrepDays: 2},
		// 月专题会: the last Thursday of the month, on the month.
		MeetingMonthly: MeetingSeries{Weekday: 4, Week: -1, AnchorMonth: 1, Time: "15:00", Place: "县政府第一会议室", ChairPost: "县长",
			Participants: []string{"office", "leading_group", "item_units"}, PrepDays: 3},
		// 双月汇报会: early in March, May, July …, on the two months before.
		MeetingBimonthly: MeetingSeries{Weekday: 3, Week: 1, AnchorMonth: 3, Time: "15:00", Place: "县委常委会议室", ChairPost: "县委书记",
			Participants: []string{"office", "leading_group", "chiefs", "unit_heads"}, PrepDays: 5},
		// 半年评比会: with the June observation (and December's).
		MeetingHalfYear: MeetingSeries{Weekday: 5, Week: -1, AnchorMonth: 6, Time: "09:00", Place: "县委常委会议室", ChairPost: "县委书记",
			Participants: []string{"office", "leading_group", "chiefs", "unit_heads"}, PrepDays: 7},
		RankingTopN: 2, RankingBottomN: 2,
		TownshipRewardsYuan: []int64{1000000, 500000},
		TownshipFinesYuan:   []int64{1000000, 500000},
		FiscalCutPercent:    20,
		WeightInvestment:    60, WeightNodePlan: 20, WeightObservation: 10, WeightSupervision: 10,
		ServiceUnitsRewarded: 2,
		ScheduleBasis:        "month",
		ObservationRubric:    DefaultRubric(),
		Assessment:           DefaultAssessment(),
	}
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Validate checks every field and names each bad one.
func (s Settings) Validate() error {
	var v errs.Validation
	s.ObservationRubric.validate("observation_rubric", &v)
	s.Assessment.validate(&v)
	between := func(field string, n, lo, hi int, zh string) {
		if n < lo || n > hi {
			v.Add(field, "out_of_range", fmt.Sprintf("%s须在%d到%d之间", zh, lo, hi), fmt.Sprintf("must be between %d and %d", lo, hi))
		}
	}
	between("stall_unit_head_weeks", s.StallUnitHeadWeeks, 1, 12, "责任单位问政周数")
	between("stall_county_leader_weeks", s.StallCountyLeaderWeeks, 1, 12, "县级领导问政周数")
	if s.StallCountyLeaderWeeks <= s.StallUnitHeadWeeks {
		v.Add("stall_county_leader_weeks", "must_exceed", "县级领导问政周数须大于责任单位问政周数", "must be greater than stall_unit_head_weeks")
	}
	between("visits_chief_per_week", s.VisitsChiefPerWeek, 0, 7, "项目长每周到现场次数")
	between("visits_assistant_per_week", s.VisitsAssistantPerWeek, 0, 7, "项目长助理每周到现场次数")
	between("visits_responsible_per_week", s.VisitsResponsiblePerWeek, 0, 7, "项目责任人每周到现场次数")
	between("helper_days_per_week", s.HelperDaysPerWeek, 0, 7, "帮办人员每周驻场天数")
	between("visit_radius_meters", s.VisitRadiusMeters, 50, 10000, "到场核验半径（米）")
	between("report_deadline_weekday", s.ReportDeadlineWeekday, 1, 7, "周报截止星期")
	between("week_close_weekday", s.WeekCloseWeekday, 1, 7, "周结算星期")
	for field, t := range map[string]string{"report_deadline_time": s.ReportDeadlineTime, "week_close_time": s.WeekCloseTime} {
		if !hhmm.MatchString(t) {
			v.Add(field, "invalid_time", "时间格式应为 HH:MM（24小时制）", "time must be HH:MM (24-hour)")
		}
	}
	between("min_photos_per_report", s.MinPhotosPerReport, 0, 20, "每份周报最少照片数")
	between("max_photos_per_week", s.MaxPhotosPerWeek, 1, 200, "每个项目每周最多照片数")
	if s.MaxPhotosPerWeek < s.MinPhotosPerReport {
		v.Add("max_photos_per_week", "below_minimum", "每周最多照片数不能少于每份周报最少照片数", "must be at least min_photos_per_report")
	}
	if s.ProgressMinInvestmentYuan < 0 || s.ProgressMinInvestmentYuan > 100_000_000_000 {
		v.Add("progress_min_investment_yuan", "out_of_range", "实质进度投资门槛须在0到1000亿元之间", "must be between 0 and 100,000,000,000 yuan")
	}
	between("progress_min_image_points", s.ProgressMinImagePoints, 0, 100, "形象进度门槛（百分点）")
	for field, c := range map[string]Cadence{
		"cadence_weekly_meeting": s.CadenceWeeklyMeeting, "cadence_inspection": s.CadenceInspection,
		"cadence_monthly_meeting": s.CadenceMonthlyMeeting, "cadence_observation": s.CadenceObservation,
		"cadence_batch_start": s.CadenceBatchStart, "cadence_bimonthly_report": s.CadenceBimonthlyReport,
		"cadence_semiannual_review": s.CadenceSemiannualReview, "cadence_joint_review": s.CadenceJointReview,
	} {
		if (c.Unit != "week" && c.Unit != "month") || c.Every < 1 || c.Every > 12 {
			v.Add(field, "invalid_cadence", "周期须为每1-12周或每1-12月", "cadence must be every 1-12 weeks or months")
		}
	}
	between("joint_review_deadline_days", s.JointReviewDeadlineDays, 1, 90, "联审联批办结期限（天）")
	for field, m := range map[string]struct {
		MeetingSeries
		Cadence
	}{"meeting_weekly": {s.MeetingWeekly, s.CadenceWeeklyMeeting}, "meeting_monthly": {s.MeetingMonthly, s.CadenceMonthlyMeeting},
		"meeting_bimonthly": {s.MeetingBimonthly, s.CadenceBimonthlyReport}, "meeting_half_year": {s.MeetingHalfYear, s.CadenceSemiannualReview},
		"meeting_joint_review": {s.MeetingJointReview, s.CadenceJointReview}} {
		m.MeetingSeries.validate(field, &v)
		if m.Unit == "month" && (m.Week == 0 || m.AnchorMonth == 0) {
			v.Add(field+".week", "required", "按月召开的会议须指定第几周和起始月份", "a monthly series needs its week of the month and its anchor month")
		}
	}
	between("ranking_top_n", s.RankingTopN, 0, 10, "排名前列数")
	between("ranking_bottom_n", s.RankingBottomN, 0, 10, "排名末位数")
	money := func(field string, list []int64, n int) {
		if len(list) > n {
			v.Add(field, "too_many", fmt.Sprintf("金额个数不能超过排名名额（%d）", n), fmt.Sprintf("at most %d amounts (the ranking size)", n))
		}
		for _, a := range list {
			if a < 0 || a > 100_000_000 {
				v.Add(field, "out_of_range", "金额须在0到1亿元之间", "amounts must be between 0 and 100,000,000 yuan")
				break
			}
		}
	}
	money("township_rewards_yuan", s.TownshipRewardsYuan, s.RankingTopN)
	money("township_fines_yuan", s.TownshipFinesYuan, s.RankingBottomN)
	between("fiscal_cut_percent", s.FiscalCutPercent, 0, 100, "财政扣减比例（%）")
	for field, w := range map[string]int{"weight_investment": s.WeightInvestment, "weight_node_plan": s.WeightNodePlan,
		"weight_observation": s.WeightObservation, "weight_supervision": s.WeightSupervision} {
		between(field, w, 0, 100, "权重")
	}
	if s.WeightInvestment+s.WeightNodePlan+s.WeightObservation+s.WeightSupervision+s.Assessment.WeightLetters != 100 {
		v.Add("weight_investment", "weights_sum", "各项权重之和须为100", "the weights must add up to 100")
	}
	between("service_units_rewarded", s.ServiceUnitsRewarded, 0, 10, "受奖服务单位数")
	switch s.ScheduleBasis {
	case "month", "half_month", "day":
	default:
		v.Add("schedule_basis", "invalid_basis", "时序进度计算方式须为 month（按月）、half_month（按半月）或 day（按日）", "schedule basis must be month, half_month or day")
	}
	return v.Err()
}

func (m MeetingSeries) validate(field string, v *errs.Validation) {
	if m.Weekday < 1 || m.Weekday > 7 {
		v.Add(field+".weekday", "out_of_range", "会议星期须在1到7之间", "weekday must be between 1 and 7")
	}
	if m.Week != -1 && (m.Week < 0 || m.Week > 4) {
		v.Add(field+".week", "out_of_range", "第几周须为1-4或-1（最后一周）", "week must be 1-4, or -1 for the last")
	}
	if m.AnchorMonth < 0 || m.AnchorMonth > 12 {
		v.Add(field+".anchor_month", "out_of_range", "起始月份须在1到12之间", "anchor month must be between 1 and 12")
	}
	if !hhmm.MatchString(m.Time) {
		v.Add(field+".time", "invalid_time", "时间格式应为 HH:MM（24小时制）", "time must be HH:MM (24-hour)")
	}
	if n := len([]rune(m.Place)); n > 100 {
		v.Add(field+".place", "too_long", "会议地点不能超过100字", "place must be at most 100 characters")
	}
	if n := len([]rune(m.ChairPost)); n == 0 || n > 50 {
		v.Add(field+".chair_post", "required", "请填写主持人职务（如县长）", "give the chair's post (e.g. 县长)")
	}
	for _, p := range m.Participants {
		ok := false
		for _, g := range ParticipantGroups {
			ok = ok || g == p
		}
		if !ok {
			v.Add(field+".participants", "invalid_group", "参会范围无效："+p, "unknown participant group: "+p)
		}
	}
	if m.PrepDays < 0 || m.PrepDays > 30 {
		v.Add(field+".prep_days", "out_of_range", "提前准备天数须在0到30之间", "preparation days must be between 0 and 30")
	}
}

// Version is one dated set of a county's settings.
type Version struct {
	ID            uuid.UUID
	CountyID      uuid.UUID
	EffectiveFrom time.Time // a date, Asia/Shanghai
	Values        Settings
	Reason        string
	CreatedBy     *uuid.UUID
	CreatedAt     time.Time
}

// Shanghai is the time zone every county of the platform keeps its calendar in.
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		// tzdata is embedded by cmd/tuijin (time/tzdata), so this only
		// fails in a test binary on a machine without zoneinfo.
		return time.FixedZone("CST", 8*3600)
	}
	return l
}

// Today is the current date in Asia/Shanghai, at midnight UTC for storage as a date.
func Today(now time.Time) time.Time {
	y, m, d := now.In(Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ErrEffectiveInPast refuses a version that would change rules already applied.
var ErrEffectiveInPast = errs.E(errs.Invalid, "settings_effective_in_past",
	"生效日期不能早于今天：已执行的规则不能被追溯修改", "effective date must not be before today: rules already applied cannot change retroactively")
