//! `/candidates`: people who apply. The email is unique per organization whatever its case:
//! it is stored normalised (trimmed, lower case) under a unique key, and a duplicate is
//! learnt from the write itself (`409 candidate-duplicate` with `existing_id`).

use super::common::tags;
use crate::ports::HrPorts;
use crate::requirements::{CandidatesDelete, CandidatesRead, CandidatesWrite};
use chrono::{DateTime, Utc};
use crm_domain::activity::audit;
use crm_domain::files::FileId;
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::input::{Errors, text};
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crm_domain::kernel::rules::nullable;
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::text::{optional_text, phone, required_text};
use crm_domain::{Actor, DomainError, OrganizationId, StoreError, ValueError};
use serde::{Deserialize, Serialize};

crm_domain::typed_id!(
    /// A candidate.
    CandidateId
);

pub const NAME_MAX: usize = 200;
pub const SOURCE_MAX: usize = 100;
pub const NOTES_MAX: usize = 20_000;

/// A candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "019cd1a0-2000-7b22-8d3e-1a2b3c4d5e6f",
    "organization_id": "019bb138-1000-71a5-8da4-f9fc3c6da5d7",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0000",
    "source": "referral",
    "resume_file_id": null,
    "notes": "Met at RustConf.",
    "tags": ["rust", "senior"],
    "created_at": "2026-03-01T09:00:00.000000Z",
    "updated_at": "2026-03-01T09:00:00.000000Z",
    "version": 1
})))]
pub struct Candidate {
    pub id: CandidateId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// Stored trimmed and in lower case; unique per organization.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub email: EmailAddress,
    pub phone: Option<String>,
    /// Where the candidate came from (`referral`, `job board`, …).
    pub source: Option<String>,
    /// A file of the organization (upload it with `POST /files`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub resume_file_id: Option<FileId>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

crm_domain::record!(Candidate, CandidateId, "candidate", scope: ());

const CANDIDATE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp).sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text)
        .filter()
        .sort()
        .doc("The address in lower case, as stored"),
    FieldSpec::new("source", FieldKind::Text)
        .filter()
        .sort()
        .nullable(),
];

/// `GET /candidates`: newest first; filters `email`, `source`; `q` searches the name, the
/// email, the phone and the notes.
pub const CANDIDATE_LIST_SPEC: ListSpec = ListSpec {
    fields: CANDIDATE_FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /candidates`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "phone": "+44 20 7946 0000",
    "source": "referral",
    "tags": ["rust", "senior"]
})))]
pub struct CandidateInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line::<{ NAME_MAX }>))]
    pub name: String,
    /// Unique per organization, whatever its case (`409` with `existing_id`).
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub resume_file_id: Option<FileId>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::tags))]
    pub tags: Vec<String>,
}

/// `PATCH /candidates/{id}`: only the fields present change; `null` clears what may be
/// empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"tags": ["rust", "senior", "remote"]})))]
pub struct CandidatePatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::line_or_null::<{ NAME_MAX }>))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::email_or_null))]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_phone))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_line::<{ SOURCE_MAX }>))]
    pub source: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub resume_file_id: Option<Option<FileId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::opt_text::<{ NOTES_MAX }>))]
    pub notes: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crm_domain::kernel::openapi::tags_or_null))]
    pub tags: Option<Vec<String>>,
}

fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", NAME_MAX)
}

fn email(raw: &str) -> Result<EmailAddress, ValueError> {
    EmailAddress::parse(raw)
}

fn source(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "source", SOURCE_MAX, false)
}

fn notes(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    optional_text(raw, "notes", NOTES_MAX, true)
}

fn duplicate(existing: Option<CandidateId>) -> DomainError {
    DomainError::Conflict {
        code: "candidate-duplicate",
        message: "a candidate with this email already exists".into(),
        existing_id: existing.map(|c| c.0),
    }
}

/// Candidates: CRUD with the unique email.
#[derive(Clone)]
pub struct CandidateService {
    p: HrPorts,
}

impl CandidateService {
    pub fn new(ports: HrPorts) -> Self {
        Self { p: ports }
    }

    crm_domain::record_use_cases!(candidates: Candidate, CandidateId,
        read: CandidatesRead, delete: CandidatesDelete,
        in_use: "candidate-in-use", "the candidate has applications: delete those first");

    /// A store conflict on a candidate write can only be the email key (the other writer may
    /// have committed since): answered as the duplicate it is, naming the winner.
    async fn write_error(&self, e: StoreError, c: &Candidate) -> DomainError {
        let StoreError::Conflict { .. } = e else {
            return e.into();
        };
        let existing = self
            .p
            .candidate_store
            .find_by_email(c.organization_id, &c.email, Some(c.id))
            .await
            .ok()
            .flatten();
        duplicate(existing)
    }

    /// Needs `candidates:write`. `422` per bad field (a `resume_file_id` not of the
    /// organization is `not_found`); `409 candidate-duplicate` with `existing_id`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: CandidateInput,
    ) -> Result<Candidate, DomainError> {
        require_all::<CandidatesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let now = self.p.now();
        let c = Candidate {
            id: CandidateId::new(),
            organization_id: org,
            name: errors.value("name", name(&input.name)),
            email: errors.value("email", email(&input.email)),
            phone: errors.value("phone", phone(input.phone.as_deref())),
            source: errors.value("source", source(input.source.as_deref())),
            resume_file_id: input.resume_file_id,
            notes: errors.value("notes", notes(input.notes.as_deref())),
            tags: errors.value("tags", tags(&input.tags)),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.p
            .check_file(org, c.resume_file_id, "resume_file_id", &mut errors)
            .await?;
        errors.finish()?;
        // A duplicate email is caught by the unique key on the insert itself.
        let mut tx = self.p.tx.begin().await?;
        if let Err(e) = self.p.candidates.create(&mut tx, &c).await {
            drop(tx);
            return Err(self.write_error(e, &c).await);
        }
        self.p
            .activities
            .record(&mut tx, audit::created(actor, &c))
            .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Needs `candidates:write`. `412` on a stale `If-Match`; `422` per bad field; `409
    /// candidate-duplicate` as for [`Self::create`].
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: CandidateId,
        expected_version: Option<i64>,
        patch: CandidatePatch,
    ) -> Result<Candidate, DomainError> {
        require_all::<CandidatesWrite>(actor)?;
        let org = actor.organization_id;
        let p = &patch;
        let mut errors = Errors::new();
        if let Some(f) = p.resume_file_id {
            self.p
                .check_file(org, f, "resume_file_id", &mut errors)
                .await?;
        }
        let mut tx = self.p.tx.begin().await?;
        let current = self
            .crud()
            .locked(&mut tx, actor, id, expected_version, Ok)
            .await?;
        let mut next = current.clone();
        errors.patch("name", &mut next.name, p.name.as_deref().map(name));
        errors.patch("email", &mut next.email, p.email.as_deref().map(email));
        errors.patch("phone", &mut next.phone, text(&p.phone, phone));
        errors.patch("source", &mut next.source, text(&p.source, source));
        errors.patch("notes", &mut next.notes, text(&p.notes, notes));
        errors.patch("tags", &mut next.tags, p.tags.as_deref().map(tags));
        if let Some(f) = p.resume_file_id {
            next.resume_file_id = f;
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        use crm_domain::kernel::records::Record as _;
        let next = next.touched(self.p.now());
        if let Err(e) = self
            .p
            .candidates
            .update(&mut tx, &next, current.version)
            .await
        {
            drop(tx);
            return Err(self.write_error(e, &next).await);
        }
        self.p
            .activities
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }
}
