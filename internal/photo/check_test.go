package photo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/tuijin/tuijin/internal/errs"
)

func noisy(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(7, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk appends one chunk with its CRC.
func pngChunk(out *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(out, binary.BigEndian, uint32(len(data)))
	out.WriteString(typ)
	out.Write(data)
	_ = binary.Write(out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// interlacedPNG is an Adam7-interlaced 8-bit greyscale PNG (Go's encoder
// writes none), each pass's rows unfiltered.
func interlacedPNG(w, h int) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9], ihdr[12] = 8, 0, 1
	pngChunk(&out, "IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	for _, p := range [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		pw, ph := (w-p[0]+p[2]-1)/p[2], (h-p[1]+p[3]-1)/p[3]
		if pw <= 0 || ph <= 0 {
			continue
		}
		for y := 0; y < ph; y++ {
			row := make([]byte, 1+pw)
			for x := range row[1:] {
				row[1+x] = uint8(x * y)
			}
			_, _ = zw.Write(row)
		}
	}
	_ = zw.Close()
	pngChunk(&out, "IDAT", z.Bytes())
	pngChunk(&out, "IEND", nil)
	return out.Bytes()
}

// TestInspectAcceptsWhatDecodes: the structure check accepts every kind of
// photo Go's decoders read — JPEG greyscale, 4:2:0 and 4:4:4, PNG of every
// colour type and depth, paletted, interlaced, odd sizes — and reads the
// same size.
func TestInspectAcceptsWhatDecodes(t *testing.T) {
	var files [][]byte
	for _, img := range []image.Image{noisy(33, 17), image.NewGray(image.Rect(0, 0, 9, 31))} {
		var b bytes.Buffer
		_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
		files = append(files, b.Bytes())
	}
	ycc := image.NewYCbCr(image.Rect(0, 0, 41, 23), image.YCbCrSubsampleRatio444)
	var b bytes.Buffer
	_ = jpeg.Encode(&b, ycc, nil)
	files = append(files, b.Bytes())
	src := noisy(37, 11)
	gray16 := image.NewGray16(src.Rect)
	rgba64 := image.NewRGBA64(src.Rect)
	nrgba := image.NewNRGBA(src.Rect)
	pal := image.NewPaletted(src.Rect, color.Palette{color.Black, color.White, color.RGBA{200, 10, 10, 255}})
	gray := image.NewGray(src.Rect)
	for y := 0; y < 11; y++ {
		for x := 0; x < 37; x++ {
			c := src.At(x, y)
			gray16.Set(x, y, c)
			rgba64.Set(x, y, c)
			nrgba.Set(x, y, color.NRGBA{uint8(x), uint8(y), 3, uint8(x * y)})
			pal.Set(x, y, c)
			gray.Set(x, y, c)
		}
	}
	for _, img := range []image.Image{src, gray16, rgba64, nrgba, pal, gray} {
		files = append(files, encodePNG(t, img))
	}
	files = append(files, interlacedPNG(1, 1), interlacedPNG(5, 3), interlacedPNG(29, 19))
	for i, data := range files {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			t.Fatalf("file %d does not decode: %v", i, err)
		}
		m, err, _ := inspectBytes(t, data, "", Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, DecodeBudget: 1 << 30})
		if err != nil || m.Width != cfg.Width || m.Height != cfg.Height || m.DecodeCost <= 0 {
			t.Errorf("file %d (%dx%d): %+v %v", i, cfg.Width, cfg.Height, m, err)
		}
	}
}

// TestDecodeCostCovers: the cost read from the header is at least what Go's
// decoder allocates for the image, for the photos people take and the PNGs
// that cost most.
func TestDecodeCostCovers(t *testing.T) {
	var jpg bytes.Buffer
	_ = jpeg.Encode(&jpg, noisy(1200, 900), &jpeg.Options{Quality: 85})
	for name, data := range map[string][]byte{
		"JPEG 4:2:0":      jpg.Bytes(),
		"PNG RGBA 8-bit":  encodePNG(t, noisy(700, 500)),
		"PNG RGBA 16-bit": encodePNG(t, image.NewRGBA64(image.Rect(0, 0, 700, 500))),
		"PNG grey":        encodePNG(t, image.NewGray(image.Rect(0, 0, 700, 500))),
	} {
		m, err, _ := inspectBytes(t, data, "", Limits{MaxBytes: 1 << 30, MaxPixels: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		allocated := int64(after.TotalAlloc - before.TotalAlloc)
		if m.DecodeCost < allocated {
			t.Errorf("%s: cost %d below the %d bytes the decoder allocated", name, m.DecodeCost, allocated)
		}
		t.Logf("%s: cost %d, decoder allocated %d", name, m.DecodeCost, allocated)
	}
}

// TestInspectRefusesWithoutDecoding: files whose header promises what their
// data does not hold are refused by the structure check, with the refusal
// the photo deserves, and never reach a decoder; so is a file over the
// decode budget, from its header.
func TestInspectRefusesWithoutDecoding(t *testing.T) {
	var jb bytes.Buffer
	_ = jpeg.Encode(&jb, noisy(64, 48), nil)
	good := jb.Bytes()
	sof := bytes.Index(good, []byte{0xFF, 0xC0})
	big := bytes.Clone(good)
	binary.BigEndian.PutUint16(big[sof+5:], 6000)
	binary.BigEndian.PutUint16(big[sof+7:], 6000)
	sos := bytes.Index(good, []byte{0xFF, 0xDA})
	noScan := append(bytes.Clone(good[:sos]), 0xFF, 0xD9)
	pngGood := encodePNG(t, noisy(40, 30))
	badCRC := bytes.Clone(pngGood)
	badCRC[len(badCRC)-20] ^= 0xFF // inside the image data: its chunk's CRC no longer holds
	cut := func(b []byte, n int) []byte { return bytes.Clone(b[:len(b)-n]) }
	lim := Limits{MaxBytes: 1 << 30, MaxPixels: 40_000_000, DecodeBudget: 192 << 20}
	for _, c := range []struct {
		name string
		data []byte
		want *errs.Error
	}{
		{"JPEG frame of 6000×6000 over a 64×48 scan", big, errUnreadable},
		{"JPEG without a scan", noScan, errUnreadable},
		{"JPEG without its end", cut(good, 2), errUnreadable},
		{"JPEG cut in its scan", cut(good, len(good)/3), errUnreadable},
		{"PNG cut in its data", cut(pngGood, 40), errUnreadable},
		{"PNG with a bad CRC", badCRC, errUnreadable},
		{"PNG header of 30000×30000", hugePNGHeader(30000, 30000, 8, 2), errPixels},
		{"16-bit RGBA PNG of 6000×6000", hugePNGHeader(6000, 6000, 16, 6), errDecode},
		{"8-bit RGB PNG of 6000×6000 with one byte of data", hugePNGHeader(6000, 6000, 8, 2), errUnreadable},
	} {
		_, err, _ := inspectBytes(t, c.data, "", lim)
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != c.want.Code {
			t.Errorf("%s: %v, want %s", c.name, err, c.want.Code)
		}
	}
}

// hugePNGHeader is a PNG whose header says w×h at depth and colour, with
// one byte of image data.
func hugePNGHeader(w, h uint32, depth, colour byte) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colour
	pngChunk(&out, "IHDR", ihdr)
	pngChunk(&out, "IDAT", []byte{0})
	pngChunk(&out, "IEND", nil)
	return out.Bytes()
}
