package project

import (
	"testing"
)

// FuzzParseWan: any text either fails or yields whole yuan within
// [0, MaxYuan] that FormatWan writes back and ParseWan reads again to the
// same amount (exact, no float on the way); grouping commas and the 万元
// suffix change nothing.
func FuzzParseWan(f *testing.F) {
	for _, s := range []string{"12345.67", "1,234.5", "  300 ", "0", "0.0001", "100000000", "99999999.9999",
		"1.23456", "-1", "+2", ".5", "5.", "1e3", "３００", "12，345万元", "万元", "1,2,3.4", " 7 万元 ", "0x10", "١٢٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, err := ParseWan(s)
		if err != nil {
			return
		}
		if y < 0 || y > MaxYuan {
			t.Fatalf("ParseWan(%q) = %d, outside [0, %d]", s, y, int64(MaxYuan))
		}
		back := FormatWan(y)
		y2, err := ParseWan(back)
		if err != nil || y2 != y {
			t.Fatalf("ParseWan(%q) = %d, FormatWan = %q, read back as %d, %v", s, y, back, y2, err)
		}
		if y3, err := ParseWan(back + "万元"); err != nil || y3 != y {
			t.Fatalf("%q with 万元: %d, %v", back, y3, err)
		}
	})
}
