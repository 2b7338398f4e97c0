package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/httpapi/meetingapi"
	"github.com/tuijin/tuijin/internal/meeting"
	"github.com/tuijin/tuijin/internal/meeting/meetingdb"
)

// TestMinutes: the office drafts a held weekly meeting's minutes; only its
// chair issues them, and not after writing them; the issued version gets
// 第N期, its page, PDF and .docx are stored with their hashes and served
// as issued after the template changes; a correction keeps the issue
// number, needs a reason and is a new version; the minutes review the
// previous sitting's decisions, overdue ones by unit and number.
func TestMinutes(t *testing.T) {
	office, leader, taskforce := login(t, "gs.office"), login(t, "gs.leader"), login(t, "gs.taskforce")
	var first, second meetingdb.Sitting
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		if _, err := meetingdb.EnsureSittings(ctx, tx, day(t, "2026-05-04"), day(t, "2026-05-11")); err != nil {
			return err
		}
		list, err := meetingdb.ListSittings(ctx, tx, day(t, "2026-05-04"), day(t, "2026-05-11"))
		for _, s := range list {
			switch {
			case s.Kind == "weekly" && s.Day.Equal(day(t, "2026-05-04")):
				first = s
			case s.Kind == "weekly" && s.Day.Equal(day(t, "2026-05-11")):
				second = s
			}
		}
		return err
	})
	if first.ID == [16]byte{} || second.ID == [16]byte{} {
		t.Fatal("no weekly sittings on 4 and 11 May")
	}
	o := guangshanOrg(t, office)
	b1, b2 := "/api/v1/meetings/"+first.ID.String(), "/api/v1/meetings/"+second.ID.String()
	if r := office.do("PUT", b2+"/minutes", map[string]any{"intro": "", "closing": "x"}); r.Status != http.StatusConflict || r.code() != "sitting_not_held" {
		t.Fatalf("minutes of a sitting not held: %d %s", r.Status, r.Body)
	}
	if r := office.do("POST", b2+"/items", map[string]any{"title": "紫水街道老旧小区改造项目征迁进展"}); r.Status != http.StatusCreated {
		t.Fatalf("item: %d %s", r.Status, r.Body)
	}
	for _, b := range []string{b1, b2} {
		if r := office.do("POST", b+"/hold", nil); r.Status != http.StatusOK {
			t.Fatalf("hold: %d %s", r.Status, r.Body)
		}
	}
	// The first sitting's decisions: one overdue long ago, one closed.
	if r := office.do("POST", b1+"/actions", map[string]any{"text": "协调供电公司完成10kV线路迁改", "owner_unit_id": o.units["紫水街道"], "deadline": "2026-05-08"}); r.Status != http.StatusCreated {
		t.Fatalf("decision: %d %s", r.Status, r.Body)
	}
	// The second sitting: what was said on an item, two decisions, the office's closing words.
	var d meetingapi.SittingDetail
	office.do("GET", b2, nil).decode(t, &d)
	if len(d.Items) == 0 {
		t.Fatal("the second sitting has no agenda")
	}
	if r := office.do("PUT", b2+"/items/"+d.Items[0].ID.String()+"/minutes", map[string]any{"minutes": "责任单位汇报了征迁进展，尚余3户未签约。"}); r.Status != http.StatusOK {
		t.Fatalf("item minutes: %d %s", r.Status, r.Body)
	}
	for _, text := range []string{"紫水街道加快征迁扫尾，月底前完成剩余3户签约", "县自然资源局加快办理用地手续"} {
		if r := office.do("POST", b2+"/actions", map[string]any{"text": text, "owner_unit_id": o.units["紫水街道"],
			"partner_unit_ids": []string{o.units["县自然资源局"]}, "deadline": "2026-05-29"}); r.Status != http.StatusCreated {
			t.Fatalf("decision: %d %s", r.Status, r.Body)
		}
	}
	var state meetingapi.MinutesState
	r := office.do("PUT", b2+"/minutes", map[string]any{"closing": "各责任单位要对照议定事项倒排工期，按时办结。"})
	r.decode(t, &state)
	if r.Status != http.StatusOK || !state.MayEdit || state.MayIssue {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	text := strings.Join(state.Lines, "\n")
	for _, want := range []string{"光山县重点项目建设周例会纪要", "草稿（未签发）", "县长王立新", "主持召开2026年第", "上次会议议定事项落实情况",
		"议定事项1项，已办结0项，办结率0.0%；正在推进1项，其中逾期未办结1项（紫水街道第1项）", "（一）", "尚余3户未签约",
		"一、紫水街道加快征迁扫尾，月底前完成剩余3户签约。责任单位：紫水街道；配合单位：县自然资源局；完成时限：2026年5月29日前。", "二、县自然资源局加快办理用地手续",
		"各责任单位要对照议定事项倒排工期"} {
		if !strings.Contains(text, want) {
			t.Errorf("the draft lacks %q:\n%s", want, text)
		}
	}
	if r := office.do("GET", b2+"/minutes/draft/docx", nil); r.Status != http.StatusOK || !bytes.HasPrefix(r.Body, []byte("PK")) {
		t.Fatalf("draft .docx: %d", r.Status)
	}

	// Only the chair issues; a participant not expected does not even see it.
	if r := office.do("POST", b2+"/minutes", nil); r.Status != http.StatusForbidden || r.code() != "not_the_chair" {
		t.Fatalf("the office issues: %d %s", r.Status, r.Body)
	}
	if r := taskforce.do("POST", b2+"/minutes", nil); r.Status != http.StatusNotFound {
		t.Fatalf("someone not expected issues: %d %s", r.Status, r.Body)
	}
	// A chair who wrote the minutes' text last may not issue them.
	var leaderID uuid.UUID
	if err := h.env.Owner.Bun.NewRaw("SELECT id FROM accounts WHERE username = 'gs.leader'").Scan(context.Background(), &leaderID); err != nil {
		t.Fatal(err)
	}
	inCounty(t, "guangshan", func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE meeting_sittings SET minutes_edited_by = ? WHERE id = ?", leaderID, second.ID)
		return err
	})
	if r := leader.do("POST", b2+"/minutes", nil); r.Status != http.StatusForbidden || r.code() != "own_minutes" {
		t.Fatalf("the chair issues minutes of their own writing: %d %s", r.Status, r.Body)
	}
	office.do("PUT", b2+"/minutes", map[string]any{"closing": "各责任单位要对照议定事项倒排工期，按时办结。"})
	leader.do("GET", b2+"/minutes", nil).decode(t, &state)
	if !state.MayIssue {
		t.Fatalf("the chair may not issue: %+v", state)
	}
	var v1 meetingapi.MinutesVersion
	r = leader.do("POST", b2+"/minutes", nil)
	r.decode(t, &v1)
	if r.Status != http.StatusCreated || v1.Version != 1 || v1.IssueNo < 1 || !strings.HasSuffix(v1.IssueLine, "期") {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	// Issued: the files as stored, the page's hash as recorded.
	html, pdf, docx := leader.do("GET", "/api/v1/minutes/"+v1.ID.String()+"/html", nil), office.do("GET", "/api/v1/minutes/"+v1.ID.String()+"/pdf", nil),
		office.do("GET", "/api/v1/minutes/"+v1.ID.String()+"/docx", nil)
	if html.Status != 200 || pdf.Status != 200 || docx.Status != 200 {
		t.Fatalf("files: %d %d %d", html.Status, pdf.Status, docx.Status)
	}
	if sum := sha256.Sum256(html.Body); hex.EncodeToString(sum[:]) != v1.SHA256 || !bytes.Contains(html.Body, []byte(v1.IssueLine)) || bytes.Contains(html.Body, []byte("草稿")) {
		t.Fatalf("the issued page: hash %x, recorded %s", sum, v1.SHA256)
	}
	if cd := docx.Header.Get("Content-Disposition"); !strings.Contains(cd, ".docx") {
		t.Errorf("docx served as %q", cd)
	}
	if r := taskforce.do("GET", "/api/v1/minutes/"+v1.ID.String()+"/pdf", nil); r.Status != http.StatusNotFound {
		t.Errorf("someone not expected reads the minutes: %d", r.Status)
	}
	// The PDF and the .docx say the same as the page, read back by poppler and LibreOffice.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.pdf"), pdf.Body, 0o644)
	os.WriteFile(filepath.Join(dir, "m.docx"), docx.Body, 0o644)
	out, err := exec.Command("pdftotext", "-raw", filepath.Join(dir, "m.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flatPDF := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"光山县重点项目建设周例会纪要", v1.IssueLine, "责任单位：紫水街道；配合单位：县自然资源局"} {
		if !strings.Contains(flatPDF, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, out)
		}
	}
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+dir+"/lo", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", dir, filepath.Join(dir, "m.docx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v %s", err, out)
	}
	txt, _ := os.ReadFile(filepath.Join(dir, "m.txt"))
	if !strings.Contains(string(txt), v1.IssueLine) || !strings.Contains(string(txt), "二、县自然资源局加快办理用地手续。责任单位：紫水街道") {
		t.Errorf("LibreOffice reads the .docx as:\n%s", txt)
	}

	// Frozen: the template changes, the issued files do not; the draft does.
	old := meeting.MinutesStyle
	meeting.MinutesStyle = "body { color: #c00; } /* changed after issue */"
	again := leader.do("GET", "/api/v1/minutes/"+v1.ID.String()+"/html", nil)
	draft := office.do("GET", b2+"/minutes/draft/html", nil)
	meeting.MinutesStyle = old
	if !bytes.Equal(again.Body, html.Body) {
		t.Fatal("issued minutes changed with the template")
	}
	if !bytes.Contains(draft.Body, []byte("changed after issue")) {
		t.Fatal("the draft does not use the changed template (the test proves nothing)")
	}
	// A correction: a reason, the same issue number, a new version.
	if r := leader.do("POST", b2+"/minutes", map[string]any{"reason": ""}); r.Status != http.StatusBadRequest {
		t.Fatalf("a correction without a reason: %d %s", r.Status, r.Body)
	}
	var v2 meetingapi.MinutesVersion
	r = leader.do("POST", b2+"/minutes", map[string]any{"reason": "更正第二项责任单位"})
	r.decode(t, &v2)
	if r.Status != http.StatusCreated || v2.Version != 2 || v2.IssueNo != v1.IssueNo || v2.Reason != "更正第二项责任单位" {
		t.Fatalf("correction: %d %s", r.Status, r.Body)
	}
	if again := leader.do("GET", "/api/v1/minutes/"+v1.ID.String()+"/html", nil); !bytes.Equal(again.Body, html.Body) {
		t.Fatal("the first version changed with the correction")
	}
	leader.do("GET", b2+"/minutes", nil).decode(t, &state)
	if len(state.Versions) != 2 || state.Versions[0].Version != 2 {
		t.Fatalf("versions: %+v", state.Versions)
	}
	// Issued minutes stay as issued in the database too.
	if err := h.env.App.InCounty(context.Background(), countyBySlug(t, "guangshan"), func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, "UPDATE meeting_minutes SET reason = 'x' WHERE id = ?", v1.ID)
		return err
	}); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("the application updated issued minutes: %v", err)
	}
	if r := login(t, "ls.office").do("GET", "/api/v1/minutes/"+v1.ID.String()+"/html", nil); r.Status != http.StatusNotFound {
		t.Fatalf("Luoshan reads Guangshan's minutes: %d", r.Status)
	}
}
