//! The permissions routes require, as types for `Auth<P>`: declared by the domain crate that
//! owns each resource, re-exported here for the handlers.

pub use crm_domain::clients::requirements::{ClientsDelete, ClientsRead, ClientsWrite};
pub use crm_domain::files::{FilesDelete, FilesRead, FilesWrite};
pub use crm_domain::identity::requirements::{
    ActivitiesRead, DepartmentsDelete, DepartmentsRead, DepartmentsWrite, DesignationsDelete,
    DesignationsRead, DesignationsWrite, OrganizationRead, OrganizationWrite, PermissionsRead,
    RolesDelete, RolesRead, RolesWrite, UsersDelete, UsersRead, UsersWrite,
};
pub use crm_domain::webhooks::{WebhooksDelete, WebhooksRead, WebhooksWrite};
pub use crm_finance::requirements::{ContractsDelete, ContractsRead, ContractsWrite};
pub use crm_finance::requirements::{
    CreditNotesRead, CreditNotesWrite, InvoicesDelete, InvoicesRead, InvoicesWrite, PaymentsDelete,
    PaymentsRead, PaymentsWrite, RecurringInvoicesDelete, RecurringInvoicesRead,
    RecurringInvoicesWrite, ReportsRead,
};
pub use crm_finance::requirements::{ExpensesApprove, ExpensesDelete, ExpensesRead, ExpensesWrite};
pub use crm_finance::requirements::{ProposalsDelete, ProposalsRead, ProposalsWrite};
pub use crm_hr::requirements::{
    ApplicationsDelete, ApplicationsRead, ApplicationsWrite, AttendanceDelete, AttendanceRead,
    AttendanceWrite, CandidatesDelete, CandidatesRead, CandidatesWrite, CertificationsRead,
    EmployeesDelete, EmployeesRead, EmployeesWrite, HolidaysDelete, HolidaysRead, HolidaysWrite,
    InterviewsDelete, InterviewsRead, InterviewsWrite, JobPostingsDelete, JobPostingsRead,
    JobPostingsWrite, LeaveAdjustmentsWrite, LeaveBalancesRead, LeaveRequestsApprove,
    LeaveRequestsDelete, LeaveRequestsRead, LeaveRequestsWrite, LeaveTypesDelete, LeaveTypesRead,
    LeaveTypesWrite, OffersDelete, OffersRead, OffersWrite, TrainingEnrollmentsRead,
    TrainingEnrollmentsWrite, TrainingProgramsDelete, TrainingProgramsRead, TrainingProgramsWrite,
    TrainingSessionsDelete, TrainingSessionsRead, TrainingSessionsWrite, WorkSchedulesDelete,
    WorkSchedulesRead, WorkSchedulesWrite,
};
pub use crm_messages::requirements::{MessagesDelete, MessagesRead, MessagesWrite};
pub use crm_projects::requirements::{
    MilestonesDelete, MilestonesRead, MilestonesWrite, ProjectsDelete, ProjectsRead, ProjectsWrite,
    TasksDelete, TasksRead, TasksWrite, TimeEntriesDelete, TimeEntriesRead, TimeEntriesWrite,
};
pub use crm_sales::requirements::{
    DealsDelete, DealsRead, DealsWrite, LeadsDelete, LeadsRead, LeadsWrite, PipelinesDelete,
    PipelinesRead, PipelinesWrite, QuotationsDelete, QuotationsRead, QuotationsWrite,
};
