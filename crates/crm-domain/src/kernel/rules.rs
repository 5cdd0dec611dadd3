//! Checks every service repeats: permission scope, optimistic version, and the serde helper
//! that tells an absent patch field from an explicit `null`.

use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::DomainError;

/// The caller's scope for `resource:action` (all records or `:own`), or `403`.
pub fn require(actor: &Actor, resource: &str, action: &str) -> Result<Scope, DomainError> {
    actor
        .scope(resource, action)
        .ok_or_else(|| DomainError::forbidden(format!("{resource}:{action} is required")))
}

/// `403` unless the caller holds `resource:action` over all records.
pub fn require_all(actor: &Actor, resource: &str, action: &str) -> Result<(), DomainError> {
    if actor.can_all(resource, action) {
        Ok(())
    } else {
        Err(DomainError::forbidden(format!(
            "{resource}:{action} is required"
        )))
    }
}

/// `412` when the client's `If-Match` names a version other than the stored one.
pub fn check_version(expected: Option<i64>, stored: i64) -> Result<(), DomainError> {
    match expected {
        Some(v) if v != stored => Err(DomainError::Stale),
        _ => Ok(()),
    }
}

/// `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` patch field:
/// absent → `None` (leave as is), `null` → `Some(None)` (clear), a value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::{OrganizationId, UserId};

    #[derive(serde::Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "nullable")]
        x: Option<Option<i32>>,
    }

    #[test]
    fn nullable_tells_absent_from_null() {
        let p = |s: &str| serde_json::from_str::<Patch>(s).unwrap().x;
        assert_eq!(p("{}"), None);
        assert_eq!(p(r#"{"x": null}"#), Some(None));
        assert_eq!(p(r#"{"x": 3}"#), Some(Some(3)));
    }

    #[test]
    fn versions_and_scopes() {
        assert!(check_version(None, 4).is_ok());
        assert!(check_version(Some(4), 4).is_ok());
        assert_eq!(check_version(Some(3), 4), Err(DomainError::Stale));
        let a = Actor::new(
            UserId::new(),
            OrganizationId::new(),
            ["leads:read:own".to_string()],
        );
        assert_eq!(require(&a, "leads", "read").unwrap(), Scope::Own);
        assert!(require_all(&a, "leads", "read").is_err());
        assert!(require(&a, "deals", "read").is_err());
    }
}
