use sea_orm::entity::prelude::*;

/// One notification of one user; see the migration.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub user_id: Uuid,
    #[sea_orm(column_name = "type")]
    pub r#type: String,
    pub title: String,
    pub body: String,
    pub record_type: String,
    pub record_id: Uuid,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// `id:userid` of a notification imported from the Node.js server; NULL otherwise.
    pub legacy_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
