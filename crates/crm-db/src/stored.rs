//! How a domain value is stored in a column, both ways, so a record's field list is written
//! once in this crate: [`stored_record!`] derives the row conversions from it.

use crate::rows::db_version;
use chrono::{DateTime, Utc};
use crm_domain::StoreError;
use crm_domain::identity::EmailAddress;
use uuid::Uuid;

/// A domain value kept in a column of type `S`: `load` reads it back (stored data can break
/// rules added later, so it may fail), `store` writes it.
pub(crate) trait StoredAs<S>: Sized {
    fn load(stored: S) -> Result<Self, String>;
    fn store(&self) -> Result<S, StoreError>;
}

/// Values stored as they are.
macro_rules! as_is {
    ($($t:ty),*) => {$(
        impl StoredAs<$t> for $t {
            fn load(stored: $t) -> Result<Self, String> {
                Ok(stored)
            }
            fn store(&self) -> Result<$t, StoreError> {
                Ok(self.clone())
            }
        }
    )*};
}
as_is!(
    String,
    Option<String>,
    bool,
    i32,
    Option<i32>,
    i64,
    Option<i64>,
    DateTime<Utc>,
    Option<DateTime<Utc>>
);

/// UUIDs and typed ids (every `typed_id!` converts both ways), stored as their UUID.
impl<T: From<Uuid> + Copy> StoredAs<Uuid> for T
where
    Uuid: From<T>,
{
    fn load(stored: Uuid) -> Result<Self, String> {
        Ok(T::from(stored))
    }
    fn store(&self) -> Result<Uuid, StoreError> {
        Ok(Uuid::from(*self))
    }
}

/// An optional UUID or typed id, stored as its UUID or NULL.
impl<T: From<Uuid> + Copy> StoredAs<Option<Uuid>> for Option<T>
where
    Uuid: From<T>,
{
    fn load(stored: Option<Uuid>) -> Result<Self, String> {
        Ok(stored.map(T::from))
    }
    fn store(&self) -> Result<Option<Uuid>, StoreError> {
        Ok(self.map(Uuid::from))
    }
}

/// The optimistic version: `i64` in the domain, `INT` in the tables.
impl StoredAs<i32> for i64 {
    fn load(stored: i32) -> Result<Self, String> {
        Ok(i64::from(stored))
    }
    fn store(&self) -> Result<i32, StoreError> {
        db_version(*self)
    }
}

/// An optional address, checked again when read.
impl StoredAs<Option<String>> for Option<EmailAddress> {
    fn load(stored: Option<String>) -> Result<Self, String> {
        stored
            .map(|e| EmailAddress::parse(&e).map_err(|e| e.to_string()))
            .transpose()
    }
    fn store(&self) -> Result<Option<String>, StoreError> {
        Ok(self.as_ref().map(|e| e.as_str().to_string()))
    }
}

/// In a repository file that declares its entity (`Model`, `ActiveModel`): a row of the table
/// `$table` read as the record `$record`, field by field with [`StoredAs`] (`TryFrom<Model>`; a
/// value that no longer makes a valid field is a corrupt row), and the record as its row
/// (`to_row`, for [`crate::records::Stored::row`]).
macro_rules! stored_record {
    ($record:ident, $table:literal { $($field:ident),* $(,)? }) => {
        impl TryFrom<Model> for $record {
            type Error = crm_domain::StoreError;
            fn try_from(m: Model) -> Result<Self, Self::Error> {
                use $crate::stored::StoredAs;
                let id = m.id;
                Ok($record {
                    $($field: StoredAs::load(m.$field)
                        .map_err(|e| $crate::rows::corrupt($table, id, e))?,)*
                })
            }
        }

        /// The record as its row: what `create` inserts and `update` writes.
        fn to_row(r: &$record) -> Result<ActiveModel, crm_domain::StoreError> {
            use $crate::stored::StoredAs;
            Ok(ActiveModel {
                $($field: sea_orm::ActiveValue::Set(StoredAs::store(&r.$field)?),)*
            })
        }
    };
}
pub(crate) use stored_record;
