//! Recruitment (contract section 8): job postings, candidates, applications moved through a
//! pipeline of stages with their history, the hire that makes an employee, interviews with
//! interviewer-only feedback, offers, and the recruitment report.
//!
//! Rules, and what was chosen where the contract is silent:
//! - **Permissions**: `job_postings`, `candidates`, `applications`, `interviews`, `offers`
//!   `:read|write|delete` over all records; `interviews:read:own` reads the interviews the
//!   caller is an interviewer of (narrowed in the store's query through
//!   `interview_interviewers`). A hire also needs `employees:write`. The report needs
//!   `applications:read`.
//! - **Postings** ([`postings`]): `salary_min`/`salary_max` in minor units of
//!   `salary_currency` (required with either), `salary_max` not below `salary_min` (`422`);
//!   department, designation and hiring manager of the organization (`422`). Only an `open`
//!   posting takes applications (`409 job-posting-not-open`); `closes_on` is informative.
//!   A posting with applications is not deleted (`409 job-posting-in-use`).
//! - **Candidates** ([`candidates`]): the email is unique per organization whatever its case:
//!   stored normalised under a unique key, the duplicate learnt from the write itself (`409
//!   candidate-duplicate` with `existing_id`). `resume_file_id` is a file of the
//!   organization (`422`). A candidate with applications is not deleted (`409`).
//! - **Applications** ([`applications`]): one per candidate and posting (a unique key: `409
//!   application-exists` with `existing_id`); created in `applied` (or another open stage
//!   sent as `stage`), its history starting with that entry. `POST /applications/{id}/move`
//!   moves between any stages, backwards included, except that `hired`, `rejected` and
//!   `withdrawn` are final (`409 application-closed`) and that `hired` is reached only by the
//!   hire (`422 stage`, code `hire_required`): a hire makes an employee, which a move cannot.
//!   A move to the stage it is in changes nothing. `PATCH` never moves the stage. A hired
//!   application is not deleted (`409 application-hired`).
//! - **Hire**: one transaction, under the locks of the application, then its posting, then
//!   the candidate: the employee made by `EmployeeService::create_in_tx` (its `EMP-NNNN`
//!   from the kernel counter in that transaction), the application `hired` with its history
//!   entry, the event `employee.hired`, and the posting `closed` once its hired applications
//!   reach `openings`. A posting already filled takes no further hire (`409
//!   job-posting-filled`). Any failure rolls everything back.
//! - **Interviews** ([`interviews`]): `ends_at` after `starts_at`, within 24 hours;
//!   interviewers users of the organization. An interviewer may not be in two `scheduled`
//!   interviews that overlap (`409 interviewer-busy`, `existing_id` the other one): the
//!   writing transaction locks the interviewers' user rows in id order before it reads
//!   their bookings, so two concurrent bookings are checked one after the other. Feedback
//!   only by a listed interviewer (`403 not-an-interviewer`), once each (a unique key, `409
//!   feedback-given`), never on a cancelled interview; it is read by the interviewers and
//!   by holders of `interviews:read`. `interview.scheduled` tells each interviewer of a new
//!   scheduled interview, all of them when it moves in time or is scheduled again, and those
//!   added to a list.
//! - **Offers** ([`offers`]): the transition table is in its docs; `expired` is read on the
//!   organization's today, never stored; only a draft is edited or deleted.
//! - **Report** ([`report`]): counts and mean days per stage from the stage history, summed
//!   in SQL; its docs say what the mean counts.
//! - Files attach to `candidate` and `application` records (read as the record is read).
//! - Every write records its audit entry (and so its event) in its own transaction.

pub mod applications;
pub mod candidates;
pub(crate) mod common;
pub mod interviews;
pub mod offers;
pub mod ports;
pub mod postings;
pub mod report;
#[cfg(test)]
mod tests;

pub use common::{MAX_TAGS, TAG_MAX_CHARS};

/// The notification rule of `interview.scheduled`: the interviewers its entry names.
pub fn interview_scheduled(e: &crm_domain::activity::NewActivity) -> Vec<crm_domain::UserId> {
    interviews::scheduled_for(e)
}
