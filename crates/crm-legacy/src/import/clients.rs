//! Clients: the `Users` rows whose role is `sub-client` (customer companies with a portal
//! login in the Node.js server) and the rows of `customers`, each in its tenant, owned by the
//! user who created it when that user is of the tenant, else by the tenant owner.

use super::NO_TENANT;
use super::{Ctx, ImportError, read, upsert};
use crate::report::Step;
use crate::rules::{self, RoleKind};
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::clients::{
    CLIENT_ADDRESS_MAX, CLIENT_NAME_MAX, Client, ClientId, ClientKind, Lifecycle,
};
use crm_domain::identity::EmailAddress;
use serde_json::Value;

pub(crate) const SUB_CLIENTS: Step = Step {
    source: "Users",
    target: "clients",
};
pub(crate) const CUSTOMERS: Step = Step {
    source: "customers",
    target: "clients",
};

const CUSTOMER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "contact",
    "email",
    "billing_address",
    "created_by",
    "createdAt",
    "updatedAt",
];

/// What a client is made of, from either source.
struct Fields {
    name: String,
    email: Option<EmailAddress>,
    phone: Option<String>,
    address: Option<String>,
}

/// Where a part of an address goes: street first, postal code last, unknown keys after.
fn address_rank(key: &str) -> usize {
    const ORDER: &[&str] = &[
        "street", "address", "line1", "line2", "area", "city", "state", "country", "zip",
        "zipcode", "postal", "pincode",
    ];
    let key = key.to_ascii_lowercase();
    ORDER
        .iter()
        .position(|k| key.starts_with(k))
        .unwrap_or(ORDER.len())
}

/// A JSON address object (`{street, city, state, country, postal_code}`, keys unknown) as
/// lines of text in postal order; plain text stays as it is.
pub(crate) fn address_text(raw: Option<&str>) -> Option<String> {
    let raw = raw?;
    let text = match rules::decode_json(raw) {
        Some(Value::Object(map)) => {
            let mut parts: Vec<(&String, &Value)> = map.iter().collect();
            parts.sort_by_key(|(k, _)| address_rank(k));
            parts
                .into_iter()
                .filter_map(|(_, v)| match v {
                    Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
        Some(Value::String(s)) => s,
        _ => raw.to_string(),
    };
    let text: String = text.trim().chars().take(CLIENT_ADDRESS_MAX).collect();
    (!text.is_empty()).then_some(text)
}

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let sub_clients: Vec<Row> = match &ctx.source_users {
        Some(u) => u
            .rows
            .iter()
            .filter(|r| matches!(u.kinds.get(r.id()), Some((RoleKind::SubClient, _))))
            .cloned()
            .collect(),
        None => vec![],
    };
    ctx.report.step(SUB_CLIENTS);
    ctx.progress.start(SUB_CLIENTS, sub_clients.len() as u64);
    for row in &sub_clients {
        let fields = Fields {
            name: rules::person_name(
                row.get("firstName"),
                row.get("lastName"),
                row.get("username"),
            )
            .unwrap_or_else(|| row.id().to_string()),
            email: row.get("email").and_then(|e| EmailAddress::parse(e).ok()),
            phone: row.get("phone").map(str::to_string),
            address: None,
        };
        let tenant = ctx.tenant_of_user(row.id()).map(|(_, t)| t);
        one(ctx, SUB_CLIENTS, row, tenant, fields).await?;
    }
    ctx.progress.finish();

    let customers = read(source, &mut ctx.report, "customers", CUSTOMER_COLUMNS).await?;
    let rows = customers.map(|t| t.rows).unwrap_or_default();
    ctx.report.step(CUSTOMERS);
    ctx.progress.start(CUSTOMERS, rows.len() as u64);
    for row in &rows {
        let fields = Fields {
            name: row.get("name").unwrap_or(row.id()).to_string(),
            email: row.get("email").and_then(|e| EmailAddress::parse(e).ok()),
            phone: row.get("contact").map(str::to_string),
            address: address_text(row.get("billing_address")),
        };
        let tenant = ctx.tenant_of(row).map(|(_, t)| t);
        one(ctx, CUSTOMERS, row, tenant, fields).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn one(
    ctx: &mut Ctx<'_>,
    step: Step,
    row: &Row,
    tenant: Option<super::Tenant>,
    f: Fields,
) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some(tenant) = tenant else {
        ctx.skip(step, &legacy, NO_TENANT);
        return Ok(());
    };
    if row.get("email").is_some() && f.email.is_none() {
        ctx.report
            .note(step.source, &legacy, "email is not an address: left empty");
    }
    let org = tenant.org;
    let owner = ctx
        .user_in(org, row.get("created_by"))
        .unwrap_or(tenant.owner);
    let (created, updated) = ctx.stamps(row);
    let name: String = f.name.trim().chars().take(CLIENT_NAME_MAX).collect();
    let records = ctx.target.clients.clone();
    let build = |stored: Option<&Client>| match stored {
        Some(s) => Client {
            name: name.clone(),
            email: f.email.clone(),
            phone: f.phone.clone(),
            address: f.address.clone(),
            updated_at: updated,
            ..s.clone()
        },
        None => Client {
            id: ClientId::new(),
            organization_id: org,
            name: name.clone(),
            kind: ClientKind::Company,
            email: f.email.clone(),
            phone: f.phone.clone(),
            website: None,
            industry: None,
            parent_id: None,
            owner_id: owner,
            status: Client::DEFAULT_STATUS.to_string(),
            tags: vec![],
            address: f.address.clone(),
            lifecycle: Lifecycle::Prospect,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        },
    };
    upsert(
        ctx,
        &records,
        LegacyTable::Clients,
        step,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_in_postal_order_from_json_or_a_json_string() {
        let stored =
            r#""{\"postal_code\": 411001, \"city\": \"Pune\", \"street\": \"1 MG Road\"}""#;
        assert_eq!(
            address_text(Some(stored)).as_deref(),
            Some("1 MG Road\nPune\n411001")
        );
        assert_eq!(
            address_text(Some("12 Plain St")).as_deref(),
            Some("12 Plain St")
        );
        assert_eq!(address_text(None), None);
    }
}
