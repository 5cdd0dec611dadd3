//! Clients (companies or people the organization sells to), their contacts and the
//! interactions recorded with them.

use crate::identity::{EmailAddress, ValueError};
use crate::kernel::ids::{OrganizationId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

crate::typed_id!(
    /// A client (company or individual) of one organization.
    ClientId
);
crate::typed_id!(
    /// A contact person of a client.
    ContactId
);
crate::typed_id!(
    /// A recorded call, email, meeting or note with a client.
    InteractionId
);

/// Declares a closed set of snake_case names with `as_str`, `Display` and `FromStr`.
macro_rules! name_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(ValueError::new(
                        "invalid",
                        format!(
                            concat!($what, " must be one of {}"),
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}

name_enum!(
    /// Whether a client is an organization or a person.
    ClientKind, "kind" {
        Company => "company",
        Individual => "individual",
    }
);

name_enum!(
    /// Customer tracking: `prospect` until one of the client's deals is won, then `customer`.
    Lifecycle, "lifecycle" {
        Prospect => "prospect",
        Customer => "customer",
    }
);

name_enum!(
    /// What kind of exchange an interaction was.
    InteractionKind, "kind" {
        Call => "call",
        Email => "email",
        Meeting => "meeting",
        Note => "note",
    }
);

/// A company or person the organization sells to. Clients nest through `parent_id`
/// (sub-clients), without cycles and within one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Client {
    pub id: ClientId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub kind: ClientKind,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub parent_id: Option<ClientId>,
    /// Drives the `:own` permission scope.
    pub owner_id: UserId,
    /// Free text, `active` unless set.
    pub status: String,
    /// Trimmed, distinct, in the order given.
    pub tags: Vec<String>,
    /// Free-form postal address, possibly several lines.
    pub address: Option<String>,
    pub lifecycle: Lifecycle,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Client {
    /// The status of a client created without one.
    pub const DEFAULT_STATUS: &'static str = "active";
}

/// A person at a client. At most one contact per client is primary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub name: String,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    /// Job title at the client.
    pub title: Option<String>,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A call, email, meeting or note with a client: what, when, with whom, recorded by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Interaction {
    pub id: InteractionId,
    pub organization_id: OrganizationId,
    pub client_id: ClientId,
    pub kind: InteractionKind,
    pub summary: String,
    pub occurred_at: DateTime<Utc>,
    /// The client's contact it was with, if any.
    pub contact_id: Option<ContactId>,
    /// The user who recorded it.
    pub owner_id: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_snake_case() {
        for k in ClientKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
            assert_eq!(k.as_str().parse::<ClientKind>().unwrap(), *k);
        }
        for l in Lifecycle::ALL {
            assert_eq!(l.as_str().parse::<Lifecycle>().unwrap(), *l);
        }
        for k in InteractionKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
            assert_eq!(k.to_string().parse::<InteractionKind>().unwrap(), *k);
        }
        let e = "person".parse::<ClientKind>().unwrap_err();
        assert_eq!(e.code, "invalid");
        assert_eq!(e.message, "kind must be one of company, individual");
    }
}
