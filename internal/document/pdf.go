// Package document lays out the printed page of what the platform issues
// (bulletins, minutes): fonts chosen per character so that every glyph
// prints, PDF text wrapped without losing a character, tables that repeat
// their header, and .docx files that Word, WPS and LibreOffice open.
package document

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
)

// Page geometry of an A4 page in millimetres: text runs from Left over
// Width; a page's text ends at Bottom (the footer sits below).
const (
	Left   = 15.0
	Width  = 180.0
	Bottom = 280.0
)

// PDF is an A4 document being laid out with a set of fonts.
type PDF struct {
	P  *fpdf.Fpdf // for drawing (colours, rules); text goes through the methods
	fs *Fonts
	pt float64
}

// NewPDF starts an A4 document titled title, drawing with the fonts of
// fontSpec (see LoadFonts) embedded as subsets, with a page footer
// "第 N 页 / 共 M 页".
func NewPDF(fontSpec, title string) (*PDF, error) {
	fs, err := LoadFonts(fontSpec)
	if err != nil {
		return nil, err
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(Left, 15, 15)
	p.SetAutoPageBreak(false, 15)
	for _, fc := range fs.faces {
		p.AddUTF8FontFromBytes(fc.name, "", fc.data)
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("PDF fonts: %w", err)
	}
	w := &PDF{P: p, fs: fs}
	p.SetTitle(title, true)
	p.SetCreator("tuijin", true)
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		pt := w.pt
		w.Size(8)
		w.Line(Left, 285, Width, fmt.Sprintf("第 %d 页 / 共 {nb} 页", p.PageNo()), "C", 5)
		w.pt = pt
	})
	p.AddPage()
	return w, nil
}

// Bytes is the finished document.
func (w *PDF) Bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := w.P.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Size sets the text size in points.
func (w *PDF) Size(pt float64) { w.pt = pt }

// Y is the current vertical position.
func (w *PDF) Y() float64 { return w.P.GetY() }

// Skip moves down by h millimetres.
func (w *PDF) Skip(h float64) { w.P.SetY(w.P.GetY() + h) }

// Need starts a new page when h millimetres do not fit on this one.
func (w *PDF) Need(h float64) {
	if w.P.GetY()+h > Bottom {
		w.NewPage()
	}
}

// NewPage adds a page keeping the text size (the footer sets its own).
func (w *PDF) NewPage() {
	pt := w.pt
	w.P.AddPage()
	w.pt = pt
}

// Rule draws a horizontal line across the text width in a colour.
func (w *PDF) Rule(r, g, b int, width float64) {
	w.P.SetDrawColor(r, g, b)
	w.P.SetLineWidth(width)
	w.P.Line(Left, w.P.GetY(), Left+Width, w.P.GetY())
	w.P.SetDrawColor(0, 0, 0)
	w.P.SetLineWidth(0.2)
}

func (w *PDF) runeWidth(r rune) float64 {
	i := w.fs.FaceOf(r)
	if i < 0 {
		i = 0
	}
	w.P.SetFont(w.fs.faces[i].name, "", w.pt)
	return w.P.GetStringWidth(string(r))
}

// TextWidth is how wide s prints at the current size.
func (w *PDF) TextWidth(s string) float64 {
	total := 0.0
	for _, r := range w.fs.runs(s) {
		w.P.SetFont(w.fs.faces[r.face].name, "", w.pt)
		total += w.P.GetStringWidth(r.text)
	}
	return total
}

// hangs are characters that may stay at the end of a full line rather than
// begin the next (closing punctuation).
const hangs = "，。、；：）》」』”’！？％,.;:)%"

// Wrap breaks s into lines no wider than max, between any two characters
// (Chinese text and long numbers alike), keeping every character; with
// hang, closing punctuation may overhang a full line (paragraphs, not cells).
func (w *PDF) Wrap(s string, max float64, hang bool) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var cur []rune
		width := 0.0
		for _, r := range para {
			rw := w.runeWidth(r)
			if width+rw > max && len(cur) > 0 && !(hang && strings.ContainsRune(hangs, r)) {
				lines = append(lines, string(cur))
				cur, width = nil, 0
			}
			cur = append(cur, r)
			width += rw
		}
		lines = append(lines, string(cur))
	}
	return lines
}

// Line draws one line of text in the box [x, x+width] at y, aligned L, C or
// R, and moves below it by h.
func (w *PDF) Line(x, y, width float64, s, align string, h float64) {
	tw := w.TextWidth(s)
	switch align {
	case "C":
		x += (width - tw) / 2
	case "R":
		x += width - tw
	}
	w.P.SetXY(x, y)
	for _, r := range w.fs.runs(s) {
		w.P.SetFont(w.fs.faces[r.face].name, "", w.pt)
		w.P.CellFormat(w.P.GetStringWidth(r.text), h, r.text, "", 0, "L", false, 0, "")
	}
	w.P.SetXY(Left, y+h)
}

// Paragraph wraps text across the page width (indented two characters when
// indent), breaking pages between lines.
func (w *PDF) Paragraph(text string, h float64, indent bool) {
	if indent {
		text = "\u3000\u3000" + text
	}
	for _, l := range w.Wrap(text, Width, true) {
		w.Need(h)
		w.Line(Left, w.P.GetY(), Width, l, "L", h)
	}
}

// Table is a table to draw across the page width.
type Table struct {
	Header []string
	Rows   [][]string
	Widths []float64 // relative column widths
	Left   []int     // the columns of text, set left (nil: the second, a name)
}

// Table draws a table across the page width: each cell wraps within its
// column, a row is as tall as its tallest cell, a row never splits across
// pages, and the header is repeated on every page.
func (w *PDF) Table(t Table) {
	sum := 0.0
	for _, x := range t.Widths {
		sum += x
	}
	ws := make([]float64, len(t.Widths))
	for i, x := range t.Widths {
		ws[i] = Width * x / sum
	}
	const lh = 4.6
	w.Size(8.5)
	left := map[int]bool{1: true}
	if t.Left != nil {
		left = map[int]bool{}
		for _, i := range t.Left {
			left[i] = true
		}
	}
	row := func(cells []string, header bool) {
		wrapped := make([][]string, len(cells))
		lines := 1
		for i, c := range cells {
			wrapped[i] = w.Wrap(c, ws[i]-2, false)
			if len(wrapped[i]) > lines {
				lines = len(wrapped[i])
			}
		}
		h := lh*float64(lines) + 1.2
		y := w.P.GetY()
		x := Left
		w.P.SetFillColor(242, 242, 242)
		for i := range cells {
			style := "D"
			if header {
				style = "FD"
			}
			w.P.Rect(x, y, ws[i], h, style)
			align := "C"
			if !header && (left[i] || len(wrapped[i]) > 1 || len([]rune(cells[i])) > 12) {
				align = "L"
			}
			for k, l := range wrapped[i] {
				w.Line(x+1, y+0.6+lh*float64(k), ws[i]-2, l, align, lh)
			}
			x += ws[i]
		}
		w.P.SetXY(Left, y+h)
	}
	heightOf := func(cells []string) float64 {
		lines := 1
		for i, c := range cells {
			if n := len(w.Wrap(c, ws[i]-2, false)); n > lines {
				lines = n
			}
		}
		return lh*float64(lines) + 1.2
	}
	if len(t.Rows) == 0 {
		return
	}
	w.Need(heightOf(t.Header) + heightOf(t.Rows[0]))
	row(t.Header, true)
	for _, r := range t.Rows {
		if w.P.GetY()+heightOf(r) > Bottom {
			w.NewPage()
			row(t.Header, true)
		}
		row(r, false)
	}
}
