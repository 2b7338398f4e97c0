package document

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// TestDocxText: whatever a user typed (markup characters, control
// characters PostgreSQL stores, tabs and line breaks) the document is
// well-formed XML and says the text; the same text gives the same bytes.
func TestDocxText(t *testing.T) {
	paras := []Para{{Text: "标题 <a & b> \"引号\"", Size: 22, Color: "C00000", Align: "center"}, {Text: "左\t右", RuleBelow: "C00000"},
		{Text: "第一行\n第二行\x01\x0b结束", Indent: true}}
	b, err := Docx("标题", "仿宋_GB2312", paras)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Docx("标题", "仿宋_GB2312", paras)
	if !bytes.Equal(b, again) {
		t.Error("the same document came out as different bytes")
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, f := range z.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed: %v", f.Name, err)
			}
			if cd, ok := tok.(xml.CharData); ok && f.Name == "word/document.xml" {
				text.Write(cd)
			}
		}
	}
	for _, want := range []string{"标题 <a & b> \"引号\"", "左", "右", "第一行", "第二行", "结束"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the document lacks %q: %q", want, text.String())
		}
	}
}
