//! From a file's columns to a resource's fields, and from a row's cells to the JSON object the
//! resource's create route would take: the row is then read by that route's own input type.

use crate::kernel::validation::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How a cell's text becomes its field's JSON value, read from the input type's schema (cells
/// are text; the input types take numbers and booleans as JSON numbers and booleans).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellKind {
    Text,
    Integer,
    Number,
    Boolean,
    /// A list of texts: a JSON array, or the items separated by commas (`vip, north`).
    List,
    /// An object: its JSON.
    Json,
}

/// A field of a resource's row and its kind.
pub type Field = (String, CellKind);

/// The field each column of a file fills (`None`: the column is left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns(Vec<Option<Field>>);

/// A text the export prefixed with `'` so that a spreadsheet would not run it (contract
/// section 10): read back as it was.
fn unneutralised(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

impl Columns {
    /// The columns of `header` under `mapping` (`{column: field}`, a `null` field leaves the
    /// column out; unmapped columns fill the field of their own name). `422` naming `mapping`
    /// for a mapping entry that names no column of the file or no field, or two columns
    /// filling one field; naming `file` for an unmapped column that is no field, and for a
    /// header that repeats a column.
    pub fn resolve(
        header: &[String],
        mapping: &BTreeMap<String, Option<String>>,
        fields: &[Field],
    ) -> Result<Columns, Vec<FieldError>> {
        let mut errors = Vec::new();
        let names = || {
            fields
                .iter()
                .map(|(f, _)| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (column, field) in mapping {
            if !header.contains(column) {
                errors.push(FieldError::new(
                    "mapping",
                    "unknown_column",
                    format!("the file has no column `{column}`"),
                ));
            }
            if let Some(f) = field
                && !fields.iter().any(|(n, _)| n == f)
            {
                errors.push(FieldError::new(
                    "mapping",
                    "unknown_field",
                    format!(
                        "`{f}` (for column `{column}`) is not a field; the fields are {}",
                        names()
                    ),
                ));
            }
        }
        let mut out = Vec::with_capacity(header.len());
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (i, column) in header.iter().enumerate() {
            if header[..i].contains(column) {
                errors.push(FieldError::new(
                    "file",
                    "duplicate_column",
                    format!("the column `{column}` appears twice in the header"),
                ));
                out.push(None);
                continue;
            }
            let (target, mapped) = match mapping.get(column) {
                Some(None) => {
                    out.push(None);
                    continue;
                }
                Some(Some(f)) => (f.as_str(), true),
                None => (column.as_str(), false),
            };
            let Some(field) = fields.iter().find(|(n, _)| n == target) else {
                if !mapped {
                    errors.push(FieldError::new(
                        "file",
                        "unknown_column",
                        format!(
                            "the column `{column}` is not a field (map it with `mapping`, or map it to null to leave it out); the fields are {}",
                            names()
                        ),
                    ));
                }
                out.push(None);
                continue;
            };
            if let Some(other) = seen.insert(target, column) {
                errors.push(FieldError::new(
                    if mapped || mapping.contains_key(other) {
                        "mapping"
                    } else {
                        "file"
                    },
                    "duplicate_field",
                    format!("the columns `{other}` and `{column}` both fill `{target}`"),
                ));
            }
            out.push(Some(field.clone()));
        }
        if errors.is_empty() {
            Ok(Columns(out))
        } else {
            Err(errors)
        }
    }

    /// The row's JSON object: each non-empty cell under its field, typed by its kind (an
    /// empty cell is absent; a cell that does not read as its kind stays text, so the input
    /// type refuses it as the route would). More cells than columns is a row error.
    pub fn row(&self, cells: Vec<String>) -> Result<Map<String, Value>, FieldError> {
        if cells.len() > self.0.len() {
            return Err(FieldError::new(
                "row",
                "too_many_cells",
                format!(
                    "the row has {} cells, the header {} columns",
                    cells.len(),
                    self.0.len()
                ),
            ));
        }
        let mut out = Map::new();
        for (cell, column) in cells.into_iter().zip(&self.0) {
            let Some((field, kind)) = column else {
                continue;
            };
            if cell.trim().is_empty() {
                continue;
            }
            out.insert(field.clone(), value(&cell, *kind));
        }
        Ok(out)
    }
}

fn value(cell: &str, kind: CellKind) -> Value {
    let t = cell.trim();
    let text = || Value::String(unneutralised(cell).to_string());
    match kind {
        CellKind::Text => text(),
        CellKind::Integer => t.parse::<i64>().map(Value::from).unwrap_or_else(|_| text()),
        CellKind::Number => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(text),
        CellKind::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => text(),
        },
        CellKind::List if t.starts_with('[') => serde_json::from_str(t).unwrap_or_else(|_| text()),
        CellKind::List => Value::Array(
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        CellKind::Json => serde_json::from_str(t).unwrap_or_else(|_| text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<Field> {
        vec![
            ("name".into(), CellKind::Text),
            ("score".into(), CellKind::Integer),
            ("is_primary".into(), CellKind::Boolean),
            ("tags".into(), CellKind::List),
        ]
    }

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn cells_become_the_fields_json_values() {
        let cols = Columns::resolve(
            &header(&["Full name", "score", "is_primary", "tags", "notes"]),
            &BTreeMap::from([
                ("Full name".to_string(), Some("name".to_string())),
                ("notes".to_string(), None),
            ]),
            &fields(),
        )
        .unwrap();
        let row = cols.row(
            ["'=Ann", "40", "Yes", "vip, north", "ignored"]
                .map(String::from)
                .to_vec(),
        );
        assert_eq!(
            Value::Object(row.unwrap()),
            json!({"name": "=Ann", "score": 40, "is_primary": true, "tags": ["vip", "north"]})
        );
        // Empty cells are absent; a cell that is not its kind stays text; fewer cells are fine.
        let row = cols.row(["Bob", "forty", ""].map(String::from).to_vec());
        assert_eq!(
            Value::Object(row.unwrap()),
            json!({"name": "Bob", "score": "forty"})
        );
        let long = cols.row(vec![String::new(); 6]).unwrap_err();
        assert_eq!(long.code, "too_many_cells");
    }

    #[test]
    fn unknown_columns_and_bad_mappings_are_named() {
        let e = Columns::resolve(&header(&["name", "colour"]), &BTreeMap::new(), &fields())
            .unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("file", "unknown_column")
        );
        assert!(e[0].message.contains("`colour`"));
        let e = Columns::resolve(
            &header(&["name", "Name"]),
            &BTreeMap::from([
                ("Name".to_string(), Some("name".to_string())),
                ("missing".to_string(), Some("nope".to_string())),
            ]),
            &fields(),
        )
        .unwrap_err();
        let codes: Vec<_> = e
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("mapping", "unknown_column"),
                ("mapping", "unknown_field"),
                ("mapping", "duplicate_field")
            ]
        );
    }
}
