//! The ports of recruitment besides `Records<T>` of each record: what is special about
//! candidates, applications and interviews.

use super::applications::{ApplicationId, ApplicationStage, StageMove, StageMoveId};
use super::candidates::CandidateId;
use super::interviews::{Feedback, InterviewId};
use super::postings::JobPostingId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::identity::EmailAddress;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};

/// What candidates need besides their rows.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CandidateStore: Send + Sync {
    /// The candidate of `org` whose (normalised) email is `email`, other than `except`: read
    /// only when a write lost to the unique key, to name the winner in the `409`.
    async fn find_by_email(
        &self,
        org: OrganizationId,
        email: &EmailAddress,
        except: Option<CandidateId>,
    ) -> Result<Option<CandidateId>, StoreError>;
}

/// How many applications of a posting reached one stage, and their time in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageTotals {
    pub stage: ApplicationStage,
    /// Applications that entered the stage (whether still in it or moved on).
    pub applications: i64,
    /// Applications that left the stage at least once.
    pub left: i64,
    /// The seconds those spent in it (every stay that ended, summed).
    pub seconds: i64,
}

/// What applications need besides their rows: the stage history, the hires of a posting,
/// the report's sums.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// The application of `candidate` to `posting`, read only when a create lost to the
    /// unique key, to name it in the `409`.
    async fn find(
        &self,
        org: OrganizationId,
        posting: JobPostingId,
        candidate: CandidateId,
    ) -> Result<Option<ApplicationId>, StoreError>;

    /// Every stage `application` entered, oldest first.
    async fn history(
        &self,
        org: OrganizationId,
        application: ApplicationId,
    ) -> Result<Vec<StageMove>, StoreError>;

    /// The history row of the stage `application` is in (the one not left yet), read in
    /// `tx` (the caller holds the application's lock).
    async fn current_stage(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        application: ApplicationId,
    ) -> Result<Option<StageMove>, StoreError>;

    /// Closes the history row `id`: left at `left_at`, after `seconds_in` seconds.
    async fn leave_stage(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: StageMoveId,
        left_at: DateTime<Utc>,
        seconds_in: i64,
    ) -> Result<(), StoreError>;

    /// Inserts the history row of a stage entered.
    async fn enter_stage(&self, tx: &mut Txn, entry: &StageMove) -> Result<(), StoreError>;

    /// How many applications of `posting` are `hired`, read in `tx` (the caller holds the
    /// posting's lock, so two hires of one posting count one after the other).
    async fn hires(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        posting: JobPostingId,
    ) -> Result<i64, StoreError>;

    /// Per stage ever entered: the applications that reached it and the time of those that
    /// left it, of one posting or of all (`GROUP BY` in SQL).
    async fn stage_totals(
        &self,
        org: OrganizationId,
        posting: Option<JobPostingId>,
    ) -> Result<Vec<StageTotals>, StoreError>;
}

/// What interviews need besides their rows: their interviewers, who is busy, feedback.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InterviewStore: Send + Sync {
    /// Those of `users` that are users of `org` (one query, on the pool).
    async fn users_of(
        &self,
        org: OrganizationId,
        users: &[UserId],
    ) -> Result<Vec<UserId>, StoreError>;

    /// Locks the user rows of `users` in `tx`, in id order: two bookings of one interviewer
    /// are checked one after the other (on every backend), so they cannot both pass.
    async fn lock_users(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        users: &[UserId],
    ) -> Result<(), StoreError>;

    /// The first `scheduled` interview other than `except` of one of `users` that overlaps
    /// `[starts_at, ends_at)`, with that interviewer, read in `tx`.
    async fn overlapping(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        users: &[UserId],
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        except: Option<InterviewId>,
    ) -> Result<Option<(InterviewId, UserId)>, StoreError>;

    /// Replaces the interviewers of `interview` (what `:own` narrows by) with `users`.
    async fn set_interviewers(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        interview: InterviewId,
        users: &[UserId],
    ) -> Result<(), StoreError>;

    /// The feedback given on `interview`, oldest first.
    async fn feedback(
        &self,
        org: OrganizationId,
        interview: InterviewId,
    ) -> Result<Vec<Feedback>, StoreError>;

    /// Inserts `feedback`; `Conflict` when its interviewer already gave theirs.
    async fn add_feedback(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        feedback: &Feedback,
    ) -> Result<(), StoreError>;
}
