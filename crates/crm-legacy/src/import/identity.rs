//! `Roles` and `Users` → organizations (one per tenant owner, a user whose role is `client`)
//! and their users, who keep their bcrypt hashes and get the nearest seeded role.

use super::TIME_ZONE;
use super::{Ctx, ImportError, Tenant, read, target_err};
use crate::report::{Outcome, Step};
use crate::rules::{self, RoleKind};
use crate::source::{Row, Source};
use crm_db::legacy::{LegacyTable, email_taken};
use crm_domain::identity::permissions::ADMIN_ROLE;
use crm_domain::identity::{
    EmailAddress, Organization, OrganizationRepository, PasswordHash, PersonName, RoleId,
    RoleRepository, User, UserRepository, UserStatus, seed_roles,
};
use crm_domain::{OrganizationId, UserId};
use std::collections::HashMap;

pub(crate) const ORGANIZATIONS: Step = Step {
    source: "Users",
    target: "organizations",
};
pub(crate) const USERS: Step = Step {
    source: "Users",
    target: "users",
};

const USER_COLUMNS: &[&str] = &[
    "id",
    "username",
    "email",
    "password",
    "role_id",
    "firstName",
    "lastName",
    "phone",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// What the later steps need of the users: the source rows and their role kinds.
pub(crate) struct SourceUsers {
    pub rows: Vec<Row>,
    pub kinds: HashMap<String, (RoleKind, String)>,
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let users = read_users(source, ctx).await?;
    organizations(ctx, &users).await?;
    assign_tenants(ctx, &users);
    members(ctx, &users).await?;
    ctx.source_users = Some(users);
    Ok(())
}

async fn read_users(source: &Source, ctx: &mut Ctx<'_>) -> Result<SourceUsers, ImportError> {
    let roles = read(source, &mut ctx.report, "Roles", &["id", "role_name"]).await?;
    let role_names: HashMap<String, String> = roles
        .iter()
        .flat_map(|t| &t.rows)
        .filter_map(|r| Some((r.id().to_string(), r.get("role_name")?.to_string())))
        .collect();
    let rows = read(source, &mut ctx.report, "Users", USER_COLUMNS)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    let mut kinds = HashMap::new();
    for row in &rows {
        if let Some(username) = row.get("username") {
            ctx.usernames
                .insert(username.to_string(), row.id().to_string());
        }
        if let Some(name) = row.get("role_id").and_then(|r| role_names.get(r)) {
            kinds.insert(row.id().to_string(), (rules::role_kind(name), name.clone()));
        }
    }
    Ok(SourceUsers { rows, kinds })
}

fn display_name(row: &Row) -> String {
    rules::person_name(
        row.get("firstName"),
        row.get("lastName"),
        row.get("username"),
    )
    .or_else(|| row.get("email").map(str::to_string))
    .unwrap_or_else(|| row.id().to_string())
    .chars()
    .take(PersonName::MAX_CHARS)
    .collect()
}

/// One organization per tenant owner, with its seeded roles.
async fn organizations(ctx: &mut Ctx<'_>, users: &SourceUsers) -> Result<(), ImportError> {
    let owners: Vec<&Row> = users
        .rows
        .iter()
        .filter(|r| matches!(users.kinds.get(r.id()), Some((RoleKind::TenantOwner, _))))
        .collect();
    ctx.report.step(ORGANIZATIONS);
    ctx.progress.start(ORGANIZATIONS, owners.len() as u64);
    let currency = super::default_currency()?;
    for row in owners {
        let legacy = row.id().to_string();
        let (created, updated) = ctx.stamps(row);
        let email = row.get("email").and_then(|e| EmailAddress::parse(e).ok());
        let name = display_name(row);
        let org = match ctx.known(
            LegacyTable::Organizations,
            OrganizationId(uuid::Uuid::nil()),
            &legacy,
        ) {
            Some(id) => {
                let existing = ctx
                    .target
                    .organizations
                    .get_for_update(&mut ctx.tx, OrganizationId(id))
                    .await
                    .map_err(target_err(format!("organization of Users {legacy}")))?;
                let next = Organization {
                    name,
                    email,
                    phone: row.get("phone").map(str::to_string),
                    updated_at: updated,
                    ..existing.clone()
                };
                if next == existing {
                    ctx.done(ORGANIZATIONS, Outcome::Unchanged);
                } else {
                    let next = Organization {
                        version: existing.version + 1,
                        ..next
                    };
                    ctx.target
                        .organizations
                        .update(&mut ctx.tx, &next, existing.version)
                        .await
                        .map_err(target_err(format!("organization of Users {legacy}")))?;
                    ctx.done(ORGANIZATIONS, Outcome::Updated);
                }
                existing.id
            }
            None => {
                let mut org = Organization::new(name, currency, created);
                org.timezone = TIME_ZONE.to_string();
                org.email = email;
                org.phone = row.get("phone").map(str::to_string);
                org.legacy_id = Some(legacy.clone());
                org.updated_at = updated;
                ctx.target
                    .organizations
                    .create(&mut ctx.tx, &org)
                    .await
                    .map_err(target_err(format!("organization of Users {legacy}")))?;
                for role in seed_roles(org.id, created) {
                    ctx.target
                        .roles
                        .create(&mut ctx.tx, &role)
                        .await
                        .map_err(target_err(format!("roles of Users {legacy}")))?;
                    ctx.roles.insert((org.id, role.name.clone()), role.id);
                }
                ctx.remember(
                    LegacyTable::Organizations,
                    OrganizationId(uuid::Uuid::nil()),
                    &legacy,
                    org.id.0,
                );
                ctx.done(ORGANIZATIONS, Outcome::Created);
                org.id
            }
        };
        // The owner's user id is known once the users step ran; the placeholder is replaced there.
        ctx.owners.insert(org, legacy.clone());
        ctx.tenants.insert(
            legacy,
            Tenant {
                org,
                owner: UserId(uuid::Uuid::nil()),
            },
        );
    }
    ctx.progress.finish();
    Ok(())
}

/// The tenant of every user who is not an owner: its `client_id`, else the tenant of the user
/// who created it (by username), followed a few steps.
fn assign_tenants(ctx: &mut Ctx<'_>, users: &SourceUsers) {
    for owner in ctx.tenants.keys().cloned().collect::<Vec<_>>() {
        ctx.user_tenants.insert(owner.clone(), owner);
    }
    // Each pass resolves users created by users resolved in the one before.
    for _ in 0..5 {
        let mut changed = false;
        for row in &users.rows {
            let id = row.id();
            if ctx.user_tenants.contains_key(id) {
                continue;
            }
            let via = |key: &str| ctx.user_tenants.get(key).cloned();
            let tenant = row.get("client_id").and_then(&via).or_else(|| {
                let creator = ctx.usernames.get(row.get("created_by")?)?;
                via(creator)
            });
            if let Some(t) = tenant {
                ctx.user_tenants.insert(id.to_string(), t);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// The role ids of `org` by name: seeded in this run, or read once from an earlier one.
async fn role_id(
    ctx: &mut Ctx<'_>,
    org: OrganizationId,
    name: &str,
) -> Result<Option<RoleId>, ImportError> {
    if let Some(id) = ctx.roles.get(&(org, name.to_string())) {
        return Ok(Some(*id));
    }
    // An organization of an earlier run: its roles are committed, so the pool reads them.
    let role = ctx
        .target
        .roles
        .find_by_name(org, name)
        .await
        .map_err(target_err(format!("role {name}")))?;
    if let Some(r) = &role {
        ctx.roles.insert((org, name.to_string()), r.id);
    }
    Ok(role.map(|r| r.id))
}

fn bcrypt_hash(row: &Row) -> Option<PasswordHash> {
    let hash = row.get("password")?;
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| hash.starts_with(p))
        .then(|| PasswordHash::new(hash))
}

/// Every user who belongs to a tenant (owners first, so they own what has no owner).
async fn members(ctx: &mut Ctx<'_>, users: &SourceUsers) -> Result<(), ImportError> {
    ctx.report.step(USERS);
    ctx.progress.start(USERS, users.rows.len() as u64);
    let mut rows: Vec<&Row> = users.rows.iter().collect();
    rows.sort_by_key(|r| !matches!(users.kinds.get(r.id()), Some((RoleKind::TenantOwner, _))));
    for row in rows {
        let legacy = row.id().to_string();
        let Some((kind, role_name)) = users.kinds.get(&legacy).cloned() else {
            let reason = match row.get("role_id") {
                Some(r) => format!("role_id {r} is not a row of Roles"),
                None => "no role_id".to_string(),
            };
            ctx.skip(USERS, &legacy, reason);
            continue;
        };
        match kind {
            RoleKind::SuperAdmin => {
                ctx.skip(
                    USERS,
                    &legacy,
                    "the Node.js platform's super-admin belongs to no tenant",
                );
                continue;
            }
            // Sub-clients are customers with a portal login: they become clients.
            RoleKind::SubClient => {
                ctx.progress.advance();
                continue;
            }
            RoleKind::TenantOwner | RoleKind::Member => {}
        }
        let Some((_, tenant)) = ctx.tenant_of_user(&legacy) else {
            let reason = match row.get("client_id") {
                Some(c) => format!(
                    "client_id {c} is not a tenant owner, nor is the creator's tenant known"
                ),
                None => "no client_id and no creator whose tenant is known".to_string(),
            };
            ctx.skip(USERS, &legacy, reason);
            continue;
        };
        let Some(email) = row.get("email").and_then(|e| EmailAddress::parse(e).ok()) else {
            ctx.skip(
                USERS,
                &legacy,
                format!(
                    "email {:?} is not an address",
                    row.get("email").unwrap_or("")
                ),
            );
            continue;
        };
        let name = PersonName::parse(&display_name(row)).map_err(|e| ImportError::Target {
            what: format!("the name of Users {legacy}"),
            error: crm_domain::StoreError::Unexpected(e.to_string()),
        })?;
        let (created, updated) = ctx.stamps(row);
        let org = tenant.org;
        let id = match ctx.known(LegacyTable::Users, org, &legacy) {
            Some(id) => {
                let existing = ctx
                    .target
                    .users
                    .get_for_update(&mut ctx.tx, org, UserId(id))
                    .await
                    .map_err(target_err(format!("Users {legacy}")))?;
                // The password is taken once, on creation: a password changed here (or a
                // bcrypt hash upgraded at sign-in) is not reverted by a later run.
                let next = User {
                    name,
                    email,
                    updated_at: updated,
                    ..existing.clone()
                };
                if next == existing {
                    ctx.done(USERS, Outcome::Unchanged);
                } else if next.email != existing.email
                    && email_taken(&mut ctx.tx, &next.email)
                        .await
                        .map_err(target_err("an email lookup"))?
                {
                    ctx.skip(USERS, &legacy, format!("email {} already belongs to another user here; the user was not updated", next.email.as_str()));
                } else {
                    let next = User {
                        version: existing.version + 1,
                        ..next
                    };
                    ctx.target
                        .users
                        .update(&mut ctx.tx, &next, existing.version)
                        .await
                        .map_err(target_err(format!("Users {legacy}")))?;
                    ctx.done(USERS, Outcome::Updated);
                }
                existing.id
            }
            None => {
                if email_taken(&mut ctx.tx, &email)
                    .await
                    .map_err(target_err("an email lookup"))?
                {
                    ctx.skip(
                        USERS,
                        &legacy,
                        format!("email {} already belongs to a user here", email.as_str()),
                    );
                    continue;
                }
                let password_hash = bcrypt_hash(row);
                if password_hash.is_none() {
                    ctx.report.note(
                        USERS.source,
                        &legacy,
                        "password is not a bcrypt hash: imported without one (the user resets it)",
                    );
                }
                let role = if kind == RoleKind::TenantOwner {
                    ADMIN_ROLE
                } else {
                    rules::nearest_role(&role_name)
                };
                let Some(role_id) = role_id(ctx, org, role).await? else {
                    ctx.skip(
                        USERS,
                        &legacy,
                        format!("the organization has no role {role}"),
                    );
                    continue;
                };
                let user = User {
                    id: UserId::new(),
                    organization_id: org,
                    name,
                    email,
                    password_hash,
                    status: UserStatus::Active,
                    department_id: None,
                    designation_id: None,
                    tokens_valid_after: None,
                    last_login_at: None,
                    legacy_id: Some(legacy.clone()),
                    created_at: created,
                    updated_at: updated,
                    version: 1,
                };
                ctx.target
                    .users
                    .create(&mut ctx.tx, &user)
                    .await
                    .map_err(target_err(format!("Users {legacy}")))?;
                ctx.target
                    .roles
                    .set_user_roles(&mut ctx.tx, org, user.id, &[role_id])
                    .await
                    .map_err(target_err(format!("the role of Users {legacy}")))?;
                if role_name.to_ascii_lowercase() != role && kind == RoleKind::Member {
                    ctx.report.note(
                        USERS.source,
                        &legacy,
                        format!("role {role_name} mapped to {role}"),
                    );
                }
                ctx.remember(LegacyTable::Users, org, &legacy, user.id.0);
                ctx.done(USERS, Outcome::Created);
                user.id
            }
        };
        ctx.users.insert(legacy.clone(), (org, id));
        if kind == RoleKind::TenantOwner
            && let Some(t) = ctx.tenants.get_mut(&legacy)
        {
            t.owner = id;
        }
    }
    // A tenant whose owner could not be imported has nobody to own its records.
    let orphaned: Vec<String> = ctx
        .tenants
        .iter()
        .filter(|(_, t)| t.owner.0.is_nil())
        .map(|(k, _)| k.clone())
        .collect();
    for owner in orphaned {
        ctx.tenants.remove(&owner);
        ctx.report.note(
            USERS.source,
            &owner,
            "the tenant owner was not imported: its records are skipped",
        );
    }
    ctx.progress.finish();
    Ok(())
}
