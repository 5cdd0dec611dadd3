//! `certification.expiring`: once per certification, on the first run of the job after its
//! `valid_until` comes within 30 days of the organization's today, the certification's
//! `expiring` entry is written (the event) and the employee's user and the organization's HR
//! (the active holders of `training_enrollments:write`) are notified.
//!
//! The job is claimed per hour (`job_runs`): one instance runs each hour's period. Within a
//! run, each candidate's enrollment row is locked and its `expiry_told_for` set to the
//! `valid_until` it told of, in the transaction of the entry: a second run (the next hour,
//! another instance, a retried period) finds it told and tells nobody again; a new pass
//! with another `valid_until` is a new certification, told once in its turn. A
//! certification that expired before any run told of it is marked without a word (telling
//! that it "expires" would be false).

use super::certifications::{Certification, CertificationStatus, status_on};
use super::enrollments::{EnrollmentStatus, TrainingEnrollmentId};
use crate::ports::HrPorts;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use crm_domain::activity::change_entry;
use crm_domain::jobs::{Job, Period, act_on_each};
use crm_domain::kernel::clock::local_date;
use crm_domain::notifications::rules::notify_change;
use crm_domain::{DomainError, OrganizationId, UserId};

/// Candidates looked at per batch; a run takes batches until one falls short.
const BATCH: u64 = 500;

/// Tells of each certification that comes within 30 days of its end.
pub struct CertificationExpiryJob {
    p: HrPorts,
}

impl CertificationExpiryJob {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    /// Tells of the certification of enrollment `id` if it expires within 30 days of its
    /// organization's today at `now` and nobody has told of it yet: whether it did.
    pub async fn tell(
        &self,
        org: OrganizationId,
        id: TrainingEnrollmentId,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        let o = self.p.organizations.get(org).await?;
        let today = local_date(now, &o.timezone);
        // Whom to tell, read on the pool before the transaction.
        let seen = self.p.training_enrollments.get(org, id).await?;
        let person = self.p.employees.get(org, seen.employee_id).await?;
        let mut recipients: Vec<UserId> = person.user_id.into_iter().collect();
        for u in self.p.training_store.hr_users(org).await? {
            if !recipients.contains(&u) {
                recipients.push(u);
            }
        }
        let mut tx = self.p.tx.begin().await?;
        let e = self
            .p
            .training_enrollments
            .get_for_update(&mut tx, org, id)
            .await?;
        let (EnrollmentStatus::Passed, Some(until)) = (e.status, e.valid_until) else {
            return Ok(false);
        };
        let status = status_on(Some(until), today);
        if status == CertificationStatus::Valid
            || !self
                .p
                .training_store
                .is_latest_pass(&mut tx, org, &e)
                .await?
        {
            return Ok(false);
        }
        if !self
            .p
            .training_store
            .mark_expiry_told(&mut tx, org, id, until)
            .await?
        {
            return Ok(false);
        }
        if status == CertificationStatus::Expired {
            // Past telling: marked, so it is not looked at again.
            tx.commit().await?;
            return Ok(false);
        }
        let Some(cert) = Certification::of(&e, today) else {
            return Ok(false);
        };
        let mut entry = change_entry(
            org,
            None,
            "certification",
            id.0,
            "expiring",
            None,
            Some(&cert),
        );
        entry.changes.push(notify_change(&recipients));
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[async_trait]
impl Job for CertificationExpiryJob {
    fn name(&self) -> &'static str {
        "certifications_expiring"
    }

    fn period(&self) -> Period {
        Period::Hourly
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        // Every organization's today is within a day of UTC's: the window holds every
        // certification expiring within 30 days somewhere (each checked on its own today),
        // and those that expired yesterday somewhere (marked without a word).
        let utc = now.date_naive();
        let (from, to) = (
            utc - Duration::days(1),
            utc + Duration::days(super::certifications::EXPIRING_DAYS + 1),
        );
        let mut told = 0;
        loop {
            let due = self
                .p
                .training_store
                .expiring_candidates(from, to, BATCH)
                .await?;
            let acted = act_on_each("certification expiry told", &due, |org, id| {
                self.tell(org, id, now)
            })
            .await;
            told += acted;
            // A short batch was the last; a full one where nothing could be told would
            // only come back the same.
            if (due.len() as u64) < BATCH || acted == 0 {
                break;
            }
        }
        Ok(if told == 0 {
            String::new()
        } else {
            format!("{told} certifications told expiring")
        })
    }
}
