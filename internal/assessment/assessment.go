// Package assessment is the half-year and year-end assessment (M1.7,
// M1.8, M5.2–M5.5): each responsible unit's composite score from a frozen
// snapshot of its inputs — investment-target completion, node plan,
// observation, supervision, the letters' commitments — ranked in separate
// pools with the county's tie-breaks, and the outcomes the county's
// settings attach to the ranks (rewards, fines, merits, criticism, pledge
// speeches, the fiscal cut for a township with no key project). Compute
// is a pure function of the snapshot: the same snapshot gives the same
// result, byte for byte. It imports neither Echo nor bun.
package assessment

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/observation"
	"github.com/tuijin/tuijin/internal/settings"
)

// Snapshot is everything an assessment is computed from, frozen when it is
// computed: the period, the rules in force at its end, each unit's facts
// and the office's adjustments.
type Snapshot struct {
	County      string              `json:"county"`
	Period      string              `json:"period"` // half or year
	Start       string              `json:"start"`
	End         string              `json:"end"`
	Label       string              `json:"label"` // 2026年度, 2026年上半年
	Weights     Weights             `json:"weights"`
	Rules       settings.Assessment `json:"rules"`
	ZonesOwn    bool                `json:"zones_own"`
	TieBreaks   []string            `json:"tie_breaks"`
	Rewards     []int64             `json:"rewards_yuan"`
	Fines       []int64             `json:"fines_yuan"`
	FiscalCut   int                 `json:"fiscal_cut_percent"`
	Units       []Unit              `json:"units"`
	Adjustments []Adjustment        `json:"adjustments"`
	// M5.3: the service units, how many are rewarded.
	ServiceUnits    []ServiceUnit `json:"service_units"`
	ServiceRewarded int           `json:"service_rewarded"`
}

// ServiceUnit is a service unit's facts: the ratings of the units it
// served (anonymous), its joint review items and those done, and its
// service commitment letter's items due and kept.
type ServiceUnit struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Head        string `json:"head"`
	Ratings     []int  `json:"ratings"`
	ReviewItems int    `json:"review_items"`
	ReviewDone  int    `json:"review_done"`
	LettersDue  int    `json:"letters_due"`
	LettersKept int    `json:"letters_kept"`
}

// ServiceResult is a service unit's result.
type ServiceResult struct {
	UnitID     string `json:"unit_id"`
	Name       string `json:"name"`
	Score      string `json:"score"`
	Rank       int    `json:"rank"` // 0: nothing to score
	TieNote    string `json:"tie_note"`
	Ratings    int    `json:"ratings"`     // how many units rated it
	RatingMean string `json:"rating_mean"` // "" without ratings
	ReviewRate string `json:"review_rate"` // joint review items done, percent ("" without items)
	Kept       bool   `json:"kept"`        // its commitments kept
}

// Weights of the components (summing to 100).
type Weights struct {
	Investment  int `json:"investment"`
	NodePlan    int `json:"node_plan"`
	Observation int `json:"observation"`
	Supervision int `json:"supervision"`
	Letters     int `json:"letters"`
}

// Unit is a responsible unit's facts for the period.
type Unit struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // street, town, township, zone, department, enterprise
	Head        string   `json:"head"` // 主要负责人, "" when none is recorded
	Projects    int      `json:"projects"`
	PlanYuan    int64    `json:"plan_yuan"`
	DoneYuan    int64    `json:"done_yuan"`
	NodesDue    int      `json:"nodes_due"`
	NodesOnTime int      `json:"nodes_on_time"`
	Observation []string `json:"observation"` // the months' unit scores, exact decimals
	BestSite    string   `json:"best_site"`   // the best site score of the period ("" none)
	StallWeeks  int      `json:"stall_weeks"`
	Escalations int      `json:"escalations"`
	LateReports int      `json:"late_reports"`
	Findings    int      `json:"findings"`
	LettersDue  int      `json:"letters_due"`
	LettersKept int      `json:"letters_kept"`
}

// Adjustment is the office's change to a unit's component, with its reason.
type Adjustment struct {
	UnitID    string `json:"unit_id"`
	Component string `json:"component"` // investment, node_plan, observation, supervision, letters
	Points    string `json:"points"`    // added to the component's score (may be negative), a decimal
	Reason    string `json:"reason"`
	By        string `json:"by"`
}

// Components in the order results print them.
var Components = []string{"investment", "node_plan", "observation", "supervision", "letters"}

// ComponentNames are the components as results print them.
var ComponentNames = map[string]string{"investment": "投资目标完成", "node_plan": "节点计划", "observation": "观摩评比", "supervision": "督导问政", "letters": "责任书承诺"}

// Component is a unit's score on a component (0–100), its weight, the
// points it adds to the composite, and what it lost points for.
type Component struct {
	Name     string `json:"name"`
	Score    string `json:"score"`  // two decimals
	Weight   int    `json:"weight"` // after redistribution when it does not apply
	Points   string `json:"points"` // score × weight ÷ 100, two decimals
	Lost     string `json:"lost"`   // what it lost points for
	Adjusted string `json:"adjusted,omitempty"`
}

// UnitResult is a unit's result.
type UnitResult struct {
	UnitID     string      `json:"unit_id"`
	Name       string      `json:"name"`
	Pool       string      `json:"pool"`
	Score      string      `json:"score"` // composite, two decimals
	Exact      string      `json:"exact"` // the composite as a fraction
	Rank       int         `json:"rank"`  // 0: not ranked
	TieNote    string      `json:"tie_note"`
	Eligible   bool        `json:"eligible"` // for awards
	Note       string      `json:"note"`     // why not ranked or not eligible
	Components []Component `json:"components"`
}

// Outcome is a reward, fine, merit, criticism, pledge speech or fiscal cut.
type Outcome struct {
	Kind       string `json:"kind"` // reward, fine, merit, criticism, pledge, fiscal_cut
	UnitID     string `json:"unit_id"`
	Unit       string `json:"unit"`
	AmountYuan int64  `json:"amount_yuan,omitempty"`
	Persons    string `json:"persons,omitempty"` // who (merits, pledge)
	Reason     string `json:"reason"`
}

// Result is an assessment's result.
type Result struct {
	Label       string          `json:"label"`
	SharedPrize string          `json:"shared_prize"` // how a shared place pays, in words
	Units       []UnitResult    `json:"units"`        // by pool, then rank
	Services    []ServiceResult `json:"service_units"`
	Outcomes    []Outcome       `json:"outcomes"`
}

// Canonical is the result's canonical JSON (what verification compares).
func (r Result) Canonical() []byte {
	b, _ := json.Marshal(r)
	return b
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	return r
}

func two(r *big.Rat) string { return bulletin.Round(r, 2) }

var hundred = big.NewRat(100, 1)

func capped(r *big.Rat) *big.Rat {
	if r.Cmp(hundred) > 0 {
		return new(big.Rat).Set(hundred)
	}
	if r.Sign() < 0 {
		return new(big.Rat)
	}
	return r
}

// Compute computes the result of a snapshot.
func Compute(s Snapshot) Result {
	res := Result{Label: s.Label, Units: []UnitResult{}, Outcomes: []Outcome{}}
	res.SharedPrize = map[string]string{"full": "并列名次各得该名次全额奖金（罚款）", "split": "并列单位平分所占名次的奖金（罚款）"}[s.Rules.SharedPrize]
	rubric := observation.Rubric{Rubric: settings.Rubric{ZonesOwn: s.ZonesOwn}}
	adj := map[string]map[string][]Adjustment{}
	for _, a := range s.Adjustments {
		if adj[a.UnitID] == nil {
			adj[a.UnitID] = map[string][]Adjustment{}
		}
		adj[a.UnitID][a.Component] = append(adj[a.UnitID][a.Component], a)
	}
	pools := map[string][]observation.Entry{}
	byID := map[string]*UnitResult{}
	units := map[string]Unit{}
	var order []string
	for _, u := range s.Units {
		pool := rubric.PoolOf(u.Kind)
		if pool == "" {
			continue // enterprises: owners, not assessed
		}
		ur := UnitResult{UnitID: u.ID, Name: u.Name, Pool: pool, Eligible: true}
		comps, exact, rate := components(s, u, adj[u.ID])
		ur.Components = comps
		ur.Exact, ur.Score = exact.RatString(), two(exact)
		if u.Projects == 0 {
			// Nothing of its own to assess: no score, no rank.
			ur.Eligible, ur.Score, ur.Exact, ur.Components = false, "", "", []Component{}
			ur.Note = "本期无重点项目，不参与排名、不得评先评优"
		} else {
			pools[pool] = append(pools[pool], observation.Entry{Key: u.ID, Name: u.Name, Score: exact, CompletionRate: rate, BestSite: rat(u.BestSite)})
		}
		res.Units = append(res.Units, ur)
		units[u.ID] = u
		order = append(order, u.ID)
	}
	for i := range res.Units { // the slice is complete: its elements stay put
		byID[res.Units[i].UnitID] = &res.Units[i]
	}
	ranked := map[string][]observation.Ranked{}
	for pool, entries := range pools {
		ranked[pool] = observation.Rank(entries, s.TieBreaks)
		for _, r := range ranked[pool] {
			byID[r.Key].Rank, byID[r.Key].TieNote = r.Rank, r.TieNote
		}
	}
	res.Outcomes = outcomes(s, ranked[observation.PoolTownships], ranked[observation.PoolDepartments], units, byID)
	// Townships with no key project: listed for the fiscal cut.
	for _, id := range order {
		u := units[id]
		if u.Projects == 0 && rubric.PoolOf(u.Kind) == observation.PoolTownships && s.Period == "year" && s.FiscalCut > 0 {
			res.Outcomes = append(res.Outcomes, Outcome{Kind: "fiscal_cut", UnitID: id, Unit: u.Name,
				Reason: fmt.Sprintf("全年无重点项目，不参与排名，取消评先评优资格，扣减下年度财政预算分配%d%%", s.FiscalCut)})
		}
	}
	res.Services = services(s, &res.Outcomes)
	sort.SliceStable(res.Units, func(i, j int) bool {
		a, b := res.Units[i], res.Units[j]
		if a.Pool != b.Pool {
			return poolOrder[a.Pool] < poolOrder[b.Pool]
		}
		if (a.Rank == 0) != (b.Rank == 0) {
			return b.Rank == 0
		}
		if a.Rank != b.Rank {
			return a.Rank < b.Rank
		}
		return a.Name < b.Name
	})
	return res
}

var poolOrder = map[string]int{observation.PoolTownships: 0, observation.PoolZones: 1, observation.PoolDepartments: 2}

// components scores a unit; a component with nothing to measure (no
// planned investment, no node due, no observation, no letter item due)
// gives its weight to the others in proportion.
func components(s Snapshot, u Unit, adj map[string][]Adjustment) ([]Component, *big.Rat, *big.Rat) {
	type part struct {
		score  *big.Rat
		weight int
		lost   string
	}
	parts := map[string]*part{}
	var rate *big.Rat
	if u.PlanYuan > 0 {
		rate = big.NewRat(u.DoneYuan, u.PlanYuan)
		p := &part{score: capped(new(big.Rat).Mul(rate, hundred)), weight: s.Weights.Investment}
		if rate.Cmp(big.NewRat(1, 1)) < 0 {
			p.lost = fmt.Sprintf("年度计划投资%s万元，完成%s万元（%s%%）", bulletin.Wan(u.PlanYuan), bulletin.Wan(u.DoneYuan), bulletin.Percent(rate))
		}
		parts["investment"] = p
	}
	if u.NodesDue > 0 {
		p := &part{score: new(big.Rat).Mul(big.NewRat(int64(u.NodesOnTime), int64(u.NodesDue)), hundred), weight: s.Weights.NodePlan}
		if u.NodesOnTime < u.NodesDue {
			p.lost = fmt.Sprintf("应完成节点%d个，按期完成%d个", u.NodesDue, u.NodesOnTime)
		}
		parts["node_plan"] = p
	}
	if len(u.Observation) > 0 {
		sum := new(big.Rat)
		n := 0
		for _, o := range u.Observation {
			if r := rat(o); r != nil {
				sum.Add(sum, r)
				n++
			}
		}
		if n > 0 {
			parts["observation"] = &part{score: sum.Quo(sum, big.NewRat(int64(n), 1)), weight: s.Weights.Observation, lost: fmt.Sprintf("%d次观摩平均得分", n)}
		}
	}
	{
		r := s.Rules
		lost := u.StallWeeks*r.PerStallWeek + u.Escalations*r.PerEscalation + u.LateReports*r.PerLateReport + u.Findings*r.PerFinding
		p := &part{score: capped(big.NewRat(int64(100-lost), 1)), weight: s.Weights.Supervision}
		var why []string
		for _, x := range []struct {
			n, per int
			what   string
		}{{u.StallWeeks, r.PerStallWeek, "项目停滞%d周"}, {u.Escalations, r.PerEscalation, "电视问政%d次"}, {u.LateReports, r.PerLateReport, "周报迟报漏报%d次"}, {u.Findings, r.PerFinding, "督导发现问题%d个"}} {
			if x.n > 0 && x.per > 0 {
				why = append(why, fmt.Sprintf(x.what+"扣%d分", x.n, x.n*x.per))
			}
		}
		p.lost = strings.Join(why, "，")
		parts["supervision"] = p
	}
	if u.LettersDue > 0 {
		p := &part{score: new(big.Rat).Mul(big.NewRat(int64(u.LettersKept), int64(u.LettersDue)), hundred), weight: s.Weights.Letters}
		if u.LettersKept < u.LettersDue {
			p.lost = fmt.Sprintf("责任书承诺事项%d项，按期兑现%d项", u.LettersDue, u.LettersKept)
		}
		parts["letters"] = p
	}
	// Weights of components that do not apply go to the others, in proportion.
	present, total := 0, 0
	weights := map[string]int{"investment": s.Weights.Investment, "node_plan": s.Weights.NodePlan, "observation": s.Weights.Observation,
		"supervision": s.Weights.Supervision, "letters": s.Weights.Letters}
	for _, c := range Components {
		total += weights[c]
		if parts[c] != nil {
			present += weights[c]
		}
	}
	composite := new(big.Rat)
	var out []Component
	for _, c := range Components {
		p := parts[c]
		if p == nil {
			if weights[c] > 0 {
				out = append(out, Component{Name: c, Weight: 0, Lost: "本期无可考核事项，权重按比例计入其他各项"})
			}
			continue
		}
		score := new(big.Rat).Set(p.score)
		comp := Component{Name: c, Lost: p.lost}
		var adjusted []string
		for _, a := range adj[c] {
			if d := rat(a.Points); d != nil {
				score.Add(score, d)
				adjusted = append(adjusted, fmt.Sprintf("%s分（%s）", a.Points, a.Reason))
			}
		}
		score = capped(score)
		comp.Adjusted = strings.Join(adjusted, "；")
		w := big.NewRat(int64(p.weight), 1)
		if present > 0 && present != total {
			w.Mul(w, big.NewRat(int64(total), int64(present)))
		}
		pts := new(big.Rat).Quo(new(big.Rat).Mul(score, w), hundred)
		composite.Add(composite, pts)
		comp.Score, comp.Points = two(score), two(pts)
		comp.Weight = p.weight
		out = append(out, comp)
	}
	return out, composite, rate
}

func amounts(list []int64, place int) int64 {
	if place >= 1 && place <= len(list) {
		return list[place-1]
	}
	return 0
}

// pay is what each of the units sharing rank (the places rank … rank+n-1)
// gets from list, by the shared-prize setting.
func pay(list []int64, rank, n int, how string) int64 {
	if how == "split" {
		var sum int64
		for p := rank; p < rank+n; p++ {
			sum += amounts(list, p)
		}
		return sum / int64(n)
	}
	return amounts(list, rank)
}

func outcomes(s Snapshot, towns, depts []observation.Ranked, units map[string]Unit, byID map[string]*UnitResult) []Outcome {
	out := []Outcome{}
	share := func(list []observation.Ranked, rank int) int {
		n := 0
		for _, r := range list {
			if r.Rank == rank {
				n++
			}
		}
		return n
	}
	heads := func(id string) string {
		h := units[id].Head
		if h == "" {
			h = "（主要负责人未登记）"
		}
		return "党政主要负责人" + h + "及分管负责人"
	}
	if s.Period == "year" {
		for _, r := range towns {
			if a := pay(s.Rewards, r.Rank, share(towns, r.Rank), s.Rules.SharedPrize); a > 0 && r.Rank <= len(s.Rewards) {
				out = append(out, Outcome{Kind: "reward", UnitID: r.Key, Unit: r.Name, AmountYuan: a, Reason: fmt.Sprintf("乡镇（街道）考核第%d名", r.Rank)})
				out = append(out, Outcome{Kind: "merit", UnitID: r.Key, Unit: r.Name, Persons: heads(r.Key), Reason: fmt.Sprintf("记三等功（乡镇（街道）考核第%d名）", r.Rank)})
			}
		}
		// Fines from the bottom: the last place pays fines[0], the one above fines[1].
		n := len(towns)
		for _, r := range towns {
			fromBottom := n - r.Rank + 1 // 1 = last
			tied := share(towns, r.Rank)
			// The places the tied units occupy, counted from the bottom.
			lastPlace := fromBottom - tied + 1
			var amount int64
			if s.Rules.SharedPrize == "split" {
				var sum int64
				for p := lastPlace; p <= fromBottom; p++ {
					sum += amounts(s.Fines, p)
				}
				amount = sum / int64(tied)
			} else {
				amount = amounts(s.Fines, lastPlace)
			}
			if amount > 0 && r.Rank > len(s.Rewards) {
				out = append(out, Outcome{Kind: "fine", UnitID: r.Key, Unit: r.Name, AmountYuan: amount, Reason: fmt.Sprintf("乡镇（街道）考核倒数第%d名", lastPlace)})
			}
			if lastPlace == 1 && r.Rank > len(s.Rewards) {
				byID[r.Key].Eligible = false
				byID[r.Key].Note = "考核排名末位，取消评先评优资格"
				out = append(out, Outcome{Kind: "criticism", UnitID: r.Key, Unit: r.Name, Reason: "乡镇（街道）考核排名末位，全县通报批评"})
				out = append(out, Outcome{Kind: "pledge", UnitID: r.Key, Unit: r.Name, Persons: strings.TrimPrefix(heads(r.Key), "党政"), Reason: "在年终总结大会上作表态发言"})
			}
		}
		task := big.NewRat(int64(s.Rules.TaskPercent), 100)
		for _, r := range depts {
			u := units[r.Key]
			if u.PlanYuan == 0 {
				continue
			}
			if big.NewRat(u.DoneYuan, u.PlanYuan).Cmp(task) >= 0 {
				out = append(out, Outcome{Kind: "merit", UnitID: r.Key, Unit: r.Name, Persons: "主要负责人" + orNone(u.Head) + "及分管负责人",
					Reason: "完成年度重点项目建设任务，记功"})
			} else {
				byID[r.Key].Eligible = false
				byID[r.Key].Note = "未完成年度重点项目建设任务，不得评先评优"
				out = append(out, Outcome{Kind: "criticism", UnitID: r.Key, Unit: r.Name, Reason: "未完成年度重点项目建设任务，全县通报批评"})
			}
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "（未登记）"
	}
	return s
}

// services scores and ranks the service units (M5.3): the ratings' mean
// weighted with the joint review completion rate by the setting (either
// alone when the other is missing); the best get merits, the last that
// missed its commitments is criticised and its head admonished.
func services(s Snapshot, out *[]Outcome) []ServiceResult {
	res := []ServiceResult{}
	var entries []observation.Entry
	heads := map[string]string{}
	kept := map[string]bool{}
	for _, u := range s.ServiceUnits {
		r := ServiceResult{UnitID: u.ID, Name: u.Name, Ratings: len(u.Ratings), Kept: u.LettersKept >= u.LettersDue}
		heads[u.ID], kept[u.ID] = u.Head, r.Kept
		var rating, review *big.Rat
		if len(u.Ratings) > 0 {
			sum := 0
			for _, x := range u.Ratings {
				sum += x
			}
			rating = big.NewRat(int64(sum), int64(len(u.Ratings)))
			r.RatingMean = two(rating)
		}
		if u.ReviewItems > 0 {
			review = new(big.Rat).Mul(big.NewRat(int64(u.ReviewDone), int64(u.ReviewItems)), hundred)
			r.ReviewRate = two(review)
		}
		var score *big.Rat
		switch {
		case rating != nil && review != nil:
			p := big.NewRat(int64(s.Rules.ServiceRatingPercent), 100)
			score = new(big.Rat).Add(new(big.Rat).Mul(rating, p), new(big.Rat).Mul(review, new(big.Rat).Sub(big.NewRat(1, 1), p)))
		case rating != nil:
			score = rating
		case review != nil:
			score = review
		}
		if score != nil {
			r.Score = two(score)
			entries = append(entries, observation.Entry{Key: u.ID, Name: u.Name, Score: score})
		}
		res = append(res, r)
	}
	ranked := observation.Rank(entries, nil)
	rank := map[string]observation.Ranked{}
	for _, x := range ranked {
		rank[x.Key] = x
	}
	for i := range res {
		if x, ok := rank[res[i].UnitID]; ok {
			res[i].Rank, res[i].TieNote = x.Rank, x.TieNote
		}
	}
	sort.SliceStable(res, func(i, j int) bool {
		a, b := res[i], res[j]
		if (a.Rank == 0) != (b.Rank == 0) {
			return b.Rank == 0
		}
		if a.Rank != b.Rank {
			return a.Rank < b.Rank
		}
		return a.Name < b.Name
	})
	if s.Period != "year" || len(ranked) == 0 {
		return res
	}
	last := ranked[len(ranked)-1].Rank
	for _, x := range ranked {
		if x.Rank <= s.ServiceRewarded && x.Rank != last {
			*out = append(*out, Outcome{Kind: "merit", UnitID: x.Key, Unit: x.Name, Persons: "主要负责人" + orNone(heads[x.Key]) + "、分管负责人及科室负责人",
				Reason: fmt.Sprintf("服务单位考核第%d名，记功", x.Rank)})
		}
		if x.Rank == last && !kept[x.Key] {
			*out = append(*out, Outcome{Kind: "criticism", UnitID: x.Key, Unit: x.Name, Reason: "服务单位考核排名末位且未兑现服务承诺，全县通报批评"})
			*out = append(*out, Outcome{Kind: "admonishment", UnitID: x.Key, Unit: x.Name, Persons: "主要负责人" + orNone(heads[x.Key]), Reason: "对主要负责人进行诫勉谈话"})
		}
	}
	return res
}
