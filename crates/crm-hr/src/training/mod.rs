//! Training (contract section 8): programs, their sessions, enrollments with their results,
//! the certifications the passes make, and the notice of a certification about to expire.
//!
//! Rules, including the points the contract leaves open and what was chosen:
//! - **Programs** ([`programs`]): `validity_months` 1–600 or none (a pass never expires);
//!   a program with sessions cannot be deleted (`409 training-program-in-use`, a foreign
//!   key); a new validity applies to later passes only.
//! - **Sessions** ([`sessions`]): `starts_at` < `ends_at` (`422 ends_at`), RFC 3339 with an
//!   offset, years 1970–9000; `capacity` 1–10000 or none (unlimited), never set below the
//!   enrollments it already has (`422 capacity` / `below_enrolled`, counted under the
//!   session's lock); `status` `scheduled|completed|cancelled`, set freely; the program is
//!   fixed once the session exists; a session with enrollments cannot be deleted (`409
//!   training-session-in-use`): cancel it.
//! - **Enrollments** ([`enrollments`]): `POST /training-sessions/{id}/enrollments
//!   {employee_id}` takes an active employee of the organization (`422 employee_id`,
//!   terminated `409 employee-terminated`) into a session that is not cancelled (`409
//!   training-session-cancelled`; a completed session still takes them, to record who came
//!   after the fact), once (`409 training-enrollment-exists`, a unique key on session and
//!   employee) and only while seats are left (`409 training-session-full`). Every
//!   enrollment takes a seat whatever its status. The seat rule holds under concurrency:
//!   the enrolling transaction locks the session's row, then counts, then inserts, so two
//!   enrollments for the last seat run one after the other and the second sees the first.
//!   There is no delete: the permission catalogue has no `training_enrollments:delete`.
//! - **Results** (`PATCH /training-enrollments/{id}`): `status`
//!   `enrolled|attended|passed|failed|no_show`, `score` 0–100 or null, `notes`; `If-Match`
//!   honoured. A result (`attended`, `passed`, `failed`) in a cancelled session is `409
//!   training-session-cancelled`. A change into `passed` stamps `completed_on` = the date
//!   of the session's `ends_at` in the organization's time zone, and `valid_until` =
//!   `completed_on` + the program's `validity_months` (calendar months, clamped to the
//!   month's end: 31 January + 1 month = 28/29 February; none: `null`, never expires);
//!   staying `passed` keeps the stamp (a later change of the session's end or the
//!   program's validity does not move it), leaving `passed` clears both.
//! - **Certifications** ([`certifications`]): derived, never stored: the latest pass of
//!   each employee and program (latest `completed_on`, then the latest enrollment),
//!   identified by its enrollment (`id`); `status` read on the organization's today:
//!   `expired` when `valid_until` is before today (it is valid through its last day),
//!   `expiring` when it is today or within the next 30 days, else `valid` (never-expiring
//!   included). `created_at` / `updated_at` are the enrollment's (every list sorts by
//!   them). `expiring_before=D` keeps those with `valid_until < D` (expired ones
//!   included). Keyset-paginated over the enrollments' rows.
//! - **The expiry notice** ([`expiry`]): `certification.expiring` once per certification
//!   and `valid_until`, 30 days before it (on the first hourly run after the day it became
//!   `expiring` in the organization's zone), to the employee's user and the organization's
//!   HR. HR is whoever holds `training_enrollments:write` (the `hr` and `admin` roles, and
//!   any custom role granted it), found as finance finds its approvers: the people who act
//!   on enrollments are the ones to book the next session, and a custom HR role is
//!   included where "the users of the seeded `hr` role" would miss it.
//! - **`:own`**: `training_enrollments:read:own` and `certifications:read:own` are the
//!   caller's own, through their employee record (`EmployeeStore::by_user`), narrowed in
//!   the store query; a caller without an employee record has none.

pub mod certifications;
mod common;
pub mod enrollments;
pub mod expiry;
pub mod ports;
pub mod programs;
pub mod sessions;

#[cfg(test)]
mod tests;

pub use certifications::{
    CERTIFICATION_LIST_SPEC, Certification, CertificationScope, CertificationService,
    CertificationStatus, EXPIRING_DAYS, status_on,
};
pub use common::{completed_on, instant, valid_until};
pub use enrollments::{
    EnrollmentInput, EnrollmentPatch, EnrollmentStatus, TRAINING_ENROLLMENT_LIST_SPEC,
    TrainingEnrollment, TrainingEnrollmentId, TrainingEnrollmentService,
};
pub use expiry::CertificationExpiryJob;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockTrainingStore;
pub use ports::TrainingStore;
pub use programs::{
    TRAINING_PROGRAM_LIST_SPEC, TrainingProgram, TrainingProgramId, TrainingProgramInput,
    TrainingProgramPatch, TrainingProgramService,
};
pub use sessions::{
    SessionStatus, TRAINING_SESSION_LIST_SPEC, TrainingSession, TrainingSessionId,
    TrainingSessionInput, TrainingSessionPatch, TrainingSessionService,
};
