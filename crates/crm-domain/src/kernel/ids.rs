//! Typed, time-ordered (UUIDv7) identifiers.
//!
//! One newtype per entity so that a `UserId` cannot be passed where an `OrganizationId` is
//! expected. v7 ids sort by creation time, which keeps B-tree inserts local and lets `id`
//! serve as the keyset tie-breaker of every list.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Declares a typed id newtype over a UUID.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(u: uuid::Uuid) -> Self {
                Self(u)
            }
        }

        impl From<$name> for uuid::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

typed_id!(
    /// A tenant.
    OrganizationId
);
typed_id!(
    /// A person who signs in.
    UserId
);
typed_id!(
    /// An audit-log entry.
    ActivityId
);
typed_id!(
    /// A message waiting in the outbox.
    OutboxId
);

/// An id of any entity, for places that store references generically (audit log, files).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityId(pub Uuid);

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for EntityId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// The smallest UUIDv7 of the millisecond `at`: every v7 id made before `at` sorts below it,
/// every one made from then on at or above it. Ids are v7, so a range of them is a range of
/// creation times on the primary key (clean-ups, look-backs) without an index on a timestamp.
pub fn v7_floor(at: chrono::DateTime<chrono::Utc>) -> Uuid {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = 0x70;
    b[8] = 0x80;
    Uuid::from_bytes(b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_v7_floor_sorts_between_the_ids_made_before_and_after_it() {
        let before = Uuid::now_v7();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let now = chrono::Utc::now();
        let floor = super::v7_floor(now);
        assert!(before < floor && floor <= Uuid::now_v7());
        assert_eq!(floor.get_version_num(), 7);
        assert!(super::v7_floor(now - chrono::Duration::milliseconds(1)) < floor);
    }

    use super::*;

    #[test]
    fn ids_are_v7_and_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert_eq!(a.0.get_version_num(), 7);
        assert!(a < b, "later ids sort after earlier ones");
    }

    #[test]
    fn ids_round_trip_through_strings() {
        let id = OrganizationId::new();
        let parsed: OrganizationId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
        assert!("not-a-uuid".parse::<OrganizationId>().is_err());
    }
}
