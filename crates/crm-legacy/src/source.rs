//! The Node.js server's MySQL database, read-only: which columns each table really has
//! (`information_schema.COLUMNS`: Sequelize's `sync` never altered a table, so the columns are
//! those of the model version that first created it), and its rows with every value as text.
//!
//! Values are selected `CAST(… AS CHAR)`: one decoding path for every column type the models
//! used (`VARCHAR`, `TEXT`, `JSON`, `DATETIME` as MySQL prints it, `TINYINT(1)`, `DECIMAL`,
//! `FLOAT`), parsed by the pure rules of `rules.rs`.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Why the source could not be read: the run stops with this as its one-line reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// The source database.
pub struct Source {
    db: DatabaseConnection,
    /// The tables a step asked for, found or not: the rest are the ones left behind.
    asked: Mutex<BTreeSet<String>>,
}

/// A row: column name → its value as text (`None` for NULL).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row(pub BTreeMap<String, Option<String>>);

impl Row {
    /// The trimmed value of `column`; `None` when NULL, empty or not a column of the table.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.0
            .get(column)?
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// The row's `id`, which every Node.js table has.
    pub fn id(&self) -> &str {
        self.get("id").unwrap_or("")
    }
}

/// The rows of one table and the columns it really has.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: &'static str,
    pub columns: BTreeSet<String>,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn has(&self, column: &str) -> bool {
        self.columns.contains(column)
    }
}

impl Source {
    /// Connects to `url` (`mysql://…`) and checks that it answers.
    pub async fn connect(url: &str) -> Result<Self, SourceError> {
        if !(url.starts_with("mysql://") || url.starts_with("mariadb://")) {
            return Err(SourceError(
                "--from must be a mysql:// URL of the Node.js server's database".into(),
            ));
        }
        let url = url.replacen("mariadb://", "mysql://", 1);
        let db = Database::connect(url.as_str()).await.map_err(|e| {
            SourceError(format!(
                "cannot connect to the source database: {}",
                one_line(&e)
            ))
        })?;
        let source = Self {
            db,
            asked: Mutex::new(BTreeSet::new()),
        };
        source
            .query("SELECT DATABASE() AS db", vec![])
            .await?
            .first()
            .and_then(|r| r.get("db").map(str::to_string))
            .ok_or_else(|| SourceError("the source URL names no database".into()))?;
        Ok(source)
    }

    async fn query(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Row>, SourceError> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::MySql,
                sql,
                values,
            ))
            .await
            .map_err(|e| {
                SourceError(format!("cannot read the source database: {}", one_line(&e)))
            })?;
        rows.into_iter()
            .map(|r| {
                let mut row = BTreeMap::new();
                for column in r.column_names() {
                    let value: Option<String> = r.try_get("", &column).map_err(|e| {
                        SourceError(format!("cannot read column {column}: {}", one_line(&e)))
                    })?;
                    row.insert(column, value);
                }
                Ok(Row(row))
            })
            .collect()
    }

    /// The columns `table` really has, `None` when the table does not exist (table names are
    /// case-sensitive on a Linux MySQL, as the Node.js server created them: `Users`).
    pub async fn columns(&self, table: &str) -> Result<Option<BTreeSet<String>>, SourceError> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.insert(table.to_string());
        }
        let rows = self
            .query(
                "SELECT CAST(COLUMN_NAME AS CHAR) AS name FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                vec![table.into()],
            )
            .await?;
        let columns: BTreeSet<String> = rows
            .iter()
            .filter_map(|r| r.get("name").map(str::to_string))
            .collect();
        Ok((!columns.is_empty()).then_some(columns))
    }

    /// The rows of `table` with those of `wanted` columns it has, oldest first; `None` when the
    /// table does not exist. The columns it lacks are left out of every row (read as NULL).
    pub async fn table(
        &self,
        name: &'static str,
        wanted: &[&str],
    ) -> Result<Option<Table>, SourceError> {
        let Some(columns) = self.columns(name).await? else {
            return Ok(None);
        };
        let present: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|c| columns.contains(*c))
            .collect();
        if !present.contains(&"id") {
            return Ok(Some(Table {
                name,
                columns,
                rows: vec![],
            }));
        }
        let list = present
            .iter()
            .map(|c| format!("CAST({} AS CHAR) AS {}", quote(c), quote(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let order = if columns.contains("createdAt") {
            "`createdAt`, `id`"
        } else {
            "`id`"
        };
        let sql = format!("SELECT {list} FROM {} ORDER BY {order}", quote(name));
        let rows = self.query(&sql, vec![]).await?;
        Ok(Some(Table {
            name,
            columns,
            rows,
        }))
    }
}

impl Source {
    /// The tables of the source no step asked for, with their row counts, by name (Sequelize's
    /// own `SequelizeMeta` left out): what the run leaves behind.
    pub async fn unasked(&self) -> Result<Vec<(String, u64)>, SourceError> {
        let names = self
            .query(
                "SELECT CAST(TABLE_NAME AS CHAR) AS name FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
                 ORDER BY TABLE_NAME",
                vec![],
            )
            .await?;
        let asked = self.asked.lock().map(|a| a.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for row in &names {
            let Some(name) = row.get("name") else {
                continue;
            };
            if asked.contains(name) || name == "SequelizeMeta" {
                continue;
            }
            let sql = format!("SELECT CAST(COUNT(*) AS CHAR) AS n FROM {}", quote(name));
            let n = self
                .query(&sql, vec![])
                .await?
                .first()
                .and_then(|r| r.get("n")?.parse().ok())
                .unwrap_or(0);
            out.push((name.to_string(), n));
        }
        Ok(out)
    }
}

/// A MySQL identifier in backquotes (column names such as `from` and `range` are reserved).
fn quote(identifier: &str) -> String {
    format!("`{}`", identifier.replace('`', "``"))
}

/// An error as one line: the run's reason is printed on one line.
pub fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
