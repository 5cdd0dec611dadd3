//! The caller's context that every service call receives: who acts, for which organization,
//! with which permissions.
//!
//! The organization always comes from the verified token, never from a request, and every
//! repository method takes the `Actor` (or its organization id) so no query can forget the tenant.

use crate::kernel::ids::{OrganizationId, UserId};
use std::collections::BTreeSet;
use std::fmt;

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

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub organization_id: OrganizationId,
    permissions: BTreeSet<String>,
}

impl Actor {
    pub fn new(
        user_id: UserId,
        organization_id: OrganizationId,
        permissions: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            user_id,
            organization_id,
            permissions: permissions.into_iter().collect(),
        }
    }

    /// The widest scope the caller holds for `resource:action`, or `None` when it holds neither
    /// the all-records nor the `:own` form.
    pub fn scope(&self, resource: &str, action: &str) -> Option<Scope> {
        let code = format!("{resource}:{action}");
        if self.permissions.contains(&code) {
            Some(Scope::All)
        } else if self.permissions.contains(&format!("{code}:own")) {
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
        self.permissions.iter().map(String::as_str)
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
}
