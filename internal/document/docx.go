package document

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// Para is a paragraph of a .docx: its text (a "\t" tab stop splits a
// masthead line into its left and right parts, "\n" breaks lines), size
// in points, and how it prints.
type Para struct {
	Text      string
	Size      float64
	Bold      bool
	Color     string // "C00000"; "" black
	Align     string // "left", "center", "right", "both"
	Indent    bool   // first line indented by two characters
	Font      string // East Asian face; "" the body face
	RuleBelow string // a rule under the paragraph in this colour ("" none)
	SpaceLine float64
}

// Docx writes an A4 Word document (Office Open XML, as Word, WPS and
// LibreOffice Writer read it) with the paragraphs given, the text of each
// kept exactly; body is the body text's East Asian face (仿宋_GB2312, as
// official documents use, with 仿宋 as the fallback Word and WPS know).
func Docx(title, body string, paras []Para) ([]byte, error) {
	var doc strings.Builder
	doc.WriteString(xml.Header)
	doc.WriteString(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, p := range paras {
		writePara(&doc, p, body)
	}
	// A4, margins as GB/T 9704 (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm).
	doc.WriteString(`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr>`)
	doc.WriteString(`</w:body></w:document>`)

	var b bytes.Buffer
	z := zip.NewWriter(&b)
	files := []struct{ name, data string }{
		{"[Content_Types].xml", xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
			`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
			`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
			`</Types>`},
		{"_rels/.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
			`</Relationships>`},
		{"word/_rels/document.xml.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`</Relationships>`},
		{"word/styles.xml", xml.Header + `<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
			`<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="` + esc(body) + `" w:cs="Times New Roman"/>` +
			`<w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>` +
			`<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="560" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults>` +
			`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>` +
			`</w:styles>`},
		{"docProps/core.xml", xml.Header + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
			`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
			`<dc:title>` + esc(title) + `</dc:title><dc:creator>tuijin</dc:creator></cp:coreProperties>`},
		{"word/document.xml", doc.String()},
	}
	for _, f := range files {
		// A fixed time keeps a document's bytes a function of its text.
		w, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(f.data)); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writePara(w *strings.Builder, p Para, body string) {
	w.WriteString("<w:p><w:pPr>")
	if p.Text != "" && strings.Contains(p.Text, "\t") {
		w.WriteString(`<w:tabs><w:tab w:val="right" w:pos="8844"/></w:tabs>`)
	}
	if p.RuleBelow != "" {
		fmt.Fprintf(w, `<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="4" w:color="%s"/></w:pBdr>`, p.RuleBelow)
	}
	if p.SpaceLine > 0 {
		fmt.Fprintf(w, `<w:spacing w:after="0" w:line="%d" w:lineRule="exact"/>`, int(p.SpaceLine*20))
	}
	if p.Indent {
		w.WriteString(`<w:ind w:firstLineChars="200" w:firstLine="640"/>`)
	}
	if p.Align != "" {
		fmt.Fprintf(w, `<w:jc w:val="%s"/>`, p.Align)
	}
	w.WriteString("</w:pPr>")
	rpr := "<w:rPr>"
	if p.Font != "" && p.Font != body {
		rpr += fmt.Sprintf(`<w:rFonts w:eastAsia="%s"/>`, esc(p.Font))
	}
	if p.Bold {
		rpr += "<w:b/><w:bCs/>"
	}
	if p.Color != "" {
		rpr += fmt.Sprintf(`<w:color w:val="%s"/>`, p.Color)
	}
	if p.Size > 0 {
		rpr += fmt.Sprintf(`<w:sz w:val="%d"/><w:szCs w:val="%d"/>`, int(p.Size*2), int(p.Size*2))
	}
	rpr += "</w:rPr>"
	for i, line := range strings.Split(p.Text, "\n") {
		if i > 0 {
			w.WriteString("<w:r>" + rpr + "<w:br/></w:r>")
		}
		for j, part := range strings.Split(line, "\t") {
			if j > 0 {
				w.WriteString("<w:r>" + rpr + "<w:tab/></w:r>")
			}
			if part != "" {
				w.WriteString("<w:r>" + rpr + `<w:t xml:space="preserve">` + esc(part) + "</w:t></w:r>")
			}
		}
	}
	w.WriteString("</w:p>")
}
