package photo

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"testing"
	"time"

	"github.com/tuijin/tuijin/internal/errs"
)

// tiffIFD is one directory of a hand-made EXIF block: entries of (tag,
// type, count, value or offset), little-endian.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // ≤ 4 bytes inline, else placed after the directories
}

// exifBlock builds the TIFF structure of an APP1 Exif segment: IFD0 with
// pointers to an Exif IFD (DateTimeOriginal) and a GPS IFD, or, with
// next != 0, IFD0 followed by the given next-IFD offset (to make chains).
func exifBlock(taken string, lat, lng [3][2]uint32) []byte {
	le := binary.LittleEndian
	rat := func(v [3][2]uint32) []byte {
		b := make([]byte, 24)
		for i, r := range v {
			le.PutUint32(b[i*8:], r[0])
			le.PutUint32(b[i*8+4:], r[1])
		}
		return b
	}
	u32 := func(n uint32) []byte { b := make([]byte, 4); le.PutUint32(b, n); return b }
	// Layout: header (8) | IFD0 (2+2*12+4=30) | Exif IFD (2+12+4=18) | GPS IFD (2+4*12+4=54) | data.
	const ifd0, exifIFD, gpsIFD, data = 8, 38, 56, 110
	dirs := []struct {
		at      int
		entries []ifdEntry
	}{
		{ifd0, []ifdEntry{{0x8769, 4, 1, u32(exifIFD)}, {0x8825, 4, 1, u32(gpsIFD)}}},
		{exifIFD, []ifdEntry{{0x9003, 2, uint32(len(taken) + 1), append([]byte(taken), 0)}}},
		{gpsIFD, []ifdEntry{{1, 2, 2, []byte("N\x00")}, {2, 5, 3, rat(lat)}, {3, 2, 2, []byte("E\x00")}, {4, 5, 3, rat(lng)}}},
	}
	out := make([]byte, data)
	copy(out, "II*\x00")
	le.PutUint32(out[4:], ifd0)
	for _, d := range dirs {
		le.PutUint16(out[d.at:], uint16(len(d.entries)))
		for i, e := range d.entries {
			p := d.at + 2 + i*12
			le.PutUint16(out[p:], e.tag)
			le.PutUint16(out[p+2:], e.typ)
			le.PutUint32(out[p+4:], e.count)
			if len(e.value) <= 4 {
				copy(out[p+8:], e.value)
			} else {
				le.PutUint32(out[p+8:], uint32(len(out)))
				out = append(out, e.value...)
			}
		}
	}
	return out
}

// withApp1 inserts an APP1 Exif segment holding tiff after a JPEG's SOI.
func withApp1(jpg, tiff []byte) []byte {
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+6+len(tiff)))
	seg = append(append(seg, "Exif\x00\x00"...), tiff...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

func tinyImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 40), uint8(y * 40), 90, 255})
		}
	}
	return img
}

func tinyJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, tinyImage(6, 4), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cyclicIFDs is a TIFF block whose IFD0 names IFD1 as the next directory
// and IFD1 names IFD0 again.
func cyclicIFDs() []byte {
	b := make([]byte, 20)
	copy(b, "II*\x00")
	binary.LittleEndian.PutUint32(b[4:], 8)
	binary.LittleEndian.PutUint32(b[10:], 14) // IFD0 at 8: no tags, next at 14
	binary.LittleEndian.PutUint32(b[16:], 8)  // IFD1 at 14: no tags, next at 8
	return b
}

// scratch is one file per test process that each input is written into
// (a new file per input would spend the fuzzing budget in the file system);
// a fuzz worker runs its inputs one at a time.
var scratch struct{ f *os.File }

func inspectBytes(t *testing.T, data []byte, declared string, lim Limits) (Meta, error, *os.File) {
	t.Helper()
	if scratch.f == nil {
		f, err := os.CreateTemp("", "tuijin-photo-fuzz-*")
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(f.Name()) // kept open, gone when the process ends
		scratch.f = f
	}
	f := scratch.f
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	m, err := Inspect(f, declared, lim)
	return m, err, f
}

// TestExif reads the capture time and position of a photo, and ignores
// what cannot be a position.
func TestExif(t *testing.T) {
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}
	good := withApp1(tinyJPEG(t), exifBlock("2026:03:02 10:15:00", [3][2]uint32{{32, 1}, {7, 1}, {30, 1}}, [3][2]uint32{{114, 1}, {54, 1}, {0, 1}}))
	m, err, _ := inspectBytes(t, good, "image/jpeg", lim)
	if err != nil {
		t.Fatal(err)
	}
	if m.TakenAt == nil || m.TakenAt.Format("2006-01-02 15:04") != "2026-03-02 10:15" || m.Lat == nil || m.Lng == nil ||
		math.Abs(*m.Lat-32.125) > 1e-9 || math.Abs(*m.Lng-114.9) > 1e-9 {
		t.Fatalf("meta %+v", m)
	}
	for name, pos := range map[string][2][3][2]uint32{
		"latitude 95°":      {{{95, 1}, {0, 1}, {0, 1}}, {{114, 1}, {0, 1}, {0, 1}}},
		"longitude 181°":    {{{32, 1}, {0, 1}, {0, 1}}, {{181, 1}, {0, 1}, {0, 1}}},
		"zero denominators": {{{0, 0}, {0, 0}, {0, 0}}, {{1, 0}, {0, 0}, {0, 0}}},
	} {
		m, err, _ := inspectBytes(t, withApp1(tinyJPEG(t), exifBlock("2026:03:02 10:15:00", pos[0], pos[1])), "image/jpeg", lim)
		if err != nil || m.Lat != nil || m.Lng != nil || m.TakenAt == nil {
			t.Errorf("%s: %+v, %v: want the time and no position", name, m, err)
		}
	}
}

// TestExifCycle: IFDs that point at each other (a loop the EXIF library
// follows for ever, appending directories) leave the photo without EXIF
// instead of hanging the upload.
func TestExifCycle(t *testing.T) {
	done := make(chan struct{})
	var m Meta
	var err error
	go func() {
		defer close(done)
		m, err, _ = inspectBytes(t, withApp1(tinyJPEG(t), cyclicIFDs()), "image/jpeg", Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20})
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Inspect did not return: the IFD loop is followed")
	}
	if err != nil || m.TakenAt != nil || m.Width != 6 {
		t.Fatalf("%+v, %v", m, err)
	}
}

// FuzzInspect: whatever the bytes, Inspect answers (no panic, no hang) with
// a kinded error or a photo within the pixel limit whose type is JPEG or
// PNG, whose position (if any) is a real one, and whose file is rewound;
// such a photo's derivatives are made or refused with a kinded error.
func FuzzInspect(f *testing.F) {
	jpg := tinyJPEG(f)
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, tinyImage(5, 3)); err != nil {
		f.Fatal(err)
	}
	f.Add(jpg, "image/jpeg")
	f.Add(pngBuf.Bytes(), "image/png")
	f.Add(pngBuf.Bytes(), "image/jpeg")
	f.Add(withApp1(jpg, exifBlock("2026:03:02 10:15:00", [3][2]uint32{{32, 1}, {7, 1}, {30, 1}}, [3][2]uint32{{114, 1}, {54, 1}, {0, 1}})), "")
	f.Add(withApp1(jpg, exifBlock("2026:13:45 99:99:99", [3][2]uint32{{1, 0}, {7, 0}, {0, 0}}, [3][2]uint32{{4000000000, 1}, {54, 1}, {0, 1}})), "application/octet-stream")
	f.Add(withApp1(jpg, cyclicIFDs()), "image/jpeg")
	f.Add([]byte("%PDF-1.7\n"), "application/pdf")
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02}, "image/jpeg")
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 16}
	f.Fuzz(func(t *testing.T, data []byte, declared string) {
		m, err, file := inspectBytes(t, data, declared, lim)
		if err != nil {
			if errs.KindOf(err) == errs.Internal {
				t.Fatalf("unkinded error: %v", err)
			}
			return
		}
		if m.ContentType != "image/jpeg" && m.ContentType != "image/png" {
			t.Fatalf("accepted as %q", m.ContentType)
		}
		if m.Width <= 0 || m.Height <= 0 || m.Width*m.Height > lim.MaxPixels {
			t.Fatalf("accepted %d×%d over the limit of %d pixels", m.Width, m.Height, lim.MaxPixels)
		}
		if (m.Lat == nil) != (m.Lng == nil) {
			t.Fatalf("half a position: %+v", m)
		}
		if m.Lat != nil && !(math.Abs(*m.Lat) <= 90 && math.Abs(*m.Lng) <= 180) {
			t.Fatalf("position %v, %v is not on Earth", *m.Lat, *m.Lng)
		}
		if pos, _ := file.Seek(0, io.SeekCurrent); pos != 0 {
			t.Fatalf("file left at %d", pos)
		}
		if _, _, err := Derivatives(file); err != nil && errs.KindOf(err) == errs.Internal {
			t.Fatalf("derivatives: unkinded error %v", err)
		}
	})
}
