//! Translation of driver errors into the domain's `StoreError`.

use crm_domain::StoreError;
use sea_orm::{DbErr, RuntimeErr};

/// Maps a sea-orm error to the port's contract: connection trouble is `Unavailable` (503 and a
/// retry later), a unique violation is `Conflict` naming its constraint, anything else is
/// `Unexpected` and only logged.
pub fn store_err(e: DbErr) -> StoreError {
    if let Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) = e.sql_err() {
        return StoreError::Conflict {
            constraint: constraint_name(&e).unwrap_or(msg),
        };
    }
    match &e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreError::Unavailable(e.to_string()),
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s))
            if is_connection_error(s) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        DbErr::RecordNotFound(_) | DbErr::RecordNotUpdated => StoreError::NotFound,
        _ => StoreError::Unexpected(e.to_string()),
    }
}

fn is_connection_error(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as E;
    matches!(
        e,
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Protocol(_)
    )
}

fn constraint_name(e: &DbErr) -> Option<String> {
    let sqlx_err = match e {
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        _ => return None,
    };
    let db = sqlx_err.as_database_error()?;
    if let Some(c) = db.constraint() {
        return Some(c.to_string());
    }
    // MySQL: "Duplicate entry 'x' for key 'table.ux_name'"; SQLite: "UNIQUE constraint failed: t.col".
    let msg = db.message();
    if let Some(rest) = msg.split("for key '").nth(1) {
        let key = rest.trim_end_matches('\'');
        return Some(key.rsplit('.').next().unwrap_or(key).to_string());
    }
    msg.split("constraint failed: ").nth(1).map(str::to_string)
}
