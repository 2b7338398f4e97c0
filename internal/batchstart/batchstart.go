// Package batchstart is batch ground-breaking (双月开工, M1.1): the rounds
// of a year (a window every cadence_batch_start, from January), the listed
// projects planned to start in a round's window, and how each stands —
// started early, on time or late, or not yet, with its unit's reason. It
// imports neither Echo nor bun.
package batchstart

import (
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/tuijin/tuijin/internal/bulletin"
	"github.com/tuijin/tuijin/internal/settings"
)

// Window is a round's span of days (inclusive).
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Label is 2026年1-2月, or the days for a cadence in weeks.
func (w Window) Label() string {
	if w.From.Day() == 1 && w.To.AddDate(0, 0, 1).Day() == 1 {
		if w.From.Month() == w.To.Month() {
			return fmt.Sprintf("%d年%d月", w.From.Year(), int(w.From.Month()))
		}
		return fmt.Sprintf("%d年%d-%d月", w.From.Year(), int(w.From.Month()), int(w.To.Month()))
	}
	return fmt.Sprintf("%d年%d月%d日—%d月%d日", w.From.Year(), int(w.From.Month()), w.From.Day(), int(w.To.Month()), w.To.Day())
}

// WindowOf is the round whose window holds day: every c.Every months from
// January (or every c.Every weeks from the Monday of ISO week 1), within
// day's year.
func WindowOf(c settings.Cadence, day time.Time) Window {
	every := c.Every
	if every < 1 {
		every = 1
	}
	if c.Unit == "week" {
		y, _ := day.ISOWeek()
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
		week1 := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
		n := int(day.Sub(week1).Hours()/24) / (7 * every)
		from := week1.AddDate(0, 0, 7*every*n)
		return Window{From: from, To: from.AddDate(0, 0, 7*every-1)}
	}
	m := (int(day.Month()) - 1) / every * every
	from := time.Date(day.Year(), time.Month(m+1), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, every, -1)
	if to.Year() != from.Year() {
		to = time.Date(from.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return Window{From: from, To: to}
}

// Timing is how a project of a round started.
type Timing string

const (
	Early      Timing = "early"       // before its round's window
	OnTime     Timing = "on_time"     // within it
	Late       Timing = "late"        // after it
	Undated    Timing = "undated"     // recorded under construction, no date of main works
	NotStarted Timing = "not_started" // not yet
)

// TimingNames are the timings as the bulletins print them.
var TimingNames = map[Timing]string{Early: "提前开工", OnTime: "按期开工", Late: "延期开工", Undated: "已开工（未填开工日期）", NotStarted: "未开工"}

// Project is a project of a round as the figures need it.
type Project struct {
	Code         string     `json:"code"`
	Name         string     `json:"name"`
	Unit         string     `json:"unit"`
	PlannedStart time.Time  `json:"planned_start"`
	StartedOn    *time.Time `json:"started_on"` // the day main works began, when recorded
	Started      bool       `json:"started"`    // started by the day counted (date or status)
	Reason       string     `json:"reason"`     // the unit's reason it has not started
	Present      bool       `json:"present"`    // at the ceremony
	Timing       Timing     `json:"timing"`     // set by Count
}

// TimingOf is how p started relative to window w.
func TimingOf(p Project, w Window) Timing {
	switch {
	case !p.Started:
		return NotStarted
	case p.StartedOn == nil:
		return Undated
	case p.StartedOn.Before(w.From):
		return Early
	case p.StartedOn.After(w.To):
		return Late
	}
	return OnTime
}

// Figures are a round's figures: planned, started (early, on time, late,
// undated), the start rate, and the projects in order (not started first).
type Figures struct {
	Window     Window    `json:"window"`
	Label      string    `json:"label"`
	Planned    int       `json:"planned"`
	Started    int       `json:"started"`
	Early      int       `json:"early"`
	OnTime     int       `json:"on_time"`
	Late       int       `json:"late"`
	Undated    int       `json:"undated"`
	NotStarted int       `json:"not_started"`
	Rate       string    `json:"rate"` // started ÷ planned, percent, one decimal ("" with none planned)
	Projects   []Project `json:"projects"`
}

// Count classifies a round's projects (each with Started decided on the
// day counted).
func Count(w Window, ps []Project) Figures {
	f := Figures{Window: w, Label: w.Label(), Projects: make([]Project, len(ps))}
	for i, p := range ps {
		p.Timing = TimingOf(p, w)
		f.Projects[i] = p
		f.Planned++
		switch p.Timing {
		case NotStarted:
			f.NotStarted++
			continue
		case Early:
			f.Early++
		case OnTime:
			f.OnTime++
		case Late:
			f.Late++
		case Undated:
			f.Undated++
		}
		f.Started++
	}
	if f.Planned > 0 {
		f.Rate = bulletin.Percent(big.NewRat(int64(f.Started), int64(f.Planned)))
	}
	sort.SliceStable(f.Projects, func(i, j int) bool {
		a, b := f.Projects[i], f.Projects[j]
		if (a.Timing == NotStarted) != (b.Timing == NotStarted) {
			return a.Timing == NotStarted
		}
		if !a.PlannedStart.Equal(b.PlannedStart) {
			return a.PlannedStart.Before(b.PlannedStart)
		}
		return a.Code < b.Code
	})
	return f
}
