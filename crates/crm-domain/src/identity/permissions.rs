//! The permission catalogue (`GET /permissions`) and the system roles seeded in every
//! organization.
//!
//! Codes are `resource:action`, with `resource:action:own` granting the same action only on
//! records whose owner is the caller (for `users`, the caller's own profile; for `tasks`, the
//! tasks assigned to the caller). A role may only hold codes of this catalogue.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

/// One grantable permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PermissionDef {
    pub code: &'static str,
    pub description: &'static str,
}

macro_rules! def {
    ($res:literal, $label:literal, read) => {
        PermissionDef {
            code: concat!($res, ":read"),
            description: concat!("Read ", $label),
        }
    };
    ($res:literal, $label:literal, write) => {
        PermissionDef {
            code: concat!($res, ":write"),
            description: concat!("Create and edit ", $label),
        }
    };
    ($res:literal, $label:literal, delete) => {
        PermissionDef {
            code: concat!($res, ":delete"),
            description: concat!("Delete ", $label),
        }
    };
    ($res:literal, $label:literal, read_own) => {
        PermissionDef {
            code: concat!($res, ":read:own"),
            description: concat!("Read own ", $label),
        }
    };
    ($res:literal, $label:literal, write_own) => {
        PermissionDef {
            code: concat!($res, ":write:own"),
            description: concat!("Create and edit own ", $label),
        }
    };
    ($res:literal, $label:literal, delete_own) => {
        PermissionDef {
            code: concat!($res, ":delete:own"),
            description: concat!("Delete own ", $label),
        }
    };
    ($res:literal, $label:literal, approve) => {
        PermissionDef {
            code: concat!($res, ":approve"),
            description: concat!("Approve or reject ", $label),
        }
    };
}

macro_rules! catalogue {
    ($( $res:literal, $label:literal => [$($kind:ident)*] ;)*) => {
        &[ $( $( def!($res, $label, $kind), )* )* ]
    };
}

/// Every permission, grouped by resource in the contract's order.
pub const CATALOGUE: &[PermissionDef] = catalogue! {
    // identity and access
    "organization", "the organization profile" => [read write];
    "users", "user profiles" => [read write delete read_own write_own];
    "roles", "roles" => [read write delete];
    "permissions", "the permission catalogue" => [read];
    "departments", "departments" => [read write delete];
    "designations", "designations" => [read write delete];
    "activities", "the activity log" => [read];
    "events", "the event log" => [read];
    "webhooks", "webhook subscriptions" => [read write delete];
    // sales and clients
    "clients", "clients" => [read write delete read_own write_own delete_own];
    "contacts", "client contacts" => [read write delete];
    "interactions", "client interactions" => [read write delete];
    "leads", "leads" => [read write delete read_own write_own delete_own];
    "pipelines", "pipelines" => [read write delete];
    "deals", "deals" => [read write delete read_own write_own delete_own];
    "quotations", "quotations" => [read write delete read_own write_own delete_own];
    // projects
    "projects", "projects" => [read write delete read_own write_own delete_own];
    "tasks", "tasks (own: assigned to the caller)" => [read write delete read_own write_own delete_own];
    "milestones", "milestones" => [read write delete];
    "time_entries", "time entries (own: the caller's own time)" => [read write delete read_own write_own delete_own];
    // human resources
    "employees", "employee records (own: the caller's own record)" => [read write delete read_own];
    "work_schedules", "work schedules" => [read write delete];
    "holidays", "holidays" => [read write delete];
    "attendance", "attendance records and days (own: the caller's own)" => [read write delete read_own write_own];
    "leave_types", "leave types" => [read write delete];
    "leave_balances", "leave balances and ledgers (own: the caller's own)" => [read read_own];
    "leave_adjustments", "leave balance adjustments" => [write];
    "leave_requests", "leave requests (own: the caller's own)" => [read write delete read_own write_own delete_own approve];
    "training_programs", "training programs" => [read write delete];
    "training_sessions", "training sessions" => [read write delete];
    "training_enrollments", "training enrollments (own: the caller's own)" => [read write read_own];
    "certifications", "certifications (own: the caller's own)" => [read read_own];
    "job_postings", "job postings" => [read write delete];
    "candidates", "candidates" => [read write delete];
    "applications", "job applications" => [read write delete];
    "interviews", "interviews (own: those the caller interviews at)" => [read write delete read_own];
    "offers", "job offers" => [read write delete];
    // finance
    "invoices", "invoices" => [read write delete approve];
    "payments", "payments" => [read write delete];
    "expenses", "expenses" => [read write delete read_own write_own delete_own approve];
    "contracts", "contracts" => [read write delete];
    "credit_notes", "credit notes" => [read write];
    "recurring_invoices", "recurring invoice templates" => [read write delete];
    "proposals", "proposals" => [read write delete read_own write_own delete_own];
    "reports", "finance reports" => [read];
    // collaboration
    "files", "files" => [read write delete read_own write_own delete_own];
    "notifications", "notifications" => [read write delete read_own write_own delete_own];
    "messages", "messages" => [read write delete read_own write_own delete_own];
    "calendar_events", "calendar events" => [read write delete read_own write_own delete_own];
};

/// Whether `code` is a grantable permission (asked for every code of a caller's roles on
/// every request, hence the set).
pub fn is_known(code: &str) -> bool {
    static CODES: LazyLock<HashSet<&str>> =
        LazyLock::new(|| CATALOGUE.iter().map(|p| p.code).collect());
    CODES.contains(code)
}

pub const ADMIN_ROLE: &str = "admin";
pub const EMPLOYEE_ROLE: &str = "employee";

/// Names of the seeded roles; custom roles may not take them.
pub const SYSTEM_ROLE_NAMES: &[&str] = &[
    ADMIN_ROLE,
    "manager",
    "sales",
    "hr",
    "finance",
    EMPLOYEE_ROLE,
];

/// A seeded role: name, description, permission codes (sorted, no duplicates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemRole {
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: Vec<String>,
}

const SALES: &[&str] = &[
    "clients",
    "contacts",
    "interactions",
    "leads",
    "pipelines",
    "deals",
    "quotations",
];
const PROJECTS: &[&str] = &["projects", "tasks", "milestones", "time_entries"];
const HR: &[&str] = &[
    "employees",
    "work_schedules",
    "holidays",
    "attendance",
    "leave_types",
    "leave_balances",
    "leave_adjustments",
    "leave_requests",
    "training_programs",
    "training_sessions",
    "training_enrollments",
    "certifications",
    "job_postings",
    "candidates",
    "applications",
    "interviews",
    "offers",
];
const FINANCE: &[&str] = &[
    "invoices",
    "payments",
    "expenses",
    "contracts",
    "credit_notes",
    "recurring_invoices",
    "proposals",
    "reports",
];

/// What every seeded role below admin carries: the employee's self-service and the shared
/// reference data everyone needs to work (organization profile, org chart, catalogue).
const EMPLOYEE: &[&str] = &[
    "organization:read",
    "permissions:read",
    "departments:read",
    "designations:read",
    "users:read:own",
    "users:write:own",
    "employees:read:own",
    "work_schedules:read",
    "holidays:read",
    "attendance:read:own",
    "attendance:write:own",
    "leave_types:read",
    "leave_balances:read:own",
    "training_enrollments:read:own",
    "certifications:read:own",
    "interviews:read:own",
    "leave_requests:read:own",
    "leave_requests:write:own",
    "leave_requests:delete:own",
    "expenses:read:own",
    "expenses:write:own",
    "expenses:delete:own",
    "projects:read:own",
    "tasks:read:own",
    "tasks:write:own",
    "time_entries:read:own",
    "time_entries:write:own",
    "time_entries:delete:own",
    "files:read:own",
    "files:write:own",
    "files:delete:own",
    "notifications:read:own",
    "notifications:write:own",
    "notifications:delete:own",
    "messages:read:own",
    "messages:write:own",
    "messages:delete:own",
    "calendar_events:read:own",
    "calendar_events:write:own",
    "calendar_events:delete:own",
];

fn resource_of(code: &str) -> &str {
    code.split(':').next().unwrap_or_default()
}

/// Every code of the given resources (all actions, all scopes).
fn all_of<'a>(resources: &'a [&str]) -> impl Iterator<Item = &'static str> + 'a {
    CATALOGUE
        .iter()
        .map(|p| p.code)
        .filter(move |c| resources.contains(&resource_of(c)))
}

/// The `:read` code of each given resource.
fn read_of<'a>(resources: &'a [&str]) -> impl Iterator<Item = &'static str> + 'a {
    CATALOGUE
        .iter()
        .map(|p| p.code)
        .filter(move |c| c.ends_with(":read") && resources.contains(&resource_of(c)))
}

fn role(
    name: &'static str,
    description: &'static str,
    codes: impl IntoIterator<Item = &'static str>,
) -> SystemRole {
    let set: BTreeSet<String> = codes
        .into_iter()
        .chain(EMPLOYEE.iter().copied())
        .map(String::from)
        .collect();
    SystemRole {
        name,
        description,
        permissions: set.into_iter().collect(),
    }
}

/// The roles seeded in every new organization, as section 3 of the contract lists them.
pub fn system_roles() -> Vec<SystemRole> {
    vec![
        role(
            ADMIN_ROLE,
            "Everything, including users, roles and the organization profile",
            CATALOGUE.iter().map(|p| p.code),
        ),
        role(
            "manager",
            "All of sales and projects; reads HR and finance",
            all_of(SALES)
                .chain(all_of(PROJECTS))
                .chain(read_of(HR))
                .chain(read_of(FINANCE))
                .chain([
                    "expenses:approve",
                    "users:read",
                    "activities:read",
                    "files:read",
                    "files:write",
                    "calendar_events:read",
                ]),
        ),
        role(
            "sales",
            "Own leads, deals and quotations; reads clients",
            [
                "leads:read:own",
                "leads:write:own",
                "leads:delete:own",
                "deals:read:own",
                "deals:write:own",
                "deals:delete:own",
                "quotations:read:own",
                "quotations:write:own",
                "quotations:delete:own",
                // What owning leads and deals needs to see: their clients and the pipelines.
                "clients:read",
                "contacts:read",
                "interactions:read",
                "pipelines:read",
            ],
        ),
        role(
            "hr",
            "All of human resources, departments and designations; reads users",
            all_of(HR)
                .chain(all_of(&["departments", "designations"]))
                .chain(["users:read"]),
        ),
        role(
            "finance",
            "All of finance, approvals included; reads clients, deals and quotations",
            all_of(FINANCE).chain(["clients:read", "deals:read", "quotations:read"]),
        ),
        role(
            EMPLOYEE_ROLE,
            "Own profile, own attendance and leave, assigned tasks",
            [],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::context::Permission;

    const CONTRACT_RESOURCES: &[&str] = &[
        "organization",
        "users",
        "roles",
        "permissions",
        "departments",
        "designations",
        "activities",
        "events",
        "webhooks",
        "clients",
        "contacts",
        "interactions",
        "leads",
        "pipelines",
        "deals",
        "quotations",
        "projects",
        "tasks",
        "milestones",
        "time_entries",
        "employees",
        "work_schedules",
        "holidays",
        "attendance",
        "leave_types",
        "leave_balances",
        "leave_adjustments",
        "leave_requests",
        "training_programs",
        "training_sessions",
        "training_enrollments",
        "certifications",
        "job_postings",
        "candidates",
        "applications",
        "interviews",
        "offers",
        "invoices",
        "payments",
        "expenses",
        "contracts",
        "credit_notes",
        "recurring_invoices",
        "proposals",
        "reports",
        "files",
        "notifications",
        "messages",
        "calendar_events",
    ];

    #[test]
    fn catalogue_codes_are_well_formed_and_unique() {
        let mut seen = BTreeSet::new();
        for p in CATALOGUE {
            assert!(Permission::parse(p.code).is_some(), "{} must parse", p.code);
            assert!(seen.insert(p.code), "{} listed twice", p.code);
            assert!(!p.description.is_empty());
        }
    }

    #[test]
    fn catalogue_covers_every_resource_of_the_contract() {
        for r in CONTRACT_RESOURCES {
            assert!(is_known(&format!("{r}:read")), "{r}:read missing");
        }
        let resources: BTreeSet<&str> = CATALOGUE.iter().map(|p| resource_of(p.code)).collect();
        assert_eq!(resources, CONTRACT_RESOURCES.iter().copied().collect());
        for code in [
            "invoices:approve",
            "leave_requests:approve",
            "expenses:approve",
            "leads:read:own",
            "deals:write:own",
        ] {
            assert!(is_known(code), "{code} missing");
        }
        // Every `:own` form has its all-records counterpart.
        for p in CATALOGUE.iter().filter(|p| p.code.ends_with(":own")) {
            assert!(
                is_known(p.code.trim_end_matches(":own")),
                "{} lacks its wide form",
                p.code
            );
        }
    }

    #[test]
    fn every_system_role_holds_only_catalogue_codes() {
        let roles = system_roles();
        let names: Vec<&str> = roles.iter().map(|r| r.name).collect();
        assert_eq!(names, SYSTEM_ROLE_NAMES);
        for r in &roles {
            assert!(!r.permissions.is_empty(), "{} is empty", r.name);
            for c in &r.permissions {
                assert!(is_known(c), "{} grants unknown {c}", r.name);
            }
            let mut sorted = r.permissions.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(
                sorted, r.permissions,
                "{} codes must be sorted and unique",
                r.name
            );
        }
    }

    #[test]
    fn admin_has_everything() {
        let admin = system_roles()
            .into_iter()
            .find(|r| r.name == ADMIN_ROLE)
            .unwrap();
        assert_eq!(admin.permissions.len(), CATALOGUE.len());
    }

    #[test]
    fn seeded_roles_match_the_contract() {
        let roles = system_roles();
        let get = |n: &str| {
            roles
                .iter()
                .find(|r| r.name == n)
                .unwrap()
                .permissions
                .clone()
        };
        let has = |n: &str, c: &str| get(n).iter().any(|x| x == c);

        // sales: own leads, deals, quotations, read clients, nothing wider on the owned ones.
        for c in [
            "leads:read:own",
            "leads:write:own",
            "deals:read:own",
            "quotations:delete:own",
            "clients:read",
        ] {
            assert!(has("sales", c), "sales lacks {c}");
        }
        for c in [
            "leads:read",
            "deals:write",
            "clients:write",
            "invoices:read",
        ] {
            assert!(!has("sales", c), "sales must not hold {c}");
        }
        // manager: every scope on sales and projects, read-only on HR and finance.
        for c in [
            "leads:read",
            "leads:delete",
            "deals:write:own",
            "tasks:delete",
            "milestones:write",
            "time_entries:delete",
            "employees:read",
            "invoices:read",
            "credit_notes:read",
            "reports:read",
            // Approves expenses (of their reports, once HR gives the reporting line).
            "expenses:approve",
        ] {
            assert!(has("manager", c), "manager lacks {c}");
        }
        for c in [
            "invoices:write",
            "invoices:approve",
            "payments:write",
            "credit_notes:write",
            "employees:write",
            "users:write",
            "roles:write",
        ] {
            assert!(!has("manager", c), "manager must not hold {c}");
        }
        assert!(
            has("hr", "leave_requests:approve")
                && has("hr", "employees:write")
                && !has("hr", "invoices:read")
        );
        assert!(
            has("finance", "invoices:approve")
                && has("finance", "expenses:approve")
                && !has("finance", "employees:read")
        );
        // employee: self-service only.
        for c in [
            "users:read:own",
            "attendance:write:own",
            "leave_requests:write:own",
            "expenses:write:own",
            "tasks:read:own",
            "projects:read:own",
            "time_entries:write:own",
        ] {
            assert!(has("employee", c), "employee lacks {c}");
        }
        for c in [
            "users:read",
            "attendance:read",
            "leave_requests:approve",
            "tasks:read",
            "projects:read",
            "time_entries:read",
            "leads:read:own",
            "expenses:read",
            "expenses:approve",
        ] {
            assert!(!has("employee", c), "employee must not hold {c}");
        }
        // Only admin manages access.
        for r in roles.iter().filter(|r| r.name != ADMIN_ROLE) {
            assert!(
                !r.permissions
                    .iter()
                    .any(|c| c.starts_with("roles:write") || c == "users:write"),
                "{}",
                r.name
            );
        }
    }
}
