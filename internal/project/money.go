package project

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxYuan bounds every amount (1万亿元).
const MaxYuan = 1_000_000_000_000

// ParseWan reads an amount in 万元 as written in county spreadsheets
// ("12345.67", "1,234.5", "  300 ") into whole yuan, exactly: at most four
// decimals (1万元 = 10,000 yuan), never through a float.
func ParseWan(s string) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), "，", ""))
	s = strings.TrimSuffix(s, "万元")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty amount")
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if intPart == "" || strings.HasPrefix(intPart, "-") || strings.HasPrefix(intPart, "+") {
		return 0, fmt.Errorf("not an amount: %q", s)
	}
	if hasFrac && (frac == "" || len(frac) > 4) {
		return 0, fmt.Errorf("at most four decimals in 万元: %q", s)
	}
	for _, part := range []string{intPart, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("not an amount: %q", s)
			}
		}
	}
	if len(intPart) > 9 {
		return 0, fmt.Errorf("amount too large: %q", s)
	}
	whole, _ := strconv.ParseInt(intPart, 10, 64)
	frac += strings.Repeat("0", 4-len(frac))
	f, _ := strconv.ParseInt(frac, 10, 64)
	y := whole*10000 + f
	if y > MaxYuan {
		return 0, fmt.Errorf("amount too large: %q", s)
	}
	return y, nil
}

// FormatWan writes whole yuan as 万元 with the decimals needed (exact).
func FormatWan(yuan int64) string {
	sign := ""
	if yuan < 0 {
		sign, yuan = "-", -yuan
	}
	s := fmt.Sprintf("%s%d", sign, yuan/10000)
	if r := yuan % 10000; r != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%04d", r), "0")
	}
	return s
}
