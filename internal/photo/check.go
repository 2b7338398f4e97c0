package photo

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// header is what a photo's header says, before any pixel is decoded.
type header struct {
	width, height int
	cost          int64 // bytes the decoder and the derivatives need (DecodeCost)
}

// admit is called with the header as soon as it is read, before the rest
// of the file is checked; its error ends the check.
type admit func(header) error

var errNoData = errUnreadable.Wrap(errors.New("no image data"))

// checkJPEG walks a JPEG from SOI to EOI without decoding it: every segment
// is well formed, there is one baseline or progressive frame (what the
// decoder supports) and at least one scan after it, and the scans carry at
// least the entropy-coded bytes the frame's blocks need (two bits a block
// for a sequential scan, one for a progressive one) — a header announcing
// 6000×6000 pixels over a few bytes is refused here, not in the decoder.
// Memory: a fixed buffer, whatever the file.
func checkJPEG(r *bufio.Reader, ok admit) (header, error) {
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return header{}, errUnreadable
	}
	var (
		hd          header
		frame       bool
		progressive bool
		blocks      int64
		scans       int
		entropy     int64
		marker      byte
		pending     bool
	)
	for {
		if !pending {
			b, err := r.ReadByte()
			if err != nil {
				return hd, errUnreadable.Wrap(err)
			}
			if b != 0xFF {
				return hd, errUnreadable.Wrap(errors.New("bytes between segments"))
			}
			for b == 0xFF { // fill bytes
				if b, err = r.ReadByte(); err != nil {
					return hd, errUnreadable.Wrap(err)
				}
			}
			marker = b
		}
		pending = false
		switch {
		case marker == 0xD9: // EOI
			if !frame || scans == 0 || entropy == 0 {
				return hd, errNoData
			}
			min := blocks / 4
			if progressive {
				min = blocks / 8
			}
			if entropy < min {
				return hd, errUnreadable.Wrap(errors.New("less image data than the frame's blocks need"))
			}
			return hd, nil
		case marker == 0xD8, marker == 0x00:
			return hd, errUnreadable.Wrap(errors.New("misplaced marker"))
		case marker >= 0xD0 && marker <= 0xD7, marker == 0x01: // RSTn, TEM: no length
			continue
		}
		var lb [2]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return hd, errUnreadable.Wrap(err)
		}
		n := int(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return hd, errUnreadable.Wrap(errors.New("segment length"))
		}
		switch {
		case marker == 0xC0 || marker == 0xC1 || marker == 0xC2: // SOF0, SOF1, SOF2
			if frame {
				return hd, errUnreadable.Wrap(errors.New("several frames"))
			}
			frame, progressive = true, marker == 0xC2
			seg := make([]byte, n)
			if _, err := io.ReadFull(r, seg); err != nil {
				return hd, errUnreadable.Wrap(err)
			}
			var err error
			if hd, blocks, err = jpegFrame(seg, progressive); err != nil {
				return hd, err
			}
			if err := ok(hd); err != nil {
				return hd, err
			}
			continue
		case marker >= 0xC3 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
			return hd, errUnreadable.Wrap(errors.New("unsupported JPEG coding (lossless, hierarchical or arithmetic)"))
		case marker == 0xDA: // SOS
			if !frame {
				return hd, errUnreadable.Wrap(errors.New("scan before frame"))
			}
			if _, err := r.Discard(n); err != nil {
				return hd, errUnreadable.Wrap(err)
			}
			scans++
			m, count, err := entropyData(r)
			if err != nil {
				return hd, err
			}
			entropy += count
			marker, pending = m, true
			continue
		}
		if _, err := r.Discard(n); err != nil {
			return hd, errUnreadable.Wrap(err)
		}
	}
}

// entropyData reads a scan's entropy-coded bytes up to the next marker
// (stuffed zero bytes and restart markers belong to the scan) and returns
// that marker and how many bytes there were.
func entropyData(r *bufio.Reader) (byte, int64, error) {
	var n int64
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, n, errUnreadable.Wrap(err)
		}
		if b != 0xFF {
			n++
			continue
		}
		for b == 0xFF {
			if b, err = r.ReadByte(); err != nil {
				return 0, n, errUnreadable.Wrap(err)
			}
		}
		switch {
		case b == 0x00:
			n++
		case b >= 0xD0 && b <= 0xD7:
		default:
			return b, n, nil
		}
	}
}

// jpegFrame reads a frame header: the size, the decode cost and the number
// of 8×8 blocks the scans must code.
func jpegFrame(seg []byte, progressive bool) (header, int64, error) {
	if len(seg) < 6 {
		return header{}, 0, errUnreadable.Wrap(errors.New("short frame header"))
	}
	h := int(binary.BigEndian.Uint16(seg[1:]))
	w := int(binary.BigEndian.Uint16(seg[3:]))
	nc := int(seg[5])
	if seg[0] != 8 || (nc != 1 && nc != 3 && nc != 4) || len(seg) < 6+3*nc {
		return header{}, 0, errUnreadable.Wrap(errors.New("unsupported frame (precision or components)"))
	}
	if w <= 0 || h <= 0 {
		return header{w, h, 0}, 0, errPixels
	}
	hmax, vmax := 1, 1
	for i := 0; i < nc; i++ {
		hs, vs := int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
		if hs < 1 || hs > 4 || vs < 1 || vs > 4 {
			return header{}, 0, errUnreadable.Wrap(errors.New("sampling factors"))
		}
		hmax, vmax = max(hmax, hs), max(vmax, vs)
	}
	var cost, blocks int64
	for i := 0; i < nc; i++ {
		hs, vs := int64(seg[7+3*i]>>4), int64(seg[7+3*i]&15)
		// A component's plane is padded to whole MCUs, as the decoder allocates it.
		cw := (int64(w) + int64(8*hmax) - 1) / int64(8*hmax) * 8 * hs
		ch := (int64(h) + int64(8*vmax) - 1) / int64(8*vmax) * 8 * vs
		cost += cw * ch
		b := (int64(w)*hs/int64(hmax) + 7) / 8 * ((int64(h)*vs/int64(vmax) + 7) / 8)
		blocks += b
		if progressive {
			cost += cw * ch / 64 * 256 // the coefficients of every block, kept across scans
		}
	}
	if nc == 4 {
		cost += int64(w) * int64(h) * 4 // converted to CMYK
	}
	return header{width: w, height: h, cost: cost + derivativesCost(w, h)}, blocks, nil
}

// derivativesCost is what making the display copy and the thumbnail adds
// to the decoded image: their canvases and encoded bytes.
func derivativesCost(w, h int) int64 {
	var c int64
	for _, longest := range []int{displaySide, thumbSide} {
		dw, dh := scaled(w, h, longest)
		c += int64(dw) * int64(dh) * 4 * 3 / 2 // the canvas and, at most, half as much again of JPEG
	}
	return c
}

// PNG colour types.
const (
	pngGray      = 0
	pngRGB       = 2
	pngPaletted  = 3
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// checkPNG walks a PNG's chunks from IHDR to IEND without decoding it: each
// chunk's CRC holds, the header is one the decoder supports, a palette comes
// before the data of a paletted image, and the image data inflates to
// exactly the rows the header announces, each starting with a valid filter
// type. The inflated rows are counted as they stream past, never kept: a
// small file announcing gigabytes of pixels is refused at its header (ok),
// and one whose data runs short is refused here.
func checkPNG(r *bufio.Reader, ok admit) (header, error) {
	var sig [8]byte
	if _, err := io.ReadFull(r, sig[:]); err != nil || string(sig[:]) != "\x89PNG\r\n\x1a\n" {
		return header{}, errUnreadable
	}
	c := &chunks{r: r}
	var (
		hd                           header
		depth, colour, interlace     int
		seenIHDR, seenPLTE, seenTRNS bool
		seenData                     bool
	)
	for {
		typ, n, err := c.next()
		if err != nil {
			return hd, err
		}
		switch {
		case !seenIHDR && typ != "IHDR":
			return hd, errUnreadable.Wrap(errors.New("IHDR is not first"))
		case typ == "IHDR":
			if seenIHDR || n != 13 {
				return hd, errUnreadable.Wrap(errors.New("IHDR"))
			}
			var b [13]byte
			if err := c.read(b[:]); err != nil {
				return hd, err
			}
			seenIHDR = true
			w, h := binary.BigEndian.Uint32(b[0:]), binary.BigEndian.Uint32(b[4:])
			depth, colour, interlace = int(b[8]), int(b[9]), int(b[12])
			if w == 0 || h == 0 || w > 1<<30 || h > 1<<30 {
				return header{int(w), int(h), 0}, errPixels
			}
			hd = header{width: int(w), height: int(h)}
			if !pngDepthOK(colour, depth) || b[10] != 0 || b[11] != 0 || interlace > 1 {
				return hd, errUnreadable.Wrap(errors.New("unsupported PNG header"))
			}
		case typ == "PLTE":
			seenPLTE = true
		case typ == "tRNS":
			seenTRNS = true
		case typ == "IDAT" && !seenData:
			if colour == pngPaletted && !seenPLTE {
				return hd, errUnreadable.Wrap(errors.New("no palette"))
			}
			hd.cost = pngCost(hd.width, hd.height, colour, depth, interlace == 1, seenTRNS)
			if err := ok(hd); err != nil {
				return hd, err
			}
			seenData = true
			if err := pngRows(c, hd.width, hd.height, colour, depth, interlace == 1); err != nil {
				return hd, err
			}
			continue // pngRows ended the data's last chunk
		case typ == "IEND":
			if !seenData {
				return hd, errNoData
			}
			return hd, c.end()
		}
		if err := c.skip(); err != nil {
			return hd, err
		}
	}
}

func pngDepthOK(colour, depth int) bool {
	switch colour {
	case pngGray:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case pngPaletted:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case pngRGB, pngGrayAlpha, pngRGBA:
		return depth == 8 || depth == 16
	}
	return false
}

func pngChannels(colour int) int {
	return map[int]int{pngGray: 1, pngRGB: 3, pngPaletted: 1, pngGrayAlpha: 2, pngRGBA: 4}[colour]
}

// pngCost is the decoded image's size as Go's decoder holds it (grey and
// paletted images a byte a pixel, or two at 16 bits; colour, alpha or
// transparency four bytes, eight at 16 bits), half as much again for an
// interlaced image (a pass's image beside the whole), and the derivatives.
func pngCost(w, h, colour, depth int, interlaced, transparent bool) int64 {
	var bpp int64
	switch {
	case (colour == pngGray || colour == pngPaletted) && !transparent:
		bpp = 1
		if depth == 16 {
			bpp = 2
		}
	case depth == 16:
		bpp = 8
	default:
		bpp = 4
	}
	c := int64(w) * int64(h) * bpp
	if interlaced {
		c += c / 2
	}
	return c + derivativesCost(w, h)
}

// pngRows inflates the image data (the IDAT chunks, the first of length n
// already begun) and checks that it holds every row of every pass, each
// led by a filter type of 0 to 4, and nothing more.
func pngRows(c *chunks, w, h, colour, depth int, interlaced bool) error {
	zr, err := zlib.NewReader(idatReader{c})
	if err != nil {
		return errUnreadable.Wrap(err)
	}
	defer zr.Close()
	bits := pngChannels(colour) * depth
	type pass struct{ x0, y0, dx, dy int }
	passes := []pass{{0, 0, 1, 1}}
	if interlaced {
		passes = []pass{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
	}
	br := bufio.NewReaderSize(zr, 32<<10)
	for _, p := range passes {
		pw, ph := (w-p.x0+p.dx-1)/p.dx, (h-p.y0+p.dy-1)/p.dy
		if pw <= 0 || ph <= 0 {
			continue
		}
		rowBytes := (int64(pw)*int64(bits) + 7) / 8
		for y := 0; y < ph; y++ {
			f, err := br.ReadByte()
			if err != nil {
				return errUnreadable.Wrap(errors.New("not enough image data"))
			}
			if f > 4 {
				return errUnreadable.Wrap(errors.New("bad filter type"))
			}
			if _, err := br.Discard(int(rowBytes)); err != nil {
				return errUnreadable.Wrap(errors.New("not enough image data"))
			}
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return errUnreadable.Wrap(errors.New("too much image data, or a damaged stream"))
	}
	return c.end() // the data's last chunk: whatever it has left, and its CRC

}

// chunks reads a PNG's chunks, checking each one's CRC.
type chunks struct {
	r    *bufio.Reader
	crc  uint32
	left int64  // bytes of the current chunk's data not yet read
	typ  string // the current chunk's type
}

// next reads a chunk's length and type (the previous chunk must be ended).
func (c *chunks) next() (string, uint32, error) {
	var b [8]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		return "", 0, errUnreadable.Wrap(err)
	}
	n := binary.BigEndian.Uint32(b[:4])
	if n > 0x7fffffff {
		return "", 0, errUnreadable.Wrap(errors.New("chunk length"))
	}
	c.typ, c.left = string(b[4:8]), int64(n)
	c.crc = crc32.Update(0, crc32.IEEETable, b[4:8])
	return c.typ, n, nil
}

func (c *chunks) read(p []byte) error {
	if int64(len(p)) > c.left {
		return errUnreadable.Wrap(errors.New("chunk too short"))
	}
	if _, err := io.ReadFull(c.r, p); err != nil {
		return errUnreadable.Wrap(err)
	}
	c.crc = crc32.Update(c.crc, crc32.IEEETable, p)
	c.left -= int64(len(p))
	return nil
}

// skip reads the rest of the chunk's data and ends it.
func (c *chunks) skip() error {
	var buf [4096]byte
	for c.left > 0 {
		if err := c.read(buf[:min(int64(len(buf)), c.left)]); err != nil {
			return err
		}
	}
	return c.end()
}

// end checks the chunk's CRC (its data all read).
func (c *chunks) end() error {
	if c.left != 0 {
		return c.skip()
	}
	var b [4]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		return errUnreadable.Wrap(err)
	}
	if binary.BigEndian.Uint32(b[:]) != c.crc {
		return errUnreadable.Wrap(errors.New("chunk CRC"))
	}
	return nil
}

// idatReader yields the image data across consecutive IDAT chunks.
type idatReader struct{ c *chunks }

func (d idatReader) Read(p []byte) (int, error) {
	c := d.c
	for c.left == 0 {
		if err := c.end(); err != nil {
			return 0, err
		}
		typ, _, err := c.next()
		if err != nil {
			return 0, err
		}
		if typ != "IDAT" {
			return 0, errUnreadable.Wrap(errors.New("not enough image data"))
		}
	}
	p = p[:min(int64(len(p)), c.left)]
	if err := c.read(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
