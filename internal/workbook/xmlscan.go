package workbook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// scanner reads the XML of a workbook part as a stream of tags and text,
// reusing its buffers: encoding/xml allocates every token it returns (the
// element, its attributes, the interface holding them), some 400 bytes a
// cell, which for a sheet of thousands of rows was most of what reading an
// upload allocated. Whatever encoding/xml's RawToken reads, the scanner
// reads alike (FuzzScanner), refusing what it refuses about what the
// readers rely on: entities, the character range, UTF-8, quoted attribute
// values, the declared version and encoding. (It lets "--" inside a comment
// and "]]>" in text pass.) Names are given without their prefix, which is
// all the readers use besides whether an attribute has one. Comments,
// processing instructions and directives are skipped.
type scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	eof      bool
	readErr  error

	name    []byte    // the local name of the start or end tag
	attrs   []xmlAttr // the start tag's attributes
	text    []byte    // a piece of character data, entities decoded
	scratch []byte    // decoded attribute values and text

	closeNext bool   // a self-closing tag's end comes next
	closeName []byte // its name
	inCDATA   bool   // within a CDATA section given in pieces
}

// xmlAttr is an attribute: its local name, whether the name has a prefix,
// and its value.
type xmlAttr struct {
	name     []byte
	prefixed bool
	value    []byte
}

type tokKind int

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
	tokNone // an empty CDATA section: nothing to give; next reads on
)

const (
	scanBuf = 64 << 10
	// maxTag bounds one tag (with its attributes) and one comment,
	// directive or processing instruction, which are read whole.
	maxTag = 1 << 20
)

var errSyntax = errors.New("xml syntax error")

func syntaxErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errSyntax}, args...)...)
}

func newScanner(r io.Reader) *scanner { return newScannerSize(r, scanBuf) }

func newScannerSize(r io.Reader, size int) *scanner {
	return &scanner{r: r, buf: make([]byte, size)}
}

// more reads into the buffer, keeping s.buf[s.pos:s.end]; it reports
// whether anything was read. A buffer holding more than maxTag is full.
func (s *scanner) more() (bool, error) {
	if s.eof {
		return false, nil
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxTag {
			return false, syntaxErr("a tag longer than %d bytes", maxTag)
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return n > 0, nil
		}
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
}

// next reads the next tag or piece of text; io.EOF at the end of the part.
// What it gives (name, attrs, text) is valid until the next call.
func (s *scanner) next() (tokKind, error) {
	// A loop, not a recursion: a part of millions of empty CDATA sections
	// must not grow the stack.
	for {
		k, err := s.token()
		if err != nil || k != tokNone {
			return k, err
		}
	}
}

// token reads the next token, or tokNone for an empty CDATA section.
func (s *scanner) token() (tokKind, error) {
	if s.closeNext {
		s.closeNext = false
		s.name = s.closeName
		s.attrs = s.attrs[:0]
		return tokEnd, nil
	}
	if s.inCDATA {
		return s.readCDATA()
	}
	for {
		if s.pos == s.end {
			ok, err := s.more()
			if err != nil {
				return 0, err
			}
			if !ok {
				return 0, io.EOF
			}
		}
		if s.buf[s.pos] != '<' {
			return s.readText()
		}
		// A markup: make sure its start is in the buffer.
		for s.end-s.pos < 9 && !s.eof {
			if _, err := s.more(); err != nil {
				return 0, err
			}
		}
		b := s.buf[s.pos:s.end]
		switch {
		case bytes.HasPrefix(b, []byte("<!--")):
			if _, err := s.skipPast(4, "-->"); err != nil {
				return 0, err
			}
		case bytes.HasPrefix(b, []byte("<![CDATA[")):
			s.pos += 9
			return s.readCDATA()
		case bytes.HasPrefix(b, []byte("<?")):
			if err := s.readPI(); err != nil {
				return 0, err
			}
		case bytes.HasPrefix(b, []byte("<!")):
			if err := s.skipDirective(); err != nil {
				return 0, err
			}
		default:
			return s.readTag()
		}
	}
}

// skipPast skips from s.pos+from to the end of the next occurrence of end.
// It returns where what it skipped starts in the buffer now: reading more
// moves the unread bytes to the buffer's start, so the position s.pos had
// on entry is stale once it has had to read.
func (s *scanner) skipPast(from int, end string) (int, error) {
	for {
		if i := bytes.Index(s.buf[s.pos+from:s.end], []byte(end)); i >= 0 {
			start := s.pos
			s.pos += from + i + len(end)
			return start, nil
		}
		ok, err := s.more()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, syntaxErr("unexpected EOF")
		}
	}
}

// readPI skips a processing instruction; the XML declaration must be of
// version 1.0 and its encoding UTF-8 (as encoding/xml without a
// CharsetReader requires).
func (s *scanner) readPI() error {
	start, err := s.skipPast(2, "?>")
	if err != nil {
		return err
	}
	pi := s.buf[start+2 : s.pos-2]
	i := bytes.IndexAny(pi, " \t\r\n")
	if i < 0 {
		i = len(pi)
	}
	if string(pi[:i]) != "xml" {
		return nil
	}
	content := bytes.TrimLeft(pi[i:], " \t\r\n")
	if v := piParam("version", content); len(v) > 0 && string(v) != "1.0" {
		return syntaxErr("xml version %q", v)
	}
	if enc := piParam("encoding", content); len(enc) > 0 && !bytes.EqualFold(enc, []byte("utf-8")) {
		return syntaxErr("encoding %q declared", enc)
	}
	return nil
}

// piParam is the quoted value of param= in a processing instruction's
// content, or nil, read as encoding/xml reads it.
func piParam(param string, s []byte) []byte {
	param += "="
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := bytes.Index(sub, []byte(param))
		if k < 0 || len(param)+k >= len(sub) {
			return nil
		}
		i += len(param) + k + 1
		if c := sub[len(param)+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return nil
	}
	j := bytes.IndexByte(s[i:], sep)
	if j < 0 {
		return nil
	}
	return s[i : i+j : i+j]
}

// skipDirective skips a <!...> directive, nested angle brackets, quoted
// text and comments included (the character after <! is taken as it is,
// as encoding/xml takes it).
func (s *scanner) skipDirective() error {
	i, depth, quote := 3, 1, byte(0)
	for {
	scan:
		for ; s.pos+i < s.end; i++ {
			c := s.buf[s.pos+i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '<':
				if s.pos+i+4 > s.end && !s.eof {
					break scan // is it a comment? read on to see
				}
				if bytes.HasPrefix(s.buf[s.pos+i:s.end], []byte("<!--")) {
					j := bytes.Index(s.buf[s.pos+i+4:s.end], []byte("-->"))
					if j < 0 {
						if s.eof {
							return syntaxErr("unexpected EOF in a comment")
						}
						break scan
					}
					i += 4 + j + 2
					continue
				}
				depth++
			case c == '>':
				if depth--; depth == 0 {
					s.pos += i + 1
					return nil
				}
			}
		}
		ok, err := s.more()
		if err != nil {
			return err
		}
		if !ok && s.pos+i >= s.end {
			return syntaxErr("unexpected EOF in directive")
		}
		// Read on; or, the part having ended while a '<' near the end
		// waited for more, scan the rest knowing there is no more.
	}
}

// tagLen finds the '>' that closes the tag at s.pos (outside quoted
// values), reading on as needed, and returns the tag's length.
func (s *scanner) tagLen() (int, error) {
	i, quote := 1, byte(0)
	for {
		for ; s.pos+i < s.end; i++ {
			c := s.buf[s.pos+i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '>':
				return i + 1, nil
			}
		}
		ok, err := s.more()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, syntaxErr("unexpected EOF in a tag")
		}
	}
}

// readTag reads a start or end tag whole.
func (s *scanner) readTag() (tokKind, error) {
	n, err := s.tagLen()
	if err != nil {
		return 0, err
	}
	tag := s.buf[s.pos+1 : s.pos+n-1]
	s.pos += n
	s.scratch = s.scratch[:0]
	s.attrs = s.attrs[:0]
	if len(tag) > 0 && tag[0] == '/' {
		name, rest := splitName(tag[1:])
		if len(name) == 0 || len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
			return 0, syntaxErr("invalid end tag")
		}
		if s.name, _, err = localName(name); err != nil {
			return 0, err
		}
		return tokEnd, nil
	}
	selfClose := false
	if len(tag) > 0 && tag[len(tag)-1] == '/' {
		selfClose, tag = true, tag[:len(tag)-1]
	}
	name, rest := splitName(tag)
	if len(name) == 0 {
		return 0, syntaxErr("invalid tag")
	}
	if s.name, _, err = localName(name); err != nil {
		return 0, err
	}
	// Attributes: values are decoded into scratch, which may move while it
	// grows; they are sliced once all are read.
	type span struct {
		name       []byte
		prefixed   bool
		start, end int
		raw        []byte
	}
	var spans [8]span
	list := spans[:0]
	for {
		trimmed := bytes.TrimLeft(rest, " \t\r\n")
		if len(trimmed) == 0 {
			break
		}
		an, after := splitName(trimmed)
		if len(an) == 0 {
			return 0, syntaxErr("invalid attribute")
		}
		after = bytes.TrimLeft(after, " \t\r\n")
		if len(after) == 0 || after[0] != '=' {
			return 0, syntaxErr("attribute without a value")
		}
		after = bytes.TrimLeft(after[1:], " \t\r\n")
		if len(after) == 0 || (after[0] != '"' && after[0] != '\'') {
			return 0, syntaxErr("unquoted attribute value")
		}
		q := after[0]
		j := bytes.IndexByte(after[1:], q)
		if j < 0 {
			return 0, syntaxErr("unterminated attribute value")
		}
		raw := after[1 : 1+j]
		rest = after[2+j:]
		if bytes.IndexByte(raw, '<') >= 0 {
			return 0, syntaxErr("unescaped < in an attribute value")
		}
		an, prefixed, err := localName(an)
		if err != nil {
			return 0, err
		}
		sp := span{name: an, prefixed: prefixed}
		if plain(raw) {
			sp.raw = raw
		} else {
			sp.start = len(s.scratch)
			if s.scratch, err = decodeText(s.scratch, raw); err != nil {
				return 0, err
			}
			sp.end = len(s.scratch)
		}
		list = append(list, sp)
	}
	for _, sp := range list {
		v := sp.raw
		if v == nil {
			v = s.scratch[sp.start:sp.end]
		}
		s.attrs = append(s.attrs, xmlAttr{name: sp.name, prefixed: sp.prefixed, value: v})
	}
	if selfClose {
		s.closeNext = true
		s.closeName = append(s.closeName[:0], s.name...)
	}
	return tokStart, nil
}

// splitName splits a tag's text at the end of its leading name.
func splitName(b []byte) (name, rest []byte) {
	i := 0
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n', '=', '/', '>', '"', '\'':
			return b[:i], b[i:]
		}
		i++
	}
	return b, nil
}

// localName is a name without its namespace prefix (as encoding/xml's
// Name.Local), and whether it had one; a name with two colons is not a
// name.
func localName(n []byte) ([]byte, bool, error) {
	i := bytes.IndexByte(n, ':')
	switch {
	case i < 0:
		return n, false, nil
	case bytes.IndexByte(n[i+1:], ':') >= 0:
		return nil, false, syntaxErr("invalid name %q", n)
	case i > 0 && i < len(n)-1:
		return n[i+1:], true, nil
	}
	return n, false, nil
}

// plain says whether b needs no decoding and holds only characters XML
// allows: printable ASCII, tab and newline (anything else takes the slow
// path, which decodes and checks).
func plain(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == '&' || (c < 0x20 && c != '\t' && c != '\n') {
			return false
		}
	}
	return true
}

// readText reads character data up to the next markup, or a piece of it
// when it goes on beyond the buffer.
func (s *scanner) readText() (tokKind, error) {
	for {
		i := bytes.IndexByte(s.buf[s.pos:s.end], '<')
		complete := i >= 0 || s.eof
		if i < 0 {
			i = s.end - s.pos
		}
		raw := s.buf[s.pos : s.pos+i]
		if complete && plain(raw) {
			s.pos += i
			s.text = raw
			return tokText, nil
		}
		// Decode what is whole: an entity, a \r before a possible \n or a
		// character cut by the end of the buffer waits for more.
		var err error
		var n int
		s.scratch, n, err = decodeTextPart(s.scratch[:0], raw, complete)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			s.pos += n
			s.text = s.scratch
			return tokText, nil
		}
		// Nothing whole yet: read on (at the end of the part, what is left
		// is complete).
		if _, err := s.more(); err != nil {
			return 0, err
		}
	}
}

// readCDATA reads a CDATA section (or a piece of it) as text: no entities,
// line ends normalised, characters checked.
func (s *scanner) readCDATA() (tokKind, error) {
	s.inCDATA = true
	for {
		b := s.buf[s.pos:s.end]
		if i := bytes.Index(b, []byte("]]>")); i >= 0 {
			s.inCDATA = false
			var err error
			if s.scratch, err = decodeCDATA(s.scratch[:0], b[:i]); err != nil {
				return 0, err
			}
			s.pos += i + 3
			if len(s.scratch) == 0 {
				return tokNone, nil
			}
			s.text = s.scratch
			return tokText, nil
		}
		// Give what surely precedes the end marker, keeping back a possible
		// start of it, a character cut by the end of the buffer and a \r
		// that may be followed by \n.
		n := len(b) - 2
		for j := n - 1; j >= 0 && j >= n-utf8.UTFMax; j-- {
			if utf8.RuneStart(b[j]) {
				if !utf8.FullRune(b[j:n]) {
					n = j
				}
				break
			}
		}
		if n > 0 && b[n-1] == '\r' {
			n--
		}
		if n > 0 && !s.eof {
			var err error
			if s.scratch, err = decodeCDATA(s.scratch[:0], b[:n]); err != nil {
				return 0, err
			}
			s.pos += n
			s.text = s.scratch
			return tokText, nil
		}
		ok, err := s.more()
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, syntaxErr("unexpected EOF in CDATA section")
		}
	}
}

func decodeCDATA(dst, b []byte) ([]byte, error) {
	for i := 0; i < len(b); {
		c := b[i]
		if c == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if (r == utf8.RuneError && size == 1) || !isInCharacterRange(r) {
			return dst, syntaxErr("illegal character code %U", r)
		}
		dst = append(dst, b[i:i+size]...)
		i += size
	}
	return dst, nil
}

// decodeText decodes all of b (an attribute's value).
func decodeText(dst, b []byte) ([]byte, error) {
	dst, _, err := decodeTextPart(dst, b, true)
	return dst, err
}

// decodeTextPart decodes b, character data in which '<' does not occur:
// entities and character references replaced, \r\n and \r made \n, every
// character checked. Unless complete, it stops before an entity, a \r or a
// character that may go on beyond b. It returns how much of b it read.
func decodeTextPart(dst, b []byte, complete bool) ([]byte, int, error) {
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case c == '&':
			j := bytes.IndexByte(b[i:min(len(b), i+maxEntity)], ';')
			if j < 0 {
				if !complete && len(b)-i < maxEntity {
					return dst, i, nil
				}
				return dst, i, syntaxErr("invalid character entity")
			}
			var err error
			if dst, err = appendEntity(dst, b[i+1:i+j]); err != nil {
				return dst, i, err
			}
			i += j + 1
		case c == '\r':
			if i+1 == len(b) && !complete {
				return dst, i, nil
			}
			dst = append(dst, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			i++
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' {
				return dst, i, syntaxErr("illegal character code %U", rune(c))
			}
			dst = append(dst, c)
			i++
		default:
			if !complete && !utf8.FullRune(b[i:]) {
				return dst, i, nil
			}
			r, size := utf8.DecodeRune(b[i:])
			if (r == utf8.RuneError && size == 1) || !isInCharacterRange(r) {
				return dst, i, syntaxErr("illegal character code %U", r)
			}
			dst = append(dst, b[i:i+size]...)
			i += size
		}
	}
	return dst, i, nil
}

// maxEntity is longer than any entity the decoder knows (&#x10FFFF; and
// leading zeros aside).
const maxEntity = 32

// appendEntity appends what the entity name (between & and ;) stands for:
// the five predefined entities and character references, as encoding/xml's
// strict decoder knows them.
func appendEntity(dst, name []byte) ([]byte, error) {
	switch string(name) {
	case "lt":
		return append(dst, '<'), nil
	case "gt":
		return append(dst, '>'), nil
	case "amp":
		return append(dst, '&'), nil
	case "apos":
		return append(dst, '\''), nil
	case "quot":
		return append(dst, '"'), nil
	}
	if len(name) < 2 || name[0] != '#' {
		return dst, syntaxErr("invalid character entity &%s;", name)
	}
	var n uint64
	var err error
	if name[1] == 'x' {
		n, err = strconv.ParseUint(string(name[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(name[1:]), 10, 32)
	}
	r := rune(n)
	if err == nil && n >= 0xD800 && n <= 0xDFFF {
		r = utf8.RuneError // a surrogate stands for U+FFFD, as encoding/xml reads it
	}
	if err != nil || !isInCharacterRange(r) {
		return dst, syntaxErr("invalid character entity &%s;", name)
	}
	return utf8.AppendRune(dst, r), nil
}

// isInCharacterRange is XML's Char production.
func isInCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
