//! Who may touch which records: permissions as types, and the `:own` narrowing every service
//! applies the same way.
//!
//! Each domain module declares the permissions it owns with [`requirements!`]; the handler's
//! `Auth<P>` and the service's [`require`] name the same type, and a test per module checks
//! the declared types against the permission catalogue.

use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::DomainError;
use crate::kernel::ids::UserId;

/// A permission `RESOURCE:ACTION` as a type.
pub trait Requirement: 'static {
    const RESOURCE: &'static str;
    const ACTION: &'static str;

    /// `resource:action`, as the catalogue spells it.
    fn code() -> String {
        format!("{}:{}", Self::RESOURCE, Self::ACTION)
    }
}

/// Declares requirement types and `DECLARED`, the list of them a catalogue test walks:
///
/// ```ignore
/// requirements! { LeadsRead = "leads":"read"; LeadsWrite = "leads":"write"; }
/// ```
#[macro_export]
macro_rules! requirements {
    ($($(#[$meta:meta])* $name:ident = $res:literal : $act:literal;)*) => {
        $(
            $(#[$meta])*
            #[derive(Clone, Copy, Debug)]
            pub struct $name;
            impl $crate::kernel::scope::Requirement for $name {
                const RESOURCE: &'static str = $res;
                const ACTION: &'static str = $act;
            }
        )*
        /// Every `resource:action` this module declares, for the catalogue test.
        pub const DECLARED: &[(&str, &str)] = &[$(($res, $act)),*];

        #[cfg(test)]
        mod declared_permissions {
            #[test]
            fn every_declared_permission_is_in_the_catalogue() {
                for (res, act) in super::DECLARED {
                    assert!(
                        $crate::identity::permissions::is_known(&format!("{res}:{act}")),
                        "{res}:{act}"
                    );
                }
            }
        }
    };
}

/// The caller's scope for `P` (all records or `:own`), or `403`.
pub fn require<P: Requirement>(actor: &Actor) -> Result<Scope, DomainError> {
    crate::kernel::rules::require(actor, P::RESOURCE, P::ACTION)
}

/// `403` unless the caller holds `P` over all records.
pub fn require_all<P: Requirement>(actor: &Actor) -> Result<(), DomainError> {
    crate::kernel::rules::require_all(actor, P::RESOURCE, P::ACTION)
}

/// A record with an owner, which the `:own` scope narrows by.
pub trait Owned {
    fn owner_id(&self) -> UserId;
}

/// The owner a list or query is narrowed to: the caller under `:own`, nobody otherwise.
pub fn owner_filter(actor: &Actor, scope: Scope) -> Option<UserId> {
    match scope {
        Scope::All => None,
        Scope::Own => Some(actor.user_id),
    }
}

/// Whether a record owned by `owner` is within the caller's `scope`.
pub fn within(actor: &Actor, scope: Scope, owner: UserId) -> bool {
    scope == Scope::All || owner == actor.user_id
}

/// `record` when within the caller's `scope`, `404` otherwise: a record outside the scope is
/// indistinguishable from a missing one.
pub fn in_scope<T: Owned>(actor: &Actor, scope: Scope, record: T) -> Result<T, DomainError> {
    if within(actor, scope, record.owner_id()) {
        Ok(record)
    } else {
        Err(DomainError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::OrganizationId;

    requirements! {
        ThingsRead = "leads":"read";
        ThingsWrite = "leads":"write";
    }

    struct Thing(UserId);
    impl Owned for Thing {
        fn owner_id(&self) -> UserId {
            self.0
        }
    }

    #[test]
    fn own_scope_narrows_to_the_callers_records() {
        let org = OrganizationId::new();
        let a = Actor::new(UserId::new(), org, ["leads:read:own".to_string()]);
        assert_eq!(require::<ThingsRead>(&a).unwrap(), Scope::Own);
        assert!(require::<ThingsWrite>(&a).is_err());
        assert!(require_all::<ThingsRead>(&a).is_err());
        assert_eq!(owner_filter(&a, Scope::Own), Some(a.user_id));
        assert_eq!(owner_filter(&a, Scope::All), None);
        assert!(in_scope(&a, Scope::Own, Thing(a.user_id)).is_ok());
        assert_eq!(
            in_scope(&a, Scope::Own, Thing(UserId::new())).err(),
            Some(DomainError::NotFound)
        );
        assert!(in_scope(&a, Scope::All, Thing(UserId::new())).is_ok());
        assert_eq!(DECLARED, &[("leads", "read"), ("leads", "write")]);
        assert_eq!(ThingsWrite::code(), "leads:write");
    }
}
