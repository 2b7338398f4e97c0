package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/workbook"
)

const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

var errNotXLSX = errs.E(errs.Invalid, "unsupported_media_type", "请上传 Excel 文件（.xlsx，Content-Type: "+XLSXType+"）",
	"upload an Excel file (.xlsx, Content-Type: "+XLSXType+")")

// yearQuery reads ?year= (default: this year in Asia/Shanghai).
func (s *Server) YearQuery(r *Req) (int, error) {
	y := r.C.QueryParam("year")
	if y == "" {
		return s.Today().Year(), nil
	}
	n, err := atoi(y)
	if err != nil || n < 2000 || n > 2100 {
		var v errs.Validation
		v.Add("year", "invalid_year", "年度须为2000到2100之间的四位数字", "year must be 2000 to 2100")
		return 0, v.Err()
	}
	return n, nil
}

// Caps on what a refused workbook gives back: complaints listed (the total
// is always said) and cells marked in the annotated copy.
const (
	maxComplaints = 200
	maxMarked     = 5000
)

// importKeyList reads an uploaded workbook. Every bad cell is found and
// nothing is imported when there is one: the answer lists one complaint per
// cause (at most 200, with the total) and refers to the attempt, whose
// annotated copy of the workbook marks every bad cell (kept 30 days). A dry
// run reports what would change.
func (s *Server) importKeyList(r *Req) (any, error) {
	if mt, _, _ := mime.ParseMediaType(r.C.Request().Header.Get("Content-Type")); mt != XLSXType && mt != "application/octet-stream" {
		return nil, errNotXLSX
	}
	year, err := s.YearQuery(r)
	if err != nil {
		return nil, err
	}
	on := s.Today()
	if q := r.C.QueryParam("on"); q != "" {
		if on, err = parseDate("on", q); err != nil {
			return nil, err
		}
	}
	dryRun := r.C.QueryParam("dry_run") == "true"
	report := s.progressReporter(r)
	var body bytes.Buffer
	if _, err := body.ReadFrom(r.C.Request().Body); err != nil {
		return nil, DecodeError(err)
	}
	report("check", 0, 0)
	cat, err := postgres.LoadCatalogue(r.Ctx, r.Tx)
	if err != nil {
		return nil, err
	}
	attempt := postgres.ImportAttempt{Kind: "key_list", Year: year, FileName: r.C.QueryParam("file_name"), CreatedBy: &r.Session.AccountID}
	wb, problems, err := workbook.Parse(bytes.NewReader(body.Bytes()), year, cat)
	attempt.RowsRead = len(wb.Rows)
	if err != nil || len(problems) > 0 {
		report("failed", 0, len(wb.Rows))
		return nil, s.refuseImport(r, attempt, body.Bytes(), problems, err)
	}
	report("write", 0, len(wb.Rows))
	rep, err := postgres.ImportKeyList(r.Ctx, r.Tx, year, on, wb, func(done, total int) { report("write", done, total) })
	if err != nil {
		report("failed", 0, len(wb.Rows))
		return nil, err
	}
	if dryRun {
		r.RollbackOnly()
		report("done", len(wb.Rows), len(wb.Rows))
		return rep, nil
	}
	attempt.Outcome = "imported"
	if _, err := postgres.RecordImportAttempt(r.Ctx, r.Tx, attempt); err != nil {
		return nil, err
	}
	r.AfterCommit(func(context.Context) { report("done", len(wb.Rows), len(wb.Rows)) })
	return rep, nil
}

// refuseImport records a refused attempt — its complaints, one per cause
// and at most maxComplaints, and the workbook with every bad cell marked —
// and answers workbook_invalid (or the parse error) referring to it.
func (s *Server) refuseImport(r *Req, attempt postgres.ImportAttempt, body []byte, problems []workbook.Problem, parseErr error) error {
	summary, total := workbook.Summarize(problems, maxComplaints)
	e := errs.E(errs.Invalid, "workbook_invalid",
		fmt.Sprintf("工作簿有%d处问题（%d个单元格），未导入任何数据；请按单元格逐一修改后重新上传", total, len(problems)),
		fmt.Sprintf("the workbook has %d problems (%d cells); nothing was imported", total, len(problems)))
	if parseErr != nil {
		var pe *errs.Error
		if !errors.As(parseErr, &pe) {
			return parseErr
		}
		e = pe
		summary, total = []workbook.Problem{{Sheet: workbook.ListSheet, Header: "工作簿", ZH: pe.ZH, EN: pe.EN}}, 1
	} else if total > len(summary) {
		e.ZH += fmt.Sprintf("（以下列出前%d处，全部问题见标注后的工作簿）", len(summary))
		e.EN += fmt.Sprintf(" (the first %d are listed; the annotated workbook marks them all)", len(summary))
	}
	for _, p := range summary {
		e.Fields = append(e.Fields, errs.FieldError{Field: p.Cell(), Code: "cell", ZH: p.ZH, EN: p.EN})
	}
	attempt.Outcome, attempt.ProblemsTotal = "refused", total
	var err error
	if attempt.Problems, err = json.Marshal(e.Fields); err != nil {
		return err
	}
	if parseErr == nil {
		cells := 0
		for _, p := range problems {
			if p.Row > 0 {
				cells++
			}
		}
		if attempt.Annotated, err = workbook.Annotate(body, problems, len(problems), cells, maxMarked); err != nil {
			return err
		}
	}
	saved, err := postgres.RecordImportAttempt(r.Ctx, r.Tx, attempt)
	if err != nil {
		return err
	}
	r.CommitOnError()
	e = e.Wrap(parseErr)
	e.Ref = saved.ID.String()
	return e
}

// ImportAttempt is an upload of a ledger workbook and what came of it.
type ImportAttempt struct {
	ID            uuid.UUID         `json:"id"`
	Year          int               `json:"year"`
	FileName      string            `json:"file_name"`
	Outcome       string            `json:"outcome" enum:"imported,refused"`
	RowsRead      int               `json:"rows_read"`
	ProblemsTotal int               `json:"problems_total"`
	Problems      []errs.FieldError `json:"problems" description:"one per cause, at most 200"`
	Annotated     bool              `json:"annotated" description:"a copy of the workbook with every bad cell marked can be downloaded"`
	CreatedAt     time.Time         `json:"created_at"`
	ExpiresAt     time.Time         `json:"expires_at"`
}

func toAttemptAPI(a postgres.ImportAttempt) ImportAttempt {
	out := ImportAttempt{ID: a.ID, Year: a.Year, FileName: a.FileName, Outcome: a.Outcome, RowsRead: a.RowsRead,
		ProblemsTotal: a.ProblemsTotal, Problems: []errs.FieldError{}, Annotated: a.HasAnnotated, CreatedAt: a.CreatedAt, ExpiresAt: a.ExpiresAt}
	_ = json.Unmarshal(a.Problems, &out.Problems)
	return out
}

func (s *Server) importAttempts(r *Req) (any, error) {
	page, err := PageQuery(r.C)
	if err != nil {
		return nil, err
	}
	list, next, err := postgres.ImportAttempts(r.Ctx, r.Tx, page)
	return NewList(APIList(list, toAttemptAPI), next), err
}

// annotatedWorkbook is a refused workbook with its bad cells marked.
func (s *Server) annotatedWorkbook(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	a, err := postgres.GetImportAttempt(r.Ctx, r.Tx, id)
	if err != nil {
		return nil, err
	}
	if len(a.Annotated) == 0 {
		return nil, errs.E(errs.NotFound, "no_annotated_workbook", "该次导入没有需要标注的问题", "this attempt has no annotated workbook")
	}
	name := strings.TrimSuffix(a.FileName, ".xlsx")
	if name == "" {
		name = fmt.Sprintf("%d年度重点项目", a.Year)
	}
	return File{Name: name + "（问题标注）.xlsx", ContentType: XLSXType, Data: a.Annotated}, nil
}

// ImportProgress is where a running import stands.
type ImportProgress struct {
	Phase string `json:"phase" enum:"check,write,done,failed"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

func progressKey(account uuid.UUID, id string) string {
	return "tuijin:import-progress:" + account.String() + ":" + id
}

// progressReporter records the import's phase under ?progress=<uuid> (chosen
// by the console) for GET /imports/progress/:id; without it, a no-op.
func (s *Server) progressReporter(r *Req) func(phase string, done, total int) {
	id, err := uuid.Parse(r.C.QueryParam("progress"))
	if err != nil {
		return func(string, int, int) {}
	}
	key := progressKey(r.Session.AccountID, id.String())
	return func(phase string, done, total int) {
		ctx := context.WithoutCancel(r.Ctx)
		pipe := s.Redis.TxPipeline()
		pipe.HSet(ctx, key, "phase", phase, "done", done, "total", total)
		pipe.Expire(ctx, key, 10*time.Minute)
		if _, err := pipe.Exec(ctx); err != nil {
			s.Log.WarnContext(ctx, "import progress", "error", err)
		}
	}
}

func (s *Server) importProgress(r *Req) (any, error) {
	id, err := PathID(r.C, "id")
	if err != nil {
		return nil, err
	}
	m, err := s.Redis.HGetAll(r.Ctx, progressKey(r.Session.AccountID, id.String())).Result()
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, errs.ErrNotFound
	}
	done, _ := atoi(m["done"])
	total, _ := atoi(m["total"])
	return ImportProgress{Phase: m["phase"], Done: done, Total: total}, nil
}

func (s *Server) exportKeyList(r *Req) (any, error) {
	year, err := s.YearQuery(r)
	if err != nil {
		return nil, err
	}
	rows, ledger, err := postgres.ExportKeyList(r.Ctx, r.Tx, year, s.Today())
	if err != nil {
		return nil, err
	}
	county, err := postgres.GetCounty(r.Ctx, r.Tx, *r.Session.ActiveCountyID)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	title := fmt.Sprintf("%s%d年度重点项目清单（%s导出）", county.Name, year, s.Today().Format(time.DateOnly))
	if err := workbook.Write(&buf, title, rows, ledger); err != nil {
		return nil, err
	}
	return File{Name: fmt.Sprintf("%s%d年度重点项目.xlsx", county.Name, year), ContentType: XLSXType, Data: buf.Bytes()}, nil
}

func (s *Server) keyListTemplate(r *Req) (any, error) {
	county, err := postgres.GetCounty(r.Ctx, r.Tx, *r.Session.ActiveCountyID)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := workbook.Template(&buf, county.Name+"年度重点项目清单"); err != nil {
		return nil, err
	}
	return File{Name: county.Name + "重点项目导入模板.xlsx", ContentType: XLSXType, Data: buf.Bytes()}, nil
}
