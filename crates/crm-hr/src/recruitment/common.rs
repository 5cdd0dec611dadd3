//! Checks the recruitment records share: tags, instants, the organization's departments,
//! designations, users and files named in a body.

use crate::ports::HrPorts;
use chrono::{DateTime, Utc};
use crm_domain::files::FileId;
use crm_domain::identity::{DepartmentId, DesignationId};
use crm_domain::kernel::input::{Errors, not_found};
use crm_domain::kernel::text::required_text;
use crm_domain::{DomainError, OrganizationId, UserId, ValueError};

/// Most tags a candidate carries, and the longest tag (the clients' tag rules, so the same
/// schema documents them).
pub const MAX_TAGS: usize = 50;
pub const TAG_MAX_CHARS: usize = 50;

/// Tags: each trimmed, 1..=50 characters on one line; duplicates dropped (first kept); at
/// most 50.
pub fn tags(raw: &[String]) -> Result<Vec<String>, ValueError> {
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

/// The instants an interview may take: from 2000 to the end of 2037. MariaDB and MySQL
/// receive a bound instant as a `TIMESTAMP` (sqlx), whose range ends in January 2038; one
/// past it would be stored as NULL (a `500`), so the range every backend keeps is the rule.
pub const FIRST_INSTANT: &str = "2000-01-01T00:00:00Z";
pub const LAST_INSTANT: &str = "2037-12-31T23:59:59Z";

/// An RFC 3339 instant with its offset (`2026-03-02T10:00:00+01:00`), kept in UTC as stored
/// (microseconds), from [`FIRST_INSTANT`] to [`LAST_INSTANT`].
pub fn instant(raw: &str) -> Result<DateTime<Utc>, ValueError> {
    let t = DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| crm_domain::kernel::clock::stored(t.with_timezone(&Utc)))
        .map_err(|_| {
            ValueError::new(
                "invalid",
                "must be an RFC 3339 date and time with an offset (2026-03-02T10:00:00Z)",
            )
        })?;
    let bound = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
    if t < bound(FIRST_INSTANT) || t > bound(LAST_INSTANT) {
        return Err(ValueError::new(
            "out_of_range",
            format!("must be from {FIRST_INSTANT} to {LAST_INSTANT}"),
        ));
    }
    Ok(t)
}

/// A whole number in `min..=max`.
pub fn int_in(v: i64, min: i64, max: i64) -> Result<i64, ValueError> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ValueError::new(
            "out_of_range",
            format!("must be between {min} and {max}"),
        ))
    }
}

/// A rating: 1 to 5.
pub fn rating(v: i64) -> Result<i64, ValueError> {
    int_in(v, 1, 5)
}

impl HrPorts {
    /// `422 not_found` on `field` unless `id` is a department of `org`.
    pub(crate) async fn check_department(
        &self,
        org: OrganizationId,
        id: Option<DepartmentId>,
        field: &str,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Some(id) = id {
            let found = self.departments.get(org, id).await;
            errors.reference(field, "department", found)?;
        }
        Ok(())
    }

    /// `422 not_found` on `field` unless `id` is a designation of `org`.
    pub(crate) async fn check_designation(
        &self,
        org: OrganizationId,
        id: Option<DesignationId>,
        field: &str,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Some(id) = id {
            let found = self.designations.get(org, id).await;
            errors.reference(field, "designation", found)?;
        }
        Ok(())
    }

    /// `422 not_found` on `field` unless `id` is a user of `org`.
    pub(crate) async fn check_user(
        &self,
        org: OrganizationId,
        id: Option<UserId>,
        field: &str,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Some(id) = id {
            let found = self.users.get(org, id).await;
            errors.reference(field, "user", found)?;
        }
        Ok(())
    }

    /// `422 not_found` on `field` unless `id` is a file of `org`.
    pub(crate) async fn check_file(
        &self,
        org: OrganizationId,
        id: Option<FileId>,
        field: &str,
        errors: &mut Errors,
    ) -> Result<(), DomainError> {
        if let Some(id) = id
            && !self.files.exists(org, id).await?
        {
            errors.push(not_found(field, "file"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_unique_and_bounded() {
        let raw = vec![" a ".to_string(), "b".into(), "a".into()];
        assert_eq!(tags(&raw).unwrap(), ["a", "b"]);
        assert_eq!(tags(&[" ".into()]).unwrap_err().code, "required");
        let many: Vec<String> = (0..51).map(|i| i.to_string()).collect();
        assert_eq!(tags(&many).unwrap_err().code, "too_many");
        let repeated: Vec<String> = (0..80).map(|_| "x".to_string()).collect();
        assert_eq!(tags(&repeated).unwrap(), ["x"]);
    }

    #[test]
    fn instants_keep_their_offset_and_are_stored_in_utc() {
        let t = instant("2026-03-02T10:00:00.1234567+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-02T09:00:00.123456+00:00");
        assert_eq!(instant("2026-03-02 10:00").unwrap_err().code, "invalid");
        assert_eq!(instant("2026-03-02T10:00:00").unwrap_err().code, "invalid");
        assert!(instant("2000-01-01T00:00:00Z").is_ok());
        assert!(instant("2037-12-31T23:59:59Z").is_ok());
        assert_eq!(
            instant("2038-01-01T00:00:00Z").unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(
            instant("1999-12-31T23:59:59Z").unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(
            instant("2099-01-01T10:00:00+05:00").unwrap_err().code,
            "out_of_range"
        );
    }

    #[test]
    fn ratings_are_one_to_five() {
        assert!(rating(0).is_err());
        assert_eq!(rating(1), Ok(1));
        assert_eq!(rating(5), Ok(5));
        assert!(rating(6).is_err());
    }
}
