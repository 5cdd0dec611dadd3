//! What the HR services' unit tests share: ports with every field a fresh mock (no call
//! expected), for a test's `HrPorts { the fields it uses, ..blank_ports(&probe) }`, so a new
//! area's ports do not touch every other area's tests.

use crate::ports::{HrPorts, MockEmployeeStore, MockHolidayStore, MockScheduleStore};
use crm_domain::files::MockFileRepository;
use crm_domain::identity::{MockOrganizationRepository, MockUserRepository};
use crm_domain::kernel::numbering::MockDocumentCounterRepository;
use crm_domain::kernel::records::MockRecords;
use crm_domain::kernel::testing::{FixedClock, Probe};
use std::sync::Arc;

/// Ports on `probe`'s transactions and audit log; every other port a mock expecting nothing.
pub fn blank_ports(probe: &Probe) -> HrPorts {
    HrPorts {
        tx: probe.tx_manager(),
        activities: Arc::new(probe.activities()),
        organizations: Arc::new(MockOrganizationRepository::new()),
        users: Arc::new(MockUserRepository::new()),
        clock: Arc::new(FixedClock::default()),
        departments: Arc::new(MockRecords::new()),
        designations: Arc::new(MockRecords::new()),
        counters: Arc::new(MockDocumentCounterRepository::new()),
        employees: Arc::new(MockRecords::new()),
        employee_store: Arc::new(MockEmployeeStore::new()),
        schedules: Arc::new(MockRecords::new()),
        schedule_store: Arc::new(MockScheduleStore::new()),
        holidays: Arc::new(MockRecords::new()),
        holiday_store: Arc::new(MockHolidayStore::new()),
        // recruitment
        files: Arc::new(MockFileRepository::new()),
        job_postings: Arc::new(MockRecords::new()),
        candidates: Arc::new(MockRecords::new()),
        candidate_store: Arc::new(crate::recruitment::ports::MockCandidateStore::new()),
        applications: Arc::new(MockRecords::new()),
        application_store: Arc::new(crate::recruitment::ports::MockApplicationStore::new()),
        interviews: Arc::new(MockRecords::new()),
        interview_store: Arc::new(crate::recruitment::ports::MockInterviewStore::new()),
        offers: Arc::new(MockRecords::new()),
        // training
        training_programs: Arc::new(MockRecords::new()),
        training_sessions: Arc::new(MockRecords::new()),
        training_enrollments: Arc::new(MockRecords::new()),
        training_store: Arc::new(crate::training::MockTrainingStore::new()),
        // leave
        leave_calendar: Arc::new(crate::leave::MockLeaveCalendar::new()),
        leave_types: Arc::new(MockRecords::new()),
        leave_requests: Arc::new(MockRecords::new()),
        leave_adjustments: Arc::new(MockRecords::new()),
        leave_store: Arc::new(crate::leave::MockLeaveStore::new()),
        // attendance
        attendance: Arc::new(MockRecords::new()),
        attendance_store: Arc::new(crate::attendance::MockAttendanceStore::new()),
    }
}
