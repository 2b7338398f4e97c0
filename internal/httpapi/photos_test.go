package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tuijin/tuijin/internal/httpapi"
	"github.com/tuijin/tuijin/internal/httpapi/reportingapi"
)

// exifBlock builds an APP1 Exif segment with DateTimeOriginal and GPS
// (latitude N, longitude E), little-endian TIFF.
func exifBlock(taken string, lat, lng [3][2]uint32) []byte {
	var t bytes.Buffer
	le := binary.LittleEndian
	w16 := func(v uint16) { _ = binary.Write(&t, le, v) }
	w32 := func(v uint32) { _ = binary.Write(&t, le, v) }
	entry := func(tag, typ uint16, count, value uint32) { w16(tag); w16(typ); w32(count); w32(value) }
	t.WriteString("II")
	w16(42)
	w32(8)
	// IFD0 at 8: ExifIFD pointer and GPS pointer.
	w16(2)
	entry(0x8769, 4, 1, 38)
	entry(0x8825, 4, 1, 76)
	w32(0)
	// Exif IFD at 38: DateTimeOriginal at 56.
	w16(1)
	entry(0x9003, 2, 20, 56)
	w32(0)
	t.WriteString(taken + "\x00")
	// GPS IFD at 76: refs inline, rationals at 130 and 154.
	w16(4)
	entry(0x0001, 2, 2, uint32('N'))
	entry(0x0002, 5, 3, 130)
	entry(0x0003, 2, 2, uint32('E'))
	entry(0x0004, 5, 3, 154)
	w32(0)
	for _, r := range lat {
		w32(r[0])
		w32(r[1])
	}
	for _, r := range lng {
		w32(r[0])
		w32(r[1])
	}
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

func testJPEG(t *testing.T, w, h int, exif []byte) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := rand.Uint32()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x + int(seed)), uint8(y), uint8(seed >> 8), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if exif == nil {
		return b
	}
	return append(append([]byte{0xFF, 0xD8}, exif...), b[2:]...)
}

// hugePNG is a valid PNG header claiming w×h pixels with a one-byte body:
// decoding it would need gigabytes; reading its header does not.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestPhotos(t *testing.T) {
	office, helper := login(t, "gs.office"), login(t, "gs.helper")
	p := projectByCode(t, office, "GS2026-003")
	path := "/api/v1/projects/" + p.ID.String() + "/photos?week=" + week(20)
	photoBytes := testJPEG(t, 2400, 1600, exifBlock("2026:05:13 10:30:00", [3][2]uint32{{32, 1}, {0, 1}, {2592, 100}}, [3][2]uint32{{114, 1}, {54, 1}, {756, 100}}))
	r := helper.doWith("POST", path, photoBytes, "image/jpeg")
	var ph reportingapi.Photo
	r.decode(t, &ph)
	sum := sha256.Sum256(photoBytes)
	if r.Status != 201 || ph.SHA256 != hex.EncodeToString(sum[:]) || ph.Width != 2400 || ph.DuplicateOf != nil {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	if ph.TakenAt != nil || ph.GPSLat != nil || ph.OriginalURL != "" {
		t.Fatalf("the helper sees restricted fields: %s", r.Body)
	}
	// The display copy and the thumbnail are the worker's: not there until it ran.
	if ph.State != "processing" {
		t.Fatalf("state after the upload: %s", ph.State)
	}
	if r := helper.do("GET", ph.ThumbURL, nil); r.Status != 404 || r.code() != "photo_processing" {
		t.Fatalf("a thumbnail before the worker made it: %d %s", r.Status, r.Body)
	}
	runUploadJobs(t)
	var list []reportingapi.Photo
	office.do("GET", "/api/v1/projects/"+p.ID.String()+"/photos?week="+week(20), nil).decode(t, &list)
	if len(list) != 1 || list[0].State != "ready" || list[0].TakenAt == nil || list[0].GPSLat == nil || *list[0].GPSLat < 32.0071 || *list[0].GPSLat > 32.0073 || list[0].OriginalURL == "" {
		t.Fatalf("the office's view: %+v", list)
	}
	// The display copy is re-encoded: smaller, and without EXIF.
	disp := office.do("GET", list[0].DisplayURL, nil)
	if disp.Status != 200 || bytes.Contains(disp.Body, []byte("Exif")) || len(disp.Body) == 0 {
		t.Fatalf("display copy: %d, %d bytes, has EXIF %v", disp.Status, len(disp.Body), bytes.Contains(disp.Body, []byte("Exif")))
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(disp.Body)); err != nil || cfg.Width != 1600 {
		t.Fatalf("display size: %+v %v", cfg, err)
	}
	orig := office.do("GET", list[0].OriginalURL, nil)
	if orig.Status != 200 || !bytes.Equal(orig.Body, photoBytes) {
		t.Fatalf("original: %d", orig.Status)
	}
	// URLs are per caller, unforgeable and short-lived; Luoshan cannot use one.
	if r := helper.do("GET", list[0].DisplayURL, nil); r.Status != 400 || r.code() != "photo_url_invalid" {
		t.Fatalf("another user's URL: %d", r.Status)
	}
	if r := office.do("GET", strings.Replace(list[0].DisplayURL, "/display?", "/original?", 1), nil); r.Status != 400 {
		t.Fatalf("a display signature used for the original: %d", r.Status)
	}
	if r := login(t, "ls.office").do("GET", list[0].DisplayURL, nil); r.Status != 400 && r.Status != 404 {
		t.Fatalf("Luoshan with a Guangshan URL: %d", r.Status)
	}
	// A validly signed URL is still not found once its holder works in another county.
	xy := login(t, "xinyang.city")
	xy.do("PUT", "/api/v1/auth/county", map[string]any{"county_id": countyID(t, "411522")})
	var seen []reportingapi.Photo
	xy.do("GET", "/api/v1/projects/"+p.ID.String()+"/photos?week="+week(20), nil).decode(t, &seen)
	if len(seen) != 1 || xy.do("GET", seen[0].ThumbURL, nil).Status != 200 {
		t.Fatalf("municipal in Guangshan: %+v", seen)
	}
	xy.do("PUT", "/api/v1/auth/county", map[string]any{"county_id": countyID(t, "411521")})
	if r := xy.do("GET", seen[0].ThumbURL, nil); r.Status != 404 {
		t.Fatalf("a Guangshan photo URL used from Luoshan: %d", r.Status)
	}

	// The same photo again is flagged to the office.
	r = helper.doWith("POST", "/api/v1/projects/"+p.ID.String()+"/photos?week="+week(21), photoBytes, "image/jpeg")
	r.decode(t, &ph)
	if r.Status != 201 || ph.DuplicateOf == nil || *ph.DuplicateOf != list[0].ID {
		t.Fatalf("duplicate: %d %s", r.Status, r.Body)
	}
	var page httpapi.List[reportingapi.Photo]
	office.do("GET", "/api/v1/photos/duplicates", nil).decode(t, &page)
	dups := page.Items
	if len(dups) == 0 || dups[0].ID != ph.ID {
		t.Fatalf("duplicates: %+v", dups)
	}
	// Refused: a PNG called a JPEG, text called an image, too many pixels, too many bytes.
	var pngBuf bytes.Buffer
	_ = png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 10, 10)))
	for _, c := range []struct {
		name, ct string
		body     []byte
		status   int
		code     string
	}{
		{"png as jpeg", "image/jpeg", pngBuf.Bytes(), 400, "photo_type_mismatch"},
		{"text as jpeg", "image/jpeg", []byte("not an image at all"), 400, "unsupported_photo"},
		{"30000x30000", "image/png", hugePNG(30000, 30000), 413, "photo_too_many_pixels"},
		{"too many bytes", "image/jpeg", append(testJPEG(t, 8, 8, nil), make([]byte, h.cfg.UploadLimit)...), 413, "body_too_large"},
	} {
		r := helper.doWith("POST", path, c.body, c.ct)
		if r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	if r := office.doWith("POST", "/api/v1/projects/"+p.ID.String()+"/photos?week=2099-01-05", photoBytes, "image/jpeg"); r.Status != 400 {
		t.Errorf("a future week: %d", r.Status)
	}
}
