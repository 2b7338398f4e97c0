package workbook

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
)

// xmlTokens is a part's tokens as the readers use them: start tags with
// their attributes (local names), end tags, and runs of text joined.
func xmlTokens(t testing.TB, data []byte) ([]string, error) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var out []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, "text "+text.String())
			text.Reset()
		}
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			flush()
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			flush()
			s := "start " + x.Name.Local
			for _, a := range x.Attr {
				s += fmt.Sprintf(" %v:%s=%q", a.Name.Space != "", a.Name.Local, a.Value)
			}
			out = append(out, s)
		case xml.EndElement:
			flush()
			out = append(out, "end "+x.Name.Local)
		case xml.CharData:
			text.Write(x)
		}
	}
}

func scanTokens(t testing.TB, r io.Reader, size int) ([]string, error) {
	t.Helper()
	s := newScannerSize(r, size)
	var out []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, "text "+text.String())
			text.Reset()
		}
	}
	for {
		k, err := s.next()
		if err == io.EOF {
			flush()
			return out, nil
		}
		if err != nil {
			if !errors.Is(err, errSyntax) {
				t.Fatalf("an error that is not a syntax error: %v", err)
			}
			return out, err
		}
		switch k {
		case tokStart:
			flush()
			x := "start " + string(s.name)
			for _, a := range s.attrs {
				x += fmt.Sprintf(" %v:%s=%q", a.prefixed, a.name, a.value)
			}
			out = append(out, x)
		case tokEnd:
			flush()
			out = append(out, "end "+string(s.name))
		case tokText:
			if len(s.text) == 0 {
				t.Fatal("an empty piece of text")
			}
			text.Write(s.text)
		}
	}
}

var xmlSamples = []string{
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x14ac="urn:x"><sheetData>` +
		`<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t xml:space="preserve"> a &amp; b </t></is></c>` +
		`<c r="C1"><f>SUM(A1:B1)</f><v>3</v></c></row><row r="2"/></sheetData></worksheet>`,
	`<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row><x:c x:r="A1" t='str'><x:v>&lt;&gt;&quot;&apos;&#65;&#x4e2d;</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
	"<a>line\r\nnext\rlast\n</a>",
	`<a b="x&#10;y&#x9;z" c = 'it"s' d="&amp;lt;"/>`,
	"<a><![CDATA[<not a tag> & \r\n]]>after</a>",
	"<!DOCTYPE a [<!ELEMENT a (#PCDATA)> <!-- > --> ]><a>x</a>",
	"<a><!-- a comment -- with dashes? no --><b/>text<?pi x?>more</a>",
	"\ufeff<a>中文内容，全角字符：１２３；emoji 😀</a>",
	`<a   b="1"c="2"  ></a   >`,
	"<a>&unknown;</a>",
	"<a>&#0;</a>",
	"<a>\x01</a>",
	"<a>\xff</a>",
	`<a b=unquoted/>`,
	`<a b/>`,
	"<a>unterminated",
	"<a",
	`<a b="1/>`,
	`<?xml version="1.0" encoding="UTF-16"?><a/>`,
	`<a:b:c/>`,
	`<:a/>`,
	"<a>]]></a>",
	"",
	"   ",
	"<a>&#x10FFFF;&#1114112;</a>",
	"<a>x &amp y</a>",
	"<a b=\"x\ry\r\nz\"/>",
}

// TestScannerReadsAsEncodingXML: for what encoding/xml reads, the scanner
// gives the same tags, attributes and text, whatever the buffer and
// however the reader gives the bytes; for what it refuses, the scanner
// refuses with a syntax error or, where the scanner is more lenient than
// encoding/xml, still reads sense.
func TestScannerReadsAsEncodingXML(t *testing.T) {
	long := "<a>" + strings.Repeat("长文本&amp;\r\n", 5000) + "<![CDATA[" + strings.Repeat("数据]]", 3000) + "]]></a>"
	for _, sample := range append(xmlSamples, long, `<a v="`+strings.Repeat("x&amp;", 20000)+`"/>`) {
		want, wantErr := xmlTokens(t, []byte(sample))
		for _, size := range []int{16, 64, 1000, scanBuf} {
			for _, one := range []bool{false, true} {
				var r io.Reader = strings.NewReader(sample)
				if one {
					r = iotest.OneByteReader(r)
				}
				got, err := scanTokens(t, r, size)
				name := fmt.Sprintf("%.40q size %d one byte %v", sample, size, one)
				if wantErr == nil {
					if err != nil {
						t.Fatalf("%s: %v (encoding/xml reads it)", name, err)
					}
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Fatalf("%s:\n got %q\nwant %q", name, got, want)
					}
				}
			}
		}
	}
}

// FuzzScanner: whatever encoding/xml reads, the scanner reads alike.
func FuzzScanner(f *testing.F) {
	for _, s := range xmlSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := xmlTokens(t, data)
		for _, size := range []int{16, scanBuf} {
			got, err := scanTokens(t, bytes.NewReader(data), size)
			if wantErr == nil && (err != nil || strings.Join(got, "\n") != strings.Join(want, "\n")) {
				t.Fatalf("size %d: got %q (%v), want %q", size, got, err, want)
			}
		}
	})
}

// TestCellColumnAsExcelize: cell references and numbers are read as
// excelize and strconv read them.
func TestCellColumnAsExcelize(t *testing.T) {
	for _, ref := range []string{"A1", "b12", "XFD1048576", "XFE1", "A1048577", "AA0", "A01", "$A$1", "A+5", "A-5", "A 5", "", "1", "A",
		"ABCD1", "zz99", "A99999999", "中1", "A1.5", "Z007"} {
		want, _, wantErr := excelize.CellNameToCoordinates(ref)
		got, err := cellColumn([]byte(ref))
		if (err != nil) != (wantErr != nil) || (err == nil && got != want) {
			t.Errorf("cellColumn(%q) = %d, %v; excelize %d, %v", ref, got, err, want, wantErr)
		}
	}
	for _, n := range []string{"0", "7", "123456789", "1234567890", "+5", "-5", " 5", "", "x", "99999999999999999999", "007"} {
		want, wantErr := strconv.Atoi(n)
		got, err := atoi([]byte(n))
		if got != want || (err != nil) != (wantErr != nil) {
			t.Errorf("atoi(%q) = %d, %v; strconv %d, %v", n, got, err, want, wantErr)
		}
	}
}

// TestScannerEmptyCDATARuns: millions of empty CDATA sections read in
// constant stack (they once recursed, one frame each, until the runtime
// stopped the process).
func TestScannerEmptyCDATARuns(t *testing.T) {
	src := "<a>" + strings.Repeat("<![CDATA[]]>", 4_000_000) + "x</a>"
	s := newScannerSize(strings.NewReader(src), 64<<10)
	var text string
	for {
		k, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if k == tokText {
			text += string(s.text)
		}
	}
	if text != "x" {
		t.Fatalf("text %q", text)
	}
}

// TestScannerPIAcrossTheBuffer: a processing instruction that reaches past
// the buffer's end is skipped, and an XML declaration so placed still
// checked (the buffer moved under it once).
func TestScannerPIAcrossTheBuffer(t *testing.T) {
	for _, size := range []int{512, 64 << 10} {
		pad := strings.Repeat("x", size-12)
		for _, c := range []struct {
			src string
			ok  bool
		}{
			{"<a>" + pad + `<?mso-application progid="Excel.Sheet"?></a>`, true},
			{pad[:size/2] + `<?xml version="1.0" encoding="UTF-16"?><a/>`, false},
		} {
			s := newScannerSize(strings.NewReader(c.src), size)
			var err error
			for err == nil {
				_, err = s.next()
			}
			if (err == io.EOF) != c.ok {
				t.Errorf("buffer %d, %.40q…: %v", size, c.src[len(c.src)-50:], err)
			}
		}
	}
}
