use sea_orm::entity::prelude::*;

/// The sign-in attempt counter of one client address or account; see the migration.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_attempts")]
pub struct Model {
    /// `address:<ip>` or `account:<lower-cased email>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub attempt_key: String,
    pub window_start: DateTimeUtc,
    /// Attempts within the minute from `window_start`.
    pub hits: i32,
    /// Failed logins since the last success (or since they were forgotten).
    pub failures: i32,
    pub last_failure_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
