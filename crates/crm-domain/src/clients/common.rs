//! Steps the client services share: permission scope, visibility, value checks, audit.

use super::model::Client;
use crate::activity::NewActivity;
use crate::identity::{EmailAddress, ValueError};
use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::{OrganizationId, UserId};
pub(crate) use crate::kernel::rules::{check_version, nullable};
pub(crate) use crate::kernel::text::{
    optional_text, phone, required_multiline, required_text, website,
};
use crate::kernel::validation::FieldError;
use serde::Serialize;
use uuid::Uuid;

/// The permission resource of clients, their contacts and their interactions.
pub(crate) const RESOURCE: &str = "clients";

/// The caller's scope for `clients:<action>`; `403` when it holds neither form.
pub(crate) fn require(actor: &Actor, action: &str) -> Result<Scope, DomainError> {
    crate::kernel::rules::require(actor, RESOURCE, action)
}

/// The owner a list is restricted to: the caller under `:own`, nobody otherwise.
pub(crate) fn owner_filter(actor: &Actor, scope: Scope) -> Option<UserId> {
    match scope {
        Scope::All => None,
        Scope::Own => Some(actor.user_id),
    }
}

/// Whether `client` is within the caller's `scope`.
pub(crate) fn within(actor: &Actor, scope: Scope, client: &Client) -> bool {
    scope == Scope::All || client.owner_id == actor.user_id
}

/// `client` when within the caller's `scope`, `404` otherwise: a record outside the scope is
/// indistinguishable from a missing one.
pub(crate) fn in_scope(actor: &Actor, scope: Scope, client: Client) -> Result<Client, DomainError> {
    if within(actor, scope, &client) {
        Ok(client)
    } else {
        Err(DomainError::NotFound)
    }
}

/// Collects per-field errors while an input is checked.
#[derive(Default)]
pub(crate) struct Errors(Vec<FieldError>);

impl Errors {
    /// The value, or `None` after recording its error under `field`.
    pub(crate) fn take<T>(&mut self, field: &str, r: Result<T, ValueError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e.into_field(field));
                None
            }
        }
    }

    pub(crate) fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Appends every error `other` recorded.
    pub(crate) fn extend(&mut self, other: Errors) {
        self.0.extend(other.0);
    }

    /// `422` with every recorded error, or `Ok` when there is none.
    pub(crate) fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}

/// `422` with this one field error.
pub(crate) fn invalid_one(e: FieldError) -> DomainError {
    DomainError::Invalid(vec![e])
}

pub(crate) fn not_found(field: &str, what: &str) -> FieldError {
    FieldError::new(field, "not_found", format!("no such {what}"))
}

/// A reference to another record: `Ok(Some(value))` when found, `Ok(None)` after recording
/// `not_found` on `field` when missing, other store failures as errors.
pub(crate) fn reference<T>(
    r: Result<T, StoreError>,
    errors: &mut Errors,
    field: &str,
    what: &str,
) -> Result<Option<T>, DomainError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::NotFound) => {
            errors.push(not_found(field, what));
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// An optional email address; empty means absent.
pub(crate) fn email(raw: Option<&str>) -> Result<Option<EmailAddress>, ValueError> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => EmailAddress::parse(t).map(Some),
        None => Ok(None),
    }
}

/// Most tags a client may carry, and the longest tag.
pub(crate) const MAX_TAGS: usize = 50;
pub(crate) const TAG_MAX_CHARS: usize = 50;

/// Tags: each trimmed, 1..=50 characters on one line; duplicates dropped (first kept); at
/// most 50.
pub(crate) fn tags(raw: &[String]) -> Result<Vec<String>, ValueError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for t in raw {
        let t = required_text(t, "a tag", TAG_MAX_CHARS)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ValueError::new(
            "too_many",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    Ok(out)
}

/// An audit entry for a change made by `actor_id`.
pub(crate) fn audit<T: Serialize>(
    organization_id: OrganizationId,
    actor_id: UserId,
    entity_type: &'static str,
    entity_id: Uuid,
    action: &'static str,
    before: Option<&T>,
    after: Option<&T>,
) -> NewActivity {
    crate::activity::change_entry(
        organization_id,
        Some(actor_id),
        entity_type,
        entity_id,
        action,
        before,
        after,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        let raw = vec![" vip ".to_string(), "vip".into(), "north".into()];
        assert_eq!(tags(&raw).unwrap(), vec!["vip", "north"]);
        assert_eq!(tags(&[" ".into()]).unwrap_err().code, "required");
        assert_eq!(tags(&["x".repeat(51)]).unwrap_err().code, "too_long");
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        assert_eq!(tags(&many).unwrap_err().code, "too_many");
    }

    #[test]
    fn texts_and_contact_details() {
        assert_eq!(required_text("  Acme ", "name", 200).unwrap(), "Acme");
        assert!(required_text("a\nb", "name", 200).is_err());
        assert_eq!(required_multiline(" a\nb ", "summary", 10).unwrap(), "a\nb");
        assert_eq!(optional_text(Some("  "), "x", 5, false).unwrap(), None);
        assert_eq!(
            email(Some(" Ann@X.io ")).unwrap().unwrap().as_str(),
            "ann@x.io"
        );
        assert_eq!(email(Some("")).unwrap(), None);
        assert!(email(Some("nope")).is_err());
        assert!(phone(Some("+1 (555) 010")).unwrap().is_some());
        assert!(phone(Some("call me")).is_err());
        assert!(website(Some("https://acme.io")).unwrap().is_some());
        assert!(website(Some("acme.io")).is_err());
    }
}
