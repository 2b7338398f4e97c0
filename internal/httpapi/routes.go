package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/tuijin/tuijin/internal/authz"
	"github.com/tuijin/tuijin/internal/config"
	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
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
	// Download that of a file response.
	Upload, Download string
	Handler          func(*Req) (any, error)
}

// Param is a query parameter.
type Param struct {
	Name, Description, Type string
}

var (
	everyone     = []authz.Role{authz.PlatformAdmin, authz.Municipal, authz.LeadingGroup, authz.Office, authz.Inspector, authz.UnitUser, authz.TaskForce, authz.Statistics}
	countyRead   = everyone
	orgWrite     = []authz.Role{authz.Office, authz.PlatformAdmin}
	settingsW    = []authz.Role{authz.Office}
	accountsRW   = []authz.Role{authz.Office, authz.PlatformAdmin}
	deskRead     = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin, authz.Inspector}
	letterRead   = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin, authz.Inspector, authz.UnitUser}
	fieldWrite   = []authz.Role{authz.TaskForce, authz.UnitUser}
	officeOnly   = []authz.Role{authz.Office}
	monthlyWrite = []authz.Role{authz.TaskForce, authz.UnitUser, authz.Office}
	problemRaise = []authz.Role{authz.TaskForce, authz.UnitUser, authz.Office, authz.Inspector}
	auditRead    = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin}
	registerRead = []authz.Role{authz.Office, authz.LeadingGroup, authz.Municipal, authz.PlatformAdmin}
	inspectW     = []authz.Role{authz.Inspector, authz.Office}
	countyUsers  = []authz.Role{authz.Municipal, authz.LeadingGroup, authz.Office, authz.Inspector, authz.UnitUser, authz.TaskForce, authz.Statistics}
	anonymous    = []authz.Role{authz.Anonymous}
	pageParams   = []Param{{"limit", "每页条数 page size (1-200, default 50)", "integer"}, {"after", "上一页返回的 next_cursor", "string"}}
	unitParams   = append([]Param{{"group", "township | department | service", "string"}, {"q", "名称包含 name contains", "string"}}, pageParams...)
	projectQuery = append([]Param{{"unit_id", "责任单位", "uuid"}, {"township_id", "所在乡镇", "uuid"}, {"category_id", "类别", "uuid"},
		{"chief_id", "现任项目长", "uuid"}, {"level", "provincial | municipal | county", "string"}, {"type", "new | continuing | completing", "string"},
		{"status", "preparing | under_construction | completed | suspended", "string"}, {"tag", "标签", "string"},
		{"year", "在该年度清单上", "integer"}, {"q", "名称或编码包含", "string"}}, pageParams...)
	peopleQuery = append([]Param{{"unit_id", "所属单位 unit", "uuid"}, {"rank", "county_leader | section_level | other", "string"}, {"q", "姓名包含 name contains", "string"}}, pageParams...)
)

func (s *Server) routeTable() []*Route {
	const v1 = "/api/v1"
	return []*Route{
		{Method: http.MethodGet, Path: v1 + "/openapi.json", Summary: "OpenAPI document", Tag: "meta", Roles: anonymous, Resp: map[string]any{}, Handler: s.getOpenAPI},

		{Method: http.MethodPost, Path: v1 + "/auth/login", Summary: "Log in (console): sets the session cookie", Tag: "auth", Roles: anonymous, Body: LoginInput{}, Resp: Me{}, Handler: s.login},
		{Method: http.MethodPost, Path: v1 + "/auth/tokens", Summary: "Log in (API client): returns a bearer token", Tag: "auth", Roles: anonymous, Status: http.StatusCreated, Body: LoginInput{}, Resp: TokenResponse{}, Handler: s.createToken},
		{Method: http.MethodPost, Path: v1 + "/auth/logout", Summary: "End the session", Tag: "auth", Roles: everyone, DuringPasswordChange: true, Status: http.StatusNoContent, Handler: s.logout},
		{Method: http.MethodGet, Path: v1 + "/auth/me", Summary: "The logged-in account, its roles and counties", Tag: "auth", Roles: everyone, DuringPasswordChange: true, Resp: Me{}, Handler: s.me},
		{Method: http.MethodPut, Path: v1 + "/auth/password", Summary: "Change one's own password (ends other sessions)", Tag: "auth", Roles: everyone, DuringPasswordChange: true, Status: http.StatusNoContent, Body: PasswordChange{}, Handler: s.changePassword},
		{Method: http.MethodPut, Path: v1 + "/auth/county", Summary: "Switch the county the session works in", Tag: "auth", Roles: everyone, Body: CountySwitch{}, Resp: Me{}, Handler: s.switchCounty},

		{Method: http.MethodGet, Path: v1 + "/counties", Summary: "Counties the caller may work in", Tag: "tenancy", Roles: everyone, Resp: []County{}, Handler: s.listCounties},

		{Method: http.MethodGet, Path: v1 + "/units", Summary: "List units", Tag: "organisation", Roles: countyRead, County: true, Query: unitParams, Resp: List[Unit]{}, Handler: s.listUnits},
		{Method: http.MethodPost, Path: v1 + "/units", Summary: "Create a unit", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: UnitInput{}, Resp: Unit{}, Handler: s.createUnit},
		{Method: http.MethodGet, Path: v1 + "/units/:id", Summary: "Get a unit", Tag: "organisation", Roles: countyRead, County: true, Resp: Unit{}, Handler: s.getUnit},
		{Method: http.MethodPut, Path: v1 + "/units/:id", Summary: "Replace a unit (version required)", Tag: "organisation", Roles: orgWrite, County: true, Body: UnitInput{}, Resp: Unit{}, Handler: s.updateUnit},
		{Method: http.MethodDelete, Path: v1 + "/units/:id", Summary: "Delete an unreferenced unit", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deleteUnit},

		{Method: http.MethodGet, Path: v1 + "/people", Summary: "List people", Tag: "organisation", Roles: countyRead, County: true, Query: peopleQuery, Resp: List[Person]{}, Handler: s.listPeople},
		{Method: http.MethodPost, Path: v1 + "/people", Summary: "Create a person", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: PersonInput{}, Resp: Person{}, Handler: s.createPerson},
		{Method: http.MethodGet, Path: v1 + "/people/:id", Summary: "Get a person", Tag: "organisation", Roles: countyRead, County: true, Resp: Person{}, Handler: s.getPerson},
		{Method: http.MethodPut, Path: v1 + "/people/:id", Summary: "Replace a person (version required)", Tag: "organisation", Roles: orgWrite, County: true, Body: PersonInput{}, Resp: Person{}, Handler: s.updatePerson},
		{Method: http.MethodDelete, Path: v1 + "/people/:id", Summary: "Delete an unreferenced person", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deletePerson},

		{Method: http.MethodGet, Path: v1 + "/groups", Summary: "Leading group, key project office and inspection groups with members", Tag: "organisation", Roles: countyRead, County: true, Query: []Param{{"kind", "leading_group | project_office | inspection", "string"}}, Resp: []Group{}, Handler: s.listGroups},
		{Method: http.MethodPost, Path: v1 + "/groups", Summary: "Create a group", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: GroupInput{}, Resp: Group{}, Handler: s.createGroup},
		{Method: http.MethodGet, Path: v1 + "/groups/:id", Summary: "Get a group", Tag: "organisation", Roles: countyRead, County: true, Resp: Group{}, Handler: s.getGroup},
		{Method: http.MethodPut, Path: v1 + "/groups/:id", Summary: "Replace a group's name, lead unit and duty", Tag: "organisation", Roles: orgWrite, County: true, Body: GroupInput{}, Resp: Group{}, Handler: s.updateGroup},
		{Method: http.MethodDelete, Path: v1 + "/groups/:id", Summary: "Delete a group", Tag: "organisation", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deleteGroup},
		{Method: http.MethodPut, Path: v1 + "/groups/:id/members/:personId", Summary: "Put a person into a group", Tag: "organisation", Roles: orgWrite, County: true, Body: MemberInput{}, Resp: Group{}, Handler: s.putMember},
		{Method: http.MethodDelete, Path: v1 + "/groups/:id/members/:personId", Summary: "Take a person out of a group", Tag: "organisation", Roles: orgWrite, County: true, Resp: Group{}, Handler: s.deleteMember},

		{Method: http.MethodGet, Path: v1 + "/settings", Summary: "Settings in force on a date (default today)", Tag: "settings", Roles: countyRead, County: true, Query: []Param{{"on", "日期 date YYYY-MM-DD", "date"}}, Resp: SettingsVersion{}, Handler: s.getSettings},
		{Method: http.MethodGet, Path: v1 + "/settings/versions", Summary: "Every settings version, newest first", Tag: "settings", Roles: countyRead, County: true, Resp: []SettingsVersion{}, Handler: s.listSettingsVersions},
		{Method: http.MethodPost, Path: v1 + "/settings/versions", Summary: "Add a settings version effective from today or later", Tag: "settings", Roles: settingsW, County: true, Status: http.StatusCreated, Body: SettingsInput{}, Resp: SettingsVersion{}, Handler: s.putSettings},

		{Method: http.MethodGet, Path: v1 + "/accounts", Summary: "Accounts of the county", Tag: "accounts", Roles: accountsRW, County: true, Query: pageParams, Resp: List[Account]{}, Handler: s.listAccounts},
		{Method: http.MethodPost, Path: v1 + "/accounts", Summary: "Create a county account", Tag: "accounts", Roles: accountsRW, County: true, Status: http.StatusCreated, Body: AccountInput{}, Resp: Account{}, Handler: s.createAccount},
		{Method: http.MethodGet, Path: v1 + "/accounts/:id", Summary: "Get an account", Tag: "accounts", Roles: accountsRW, County: true, Resp: Account{}, Handler: s.getAccount},
		{Method: http.MethodPut, Path: v1 + "/accounts/:id", Summary: "Replace an account's name, person, roles and disabled flag", Tag: "accounts", Roles: accountsRW, County: true, Body: AccountUpdate{}, Resp: Account{}, Handler: s.updateAccount},
		{Method: http.MethodPost, Path: v1 + "/accounts/:id/password-reset", Summary: "Reset a password to a temporary one (must be changed at next login)", Tag: "accounts", Roles: accountsRW, County: true, Resp: TemporaryPassword{}, Handler: s.resetPassword},

		{Method: http.MethodGet, Path: v1 + "/project-categories", Summary: "The project category catalogue", Tag: "registry", Roles: countyRead, County: true, Resp: []Category{}, Handler: s.listCategories},
		{Method: http.MethodPost, Path: v1 + "/project-categories", Summary: "Add a project category", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: CategoryInput{}, Resp: Category{}, Handler: s.createCategory},
		{Method: http.MethodGet, Path: v1 + "/procedure-types", Summary: "The approval-procedure catalogue", Tag: "registry", Roles: countyRead, County: true, Resp: []ProcedureType{}, Handler: s.listProcedureTypes},
		{Method: http.MethodPost, Path: v1 + "/procedure-types", Summary: "Add a procedure type", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: ProcedureTypeInput{}, Resp: ProcedureType{}, Handler: s.createProcedureType},

		{Method: http.MethodGet, Path: v1 + "/projects", Summary: "List projects (field roles see their own)", Tag: "registry", Roles: countyRead, County: true, Query: projectQuery, Resp: List[Project]{}, Handler: s.listProjects},
		{Method: http.MethodPost, Path: v1 + "/projects", Summary: "Create a project", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: ProjectInput{}, Resp: Project{}, Handler: s.createProject},
		{Method: http.MethodGet, Path: v1 + "/projects/:id", Summary: "Get a project", Tag: "registry", Roles: countyRead, County: true, Resp: Project{}, Handler: s.getProject},
		{Method: http.MethodPut, Path: v1 + "/projects/:id", Summary: "Replace a project (version required)", Tag: "registry", Roles: orgWrite, County: true, Body: ProjectInput{}, Resp: Project{}, Handler: s.updateProject},
		{Method: http.MethodDelete, Path: v1 + "/projects/:id", Summary: "Delete a project that is on no key list", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusNoContent, Handler: s.deleteProject},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/history", Summary: "A project's audited changes, newest first", Tag: "registry", Roles: countyRead, County: true, Query: pageParams, Resp: List[AuditEntry]{}, Handler: s.projectHistory},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/task-force", Summary: "Who held each 1+3 role on a date (default today)", Tag: "registry", Roles: countyRead, County: true, Query: []Param{{"on", "日期 date", "date"}}, Resp: []Assignment{}, Handler: s.taskForce},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/task-force/history", Summary: "Every task-force assignment of a project", Tag: "registry", Roles: countyRead, County: true, Resp: []Assignment{}, Handler: s.taskForceHistory},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/task-force", Summary: "Put a person into a task-force role from a date", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: AssignmentInput{}, Resp: Assignment{}, Handler: s.assign},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/procedures", Summary: "A project's procedure ledger", Tag: "registry", Roles: countyRead, County: true, Resp: []Procedure{}, Handler: s.listProcedures},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/procedures", Summary: "Add a ledger item", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: ProcedureInput{}, Resp: Procedure{}, Handler: s.putProcedure},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/procedures/:procedureId", Summary: "Replace a ledger item (version required)", Tag: "registry", Roles: orgWrite, County: true, Body: ProcedureInput{}, Resp: Procedure{}, Handler: s.putProcedure},
		{Method: http.MethodGet, Path: v1 + "/procedures/overdue", Summary: "Unfinished ledger items planned before a date (default today)", Tag: "registry", Roles: countyRead, County: true, Query: []Param{{"on", "日期 date", "date"}}, Resp: []Procedure{}, Handler: s.overdueProcedures},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/plan/:year", Summary: "Node plan and a year's monthly targets", Tag: "registry", Roles: countyRead, County: true, Resp: Plan{}, Handler: s.getPlan},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/plan/:year", Summary: "Replace the node plan and a year's monthly targets (must add up to the year's plan)", Tag: "registry", Roles: orgWrite, County: true, Body: Plan{}, Resp: Plan{}, Handler: s.putPlan},

		{Method: http.MethodGet, Path: v1 + "/key-lists", Summary: "The county's yearly key lists", Tag: "registry", Roles: countyRead, County: true, Resp: []KeyList{}, Handler: s.listKeyLists},
		{Method: http.MethodPost, Path: v1 + "/key-lists", Summary: "Open a year's key list", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: KeyListInput{}, Resp: KeyList{}, Handler: s.createKeyList},
		{Method: http.MethodGet, Path: v1 + "/key-lists/:year", Summary: "A year's entries, removed ones with their dates", Tag: "registry", Roles: countyRead, County: true, Resp: []ListEntry{}, Handler: s.keyListEntries},
		{Method: http.MethodPut, Path: v1 + "/key-lists/:year/projects/:projectId", Summary: "Add a project to a year's list, or change its planned investment", Tag: "registry", Roles: orgWrite, County: true, Body: EntryInput{}, Resp: ListEntry{}, Handler: s.putEntry},
		{Method: http.MethodPost, Path: v1 + "/key-lists/:year/projects/:projectId/removal", Summary: "Take a project off a year's list on a date, with a reason", Tag: "registry", Roles: orgWrite, County: true, Body: RemovalInput{}, Resp: ListEntry{}, Handler: s.removeEntry},
		{Method: http.MethodPost, Path: v1 + "/key-lists/:year/carry-over", Summary: "Carry last year's unfinished projects into this year's list", Tag: "registry", Roles: orgWrite, County: true, Body: CarryOverInput{}, Resp: CarryOverResult{}, Handler: s.carryOver},

		{Method: http.MethodGet, Path: v1 + "/candidates", Summary: "The pipeline of candidate projects", Tag: "registry", Roles: countyRead, County: true, Resp: []Candidate{}, Handler: s.listCandidates},
		{Method: http.MethodPost, Path: v1 + "/candidates", Summary: "Add a candidate project", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: CandidateInput{}, Resp: Candidate{}, Handler: s.putCandidate},
		{Method: http.MethodPut, Path: v1 + "/candidates/:id", Summary: "Replace a candidate (version required)", Tag: "registry", Roles: orgWrite, County: true, Body: CandidateInput{}, Resp: Candidate{}, Handler: s.putCandidate},
		{Method: http.MethodPost, Path: v1 + "/candidates/:id/promote", Summary: "Make a candidate a project on a year's key list", Tag: "registry", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: PromoteInput{}, Resp: Project{}, Handler: s.promote},

		{Method: http.MethodPost, Path: v1 + "/imports/key-list", Summary: "Import a year's key list, task forces and ledger from .xlsx (every bad cell reported, nothing imported then; dry_run=true rehearses)", Tag: "registry", Roles: orgWrite, County: true, Upload: xlsxType, Query: []Param{{"year", "年度", "integer"}, {"dry_run", "true: 只预检，不保存", "string"}, {"on", "任务分工生效日期", "date"}, {"progress", "进度编号（uuid），用于查询导入进度", "uuid"}}, Resp: postgres.ImportReport{}, Handler: s.importKeyList},
		{Method: http.MethodGet, Path: v1 + "/imports/progress/:id", Summary: "Where the caller's running import stands (the id it passed as ?progress=)", Tag: "registry", Roles: orgWrite, County: true, Resp: ImportProgress{}, Handler: s.importProgress},
		{Method: http.MethodGet, Path: v1 + "/exports/key-list", Summary: "A year's key list, task forces and ledger as .xlsx (the import layout)", Tag: "registry", Roles: deskRead, County: true, Download: xlsxType, Query: []Param{{"year", "年度", "integer"}}, Handler: s.exportKeyList},
		{Method: http.MethodGet, Path: v1 + "/exports/key-list-template", Summary: "An empty key list workbook with a filling guide", Tag: "registry", Roles: countyRead, County: true, Download: xlsxType, Handler: s.keyListTemplate},

		{Method: http.MethodGet, Path: v1 + "/letters", Summary: "A year's responsibility and service commitment letters (unit users: their unit's)", Tag: "letters", Roles: letterRead, County: true, Query: []Param{{"year", "年度", "integer"}, {"kind", "responsibility | service", "string"}}, Resp: []Letter{}, Handler: s.listLetters},
		{Method: http.MethodPost, Path: v1 + "/letters", Summary: "Create a letter with its commitments", Tag: "letters", Roles: orgWrite, County: true, Status: http.StatusCreated, Body: LetterInput{}, Resp: Letter{}, Handler: s.putLetter},
		{Method: http.MethodGet, Path: v1 + "/letters/:id", Summary: "Get a letter with its commitments", Tag: "letters", Roles: letterRead, County: true, Resp: Letter{}, Handler: s.getLetter},
		{Method: http.MethodPut, Path: v1 + "/letters/:id", Summary: "Replace a letter and its commitments (version required)", Tag: "letters", Roles: orgWrite, County: true, Body: LetterInput{}, Resp: Letter{}, Handler: s.putLetter},
		{Method: http.MethodGet, Path: v1 + "/letters/:id/scans", Summary: "Every stored version of the signed scan", Tag: "letters", Roles: letterRead, County: true, Resp: []ScanInfo{}, Handler: s.listScans},
		{Method: http.MethodPost, Path: v1 + "/letters/:id/scans", Summary: "Store a new version of the signed scan (PDF, JPEG, PNG; locked, hashed)", Tag: "letters", Roles: orgWrite, County: true, Status: http.StatusCreated, Upload: scanTypes, Resp: ScanInfo{}, Handler: s.uploadScan},
		{Method: http.MethodGet, Path: v1 + "/letters/:id/scans/:scanId", Summary: "Download a scan version after checking its hash", Tag: "letters", Roles: letterRead, County: true, Download: scanTypes, Handler: s.downloadScan},

		{Method: http.MethodGet, Path: v1 + "/projects/:id/reports", Summary: "A project's weekly reports, newest week first", Tag: "reports", Roles: countyRead, County: true, Resp: []WeeklyReport{}, Handler: s.listReports},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/reports/:week", Summary: "A project's report of a week (given by its Monday)", Tag: "reports", Roles: countyRead, County: true, Resp: WeeklyReport{}, Handler: s.getReport},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/reports/:week", Summary: "Save the week's draft (the project's helper)", Tag: "reports", Roles: fieldWrite, County: true, Body: ReportInput{}, Resp: WeeklyReport{}, Handler: s.seatStep(project.RoleHelper, s.draftReport)},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/submit", Summary: "Submit the draft; the rules decide substantive progress; late after the deadline (the helper)", Tag: "reports", Roles: fieldWrite, County: true, Resp: WeeklyReport{}, Handler: s.seatStep(project.RoleHelper, s.submitReport)},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/confirm", Summary: "Confirm the submitted report (the responsible person)", Tag: "reports", Roles: fieldWrite, County: true, Resp: WeeklyReport{}, Handler: s.seatStep(project.RoleResponsible, s.confirmReport)},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/verify", Summary: "Verify a confirmed report (office); keeps a revision", Tag: "reports", Roles: officeOnly, County: true, Resp: WeeklyReport{}, Handler: s.reviewReport("verify")},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/return", Summary: "Return a report with a comment (office)", Tag: "reports", Roles: officeOnly, County: true, Body: ReviewInput{}, Resp: WeeklyReport{}, Handler: s.reviewReport("return")},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/reports/:week/override", Summary: "Decide substantive progress with a reason (office, audited)", Tag: "reports", Roles: officeOnly, County: true, Body: OverrideInput{}, Resp: WeeklyReport{}, Handler: s.overrideReport},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/reports/:week/revisions", Summary: "The verified revisions of a report", Tag: "reports", Roles: countyRead, County: true, Resp: []ReportRevision{}, Handler: s.reportRevisions},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/visits", Summary: "Check in at the site with the phone's location (a task-force member of the project)", Tag: "reports", Roles: fieldWrite, County: true, Status: http.StatusCreated, Body: VisitInput{}, Resp: Visit{}, Handler: s.recordVisit},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/visits", Summary: "A project's site visits of a week (default this week)", Tag: "reports", Roles: countyRead, County: true, Query: []Param{{"week", "周（星期一）", "date"}}, Resp: []Visit{}, Handler: s.listVisits},
		{Method: http.MethodGet, Path: v1 + "/visits/compliance", Summary: "Each seat of each listed project: verified visits against the minimum (M2.2)", Tag: "reports", Roles: countyRead, County: true, Query: []Param{{"week", "周（星期一）", "date"}}, Resp: []ComplianceRow{}, Handler: s.visitCompliance},
		{Method: http.MethodGet, Path: v1 + "/problems", Summary: "Problems (field roles: their projects'), most urgent first", Tag: "reports", Roles: countyRead, County: true, Query: []Param{{"project_id", "项目", "uuid"}, {"status", "open | in_progress | resolved | closed", "string"}, {"overdue", "true: 只看逾期", "string"}}, Resp: []Problem{}, Handler: s.listProblems},
		{Method: http.MethodGet, Path: v1 + "/problems/:id", Summary: "Get a problem", Tag: "reports", Roles: countyRead, County: true, Resp: Problem{}, Handler: s.getProblem},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/problems", Summary: "Raise a problem of a project", Tag: "reports", Roles: problemRaise, County: true, Status: http.StatusCreated, Body: ProblemInput{}, Resp: Problem{}, Handler: s.raiseProblem},
		{Method: http.MethodPut, Path: v1 + "/problems/:id", Summary: "Take a problem to a level, assign it with a deadline, resolve it (office)", Tag: "reports", Roles: officeOnly, County: true, Body: ProblemUpdate{}, Resp: Problem{}, Handler: s.handleProblem},
		{Method: http.MethodGet, Path: v1 + "/reports", Summary: "Reports of a status across projects (default confirmed: the office's review queue)", Tag: "reports", Roles: deskRead, County: true, Query: []Param{{"status", "draft | submitted | confirmed | verified | returned", "string"}}, Resp: []QueuedReport{}, Handler: s.reportQueue},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/photos", Summary: "Add a site photo to a week (JPEG/PNG by content; pixel limit before decoding; EXIF kept restricted)", Tag: "reports", Roles: problemRaise, County: true, Status: http.StatusCreated, Upload: "image/jpeg,image/png", Query: []Param{{"week", "周（星期一），默认本周", "date"}}, Resp: Photo{}, Handler: s.uploadPhoto},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/photos", Summary: "A project's photos of a week, with short-lived URLs", Tag: "reports", Roles: countyRead, County: true, Query: []Param{{"week", "周（星期一）", "date"}}, Resp: []Photo{}, Handler: s.listPhotos},
		{Method: http.MethodGet, Path: v1 + "/photos/duplicates", Summary: "Photos whose bytes were uploaded before (office)", Tag: "reports", Roles: officeOnly, County: true, Resp: []Photo{}, Handler: s.duplicatePhotos},
		{Method: http.MethodGet, Path: v1 + "/photos/:id/:variant", Summary: "A photo by its signed, short-lived URL (display, thumb; original for the office)", Tag: "reports", Roles: countyRead, County: true, Query: []Param{{"exp", "过期时间", "integer"}, {"sig", "签名", "string"}}, Download: "image/jpeg,image/png", Handler: s.servePhoto},
		{Method: http.MethodGet, Path: v1 + "/projects/:id/monthly/:year", Summary: "A year's monthly figures against the monthly targets (M4.4)", Tag: "reports", Roles: countyRead, County: true, Resp: MonthlyView{}, Handler: s.monthlyView},
		{Method: http.MethodPut, Path: v1 + "/projects/:id/monthly/:year/:month", Summary: "Report or correct a month's figures (the project's helper or responsible person, or the office); a correction clears verification", Tag: "reports", Roles: monthlyWrite, County: true, Body: MonthlyInput{}, Resp: MonthlyView{}, Handler: s.putMonthly},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/monthly/:year/:month/verify", Summary: "Mark a month's figures verified (the Statistics Bureau)", Tag: "reports", Roles: []authz.Role{authz.Statistics}, County: true, Resp: MonthlyView{}, Handler: s.verifyMonthly},
		{Method: http.MethodGet, Path: v1 + "/reports/grid", Summary: "Projects × weeks: on time, late, missing, substantive progress", Tag: "reports", Roles: deskRead, County: true, Query: []Param{{"from", "起始周（星期一）", "date"}, {"weeks", "周数 1-26", "integer"}}, Resp: ReportGrid{}, Handler: s.reportGrid},

		{Method: http.MethodGet, Path: v1 + "/escalations", Summary: "The TV-questioning register (M1.3), newest week first", Tag: "supervision", Roles: registerRead, County: true, Query: []Param{{"status", "pending | scheduled | done | waived", "string"}, {"level", "1 | 2", "integer"}, {"project_id", "项目", "uuid"}}, Resp: []Escalation{}, Handler: s.listEscalations},
		{Method: http.MethodGet, Path: v1 + "/escalations/:id", Summary: "An escalation with the evidence of its streak (reports, photos, visits)", Tag: "supervision", Roles: registerRead, County: true, Resp: EscalationDetail{}, Handler: s.getEscalation},
		{Method: http.MethodPut, Path: v1 + "/escalations/:id", Summary: "Schedule, record or waive (with a reason) a TV questioning", Tag: "supervision", Roles: officeOnly, County: true, Body: EscalationUpdate{}, Resp: Escalation{}, Handler: s.updateEscalation},
		{Method: http.MethodPost, Path: v1 + "/supervision/week-close", Summary: "Close a week now (normally the worker does at the county's close time); idempotent", Tag: "supervision", Roles: officeOnly, County: true, Body: WeekCloseInput{}, Resp: WeekCloseResult{}, Handler: s.closeWeek},
		{Method: http.MethodGet, Path: v1 + "/supervision/dashboard", Summary: "Stalled projects, the trend of weeks without progress, seat compliance", Tag: "supervision", Roles: deskRead, County: true, Query: []Param{{"weeks", "最近周数 1-52，默认12", "integer"}}, Resp: Dashboard{}, Handler: s.dashboard},
		{Method: http.MethodGet, Path: v1 + "/inspections/plan", Summary: "The joint inspection grouping plan of a year (M3.5)", Tag: "supervision", Roles: deskRead, County: true, Query: []Param{{"year", "年度", "integer"}}, Resp: []PlanEntry{}, Handler: s.inspectionPlan},
		{Method: http.MethodPut, Path: v1 + "/inspections/plan/:year/:projectId", Summary: "Put a project into an inspection group (百城提质 projects: group 6)", Tag: "supervision", Roles: officeOnly, County: true, Status: http.StatusNoContent, Body: PlanAssign{}, Handler: s.assignInspection},
		{Method: http.MethodPost, Path: v1 + "/inspections/plan/:year/auto", Summary: "Assign every unassigned project (百城提质 to group 6, the rest by unit to groups 1-5)", Tag: "supervision", Roles: officeOnly, County: true, Resp: AutoPlanResult{}, Handler: s.autoPlan},
		{Method: http.MethodGet, Path: v1 + "/inspections", Summary: "Each group's list for a week with its records; a null record is a missing inspection", Tag: "supervision", Roles: deskRead, County: true, Query: []Param{{"week", "周（星期一）", "date"}, {"group_id", "督导组", "uuid"}}, Resp: []InspectionRow{}, Handler: s.weekInspections},
		{Method: http.MethodPost, Path: v1 + "/projects/:id/inspections", Summary: "Record a joint inspection: nodes as found, verified investment, findings (each becomes a problem with a deadline)", Tag: "supervision", Roles: inspectW, County: true, Status: http.StatusCreated, Body: InspectionInput{}, Resp: InspectionRecord{}, Handler: s.recordInspection},
		{Method: http.MethodGet, Path: v1 + "/bulletins", Summary: "Issued bulletin versions", Tag: "supervision", Roles: countyUsers, County: true, Query: []Param{{"kind", "weekly | group6", "string"}}, Resp: []BulletinVersion{}, Handler: s.listBulletins},
		{Method: http.MethodGet, Path: v1 + "/bulletins/preview", Summary: "A week's bulletin computed from the current data (not issued)", Tag: "supervision", Roles: deskRead, County: true, Query: []Param{{"kind", "weekly | group6", "string"}, {"week", "周（星期一）", "date"}}, Resp: map[string]any{}, Handler: s.previewBulletin},
		{Method: http.MethodGet, Path: v1 + "/bulletins/preview/page", Summary: "The draft bulletin as a printable page", Tag: "supervision", Roles: deskRead, County: true, Query: []Param{{"kind", "weekly | group6", "string"}, {"week", "周（星期一）", "date"}}, Download: "text/html", Handler: s.previewBulletinPage},
		{Method: http.MethodPost, Path: v1 + "/bulletins", Summary: "Issue (freeze) a week's bulletin; a further version is a correction with a reason", Tag: "supervision", Roles: officeOnly, County: true, Status: http.StatusCreated, Body: BulletinIssue{}, Resp: BulletinVersion{}, Handler: s.issueBulletin},
		{Method: http.MethodGet, Path: v1 + "/bulletins/:id/:format", Summary: "An issued bulletin rendered from its frozen inputs: html, xlsx or pdf", Tag: "supervision", Roles: countyUsers, County: true, Download: "text/html,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/pdf", Handler: s.bulletinFile},
		{Method: http.MethodGet, Path: v1 + "/notifications", Summary: "The caller's inbox", Tag: "notifications", Roles: countyUsers, County: true, Resp: Inbox{}, Handler: s.inbox},
		{Method: http.MethodPost, Path: v1 + "/notifications/read", Summary: "Mark a message (or all) read", Tag: "notifications", Roles: countyUsers, County: true, Status: http.StatusNoContent, Body: ReadInput{}, Handler: s.markRead},
		{Method: http.MethodGet, Path: v1 + "/notifications/channels", Summary: "The caller's outside channels", Tag: "notifications", Roles: countyUsers, County: true, Resp: []Channel{}, Handler: s.listChannels},
		{Method: http.MethodPut, Path: v1 + "/notifications/channels/:channel", Summary: "Set a WeCom or DingTalk robot webhook or an e-mail address", Tag: "notifications", Roles: countyUsers, County: true, Body: ChannelInput{}, Resp: Channel{}, Handler: s.putChannel},
		{Method: http.MethodDelete, Path: v1 + "/notifications/channels/:channel", Summary: "Remove a channel", Tag: "notifications", Roles: countyUsers, County: true, Status: http.StatusNoContent, Handler: s.deleteChannel},
		{Method: http.MethodGet, Path: v1 + "/jobs/dead", Summary: "Jobs and deliveries that failed their last retry", Tag: "supervision", Roles: officeOnly, County: true, Resp: []DeadLetter{}, Handler: s.listDeadLetters},
		{Method: http.MethodPost, Path: v1 + "/jobs/dead/:id/retry", Summary: "Run a dead job or delivery again", Tag: "supervision", Roles: officeOnly, County: true, Resp: DeadLetter{}, Handler: s.retryDeadLetter},

		{Method: http.MethodGet, Path: v1 + "/audit", Summary: "The county's audit trail, newest first", Tag: "audit", Roles: auditRead, County: true, Query: append([]Param{{"entity_type", "对象类型", "string"}, {"entity_id", "对象编号", "string"}}, pageParams...), Resp: List[AuditEntry]{}, Handler: s.listAudit},
	}
}

func (s *Server) getOpenAPI(r *Req) (any, error) {
	return rawJSON(s.spec), nil
}

// RoutePermissions lists the casbin permissions of every route, for
// `tuijin migrate` to store.
func RoutePermissions(cfg config.Config) ([]authz.Permission, error) {
	s, err := New(Deps{Config: cfg, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return s.Permissions(), nil
}
