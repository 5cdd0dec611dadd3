//! What training stores besides its `Records<…>`: seat counts, certifications, and what the
//! expiry job reads and marks.

use super::certifications::CertificationScope;
use super::enrollments::{TrainingEnrollment, TrainingEnrollmentId};
use super::sessions::TrainingSessionId;
use async_trait::async_trait;
use chrono::NaiveDate;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TrainingStore: Send + Sync {
    /// How many enrollments `session` has (whatever their status), read in `tx`: the caller
    /// holds the session's row, so no enrollment of it is inserted meanwhile.
    async fn enrolled_count(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        session: TrainingSessionId,
    ) -> Result<i64, StoreError>;

    /// One page of the organization's certifications: its passed enrollments that are the
    /// latest pass of their employee and program (the latest `completed_on`, then the latest
    /// id), under the query's own filters and sort, narrowed by `scope`.
    async fn certifications(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        scope: &CertificationScope,
    ) -> Result<Page<TrainingEnrollment>, StoreError>;

    /// Certifications of every organization valid until a day from `from` to `to` whose
    /// expiry nobody was told of for that date, soonest first, at most `limit`.
    async fn expiring_candidates(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        limit: u64,
    ) -> Result<Vec<(OrganizationId, TrainingEnrollmentId)>, StoreError>;

    /// Whether `enrollment` (passed, read locked in `tx`) is still the latest pass of its
    /// employee and program, read in `tx`.
    async fn is_latest_pass(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        enrollment: &TrainingEnrollment,
    ) -> Result<bool, StoreError>;

    /// Marks, in `tx`, that the expiry of `enrollment` on `valid_until` was dealt with (no
    /// new version: the mark is the job's, not the record's); `false` when it already was
    /// (another run or instance came first) or the enrollment is no longer valid until then.
    async fn mark_expiry_told(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        enrollment: TrainingEnrollmentId,
        valid_until: NaiveDate,
    ) -> Result<bool, StoreError>;

    /// The organization's HR: its active users holding `training_enrollments:write` (through
    /// a role that lists it, or the admin role), by id.
    async fn hr_users(&self, org: OrganizationId) -> Result<Vec<UserId>, StoreError>;
}
