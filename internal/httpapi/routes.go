package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/postgres"
)

// Route is one endpoint: its roles, its types (for the OpenAPI document) and
// its handler.
type Route struct {
	Method  string
	Path    string
	Summary string
	Tag     string
	Roles   []authz.Role
	// County routes need a county selected in the session.
	County bool
	// DuringPasswordChange routes stay open while the account must change
	// its initial password.
	DuringPasswordChange bool
	Status               int
	Body                 any
	Resp                 any
	Query                []Param
	// Upload is the content type of a raw file body (instead of JSON);
	// Download that of a file response. An upload's handler checks and
	// authorises in the request's transaction and releases it (Req.Release)
	// before it reads the body, which fails while the transaction is open;
	// it writes in transactions of its own (Server.InTx).
	Upload, Download string
	Handler          func(*Req) (any, error)
}

// Param is a query parameter.
type Param struct {
	Name, Description, Type string
}

var (
	everyone     = []authz.Role{authz.PlatformAdmin, authz.Municipal, authz.LeadingGroup, authz.Office, authz.Inspector, authz.UnitUser, authz.TaskForce, authz.Statistics}
	CountyRead   = everyone
	orgWrite     = []authz.Role{authz.Office, authz.PlatformAdmin}
	settingsW    = []authz.Role{authz.Office}
	accountsRW   = []authz.Role{authz.Office, authz.PlatformAdmin}
	DeskRead     = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin, authz.Inspector}
	letterRead   = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin, authz.Inspector, authz.UnitUser}
	FieldWrite   = []authz.Role{authz.TaskForce, authz.UnitUser}
	OfficeOnly   = []authz.Role{authz.Office}
	MonthlyWrite = []authz.Role{authz.TaskForce, authz.UnitUser, authz.Office}
	ProblemRaise = []authz.Role{authz.TaskForce, authz.UnitUser, authz.Office, authz.Inspector}
	auditRead    = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin}
	RegisterRead = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin}
	InspectW     = []authz.Role{authz.Inspector, authz.Office}
	CountyUsers  = []authz.Role{authz.Municipal, authz.LeadingGroup, authz.Office, authz.Inspector, authz.UnitUser, authz.TaskForce, authz.Statistics}
	anonymous    = []authz.Role{authz.Anonymous}
	PageParams   = []Param{{"limit", "每页条数 page size (1-200, default 50)", "integer"}, {"after", "上一页返回的 next_cursor", "string"}}
	unitParams   = append([]Param{{"group", "township | department | service", "string"}, {"q", "名称包含 name contains", "string"}}, PageParams...)
	projectQuery = append([]Param{{"unit_id", "责任单位", "uuid"}, {"township_id", "所在乡镇", "uuid"}, {"category_id", "类别", "uuid"},
		{"chief_id", "现任项目长", "uuid"}, {"level", "provincial | municipal | county", "string"}, {"type", "new | continuing | completing", "string"},
		{"status", "preparing | under_construction | completed | suspended", "string"}, {"tag", "标签", "string"},
		{"year", "在该年度清单上", "integer"}, {"q", "名称或编码包含", "string"}}, PageParams...)
	peopleQuery = append([]Param{{"unit_id", "所属单位 unit", "uuid"}, {"rank", "county_leader | section_level | other", "string"}, {"q", "姓名包含 name contains", "string"}}, PageParams...)
)

func (s *Server) routeTable() []*Route {
	const v1 = "/api/v1"
	table := []*Route{
		{Method: http.MethodGet, Path: v1 + "/openapi.json", Summary: "OpenAPI document", Tag: "meta", Roles: anonymous, Resp: map[string]any{}, Handler: s.getOpenAPI},

		{Method: http.MethodPost, Path: v1 + "/auth/login", Summary: "Log in (console): sets the session cookie", Tag: "auth", Roles: anonymous, Body: LoginInput{}, Resp: Me{}, Handler: s.login},
		{Method: http.MethodPost, Path: v1 + "/auth/tokens", Summary: "Log in (API client): returns a bearer token", Tag: "auth", Roles: anonymous, Status: http.StatusCreated, Body: LoginInput{}, Resp: TokenResponse{}, Handler: s.createToken},
		{Method: http.MethodPost, Path: v1 + "/auth/logout", Summary: "End the session", Tag: "auth", Roles: everyone, DuringPasswordChange: true, Status: http.StatusNoContent, Handler: s.logout},
		{Method: http.MethodGet, Path: v1 + "/auth/me", Summary: "The logged-in account, its roles and counties", Tag: "auth", Roles: everyone, DuringPasswordChange: true, Resp: Me{}, Handler: s.me},
		{Method: http.MethodPut, Path: v1 + "/auth/password", Summary: "Change one's own password (ends other sessions)", Tag: "auth", Roles: everyone, DuringPasswordChange: true, Status: http.StatusNoContent, Body: PasswordChange{}, Handler: s.changePassword},
		{Method: http.MethodPut, Path: v1 + "/auth/county", Summary: "Switch the county the session works in", Tag: "auth", Roles: everyone, Body: CountySwitch{}, Resp: Me{}, Handler: s.switchCounty},

		{Method: http.MethodGet, Path: v1 + "/counties", Summary: "Counties the caller may work in", Tag: "tenancy", Roles: everyone, Resp: []County{}, Handler: s.listCounties},

		{Method: http.MethodGet, Path: v1 + "/units", Summary: "List units", Tag: "organisation", Roles: CountyRead, County: true, Query: unitParams, Resp: List[Unit]{}, Handler: s.listUnits},
		{Method: http.MethodPost, Path: v1 + "/units", Summary: "Create a unit", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: UnitInput{}, Resp: Unit{}, Handler: s.createUnit},
		{Method: http.MethodGet, Path: v1 + "/units/:id", Summary: "Get a unit", Tag: "organisation", Roles: CountyRead, County: true, Resp: Unit{}, Handler: s.getUnit},
		{Method: http.MethodPut, Path: v1 + "/units/:id", Summary: "Replace a unit (version required)", Tag: "organisation", Roles: orgWrite, County: true, Body: UnitInput{}, Resp: Unit{}, Handler: s.updateUnit},
		{Method: http.MethodDelete, Path: v1 + "/units/:id", Summary: "Delete an unreferenced unit", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deleteUnit},

		{Method: http.MethodGet, Path: v1 + "/people", Summary: "List people", Tag: "organisation", Roles: CountyRead, County: true, Query: peopleQuery, Resp: List[Person]{}, Handler: s.listPeople},
		{Method: http.MethodPost, Path: v1 + "/people", Summary: "Create a person", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: PersonInput{}, Resp: Person{}, Handler: s.createPerson},
		{Method: http.MethodGet, Path: v1 + "/people/:id", Summary: "Get a person", Tag: "organisation", Roles: CountyRead, County: true, Resp: Person{}, Handler: s.getPerson},
		{Method: http.MethodPut, Path: v1 + "/people/:id", Summary: "Replace a person (version required)", Tag: "organisation", Roles: orgWrite, County: true, Body: PersonInput{}, Resp: Person{}, Handler: s.updatePerson},
		{Method: http.MethodDelete, Path: v1 + "/people/:id", Summary: "Delete an unreferenced person", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deletePerson},

		{Method: http.MethodGet, Path: v1 + "/groups", Summary: "Leading group, key project office and inspection groups with members", Tag: "organisation", Roles: CountyRead, County: true, Query: []Param{{"kind", "leading_group | project_office | inspection", "string"}}, Resp: []Group{}, Handler: s.listGroups},
		{Method: http.MethodPost, Path: v1 + "/groups", Summary: "Create a group", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: GroupInput{}, Resp: Group{}, Handler: s.createGroup},
		{Method: http.MethodGet, Path: v1 + "/groups/:id", Summary: "Get a group", Tag: "organisation", Roles: CountyRead, County: true, Resp: Group{}, Handler: s.getGroup},
		{Method: http.MethodPut, Path: v1 + "/groups/:id", Summary: "Replace a group's name, lead unit and duty", Tag: "organisation", Roles: orgWrite, County: true, Body: GroupInput{}, Resp: Group{}, Handler: s.updateGroup},
		{Method: http.MethodDelete, Path: v1 + "/groups/:id", Summary: "Delete a group", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deleteGroup},
		{Method: http.MethodPut, Path: v1 + "/groups/:id/members/:personId", Summary: "Put a person into a group", Tag: "organisation", Roles: orgWrite, County: true, Body: MemberInput{}, Resp: Group{}, Handler: s.putMember},
		{Method: http.MethodDelete, Path: v1 + "/groups/:id/members/:personId", Summary: "Take a person out of a group", Tag: "organisation", Roles: orgWrite, County: true, Resp: Group{}, Handler: s.deleteMember},

		{Method: http.MethodGet, Path: v1 + "/settings", Summary: "Settings in force on a date (default today)", Tag: "settings", Roles: CountyRead, County: true, Query: []Param{{"on", "日期 date YYYY-MM-DD", "date"}}, Resp: SettingsVersion{}, Handler: s.getSettings},
		{Method: http.MethodGet, Path: v1 + "/settings/versions", Summary: "Every settings version, newest first", Tag: "settings", Roles: CountyRead, County: true, Resp: []SettingsVersion{}, Handler: s.listSettingsVersions},
		{Method: http.MethodPost, Path: v1 + "/settings/versions", Summary: "Add a settings version effective from today or later", Tag: "settings", Roles: settingsW, County: true, Status: http.StatusCreated, Body: SettingsInput{}, Resp: SettingsVersion{}, Handler: s.putSettings},

		{Method: http.MethodGet, Path: v1 + "/accounts", Summary: "Accounts of the county", Tag: "accounts", Roles: accountsRW, County: true, Query: PageParams, Resp: List[Account]{}, Handler: s.listAccounts},
		{Method: http.MethodPost, Path: v1 + "/accounts", Summary: "Create a county account", Tag: "accounts", Roles: accountsRW, County: true, Status: http.StatusCreated, Body: AccountInput{}, Resp: Account{}, Handler: s.createAccount},
		{Method: http.MethodGet, Path: v1 + "/accounts/:id", Summary: "Get an account", Tag: "accounts", Roles: accountsRW, County: true, Resp: Account{}, Handler: s.getAccount},
		{Method: http.MethodPut, Path: v1 + "/accounts/:id", Summary: "Replace an account's name, person, roles and disabled flag", Tag: "accounts", Roles: accountsRW, County: true, Body: AccountUpdate{}, Resp: Account{}, Handler: s.updateAccount},
		{Method: http.MethodPost, Path: v1 + "/accounts/:id/password-reset", Summary: "Reset a password to a temporary one (must be changed at next login)", Tag: "accounts", Roles: accountsRW, County: true, Resp: TemporaryPassword{}, Handler: s.resetPassword},

		{Method: http.MethodGet, Path: v1 + "/project-categories", Summary: "The project category catalogue", Tag: "registry", Roles: CountyRead, County: true, Resp: []Category{}, Handler: s.listCategories},
		{Method: http.MethodPost, Path: v1 + "/project-categories", Summary: "Add a project category", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: CategoryInput{}, Resp: Category{}, Handler: s.createCategory},
		{Method: http.MethodGet, Path: v1 + "/procedure-types", Summary: "The approval-procedure catalogue", Tag: "registry", Roles: CountyRead, County: true, Resp: []ProcedureType{}, Handler: s.listProcedureTypes},
		{Method: http.MethodPost, Path: v1 + "/procedure-types", Summary: "Add a procedure type", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: ProcedureTypeInput{}, Resp: ProcedureType{}, Handler: s.createProcedureType},

		{Method: http.MethodGet, Path: v1 + "/projects", Summary: "List projects (field roles see their own)", Tag: "registry", Roles: CountyRead, County: true, Query: projectQuery, Resp: List[Project]{}, Handler: s.listProjects},
		{Method: http.MethodPost, Path: v1 + "/projects", Summary: "Create a project", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: ProjectInput{}, Resp: Project{}, Handler: s.createProject},
		{Method: http.MethodGet, Path: v1 + "/projects/:id", Summary: "Get a project", Tag: "registry", Roles: CountyRead, County: true, Resp: Project{}, Handler: s.getProject},
		{Method: http.MethodPut, Path: v1 + "/projects/:id", Summary: "Replace a project (version required)", Tag: "registry", Roles: orgWrite, County: true, Body: ProjectInput{}, Resp: Project{}, Handler: s.updateProject},
		{Method: http.MethodDelete, Path: v1 + "/projects/:id", Summary: "Delete a project that is on no key list", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deleteProject},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/history", Summary: "A project's audited changes, newest first", Tag: "registry", Roles: CountyRead, County: true, Query: PageParams, Resp: List[AuditEntry]{}, Handler: s.projectHistory},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/task-force", Summary: "Who held each 1+3 role on a date (default today)", Tag: "registry", Roles: CountyRead, County: true, Query: []Param{{"on", "日期 date", "date"}}, Resp: []Assignment{}, Handler: s.taskForce},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/task-force/history", Summary: "Every task-force assignment of a project", Tag: "registry", Roles: CountyRead, County: true, Resp: []Assignment{}, Handler: s.taskForceHistory},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/task-force", Summary: "Put a person into a task-force role from a date", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: AssignmentInput{}, Resp: Assignment{}, Handler: s.assign},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/procedures", Summary: "A project's procedure ledger", Tag: "registry", Roles: CountyRead, County: true, Resp: []Procedure{}, Handler: s.listProcedures},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/procedures", Summary: "Add a ledger item", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: ProcedureInput{}, Resp: Procedure{}, Handler: s.putProcedure},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/procedures/:procedureId", Summary: "Replace a ledger item (version required)", Tag: "registry", Roles: orgWrite, County: true, Body: ProcedureInput{}, Resp: Procedure{}, Handler: s.putProcedure},
		{Method: http.MethodGet, Path: v1 + "/procedures/overdue", Summary: "Unfinished ledger items planned before a date (default today)", Tag: "registry", Roles: CountyRead, County: true, Query: []Param{{"on", "日期 date", "date"}}, Resp: []Procedure{}, Handler: s.overdueProcedures},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/plan/:year", Summary: "Node plan and a year's monthly targets", Tag: "registry", Roles: CountyRead, County: true, Resp: Plan{}, Handler: s.getPlan},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/plan/:year", Summary: "Replace the node plan and a year's monthly targets (must add up to the year's plan)", Tag: "registry", Roles: orgWrite, County: true, Body: Plan{}, Resp: Plan{}, Handler: s.putPlan},

		{Method: http.MethodGet, Path: v1 + "/key-lists", Summary: "The county's yearly key lists", Tag: "registry", Roles: CountyRead, County: true, Resp: []KeyList{}, Handler: s.listKeyLists},
		{Method: http.MethodPost, Path: v1 + "/key-lists", Summary: "Open a year's key list", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: KeyListInput{}, Resp: KeyList{}, Handler: s.createKeyList},
		{Method: http.MethodGet, Path: v1 + "/key-lists/:year", Summary: "A year's entries, removed ones with their dates", Tag: "registry", Roles: CountyRead, County: true, Resp: []ListEntry{}, Handler: s.keyListEntries},
		{Method: http.MethodPut, Path: v1 + "/key-lists/:year/projects/:projectId", Summary: "Add a project to a year's list, or change its planned investment", Tag: "registry", Roles: orgWrite, County: true, Body: EntryInput{}, Resp: ListEntry{}, Handler: s.putEntry},
		{Method: http.MethodPost, Path: v1 + "/key-lists/:year/projects/:projectId/removal", Summary: "Take a project off a year's list on a date, with a reason", Tag: "registry", Roles: orgWrite, County: true, Body: RemovalInput{}, Resp: ListEntry{}, Handler: s.removeEntry},
		{Method: http.MethodPost, Path: v1 + "/key-lists/:year/carry-over", Summary: "Carry last year's unfinished projects into this year's list", Tag: "registry", Roles: orgWrite, County: true, Body: CarryOverInput{}, Resp: CarryOverResult{}, Handler: s.carryOver},

		{Method: http.MethodGet, Path: v1 + "/candidates", Summary: "The pipeline of candidate projects", Tag: "registry", Roles: CountyRead, County: true, Resp: []Candidate{}, Handler: s.listCandidates},
		{Method: http.MethodPost, Path: v1 + "/candidates", Summary: "Add a candidate project", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: CandidateInput{}, Resp: Candidate{}, Handler: s.putCandidate},
		{Method: http.MethodPut, Path: v1 + "/candidates/:id", Summary: "Replace a candidate (version required)", Tag: "registry", Roles: orgWrite, County: true, Body: CandidateInput{}, Resp: Candidate{}, Handler: s.putCandidate},
		{Method: http.MethodPost, Path: v1 + "/candidates/:id/promote", Summary: "Make a candidate a project on a year's key list", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: PromoteInput{}, Resp: Project{}, Handler: s.promote},

		{Method: http.MethodPost, Path: v1 + "/imports/key-list", Summary: "Import a year's key list, task forces and ledger from .xlsx (nothing imported when a cell is bad: one complaint per cause, at most 200, and the attempt's annotated workbook; dry_run=true rehearses)", Tag: "registry", Roles: orgWrite, County: true, Upload: XLSXType, Query: []Param{{"year", "年度", "integer"}, {"dry_run", "true: 只预检，不保存", "string"}, {"on", "任务分工生效日期", "date"}, {"progress", "进度编号（uuid），用于查询导入进度", "uuid"}, {"file_name", "上传的文件名（用于导入记录和标注副本）", "string"}}, Resp: postgres.ImportReport{}, Handler: s.importKeyList},
		{Method: http.MethodGet, Path: v1 + "/imports/attempts", Summary: "The county's ledger imports of the last 30 days, newest first, with their complaints", Tag: "registry", Roles: orgWrite, County: true, Query: PageParams, Resp: List[ImportAttempt]{}, Handler: s.importAttempts},
		{Method: http.MethodGet, Path: v1 + "/imports/attempts/:id/annotated", Summary: "A refused workbook with every bad cell highlighted and commented (kept 30 days)", Tag: "registry", Roles: orgWrite, County: true, Download: XLSXType, Handler: s.annotatedWorkbook},
		{Method: http.MethodGet, Path: v1 + "/imports/progress/:id", Summary: "Where the caller's running import stands (the id it passed as ?progress=)", Tag: "registry", Roles: orgWrite, County: true, Resp: ImportProgress{}, Handler: s.importProgress},
		{Method: http.MethodGet, Path: v1 + "/exports/key-list", Summary: "A year's key list, task forces and ledger as .xlsx (the import layout)", Tag: "registry", Roles: DeskRead, County: true, Download: XLSXType, Query: []Param{{"year", "年度", "integer"}}, Handler: s.exportKeyList},
		{Method: http.MethodGet, Path: v1 + "/exports/key-list-template", Summary: "An empty key list workbook with a filling guide", Tag: "registry", Roles: CountyRead, County: true, Download: XLSXType, Handler: s.keyListTemplate},

		{Method: http.MethodGet, Path: v1 + "/letters", Summary: "A year's responsibility and service commitment letters (unit users: their unit's)", Tag: "letters", Roles: letterRead, County: true, Query: []Param{{"year", "年度", "integer"}, {"kind", "responsibility | service", "string"}}, Resp: []Letter{}, Handler: s.listLetters},
		{Method: http.MethodPost, Path: v1 + "/letters", Summary: "Create a letter with its commitments", Tag: "letters", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: LetterInput{}, Resp: Letter{}, Handler: s.putLetter},
		{Method: http.MethodGet, Path: v1 + "/letters/:id", Summary: "Get a letter with its commitments", Tag: "letters", Roles: letterRead, County: true, Resp: Letter{}, Handler: s.getLetter},
		{Method: http.MethodPut, Path: v1 + "/letters/:id", Summary: "Replace a letter and its commitments (version required)", Tag: "letters", Roles: orgWrite, County: true, Body: LetterInput{}, Resp: Letter{}, Handler: s.putLetter},
		{Method: http.MethodGet, Path: v1 + "/letters/:id/scans", Summary: "Every stored version of the signed scan", Tag: "letters", Roles: letterRead, County: true, Resp: []ScanInfo{}, Handler: s.listScans},
		{Method: http.MethodPost, Path: v1 + "/letters/:id/scans", Summary: "Store a new version of the signed scan (PDF, JPEG, PNG; locked, hashed)", Tag: "letters", Roles: orgWrite, County: true, Status: http.StatusCreated, Upload: scanTypes, Resp: ScanInfo{}, Handler: s.uploadScan},
		{Method: http.MethodGet, Path: v1 + "/letters/:id/scans/:scanId", Summary: "Download a scan version after checking its hash", Tag: "letters", Roles: letterRead, County: true, Download: scanTypes, Handler: s.downloadScan},

		{Method: http.MethodGet, Path: v1 + "/notifications", Summary: "The caller's inbox", Tag: "notifications", Roles: CountyUsers, County: true, Query: PageParams, Resp: Inbox{}, Handler: s.inbox},
		{Method: http.MethodPost, Path: v1 + "/notifications/read", Summary: "Mark a message (or all) read", Tag: "notifications", Roles: CountyUsers, County: true, Status: http.StatusNoContent, Body: ReadInput{}, Handler: s.markRead},
		{Method: http.MethodGet, Path: v1 + "/notifications/channels", Summary: "The caller's outside channels", Tag: "notifications", Roles: CountyUsers, County: true, Resp: []Channel{}, Handler: s.listChannels},
		{Method: http.MethodPut, Path: v1 + "/notifications/channels/:channel", Summary: "Set a WeCom or DingTalk robot webhook or an e-mail address", Tag: "notifications", Roles: CountyUsers, County: true, Body: ChannelInput{}, Resp: Channel{}, Handler: s.putChannel},
		{Method: http.MethodDelete, Path: v1 + "/notifications/channels/:channel", Summary: "Remove a channel", Tag: "notifications", Roles: CountyUsers, County: true, Status: http.StatusNoContent, Handler: s.deleteChannel},
		{Method: http.MethodGet, Path: v1 + "/jobs/dead", Summary: "Jobs and deliveries that failed their last retry", Tag: "supervision", Roles: OfficeOnly, County: true, Query: PageParams, Resp: List[DeadLetter]{}, Handler: s.listDeadLetters},
		{Method: http.MethodPost, Path: v1 + "/jobs/dead/:id/retry", Summary: "Run a dead job or delivery again", Tag: "supervision", Roles: OfficeOnly, County: true, Resp: DeadLetter{}, Handler: s.retryDeadLetter},

		{Method: http.MethodGet, Path: v1 + "/audit", Summary: "The county's audit trail, newest first", Tag: "audit", Roles: auditRead, County: true, Query: append([]Param{{"entity_type", "对象类型", "string"}, {"entity_id", "对象编号", "string"}}, PageParams...), Resp: List[AuditEntry]{}, Handler: s.listAudit},
	}
	return table
}

func (s *Server) getOpenAPI(r *Req) (any, error) {
	return RawJSON(s.spec), nil
}

// RoutePermissions lists the casbin permissions of every route, for
// `tuijin migrate` to store.
func RoutePermissions(cfg config.Config, areas ...Area) ([]authz.Permission, error) {
	s, err := New(Deps{Config: cfg, Log: slog.New(slog.DiscardHandler), Areas: areas})
	if err != nil {
		return nil, err
	}
	return s.Permissions(), nil
}
