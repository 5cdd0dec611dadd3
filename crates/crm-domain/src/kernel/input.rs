//! Parsing a request body into domain values: one accumulator for every module, so the caller
//! hears of every bad field at once and a use case spends one line per field.
//!
//! A create builds its record directly, one `errors.value(...)` per field, then calls
//! `errors.finish()?` before using it: a field that failed holds its type's default, which
//! `finish` guarantees is never seen. A patch applies each present field onto a copy of the
//! stored record with `errors.patch(...)`.

use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::validation::{FieldError, ValueError};

/// A refused value that can be filed under a field name.
pub trait Refusal {
    fn at(self, field: &str) -> FieldError;
}

impl Refusal for ValueError {
    fn at(self, field: &str) -> FieldError {
        self.into_field(field)
    }
}

impl Refusal for FieldError {
    /// The parser's own field name (if any) is replaced by the one the caller files it under.
    fn at(mut self, field: &str) -> FieldError {
        self.field = field.to_string();
        self
    }
}

/// Collects field errors while an input is checked.
#[derive(Debug, Default)]
#[must_use = "an input check must end with `finish()`"]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parsed value, or (after recording the error under `field`) the type's default,
    /// which [`Self::finish`] keeps from ever being used.
    pub fn value<T: Default, E: Refusal>(&mut self, field: &str, r: Result<T, E>) -> T {
        self.take(field, r).unwrap_or_default()
    }

    /// The parsed value, or `None` after recording the error under `field`.
    pub fn take<T, E: Refusal>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e.at(field));
                None
            }
        }
    }

    /// A patch field: absent (`None`) leaves `slot` alone; present and valid replaces it;
    /// present and invalid records the error under `field`.
    pub fn patch<T, E: Refusal>(&mut self, field: &str, slot: &mut T, r: Option<Result<T, E>>) {
        if let Some(r) = r
            && let Some(v) = self.take(field, r)
        {
            *slot = v;
        }
    }

    /// A nullable patch field (`Option<Option<_>>`: absent, `null`, a value): as [`Self::patch`],
    /// the value (or its absence) read by `parse`.
    pub fn patch_nullable<T, E: Refusal>(
        &mut self,
        field: &str,
        slot: &mut T,
        raw: Option<Option<String>>,
        parse: impl FnOnce(Option<&str>) -> Result<T, E>,
    ) {
        self.patch(field, slot, raw.map(|v| parse(v.as_deref())));
    }

    /// A record another field names: `Some` when found; `None` after recording `not_found`
    /// under `field` when missing; other store failures are errors of the request.
    pub fn reference<T>(
        &mut self,
        field: &str,
        what: &str,
        r: Result<T, StoreError>,
    ) -> Result<Option<T>, DomainError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::NotFound) => {
                self.0.push(not_found(field, what));
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Takes over the errors another check collected.
    pub fn extend(&mut self, other: Errors) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `422` with every recorded error, or `Ok` when there is none.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}

/// `422` with this one field error.
pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> DomainError {
    DomainError::Invalid(vec![FieldError::new(field, code, message)])
}

/// The field error of a reference to a record that does not exist (or is out of reach).
pub fn not_found(field: &str, what: &str) -> FieldError {
    FieldError::new(field, "not_found", format!("no such {what}"))
}

/// A present patch text field (`null` included) through `parse`.
pub fn text<T>(
    v: &Option<Option<String>>,
    parse: fn(Option<&str>) -> Result<T, ValueError>,
) -> Option<Result<T, ValueError>> {
    v.as_ref().map(|v| parse(v.as_deref()))
}

/// A present patch field that `null` clears, its value through `parse`.
pub fn clearable<T, U>(
    v: Option<Option<T>>,
    parse: fn(T) -> Result<U, ValueError>,
) -> Option<Result<Option<U>, ValueError>> {
    v.map(|v| v.map(parse).transpose())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positive(v: i64) -> Result<i64, ValueError> {
        if v > 0 {
            Ok(v)
        } else {
            Err(ValueError::new("out_of_range", "must be positive"))
        }
    }

    #[test]
    fn every_bad_field_is_reported_under_its_name() {
        let mut e = Errors::new();
        let a = e.value("a", positive(3));
        let b = e.value("b", positive(-1));
        let c = e.take("items[1].quantity", positive(0));
        assert_eq!((a, b, c), (3, 0, None));
        let Err(DomainError::Invalid(errs)) = e.finish() else {
            panic!("expected 422")
        };
        let fields: Vec<_> = errs.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["b", "items[1].quantity"]);
        assert_eq!(errs[0].code, "out_of_range");
    }

    #[test]
    fn a_patch_changes_only_present_valid_fields() {
        let mut slot = 5;
        let mut e = Errors::new();
        e.patch("x", &mut slot, None::<Result<i64, ValueError>>);
        assert_eq!(slot, 5);
        e.patch("x", &mut slot, Some(positive(7)));
        assert_eq!(slot, 7);
        e.patch("x", &mut slot, Some(positive(-7)));
        assert_eq!(slot, 7);
        assert!(e.finish().is_err());
    }

    #[test]
    fn references_tell_missing_from_failing() {
        let mut e = Errors::new();
        assert_eq!(e.reference("owner_id", "user", Ok(1)).unwrap(), Some(1));
        assert_eq!(
            e.reference::<i32>("owner_id", "user", Err(StoreError::NotFound))
                .unwrap(),
            None
        );
        assert!(
            e.reference::<i32>("x", "y", Err(StoreError::Unavailable("down".into())))
                .is_err()
        );
        let Err(DomainError::Invalid(errs)) = e.finish() else {
            panic!("expected 422")
        };
        assert_eq!(errs, vec![not_found("owner_id", "user")]);
    }
}
