//! Recruitment (contract section 8): job postings, candidates, applications with their stage
//! history, interviews with their interviewers and feedback, offers.
//!
//! - A candidate's `email` is stored normalised (trimmed, lower case, as every address of
//!   crm), and `(organization_id, email)` is unique: the same address in any case is one
//!   candidate per organization on every backend, and the service learns of a duplicate from
//!   its own insert (`409` with `existing_id`, the winner read only on that losing path).
//! - One application per candidate and posting: `(organization_id, job_posting_id,
//!   candidate_id)` is unique. Applications restrict the deletion of their posting and of
//!   their candidate (`409`); their history, interviews (with interviewers and feedback) and
//!   offers go with them. `employee_id` (the employee a hire made) is set to NULL when that
//!   employee is deleted.
//! - `application_stages` is the stage history: one row per stage an application entered
//!   (the create is the first, `from_stage` NULL). The row of the stage it is in has
//!   `left_at` NULL; a move closes it (`left_at`, `seconds_in`, the time spent in the stage,
//!   computed from the stored `moved_at`) and inserts the next, in the move's transaction,
//!   under the application's lock. The report sums `seconds_in` per `to_stage` in SQL, so no
//!   backend's date arithmetic is involved. `job_posting_id` is copied from the application
//!   (which never changes posting) so the report filters by index.
//! - `interview_interviewers` holds each interview's interviewers (also in
//!   `interviews.interviewer_ids`, the record as read, written in the same transaction): what
//!   `interviews:read:own` narrows by and what the double-booking check reads.
//! - `interview_feedback` is unique per `(interview_id, interviewer_id)`: once each, also
//!   when two submissions race.
//! - References to departments, designations, users and files are set to NULL when the
//!   record they name goes (those modules delete without knowing of postings or candidates).

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTINGS: &str = "job_postings";
const CANDIDATES: &str = "candidates";
const APPLICATIONS: &str = "applications";
const STAGES: &str = "application_stages";
const INTERVIEWS: &str = "interviews";
const INTERVIEWERS: &str = "interview_interviewers";
const FEEDBACK: &str = "interview_feedback";
const OFFERS: &str = "offers";

/// `(table, index, columns, unique)`: each list's filters and sorts, starting with
/// `organization_id`.
const INDEXES: &[(&str, &str, &[&str], bool)] = &[
    (POSTINGS, "ix_job_postings_created", &["organization_id", "created_at", "id"], false),
    (POSTINGS, "ix_job_postings_updated", &["organization_id", "updated_at", "id"], false),
    (POSTINGS, "ix_job_postings_title", &["organization_id", "title", "id"], false),
    (POSTINGS, "ix_job_postings_status", &["organization_id", "status", "id"], false),
    (POSTINGS, "ix_job_postings_openings", &["organization_id", "openings", "id"], false),
    (POSTINGS, "ix_job_postings_department", &["organization_id", "department_id", "created_at"], false),
    (CANDIDATES, "ux_candidates_email", &["organization_id", "email"], true),
    (CANDIDATES, "ix_candidates_created", &["organization_id", "created_at", "id"], false),
    (CANDIDATES, "ix_candidates_updated", &["organization_id", "updated_at", "id"], false),
    (CANDIDATES, "ix_candidates_name", &["organization_id", "name", "id"], false),
    (APPLICATIONS, "ux_applications_candidate", &["organization_id", "job_posting_id", "candidate_id"], true),
    (APPLICATIONS, "ix_applications_created", &["organization_id", "created_at", "id"], false),
    (APPLICATIONS, "ix_applications_updated", &["organization_id", "updated_at", "id"], false),
    (APPLICATIONS, "ix_applications_stage", &["organization_id", "stage", "id"], false),
    (APPLICATIONS, "ix_applications_stage_changed", &["organization_id", "stage_changed_at", "id"], false),
    (APPLICATIONS, "ix_applications_candidate", &["organization_id", "candidate_id", "created_at"], false),
    (APPLICATIONS, "ix_applications_hires", &["job_posting_id", "stage"], false),
    (STAGES, "ix_application_stages_application", &["application_id", "moved_at"], false),
    (STAGES, "ix_application_stages_report", &["organization_id", "job_posting_id", "to_stage"], false),
    (INTERVIEWS, "ix_interviews_created", &["organization_id", "created_at", "id"], false),
    (INTERVIEWS, "ix_interviews_updated", &["organization_id", "updated_at", "id"], false),
    (INTERVIEWS, "ix_interviews_starts", &["organization_id", "starts_at", "id"], false),
    (INTERVIEWS, "ix_interviews_status", &["organization_id", "status", "id"], false),
    (INTERVIEWS, "ix_interviews_application", &["organization_id", "application_id", "starts_at"], false),
    (INTERVIEWERS, "ix_interview_interviewers_user", &["organization_id", "user_id", "interview_id"], false),
    (FEEDBACK, "ux_interview_feedback_once", &["interview_id", "interviewer_id"], true),
    (OFFERS, "ix_offers_created", &["organization_id", "created_at", "id"], false),
    (OFFERS, "ix_offers_updated", &["organization_id", "updated_at", "id"], false),
    (OFFERS, "ix_offers_status", &["organization_id", "status", "id"], false),
    (OFFERS, "ix_offers_salary", &["organization_id", "salary_amount", "id"], false),
    (OFFERS, "ix_offers_application", &["organization_id", "application_id", "created_at"], false),
];

/// Sort fields that may be NULL: `(table, index, field)`.
const NULLABLE_SORTS: &[(&str, &str, &str)] = &[
    (POSTINGS, "ix_job_postings_closes_on", "closes_on"),
    (POSTINGS, "ix_job_postings_salary_min", "salary_min"),
    (POSTINGS, "ix_job_postings_salary_max", "salary_max"),
    (APPLICATIONS, "ix_applications_rating", "rating"),
    (OFFERS, "ix_offers_start_date", "start_date"),
    (OFFERS, "ix_offers_expires_on", "expires_on"),
];

fn set_null_fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    let mut fk = cascade_fk(table, column, parent);
    fk.on_delete(ForeignKeyAction::SetNull);
    fk
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            resource_table(b, POSTINGS)
                .col(string("title", 200))
                .col(uuid_null("department_id"))
                .col(uuid_null("designation_id"))
                .col(string_null("location", 200))
                .col(string("employment_type", 16))
                .col(big("openings"))
                .col(text_null("description"))
                .col(string("status", 16))
                .col(date_null("closes_on"))
                .col(big_null("salary_min"))
                .col(big_null("salary_max"))
                .col(string_null("salary_currency", 3))
                .col(uuid_null("hiring_manager_id"))
                .foreign_key(&mut set_null_fk(POSTINGS, "department_id", "departments"))
                .foreign_key(&mut set_null_fk(POSTINGS, "designation_id", "designations"))
                .foreign_key(&mut set_null_fk(POSTINGS, "hiring_manager_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, CANDIDATES)
                .col(string("name", 200))
                .col(string("email", 254))
                .col(string_null("phone", 50))
                .col(string_null("source", 100))
                .col(uuid_null("resume_file_id"))
                .col(text_null("notes"))
                .col(json("tags"))
                .foreign_key(&mut set_null_fk(CANDIDATES, "resume_file_id", "files"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, APPLICATIONS)
                .col(uuid("job_posting_id"))
                .col(uuid("candidate_id"))
                .col(string("stage", 16))
                .col(big_null("rating"))
                .col(string_null("source", 100))
                .col(text_null("cover_letter"))
                .col(text_null("rejection_reason"))
                .col(ts(b, "stage_changed_at"))
                .col(uuid_null("employee_id"))
                .foreign_key(&mut restrict_fk(APPLICATIONS, "job_posting_id", POSTINGS))
                .foreign_key(&mut restrict_fk(APPLICATIONS, "candidate_id", CANDIDATES))
                .foreign_key(&mut set_null_fk(APPLICATIONS, "employee_id", "employees"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(STAGES)
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("application_id"))
                .col(uuid("job_posting_id"))
                .col(string_null("from_stage", 16))
                .col(string("to_stage", 16))
                .col(uuid_null("moved_by"))
                .col(ts(b, "moved_at"))
                .col(text_null("reason"))
                .col(ts_null(b, "left_at"))
                .col(big_null("seconds_in"))
                .foreign_key(&mut org_fk(STAGES))
                .foreign_key(&mut cascade_fk(STAGES, "application_id", APPLICATIONS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, INTERVIEWS)
                .col(uuid("application_id"))
                .col(big("round"))
                .col(ts(b, "starts_at"))
                .col(ts(b, "ends_at"))
                .col(string("mode", 16))
                .col(string_null("location", 500))
                .col(json("interviewer_ids"))
                .col(string("status", 16))
                .foreign_key(&mut cascade_fk(INTERVIEWS, "application_id", APPLICATIONS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(INTERVIEWERS)
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("interview_id"))
                .col(uuid("user_id"))
                .primary_key(Index::create().col("interview_id").col("user_id"))
                .foreign_key(&mut org_fk(INTERVIEWERS))
                .foreign_key(&mut cascade_fk(INTERVIEWERS, "interview_id", INTERVIEWS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(FEEDBACK)
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("interview_id"))
                .col(uuid("interviewer_id"))
                .col(big("rating"))
                .col(string("recommendation", 16))
                .col(text_null("notes"))
                .col(ts(b, "created_at"))
                .foreign_key(&mut org_fk(FEEDBACK))
                .foreign_key(&mut cascade_fk(FEEDBACK, "interview_id", INTERVIEWS))
                .to_owned(),
        )
        .await?;
        m.create_table(
            resource_table(b, OFFERS)
                .col(uuid("application_id"))
                .col(big("salary_amount"))
                .col(string("salary_currency", 3))
                .col(date_null("start_date"))
                .col(date_null("expires_on"))
                .col(string("status", 16))
                .col(ts_null(b, "sent_at"))
                .col(ts_null(b, "decided_at"))
                .foreign_key(&mut cascade_fk(OFFERS, "application_id", APPLICATIONS))
                .to_owned(),
        )
        .await?;
        for (table, name, cols, unique) in INDEXES {
            index(m, name, table, cols, *unique).await?;
        }
        for (table, name, field) in NULLABLE_SORTS {
            nullable_sort_index(m, name, table, field).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OFFERS,
            FEEDBACK,
            INTERVIEWERS,
            INTERVIEWS,
            STAGES,
            APPLICATIONS,
            CANDIDATES,
            POSTINGS,
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
