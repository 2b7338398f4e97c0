package meeting

import (
	"fmt"
	"strings"
	"time"
)

// Event is one sitting as a calendar shows it.
type Event struct {
	UID         string
	Summary     string
	Location    string
	Description string
	URL         string
	Start       time.Time
	Duration    time.Duration
	Cancelled   bool
	Sequence    int // bumped on every change, so subscribers update the event
	Stamp       time.Time
}

// ICalendar writes events as an iCalendar (RFC 5545) feed: CRLF lines
// folded at 75 octets without splitting a character, text escaped, times
// in UTC so that no time-zone definition is needed.
func ICalendar(name string, events []Event) []byte {
	var b strings.Builder
	line := func(s string) {
		limit := 75 // octets; a continuation line's leading space counts
		for len(s) > limit {
			cut := limit
			for cut > 0 && !utf8Start(s[cut]) {
				cut--
			}
			b.WriteString(s[:cut])
			b.WriteString("\r\n ")
			s, limit = s[cut:], 74
		}
		b.WriteString(s)
		b.WriteString("\r\n")
	}
	utc := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//tuijin//meetings//ZH")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escapeText(name))
	line("X-WR-TIMEZONE:Asia/Shanghai")
	for _, e := range events {
		line("BEGIN:VEVENT")
		line("UID:" + e.UID)
		line("DTSTAMP:" + utc(e.Stamp))
		line("DTSTART:" + utc(e.Start))
		line("DTEND:" + utc(e.Start.Add(e.Duration)))
		line(fmt.Sprintf("SEQUENCE:%d", e.Sequence))
		line("SUMMARY:" + escapeText(e.Summary))
		if e.Location != "" {
			line("LOCATION:" + escapeText(e.Location))
		}
		if e.Description != "" {
			line("DESCRIPTION:" + escapeText(e.Description))
		}
		if e.URL != "" {
			line("URL:" + e.URL)
		}
		if e.Cancelled {
			line("STATUS:CANCELLED")
		} else {
			line("STATUS:CONFIRMED")
		}
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return []byte(b.String())
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }

// escapeText escapes a TEXT value (RFC 5545 §3.3.11).
func escapeText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}
