// Package observation is the monthly observation (观摩评比, M1.6, M5.1,
// M5.2): the county's rubric, each judge's sheet for a site, a site's
// score from its judges' sheets (mean, trimmed mean or a rank vote),
// units ranked in separate pools with a chain of tie-breaks, and ties
// that remain sharing a rank. Scores are exact (big.Rat) and shown to two
// decimals. It imports neither Echo nor bun.
package observation

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/settings"
)

// Methods of combining judges' sheets into a site's score.
const (
	Mean        = "mean"         // the plain mean of the judges' totals
	TrimmedMean = "trimmed_mean" // one highest and one lowest dropped (plain mean under three judges)
	RankVote    = "rank_vote"    // each judge's ordering of the sites gives rank points (first, then step fewer)
)

// Tie-breaks, tried in order when units' scores are equal.
const (
	TieCompletionRate = "completion_rate" // the higher annual investment completion rate
	TieBestSite       = "best_site"       // the higher best site score
)

// Rubric is the county's rubric in force on an event's day
// (settings.Rubric), with the rules that apply it.
type Rubric struct{ settings.Rubric }

// DefaultRubric is the default setting's rubric.
func DefaultRubric() Rubric { return Rubric{settings.DefaultRubric()} }

// MethodText says how the scores were combined, as the review prints it.
func (r Rubric) MethodText() string {
	switch r.Method {
	case Mean:
		return "各评委评分的算术平均值"
	case RankVote:
		return fmt.Sprintf("名次计分：每位评委按评分排定名次，第一名%d分，每低一名减%d分，取平均值", r.VoteFirst, r.VoteStep)
	}
	return "去掉一个最高分和一个最低分后的平均值（评委不足三人时取平均值）"
}

// Sheet is one judge's points for a site, by item key.
type Sheet map[string]int

// Check refuses points outside an item's range and items not in the rubric.
func (r Rubric) Check(s Sheet) error {
	var v errs.Validation
	known := map[string]settings.RubricItem{}
	for _, it := range r.Items {
		known[it.Key] = it
		p, ok := s[it.Key]
		if !ok {
			v.Add("points."+it.Key, "required", "请为“"+it.Name+"”打分", "score "+it.Key)
		} else if p < 0 || p > it.Max {
			v.Add("points."+it.Key, "out_of_range", fmt.Sprintf("“%s”的分值须在0到%d之间", it.Name, it.Max), fmt.Sprintf("%s is 0 to %d", it.Key, it.Max))
		}
	}
	for k := range s {
		if _, ok := known[k]; !ok {
			v.Add("points."+k, "unknown_item", "评分细则中没有此项", "no such rubric item")
		}
	}
	return v.Err()
}

// Total is a sheet's total: Σ points × weight.
func (r Rubric) Total(s Sheet) int {
	t := 0
	for _, it := range r.Items {
		t += s[it.Key] * it.Weight
	}
	return t
}

// Two is a score shown to two decimals, rounded once.
func Two(r *big.Rat) string {
	if r == nil {
		return ""
	}
	return bulletin.Round(r, 2)
}

// Scores are the sites' scores from the judges' totals: totals[site][judge]
// (a judge who has not scored a site is absent from its map).
func (r Rubric) Scores(totals map[string]map[string]int) map[string]*big.Rat {
	out := map[string]*big.Rat{}
	if r.Method == RankVote {
		// Each judge's ordering of the sites they scored; equal totals share a place.
		votes := map[string][]*big.Rat{}
		judges := map[string]bool{}
		for _, byJudge := range totals {
			for j := range byJudge {
				judges[j] = true
			}
		}
		for j := range judges {
			var sites []string
			for s, byJudge := range totals {
				if _, ok := byJudge[j]; ok {
					sites = append(sites, s)
				}
			}
			for _, s := range sites {
				place := 1
				for _, o := range sites {
					if totals[o][j] > totals[s][j] {
						place++
					}
				}
				votes[s] = append(votes[s], big.NewRat(int64(r.VoteFirst-r.VoteStep*(place-1)), 1))
			}
		}
		for s, v := range votes {
			out[s] = mean(v)
		}
		return out
	}
	for s, byJudge := range totals {
		var v []*big.Rat
		for _, t := range byJudge {
			v = append(v, big.NewRat(int64(t), 1))
		}
		if len(v) == 0 {
			continue
		}
		if r.Method == TrimmedMean && len(v) >= 3 {
			sort.Slice(v, func(i, j int) bool { return v[i].Cmp(v[j]) < 0 })
			v = v[1 : len(v)-1]
		}
		out[s] = mean(v)
	}
	return out
}

func mean(v []*big.Rat) *big.Rat {
	sum := new(big.Rat)
	for _, x := range v {
		sum.Add(sum, x)
	}
	return sum.Quo(sum, big.NewRat(int64(len(v)), 1))
}

// Pools units are ranked in.
const (
	PoolTownships   = "townships"   // 乡镇（街道）
	PoolZones       = "zones"       // 园区
	PoolDepartments = "departments" // 县直单位
)

// PoolNames are the pools as results print them.
var PoolNames = map[string]string{PoolTownships: "乡镇（街道）", PoolZones: "产业集聚区（园区）", PoolDepartments: "县直单位"}

// PoolOf is the pool of a unit kind ("" for enterprises: owners, not ranked).
func (r Rubric) PoolOf(kind string) string {
	switch kind {
	case "street", "town", "township":
		return PoolTownships
	case "zone":
		if r.ZonesOwn {
			return PoolZones
		}
		return PoolTownships
	case "department":
		return PoolDepartments
	}
	return ""
}

// Entry is something ranked: a site or a unit, with its score and what
// the tie-breaks read.
type Entry struct {
	Key            string
	Name           string
	Score          *big.Rat
	CompletionRate *big.Rat // the unit's annual investment completion rate (nil: none)
	BestSite       *big.Rat // the unit's best site score
}

// Ranked is an entry with its rank and, when a tie was met, how it was
// resolved.
type Ranked struct {
	Entry
	Rank    int
	TieNote string
}

func tieValue(e Entry, t string) *big.Rat {
	if t == TieCompletionRate {
		return e.CompletionRate
	}
	return e.BestSite
}

var tieNames = map[string]string{TieCompletionRate: "年度投资完成率", TieBestSite: "最高单个项目得分"}

// Rank orders entries by score, high to low; equal scores are ordered by
// the tie-breaks in turn (a missing value loses); entries still equal
// share a rank (1, 2, 2, 4). Each entry met by a tie says how it ended.
func Rank(entries []Entry, tieBreaks []string) []Ranked {
	out := make([]Ranked, len(entries))
	for i, e := range entries {
		out[i] = Ranked{Entry: e}
	}
	cmp := func(a, b Entry, upto int) int { // >0: a ranks before b
		if c := a.Score.Cmp(b.Score); c != 0 {
			return c
		}
		for _, t := range tieBreaks[:upto] {
			x, y := tieValue(a, t), tieValue(b, t)
			switch {
			case x == nil && y == nil:
				continue
			case x == nil:
				return -1
			case y == nil:
				return 1
			}
			if c := x.Cmp(y); c != 0 {
				return c
			}
		}
		return 0
	}
	full := len(tieBreaks)
	sort.SliceStable(out, func(i, j int) bool {
		if c := cmp(out[i].Entry, out[j].Entry, full); c != 0 {
			return c > 0
		}
		return out[i].Name < out[j].Name
	})
	for i := range out {
		if i > 0 && cmp(out[i].Entry, out[i-1].Entry, full) == 0 {
			out[i].Rank = out[i-1].Rank
		} else {
			out[i].Rank = i + 1
		}
	}
	// How each tie in score ended.
	for i := range out {
		var with []string
		for j := range out {
			if i != j && out[i].Score.Cmp(out[j].Score) == 0 {
				with = append(with, out[j].Name)
			}
		}
		if len(with) == 0 {
			continue
		}
		note := "与" + strings.Join(with, "、") + "得分相同"
		resolved := false
		for k, t := range tieBreaks {
			differs := false
			for j := range out {
				if i != j && out[i].Score.Cmp(out[j].Score) == 0 && cmp(out[i].Entry, out[j].Entry, k+1) != 0 && cmp(out[i].Entry, out[j].Entry, k) == 0 {
					differs = true
				}
			}
			if differs {
				note += "，按" + tieNames[t] + "排序"
				resolved = true
			}
		}
		shared := false
		for j := range out {
			if i != j && out[i].Rank == out[j].Rank {
				shared = true
			}
		}
		if shared {
			note += "，并列第" + fmt.Sprint(out[i].Rank) + "名"
		} else if !resolved {
			note += "，按名称排序"
		}
		out[i].TieNote = note
	}
	return out
}
