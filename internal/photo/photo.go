// Package photo checks and processes site photos (issue 6, P5): the type is
// judged by content and must match what the client declared; byte and pixel
// limits are enforced before anything is decoded (decompression bombs);
// EXIF capture time and GPS are read for restricted use; the display copy
// and the thumbnail are re-encoded, which leaves all EXIF behind.
package photo

import (
	"bufio"
	"bytes"
	"image"
	"image/jpeg"
	_ "image/png" // registers the PNG decoder
	"io"
	"os"
	"time"

	"golang.org/x/image/draw"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
)

// Limits bound what is accepted.
type Limits struct {
	MaxBytes  int64
	MaxPixels int
	// DecodeBudget is the most memory one photo may need to be decoded and
	// reduced (DecodeCost); 0: no bound.
	DecodeBudget int64
}

// Meta is what a photo says about itself.
type Meta struct {
	ContentType   string
	Width, Height int
	// DecodeCost is the memory, in bytes, that decoding the photo and making
	// its derivatives takes, as its header says (width × height × bytes a
	// pixel of the decoded image, and what the decoder keeps beside it).
	DecodeCost int64
	TakenAt    *time.Time
	Lat, Lng   *float64
}

var (
	errType       = errs.E(errs.Invalid, "unsupported_photo", "照片须为 JPEG 或 PNG 文件（按文件内容判断）", "a photo must be a JPEG or PNG file (judged by its content)")
	errMismatch   = errs.E(errs.Invalid, "photo_type_mismatch", "文件内容与声明的类型不符（例如把 PNG 改名为 .jpg）", "the file's content does not match its declared type (e.g. a PNG renamed .jpg)")
	errPixels     = errs.E(errs.TooLarge, "photo_too_many_pixels", "照片像素过多，请压缩后上传", "the photo has too many pixels; reduce it and upload again")
	errDecode     = errs.E(errs.TooLarge, "photo_too_large_to_process", "照片解码所需内存过大（如16位PNG），请另存为JPEG或缩小后上传", "decoding the photo would need too much memory (a 16-bit PNG, say); save it as JPEG or reduce it and upload again")
	errUnreadable = errs.E(errs.Invalid, "photo_unreadable", "照片无法读取，文件可能已损坏", "the photo cannot be read; the file may be damaged")
)

// Inspect checks the photo in f (already within the byte limit) without
// decoding it: its type by content against declared; its pixel count and
// its decode cost from the header alone; then its structure to the end (a
// JPEG's segments and scans, a PNG's chunks and inflated rows — see
// checkJPEG and checkPNG), in a fixed amount of memory. Refusals: 400
// unsupported_photo, photo_type_mismatch, photo_unreadable; 413
// photo_too_many_pixels, photo_too_large_to_process. f is left at its start.
func Inspect(f *os.File, declared string, lim Limits) (Meta, error) {
	ct, _, err := objects.Sniff(f)
	if err != nil {
		return Meta{}, errUnreadable.Wrap(err)
	}
	if ct != "image/jpeg" && ct != "image/png" {
		return Meta{}, errType
	}
	if declared != "" && declared != "application/octet-stream" && declared != ct {
		return Meta{}, errMismatch
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Meta{}, err
	}
	admit := func(h header) error {
		if h.width <= 0 || h.height <= 0 || int64(h.width)*int64(h.height) > int64(lim.MaxPixels) {
			return errPixels
		}
		if lim.DecodeBudget > 0 && h.cost > lim.DecodeBudget {
			return errDecode
		}
		return nil
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var h header
	if ct == "image/jpeg" {
		h, err = checkJPEG(br, admit)
	} else {
		h, err = checkPNG(br, admit)
	}
	if err != nil {
		return Meta{}, err
	}
	m := Meta{ContentType: ct, Width: h.width, Height: h.height, DecodeCost: h.cost}
	if ct == "image/jpeg" {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			m.TakenAt, m.Lat, m.Lng = readExif(f)
		}
	}
	_, err = f.Seek(0, io.SeekStart)
	return m, err
}

// The derivatives' longest sides, in pixels.
const (
	displaySide = 1600
	thumbSide   = 320
)

// Derivatives decodes the photo (already inspected) and returns the display
// copy (longest side at most 1600 px) and the thumbnail (320 px), both JPEG
// without any metadata. It holds the whole decoded image: call it through a
// Decoder, which keeps decodes within the memory budget.
func Derivatives(f *os.File) (display, thumb []byte, err error) {
	img, _, err := image.Decode(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return nil, nil, errUnreadable.Wrap(err)
	}
	if display, err = encode(img, displaySide); err != nil {
		return nil, nil, err
	}
	thumb, err = encode(img, thumbSide)
	return display, thumb, err
}

// scaled is w×h reduced to fit longest (never enlarged).
func scaled(w, h, longest int) (int, int) {
	if w > longest || h > longest {
		if w >= h {
			w, h = longest, h*longest/w
		} else {
			w, h = w*longest/h, longest
		}
	}
	return max(w, 1), max(h, 1)
}

func encode(img image.Image, longest int) ([]byte, error) {
	b := img.Bounds()
	w, h := scaled(b.Dx(), b.Dy(), longest)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 82}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
