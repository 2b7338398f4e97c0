package project

import (
	"testing"

	"github.com/google/uuid"
)

func TestParseWanIsExact(t *testing.T) {
	for in, want := range map[string]int64{"12345.67": 123456700, "1,234.5": 12345000, " 300 ": 3000000, "0.0001": 1,
		"337130": 3371300000, "56.21万元": 562100, "99999999.9999": 999999999999} {
		got, err := ParseWan(in)
		if err != nil || got != want {
			t.Errorf("ParseWan(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, _ := ParseWan(FormatWan(got)); back != got {
			t.Errorf("FormatWan(%d) = %q does not read back", got, FormatWan(got))
		}
	}
	for _, bad := range []string{"", "abc", "-5", "1.23456", "1e5", "12.", "一百", "1000000000"} {
		if _, err := ParseWan(bad); err == nil {
			t.Errorf("ParseWan(%q) accepted", bad)
		}
	}
}

func TestCheckHolder(t *testing.T) {
	unit, other, head, deputy := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	noHead := HolderUnit{ID: unit}
	withHead := HolderUnit{ID: unit, HeadID: &head, HeadName: "罗军"}
	cases := []struct {
		role Role
		who  Candidate
		unit HolderUnit
		ok   bool
	}{
		{RoleChief, Candidate{Rank: "county_leader"}, noHead, true},
		{RoleChief, Candidate{Rank: "section_level", UnitID: &unit}, noHead, false},
		{RoleAssistant, Candidate{Rank: "section_level", UnitID: &other}, noHead, true},
		{RoleAssistant, Candidate{Rank: "county_leader"}, noHead, false},
		// Without a recorded head any person of the unit; with one, only the head.
		{RoleResponsible, Candidate{ID: deputy, Rank: "section_level", UnitID: &unit}, noHead, true},
		{RoleResponsible, Candidate{ID: deputy, Rank: "section_level", UnitID: &other}, noHead, false},
		{RoleResponsible, Candidate{ID: head, Rank: "section_level", UnitID: &unit}, withHead, true},
		{RoleResponsible, Candidate{ID: deputy, Rank: "section_level", UnitID: &unit}, withHead, false},
		{RoleHelper, Candidate{ID: deputy, Rank: "section_level", UnitID: &unit}, withHead, true},
		{RoleHelper, Candidate{Rank: "other", UnitID: &unit}, noHead, false},
	}
	for _, c := range cases {
		if err := CheckHolder(c.role, c.who, c.unit); (err == nil) != c.ok {
			t.Errorf("%s %+v %+v: %v", c.role, c.who, c.unit, err)
		}
	}
}

func TestCheckPlanAddsUp(t *testing.T) {
	months := make([]MonthTarget, 12)
	for i := range months {
		months[i] = MonthTarget{Month: i + 1, InvestmentYuan: 1_000_000}
	}
	year := int64(12_000_000)
	if err := CheckPlan(Plan{Year: 2026, Months: months}, &year); err != nil {
		t.Fatal(err)
	}
	year++
	if err := CheckPlan(Plan{Year: 2026, Months: months}, &year); err == nil {
		t.Fatal("targets one yuan short accepted")
	}
	if err := CheckPlan(Plan{Year: 2026, Months: months[:11]}, nil); err == nil {
		t.Fatal("eleven months accepted")
	}
}
