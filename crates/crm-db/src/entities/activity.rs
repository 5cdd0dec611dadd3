use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub action: String,
    pub changes: Json,
    pub created_at: DateTimeUtc,
    /// `<entity_type>.<action>` when the entry is also an event (it has `data`).
    pub event_type: Option<String>,
    /// The record as the API shows it; cleared after 30 days, when the event expires.
    pub data: Option<Json>,
    /// Set by the INSERT when the organization had an active webhook: the relay worker fans
    /// the event out to deliveries and clears it.
    pub relay: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
