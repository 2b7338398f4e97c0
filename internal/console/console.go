// Package console serves the web console (Vue, built from web/ into
// dist/app and embedded in the binary): hashed assets with a long cache,
// index.html without cache, and index.html for every other path so that the
// console's history-mode routes survive a reload.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the console, or a page saying it has not been built.
func Handler() http.Handler {
	app, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return notBuilt()
	}
	if _, err := fs.Stat(app, "index.html"); err != nil {
		return notBuilt()
	}
	return &handler{fs: app, files: http.FileServerFS(app)}
}

type handler struct {
	fs    fs.FS
	files http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if p != "" && p != "index.html" {
		if st, err := fs.Stat(h.fs, p); err == nil && !st.IsDir() {
			if strings.HasPrefix(p, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			h.files.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(p, "assets/") {
			http.NotFound(w, r) // a missing asset is not a page
			return
		}
	}
	b, err := fs.ReadFile(h.fs, "index.html")
	if err != nil {
		http.Error(w, "console missing", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

func notBuilt() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>tuijin</title>
<p>控制台尚未构建：请运行 <code>scripts/run.sh</code>（或在 web/ 中执行 <code>npm ci && npm run build</code>）后重新编译。</p>
<p>The console has not been built: run <code>scripts/run.sh</code> (or <code>npm ci && npm run build</code> in web/) and rebuild.</p>`))
	})
}
