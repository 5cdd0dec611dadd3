use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quotations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub client_id: Uuid,
    pub deal_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub number: String,
    pub issue_date: Date,
    pub valid_until: Date,
    pub currency: String,
    pub subtotal: i64,
    pub tax_total: i64,
    pub total: i64,
    /// As stored: `draft`, `sent`, `accepted` or `rejected` (expiry is read, not stored).
    pub status: String,
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
