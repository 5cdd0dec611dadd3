//! Column helpers that pick the right type per backend.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// A UTC timestamp column (NOT NULL).
pub fn ts(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut c = ts_null(backend, name);
    c.not_null();
    c
}

/// A nullable UTC timestamp column.
pub fn ts_null(backend: DatabaseBackend, name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    match backend {
        DatabaseBackend::MySql => c.custom("DATETIME(6)"),
        _ => c.timestamp_with_time_zone(),
    };
    c
}

/// A UUID primary key.
pub fn id() -> ColumnDef {
    let mut c = ColumnDef::new("id");
    c.uuid().not_null().primary_key();
    c
}

pub fn uuid(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.uuid().not_null();
    c
}

pub fn uuid_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.uuid().null();
    c
}

/// A bounded string. Unique or indexed strings stay at 191 characters or fewer so that a
/// utf8mb4 index key fits MySQL's 767-byte limit on older row formats.
pub fn string(name: &'static str, len: u32) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.string_len(len).not_null();
    c
}

pub fn string_null(name: &'static str, len: u32) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.string_len(len).null();
    c
}

pub fn text(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.text().not_null();
    c
}

pub fn text_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.text().null();
    c
}

pub fn json(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.json_binary().not_null();
    c
}

pub fn json_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.json_binary().null();
    c
}

pub fn integer(name: &'static str, default: i32) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.integer().not_null().default(default);
    c
}

/// `id`, and the `created_at`, `updated_at`, `version` every resource carries.
pub fn resource_columns(backend: DatabaseBackend) -> Vec<ColumnDef> {
    vec![
        id(),
        ts(backend, "created_at"),
        ts(backend, "updated_at"),
        integer("version", 1),
    ]
}

/// A resource table of an organization: [`resource_columns`], `organization_id` with its
/// foreign key ([`org_fk`]); the caller adds the resource's own columns.
pub fn resource_table(backend: DatabaseBackend, name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name).if_not_exists();
    for c in resource_columns(backend) {
        t.col(c);
    }
    t.col(uuid("organization_id"))
        .foreign_key(&mut org_fk(name));
    t
}

pub fn boolean(name: &'static str, default: bool) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.boolean().not_null().default(default);
    c
}

pub fn integer_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.integer().null();
    c
}

/// A foreign key to `organizations`, deleting with it.
pub fn org_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_organization"))
        .from(table, "organization_id")
        .to("organizations", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A foreign key from `table.column` to `parent.id`, deleting with the parent, named
/// `fk_<table>_<column without _id>` (`fk_notifications_user`).
pub fn cascade_fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!(
            "fk_{table}_{}",
            column.strip_suffix("_id").unwrap_or(column)
        ))
        .from(table, column)
        .to(parent, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Creates an index, unique or not, over `cols` of `table`.
pub async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    manager.create_index(i).await
}

/// A `BIGINT NOT NULL` (money in minor units, quantities in thousandths).
pub fn big(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.big_integer().not_null();
    c
}

/// A `BIGINT NOT NULL DEFAULT 0`.
pub fn big_zero(name: &'static str) -> ColumnDef {
    let mut c = big(name);
    c.default(0);
    c
}

/// A `DATE NOT NULL`.
pub fn date(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.date().not_null();
    c
}

/// A nullable `DATE`.
pub fn date_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.date().null();
    c
}

/// The lines of a commercial document (`quotation_items`, `invoice_items`, …): keyed by
/// `(parent_column, position)`, deleted with their document.
pub fn line_items_table(
    table: &'static str,
    parent_column: &'static str,
    parent: &'static str,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .if_not_exists()
        .col(uuid("organization_id"))
        .col(uuid(parent_column))
        .col(integer("position", 0))
        .col(text("description"))
        .col(big("quantity_thousandths"))
        .col(big("unit_price"))
        .col(integer("tax_rate", 0))
        .col(big("subtotal"))
        .col(big("tax"))
        .col(big("total"))
        .primary_key(Index::create().col(parent_column).col("position"))
        .foreign_key(&mut org_fk(table))
        .foreign_key(&mut cascade_fk(table, parent_column, parent))
        .to_owned()
}

/// As [`cascade_fk`], but refusing to delete the parent while rows point at it.
pub fn restrict_fk(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    let mut fk = cascade_fk(table, column, parent);
    fk.on_delete(ForeignKeyAction::NoAction);
    fk
}

/// Grants permission codes a release adds to the seeded (system) roles of organizations that
/// already exist, as new organizations are seeded with them: `grants` per role name, and
/// `every_role` to each seeded role below admin (admin holds the whole catalogue whatever is
/// stored). Codes a role already holds stay once; custom roles are the admins' to change.
pub async fn grant_to_seeded_roles(
    m: &SchemaManager<'_>,
    grants: &[(&str, &[&str])],
    every_role: &[&str],
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{JsonValue, Statement};
    let db = m.get_connection();
    let backend = m.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, name, permissions FROM roles WHERE is_system = TRUE AND name <> 'admin'",
        ))
        .await?;
    for row in rows {
        let id: sea_orm_migration::sea_orm::prelude::Uuid = row.try_get("", "id")?;
        let name: String = row.try_get("", "name")?;
        let permissions: JsonValue = row.try_get("", "permissions")?;
        let mut codes: Vec<String> = permissions
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let extra = grants
            .iter()
            .filter(|(role, _)| *role == name)
            .flat_map(|(_, c)| c.iter())
            .chain(every_role.iter());
        let before = codes.len();
        for c in extra {
            if !codes.iter().any(|have| have == c) {
                codes.push((*c).to_string());
            }
        }
        if codes.len() == before {
            continue;
        }
        codes.sort();
        let update = Query::update()
            .table("roles")
            .value("permissions", JsonValue::from(codes))
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        m.exec_stmt(update).await?;
    }
    Ok(())
}

/// The list index `(organization_id, field, id)` of a nullable sort field: `NULLS FIRST` on
/// PostgreSQL (NULL lowest, the native order of MySQL/MariaDB and SQLite, which the keyset
/// pagination reads it in), a plain index elsewhere.
pub async fn nullable_sort_index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    field: &'static str,
) -> Result<(), DbErr> {
    if m.get_database_backend() == DatabaseBackend::Postgres {
        // sea-query has no per-column NULLS ordering in CREATE INDEX.
        m.get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {name} ON {table} (organization_id, {field} NULLS FIRST, id)"
            ))
            .await?;
        Ok(())
    } else {
        index(m, name, table, &["organization_id", field, "id"], false).await
    }
}

/// A nullable `BIGINT`.
pub fn big_null(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.big_integer().null();
    c
}

/// Which roles [`revoke_from_roles`] changes.
pub enum Holders<'a> {
    /// Every role, seeded and custom: for codes the catalogue no longer has (a code the server
    /// no longer knows grants nothing, and an admin editing the role would be refused it).
    Every,
    /// The seeded (system) role of this name in every organization: for a code a seeded role
    /// no longer carries; custom roles are the admins' to change.
    Seeded(&'a str),
}

/// Takes permission codes off the roles `holders` names.
pub async fn revoke_from_roles(
    m: &SchemaManager<'_>,
    codes: &[&str],
    holders: Holders<'_>,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{JsonValue, Statement, Value};
    let db = m.get_connection();
    let backend = m.get_database_backend();
    let select = match holders {
        Holders::Every => Statement::from_string(backend, "SELECT id, permissions FROM roles"),
        Holders::Seeded(name) => {
            let mark = if backend == DatabaseBackend::Postgres {
                "$1"
            } else {
                "?"
            };
            Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT id, permissions FROM roles WHERE is_system = TRUE AND name = {mark}"
                ),
                [Value::from(name)],
            )
        }
    };
    let rows = db.query_all_raw(select).await?;
    for row in rows {
        let id: sea_orm_migration::sea_orm::prelude::Uuid = row.try_get("", "id")?;
        let permissions: JsonValue = row.try_get("", "permissions")?;
        let held: Vec<String> = permissions
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let kept: Vec<String> = held
            .iter()
            .filter(|c| !codes.contains(&c.as_str()))
            .cloned()
            .collect();
        if kept.len() == held.len() {
            continue;
        }
        let update = Query::update()
            .table("roles")
            .value("permissions", JsonValue::from(kept))
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        m.exec_stmt(update).await?;
    }
    Ok(())
}

/// Longest `legacy_id`: the Node.js server's ids are 23 characters (47 for the `id:userid`
/// of a notification per recipient).
pub const LEGACY_ID_LEN: u32 = 64;

/// Adds one column (SQLite alters one column per statement).
pub async fn add_column(
    m: &SchemaManager<'_>,
    table: &'static str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

/// Drops one column.
pub async fn drop_column(
    m: &SchemaManager<'_>,
    table: &'static str,
    column: &'static str,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

/// Drops the index `name` of `table`.
pub async fn drop_index(
    m: &SchemaManager<'_>,
    table: &'static str,
    name: &str,
) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

/// The unique index of a table's `legacy_id`.
pub fn legacy_index(table: &str) -> String {
    format!("ux_{table}_legacy_id")
}

/// `legacy_id` on each of `tables` (`crm import legacy`, contract section 10): the original
/// server's id of an imported record, unique within an organization so a second run finds
/// what the first one wrote; NULL for records made here, any number per organization.
pub async fn add_legacy_ids(m: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for &table in tables {
        add_column(m, table, string_null("legacy_id", LEGACY_ID_LEN)).await?;
        index(
            m,
            &legacy_index(table),
            table,
            &["organization_id", "legacy_id"],
            true,
        )
        .await?;
    }
    Ok(())
}

/// Undoes [`add_legacy_ids`].
pub async fn drop_legacy_ids(m: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for &table in tables {
        drop_index(m, table, &legacy_index(table)).await?;
        drop_column(m, table, "legacy_id").await?;
    }
    Ok(())
}
