//! The caller's context that every service call receives: who acts, for which organization,
//! with which permissions.
//!
//! The organization always comes from the verified token, never from a request, and every
//! repository method takes the `Actor` (or its organization id) so no query can forget the tenant.

use crate::kernel::ids::{OrganizationId, UserId};
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// A permission code `resource:action`, optionally scoped `resource:action:own`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    pub resource: String,
    pub action: String,
    pub own_only: bool,
}

impl Permission {
    /// Parses `resource:action[:own]`; resource and action are lowercase ASCII letters, digits,
    /// `_` or `-`.
    pub fn parse(code: &str) -> Option<Self> {
        let parts: Vec<&str> = code.split(':').collect();
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        match parts.as_slice() {
            [r, a] if valid(r) && valid(a) => Some(Self {
                resource: (*r).into(),
                action: (*a).into(),
                own_only: false,
            }),
            [r, a, "own"] if valid(r) && valid(a) => Some(Self {
                resource: (*r).into(),
                action: (*a).into(),
                own_only: true,
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.own_only {
            write!(f, "{}:{}:own", self.resource, self.action)
        } else {
            write!(f, "{}:{}", self.resource, self.action)
        }
    }
}

/// How far a caller's permission reaches for one `resource:action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every record of the organization.
    All,
    /// Only records whose `owner_id` is the caller.
    Own,
}

/// The permission codes a caller holds: sorted, without duplicates, shared. It is built on
/// every request, so a set that many callers hold (the admin's whole catalogue) is one shared
/// allocation, and a lookup formats no string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionSet(Arc<[String]>);

impl PermissionSet {
    pub fn new(codes: impl IntoIterator<Item = String>) -> Self {
        let mut codes: Vec<String> = codes.into_iter().collect();
        codes.sort_unstable();
        codes.dedup();
        Self(codes.into())
    }

    /// Whether the set holds `resource:action`, or `resource:action:own` when `own`.
    pub fn holds(&self, resource: &str, action: &str, own: bool) -> bool {
        let parts: &[&str] = if own {
            &[resource, ":", action, ":own"]
        } else {
            &[resource, ":", action]
        };
        self.0
            .binary_search_by(|code| compare_joined(code, parts))
            .is_ok()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// `code` compared with the concatenation of `parts`, without building it.
fn compare_joined(code: &str, parts: &[&str]) -> Ordering {
    code.bytes().cmp(parts.iter().flat_map(|p| p.bytes()))
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub organization_id: OrganizationId,
    permissions: PermissionSet,
}

impl Actor {
    pub fn new(
        user_id: UserId,
        organization_id: OrganizationId,
        permissions: impl IntoIterator<Item = String>,
    ) -> Self {
        Self::with_permissions(user_id, organization_id, PermissionSet::new(permissions))
    }

    pub fn with_permissions(
        user_id: UserId,
        organization_id: OrganizationId,
        permissions: PermissionSet,
    ) -> Self {
        Self {
            user_id,
            organization_id,
            permissions,
        }
    }

    /// The widest scope the caller holds for `resource:action`, or `None` when it holds neither
    /// the all-records nor the `:own` form.
    pub fn scope(&self, resource: &str, action: &str) -> Option<Scope> {
        if self.permissions.holds(resource, action, false) {
            Some(Scope::All)
        } else if self.permissions.holds(resource, action, true) {
            Some(Scope::Own)
        } else {
            None
        }
    }

    /// True when the caller may act on `resource:action` over all records.
    pub fn can_all(&self, resource: &str, action: &str) -> bool {
        self.scope(resource, action) == Some(Scope::All)
    }

    pub fn permissions(&self) -> impl Iterator<Item = &str> {
        self.permissions.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_codes_parse_and_print() {
        let p = Permission::parse("leads:read:own").unwrap();
        assert_eq!(p.resource, "leads");
        assert_eq!(p.action, "read");
        assert!(p.own_only);
        assert_eq!(p.to_string(), "leads:read:own");
        assert_eq!(
            Permission::parse("leads:read").unwrap().to_string(),
            "leads:read"
        );
        for bad in [
            "leads",
            "leads:",
            ":read",
            "leads:read:all",
            "Leads:read",
            "a:b:own:x",
        ] {
            assert!(Permission::parse(bad).is_none(), "{bad} must not parse");
        }
    }

    #[test]
    fn scope_prefers_all_over_own() {
        let a = Actor::new(
            UserId::new(),
            OrganizationId::new(),
            [
                "leads:read:own".to_string(),
                "deals:read".to_string(),
                "deals:read:own".to_string(),
            ],
        );
        assert_eq!(a.scope("leads", "read"), Some(Scope::Own));
        assert_eq!(a.scope("deals", "read"), Some(Scope::All));
        assert_eq!(a.scope("invoices", "read"), None);
        assert!(!a.can_all("leads", "read"));
    }

    #[test]
    fn lookups_match_whole_codes_only() {
        let set = PermissionSet::new(
            [
                "leads:read",
                "leads:readx",
                "lead:read:own",
                "b:c",
                "leads:read",
            ]
            .map(String::from),
        );
        assert_eq!(set.iter().count(), 4);
        assert!(set.holds("leads", "read", false));
        assert!(!set.holds("leads", "read", true));
        assert!(set.holds("lead", "read", true));
        assert!(!set.holds("lead", "read", false));
        assert!(!set.holds("leads", "rea", false));
        assert!(set.holds("b", "c", false));
        assert!(!set.holds("", "", false));
    }
}
