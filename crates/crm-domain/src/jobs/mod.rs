//! Scheduled work, run once per period whatever the number of server instances.
//!
//! A [`Job`] names itself and the period an instant falls in (`2026-12-06T14` for an hourly
//! job). Every instance's [`Scheduler`] looks for due work every `CRM__JOBS__POLL_SECS`; before
//! running a job it claims the pair (job, period) in the database through [`JobClaims`]: the
//! first claim wins, a finished claim is never given out again, and an unfinished one whose
//! lease ran out (its instance crashed, or the run failed) is given to the next poll. So a crash,
//! a retry or a second instance neither skips nor repeats a period.
//!
//! A period is a guard against running twice, not a ledger of work: a job finds what is due
//! itself (rows older than a cut-off, templates whose next date has come), so the run of a later
//! period also catches up whatever an earlier, failed one left.

mod cleanup;
mod each;
mod scheduler;

pub use cleanup::{CODE_REQUESTS_KEPT, Cleanup, CleanupJob, JOB_RUNS_KEPT};
pub use each::act_on_each;
pub use scheduler::{Job, JobClaims, JobReport, Period, Scheduler};
#[cfg(any(test, feature = "mocks"))]
pub use {
    cleanup::MockCleanup,
    scheduler::{MockJob, MockJobClaims},
};
