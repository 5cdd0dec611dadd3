//! `/interviews` and their feedback.

use super::model::{
    Feedback, FeedbackId, FeedbackInput, Interview, InterviewId, InterviewInput, InterviewPatch,
    InterviewStatus, LOCATION_MAX, NOTES_MAX, ROUND_MAX, check_times, interviewers,
};
use crate::ports::HrPorts;
use crate::recruitment::applications::{ApplicationId, closed};
use crate::recruitment::common::{instant, int_in, rating};
use crate::requirements::{InterviewsDelete, InterviewsRead, InterviewsWrite};
use crm_domain::activity::{FieldChange, NewActivity, audit};
use crm_domain::kernel::input::{Errors, not_found, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, Record as _};
use crm_domain::kernel::scope::{owner_filter, require, require_all};
use crm_domain::kernel::text::optional_text;
use crm_domain::{Actor, DomainError, OrganizationId, Scope, StoreError, Txn, UserId, ValueError};

fn location(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "location", LOCATION_MAX, false)
}

fn round(v: i64) -> Result<i64, ValueError> {
    int_in(v, 1, ROUND_MAX)
}

/// Whether the caller reaches `interview` with `scope`: all interviews, or (`:own`) those
/// they are an interviewer of.
fn reaches(actor: &Actor, scope: Scope, interview: &Interview) -> bool {
    scope == Scope::All || interview.interviewer_ids.contains(&actor.user_id)
}

fn in_scope(actor: &Actor, scope: Scope, interview: Interview) -> Result<Interview, DomainError> {
    if reaches(actor, scope, &interview) {
        Ok(interview)
    } else {
        Err(DomainError::NotFound)
    }
}

/// The users an interview entry tells of their interview (`notify_ids` of its `scheduled`
/// entry): the rule of the `interview.scheduled` notification.
pub fn scheduled_for(entry: &NewActivity) -> Vec<UserId> {
    if entry.entity_type != "interview" || entry.event_verb.unwrap_or(entry.action) != "scheduled" {
        return Vec::new();
    }
    entry
        .data
        .as_ref()
        .and_then(|d| d.get("notify_ids"))
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .filter_map(|s| uuid::Uuid::parse_str(s).ok())
        .map(UserId)
        .collect()
}

/// The `scheduled` entry (event `interview.scheduled`) telling `notify` of `interview`;
/// `None` when nobody is to be told.
fn scheduled_entry(actor: &Actor, interview: &Interview, notify: &[UserId]) -> Option<NewActivity> {
    if notify.is_empty() || interview.status != InterviewStatus::Scheduled {
        return None;
    }
    let mut e = audit::changed(actor, "scheduled", interview, interview);
    if let Some(d) = e.data.as_mut().and_then(|d| d.as_object_mut()) {
        d.insert("notify_ids".into(), serde_json::json!(notify));
    }
    Some(e)
}

/// Who a change of `before` into `after` tells: everyone when it (re)becomes scheduled or
/// moves in time, else the interviewers it added; nobody unless it is scheduled.
fn to_notify(before: &Interview, after: &Interview) -> Vec<UserId> {
    if after.status != InterviewStatus::Scheduled {
        return Vec::new();
    }
    let rescheduled = before.status != InterviewStatus::Scheduled
        || before.starts_at != after.starts_at
        || before.ends_at != after.ends_at;
    after
        .interviewer_ids
        .iter()
        .filter(|u| rescheduled || !before.interviewer_ids.contains(u))
        .copied()
        .collect()
}

fn busy(other: InterviewId, user: UserId) -> DomainError {
    DomainError::Conflict {
        code: "interviewer-busy",
        message: format!("interviewer {user} is in another scheduled interview at that time"),
        existing_id: Some(other.0),
    }
}

/// Interviews: CRUD with the double-booking rule, notifications to interviewers, feedback.
#[derive(Clone)]
pub struct InterviewService {
    p: HrPorts,
}

impl InterviewService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    fn crud(&self) -> Crud<'_, Interview> {
        Crud::new(&*self.p.tx, &*self.p.interviews, &*self.p.activities)
    }

    /// Needs `interviews:read`; under `:own` the interviews the caller is an interviewer of.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Interview>, DomainError> {
        let interviewer = owner_filter(actor, require::<InterviewsRead>(actor)?);
        Ok(self
            .p
            .interviews
            .list(actor.organization_id, query, interviewer)
            .await?)
    }

    /// Needs `interviews:read`; `404` when missing, of another organization or (under
    /// `:own`) not the caller's to attend.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: InterviewId) -> Result<Interview, DomainError> {
        let scope = require::<InterviewsRead>(actor)?;
        in_scope(
            actor,
            scope,
            self.p.interviews.get(actor.organization_id, id).await?,
        )
    }

    /// `422 not_found` on `interviewer_ids` unless every one is a user of `org`.
    async fn check_interviewers(
        &self,
        org: OrganizationId,
        ids: &[UserId],
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if ids.is_empty() {
            return Ok(());
        }
        let found = self.p.interview_store.users_of(org, ids).await?;
        if let Some(u) = ids.iter().find(|u| !found.contains(u)) {
            errors.add(
                "interviewer_ids",
                "not_found",
                format!("{u} is not a user of the organization"),
            );
        }
        Ok(())
    }

    /// `409 interviewer-busy` (naming the other interview) when one of the interviewers of
    /// `interview`, scheduled, is in another scheduled interview that overlaps it: read in
    /// `tx` after locking the interviewers' user rows, so two bookings of one person are
    /// checked one after the other.
    async fn check_free(&self, tx: &mut Txn, interview: &Interview) -> Result<(), DomainError> {
        if interview.status != InterviewStatus::Scheduled || interview.interviewer_ids.is_empty() {
            return Ok(());
        }
        let org = interview.organization_id;
        let mut users = interview.interviewer_ids.clone();
        users.sort();
        let store = &self.p.interview_store;
        store.lock_users(tx, org, &users).await?;
        match store
            .overlapping(
                tx,
                org,
                &users,
                interview.starts_at,
                interview.ends_at,
                Some(interview.id),
            )
            .await?
        {
            Some((other, user)) => Err(busy(other, user)),
            None => Ok(()),
        }
    }

    /// Needs `interviews:write`. The application of the organization (`422`) and not in a
    /// final stage (`409 application-closed`, read under its lock); `ends_at` after
    /// `starts_at` (`422`); interviewers users of the organization (`422`), none booked in
    /// another scheduled interview that overlaps (`409 interviewer-busy` with
    /// `existing_id`). Each interviewer of a scheduled interview is notified
    /// (`interview.scheduled`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: InterviewInput,
    ) -> Result<Interview, DomainError> {
        require_all::<InterviewsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let now = self.p.now();
        let starts_at = errors.take("starts_at", instant(&input.starts_at));
        let ends_at = errors.take("ends_at", instant(&input.ends_at));
        if let (Some(s), Some(e)) = (starts_at, ends_at) {
            errors.take("ends_at", check_times(s, e));
        }
        let interview = Interview {
            id: InterviewId::new(),
            organization_id: org,
            application_id: input.application_id,
            round: errors.value("round", round(input.round.unwrap_or(1))),
            starts_at: starts_at.unwrap_or(now),
            ends_at: ends_at.unwrap_or(now),
            mode: input.mode,
            location: errors.value("location", location(input.location.as_deref())),
            interviewer_ids: errors.value("interviewer_ids", interviewers(&input.interviewer_ids)),
            status: input.status.unwrap_or(InterviewStatus::Scheduled),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.check_interviewers(org, &interview.interviewer_ids, &mut errors)
            .await?;
        let mut tx = self.p.tx.begin().await?;
        let application = self
            .application_in_tx(&mut tx, org, input.application_id, &mut errors)
            .await?;
        errors.finish()?;
        if let Some(stage) = application.filter(|s| s.is_final()) {
            return Err(closed(stage));
        }
        self.check_free(&mut tx, &interview).await?;
        self.p.interviews.create(&mut tx, &interview).await?;
        self.p
            .interview_store
            .set_interviewers(&mut tx, org, interview.id, &interview.interviewer_ids)
            .await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &interview))
            .await?;
        if let Some(e) = scheduled_entry(actor, &interview, &interview.interviewer_ids) {
            self.p.activities.record(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(interview)
    }

    /// The stage of the application `id`, read and locked in `tx`; `None` after filing
    /// `422 not_found` on `application_id` when it is not one of `org`.
    async fn application_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: ApplicationId,
        errors: &mut Errors,
    ) -> Result<Option<crate::recruitment::applications::ApplicationStage>, DomainError> {
        match self.p.applications.get_for_update(tx, org, id).await {
            Ok(a) => Ok(Some(a.stage)),
            Err(StoreError::NotFound) => {
                errors.push(not_found("application_id", "application"));
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Needs `interviews:write`. `412` on a stale `If-Match`; `422` per bad field, the times
    /// checked as they will be stored; when the result is scheduled and its time, its
    /// interviewers or its status changed, the double-booking rule of [`Self::create`].
    /// Interviewers are notified of a new or moved interview (added ones of a changed list).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: InterviewId,
        expected_version: Option<i64>,
        patch: InterviewPatch,
    ) -> Result<Interview, DomainError> {
        require_all::<InterviewsWrite>(actor)?;
        let org = actor.organization_id;
        let p = &patch;
        let mut errors = Errors::new();
        let new_interviewers = match &p.interviewer_ids {
            Some(ids) => errors.take("interviewer_ids", interviewers(ids)),
            None => None,
        };
        if let Some(ids) = &new_interviewers {
            self.check_interviewers(org, ids, &mut errors).await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut next = current.clone();
        errors.patch("round", &mut next.round, p.round.map(round));
        errors.patch(
            "starts_at",
            &mut next.starts_at,
            p.starts_at.as_deref().map(instant),
        );
        errors.patch(
            "ends_at",
            &mut next.ends_at,
            p.ends_at.as_deref().map(instant),
        );
        errors.patch("location", &mut next.location, text(&p.location, location));
        if let Some(ids) = new_interviewers {
            next.interviewer_ids = ids;
        }
        if let Some(m) = p.mode {
            next.mode = m;
        }
        if let Some(s) = p.status {
            next.status = s;
        }
        if errors.is_empty() {
            errors.take("ends_at", check_times(next.starts_at, next.ends_at));
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let books_anew = next.starts_at != current.starts_at
            || next.ends_at != current.ends_at
            || next.status != current.status
            || next.interviewer_ids != current.interviewer_ids;
        if books_anew {
            self.check_free(&mut tx, &next).await?;
        }
        let next = next.touched(self.p.now());
        self.p
            .interviews
            .update(&mut tx, &next, current.version)
            .await?;
        if next.interviewer_ids != current.interviewer_ids {
            self.p
                .interview_store
                .set_interviewers(&mut tx, org, id, &next.interviewer_ids)
                .await?;
        }
        self.p
            .activities
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        if let Some(e) = scheduled_entry(actor, &next, &to_notify(&current, &next)) {
            self.p.activities.record(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `interviews:delete`; its feedback goes with it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: InterviewId) -> Result<(), DomainError> {
        require_all::<InterviewsDelete>(actor)?;
        self.crud().delete(actor, id, Ok).await
    }

    /// The interview `id` as the target of the caller's feedback: `404` as for
    /// [`Self::get`], `403 not-an-interviewer` unless the caller is one of its interviewers
    /// (what a route checks before it reads the body).
    pub async fn feedback_target(
        &self,
        actor: &Actor,
        id: InterviewId,
    ) -> Result<Interview, DomainError> {
        let interview = self.get(actor, id).await?;
        if !interview.interviewer_ids.contains(&actor.user_id) {
            return Err(DomainError::Forbidden {
                code: "not-an-interviewer",
                message: "only a listed interviewer gives feedback on an interview".into(),
            });
        }
        Ok(interview)
    }

    /// Needs `interviews:read` (or `:own`) and to be one of the interviewers (`403`); once
    /// per interviewer (`409 feedback-given`, a unique key); a cancelled interview takes none
    /// (`409 interview-cancelled`). Event `interview.feedback_added`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn add_feedback(
        &self,
        actor: &Actor,
        id: InterviewId,
        input: FeedbackInput,
    ) -> Result<Feedback, DomainError> {
        let interview = self.feedback_target(actor, id).await?;
        let mut errors = Errors::new();
        let feedback = Feedback {
            id: FeedbackId::new(),
            organization_id: actor.organization_id,
            interview_id: id,
            interviewer_id: actor.user_id,
            rating: errors.value("rating", rating(input.rating)),
            recommendation: input.recommendation,
            notes: errors.value(
                "notes",
                optional_text(input.notes.as_deref(), "notes", NOTES_MAX, true),
            ),
            created_at: self.p.now(),
        };
        errors.finish()?;
        if interview.status == InterviewStatus::Cancelled {
            return Err(DomainError::conflict(
                "interview-cancelled",
                "a cancelled interview takes no feedback",
            ));
        }
        let mut tx = self.p.tx.begin().await?;
        self.p
            .interview_store
            .add_feedback(&mut tx, actor.organization_id, &feedback)
            .await
            .map_err(DomainError::from)
            .map_err(crm_domain::kernel::records::conflict(
                "feedback-given",
                "you already gave your feedback on this interview",
            ))?;
        let mut entry = audit::changed(actor, "feedback_added", &interview, &interview);
        entry.changes.push(FieldChange {
            field: "feedback".into(),
            before: serde_json::Value::Null,
            after: serde_json::to_value(&feedback).unwrap_or_default(),
        });
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(feedback)
    }

    /// Needs `interviews:read` on the interview (an interviewer under `:own`): its feedback,
    /// oldest first.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn feedback(
        &self,
        actor: &Actor,
        id: InterviewId,
    ) -> Result<Vec<Feedback>, DomainError> {
        let interview = self.get(actor, id).await?;
        Ok(self
            .p
            .interview_store
            .feedback(actor.organization_id, interview.id)
            .await?)
    }
}
