// Package report is online direct reporting (issue 6; M2.3, M3.4): one
// weekly report per project per week, its substantive-progress
// determination (M1.3's input) and its review flow — the helper drafts and
// submits, the responsible person confirms, the key project office verifies
// or returns it. Weeks run Monday to Sunday in Asia/Shanghai, whatever the
// server's time zone.
package reporting

import (
	"fmt"
	"strings"
	"time"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/project"
	"github.com/tuijin/tuijin/internal/settings"
)

// WeekStart is the Monday (a date, UTC midnight) of the Asia/Shanghai week containing t.
func WeekStart(t time.Time) time.Time {
	local := t.In(settings.Shanghai)
	y, m, d := local.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// ParseWeek reads a week given by its Monday ("2026-03-02").
func ParseWeek(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Weekday() != time.Monday {
		var v errs.Validation
		v.Add("week", "invalid_week", "周次应以该周星期一的日期表示（YYYY-MM-DD）", "a week is given by its Monday (YYYY-MM-DD)")
		return time.Time{}, v.Err()
	}
	return d, nil
}

// At is the instant of a weekday (1 = Monday … 7 = Sunday) and "HH:MM" in
// Asia/Shanghai, in the week starting weekStart.
func At(weekStart time.Time, weekday int, hhmm string) time.Time {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	d := weekStart.AddDate(0, 0, weekday-1)
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, settings.Shanghai)
}

// Deadline is when the week's report is due under the county's settings.
func Deadline(weekStart time.Time, s settings.Settings) time.Time {
	return At(weekStart, s.ReportDeadlineWeekday, s.ReportDeadlineTime)
}

// Status is where a report stands in its review flow.
type Status string

const (
	Draft     Status = "draft"     // the helper is writing it
	Submitted Status = "submitted" // waiting for the responsible person
	Confirmed Status = "confirmed" // waiting for the office
	Verified  Status = "verified"  // accepted; a change makes a new revision
	Returned  Status = "returned"  // sent back by the office with a comment
)

// Content is what a report says about its week.
type Content struct {
	ImageProgress  string         // 形象进度 in words
	ImagePercent   int            // overall physical progress, 0–100
	NodesReached   []project.Node // nodes reached this week
	InvestmentYuan int64          // invested this week
	Workers        int
	Machines       int
	Problems       string
}

// Validate checks a report's content.
func (c *Content) Validate() error {
	var v errs.Validation
	c.ImageProgress, c.Problems = strings.TrimSpace(c.ImageProgress), strings.TrimSpace(c.Problems)
	if c.ImageProgress == "" || len([]rune(c.ImageProgress)) > 2000 {
		v.Add("image_progress", "required", "请用文字描述本周形象进度（不超过2000字）", "describe this week's image progress (at most 2000 characters)")
	}
	if c.ImagePercent < 0 || c.ImagePercent > 100 {
		v.Add("image_percent", "out_of_range", "形象进度百分比须在0到100之间", "image progress must be 0 to 100 percent")
	}
	seen := map[project.Node]bool{}
	for _, n := range c.NodesReached {
		if _, ok := project.NodeNames[n]; !ok || seen[n] {
			v.Add("nodes_reached", "invalid_node", "节点无效或重复", "unknown or repeated node")
			break
		}
		seen[n] = true
	}
	if c.InvestmentYuan < 0 || c.InvestmentYuan > project.MaxYuan {
		v.Add("investment_yuan", "out_of_range", "本周完成投资超出范围", "investment this week out of range")
	}
	if c.Workers < 0 || c.Workers > 100000 || c.Machines < 0 || c.Machines > 100000 {
		v.Add("workers", "out_of_range", "在场人数或机械数超出范围", "workers or machines out of range")
	}
	if len([]rune(c.Problems)) > 2000 {
		v.Add("problems", "too_long", "问题说明不能超过2000字", "problems must be at most 2000 characters")
	}
	return v.Err()
}

// Determination is the substantive-progress decision for a week and why.
type Determination struct {
	Progress bool
	Reasons  []string // the rules that found progress, in Chinese
}

// Determine applies the county's rules (M1.3 input): progress when the
// week's investment reaches the threshold, a node was reached, or image
// progress rose by at least the threshold of points since baseline (see
// Baseline). Without a baseline the image rule does not apply: a first
// report's image progress is where the project stands, not this week's gain.
func Determine(c Content, baseline *int, s settings.Settings) Determination {
	var d Determination
	if c.InvestmentYuan > 0 && c.InvestmentYuan >= s.ProgressMinInvestmentYuan {
		d.Reasons = append(d.Reasons, fmt.Sprintf("本周完成投资%s万元，达到%s万元的门槛", project.FormatWan(c.InvestmentYuan), project.FormatWan(s.ProgressMinInvestmentYuan)))
	}
	if len(c.NodesReached) > 0 {
		names := make([]string, len(c.NodesReached))
		for i, n := range c.NodesReached {
			names[i] = project.NodeNames[n]
		}
		d.Reasons = append(d.Reasons, "本周达到节点："+strings.Join(names, "、"))
	}
	if baseline != nil {
		if rise := c.ImagePercent - *baseline; rise > 0 && rise >= s.ProgressMinImagePoints {
			d.Reasons = append(d.Reasons, fmt.Sprintf("形象进度提高%d个百分点（门槛%d）", rise, s.ProgressMinImagePoints))
		}
	}
	d.Progress = len(d.Reasons) > 0
	return d
}
