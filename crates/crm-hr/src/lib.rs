//! The HR module (contract section 8): employees, work schedules and holidays (the people
//! core), leave, attendance, training and recruitment, with their pure rules.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree
//! (`scripts/check-architecture.sh`). It depends on `crm-domain` only.
//!
//! What lives where, and the rules enforced:
//! - [`days`]: [`days::Days`], an exact day quantity in hundredths of a day (an `i64`, never
//!   binary floating point): read from a JSON number or string with at most 2 decimals (a
//!   third is `422 too_many_decimals`, never rounded), written as a JSON number with at most
//!   2 decimals; the contract's two roundings (half up to hundredths, nearest half day)
//!   applied once, from exact ratios;
//! - [`schedule`]: a work schedule's rules — IANA `time_zone` known to `chrono-tz`, each
//!   working weekday once (1 = Monday … 7), `HH:MM` hours (an end before the start is a
//!   night shift belonging to the day it starts), a break shorter than the shift, grace and
//!   half-day minutes 0–1440 — checked with every bad field named (`days[2].end`); the
//!   working minutes of a weekday; the organization's standard Monday–Friday 09:00–17:00;
//! - [`leave::counting`]: a request's `days` — working days of the person's schedule from
//!   start to end less the organization's holidays, 0.50 for a half day (`am`|`pm`, single
//!   day only), `422 no_working_days` for none — split per leave year for a request across
//!   new year; the overlap rule (only the two different halves of one day do not overlap);
//! - [`leave::balance`]: the balance engine, one pure replay of the years from the hire
//!   year: upfront entitlement prorated to the half day in the hire year, monthly twelfths
//!   rounded as a total, carry forward capped, used first and lapsing, adjustments, taken
//!   (approved, the whole leave year) and pending; the ledger rows it derives, so the
//!   balance is always the ledger summed; the request check of `allow_negative_days`
//!   (`422 insufficient_balance`). Its module docs list each point the contract leaves open
//!   and what was chosen.
//! - [`training`]: programs, sessions with their seats, enrollments and their results (a
//!   pass stamped in the organization's zone), certifications derived from the latest pass,
//!   and the `certification.expiring` job; its module docs list the choices made.
//! - [`attendance`]: punches (check-in/out, HR records with the overlap rule) and the days
//!   derived from them in the schedule's zone (late, half day, absent, on leave, holiday,
//!   weekend; a night shift or a far zone never moves a day), with the monthly summary; its
//!   module docs list the choices made.
//!
//! Every rule has unit tests on known dates and property tests over thousands of generated
//! cases (counting against the day-by-day walk, the balance against its ledger, monotone
//! accrual, rejected requests changing nothing, the carry cap, replay in any order, a
//! materialised ledger fed back changing nothing).

pub mod approval;
pub mod attendance;
pub mod days;
pub mod employees;
pub mod holidays;
pub mod leave;
pub mod ports;
pub mod recruitment;
pub mod schedule;
#[cfg(test)]
mod test_support;
pub mod training;
pub mod work_schedules;

/// The services of the HR module.
#[derive(Clone)]
pub struct HrServices {
    // people
    pub employees: employees::EmployeeService,
    pub work_schedules: work_schedules::WorkScheduleService,
    pub holidays: holidays::HolidayService,
    // recruitment
    pub job_postings: recruitment::postings::JobPostingService,
    pub candidates: recruitment::candidates::CandidateService,
    pub applications: recruitment::applications::ApplicationService,
    pub interviews: recruitment::interviews::InterviewService,
    pub offers: recruitment::offers::OfferService,
    // training
    pub training_programs: training::TrainingProgramService,
    pub training_sessions: training::TrainingSessionService,
    pub training_enrollments: training::TrainingEnrollmentService,
    pub certifications: training::CertificationService,
    // leave
    pub leave_types: leave::LeaveTypeService,
    pub leave_requests: leave::LeaveRequestService,
    pub leave_balances: leave::LeaveBalanceService,
    // attendance
    pub attendance: attendance::AttendanceService,
    /// What the module's scheduled jobs run on.
    ports: ports::HrPorts,
}

impl HrServices {
    pub fn new(ports: ports::HrPorts) -> Self {
        Self {
            employees: employees::EmployeeService::new(ports.clone()),
            work_schedules: work_schedules::WorkScheduleService::new(ports.clone()),
            holidays: holidays::HolidayService::new(ports.clone()),
            job_postings: recruitment::postings::JobPostingService::new(ports.clone()),
            candidates: recruitment::candidates::CandidateService::new(ports.clone()),
            applications: recruitment::applications::ApplicationService::new(ports.clone()),
            interviews: recruitment::interviews::InterviewService::new(ports.clone()),
            offers: recruitment::offers::OfferService::new(ports.clone()),
            // training
            training_programs: training::TrainingProgramService::new(ports.clone()),
            training_sessions: training::TrainingSessionService::new(ports.clone()),
            training_enrollments: training::TrainingEnrollmentService::new(ports.clone()),
            certifications: training::CertificationService::new(ports.clone()),
            // leave
            leave_types: leave::LeaveTypeService::new(ports.clone()),
            leave_requests: leave::LeaveRequestService::new(ports.clone()),
            leave_balances: leave::LeaveBalanceService::new(ports.clone()),
            // attendance
            attendance: attendance::AttendanceService::new(ports.clone()),
            ports,
        }
    }

    /// The module's scheduled work, for the server's scheduler.
    pub fn jobs(&self) -> Vec<std::sync::Arc<dyn crm_domain::jobs::Job>> {
        vec![
            // training
            std::sync::Arc::new(training::CertificationExpiryJob::new(self.ports.clone())),
        ]
    }
}

/// The permissions of the HR routes and services, as types, with the module's event types
/// and notification types.
pub mod requirements {
    crm_domain::requirements! {
        EmployeesRead = "employees":"read";
        EmployeesWrite = "employees":"write";
        EmployeesDelete = "employees":"delete";
        WorkSchedulesRead = "work_schedules":"read";
        WorkSchedulesWrite = "work_schedules":"write";
        WorkSchedulesDelete = "work_schedules":"delete";
        HolidaysRead = "holidays":"read";
        HolidaysWrite = "holidays":"write";
        HolidaysDelete = "holidays":"delete";
        AttendanceRead = "attendance":"read";
        AttendanceWrite = "attendance":"write";
        AttendanceDelete = "attendance":"delete";
        LeaveTypesRead = "leave_types":"read";
        LeaveTypesWrite = "leave_types":"write";
        LeaveTypesDelete = "leave_types":"delete";
        LeaveBalancesRead = "leave_balances":"read";
        LeaveAdjustmentsWrite = "leave_adjustments":"write";
        LeaveRequestsRead = "leave_requests":"read";
        LeaveRequestsWrite = "leave_requests":"write";
        LeaveRequestsDelete = "leave_requests":"delete";
        LeaveRequestsApprove = "leave_requests":"approve";
        TrainingProgramsRead = "training_programs":"read";
        TrainingProgramsWrite = "training_programs":"write";
        TrainingProgramsDelete = "training_programs":"delete";
        TrainingSessionsRead = "training_sessions":"read";
        TrainingSessionsWrite = "training_sessions":"write";
        TrainingSessionsDelete = "training_sessions":"delete";
        TrainingEnrollmentsRead = "training_enrollments":"read";
        TrainingEnrollmentsWrite = "training_enrollments":"write";
        CertificationsRead = "certifications":"read";
        JobPostingsRead = "job_postings":"read";
        JobPostingsWrite = "job_postings":"write";
        JobPostingsDelete = "job_postings":"delete";
        CandidatesRead = "candidates":"read";
        CandidatesWrite = "candidates":"write";
        CandidatesDelete = "candidates":"delete";
        ApplicationsRead = "applications":"read";
        ApplicationsWrite = "applications":"write";
        ApplicationsDelete = "applications":"delete";
        InterviewsRead = "interviews":"read";
        InterviewsWrite = "interviews":"write";
        InterviewsDelete = "interviews":"delete";
        OffersRead = "offers":"read";
        OffersWrite = "offers":"write";
        OffersDelete = "offers":"delete";
    }

    crm_domain::event_types! {
        // people
        "employee.created" => "An employee record was created",
        "employee.updated" => "An employee record was changed",
        "employee.deleted" => "An employee record was deleted",
        "employee.terminated" => "An employee was terminated",
        "employee.hired" => "A candidate was hired: their application became an employee",
        "work_schedule.created" => "A work schedule was created",
        "work_schedule.updated" => "A work schedule was changed (or stopped being the default)",
        "work_schedule.deleted" => "A work schedule was deleted",
        "holiday.created" => "A holiday was added",
        "holiday.updated" => "A holiday was changed",
        "holiday.deleted" => "A holiday was deleted",
        // recruitment
        "job_posting.created" => "A job posting was created",
        "job_posting.updated" => "A job posting was changed",
        "job_posting.deleted" => "A job posting was deleted",
        "job_posting.closed" => "A job posting closed: its hires reached its openings",
        "candidate.created" => "A candidate was added",
        "candidate.updated" => "A candidate was changed",
        "candidate.deleted" => "A candidate was deleted",
        "application.created" => "A candidate applied to a job posting",
        "application.updated" => "An application was changed (rating, source, letter, reason)",
        "application.deleted" => "An application was deleted",
        "application.stage_changed" => "An application moved to another stage",
        "application.hired" => "An application was hired: its employee was made",
        "interview.created" => "An interview was created",
        "interview.updated" => "An interview was changed",
        "interview.deleted" => "An interview was deleted",
        "interview.scheduled" => "Interviewers were told of a scheduled interview (new, moved, or added to)",
        "interview.feedback_added" => "An interviewer gave their feedback on an interview",
        "offer.created" => "An offer was drafted",
        "offer.updated" => "A draft offer was changed",
        "offer.deleted" => "A draft offer was deleted",
        "offer.sent" => "An offer was sent to the candidate",
        "offer.accepted" => "An offer was accepted",
        "offer.declined" => "An offer was declined",
        "offer.withdrawn" => "An offer was withdrawn",
        // training
        "training_program.created" => "A training program was created",
        "training_program.updated" => "A training program was changed",
        "training_program.deleted" => "A training program was deleted",
        "training_session.created" => "A training session was scheduled",
        "training_session.updated" => "A training session was changed (or completed, or cancelled)",
        "training_session.deleted" => "A training session was deleted",
        "training_enrollment.created" => "An employee was enrolled in a training session",
        "training_enrollment.updated" => "An enrollment's result was recorded or changed (a pass stamps the certification's dates)",
        "certification.expiring" => "A certification comes within 30 days of its end (once per certification)",
        // leave
        "leave_type.created" => "A leave type was created",
        "leave_type.updated" => "A leave type (its policy) was changed",
        "leave_type.deleted" => "A leave type was deleted",
        "leave_request.created" => "A leave request was filed",
        "leave_request.submitted" => "A leave request waits for a decision (its approvers are told)",
        "leave_request.approved" => "A leave request was approved (by a decider, or at once for a type without approval)",
        "leave_request.rejected" => "A leave request was rejected",
        "leave_request.cancelled" => "A leave request was cancelled",
        "leave_adjustment.created" => "A person's leave balance was adjusted",
        // attendance
        "attendance.checked_in" => "An employee checked in: their punch opened",
        "attendance.checked_out" => "An employee checked out: their open punch closed",
        "attendance.created" => "HR wrote an attendance record",
        "attendance.updated" => "An attendance record was changed",
        "attendance.deleted" => "An attendance record was deleted",
    }

    crm_domain::notification_types! {
        "interview.scheduled" => "You are an interviewer of a scheduled interview": custom(interview_scheduled);
        // training
        "certification.expiring" => "A certification expires within 30 days": listed("certification", "expiring");
        // leave: the users each entry lists (read by the service before it writes)
        "leave_request.submitted" => "A leave request waits for your decision": listed("leave_request", "submitted");
        "leave_request.approved" => "Your leave request was approved": listed("leave_request", "approved");
        "leave_request.rejected" => "Your leave request was rejected": listed("leave_request", "rejected");
    }

    // recruitment
    fn interview_scheduled(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
        crate::recruitment::interview_scheduled(e)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn event_types_are_unique() {
            let mut seen = std::collections::HashSet::new();
            for e in super::EVENT_TYPES {
                assert!(seen.insert(e.r#type), "{} twice", e.r#type);
            }
        }
    }
}
