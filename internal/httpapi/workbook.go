package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"mime"
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

// importKeyList reads an uploaded workbook. Every bad cell is reported and
// nothing is imported when there is one; a dry run reports what would change.
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
	wb, problems, err := workbook.Parse(&body, year, cat)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		report("failed", 0, len(wb.Rows))
		e := errs.E(errs.Invalid, "workbook_invalid",
			fmt.Sprintf("工作簿有%d处问题，未导入任何数据；请按单元格逐一修改后重新上传", len(problems)),
			fmt.Sprintf("the workbook has %d problems; nothing was imported", len(problems)))
		for _, p := range problems {
			e.Fields = append(e.Fields, errs.FieldError{Field: p.Cell(), Code: "cell", ZH: p.ZH, EN: p.EN})
		}
		return nil, e
	}
	report("write", 0, len(wb.Rows))
	rep, err := postgres.ImportKeyList(r.Ctx, r.Tx, year, on, wb, func(done, total int) { report("write", done, total) })
	if err != nil {
		report("failed", 0, len(wb.Rows))
		return nil, err
	}
	if r.C.QueryParam("dry_run") == "true" {
		r.RollbackOnly()
		report("done", len(wb.Rows), len(wb.Rows))
	} else {
		r.AfterCommit(func(context.Context) { report("done", len(wb.Rows), len(wb.Rows)) })
	}
	return rep, nil
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
