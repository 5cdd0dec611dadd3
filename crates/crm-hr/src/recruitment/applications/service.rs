//! `/applications`, their moves, history and hire, and the recruitment report.

use super::model::{
    Application, ApplicationId, ApplicationInput, ApplicationPatch, ApplicationStage,
    COVER_LETTER_MAX, Hire, HireInput, MoveInput, REASON_MAX, SOURCE_MAX, StageMove, check_move,
    closed, hire_required, initial_stage, seconds_between, split_name,
};
use crate::employees::{EmployeeService, NewEmployee};
use crate::ports::HrPorts;
use crate::recruitment::common::rating;
use crate::recruitment::postings::{self, JobPosting, JobPostingId, PostingStatus};
use crate::recruitment::report::{RecruitmentReport, report_of};
use crate::requirements::{ApplicationsDelete, ApplicationsRead, ApplicationsWrite};
use chrono::{DateTime, Utc};
use crm_domain::activity::{FieldChange, audit};
use crm_domain::kernel::input::{Errors, clearable, not_found, text};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::records::{Crud, Record as _, get_all, list_all};
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::optional_text;
use crm_domain::{Actor, DomainError, StoreError, Txn, ValueError};

fn source(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "source", SOURCE_MAX, false)
}

fn cover_letter(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "cover_letter", COVER_LETTER_MAX, true)
}

fn reason(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "reason", REASON_MAX, true)
}

fn not_open(status: PostingStatus) -> DomainError {
    DomainError::conflict(
        "job-posting-not-open",
        format!("the job posting is {status}: only an open posting takes applications"),
    )
}

fn exists(existing: Option<ApplicationId>) -> DomainError {
    DomainError::Conflict {
        code: "application-exists",
        message: "the candidate already applied to this posting".into(),
        existing_id: existing.map(|a| a.0),
    }
}

/// Applications: CRUD, moves through the pipeline with their history, the hire.
#[derive(Clone)]
pub struct ApplicationService {
    p: HrPorts,
    employees: EmployeeService,
}

impl ApplicationService {
    pub fn new(ports: HrPorts) -> Self {
        Self {
            employees: EmployeeService::new(ports.clone()),
            p: ports,
        }
    }

    fn crud(&self) -> Crud<'_, Application> {
        Crud::new(&*self.p.tx, &*self.p.applications, &*self.p.activities)
    }

    /// Needs `applications:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Application>, DomainError> {
        list_all::<ApplicationsRead, _>(&*self.p.applications, actor, query).await
    }

    /// Needs `applications:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: ApplicationId) -> Result<Application, DomainError> {
        get_all::<ApplicationsRead, _>(&*self.p.applications, actor, id).await
    }

    /// Needs `applications:write`. The candidate of the organization (`422`), the posting of
    /// the organization (`422`) and `open` (`409 job-posting-not-open`, read under the
    /// posting's lock, so a hire closing it meanwhile is seen); one application per candidate
    /// and posting (`409 application-exists` with `existing_id`, from the unique key). Its
    /// history starts with the stage it is created in.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: ApplicationInput,
    ) -> Result<Application, DomainError> {
        require_all::<ApplicationsWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let now = self.p.now();
        let application = Application {
            id: ApplicationId::new(),
            organization_id: org,
            job_posting_id: input.job_posting_id,
            candidate_id: input.candidate_id,
            stage: errors.value("stage", initial_stage(input.stage)),
            rating: errors.value("rating", input.rating.map(rating).transpose()),
            source: errors.value("source", source(input.source.as_deref())),
            cover_letter: errors.value("cover_letter", cover_letter(input.cover_letter.as_deref())),
            rejection_reason: None,
            stage_changed_at: now,
            employee_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let candidate = self.p.candidates.get(org, input.candidate_id).await;
        errors.reference("candidate_id", "candidate", candidate)?;
        let mut tx = self.p.tx.begin().await?;
        let posting = match self
            .p
            .job_postings
            .get_for_update(&mut tx, org, input.job_posting_id)
            .await
        {
            Ok(p) => Some(p),
            Err(StoreError::NotFound) => {
                errors.push(not_found("job_posting_id", "job posting"));
                None
            }
            Err(e) => return Err(e.into()),
        };
        errors.finish()?;
        if let Some(p) = &posting
            && p.status != PostingStatus::Open
        {
            return Err(not_open(p.status));
        }
        if let Err(e) = self.p.applications.create(&mut tx, &application).await {
            drop(tx);
            return Err(match e {
                StoreError::Conflict { .. } => {
                    let existing = self
                        .p
                        .application_store
                        .find(org, application.job_posting_id, application.candidate_id)
                        .await
                        .ok()
                        .flatten();
                    exists(existing)
                }
                e => e.into(),
            });
        }
        let first = StageMove::new(
            &application,
            None,
            application.stage,
            actor.user_id,
            now,
            None,
        );
        self.p
            .application_store
            .enter_stage(&mut tx, &first)
            .await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &application))
            .await?;
        tx.commit().await?;
        Ok(application)
    }

    /// Needs `applications:write`. `412` on a stale `If-Match`; `422` per bad field.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: ApplicationId,
        expected_version: Option<i64>,
        patch: ApplicationPatch,
    ) -> Result<Application, DomainError> {
        require_all::<ApplicationsWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let p = &patch;
        let mut errors = Errors::new();
        let mut next = current.clone();
        errors.patch("rating", &mut next.rating, clearable(p.rating, rating));
        errors.patch("source", &mut next.source, text(&p.source, source));
        errors.patch(
            "cover_letter",
            &mut next.cover_letter,
            text(&p.cover_letter, cover_letter),
        );
        errors.patch(
            "rejection_reason",
            &mut next.rejection_reason,
            text(&p.rejection_reason, |r| {
                optional_text(r, "rejection_reason", REASON_MAX, true)
            }),
        );
        errors.finish()?;
        self.crud()
            .save(actor, tx, current, next, self.p.now())
            .await
    }

    /// Needs `applications:delete`. A hired application stays (`409 application-hired`: it
    /// is the record of how its employee came); its history, interviews and offers go with
    /// it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: ApplicationId) -> Result<(), DomainError> {
        require_all::<ApplicationsDelete>(actor)?;
        self.crud()
            .delete(actor, id, |a| {
                if a.stage == ApplicationStage::Hired {
                    Err(DomainError::conflict(
                        "application-hired",
                        "a hired application is kept: it records how its employee was hired",
                    ))
                } else {
                    Ok(a)
                }
            })
            .await
    }

    /// Needs `applications:read`: every stage the application entered, oldest first (its
    /// creation is the first entry).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn history(
        &self,
        actor: &Actor,
        id: ApplicationId,
    ) -> Result<Vec<StageMove>, DomainError> {
        let a = self.get(actor, id).await?;
        Ok(self
            .p
            .application_store
            .history(a.organization_id, a.id)
            .await?)
    }

    /// Closes the history row of the stage `current` is in and opens the one of `to`, at
    /// `now`, in `tx` (the caller holds the application's lock).
    async fn record_move(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        current: &Application,
        to: ApplicationStage,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let org = current.organization_id;
        let store = &self.p.application_store;
        if let Some(open) = store.current_stage(tx, org, current.id).await? {
            let seconds = seconds_between(open.moved_at, now);
            store.leave_stage(tx, org, open.id, now, seconds).await?;
        }
        let entry = StageMove::new(current, Some(current.stage), to, actor.user_id, now, reason);
        store.enter_stage(tx, &entry).await?;
        Ok(())
    }

    /// Needs `applications:write`. Moves the application to `stage` with its history entry
    /// (event `application.stage_changed`); a move to the stage it is in changes nothing.
    /// `422 stage` for `hired` (a hire goes through [`Self::hire`]); `409 application-closed`
    /// from a final stage; `412` on a stale `If-Match`. Moving to `rejected`, the reason
    /// becomes the `rejection_reason`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn move_to(
        &self,
        actor: &Actor,
        id: ApplicationId,
        expected_version: Option<i64>,
        input: MoveInput,
    ) -> Result<Application, DomainError> {
        require_all::<ApplicationsWrite>(actor)?;
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut errors = Errors::new();
        let reason = errors.value("reason", reason(input.reason.as_deref()));
        if input.stage == ApplicationStage::Hired {
            errors.push(hire_required());
        }
        errors.finish()?;
        if !check_move(current.stage, input.stage)? {
            return Ok(current);
        }
        let now = self.p.now();
        self.record_move(&mut tx, actor, &current, input.stage, reason.clone(), now)
            .await?;
        let mut next = Application {
            stage: input.stage,
            stage_changed_at: now,
            ..current.clone()
        };
        if input.stage == ApplicationStage::Rejected && reason.is_some() {
            next.rejection_reason = reason;
        }
        let next = next.touched(now);
        self.crud()
            .change(actor, tx, "stage_changed", &current, next, None)
            .await
    }

    /// Needs `applications:write` and `employees:write`. In one transaction: the employee
    /// made from the candidate (name split at its last word, email and phone as they are;
    /// department and designation as sent or the posting's; employment type the posting's;
    /// numbered `EMP-NNNN` from the counter, taken first), the application `hired` with its
    /// history entry and the employee's id, the event `employee.hired`, and the posting closed
    /// when its hires reach its `openings`. `422` per bad field (the employee's checks, with
    /// their field names); `409 application-closed` from a final stage; `409
    /// job-posting-filled` when the posting's hires already reached its openings; `412` on a
    /// stale `If-Match`. Any failure leaves nothing behind (the number is given back too).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn hire(
        &self,
        actor: &Actor,
        id: ApplicationId,
        expected_version: Option<i64>,
        input: HireInput,
    ) -> Result<Hire, DomainError> {
        require_all::<ApplicationsWrite>(actor)?;
        require_all::<crate::requirements::EmployeesWrite>(actor)?;
        let org = actor.organization_id;
        // What the employee is made of is read and checked on the pool, before the
        // numbering transaction opens (`EmployeeService::prepare`).
        let seen = self.p.applications.get(org, id).await?;
        let posting = self.p.job_postings.get(org, seen.job_posting_id).await?;
        let candidate = self.p.candidates.get(org, seen.candidate_id).await?;
        let (first_name, last_name) = split_name(&candidate.name);
        let new = NewEmployee {
            user_id: None,
            first_name,
            last_name,
            email: Some(candidate.email.as_str().to_string()),
            phone: candidate.phone.clone(),
            department_id: input.department_id.or(posting.department_id),
            designation_id: input.designation_id.or(posting.designation_id),
            manager_id: None,
            hire_date: input.hire_date.clone(),
            employment_type: Some(posting.employment_type),
            work_schedule_id: None,
            date_of_birth: None,
            address: None,
            emergency_contact: None,
        };
        let prepared = self.employees.prepare(actor, new).await?;
        let (mut tx, number) = self.employees.begin_numbered(org).await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        if current.stage.is_final() {
            return Err(closed(current.stage));
        }
        let posting = self
            .p
            .job_postings
            .get_for_update(&mut tx, org, current.job_posting_id)
            .await?;
        let hires = self
            .p
            .application_store
            .hires(&mut tx, org, posting.id)
            .await?;
        if hires >= posting.openings {
            return Err(DomainError::conflict(
                "job-posting-filled",
                format!("the posting's {} opening(s) are filled", posting.openings),
            ));
        }
        let employee = self
            .employees
            .insert(&mut tx, actor, prepared, number)
            .await?;
        let now = self.p.now();
        self.record_move(&mut tx, actor, &current, ApplicationStage::Hired, None, now)
            .await?;
        let next = Application {
            stage: ApplicationStage::Hired,
            stage_changed_at: now,
            employee_id: Some(employee.id),
            ..current.clone()
        }
        .touched(now);
        self.p
            .applications
            .update(&mut tx, &next, current.version)
            .await?;
        self.p
            .activities
            .record(&mut tx, audit::changed(actor, "hired", &current, &next))
            .await?;
        let mut hired = audit::changed(actor, "hired", &employee, &employee);
        hired.changes.push(FieldChange {
            field: "application_id".into(),
            before: serde_json::Value::Null,
            after: serde_json::json!(next.id),
        });
        self.p.activities.record(&mut tx, hired).await?;
        if hires + 1 >= posting.openings && posting.status != PostingStatus::Closed {
            self.close_posting(&mut tx, actor, &posting, now).await?;
        }
        tx.commit().await?;
        Ok(Hire {
            application: next,
            employee,
        })
    }

    /// Closes a filled posting (event `job_posting.closed`) in `tx`.
    async fn close_posting(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        posting: &JobPosting,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let closed = postings::closed(posting, now);
        self.p
            .job_postings
            .update(tx, &closed, posting.version)
            .await?;
        self.p
            .activities
            .record(tx, audit::changed(actor, "closed", posting, &closed))
            .await?;
        Ok(())
    }

    /// Needs `applications:read`: per stage in pipeline order, the applications that reached
    /// it and their mean days in it (see [`crate::recruitment::report`]), of one posting or
    /// of all.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn report(
        &self,
        actor: &Actor,
        posting: Option<JobPostingId>,
    ) -> Result<RecruitmentReport, DomainError> {
        require_all::<ApplicationsRead>(actor)?;
        let totals = self
            .p
            .application_store
            .stage_totals(actor.organization_id, posting)
            .await?;
        Ok(report_of(&totals))
    }
}
