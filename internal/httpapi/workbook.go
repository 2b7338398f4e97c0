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
	"github.com/uptrace/bun"

	"github.com/tuijin/tuijin/internal/errs"
	"github.com/tuijin/tuijin/internal/objects"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/uploads"
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
// annotated copy of the workbook marks every bad cell (made by the worker,
// kept 30 days). A dry run reports what would change.
//
// It goes in three steps (see package uploads): the catalogue is read and
// the county's one import slot taken (import_in_progress while another
// runs) in the request's transaction, which is then released; the body is
// spooled and read as a stream of rows within the configured limits; the
// projects — or the refused attempt — are written in a second transaction.
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
	cat, err := postgres.LoadCatalogue(r.Ctx, r.Tx)
	if err != nil {
		return nil, err
	}
	county := *r.Session.ActiveCountyID
	st, err := s.Stager().Begin(r.Ctx, r.Tx, "key_list_import", fmt.Sprintf("imports/%s/%s/", county, uuid.NewString()), true)
	if err != nil {
		return nil, err
	}
	if err := r.Release(); err != nil {
		return nil, err
	}
	out, err := s.runImport(r, st, year, on, cat)
	if err != nil {
		// A refusal has committed its attempt (and its stage): nothing to undo.
		s.Stager().Abandon(r.Ctx, county, st)
	}
	return out, err
}

// ImportLimits are the configured limits on reading a workbook.
func (s *Server) ImportLimits() workbook.Limits {
	return workbook.Limits{MaxRows: s.Config.ImportMaxRows, MaxColumns: s.Config.ImportMaxColumns, MaxInflated: s.Config.ImportMaxInflated}
}

func (s *Server) runImport(r *Req, st uploads.Stage, year int, on time.Time, cat workbook.Catalogue) (any, error) {
	dryRun := r.C.QueryParam("dry_run") == "true"
	report := s.progressReporter(r)
	sp, err := objects.NewSpool(r.C.Request().Body)
	if err != nil {
		return nil, DecodeError(err)
	}
	defer sp.Close()
	report("check", 0, 0)
	attempt := postgres.ImportAttempt{Kind: "key_list", Year: year, FileName: r.C.QueryParam("file_name"), CreatedBy: &r.Session.AccountID}
	c := workbook.NewComplaints(maxComplaints, maxMarked)
	wb, err := workbook.ParseFile(sp.File, sp.Size, year, cat, s.ImportLimits(), c)
	attempt.RowsRead = len(wb.Rows)
	if err != nil || c.Count() > 0 {
		report("failed", 0, len(wb.Rows))
		return nil, s.refuseImport(r, st, attempt, sp, c, wb.Inflated, err)
	}
	report("write", 0, len(wb.Rows))
	var rep postgres.ImportReport
	err = s.InTx(r, func(ctx context.Context, tx bun.IDB) error {
		if dryRun {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT dry_run"); err != nil {
				return err
			}
		}
		var err error
		rep, err = postgres.ImportKeyList(ctx, tx, year, on, wb, func(done, total int) { report("write", done, total) })
		if err != nil {
			return err
		}
		if dryRun {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT dry_run"); err != nil {
				return err
			}
		} else {
			attempt.Outcome = "imported"
			if _, err := postgres.RecordImportAttempt(ctx, tx, attempt); err != nil {
				return err
			}
		}
		return s.Stager().Commit(ctx, tx, st, nil, time.Time{})
	})
	if err != nil {
		report("failed", 0, len(wb.Rows))
		return nil, err
	}
	report("done", len(wb.Rows), len(wb.Rows))
	return rep, nil
}

// refuseImport records a refused attempt — its complaints, one per cause
// and at most maxComplaints — in its own transaction, with the job that
// makes the annotated workbook (the upload and its bad cells are left under
// the stage's prefix for it), and answers workbook_invalid (or the read
// error) referring to it.
func (s *Server) refuseImport(r *Req, st uploads.Stage, attempt postgres.ImportAttempt, sp *objects.Spool, c *workbook.Complaints, inflated int64, parseErr error) error {
	summary, total := c.Summary()
	e := errs.E(errs.Invalid, "workbook_invalid",
		fmt.Sprintf("工作簿有%d处问题（%d个单元格），未导入任何数据；请按单元格逐一修改后重新上传", total, c.Count()),
		fmt.Sprintf("the workbook has %d problems (%d cells); nothing was imported", total, c.Count()))
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
	if parseErr == nil && s.Objects != nil {
		if err := s.stageAnnotation(r, st, sp, c, inflated); err != nil {
			s.Log.WarnContext(r.Ctx, "import: the refused workbook is kept without an annotated copy", "error", err)
		} else {
			attempt.SourcePrefix, attempt.AnnotationPending = &st.Prefix, true
		}
	}
	var saved postgres.ImportAttempt
	err = s.InTx(r, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if saved, err = postgres.RecordImportAttempt(ctx, tx, attempt); err != nil {
			return err
		}
		if attempt.AnnotationPending {
			if err := postgres.EnqueueJob(ctx, tx, uploads.JobAnnotateImport, saved.ID.String()); err != nil {
				return err
			}
		}
		return s.Stager().Commit(ctx, tx, st, nil, time.Time{})
	})
	if err != nil {
		return err
	}
	e = e.Wrap(parseErr)
	e.Ref = saved.ID.String()
	return e
}

// stageAnnotation stores the refused upload and its first bad cells under
// the stage's prefix, for the worker.
func (s *Server) stageAnnotation(r *Req, st uploads.Stage, sp *objects.Spool, c *workbook.Complaints, inflated int64) error {
	cells, err := uploads.AnnotationInput(c, inflated)
	if err != nil {
		return err
	}
	if _, err := s.Objects.PutSpool(r.Ctx, st.Prefix+uploads.SourceObject, sp, XLSXType); err != nil {
		return err
	}
	_, err = s.Objects.PutBytes(r.Ctx, st.Prefix+uploads.CellsObject, cells, "application/json", time.Time{})
	return err
}

// ImportAttempt is an upload of a ledger workbook and what came of it.
type ImportAttempt struct {
	ID                uuid.UUID         `json:"id"`
	Year              int               `json:"year"`
	FileName          string            `json:"file_name"`
	Outcome           string            `json:"outcome" enum:"imported,refused"`
	RowsRead          int               `json:"rows_read"`
	ProblemsTotal     int               `json:"problems_total"`
	Problems          []errs.FieldError `json:"problems" description:"one per cause, at most 200"`
	Annotated         bool              `json:"annotated" description:"a copy of the workbook with every bad cell marked can be downloaded"`
	AnnotationPending bool              `json:"annotation_pending" description:"the annotated copy is being made (a few seconds after the refusal)"`
	CreatedAt         time.Time         `json:"created_at"`
	ExpiresAt         time.Time         `json:"expires_at"`
}

func toAttemptAPI(a postgres.ImportAttempt) ImportAttempt {
	out := ImportAttempt{ID: a.ID, Year: a.Year, FileName: a.FileName, Outcome: a.Outcome, RowsRead: a.RowsRead,
		ProblemsTotal: a.ProblemsTotal, Problems: []errs.FieldError{}, Annotated: a.HasAnnotated, AnnotationPending: a.AnnotationPending, CreatedAt: a.CreatedAt, ExpiresAt: a.ExpiresAt}
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
	if a.AnnotationPending {
		return nil, errs.E(errs.NotFound, "annotation_pending", "标注后的工作簿正在生成，请稍后再试", "the annotated workbook is being made; try again shortly")
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
