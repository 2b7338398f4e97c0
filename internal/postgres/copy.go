package postgres

import (
	"encoding/hex"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// copyRows is the data of a COPY ... FROM STDIN in text format, made a few
// rows at a time as it is read: row appends one row (its line) to b and
// reports false when there are no more.
type copyRows struct {
	row  func(b []byte) ([]byte, bool, error)
	buf  []byte
	off  int
	done bool
}

// copyChunk is about how much is made at a time.
const copyChunk = 32 << 10

func (r *copyRows) Read(p []byte) (int, error) {
	for r.off == len(r.buf) {
		if r.done {
			return 0, io.EOF
		}
		r.buf, r.off = r.buf[:0], 0
		for len(r.buf) < copyChunk && !r.done {
			var more bool
			var err error
			if r.buf, more, err = r.row(r.buf); err != nil {
				return 0, err
			}
			r.done = !more
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// copyLine builds lines of COPY text format: fields separated by tabs,
// each escaped, a newline after each line.
type copyLine struct {
	b      []byte
	fields int // in the line being built
}

func (l *copyLine) sep() {
	if l.fields > 0 {
		l.b = append(l.b, '\t')
	}
	l.fields++
}

func (l *copyLine) end() {
	l.b = append(l.b, '\n')
	l.fields = 0
}

func (l *copyLine) null() {
	l.sep()
	l.b = append(l.b, `\N`...)
}

// text is a text field: backslash, and the tab, newline and carriage
// return that would end the field or the line, are escaped.
func (l *copyLine) text(s string) {
	l.sep()
	l.b = appendCopyEscaped(l.b, s)
}

func appendCopyEscaped[T string | []byte](b []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func (l *copyLine) bytes(s []byte) {
	l.sep()
	l.b = appendCopyEscaped(l.b, s)
}

func (l *copyLine) int(n int64) {
	l.sep()
	l.b = strconv.AppendInt(l.b, n, 10)
}

func (l *copyLine) intPtr(n *int) {
	if n == nil {
		l.null()
		return
	}
	l.int(int64(*n))
}

// float is written as bun writes a float for a numeric column.
func (l *copyLine) float(f *float64) {
	if f == nil {
		l.null()
		return
	}
	l.sep()
	l.b = strconv.AppendFloat(l.b, *f, 'f', -1, 64)
}

func (l *copyLine) uuid(u uuid.UUID) {
	l.sep()
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	l.b = append(l.b, s[:]...)
}

func (l *copyLine) uuidPtr(u *uuid.UUID) {
	if u == nil {
		l.null()
		return
	}
	l.uuid(*u)
}

// date is the day of t in UTC, as bun writes a time for a date column.
func (l *copyLine) date(t time.Time) {
	l.sep()
	l.b = t.UTC().AppendFormat(l.b, time.DateOnly)
}

func (l *copyLine) datePtr(t *time.Time) {
	if t == nil {
		l.null()
		return
	}
	l.date(*t)
}

// textArray is a text[] field: every element quoted, then the whole escaped
// as a text field.
func (l *copyLine) textArray(a []string) {
	l.sep()
	l.b = append(l.b, '{')
	for i, s := range a {
		if i > 0 {
			l.b = append(l.b, ',')
		}
		l.b = append(l.b, '"')
		for j := 0; j < len(s); j++ {
			switch c := s[j]; c {
			case '"': // \" in the array, its backslash escaped for COPY
				l.b = append(l.b, `\\"`...)
			case '\\': // \\ in the array, both escaped for COPY
				l.b = append(l.b, `\\\\`...)
			case '\t':
				l.b = append(l.b, `\t`...)
			case '\n':
				l.b = append(l.b, `\n`...)
			case '\r':
				l.b = append(l.b, `\r`...)
			default:
				l.b = append(l.b, c)
			}
		}
		l.b = append(l.b, '"')
	}
	l.b = append(l.b, '}')
}
