package workbook

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tuijin/tuijin/internal/errs"
)

// Limits bound what reading a workbook may cost, whatever the file: only
// the parts that are read count (the workbook, its relationships, the shared
// strings, the styles and the sheets imported; never images), and each
// sheet is read as a stream of rows.
type Limits struct {
	MaxRows     int   // rows with a value, per sheet
	MaxColumns  int   // the rightmost column a value may be in
	MaxInflated int64 // bytes the parts read may inflate to, together
}

// DefaultLimits are tuijin's defaults (TUIJIN_IMPORT_MAX_*).
var DefaultLimits = Limits{MaxRows: 10000, MaxColumns: 200, MaxInflated: 64 << 20}

// Refusals of a workbook too big to read.
func errTooManyRows(sheet string, n int) error {
	return errs.E(errs.TooLarge, "workbook_too_many_rows", fmt.Sprintf("工作表“%s”超过%d行，请拆分后导入", sheet, n),
		fmt.Sprintf("sheet %q has more than %d rows; split it", sheet, n))
}

func errTooManyColumns(sheet string, n int) error {
	return errs.E(errs.TooLarge, "workbook_too_many_columns", fmt.Sprintf("工作表“%s”有内容超出第%d列，请删去多余的列", sheet, n),
		fmt.Sprintf("sheet %q has values beyond column %d; delete the extra columns", sheet, n))
}

func errInflated(n int64) error {
	return errs.E(errs.TooLarge, "workbook_too_large", fmt.Sprintf("工作簿解压后超过%dMB，请删去多余的内容后导入", n>>20),
		fmt.Sprintf("the workbook inflates to more than %d MB; remove what is not needed", n>>20))
}

// book is an .xlsx workbook read part by part from its zip, never whole:
// the shared strings are kept in memory (or, when large, in a temporary
// file), each sheet is streamed row by row.
type book struct {
	zr       *zip.Reader
	lim      Limits
	inflated int64
	sheets   []sheetRef
	strs     *stringTable
	numFmts  []int          // number format id of each cell format (cellXfs)
	custom   map[int]string // custom number format codes by id
}

type sheetRef struct{ name, part string }

// sheetRow is one row of a sheet: its number, each cell's raw value (as
// excelize's GetRows with RawCellValue gives it) and each cell's format.
type sheetRow struct {
	line   int
	cells  []string
	styles []int
}

const relNS = "relationships"

// openBook reads a workbook's directory, sheets, shared strings and formats.
func openBook(r io.ReaderAt, size int64, lim Limits) (*book, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, ErrNotWorkbook.Wrap(err)
	}
	b := &book{zr: zr, lim: lim, custom: map[int]string{}}
	wbPart := "xl/workbook.xml"
	if rels, err := b.rels("_rels/.rels", ""); err == nil {
		for _, rel := range rels {
			if strings.HasSuffix(rel.typ, "/officeDocument") {
				wbPart = rel.target
			}
		}
	} else if !errors.Is(err, errNoPart) {
		return nil, err
	}
	rels, err := b.rels(path.Join(path.Dir(wbPart), "_rels", path.Base(wbPart)+".rels"), path.Dir(wbPart))
	if err != nil && !errors.Is(err, errNoPart) {
		return nil, err
	}
	byID := map[string]string{}
	sstPart, stylesPart := path.Join(path.Dir(wbPart), "sharedStrings.xml"), path.Join(path.Dir(wbPart), "styles.xml")
	for _, rel := range rels {
		byID[rel.id] = rel.target
		switch {
		case strings.HasSuffix(rel.typ, "/sharedStrings"):
			sstPart = rel.target
		case strings.HasSuffix(rel.typ, "/styles"):
			stylesPart = rel.target
		}
	}
	if err := b.readWorkbook(wbPart, byID); err != nil {
		return nil, err
	}
	if err := b.readStyles(stylesPart); err != nil && !errors.Is(err, errNoPart) {
		return nil, err
	}
	if b.strs, err = b.readStrings(sstPart); err != nil && !errors.Is(err, errNoPart) {
		return nil, err
	}
	if b.strs == nil {
		b.strs = &stringTable{}
	}
	return b, nil
}

// close removes the shared strings' temporary file, if any.
func (b *book) close() {
	if b.strs != nil {
		b.strs.close()
	}
}

func (b *book) sheetNames() []string {
	out := make([]string, len(b.sheets))
	for i, s := range b.sheets {
		out[i] = s.name
	}
	return out
}

var errNoPart = errors.New("no such part")

// open opens a part of the zip for scanning, counting its inflated size
// against the limit (the zip reader refuses a part that inflates beyond its
// declared size). The scanner's buffer is no larger than the part.
func (b *book) open(name string) (*scanner, io.Closer, error) {
	name = strings.TrimPrefix(name, "/")
	for _, f := range b.zr.File {
		if f.Name != name {
			continue
		}
		b.inflated += int64(f.UncompressedSize64)
		if b.inflated > b.lim.MaxInflated || f.UncompressedSize64 > uint64(b.lim.MaxInflated) {
			return nil, nil, errInflated(b.lim.MaxInflated)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, nil, ErrNotWorkbook.Wrap(err)
		}
		return newScannerSize(rc, int(min(max(f.UncompressedSize64+1, 512), scanBuf))), rc, nil
	}
	return nil, nil, errNoPart
}

type relation struct{ id, typ, target string }

// rels reads a relationships part; targets are resolved against dir.
func (b *book) rels(part, dir string) ([]relation, error) {
	sc, rc, err := b.open(part)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []relation
	for {
		k, err := sc.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, ErrNotWorkbook.Wrap(err)
		}
		if k != tokStart || string(sc.name) != "Relationship" {
			continue
		}
		var r relation
		external := false
		for _, a := range sc.attrs {
			switch string(a.name) {
			case "Id":
				r.id = string(a.value)
			case "Type":
				r.typ = string(a.value)
			case "Target":
				r.target = string(a.value)
			case "TargetMode":
				external = string(a.value) == "External"
			}
		}
		if external {
			continue
		}
		if strings.HasPrefix(r.target, "/") {
			r.target = strings.TrimPrefix(r.target, "/")
		} else {
			r.target = path.Join(dir, r.target)
		}
		out = append(out, r)
	}
}

func (b *book) readWorkbook(part string, byID map[string]string) error {
	sc, rc, err := b.open(part)
	if errors.Is(err, errNoPart) {
		return ErrNotWorkbook
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	for {
		k, err := sc.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrNotWorkbook.Wrap(err)
		}
		if k != tokStart || string(sc.name) != "sheet" {
			continue
		}
		var s sheetRef
		for _, a := range sc.attrs {
			switch {
			case string(a.name) == "name" && !a.prefixed:
				s.name = string(a.value)
			case string(a.name) == "id" && a.prefixed:
				s.part = byID[string(a.value)]
			}
		}
		if s.part == "" { // a chart sheet or a broken reference: not a worksheet to read
			continue
		}
		b.sheets = append(b.sheets, s)
	}
}

// readStyles reads the number format of each cell format (cellXfs) and
// the custom number formats.
func (b *book) readStyles(part string) error {
	sc, rc, err := b.open(part)
	if err != nil {
		return err
	}
	defer rc.Close()
	inXfs := false
	for {
		k, err := sc.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrNotWorkbook.Wrap(err)
		}
		switch k {
		case tokStart:
			switch {
			case string(sc.name) == "numFmt":
				id, code := -1, ""
				for _, a := range sc.attrs {
					switch string(a.name) {
					case "numFmtId":
						id, _ = atoi(a.value)
					case "formatCode":
						code = string(a.value)
					}
				}
				if id >= 0 {
					b.custom[id] = code
				}
			case string(sc.name) == "cellXfs":
				inXfs = true
			case inXfs && string(sc.name) == "xf":
				id := 0
				for _, a := range sc.attrs {
					if string(a.name) == "numFmtId" {
						id, _ = atoi(a.value)
					}
				}
				b.numFmts = append(b.numFmts, id)
			}
		case tokEnd:
			if string(sc.name) == "cellXfs" {
				inXfs = false
			}
		}
	}
}

// atoi is strconv.Atoi of b, without making a string of the digits.
func atoi(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 9 {
		return strconv.Atoi(string(b))
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return strconv.Atoi(string(b))
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// cellColumn is the column of a cell reference ("B12" → 2), as excelize's
// CellNameToCoordinates reads it; plain references are read without making
// a string of them.
func cellColumn(ref []byte) (int, error) {
	i, col := 0, 0
	for ; i < len(ref) && i < 3; i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	row, err := atoi(ref[i:])
	if i == 0 || err != nil || row < 1 || row > excelize.TotalRows || col > excelize.MaxColumns || len(ref)-i > 7 {
		c, _, err := excelize.CellNameToCoordinates(string(ref))
		return c, err
	}
	return col, nil
}

// numFmt is a cell format's number format: a built-in id, or a custom
// format's code (as excelize's GetStyle tells them apart).
func (b *book) numFmt(style int) (builtin int, custom *string) {
	if style <= 0 || style >= len(b.numFmts) {
		return 0, nil
	}
	id := b.numFmts[style]
	if _, ok := builtinCodes[id]; ok || (27 <= id && id <= 36) || (50 <= id && id <= 62) || (67 <= id && id <= 81) {
		return id, nil
	}
	if code, ok := b.custom[id]; ok {
		return 0, &code
	}
	return 0, nil
}

// builtinCodes are the number format ids Excel defines for every locale.
var builtinCodes = map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 9: true, 10: true, 11: true, 12: true, 13: true,
	14: true, 15: true, 16: true, 17: true, 18: true, 19: true, 20: true, 21: true, 22: true, 37: true, 38: true, 39: true,
	40: true, 45: true, 46: true, 47: true, 48: true, 49: true}

// inMemoryStrings is the largest shared strings part kept in memory; a
// larger one is kept in a temporary file.
const inMemoryStrings = 4 << 20

// readStrings reads the shared strings: each item's text (its runs joined,
// phonetic runs left out, _xHHHH_ escapes decoded).
func (b *book) readStrings(part string) (*stringTable, error) {
	var size uint64
	for _, f := range b.zr.File {
		if f.Name == strings.TrimPrefix(part, "/") {
			size = f.UncompressedSize64
		}
	}
	sc, rc, err := b.open(part)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	t := &stringTable{}
	if size > inMemoryStrings {
		if t.file, err = os.CreateTemp("", "tuijin-strings-*"); err != nil {
			return nil, err
		}
		t.w = bufio.NewWriter(t.file)
	}
	var cur []byte
	inSI, inT, skip := false, false, 0
	for {
		k, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.close()
			return nil, ErrNotWorkbook.Wrap(err)
		}
		switch k {
		case tokStart:
			switch string(sc.name) {
			case "si":
				inSI = true
				cur = cur[:0]
			case "rPh", "phoneticPr":
				skip++
			case "t":
				inT = inSI && skip == 0
			}
		case tokEnd:
			switch string(sc.name) {
			case "si":
				inSI = false
				if bytes.Contains(cur, []byte("_x")) {
					cur = append(cur[:0], unescape(string(cur))...)
				}
				if err := t.add(cur); err != nil {
					t.close()
					return nil, err
				}
			case "rPh", "phoneticPr":
				skip--
			case "t":
				inT = false
			}
		case tokText:
			if inT {
				cur = append(cur, sc.text...)
			}
		}
	}
	if t.w != nil {
		if err := t.w.Flush(); err != nil {
			t.close()
			return nil, err
		}
	} else {
		t.str, t.mem = string(t.mem), nil
	}
	return t, nil
}

var escaped = regexp.MustCompile(`_x[a-fA-F0-9]{4}_`)

// unescape decodes the _xHHHH_ escapes OOXML uses for characters XML
// cannot hold, as excelize does (_x005F_ is an underscore).
func unescape(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	return escaped.ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.ParseUint(m[2:6], 16, 32)
		if err != nil {
			return m
		}
		return string(rune(n))
	})
}

// stringTable holds the shared strings, in memory or in a file. In memory
// they are one string, of which each is a part: looking one up makes no
// copy.
type stringTable struct {
	mem  []byte   // while reading
	str  string   // once read
	offs []uint32 // where each string starts; it ends where the next starts
	end  uint32
	file *os.File
	w    *bufio.Writer
	buf  []byte
}

func (t *stringTable) add(s []byte) error {
	t.offs = append(t.offs, t.end)
	t.end += uint32(len(s))
	if t.w != nil {
		_, err := t.w.Write(s)
		return err
	}
	t.mem = append(t.mem, s...)
	return nil
}

func (t *stringTable) get(i int) (string, bool) {
	if i < 0 || i >= len(t.offs) {
		return "", false
	}
	start, end := t.offs[i], t.end
	if i+1 < len(t.offs) {
		end = t.offs[i+1]
	}
	if t.file == nil {
		return t.str[start:end], true
	}
	if n := int(end - start); cap(t.buf) < n {
		t.buf = make([]byte, n)
	}
	b := t.buf[:end-start]
	if _, err := t.file.ReadAt(b, int64(start)); err != nil {
		return "", false
	}
	return string(b), true
}

func (t *stringTable) close() {
	if t.file != nil {
		t.file.Close()
		os.Remove(t.file.Name())
		t.file = nil
	}
}

// rows streams the rows of a sheet that hold a value to fn, in order. A
// sheet with more than MaxRows such rows, or a value right of MaxColumns,
// is refused (TooLarge) when the reading gets there. The row's slices are
// reused for the next row: fn copies what it keeps of them.
func (b *book) rows(sheet string, fn func(sheetRow) error) error {
	var part string
	for _, s := range b.sheets {
		if s.name == sheet {
			part = s.part
		}
	}
	sc, rc, err := b.open(part)
	if errors.Is(err, errNoPart) {
		return ErrNotWorkbook
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	const (
		plainCell = iota
		sharedString
		inlineString
	)
	var (
		row                   sheetRow
		line, col             int
		typ                   int
		style                 int
		val                   []byte
		inV, inIS, inT, inRow bool
		hasV                  bool
		count                 int
	)
	for {
		k, err := sc.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrNotWorkbook.Wrap(err)
		}
		switch k {
		case tokStart:
			switch string(sc.name) {
			case "row":
				line++
				for _, a := range sc.attrs {
					if string(a.name) == "r" {
						if n, err := atoi(a.value); err == nil && n > 0 {
							line = n
						}
					}
				}
				row = sheetRow{line: line, cells: row.cells[:0], styles: row.styles[:0]}
				inRow, col = true, 0
			case "c":
				if !inRow {
					continue
				}
				col++
				typ, style, hasV = plainCell, 0, false
				val = val[:0]
				for _, a := range sc.attrs {
					switch string(a.name) {
					case "r":
						if c, err := cellColumn(a.value); err == nil {
							col = c
						}
					case "t":
						switch string(a.value) {
						case "s":
							typ = sharedString
						case "inlineStr":
							typ = inlineString
						default:
							typ = plainCell
						}
					case "s":
						style, _ = atoi(a.value)
					}
				}
			case "v":
				inV, hasV = true, true
			case "is":
				inIS, hasV = true, true
			case "t":
				inT = inIS
			case "rPh":
				inIS = false // phonetic runs of an inline string are not its text
			}
		case tokText:
			if inV || (inIS && inT) {
				if len(val)+len(sc.text) > 32767*4 { // longer than Excel allows a cell
					return ErrNotWorkbook.Wrap(errors.New("cell too long"))
				}
				val = append(val, sc.text...)
			}
		case tokEnd:
			switch string(sc.name) {
			case "v":
				inV = false
			case "t":
				inT = false
			case "is":
				inIS = false
			case "c":
				if !inRow || !hasV {
					continue
				}
				var v string
				switch typ {
				case sharedString:
					i, err := atoi(bytes.TrimSpace(val))
					s, ok := b.strs.get(i)
					if err != nil || !ok {
						return ErrNotWorkbook.Wrap(fmt.Errorf("shared string %q", val))
					}
					v = s
				case inlineString:
					v = unescape(string(val))
				default:
					v = string(val)
				}
				if v == "" {
					continue
				}
				if col > b.lim.MaxColumns {
					return errTooManyColumns(sheet, b.lim.MaxColumns)
				}
				for len(row.cells) < col {
					row.cells = append(row.cells, "")
					row.styles = append(row.styles, 0)
				}
				row.cells[col-1], row.styles[col-1] = v, style
			case "row":
				inRow = false
				if len(row.cells) == 0 {
					continue
				}
				if count++; count > b.lim.MaxRows {
					return errTooManyRows(sheet, b.lim.MaxRows)
				}
				if err := fn(row); err != nil {
					return err
				}
			}
		}
	}
}
