//! The [`ImportTarget`] of each resource a CSV can be imported into. A row (its cells as a JSON
//! object) is read by the create route's own input type through the route's own body reader
//! (`framework_errors::from_json_value`: an unknown or mistyped field is named as the route
//! names it), then checked by the service's own check step (`check_create`), and written by
//! its own write step (`insert`) on the batch's transaction. How each cell reads (text,
//! integer, boolean, list) is taken from the input type's OpenAPI schema.
//!
//! Duplicates follow the unique key each resource has: an open lead's email (the
//! `ux_leads_org_open_email` index). Clients and contacts have no unique key (the API creates
//! two clients of one name), so every valid row of theirs is created.

use crate::framework_errors::from_json_value;
use async_trait::async_trait;
use crm_domain::clients::requirements::ClientsWrite;
use crm_domain::clients::{ClientInput, ClientService, Contact, ContactInput, ContactService};
use crm_domain::imports::{
    CellKind, Field, ImportResource, ImportTarget, OnDuplicate, PendingKeys, Planned, RowWrite,
};
use crm_domain::kernel::scope::require;
use crm_domain::{Actor, DomainError, FieldError, Txn};
use crm_sales::leads::{CheckedPatch, Lead, LeadId, LeadInput, LeadPatch, LeadService};
use crm_sales::requirements::LeadsWrite;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Schema, SchemaType, Type};

/// Every importable resource.
pub fn import_targets(
    clients: &crm_domain::clients::ClientServices,
    sales: &crm_sales::SalesServices,
) -> Vec<(ImportResource, Arc<dyn ImportTarget>)> {
    let mut contact_fields = vec![("client_id".to_string(), CellKind::Text)];
    contact_fields.extend(cell_kinds::<ContactInput>());
    vec![
        (
            ImportResource::Leads,
            Arc::new(Leads {
                svc: sales.leads.clone(),
                fields: cell_kinds::<LeadInput>(),
            }),
        ),
        (
            ImportResource::Clients,
            Arc::new(Clients {
                svc: clients.clients.clone(),
                fields: cell_kinds::<ClientInput>(),
            }),
        ),
        (
            ImportResource::Contacts,
            Arc::new(Contacts {
                svc: clients.contacts.clone(),
                fields: contact_fields,
            }),
        ),
    ]
}

/// The fields of an input type in declaration order, each with how its cell reads, from the
/// type's schema (the one the OpenAPI document shows for the create route's body).
pub fn cell_kinds<T: utoipa::PartialSchema>() -> Vec<Field> {
    match T::schema() {
        RefOr::T(Schema::Object(o)) => o
            .properties
            .iter()
            .map(|(name, s)| (name.clone(), kind_of(s)))
            .collect(),
        _ => Vec::new(),
    }
}

fn kind_of(s: &RefOr<Schema>) -> CellKind {
    let of_type = |t: &SchemaType| {
        let has = |x: Type| match t {
            SchemaType::Type(one) => *one == x,
            SchemaType::Array(many) => many.contains(&x),
            SchemaType::AnyValue => false,
        };
        if has(Type::Integer) {
            CellKind::Integer
        } else if has(Type::Number) {
            CellKind::Number
        } else if has(Type::Boolean) {
            CellKind::Boolean
        } else if has(Type::Array) {
            CellKind::List
        } else if has(Type::Object) {
            CellKind::Json
        } else {
            CellKind::Text
        }
    };
    match s {
        RefOr::T(Schema::Object(o)) => of_type(&o.schema_type),
        RefOr::T(Schema::Array(_)) => CellKind::List,
        RefOr::T(Schema::OneOf(one)) => first_typed(&one.items),
        RefOr::T(Schema::AnyOf(any)) => first_typed(&any.items),
        // Typed ids and name enums: texts.
        _ => CellKind::Text,
    }
}

/// A union's cell kind: its first member that is not text (`integer` of `integer | null`).
fn first_typed(items: &[RefOr<Schema>]) -> CellKind {
    items
        .iter()
        .map(kind_of)
        .find(|k| *k != CellKind::Text)
        .unwrap_or(CellKind::Text)
}

/// The row as the route's input type, refused as the route refuses a body.
fn decode<T: DeserializeOwned>(row: Value) -> Result<T, DomainError> {
    from_json_value(row).map_err(|e| {
        DomainError::Invalid(
            e.problem
                .errors
                .into_iter()
                .map(|f| FieldError::new(f.field, f.code, f.message))
                .collect(),
        )
    })
}

struct Leads {
    svc: LeadService,
    fields: Vec<Field>,
}

struct NewLead {
    svc: LeadService,
    lead: Lead,
}

struct LeadUpdate {
    svc: LeadService,
    id: LeadId,
    patch: CheckedPatch,
}

#[async_trait]
impl ImportTarget for Leads {
    fn authorize(&self, actor: &Actor) -> Result<(), DomainError> {
        require::<LeadsWrite>(actor).map(|_| ())
    }

    fn fields(&self) -> Vec<Field> {
        self.fields.clone()
    }

    /// The duplicate of a row is the open lead of the organization with its email (committed,
    /// or an earlier row of the batch); only an open lead's email is unique.
    async fn plan(
        &self,
        actor: &Actor,
        row: Map<String, Value>,
        on_duplicate: OnDuplicate,
        pending: &mut PendingKeys,
    ) -> Result<Planned, DomainError> {
        let row = Value::Object(row);
        let lead = self.svc.check_create(actor, decode(row.clone())?).await?;
        let key = match &lead.email {
            Some(e) if lead.status.is_open() => e.as_str().to_string(),
            _ => return Ok(self.create(lead)),
        };
        let existing = match pending.get(&key) {
            Some(id) => Some(LeadId(*id)),
            None => self.svc.open_duplicate(&lead).await?,
        };
        match (existing, on_duplicate) {
            (None, _) => {
                pending.insert(key, lead.id.0);
                Ok(self.create(lead))
            }
            (Some(_), OnDuplicate::Skip) => Ok(Planned::Skip),
            (Some(id), OnDuplicate::Update) => {
                let patch = self
                    .svc
                    .check_patch(actor, decode::<LeadPatch>(row)?)
                    .await?;
                Ok(Planned::Update(Box::new(LeadUpdate {
                    svc: self.svc.clone(),
                    id,
                    patch,
                })))
            }
        }
    }
}

impl Leads {
    fn create(&self, lead: Lead) -> Planned {
        Planned::Create(Box::new(NewLead {
            svc: self.svc.clone(),
            lead,
        }))
    }
}

#[async_trait]
impl RowWrite for NewLead {
    async fn write(self: Box<Self>, tx: &mut Txn, actor: &Actor) -> Result<(), DomainError> {
        self.svc.insert(tx, actor, &self.lead).await
    }
}

#[async_trait]
impl RowWrite for LeadUpdate {
    async fn write(self: Box<Self>, tx: &mut Txn, actor: &Actor) -> Result<(), DomainError> {
        let this = *self;
        this.svc
            .apply_patch(tx, actor, this.id, None, this.patch)
            .await?
            .written()
            .map(|_| ())
    }
}

struct Clients {
    svc: ClientService,
    fields: Vec<Field>,
}

struct NewClient {
    svc: ClientService,
    client: crm_domain::clients::Client,
}

#[async_trait]
impl ImportTarget for Clients {
    fn authorize(&self, actor: &Actor) -> Result<(), DomainError> {
        require::<ClientsWrite>(actor).map(|_| ())
    }

    fn fields(&self) -> Vec<Field> {
        self.fields.clone()
    }

    async fn plan(
        &self,
        actor: &Actor,
        row: Map<String, Value>,
        _on_duplicate: OnDuplicate,
        _pending: &mut PendingKeys,
    ) -> Result<Planned, DomainError> {
        let client = self
            .svc
            .check_create(actor, decode(Value::Object(row))?)
            .await?;
        Ok(Planned::Create(Box::new(NewClient {
            svc: self.svc.clone(),
            client,
        })))
    }
}

#[async_trait]
impl RowWrite for NewClient {
    async fn write(self: Box<Self>, tx: &mut Txn, actor: &Actor) -> Result<(), DomainError> {
        self.svc.insert(tx, actor, &self.client).await
    }
}

struct Contacts {
    svc: ContactService,
    fields: Vec<Field>,
}

struct NewContact {
    svc: ContactService,
    contact: Contact,
}

#[async_trait]
impl ImportTarget for Contacts {
    fn authorize(&self, actor: &Actor) -> Result<(), DomainError> {
        require::<ClientsWrite>(actor).map(|_| ())
    }

    fn fields(&self) -> Vec<Field> {
        self.fields.clone()
    }

    /// A contact's row names its client in `client_id` (the route has it in its path): a
    /// client the caller may write, `422 client_id` otherwise.
    async fn plan(
        &self,
        actor: &Actor,
        mut row: Map<String, Value>,
        _on_duplicate: OnDuplicate,
        _pending: &mut PendingKeys,
    ) -> Result<Planned, DomainError> {
        let client = match row.remove("client_id") {
            None => {
                return Err(DomainError::invalid(
                    "client_id",
                    "required",
                    "client_id is required",
                ));
            }
            Some(v) => match v.as_str().map(uuid::Uuid::parse_str) {
                Some(Ok(id)) => crm_domain::clients::ClientId(id),
                _ => {
                    return Err(DomainError::invalid(
                        "client_id",
                        "invalid",
                        "client_id must be a UUID",
                    ));
                }
            },
        };
        let input: ContactInput = decode(Value::Object(row))?;
        let contact = match self.svc.check_create(actor, client, input).await {
            Err(DomainError::NotFound) => {
                return Err(DomainError::invalid(
                    "client_id",
                    "not_found",
                    "no such client",
                ));
            }
            other => other?,
        };
        Ok(Planned::Create(Box::new(NewContact {
            svc: self.svc.clone(),
            contact,
        })))
    }
}

#[async_trait]
impl RowWrite for NewContact {
    async fn write(self: Box<Self>, tx: &mut Txn, actor: &Actor) -> Result<(), DomainError> {
        self.svc.insert(tx, actor, &self.contact).await
    }
}
