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
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreError::Unavailable(causes(&e)),
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s))
            if is_connection_error(s) =>
        {
            StoreError::Unavailable(causes(&e))
        }
        DbErr::RecordNotFound(_) | DbErr::RecordNotUpdated => StoreError::NotFound,
        _ => StoreError::Unexpected(causes(&e)),
    }
}

/// The error and each of its sources, `outer: inner: innermost`, skipping a source whose text
/// its wrapper already shows. The port's error is a plain value (compared in tests, cloned
/// into retries), so the chain travels as text to the log line of the `500` or `503`.
pub fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
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

#[cfg(test)]
mod tests {
    use super::causes;
    use std::fmt;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn the_chain_is_written_out_without_repeating_what_a_wrapper_already_says() {
        let e = Layer(
            "query failed",
            Some(Box::new(Layer(
                "io error: reset",
                Some(Box::new(Layer("reset", None))),
            ))),
        );
        assert_eq!(causes(&e), "query failed: io error: reset");
    }
}
