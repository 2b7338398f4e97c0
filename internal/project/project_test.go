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
	unit, other := uuid.New(), uuid.New()
	cases := []struct {
		role Role
		who  Candidate
		ok   bool
	}{
		{RoleChief, Candidate{"county_leader", nil}, true},
		{RoleChief, Candidate{"section_level", &unit}, false},
		{RoleAssistant, Candidate{"section_level", &other}, true},
		{RoleAssistant, Candidate{"county_leader", nil}, false},
		{RoleResponsible, Candidate{"section_level", &unit}, true},
		{RoleResponsible, Candidate{"section_level", &other}, false},
		{RoleHelper, Candidate{"section_level", &unit}, true},
		{RoleHelper, Candidate{"other", &unit}, false},
	}
	for _, c := range cases {
		if err := CheckHolder(c.role, c.who, unit); (err == nil) != c.ok {
			t.Errorf("%s %+v: %v", c.role, c.who, err)
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
