package meeting

import (
	"math/big"
	"sort"
	"time"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/errs"
)

// ItemKind is what an agenda item takes up.
type ItemKind string

const (
	ItemOverdueAction    ItemKind = "overdue_action"    // a decision of an earlier sitting past its deadline (heard first)
	ItemStalledProject   ItemKind = "stalled_project"   // stalled in the week reviewed (M1.3)
	ItemEscalatedProject ItemKind = "escalated_project" // named for TV questioning in the week reviewed
	ItemProblem          ItemKind = "problem"           // raised to the weekly meeting's chair (M2.3)
	ItemOverdueProcedure ItemKind = "overdue_procedure" // an approval item past its planned date
	ItemMonthFigures     ItemKind = "month_figures"     // the month against 时序进度 (M1.4)
	ItemCommonProblem    ItemKind = "common_problem"    // a kind of problem several projects share (M1.4)
	ItemLeaderReport     ItemKind = "leader_report"     // a subcontracting county leader reports (M1.5)
	ItemModelSpeech      ItemKind = "model_speech"      // 典型发言 / 经验介绍: the best-ranked units
	ItemPledgeSpeech     ItemKind = "pledge_speech"     // 表态发言: the worst-ranked units
	ItemCustom           ItemKind = "custom"            // added by the office
)

// ItemKindNames are the agenda's section headings.
var ItemKindNames = map[ItemKind]string{
	ItemOverdueAction: "上次会议议定事项落实情况", ItemStalledProject: "连续无实质进度项目", ItemEscalatedProject: "电视问政项目",
	ItemProblem: "提请周例会研究的问题", ItemOverdueProcedure: "逾期未办结手续", ItemMonthFigures: "当月重点项目建设情况",
	ItemCommonProblem: "共性问题", ItemLeaderReport: "分包县级领导汇报", ItemModelSpeech: "典型发言", ItemPledgeSpeech: "表态发言",
	ItemCustom: "其他事项",
}

// MaxPicked is how many projects the chair picks for a weekly meeting (M1.2: 1–2).
const MaxPicked = 2

// ActionStatus is where a tracked decision stands.
type ActionStatus string

const (
	ActionOpen     ActionStatus = "open"     // 推进中
	ActionReported ActionStatus = "reported" // the owner reported it done, with evidence; the office checks
	ActionClosed   ActionStatus = "closed"   // 办结销号: verified by the office
)

// ActionStatusNames in Chinese.
var ActionStatusNames = map[ActionStatus]string{ActionOpen: "推进中", ActionReported: "待核销", ActionClosed: "已办结"}

// Overdue says whether an action is past its deadline on today (a date)
// and not closed. An action reported done on time but not yet verified is
// not overdue; one reported late stays overdue until closed.
func Overdue(status ActionStatus, deadline time.Time, reportedOn *time.Time, today time.Time) bool {
	if status == ActionClosed || !deadline.Before(today) {
		return false
	}
	return status == ActionOpen || reportedOn == nil || reportedOn.After(deadline)
}

// Move checks a change of an action's status: open → reported (by its
// owner, with evidence); reported → closed (the office verifies: 办结销号)
// or back to open (not accepted, with a reason).
func Move(from, to ActionStatus, evidence string) error {
	ok := (from == ActionOpen && to == ActionReported) || (from == ActionReported && (to == ActionClosed || to == ActionOpen))
	if !ok {
		return errs.E(errs.Conflict, "action_wrong_state", "督办事项当前为“"+ActionStatusNames[from]+"”，不能改为“"+ActionStatusNames[to]+"”",
			"an action that is "+string(from)+" cannot become "+string(to))
	}
	if (to == ActionReported || (from == ActionReported && to == ActionOpen)) && len([]rune(evidence)) < 4 {
		var v errs.Validation
		if to == ActionReported {
			v.Add("evidence", "required", "报告办结须说明完成情况（至少4个字）", "reporting an action done needs what was done (at least 4 characters)")
		} else {
			v.Add("evidence", "required", "退回须说明原因（至少4个字）", "sending it back needs a reason (at least 4 characters)")
		}
		return v.Err()
	}
	return nil
}

// ActionFact is one action as the figures need it.
type ActionFact struct {
	Sitting string // the sitting's label (第N次周例会)
	Unit    string // the owner unit
	Status  ActionStatus
	Overdue bool
}

// Tally is total / done / in progress / overdue with the done rate, as
// tracked-decision bulletins (督办通报) publish them.
type Tally struct {
	Name     string `json:"name"`
	Total    int    `json:"total"`
	Done     int    `json:"done"`
	Progress int    `json:"in_progress"`
	Overdue  int    `json:"overdue"`
	Rate     string `json:"rate"` // done ÷ total in percent, one decimal, as bulletins round ("" with none)
}

func (t *Tally) add(a ActionFact) {
	t.Total++
	if a.Status == ActionClosed {
		t.Done++
	} else {
		t.Progress++
	}
	if a.Overdue {
		t.Overdue++
	}
}

func (t *Tally) finish() {
	if t.Total > 0 {
		t.Rate = bulletin.Percent(big.NewRat(int64(t.Done), int64(t.Total)))
	}
}

// Figures are the tallies of a set of actions: overall, by sitting (in
// the order given) and by owner unit (most overdue first).
type Figures struct {
	All       Tally   `json:"all"`
	BySitting []Tally `json:"by_sitting"`
	ByUnit    []Tally `json:"by_unit"`
}

// Count tallies actions.
func Count(actions []ActionFact) Figures {
	f := Figures{All: Tally{Name: "合计"}, BySitting: []Tally{}, ByUnit: []Tally{}}
	sittings, units := map[string]int{}, map[string]int{}
	for _, a := range actions {
		f.All.add(a)
		i, ok := sittings[a.Sitting]
		if !ok {
			i = len(f.BySitting)
			sittings[a.Sitting] = i
			f.BySitting = append(f.BySitting, Tally{Name: a.Sitting})
		}
		f.BySitting[i].add(a)
		j, ok := units[a.Unit]
		if !ok {
			j = len(f.ByUnit)
			units[a.Unit] = j
			f.ByUnit = append(f.ByUnit, Tally{Name: a.Unit})
		}
		f.ByUnit[j].add(a)
	}
	f.All.finish()
	for i := range f.BySitting {
		f.BySitting[i].finish()
	}
	for i := range f.ByUnit {
		f.ByUnit[i].finish()
	}
	sort.SliceStable(f.ByUnit, func(i, j int) bool {
		if f.ByUnit[i].Overdue != f.ByUnit[j].Overdue {
			return f.ByUnit[i].Overdue > f.ByUnit[j].Overdue
		}
		return f.ByUnit[i].Name < f.ByUnit[j].Name
	})
	return f
}

// Numeral is 一、二、三 … for numbering decisions (1–99).
func Numeral(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n <= 0 || n > 99:
		return ""
	case n < 10:
		return digits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digits[n-10]
	}
	return digits[n/10] + "十" + digits[n%10]
}
