// Package photo checks and processes site photos (issue 6, P5): the type is
// judged by content and must match what the client declared; byte and pixel
// limits are enforced before anything is decoded (decompression bombs);
// EXIF capture time and GPS are read for restricted use; the display copy
// and the thumbnail are re-encoded, which leaves all EXIF behind.
package photo

import (
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
}

// Meta is what a photo says about itself.
type Meta struct {
	ContentType   string
	Width, Height int
	TakenAt       *time.Time
	Lat, Lng      *float64
}

var (
	errType       = errs.E(errs.Invalid, "unsupported_photo", "照片须为 JPEG 或 PNG 文件（按文件内容判断）", "a photo must be a JPEG or PNG file (judged by its content)")
	errMismatch   = errs.E(errs.Invalid, "photo_type_mismatch", "文件内容与声明的类型不符（例如把 PNG 改名为 .jpg）", "the file's content does not match its declared type (e.g. a PNG renamed .jpg)")
	errPixels     = errs.E(errs.TooLarge, "photo_too_many_pixels", "照片像素过多，请压缩后上传", "the photo has too many pixels; reduce it and upload again")
	errUnreadable = errs.E(errs.Invalid, "photo_unreadable", "照片无法读取，文件可能已损坏", "the photo cannot be read; the file may be damaged")
)

// Inspect checks the file at path (already within the byte limit): its type
// by content against declared, and its pixel count from the header alone.
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
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return Meta{}, errUnreadable.Wrap(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > lim.MaxPixels {
		return Meta{}, errPixels
	}
	m := Meta{ContentType: ct, Width: cfg.Width, Height: cfg.Height}
	if ct == "image/jpeg" {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			m.TakenAt, m.Lat, m.Lng = readExif(f)
		}
	}
	_, err = f.Seek(0, io.SeekStart)
	return m, err
}

// Derivatives decodes the photo (already inspected) and returns the display
// copy (longest side at most 1600 px) and the thumbnail (320 px), both JPEG
// without any metadata.
func Derivatives(f *os.File) (display, thumb []byte, err error) {
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, nil, errUnreadable.Wrap(err)
	}
	if display, err = encode(img, 1600); err != nil {
		return nil, nil, err
	}
	thumb, err = encode(img, 320)
	return display, thumb, err
}

func encode(img image.Image, longest int) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > longest || h > longest {
		if w >= h {
			w, h = longest, h*longest/w
		} else {
			w, h = w*longest/h, longest
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 82}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
