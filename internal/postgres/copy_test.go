package postgres

import (
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestCopyLine: fields in COPY's text format, escaped as COPY reads them.
func TestCopyLine(t *testing.T) {
	var l copyLine
	f, n := 114.123456, 35
	d := time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
	l.int(7)
	l.uuid(uuid.MustParse("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"))
	l.text("tab\there, line\nend, cr\r, back\\slash \\N")
	l.uuidPtr(nil)
	l.float(&f)
	l.intPtr(&n)
	l.datePtr(&d)
	l.textArray([]string{`q"uote`, `b\s`, "t\tab", "{}", ""})
	l.textArray(nil)
	l.bytes([]byte(`{"a":"\"\\"}`))
	l.end()
	l.int(8)
	l.end()
	want := "7\t0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9\ttab\\there, line\\nend, cr\\r, back\\\\slash \\\\N\t\\N\t114.123456\t35\t2031-03-01\t" +
		`{"q\\"uote","b\\\\s","t\tab","{}",""}` + "\t{}\t" + `{"a":"\\"\\\\"}` + "\n8\n"
	if string(l.b) != want {
		t.Fatalf("got\n%q\nwant\n%q", l.b, want)
	}
}

// TestCopyRows: the rows come out whole, in order, however they are read.
func TestCopyRows(t *testing.T) {
	n := 0
	r := &copyRows{row: func(b []byte) ([]byte, bool, error) {
		if n == 5000 {
			return b, false, nil
		}
		var l copyLine
		l.b = b
		l.int(int64(n))
		l.text("项目")
		l.end()
		n++
		return l.b, true, nil
	}}
	got, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	var l copyLine
	for i := range 5000 {
		l.int(int64(i))
		l.text("项目")
		l.end()
	}
	if string(got) != string(l.b) {
		t.Fatal("the rows differ")
	}
}
