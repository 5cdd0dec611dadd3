//! The list convention of the contract: `limit`, opaque keyset `cursor`, `sort`, equality and
//! range filters, `q` text search and `count`.
//!
//! A module declares its list with a static [`ListSpec`]; [`ListQuery::parse`] turns raw query
//! pairs into a typed, validated query, so adapters only ever see known fields with typed values.
//! Every sort ends with `id` as tie-breaker, so the cursor (the last row's sort values and id)
//! names a unique position that stays correct while rows are inserted.

use crate::kernel::validation::FieldError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Page size: 50 by default, 1..=200 allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    pub const DEFAULT: u32 = 50;
    pub const MAX: u32 = 200;

    pub fn new(v: i64) -> Result<Self, String> {
        if (1..=i64::from(Self::MAX)).contains(&v) {
            Ok(Self(v as u32))
        } else {
            Err(format!("limit must be between 1 and {}", Self::MAX))
        }
    }

    pub fn get(&self) -> u32 {
        self.0
    }

    /// The page size of a CSV export's walk through a list: larger than a client may ask
    /// for (fewer round trips), set by the server, never read from a request.
    pub const EXPORT: u32 = 500;

    pub fn export() -> Self {
        Self(Self::EXPORT)
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortDir {
    Asc,
    Desc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub field: &'static str,
    pub dir: SortDir,
    /// Where NULL sorts when the field may be NULL (from its [`FieldSpec`]); `None` for a
    /// NOT NULL field.
    pub nulls: Option<Nulls>,
}

/// Where a nullable sort field puts NULL in ascending order; descending order reverses it, so
/// NULL behaves as one more value (the lowest or the highest) and a cursor at NULL is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nulls {
    /// Below every value: first ascending, last descending. The native order of MySQL/MariaDB
    /// and SQLite indexes, and of a PostgreSQL index declared `NULLS FIRST`.
    First,
    /// Above every value: last ascending, first descending (PostgreSQL's native order).
    Last,
}

/// The type of a listable field, which decides how its query value is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Uuid,
    Timestamp,
    Date,
    Integer,
    Bool,
}

/// One field a list exposes.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    /// `?field=value` equality filter.
    pub filter: bool,
    /// `?field_from=` / `?field_to=` inclusive range.
    pub range: bool,
    /// Allowed in `sort`.
    pub sort: bool,
    /// The value may be NULL, and where NULL sorts; a cursor may then hold [`FieldValue::Null`].
    pub nulls: Option<Nulls>,
    /// What the field's values mean, for the API documentation (e.g. the values of a status).
    pub doc: Option<&'static str>,
    /// The only values an equality filter takes (`422` on the field for others), documented
    /// as the parameter's `enum`.
    pub values: Option<&'static [&'static str]>,
}

impl FieldSpec {
    pub const fn new(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            filter: false,
            range: false,
            sort: false,
            nulls: None,
            doc: None,
            values: None,
        }
    }
    pub const fn one_of(mut self, values: &'static [&'static str]) -> Self {
        self.values = Some(values);
        self
    }
    pub const fn filter(mut self) -> Self {
        self.filter = true;
        self
    }
    pub const fn range(mut self) -> Self {
        self.range = true;
        self
    }
    pub const fn sort(mut self) -> Self {
        self.sort = true;
        self
    }
    /// The column may be NULL; NULL sorts below every value ([`Nulls::First`]).
    pub const fn nullable(mut self) -> Self {
        self.nulls = Some(Nulls::First);
        self
    }
    /// The column may be NULL; NULL sorts above every value ([`Nulls::Last`]).
    pub const fn nulls_last(mut self) -> Self {
        self.nulls = Some(Nulls::Last);
        self
    }
    pub const fn doc(mut self, doc: &'static str) -> Self {
        self.doc = Some(doc);
        self
    }
}

/// What a list route accepts.
#[derive(Clone, Copy, Debug)]
pub struct ListSpec {
    pub fields: &'static [FieldSpec],
    /// Used when the request names no sort, e.g. `"-created_at"`.
    pub default_sort: &'static str,
    /// Whether `q` is accepted.
    pub searchable: bool,
}

impl ListSpec {
    /// The fields `sort` accepts, in declaration order.
    pub fn sortable(&self) -> impl Iterator<Item = &'static FieldSpec> + use<> {
        self.fields.iter().filter(|f| f.sort)
    }

    /// The fields with an equality filter.
    pub fn filters(&self) -> impl Iterator<Item = &'static FieldSpec> + use<> {
        self.fields.iter().filter(|f| f.filter)
    }

    /// The fields with a `_from` / `_to` range.
    pub fn ranges(&self) -> impl Iterator<Item = &'static FieldSpec> + use<> {
        self.fields.iter().filter(|f| f.range)
    }

    fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A typed value of a filter or of a cursor position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum FieldValue {
    Null,
    Text(String),
    Uuid(Uuid),
    Timestamp(DateTime<Utc>),
    Date(NaiveDate),
    Integer(i64),
    Bool(bool),
}

impl FieldValue {
    /// Whether this value can stand for a field of `spec` in a cursor.
    fn fits(&self, spec: &FieldSpec) -> bool {
        matches!(
            (self, spec.kind),
            (Self::Text(_), FieldKind::Text)
                | (Self::Uuid(_), FieldKind::Uuid)
                | (Self::Timestamp(_), FieldKind::Timestamp)
                | (Self::Date(_), FieldKind::Date)
                | (Self::Integer(_), FieldKind::Integer)
                | (Self::Bool(_), FieldKind::Bool)
        ) || matches!(self, Self::Null) && spec.nulls.is_some()
    }

    fn parse(kind: FieldKind, raw: &str) -> Result<Self, String> {
        match kind {
            FieldKind::Text => Ok(Self::Text(raw.to_string())),
            FieldKind::Uuid => Uuid::parse_str(raw)
                .map(Self::Uuid)
                .map_err(|_| "must be a UUID".to_string()),
            FieldKind::Timestamp => DateTime::parse_from_rfc3339(raw)
                .map(|t| Self::Timestamp(t.with_timezone(&Utc)))
                .or_else(|_| {
                    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                        .map(|d| Self::Timestamp(d.and_time(chrono::NaiveTime::MIN).and_utc()))
                })
                .map_err(|_| "must be an RFC 3339 timestamp or a YYYY-MM-DD date".to_string()),
            FieldKind::Date => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(Self::Date)
                .map_err(|_| "must be a YYYY-MM-DD date".to_string()),
            FieldKind::Integer => raw
                .parse()
                .map(Self::Integer)
                .map_err(|_| "must be an integer".to_string()),
            FieldKind::Bool => match raw {
                "true" => Ok(Self::Bool(true)),
                "false" => Ok(Self::Bool(false)),
                _ => Err("must be true or false".to_string()),
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    /// Inclusive lower bound (`_from`).
    Gte,
    /// Inclusive upper bound (`_to`).
    Lte,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub field: &'static str,
    pub op: FilterOp,
    pub value: FieldValue,
}

/// The cursor format. Version 1 (no `v`) stood for a NULL by a replacement value (`-1`, `""`,
/// `9999-12-31`); such cursors no longer decode, so a client holding one gets `422 cursor` and
/// starts again from the first page instead of skipping rows.
const CURSOR_VERSION: u8 = 2;

/// A position in a sorted list: the sort values and id of the last row returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "v")]
    pub version: u8,
    /// The sort the cursor was made for; a cursor reused with another sort is rejected.
    #[serde(rename = "s")]
    pub sort: String,
    #[serde(rename = "k")]
    pub keys: Vec<FieldValue>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serializing plain data to JSON cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let c: Self = serde_json::from_slice(&bytes).ok()?;
        (c.version == CURSOR_VERSION).then_some(c)
    }
}

/// The check every query parameter passes, on every route: no NUL character in its name or
/// value. PostgreSQL refuses the byte in text (a `500` before this check), and no backend
/// could ever match it, so it is the parameter's `422`.
pub fn check_query_value(key: &str, raw: &str) -> Result<(), FieldError> {
    if key.contains('\0') || raw.contains('\0') {
        let field = if key.is_empty() || key.contains('\0') {
            "query"
        } else {
            key
        };
        return Err(FieldError::new(
            field,
            "invalid",
            format!("{field} must not contain a NUL character"),
        ));
    }
    Ok(())
}

/// A validated list request.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    pub limit: Limit,
    pub cursor: Option<Cursor>,
    /// Never empty; `id` is appended by adapters as the final tie-breaker.
    pub sort: Vec<SortKey>,
    pub filters: Vec<Filter>,
    pub q: Option<String>,
    pub count: bool,
}

fn sort_signature(sort: &[SortKey]) -> String {
    sort.iter()
        .map(|k| match k.dir {
            SortDir::Asc => k.field.to_string(),
            SortDir::Desc => format!("-{}", k.field),
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl ListQuery {
    /// Parses raw query pairs against `spec`. Every problem is reported, one entry per field;
    /// unknown parameters are rejected rather than silently ignored, so a misspelt filter never
    /// returns the unfiltered list.
    pub fn parse(spec: &ListSpec, params: &[(String, String)]) -> Result<Self, Vec<FieldError>> {
        Self::parse_with(spec, params, &[])
    }

    /// As [`ListQuery::parse`], but leaves the parameters named in `extra` to the caller
    /// (e.g. `entity_type` on the activity log, handled by the route itself).
    pub fn parse_with(
        spec: &ListSpec,
        params: &[(String, String)],
        extra: &[&str],
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut limit = Limit::default();
        let mut cursor_raw = None;
        let mut sort_raw = None;
        let mut filters = Vec::new();
        let mut q = None;
        let mut count = false;

        for (key, raw) in params {
            let key = key.as_str();
            if let Err(e) = check_query_value(key, raw) {
                errors.push(e);
                continue;
            }
            match key {
                "limit" => match raw
                    .parse::<i64>()
                    .map_err(|_| "limit must be an integer".to_string())
                    .and_then(Limit::new)
                {
                    Ok(l) => limit = l,
                    Err(m) => errors.push(FieldError::new("limit", "out_of_range", m)),
                },
                "cursor" => cursor_raw = Some(raw.clone()),
                "sort" => sort_raw = Some(raw.clone()),
                "count" => match raw.as_str() {
                    "true" | "1" => count = true,
                    "false" | "0" => count = false,
                    _ => errors.push(FieldError::new(
                        "count",
                        "invalid",
                        "count must be true or false",
                    )),
                },
                "q" if spec.searchable => {
                    let t = raw.trim();
                    // Counted as sent, as the document's maxLength is.
                    if raw.chars().count() > 200 {
                        errors.push(FieldError::new(
                            "q",
                            "too_long",
                            "q is at most 200 characters",
                        ));
                    } else if !t.is_empty() {
                        q = Some(t.to_string());
                    }
                }
                k if extra.contains(&k) => {}
                _ => {
                    let (name, op) = if let Some(n) = key.strip_suffix("_from") {
                        (n, FilterOp::Gte)
                    } else if let Some(n) = key.strip_suffix("_to") {
                        (n, FilterOp::Lte)
                    } else {
                        (key, FilterOp::Eq)
                    };
                    // An exact field name wins over a suffix reading (a field may end in `_to`).
                    let exact = spec.fields.iter().find(|f| f.name == key && f.filter);
                    let field = match exact {
                        Some(f) => Some((f, FilterOp::Eq)),
                        None => spec
                            .fields
                            .iter()
                            .find(|f| {
                                f.name == name
                                    && (op == FilterOp::Eq && f.filter
                                        || op != FilterOp::Eq && f.range)
                            })
                            .map(|f| (f, op)),
                    };
                    match field {
                        Some((f, _)) if f.values.is_some_and(|v| !v.contains(&raw.as_str())) => {
                            errors.push(FieldError::new(
                                key,
                                "invalid",
                                format!(
                                    "{key} must be one of: {}",
                                    f.values.unwrap_or_default().join(", ")
                                ),
                            ))
                        }
                        Some((f, op)) => match FieldValue::parse(f.kind, raw) {
                            Ok(value) => filters.push(Filter {
                                field: f.name,
                                op,
                                value,
                            }),
                            Err(m) => {
                                errors.push(FieldError::new(key, "invalid", format!("{key} {m}")))
                            }
                        },
                        None => errors.push(FieldError::new(
                            key,
                            "unknown_parameter",
                            format!("{key} is not a filter of this list"),
                        )),
                    }
                }
            }
        }

        let sort = match Self::parse_sort(spec, sort_raw.as_deref().unwrap_or(spec.default_sort)) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        };

        let cursor = match cursor_raw {
            None => None,
            Some(raw) => match Cursor::decode(&raw) {
                Some(c)
                    if c.sort == sort_signature(&sort)
                        && c.keys.len() == sort.len()
                        && c.keys
                            .iter()
                            .zip(&sort)
                            .all(|(v, k)| spec.field(k.field).is_some_and(|f| v.fits(f))) =>
                {
                    Some(c)
                }
                _ => {
                    errors.push(FieldError::new(
                        "cursor",
                        "invalid",
                        "cursor is not valid for this list and sort",
                    ));
                    None
                }
            },
        };

        if errors.is_empty() {
            Ok(Self {
                limit,
                cursor,
                sort,
                filters,
                q,
                count,
            })
        } else {
            Err(errors)
        }
    }

    fn parse_sort(spec: &ListSpec, raw: &str) -> Result<Vec<SortKey>, FieldError> {
        let mut keys: Vec<SortKey> = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, dir) = match part.strip_prefix('-') {
                Some(n) => (n, SortDir::Desc),
                None => (part.strip_prefix('+').unwrap_or(part), SortDir::Asc),
            };
            let field = spec
                .fields
                .iter()
                .find(|f| f.name == name && f.sort)
                .ok_or_else(|| {
                    FieldError::new("sort", "invalid", format!("cannot sort by {name}"))
                })?;
            // Ordering by a field again cannot change the order: the first mention decides.
            if keys.iter().any(|k| k.field == field.name) {
                continue;
            }
            keys.push(SortKey {
                field: field.name,
                dir,
                nulls: field.nulls,
            });
        }
        if keys.is_empty() {
            return Err(FieldError::new("sort", "invalid", "sort names no field"));
        }
        Ok(keys)
    }

    /// The cursor that resumes after a row with these sort values and id.
    pub fn cursor_after(&self, keys: Vec<FieldValue>, id: Uuid) -> String {
        Cursor {
            version: CURSOR_VERSION,
            sort: sort_signature(&self.sort),
            keys,
            id,
        }
        .encode()
    }

    /// The direction of the `id` tie-breaker: that of the last sort key, so an index on
    /// `(organization_id, key, id)` serves the whole order in one direction.
    pub fn tie_break_dir(&self) -> SortDir {
        self.sort.last().map(|k| k.dir).unwrap_or(SortDir::Asc)
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[FieldSpec] = &[
        FieldSpec::new("created_at", FieldKind::Timestamp)
            .range()
            .sort(),
        FieldSpec::new("status", FieldKind::Text).filter().sort(),
        FieldSpec::new("owner_id", FieldKind::Uuid).filter(),
        FieldSpec::new("amount", FieldKind::Integer).range().sort(),
        FieldSpec::new("company", FieldKind::Text).sort().nullable(),
        FieldSpec::new("close", FieldKind::Date).sort().nulls_last(),
        FieldSpec::new("owner", FieldKind::Uuid).sort(),
        FieldSpec::new("active", FieldKind::Bool).sort(),
    ];
    const SPEC: ListSpec = ListSpec {
        fields: FIELDS,
        default_sort: "-created_at",
        searchable: true,
    };

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let q = ListQuery::parse(&SPEC, &[]).unwrap();
        assert_eq!(q.limit.get(), 50);
        assert_eq!(
            q.sort,
            vec![SortKey {
                field: "created_at",
                dir: SortDir::Desc,
                nulls: None,
            }]
        );
        assert!(q.cursor.is_none() && q.filters.is_empty() && q.q.is_none() && !q.count);
    }

    #[test]
    fn a_nul_character_in_any_parameter_is_that_parameters_error() {
        for key in ["q", "status", "sort", "cursor", "limit"] {
            let e = ListQuery::parse(&SPEC, &p(&[(key, "a\0b")])).unwrap_err();
            assert_eq!(e.len(), 1, "{key}: {e:?}");
            assert_eq!((e[0].field.as_str(), e[0].code.as_str()), (key, "invalid"));
        }
        let e = ListQuery::parse(&SPEC, &p(&[("st\0atus", "new")])).unwrap_err();
        assert_eq!(e[0].field, "query");
        assert!(check_query_value("q", "plain text").is_ok());
    }

    #[test]
    fn limit_outside_range_is_rejected() {
        for bad in ["0", "201", "-1", "x"] {
            let e = ListQuery::parse(&SPEC, &p(&[("limit", bad)])).unwrap_err();
            assert_eq!(e[0].field, "limit");
        }
        assert_eq!(
            ListQuery::parse(&SPEC, &p(&[("limit", "200")]))
                .unwrap()
                .limit
                .get(),
            200
        );
        assert_eq!(
            ListQuery::parse(&SPEC, &p(&[("limit", "1")]))
                .unwrap()
                .limit
                .get(),
            1
        );
    }

    #[test]
    fn filters_and_ranges_are_typed() {
        let owner = Uuid::now_v7();
        let q = ListQuery::parse(
            &SPEC,
            &p(&[
                ("status", "new"),
                ("owner_id", &owner.to_string()),
                ("created_at_from", "2026-01-01"),
                ("amount_to", "500"),
                ("q", "  acme "),
                ("count", "true"),
            ]),
        )
        .unwrap();
        assert_eq!(q.filters.len(), 4);
        assert!(q.filters.contains(&Filter {
            field: "owner_id",
            op: FilterOp::Eq,
            value: FieldValue::Uuid(owner)
        }));
        assert!(q.filters.contains(&Filter {
            field: "amount",
            op: FilterOp::Lte,
            value: FieldValue::Integer(500)
        }));
        assert_eq!(q.q.as_deref(), Some("acme"));
        assert!(q.count);
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let e = ListQuery::parse(
            &SPEC,
            &p(&[
                ("owner_id", "nope"),
                ("stauts", "new"),
                ("sort", "password"),
                ("status_from", "a"),
            ]),
        )
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["owner_id", "stauts", "status_from", "sort"]);
    }

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_sort() {
        let q = ListQuery::parse(&SPEC, &p(&[("sort", "status,-amount")])).unwrap();
        assert_eq!(q.tie_break_dir(), SortDir::Desc);
        let id = Uuid::now_v7();
        let raw = q.cursor_after(
            vec![FieldValue::Text("new".into()), FieldValue::Integer(7)],
            id,
        );
        let again =
            ListQuery::parse(&SPEC, &p(&[("sort", "status,-amount"), ("cursor", &raw)])).unwrap();
        let c = again.cursor.unwrap();
        assert_eq!(c.id, id);
        assert_eq!(
            c.keys,
            vec![FieldValue::Text("new".into()), FieldValue::Integer(7)]
        );
        // Same cursor, other sort: rejected, never misapplied.
        let e =
            ListQuery::parse(&SPEC, &p(&[("sort", "-created_at"), ("cursor", &raw)])).unwrap_err();
        assert_eq!(e[0].field, "cursor");
        assert!(ListQuery::parse(&SPEC, &p(&[("cursor", "garbage!")])).is_err());
    }

    #[test]
    fn sort_takes_declared_fields_in_order_with_directions_and_null_placement() {
        let q = ListQuery::parse(&SPEC, &p(&[("sort", "company, -amount,+close")])).unwrap();
        assert_eq!(
            q.sort,
            vec![
                SortKey {
                    field: "company",
                    dir: SortDir::Asc,
                    nulls: Some(Nulls::First),
                },
                SortKey {
                    field: "amount",
                    dir: SortDir::Desc,
                    nulls: None,
                },
                SortKey {
                    field: "close",
                    dir: SortDir::Asc,
                    nulls: Some(Nulls::Last),
                },
            ]
        );
        assert_eq!(q.tie_break_dir(), SortDir::Asc);
    }

    #[test]
    fn unknown_or_empty_sorts_are_rejected_on_sort() {
        for bad in ["nope", "owner_id", ",", "-", "company,nope"] {
            let e = ListQuery::parse(&SPEC, &p(&[("sort", bad)])).unwrap_err();
            assert_eq!(e.len(), 1, "{bad}");
            assert_eq!(e[0].field, "sort", "{bad}");
        }
    }

    #[test]
    fn a_filter_with_listed_values_takes_only_those() {
        const KINDS: &[FieldSpec] = &[FieldSpec::new("kind", FieldKind::Text)
            .filter()
            .sort()
            .one_of(&["call", "note"])];
        const S: ListSpec = ListSpec {
            fields: KINDS,
            default_sort: "kind",
            searchable: false,
        };
        assert!(ListQuery::parse(&S, &p(&[("kind", "note"), ("sort", "kind")])).is_ok());
        for bad in ["", "Note", "spaceship"] {
            let e = ListQuery::parse(&S, &p(&[("kind", bad), ("sort", "kind")])).unwrap_err();
            assert_eq!(
                (e[0].field.as_str(), e[0].code.as_str()),
                ("kind", "invalid")
            );
            assert!(e[0].message.contains("call, note"), "{}", e[0].message);
        }
    }

    #[test]
    fn a_field_named_again_in_sort_is_ignored_after_its_first_mention() {
        let q = ListQuery::parse(&SPEC, &p(&[("sort", "status,-status,+status")])).unwrap();
        let keys: Vec<_> = q.sort.iter().map(|k| (k.field, k.dir)).collect();
        assert_eq!(keys, [("status", SortDir::Asc)]);
    }

    #[test]
    fn spec_lists_its_sortable_filter_and_range_fields() {
        let names = |it: &mut dyn Iterator<Item = &'static FieldSpec>| {
            it.map(|f| f.name).collect::<Vec<_>>()
        };
        assert_eq!(
            names(&mut SPEC.sortable()),
            [
                "created_at",
                "status",
                "amount",
                "company",
                "close",
                "owner",
                "active"
            ]
        );
        assert_eq!(names(&mut SPEC.filters()), ["status", "owner_id"]);
        assert_eq!(names(&mut SPEC.ranges()), ["created_at", "amount"]);
    }

    #[test]
    fn every_value_type_round_trips_exactly_through_a_cursor() {
        let sort = "created_at,status,amount,close,owner,active,company";
        let q = ListQuery::parse(&SPEC, &p(&[("sort", sort)])).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-02T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let keys = vec![
            FieldValue::Timestamp(at),
            FieldValue::Text("naïve \"quoted\" ✓".into()),
            FieldValue::Integer(i64::MIN),
            FieldValue::Date(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            FieldValue::Uuid(Uuid::now_v7()),
            FieldValue::Bool(false),
            FieldValue::Null,
        ];
        let id = Uuid::now_v7();
        let raw = q.cursor_after(keys.clone(), id);
        let again = ListQuery::parse(&SPEC, &p(&[("sort", sort), ("cursor", &raw)])).unwrap();
        let c = again.cursor.unwrap();
        assert_eq!((c.keys, c.id), (keys, id));
    }

    #[test]
    fn a_cursor_value_of_the_wrong_type_or_a_null_for_a_required_field_is_rejected() {
        let q = ListQuery::parse(&SPEC, &p(&[("sort", "amount")])).unwrap();
        for bad in [FieldValue::Text("7".into()), FieldValue::Null] {
            let raw = q.cursor_after(vec![bad], Uuid::now_v7());
            let e =
                ListQuery::parse(&SPEC, &p(&[("sort", "amount"), ("cursor", &raw)])).unwrap_err();
            assert_eq!(e[0].field, "cursor");
        }
        // NULL is a position on a nullable field.
        let q = ListQuery::parse(&SPEC, &p(&[("sort", "-company")])).unwrap();
        let raw = q.cursor_after(vec![FieldValue::Null], Uuid::now_v7());
        assert!(ListQuery::parse(&SPEC, &p(&[("sort", "-company"), ("cursor", &raw)])).is_ok());
    }

    #[test]
    fn a_cursor_of_the_old_format_is_rejected() {
        // Version 1 had no `v` and stood for NULL by a replacement value.
        let old = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"s": "amount", "k": [{"t": "Integer", "v": -1}], "id": Uuid::now_v7()})
                .to_string(),
        );
        let e = ListQuery::parse(&SPEC, &p(&[("sort", "amount"), ("cursor", &old)])).unwrap_err();
        assert_eq!(e[0].field, "cursor");
    }
}
