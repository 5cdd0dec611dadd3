//! Types every module shares: ids, money, pagination, the caller's context, the unit of work.

pub mod clock;
pub mod context;
pub mod enums;
pub mod error;
pub mod ids;
pub mod input;
pub mod lines;
pub mod money;
pub mod numbering;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod pagination;
pub mod records;
pub mod references;
pub mod rules;
pub mod scope;
#[cfg(any(test, feature = "mocks"))]
pub mod testing;
pub mod text;
pub mod uow;
pub mod validation;
pub mod values;
