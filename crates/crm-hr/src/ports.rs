//! The ports of the HR services: every store they use, and what they share with the other
//! modules (transactions, audit log, organizations, users, document counters, the clock).
//!
//! The list of [`HrPorts`] fields grows by area (people, leave, attendance, recruitment,
//! training); each area declares its own store traits in its own module and adds its fields
//! at the end under a comment naming it.

use crate::employees::{Employee, EmployeeId};
use crate::holidays::Holiday;
use crate::work_schedules::{WorkSchedule, WorkScheduleId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::activity::ActivityRepository;
use crm_domain::identity::{
    Clock, Department, Designation, OrganizationRepository, UserRepository,
};
use crm_domain::kernel::numbering::DocumentCounterRepository;
use crm_domain::kernel::records::Records;
use crm_domain::{DomainError, OrganizationId, StoreError, TxManager, Txn, UserId};
use std::sync::Arc;

/// What employees store besides their `Records<Employee>`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EmployeeStore: Send + Sync {
    /// The employee record of `user` in `org` (at most one: a unique key), if any.
    async fn by_user(
        &self,
        org: OrganizationId,
        user: UserId,
    ) -> Result<Option<Employee>, StoreError>;

    /// The user of `employee`'s manager: the one person besides the holders of an `approve`
    /// permission who may decide their leave and expenses. `None` without a manager, or when
    /// the manager has no user. `NotFound` when `employee` is not of `org`.
    async fn manager_user(
        &self,
        org: OrganizationId,
        employee: EmployeeId,
    ) -> Result<Option<UserId>, StoreError>;

    /// The chain of managers above `id` (its manager, theirs, …), each row read and locked
    /// inside `tx`, so two concurrent changes cannot close a cycle between them. Stops where
    /// the stored data already loops. `NotFound` when `id` is not of `org`.
    async fn manager_chain(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: EmployeeId,
    ) -> Result<Vec<EmployeeId>, StoreError>;

    /// The direct reports of `id` (employees whose `manager_id` is `id`), by last and first
    /// name.
    async fn reports(
        &self,
        org: OrganizationId,
        id: EmployeeId,
    ) -> Result<Vec<Employee>, StoreError>;
}

/// What work schedules store besides their `Records<WorkSchedule>`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    /// The organization's default schedule, `None` before it was first needed.
    async fn default_of(&self, org: OrganizationId) -> Result<Option<WorkSchedule>, StoreError>;

    /// The organization's default schedule, inserting `candidate` (a default schedule of
    /// `org`) when there is none yet; `true` when `candidate` was inserted. Safe under
    /// concurrency: a unique key admits one default, and the loser answers the winner's.
    async fn ensure_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        candidate: &WorkSchedule,
    ) -> Result<(WorkSchedule, bool), StoreError>;

    /// Takes the default flag off the organization's default schedule (one version on) and
    /// answers its id and version before the change; `None` when there is none.
    async fn clear_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        now: DateTime<Utc>,
    ) -> Result<Option<(WorkScheduleId, i64)>, StoreError>;
}

/// What holidays store besides their `Records<Holiday>`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait HolidayStore: Send + Sync {
    /// The organization's holiday dates from `from` to `to` (both included), in order.
    async fn dates_between(
        &self,
        org: OrganizationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>, StoreError>;
}

/// Everything the HR services use.
#[derive(Clone)]
pub struct HrPorts {
    pub tx: Arc<dyn TxManager>,
    pub activities: Arc<dyn ActivityRepository>,
    /// The organization's time zone: what "today" is read against.
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub clock: Arc<dyn Clock>,
    /// What employees and postings name.
    pub departments: Arc<dyn Records<Department>>,
    pub designations: Arc<dyn Records<Designation>>,
    /// `EMP-NNNN` numbers.
    pub counters: Arc<dyn DocumentCounterRepository>,
    // people
    pub employees: Arc<dyn Records<Employee>>,
    pub employee_store: Arc<dyn EmployeeStore>,
    pub schedules: Arc<dyn Records<WorkSchedule>>,
    pub schedule_store: Arc<dyn ScheduleStore>,
    pub holidays: Arc<dyn Records<Holiday>>,
    pub holiday_store: Arc<dyn HolidayStore>,
    // recruitment
    /// What candidates' `resume_file_id` names.
    pub files: Arc<dyn crm_domain::files::FileRepository>,
    pub job_postings: Arc<dyn Records<crate::recruitment::postings::JobPosting>>,
    pub candidates: Arc<dyn Records<crate::recruitment::candidates::Candidate>>,
    pub candidate_store: Arc<dyn crate::recruitment::ports::CandidateStore>,
    pub applications: Arc<dyn Records<crate::recruitment::applications::Application>>,
    pub application_store: Arc<dyn crate::recruitment::ports::ApplicationStore>,
    pub interviews: Arc<dyn Records<crate::recruitment::interviews::Interview>>,
    pub interview_store: Arc<dyn crate::recruitment::ports::InterviewStore>,
    pub offers: Arc<dyn Records<crate::recruitment::offers::Offer>>,
    // training
    pub training_programs: Arc<dyn Records<crate::training::TrainingProgram>>,
    pub training_sessions: Arc<dyn Records<crate::training::TrainingSession>>,
    pub training_enrollments: Arc<dyn Records<crate::training::TrainingEnrollment>>,
    pub training_store: Arc<dyn crate::training::TrainingStore>,
    // leave
    /// Approved leave by date range (attendance days read it too).
    pub leave_calendar: Arc<dyn crate::leave::LeaveCalendar>,
    pub leave_types: Arc<dyn Records<crate::leave::LeaveType>>,
    pub leave_requests: Arc<dyn Records<crate::leave::LeaveRequest>>,
    pub leave_adjustments: Arc<dyn Records<crate::leave::LeaveAdjustment>>,
    pub leave_store: Arc<dyn crate::leave::LeaveStore>,
    // attendance
    pub attendance: Arc<dyn Records<crate::attendance::AttendanceRecord>>,
    pub attendance_store: Arc<dyn crate::attendance::AttendanceStore>,
}

impl HrPorts {
    /// Now, as stored.
    pub fn now(&self) -> DateTime<Utc> {
        crm_domain::kernel::clock::stored(self.clock.now())
    }

    /// Today's date in the organization's time zone.
    pub async fn today(&self, org: OrganizationId) -> Result<NaiveDate, DomainError> {
        let o = self.organizations.get(org).await?;
        Ok(crm_domain::kernel::clock::local_date(
            self.clock.now(),
            &o.timezone,
        ))
    }

    /// The organization's default work schedule, created on first need (Monday–Friday
    /// 09:00–17:00 in the organization's time zone).
    pub async fn default_schedule(&self, org: OrganizationId) -> Result<WorkSchedule, DomainError> {
        if let Some(s) = self.schedule_store.default_of(org).await? {
            return Ok(s);
        }
        let o = self.organizations.get(org).await?;
        let zone = crate::schedule::time_zone(&o.timezone).unwrap_or(chrono_tz::Tz::UTC);
        let candidate = WorkSchedule::standard(org, zone, self.now());
        let mut tx = self.tx.begin().await?;
        let (s, inserted) = self
            .schedule_store
            .ensure_default(&mut tx, org, &candidate)
            .await?;
        if inserted {
            tx.commit().await?;
        }
        Ok(s)
    }
}
