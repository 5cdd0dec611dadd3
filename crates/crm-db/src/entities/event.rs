use sea_orm::entity::prelude::*;

/// The `events` view over `activities` (see the migration): audit entries that carry their
/// record, with the columns named as the API names them.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub actor_id: Option<Uuid>,
    #[sea_orm(column_name = "type")]
    pub r#type: String,
    pub record_type: String,
    pub record_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub data: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
