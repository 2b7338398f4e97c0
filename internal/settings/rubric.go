package settings

import "github.com/tuijin/tuijin/internal/errs"

// RubricItem is an observation rubric item: its key, name, maximum points
// and weight.
type RubricItem struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Max    int    `json:"max"`
	Weight int    `json:"weight"` // the points count this many times
}

// Rubric is how a county scores its monthly observation (M1.6): the items,
// how judges' sheets combine (mean, trimmed_mean or rank_vote with the
// first place's points and the step), whether zones are ranked in a pool
// of their own, and the tie-breaks in order (completion_rate, best_site).
// internal/observation applies it.
type Rubric struct {
	Items     []RubricItem `json:"items"`
	Method    string       `json:"method"`
	VoteFirst int          `json:"vote_first"`
	VoteStep  int          `json:"vote_step"`
	ZonesOwn  bool         `json:"zones_own"`
	TieBreaks []string     `json:"tie_breaks"`
}

// DefaultRubric is Guangshan's: four items of 100 points in all, trimmed
// mean, zones with the townships, ties broken by the investment completion
// rate and then the best site.
func DefaultRubric() Rubric {
	return Rubric{Items: []RubricItem{{"image", "形象进度", 30, 1}, {"investment", "投资完成", 30, 1}, {"quality", "质量安全", 20, 1}, {"highlight", "亮点特色", 20, 1}},
		Method: "trimmed_mean", VoteFirst: 100, VoteStep: 3, TieBreaks: []string{"completion_rate", "best_site"}}
}

func (r Rubric) validate(field string, v *errs.Validation) {
	if len(r.Items) == 0 || len(r.Items) > 12 {
		v.Add(field+".items", "invalid_items", "评分细则须有1至12项", "a rubric has 1 to 12 items")
	}
	seen := map[string]bool{}
	for _, it := range r.Items {
		if it.Key == "" || seen[it.Key] || it.Name == "" || it.Max < 1 || it.Max > 100 || it.Weight < 1 || it.Weight > 10 {
			v.Add(field+".items", "invalid_item", "评分项须有唯一代码、名称、1-100的满分和1-10的权重", "each item needs a unique key, a name, a maximum of 1-100 and a weight of 1-10")
			break
		}
		seen[it.Key] = true
	}
	switch r.Method {
	case "mean", "trimmed_mean":
	case "rank_vote":
		if r.VoteFirst < 1 || r.VoteStep < 0 {
			v.Add(field+".vote_first", "invalid_vote", "名次计分须有第一名分值和逐名递减分值", "a rank vote needs the first place's points and a step")
		}
	default:
		v.Add(field+".method", "invalid_method", "计分方法须为 mean、trimmed_mean 或 rank_vote", "method must be mean, trimmed_mean or rank_vote")
	}
	for _, t := range r.TieBreaks {
		if t != "completion_rate" && t != "best_site" {
			v.Add(field+".tie_breaks", "invalid_tie_break", "并列处理规则须为 completion_rate 或 best_site", "tie-breaks are completion_rate or best_site")
			break
		}
	}
}
