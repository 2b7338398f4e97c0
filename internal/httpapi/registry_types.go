package httpapi

import (
	"time"

	"github.com/google/uuid"

	"github.com/tuijin/tuijin/internal/postgres"
	"github.com/tuijin/tuijin/internal/project"
)

// Category is an entry of the project category catalogue.
type Category struct {
	ID        uuid.UUID `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	SortOrder int       `json:"sort_order"`
}

// CategoryInput adds a category.
type CategoryInput struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	SortOrder int    `json:"sort_order,omitempty"`
}

// ProcedureType is an entry of the approval-procedure catalogue.
type ProcedureType struct {
	ID                   uuid.UUID  `json:"id"`
	Code                 string     `json:"code"`
	Name                 string     `json:"name"`
	DefaultServiceUnitID *uuid.UUID `json:"default_service_unit_id"`
	SortOrder            int        `json:"sort_order"`
}

// ProcedureTypeInput adds a procedure type.
type ProcedureTypeInput struct {
	Code                 string     `json:"code"`
	Name                 string     `json:"name"`
	DefaultServiceUnitID *uuid.UUID `json:"default_service_unit_id,omitempty"`
	SortOrder            int        `json:"sort_order,omitempty"`
}

// Project is the API view of a project. Money is whole yuan.
type Project struct {
	ID                  uuid.UUID  `json:"id"`
	Code                string     `json:"code"`
	Name                string     `json:"name"`
	CategoryID          uuid.UUID  `json:"category_id"`
	Level               string     `json:"level" enum:"provincial,municipal,county"`
	ConstructionType    string     `json:"construction_type" enum:"new,continuing,completing"`
	Status              string     `json:"status" enum:"preparing,under_construction,completed,suspended"`
	ResponsibleUnitID   uuid.UUID  `json:"responsible_unit_id"`
	TownshipUnitID      *uuid.UUID `json:"township_unit_id"`
	Latitude            *float64   `json:"latitude"`
	Longitude           *float64   `json:"longitude"`
	Content             string     `json:"content"`
	TotalInvestmentYuan int64      `json:"total_investment_yuan"`
	InvestedToDateYuan  int64      `json:"invested_to_date_yuan"`
	PlannedStart        *string    `json:"planned_start" format:"date"`
	PlannedCompletion   *string    `json:"planned_completion" format:"date"`
	Tags                []string   `json:"tags"`
	Version             int        `json:"version"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// ProjectInput creates or replaces a project (version required to replace).
type ProjectInput struct {
	Code                string     `json:"code"`
	Name                string     `json:"name"`
	CategoryID          uuid.UUID  `json:"category_id"`
	Level               string     `json:"level" enum:"provincial,municipal,county"`
	ConstructionType    string     `json:"construction_type" enum:"new,continuing,completing"`
	Status              string     `json:"status,omitempty" enum:"preparing,under_construction,completed,suspended"`
	ResponsibleUnitID   uuid.UUID  `json:"responsible_unit_id"`
	TownshipUnitID      *uuid.UUID `json:"township_unit_id,omitempty"`
	Latitude            *float64   `json:"latitude,omitempty"`
	Longitude           *float64   `json:"longitude,omitempty"`
	Content             string     `json:"content,omitempty"`
	TotalInvestmentYuan int64      `json:"total_investment_yuan"`
	InvestedToDateYuan  int64      `json:"invested_to_date_yuan,omitempty"`
	PlannedStart        *string    `json:"planned_start,omitempty" format:"date"`
	PlannedCompletion   *string    `json:"planned_completion,omitempty" format:"date"`
	Tags                []string   `json:"tags,omitempty"`
	Version             int        `json:"version,omitempty"`
}

func toProjectAPI(p project.Project) Project {
	return Project{ID: p.ID, Code: p.Code, Name: p.Name, CategoryID: p.CategoryID, Level: string(p.Level),
		ConstructionType: string(p.ConstructionType), Status: string(p.Status), ResponsibleUnitID: p.ResponsibleUnitID,
		TownshipUnitID: p.TownshipUnitID, Latitude: p.Latitude, Longitude: p.Longitude, Content: p.Content,
		TotalInvestmentYuan: p.TotalInvestmentYuan, InvestedToDateYuan: p.InvestedToDateYuan,
		PlannedStart: DateString(p.PlannedStart), PlannedCompletion: DateString(p.PlannedCompletion), Tags: p.Tags,
		Version: p.Version, UpdatedAt: p.UpdatedAt}
}

func (in ProjectInput) toDomain(id uuid.UUID) (project.Project, error) {
	var d Dates
	p := project.Project{ID: id, Code: in.Code, Name: in.Name, CategoryID: in.CategoryID, Level: project.Level(in.Level),
		ConstructionType: project.ConstructionType(in.ConstructionType), Status: project.Status(in.Status),
		ResponsibleUnitID: in.ResponsibleUnitID, TownshipUnitID: in.TownshipUnitID, Latitude: in.Latitude, Longitude: in.Longitude,
		Content: in.Content, TotalInvestmentYuan: in.TotalInvestmentYuan, InvestedToDateYuan: in.InvestedToDateYuan,
		PlannedStart: d.Opt("planned_start", in.PlannedStart), PlannedCompletion: d.Opt("planned_completion", in.PlannedCompletion),
		Tags: append([]string{}, in.Tags...), Version: in.Version}
	return p, d.Err()
}

// KeyList is a year's key project list.
type KeyList struct {
	Year  int    `json:"year"`
	Title string `json:"title"`
}

// KeyListInput opens a year's list.
type KeyListInput struct {
	Year  int    `json:"year"`
	Title string `json:"title,omitempty"`
}

// ListEntry is a project on (or removed from) a year's list.
type ListEntry struct {
	ProjectID             uuid.UUID `json:"project_id"`
	ProjectCode           string    `json:"project_code"`
	ProjectName           string    `json:"project_name"`
	PlannedInvestmentYuan int64     `json:"planned_investment_yuan"`
	AddedOn               string    `json:"added_on" format:"date"`
	AddedReason           string    `json:"added_reason"`
	RemovedOn             *string   `json:"removed_on" format:"date"`
	RemovedReason         string    `json:"removed_reason"`
	BaselineImagePercent  *int      `json:"baseline_image_percent"`
}

func toEntryAPI(e postgres.ListEntry) ListEntry {
	return ListEntry{ProjectID: e.ProjectID, ProjectCode: e.ProjectCode, ProjectName: e.ProjectName,
		PlannedInvestmentYuan: e.PlannedInvestmentYuan, AddedOn: e.AddedOn.Format(time.DateOnly), AddedReason: e.AddedReason,
		RemovedOn: DateString(e.RemovedOn), RemovedReason: e.RemovedReason, BaselineImagePercent: e.BaselineImagePercent}
}

// EntryInput adds a project to a year's list or changes its planned investment.
type EntryInput struct {
	PlannedInvestmentYuan int64  `json:"planned_investment_yuan"`
	BaselineImagePercent  *int   `json:"baseline_image_percent,omitempty" description:"形象进度（%） when listed; a first report is measured against it"`
	On                    string `json:"on" format:"date"`
	Reason                string `json:"reason,omitempty"`
}

// RemovalInput takes a project off a year's list.
type RemovalInput struct {
	On     string `json:"on" format:"date"`
	Reason string `json:"reason"`
}

// CarryOverInput carries last year's unfinished projects into this year's list.
type CarryOverInput struct {
	On string `json:"on" format:"date"`
}

// CarryOverResult says how many projects were carried over.
type CarryOverResult struct {
	Projects int `json:"projects"`
}

// Assignment is a person holding a task-force role for a period (to exclusive).
type Assignment struct {
	Role       string    `json:"role" enum:"chief,assistant,responsible,helper"`
	PersonID   uuid.UUID `json:"person_id"`
	PersonName string    `json:"person_name"`
	ValidFrom  string    `json:"valid_from" format:"date"`
	ValidTo    *string   `json:"valid_to" format:"date"`
	Note       string    `json:"note"`
}

func toAssignmentAPI(a project.Assignment) Assignment {
	return Assignment{Role: string(a.Role), PersonID: a.PersonID, PersonName: a.PersonName,
		ValidFrom: a.ValidFrom.Format(time.DateOnly), ValidTo: DateString(a.ValidTo), Note: a.Note}
}

// AssignmentInput puts a person into a role from a date.
type AssignmentInput struct {
	Role      string    `json:"role" enum:"chief,assistant,responsible,helper"`
	PersonID  uuid.UUID `json:"person_id"`
	ValidFrom string    `json:"valid_from" format:"date"`
	Note      string    `json:"note,omitempty"`
}

// Procedure is an approval item of the ledger.
type Procedure struct {
	ID                     uuid.UUID `json:"id"`
	ProjectID              uuid.UUID `json:"project_id"`
	ProjectName            string    `json:"project_name"`
	TypeID                 uuid.UUID `json:"type_id"`
	TypeName               string    `json:"type_name"`
	ServiceUnitID          uuid.UUID `json:"service_unit_id"`
	Roadmap                string    `json:"roadmap"`
	PlannedDate            *string   `json:"planned_date" format:"date"`
	ActualDate             *string   `json:"actual_date" format:"date"`
	Status                 string    `json:"status" enum:"pending,in_progress,done,not_needed"`
	Overdue                bool      `json:"overdue"`
	AcceptWithDeficiencies bool      `json:"accept_with_deficiencies"`
	MergedAssessment       bool      `json:"merged_assessment"`
	RegionalAssessment     bool      `json:"regional_assessment"`
	JointAcceptance        bool      `json:"joint_acceptance"`
	AgencyService          bool      `json:"agency_service"`
	Version                int       `json:"version"`
}

func toProcedureAPI(p postgres.Procedure, today time.Time) Procedure {
	return Procedure{ID: p.ID, ProjectID: p.ProjectID, ProjectName: p.ProjectName, TypeID: p.TypeID, TypeName: p.TypeName,
		ServiceUnitID: p.ServiceUnitID, Roadmap: p.Roadmap, PlannedDate: DateString(p.PlannedDate), ActualDate: DateString(p.ActualDate),
		Status: p.Status, Overdue: project.Overdue(p.Status, p.PlannedDate, today),
		AcceptWithDeficiencies: p.AcceptWithDeficiencies, MergedAssessment: p.MergedAssessment, RegionalAssessment: p.RegionalAssessment,
		JointAcceptance: p.JointAcceptance, AgencyService: p.AgencyService, Version: p.Version}
}

// ProcedureInput creates or replaces a ledger item.
type ProcedureInput struct {
	TypeID                 uuid.UUID `json:"type_id"`
	ServiceUnitID          uuid.UUID `json:"service_unit_id"`
	Roadmap                string    `json:"roadmap,omitempty"`
	PlannedDate            *string   `json:"planned_date,omitempty" format:"date"`
	ActualDate             *string   `json:"actual_date,omitempty" format:"date"`
	Status                 string    `json:"status" enum:"pending,in_progress,done,not_needed"`
	AcceptWithDeficiencies bool      `json:"accept_with_deficiencies,omitempty"`
	MergedAssessment       bool      `json:"merged_assessment,omitempty"`
	RegionalAssessment     bool      `json:"regional_assessment,omitempty"`
	JointAcceptance        bool      `json:"joint_acceptance,omitempty"`
	AgencyService          bool      `json:"agency_service,omitempty"`
	Version                int       `json:"version,omitempty"`
}

// NodeDates are a node's planned and actual dates.
type NodeDates struct {
	Node    string  `json:"node" enum:"site_ready,main_start,construction,acceptance,in_use"`
	Planned *string `json:"planned,omitempty" format:"date"`
	Actual  *string `json:"actual,omitempty" format:"date"`
}

// MonthTarget is a month's targets; CumulativeYuan is derived.
type MonthTarget struct {
	Month          int    `json:"month"`
	ImageTarget    string `json:"image_target"`
	InvestmentYuan int64  `json:"investment_yuan"`
	CumulativeYuan int64  `json:"cumulative_yuan,omitempty"`
}

// Plan is a project's node plan and a year's monthly targets.
type Plan struct {
	Year                  int           `json:"year"`
	PlannedInvestmentYuan *int64        `json:"planned_investment_yuan,omitempty"`
	Nodes                 []NodeDates   `json:"nodes"`
	Months                []MonthTarget `json:"months"`
}

// Candidate is a project in the pipeline.
type Candidate struct {
	ID                      uuid.UUID  `json:"id"`
	Name                    string     `json:"name"`
	Stage                   string     `json:"stage" enum:"idea,proposal,preparation,promoted"`
	OwnerUnitID             uuid.UUID  `json:"owner_unit_id"`
	OwnerPersonID           *uuid.UUID `json:"owner_person_id"`
	EstimatedInvestmentYuan int64      `json:"estimated_investment_yuan"`
	Note                    string     `json:"note"`
	PromotedProjectID       *uuid.UUID `json:"promoted_project_id"`
	Version                 int        `json:"version"`
}

func toCandidateAPI(c postgres.Candidate) Candidate {
	return Candidate{ID: c.ID, Name: c.Name, Stage: c.Stage, OwnerUnitID: c.OwnerUnitID, OwnerPersonID: c.OwnerPersonID,
		EstimatedInvestmentYuan: c.EstimatedInvestmentYuan, Note: c.Note, PromotedProjectID: c.PromotedProjectID, Version: c.Version}
}

// CandidateInput creates or replaces a candidate.
type CandidateInput struct {
	Name                    string     `json:"name"`
	Stage                   string     `json:"stage" enum:"idea,proposal,preparation"`
	OwnerUnitID             uuid.UUID  `json:"owner_unit_id"`
	OwnerPersonID           *uuid.UUID `json:"owner_person_id,omitempty"`
	EstimatedInvestmentYuan int64      `json:"estimated_investment_yuan,omitempty"`
	Note                    string     `json:"note,omitempty"`
	Version                 int        `json:"version,omitempty"`
}

// PromoteInput makes a candidate a project on a year's key list.
type PromoteInput struct {
	Project               ProjectInput `json:"project"`
	Year                  int          `json:"year"`
	PlannedInvestmentYuan int64        `json:"planned_investment_yuan"`
	On                    string       `json:"on" format:"date"`
}
