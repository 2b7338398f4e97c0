package document

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// Fonts are the faces a PDF draws with, in order of preference: each
// character is drawn with the first face that has a glyph for it, so that
// CJK text, digits, Latin letters and rare characters (喆 堃 昇 珺 祎 ㎡) all
// print. The PDF library loads single TrueType fonts only: a face of a
// TrueType collection (.ttc) is extracted as one; fonts with CFF outlines
// (.otf) are refused.
type Fonts struct {
	faces []*face
}

type face struct {
	name string // the name it is registered under in a PDF
	path string
	data []byte // a single TrueType font
	font *sfnt.Font
	buf  sfnt.Buffer
	mu   sync.Mutex
}

var fontSets sync.Map // spec → *Fonts

// LoadFonts reads the comma-separated font files of spec (TUIJIN_PDF_FONT),
// each a TrueType font or collection (its first face), once per process.
func LoadFonts(spec string) (*Fonts, error) {
	if f, ok := fontSets.Load(spec); ok {
		return f.(*Fonts), nil
	}
	var fs Fonts
	for i, path := range strings.Split(spec, ",") {
		path = strings.TrimSpace(path)
		if path == "" {
			continue
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("PDF font %s (scripts/test.sh installs fonts-wqy-microhei, fonts-droid-fallback and fonts-dejavu-core; or set TUIJIN_PDF_FONT): %w", path, err)
		}
		data, err := firstFace(raw)
		if err != nil {
			return nil, fmt.Errorf("PDF font %s: %w", path, err)
		}
		if len(data) >= 4 && string(data[:4]) == "OTTO" {
			return nil, fmt.Errorf("PDF font %s has CFF outlines; the PDF library needs TrueType (glyf) outlines", path)
		}
		f, err := sfnt.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("PDF font %s: %w", path, err)
		}
		fs.faces = append(fs.faces, &face{name: fmt.Sprintf("f%d", i), path: path, data: data, font: f})
	}
	if len(fs.faces) == 0 {
		return nil, errors.New("no PDF font configured (TUIJIN_PDF_FONT)")
	}
	actual, _ := fontSets.LoadOrStore(spec, &fs)
	return actual.(*Fonts), nil
}

// firstFace is data itself for a TrueType font, and the first face of a
// TrueType collection rebuilt as a standalone font (its table directory
// copied, the tables it points to laid out after it).
func firstFace(data []byte) ([]byte, error) {
	if len(data) < 16 || string(data[:4]) != "ttcf" {
		return data, nil
	}
	off := int(binary.BigEndian.Uint32(data[12:16]))
	if off < 0 || off+12 > len(data) {
		return nil, errors.New("collection: bad offset")
	}
	n := int(binary.BigEndian.Uint16(data[off+4:]))
	if off+12+16*n > len(data) {
		return nil, errors.New("collection: bad table directory")
	}
	type table struct {
		tag       string
		sum, o, l uint32
	}
	tables := make([]table, n)
	for i := range tables {
		p := off + 12 + 16*i
		tables[i] = table{string(data[p : p+4]), binary.BigEndian.Uint32(data[p+4:]), binary.BigEndian.Uint32(data[p+8:]), binary.BigEndian.Uint32(data[p+12:])}
		if uint64(tables[i].o)+uint64(tables[i].l) > uint64(len(data)) {
			return nil, errors.New("collection: table out of range")
		}
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].tag < tables[j].tag })
	out := make([]byte, 12+16*n, 12+16*n+len(data)/2)
	copy(out, data[off:off+12])
	for i, t := range tables {
		p := 12 + 16*i
		copy(out[p:], t.tag)
		binary.BigEndian.PutUint32(out[p+4:], t.sum)
		binary.BigEndian.PutUint32(out[p+8:], uint32(len(out)))
		binary.BigEndian.PutUint32(out[p+12:], t.l)
		out = append(out, data[t.o:t.o+t.l]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

func (f *face) has(r rune) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.font.GlyphIndex(&f.buf, r)
	return err == nil && i != 0
}

// FaceOf is the index of the face that draws r: the first with a glyph for
// it; -1 when none has one. Spaces and controls go with the first face.
func (fs *Fonts) FaceOf(r rune) int {
	if unicode.IsSpace(r) || unicode.IsControl(r) {
		return 0
	}
	for i := range fs.faces {
		if fs.faces[i].has(r) {
			return i
		}
	}
	return -1
}

// Missing lists the characters of s no face can draw.
func (fs *Fonts) Missing(s string) []rune {
	var out []rune
	seen := map[rune]bool{}
	for _, r := range s {
		if !seen[r] && fs.FaceOf(r) < 0 {
			out = append(out, r)
		}
		seen[r] = true
	}
	return out
}

// run is a stretch of text drawn with one face.
type run struct {
	face int
	text string
}

// runs splits s by the face that draws each character; a character no face
// has is drawn with the first (its "missing glyph" box, which Missing reports).
func (fs *Fonts) runs(s string) []run {
	var out []run
	for _, r := range s {
		i := fs.FaceOf(r)
		if i < 0 {
			i = 0
		}
		if n := len(out); n > 0 && out[n-1].face == i {
			out[n-1].text += string(r)
			continue
		}
		out = append(out, run{i, string(r)})
	}
	return out
}

// Names are the faces' file paths, in order (for the PDF's tests and notes).
func (fs *Fonts) Names() []string {
	out := make([]string, len(fs.faces))
	for i, f := range fs.faces {
		out[i] = f.path
	}
	return out
}
