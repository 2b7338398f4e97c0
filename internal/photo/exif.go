package photo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"time"

	"github.com/rwcarlsen/goexif/exif"
)

// maxIFDs bounds the chain of top-level EXIF directories (a camera writes
// two: the image's and the thumbnail's).
const maxIFDs = 8

// readExif returns the capture time and position a JPEG's EXIF block states,
// each nil when absent, malformed or impossible. It never fails: EXIF is
// information for the office, not a condition of the upload. The block is
// taken from the APP1 segment (at most 64 KiB) and its directory chain is
// checked before the EXIF library reads it, since that library follows a
// chain of directories that loops back for ever; a panic inside it counts
// as no EXIF.
func readExif(r io.Reader) (taken *time.Time, lat, lng *float64) {
	tiff := app1Exif(r)
	if tiff == nil || !chainOK(tiff) {
		return nil, nil, nil
	}
	defer func() {
		if recover() != nil {
			taken, lat, lng = nil, nil, nil
		}
	}()
	x, err := exif.Decode(bytes.NewReader(tiff))
	if err != nil {
		return nil, nil, nil
	}
	if t, err := x.DateTime(); err == nil {
		taken = &t
	}
	if la, lo, err := x.LatLong(); err == nil && math.Abs(la) <= 90 && math.Abs(lo) <= 180 {
		lat, lng = &la, &lo
	}
	return taken, lat, lng
}

// app1Exif walks a JPEG's segments up to the image data and returns the
// TIFF structure of its APP1 Exif segment, or nil.
func app1Exif(r io.Reader) []byte {
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return nil
	}
	for {
		b, err := br.ReadByte()
		if err != nil || b != 0xFF {
			return nil
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = br.ReadByte()
		}
		if err != nil || marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return nil
		}
		if marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) { // no length
			continue
		}
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return nil
		}
		n := int(binary.BigEndian.Uint16(l[:])) - 2
		if n < 0 {
			return nil
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil {
			return nil
		}
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
	}
}

// chainOK reports whether a TIFF block's chain of top-level directories
// stays inside the block, visits no directory twice and is short.
func chainOK(tiff []byte) bool {
	if len(tiff) < 8 {
		return false
	}
	var order binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return false
	}
	seen := map[uint32]bool{}
	for off := order.Uint32(tiff[4:]); off != 0; {
		if seen[off] || len(seen) == maxIFDs || uint64(off)+2 > uint64(len(tiff)) {
			return false
		}
		seen[off] = true
		next := uint64(off) + 2 + 12*uint64(order.Uint16(tiff[off:]))
		if next+4 > uint64(len(tiff)) {
			return false
		}
		off = order.Uint32(tiff[next:])
	}
	return true
}
