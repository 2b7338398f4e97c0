package meeting

import (
	"fmt"
	"strings"
	"time"

	"github.com/tuijin/tuijin/internal/settings"
)

// Minutes (会议纪要) are what a sitting decided, as issued: the sitting,
// who attended, what each item heard, the decisions (议定事项) numbered
// 一、二、三 with their owners and deadlines, and a first look at how the
// previous sitting's decisions stand. It is the whole input of the
// rendered files, stored as issued, so that an issued version can be read
// and rendered again without the live data.
type Minutes struct {
	County      string          `json:"county"`
	Kind        Kind            `json:"kind"`
	Label       string          `json:"label"`        // 2026年第47次重点项目建设周例会
	IssueNo     int             `json:"issue_no"`     // 第N期, per county, kind and year; 0 in a draft
	Year        int             `json:"year"`         // the sitting's year
	StartsAt    time.Time       `json:"starts_at"`    // when it sat
	Place       string          `json:"place"`        // where
	SiteProject string          `json:"site_project"` // a 现场办公会 at this project
	ChairPost   string          `json:"chair_post"`   // 县长
	Chair       string          `json:"chair"`        // the chair's name ("" when nobody holds the post)
	IssuedOn    time.Time       `json:"issued_on"`    // the date on the minutes
	Intro       string          `json:"intro"`        // the office's opening, or "" for the usual one
	Closing     string          `json:"closing"`      // the office's closing words
	Previous    *PreviousReview `json:"previous"`     // the previous sitting's decisions, if any
	Items       []MinutesItem   `json:"items"`        // the agenda, in order
	Decisions   []Decision      `json:"decisions"`    // by number
	Present     []string        `json:"present"`      // 出席: "张三（县发展改革委主任）"
	Deputies    []string        `json:"deputies"`     // "李四（代王五）"
	Absent      []string        `json:"absent"`       // 请假: "赵六（外出学习）"
	NotPresent  []string        `json:"not_present"`  // expected, neither signed in nor excused
}

// PreviousReview is how the decisions of the previous sitting of the same
// series stood when the minutes were issued.
type PreviousReview struct {
	Label    string   `json:"label"`
	Tally    Tally    `json:"tally"`
	Laggards []string `json:"laggards"` // overdue ones by unit and number: "县自然资源局第2项"
}

// MinutesItem is an agenda item and what was said on it.
type MinutesItem struct {
	Section string `json:"section"`
	Title   string `json:"title"`
	Minutes string `json:"minutes"`
	Picked  bool   `json:"picked"`
}

// Decision is a 议定事项 as the minutes print it.
type Decision struct {
	Number   int       `json:"number"`
	Text     string    `json:"text"`
	Owner    string    `json:"owner"`    // 责任单位
	Person   string    `json:"person"`   // 责任人
	Partners []string  `json:"partners"` // 配合单位
	Deadline time.Time `json:"deadline"` // 完成时限
	Project  string    `json:"project"`
}

// Title is the minutes' heading: 光山县重点项目建设周例会纪要.
func (m Minutes) Title() string { return m.County + m.Kind.Name() + "纪要" }

// IssueLine is 2026年第12期, or "" for a draft.
func (m Minutes) IssueLine() string {
	if m.IssueNo == 0 {
		return ""
	}
	return fmt.Sprintf("%d年第%d期", m.Year, m.IssueNo)
}

// Office is who issues minutes: the county's key project office.
func (m Minutes) Office() string { return m.County + "重点项目建设领导小组办公室" }

// ChineseDate is 2026年11月23日.
func ChineseDate(d time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
}

var weekdays = []string{"日", "一", "二", "三", "四", "五", "六"}

// when is "11月23日（星期一）上午" in Shanghai time.
func when(t time.Time) string {
	t = t.In(settings.Shanghai)
	half := "上午"
	if t.Hour() >= 12 {
		half = "下午"
	}
	return fmt.Sprintf("%d年%d月%d日（星期%s）%s", t.Year(), int(t.Month()), t.Day(), weekdays[t.Weekday()], half)
}

// Opening is the first paragraph: the office's, or the usual one.
func (m Minutes) Opening() string {
	if s := strings.TrimSpace(m.Intro); s != "" {
		return s
	}
	chair := "会议"
	if m.Chair != "" {
		chair = m.ChairPost + m.Chair
	}
	where := ""
	switch {
	case m.SiteProject != "":
		where = "在" + m.SiteProject + "现场"
	case m.Place != "":
		where = "在" + m.Place
	}
	var heard []string
	if m.Previous != nil {
		heard = append(heard, "上次会议议定事项落实情况")
	}
	for _, it := range m.Items {
		if len(heard) == 4 {
			heard = append(heard, "等")
			break
		}
		heard = append(heard, strings.TrimSuffix(it.Title, "。"))
	}
	s := fmt.Sprintf("%s，%s%s主持召开%s", when(m.StartsAt), chair, where, m.Label)
	if m.SiteProject != "" && m.Kind == Weekly {
		s += "（现场办公会）"
	}
	if len(heard) > 0 {
		list := strings.Join(heard, "、")
		list = strings.ReplaceAll(list, "、等", "等")
		s += "，听取了" + list + "汇报，研究解决项目建设中的困难和问题"
	}
	return s + "。现将会议议定事项纪要如下："
}

// Block is one piece of the minutes' text, in the order printed; every
// rendering (page, PDF, .docx) prints the same blocks.
type Block struct {
	Kind BlockKind
	Text string
}

// BlockKind says how a block prints.
type BlockKind int

const (
	BlockTitle    BlockKind = iota // the red heading
	BlockIssue                     // 2026年第12期
	BlockMasthead                  // the office and the date, above the red rule
	BlockHeading                   // a section heading
	BlockPara                      // a paragraph, indented two characters
	BlockList                      // 出席/请假 lines, not indented
)

// DecisionText is a decision as printed: "一、…。责任单位：…；配合单位：…；责任人：…；完成时限：2026年12月1日前。"
func DecisionText(d Decision) string {
	text := strings.TrimRight(strings.TrimSpace(d.Text), "。；;.")
	s := Numeral(d.Number) + "、"
	if d.Project != "" && !strings.Contains(text, d.Project) {
		s += "关于" + d.Project + "。"
	}
	s += text + "。责任单位：" + d.Owner
	if len(d.Partners) > 0 {
		s += "；配合单位：" + strings.Join(d.Partners, "、")
	}
	if d.Person != "" {
		s += "；责任人：" + d.Person
	}
	return s + "；完成时限：" + ChineseDate(d.Deadline) + "前。"
}

// PreviousText is the paragraph on the previous sitting's decisions.
func PreviousText(p PreviousReview) string {
	t := p.Tally
	if t.Total == 0 {
		return p.Label + "无议定事项。"
	}
	s := fmt.Sprintf("%s议定事项%d项，已办结%d项，办结率%s%%；正在推进%d项", p.Label, t.Total, t.Done, t.Rate, t.Progress)
	if t.Overdue > 0 {
		s += fmt.Sprintf("，其中逾期未办结%d项（%s），请相关单位加快办理，县重点项目办持续跟踪督办，直至办结销号", t.Overdue, strings.Join(p.Laggards, "、"))
	}
	return s + "。"
}

// Blocks are the minutes' text in order; version is "第1版" (a correction
// says its version under the issue number) or the draft's label.
func (m Minutes) Blocks(version string) []Block {
	issue := m.IssueLine()
	switch {
	case m.IssueNo == 0:
		issue = version
	case version != "第1版":
		issue += "（" + version + "）"
	}
	out := []Block{{BlockTitle, m.Title()}, {BlockIssue, issue}, {BlockMasthead, m.Office() + "\t" + ChineseDate(m.IssuedOn)}}
	out = append(out, Block{BlockPara, m.Opening()})
	if m.Previous != nil {
		out = append(out, Block{BlockHeading, "上次会议议定事项落实情况"}, Block{BlockPara, PreviousText(*m.Previous)})
	}
	var heard []Block
	n := 0
	for _, it := range m.Items {
		if strings.TrimSpace(it.Minutes) == "" {
			continue
		}
		n++
		heard = append(heard, Block{BlockPara, fmt.Sprintf("（%s）%s。%s", Numeral(n), strings.TrimSuffix(it.Title, "。"), strings.TrimSpace(it.Minutes))})
	}
	if len(heard) > 0 {
		out = append(out, Block{BlockHeading, "会议研究事项"})
		out = append(out, heard...)
	}
	out = append(out, Block{BlockHeading, "会议议定事项"})
	if len(m.Decisions) == 0 {
		out = append(out, Block{BlockPara, "本次会议无议定事项。"})
	}
	for _, d := range m.Decisions {
		out = append(out, Block{BlockPara, DecisionText(d)})
	}
	if s := strings.TrimSpace(m.Closing); s != "" {
		out = append(out, Block{BlockPara, s})
	}
	if len(m.Present)+len(m.Deputies) > 0 {
		out = append(out, Block{BlockList, "出席：" + strings.Join(append(append([]string{}, m.Present...), m.Deputies...), "、")})
	}
	if len(m.Absent) > 0 {
		out = append(out, Block{BlockList, "请假：" + strings.Join(m.Absent, "、")})
	}
	if len(m.NotPresent) > 0 {
		out = append(out, Block{BlockList, "未到会：" + strings.Join(m.NotPresent, "、")})
	}
	return out
}

// Text is the minutes as plain lines (what a reader of any rendering gets).
func (m Minutes) Text(version string) []string {
	var out []string
	for _, b := range m.Blocks(version) {
		out = append(out, b.Text)
	}
	return out
}

// MinutesFileName is an issued file's name: 光山县-重点项目建设周例会纪要-2026年第12期-第1版.pdf.
func (m Minutes) FileName(version, format string) string {
	issue := m.IssueLine()
	if issue == "" {
		issue = "草稿"
	}
	return fmt.Sprintf("%s-%s纪要-%s-%s.%s", m.County, m.Kind.Name(), issue, version, format)
}
