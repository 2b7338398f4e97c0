package deploy

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tuijin/tuijin/internal/config"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd   string   // upper case: FROM, COPY, RUN …
	args  []string // shell-form words, or the JSON array's elements
	flags map[string]string
	line  int
}

// stage is one FROM and what follows it.
type stage struct {
	base, name string
	insts      []instruction
}

func (s stage) last(cmd string) (instruction, bool) {
	for i := len(s.insts) - 1; i >= 0; i-- {
		if s.insts[i].cmd == cmd {
			return s.insts[i], true
		}
	}
	return instruction{}, false
}

// parseDockerfile reads the instructions the way BuildKit splits them:
// comments and blank lines dropped, a trailing backslash continues the line,
// --flag=value words before the arguments, exec form as a JSON array.
func parseDockerfile(t *testing.T, text string) []stage {
	t.Helper()
	var stages []stage
	var buf strings.Builder
	start := 0
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if buf.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if buf.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(line, "\\") {
			buf.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		buf.WriteString(line)
		full := buf.String()
		buf.Reset()
		cmd, rest, _ := strings.Cut(full, " ")
		in := instruction{cmd: strings.ToUpper(cmd), flags: map[string]string{}, line: start}
		rest = strings.TrimSpace(rest)
		for strings.HasPrefix(rest, "--") {
			word, after, _ := strings.Cut(rest, " ")
			k, v, _ := strings.Cut(strings.TrimPrefix(word, "--"), "=")
			in.flags[k] = v
			rest = strings.TrimSpace(after)
		}
		if strings.HasPrefix(rest, "[") && in.cmd != "RUN" {
			if err := json.Unmarshal([]byte(rest), &in.args); err != nil {
				t.Fatalf("Dockerfile line %d: exec form is not a JSON array: %v", start, err)
			}
		} else {
			in.args = strings.Fields(rest)
		}
		if in.cmd == "FROM" {
			st := stage{base: in.args[0]}
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "AS") {
				st.name = in.args[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				continue
			}
			t.Fatalf("Dockerfile line %d: %s before the first FROM", start, in.cmd)
		}
		stages[len(stages)-1].insts = append(stages[len(stages)-1].insts, in)
	}
	if buf.Len() > 0 {
		t.Fatal("Dockerfile ends in a continuation line")
	}
	return stages
}

// dockerignored reports whether .dockerignore's patterns leave rel out of
// the build context (the plain patterns this repository uses: a path, a
// glob, **/ prefixes; a later !pattern re-includes).
func dockerignored(patterns []string, rel string) bool {
	out := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		p = strings.TrimSuffix(p, "/")
		match := func(name string) bool {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				for n := name; n != "."; n = path.Dir(n) {
					if ok, _ := path.Match(rest, path.Base(n)); ok && n == name {
						return true
					}
				}
				if ok, _ := path.Match(rest, path.Base(name)); ok {
					return true
				}
			}
			return false
		}
		for n := rel; n != "." && n != "/"; n = path.Dir(n) {
			if match(n) {
				out = !neg
				break
			}
		}
	}
	return out
}

// TestDockerfile checks the image's recipe without a container engine:
// every stage a COPY --from names exists; the build stage runs
// scripts/build.sh with both Go and Node.js; every COPY from the build
// context names a file in the repository that .dockerignore keeps; every
// COPY from the build stage names something the script produced when
// scripts/test.sh ran it on a clean copy of the tree (TUIJIN_BUILD_DIR);
// the runtime stage is distroless, non-root, runs the binary and carries the
// PDF font at TUIJIN_PDF_FONT's default path, installed by the Debian
// package that owns that file.
func TestDockerfile(t *testing.T) {
	const root = "../.."
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := parseDockerfile(t, string(b))
	ign, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var ignore []string
	for _, l := range strings.Split(string(ign), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignore = append(ignore, l)
		}
	}
	for _, must := range []string{".git", "web/node_modules", "internal/console/dist/app/index.html", "bin/tuijin"} {
		if !dockerignored(ignore, must) {
			t.Errorf(".dockerignore lets %s into the build context", must)
		}
	}

	named := map[string]int{}
	buildStage, buildOut := -1, ""
	for i, st := range stages {
		if st.name != "" {
			named[st.name] = i
		}
		for _, in := range st.insts {
			if in.cmd == "RUN" && strings.Contains(strings.Join(in.args, " "), "scripts/build.sh") {
				buildStage = i
				for j, a := range in.args {
					if strings.HasSuffix(a, "scripts/build.sh") && j+1 < len(in.args) {
						buildOut = in.args[j+1]
					}
				}
			}
		}
	}
	if buildStage < 0 || buildOut == "" {
		t.Fatal("no stage runs scripts/build.sh OUT: the image must build with the script the tests run")
	}
	if fi, err := os.Stat(filepath.Join(root, "scripts/build.sh")); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("scripts/build.sh missing or not executable: %v", err)
	}
	bs := stages[buildStage]
	hasGo := false
	goMod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	for _, in := range bs.insts {
		if in.cmd == "COPY" && strings.HasPrefix(in.flags["from"], "golang:") && len(in.args) == 2 && in.args[0] == "/usr/local/go" {
			hasGo = true
			if goVer == nil || !strings.HasPrefix(strings.TrimPrefix(in.flags["from"], "golang:"), string(goVer[1])) {
				t.Errorf("build stage's Go %s does not match go.mod's go %s", in.flags["from"], goVer)
			}
		}
	}
	if !strings.HasPrefix(bs.base, "node:") || !hasGo {
		t.Errorf("build stage %q must have Node.js (its base) and Go (copied from a golang image): scripts/build.sh runs npm and go", bs.base)
	}

	buildDir := os.Getenv("TUIJIN_BUILD_DIR")
	if buildDir == "" && os.Getenv("CI") != "" {
		t.Fatal("TUIJIN_BUILD_DIR is not set: scripts/test.sh builds the image's files on a clean tree and names it")
	}
	// produced maps a path of the build stage (its output directory or its
	// final WORKDIR, where the tree was copied) to the clean tree.
	workdir := "/"
	for _, in := range bs.insts {
		if in.cmd == "WORKDIR" {
			workdir = strings.TrimSuffix(in.args[0], "/") + "/"
		}
	}
	produced := func(p string) string {
		switch {
		case p == buildOut || strings.HasPrefix(p, buildOut+"/"):
			return filepath.Join(buildDir, "out", strings.TrimPrefix(p, buildOut))
		case strings.HasPrefix(p, workdir):
			return filepath.Join(buildDir, strings.TrimPrefix(p, workdir))
		}
		return ""
	}

	var fonts []string // TUIJIN_PDF_FONT's default: comma-separated font files
	for _, d := range config.Docs() {
		if d.Name == "TUIJIN_PDF_FONT" {
			for _, f := range strings.Split(d.Default, ",") {
				fonts = append(fonts, strings.TrimSpace(f))
			}
		}
	}
	if len(fonts) == 0 {
		t.Fatal("config has no TUIJIN_PDF_FONT default")
	}
	runtime := stages[len(stages)-1]
	fontFrom := map[string]string{} // font file → the stage the runtime copies it from
	for i, st := range stages {
		for _, in := range st.insts {
			switch in.cmd {
			case "COPY", "ADD":
				if len(in.args) < 2 {
					t.Errorf("line %d: %s without source and destination", in.line, in.cmd)
					continue
				}
				srcs := in.args[:len(in.args)-1]
				from := in.flags["from"]
				switch {
				case from == "":
					for _, s := range srcs {
						rel := path.Clean(s)
						if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
							t.Errorf("line %d: COPY %s: not in the repository", in.line, s)
						} else if rel != "." && dockerignored(ignore, rel) {
							t.Errorf("line %d: COPY %s: left out by .dockerignore", in.line, s)
						}
					}
				case strings.Contains(from, ":") || strings.Contains(from, "/"):
					// An image reference, pulled by the builder.
				default:
					j, ok := named[from]
					if !ok || j >= i {
						t.Errorf("line %d: COPY --from=%s: no earlier stage of that name", in.line, from)
						continue
					}
					if i == len(stages)-1 && slices.Contains(fonts, in.args[len(in.args)-1]) {
						fontFrom[in.args[len(in.args)-1]] = from
					}
					if j != buildStage {
						continue
					}
					for _, s := range srcs {
						if buildDir == "" {
							t.Logf("line %d: COPY --from=%s %s not checked: TUIJIN_BUILD_DIR unset (scripts/test.sh sets it)", in.line, from, s)
							continue
						}
						p := produced(s)
						if p == "" {
							t.Errorf("line %d: COPY --from=%s %s: neither under the script's output %s nor the source tree", in.line, from, s, buildOut)
						} else if _, err := os.Stat(p); err != nil {
							t.Errorf("line %d: COPY --from=%s %s: scripts/build.sh did not produce it on a clean tree: %v", in.line, from, s, err)
						}
					}
				}
			}
		}
	}

	// The runtime stage.
	if !strings.HasPrefix(runtime.base, "gcr.io/distroless/static") || !strings.HasSuffix(runtime.base, ":nonroot") {
		t.Errorf("runtime image %s is not distroless static nonroot", runtime.base)
	}
	if u, ok := runtime.last("USER"); !ok || u.args[0] == "root" || strings.HasPrefix(u.args[0], "0:") || u.args[0] == "0" {
		t.Errorf("runtime stage does not run as a non-root user: %v", u.args)
	}
	if e, _ := runtime.last("ENTRYPOINT"); len(e.args) != 1 || e.args[0] != "/tuijin" {
		t.Errorf("entry point %v, want the binary in exec form", e.args)
	}
	for _, in := range runtime.insts {
		if in.cmd == "ENV" && strings.Contains(strings.Join(in.args, " "), "TUIJIN_PDF_FONT") {
			t.Errorf("line %d: the runtime sets TUIJIN_PDF_FONT; the image must carry the default's font instead", in.line)
		}
	}
	for _, font := range fonts {
		from, ok := fontFrom[font]
		if !ok {
			t.Errorf("the runtime stage does not COPY the PDF font %s (TUIJIN_PDF_FONT's default)", font)
			continue
		}
		out, err := exec.Command("dpkg", "-S", font).Output()
		if err != nil {
			t.Errorf("no Debian package owns %s on this machine (scripts/test.sh installs the PDF fonts): %v", font, err)
			continue
		}
		pkg, _, _ := strings.Cut(strings.TrimSpace(string(out)), ":")
		installs := false
		for _, in := range stages[named[from]].insts {
			if in.cmd == "RUN" && strings.Contains(strings.Join(in.args, " "), "apt-get install") && containsWord(in.args, pkg) {
				installs = true
			}
		}
		if !installs {
			t.Errorf("stage %s does not apt-get install %s, the package of %s", from, pkg, font)
		}
	}

	if buildDir != "" {
		checkBinary(t, filepath.Join(buildDir, "out", "tuijin"), filepath.Join(buildDir, "internal/console/dist/app/index.html"))
	}
}

func containsWord(words []string, w string) bool {
	for _, x := range words {
		if strings.Trim(x, "&;") == w {
			return true
		}
	}
	return false
}

// checkBinary: the binary the script built is static (no interpreter, no
// shared libraries: it runs on distroless/static) and embeds the console.
func checkBinary(t *testing.T, bin, index string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("built binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter: not static", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs shared libraries %v", bin, libs)
	}
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatalf("console page: %v", err)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(exe, page) {
		t.Errorf("%s does not embed the console's index.html", bin)
	}
}
