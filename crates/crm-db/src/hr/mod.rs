//! sea-orm adapters of the HR ports: employees, work schedules, holidays (the people core),
//! then each area's stores.

mod attendance;
mod employees;
mod holidays;
mod leave;
mod leave_calendar;
pub mod recruitment;
mod training;
mod work_schedules;

/// `Records<Employee>` and `EmployeeStore`.
pub type SqlEmployeeRepository = crate::SqlRecords<employees::Entity>;
/// `Records<WorkSchedule>` and `ScheduleStore`.
pub type SqlWorkScheduleRepository = crate::SqlRecords<work_schedules::Entity>;
/// `Records<Holiday>` and `HolidayStore`.
pub type SqlHolidayRepository = crate::SqlRecords<holidays::Entity>;
pub(crate) use employees::{
    Column as EmployeeColumn, manager_user_of_user, referring as employees_of,
};
// training
/// `Records<TrainingProgram>`.
pub type SqlTrainingProgramRepository = crate::SqlRecords<training::Programs>;
/// `Records<TrainingSession>`.
pub type SqlTrainingSessionRepository = crate::SqlRecords<training::Sessions>;
/// `Records<TrainingEnrollment>` and `TrainingStore`.
pub type SqlTrainingEnrollmentRepository = crate::SqlRecords<training::Enrollments>;
// leave
/// `Records<LeaveType>`.
pub type SqlLeaveTypeRepository = crate::SqlRecords<leave::Types>;
/// `Records<LeaveRequest>`.
pub type SqlLeaveRequestRepository = crate::SqlRecords<leave::Requests>;
/// `Records<LeaveAdjustment>`.
pub type SqlLeaveAdjustmentRepository = crate::SqlRecords<leave::Adjustments>;
pub use leave::SqlLeaveStore;
// attendance
/// `Records<AttendanceRecord>` and `AttendanceStore`.
pub type SqlAttendanceRepository = crate::SqlRecords<attendance::Entity>;

use crm_domain::TxManager;
use crm_domain::activity::ActivityRepository;
use crm_domain::identity::{
    Clock, Department, Designation, OrganizationRepository, UserRepository,
};
use crm_domain::kernel::numbering::DocumentCounterRepository;
use crm_domain::kernel::records::Records;
use crm_hr::ports::HrPorts;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What the HR ports share with the other modules.
pub struct Shared {
    pub tx: Arc<dyn TxManager>,
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
    pub departments: Arc<dyn Records<Department>>,
    pub designations: Arc<dyn Records<Designation>>,
    pub counters: Arc<dyn DocumentCounterRepository>,
}

/// The ports of the HR services on `db`, as the server (`crm-api`'s `app.rs`) and the
/// integration tests wire them.
pub fn ports(db: &DatabaseConnection, shared: Shared) -> HrPorts {
    let employees = Arc::new(SqlEmployeeRepository::new(db.clone()));
    let schedules = Arc::new(SqlWorkScheduleRepository::new(db.clone()));
    let holidays = Arc::new(SqlHolidayRepository::new(db.clone()));
    let candidates = Arc::new(recruitment::SqlCandidateRepository::new(db.clone()));
    let applications = Arc::new(recruitment::SqlApplicationRepository::new(db.clone()));
    let interviews = Arc::new(recruitment::SqlInterviewRepository::new(db.clone()));
    // training
    let enrollments = Arc::new(SqlTrainingEnrollmentRepository::new(db.clone()));
    // attendance
    let attendance = Arc::new(SqlAttendanceRepository::new(db.clone()));
    HrPorts {
        tx: shared.tx,
        activities: shared.activities,
        organizations: shared.organizations,
        users: shared.users,
        clock: shared.clock,
        departments: shared.departments,
        designations: shared.designations,
        counters: shared.counters,
        // people
        employees: employees.clone(),
        employee_store: employees,
        schedules: schedules.clone(),
        schedule_store: schedules,
        holidays: holidays.clone(),
        holiday_store: holidays,
        // recruitment
        files: Arc::new(crate::SqlFileRepository::new(db.clone())),
        job_postings: Arc::new(recruitment::SqlJobPostingRepository::new(db.clone())),
        candidates: candidates.clone(),
        candidate_store: candidates,
        applications: applications.clone(),
        application_store: applications,
        interviews: interviews.clone(),
        interview_store: interviews,
        offers: Arc::new(recruitment::SqlOfferRepository::new(db.clone())),
        // training
        training_programs: Arc::new(SqlTrainingProgramRepository::new(db.clone())),
        training_sessions: Arc::new(SqlTrainingSessionRepository::new(db.clone())),
        training_enrollments: enrollments.clone(),
        training_store: enrollments,
        // leave
        leave_calendar: Arc::new(leave_calendar::SqlLeaveCalendar::new(db.clone())),
        leave_types: Arc::new(SqlLeaveTypeRepository::new(db.clone())),
        leave_requests: Arc::new(SqlLeaveRequestRepository::new(db.clone())),
        leave_adjustments: Arc::new(SqlLeaveAdjustmentRepository::new(db.clone())),
        leave_store: Arc::new(SqlLeaveStore::new(db.clone())),
        // attendance
        attendance: attendance.clone(),
        attendance_store: attendance,
    }
}
