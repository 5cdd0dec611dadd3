//! Domain crate for the sales module (entities, rules and ports). Its issue adds them; the
//! crate exists now so the workspace layout and its dependency invariants are checked from day one.
//!
//! Architecture invariant: no sea-orm, sqlx, actix or lettre in this crate's dependency tree.
