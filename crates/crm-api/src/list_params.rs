//! The query parameters of every list operation in the OpenAPI document, generated from the
//! list's `ListSpec`: the spec that validates a request also documents it, so a sortable field
//! or a filter cannot be accepted without being listed (or listed without being accepted).
//!
//! A handler names its list's parameter type in `#[utoipa::path(params(...))]`, e.g.
//! `params(crate::list_params::Leads)`, beside any path parameter.

use crm_domain::kernel::pagination::{FieldKind, FieldSpec, Limit, ListSpec, Nulls};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};

use crate::openapi::NO_NUL;

fn param(
    name: &str,
    description: String,
    schema: impl Into<RefOr<utoipa::openapi::schema::Schema>>,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn typed(kind: FieldKind) -> RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::PartialSchema;
    let o = ObjectBuilder::new();
    let format = |f| Some(SchemaFormat::KnownFormat(f));
    match kind {
        // NUL never reaches the database: the request guard answers 422 on the parameter.
        FieldKind::Text => o.schema_type(Type::String).pattern(Some(NO_NUL)),
        FieldKind::Uuid => o
            .schema_type(Type::String)
            .format(format(KnownFormat::Uuid)),
        // A bare `YYYY-MM-DD` is accepted too (the day's start for `_from`, its end for `_to`).
        FieldKind::Timestamp => return crate::openapi::DateOrDateTime::schema(),
        FieldKind::Date => o
            .schema_type(Type::String)
            .format(format(KnownFormat::Date)),
        FieldKind::Integer => o
            .schema_type(Type::Integer)
            .format(format(KnownFormat::Int64)),
        FieldKind::Bool => o.schema_type(Type::Boolean),
    }
    .into()
}

fn value_doc(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Timestamp => " (RFC 3339 timestamp or `YYYY-MM-DD`)",
        FieldKind::Date => " (`YYYY-MM-DD`)",
        _ => "",
    }
}

/// The `pattern` of `sort`: a comma list of sortable fields, each optionally prefixed with `-`
/// (descending) or `+`.
pub fn sort_pattern(spec: &ListSpec) -> String {
    let names: Vec<&str> = spec.sortable().map(|f| f.name).collect();
    let one = format!("[-+]?({})", names.join("|"));
    format!("^{one}(,{one})*$")
}

/// Every query parameter of a list under `spec`; `search` says what `q` searches.
pub fn parameters(spec: &ListSpec, search: &str) -> Vec<Parameter> {
    let mut out = Vec::new();
    let filters: Vec<&FieldSpec> = spec.filters().collect();
    for f in filters {
        let doc = match f.doc {
            Some(d) => d.to_string(),
            None => format!("Only records whose `{}` equals this", f.name),
        };
        let schema = match f.values {
            Some(values) => ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(values.iter().copied()))
                .into(),
            None => typed(f.kind),
        };
        out.push(param(f.name, format!("{doc}{}", value_doc(f.kind)), schema));
    }
    for f in spec.ranges() {
        for (suffix, bound) in [("from", "lower"), ("to", "upper")] {
            out.push(param(
                &format!("{}_{suffix}", f.name),
                format!(
                    "Inclusive {bound} bound of `{}`{}",
                    f.name,
                    value_doc(f.kind)
                ),
                typed(f.kind),
            ));
        }
    }
    if spec.searchable {
        out.push(param(
            "q",
            format!("Case-insensitive search in {search}"),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(200))
                .pattern(Some(NO_NUL)),
        ));
    }
    out.push(param(
        "limit",
        format!(
            "Page size, 1 to {} (default {})",
            Limit::MAX,
            Limit::DEFAULT
        ),
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(Limit::MAX)),
    ));
    out.push(param(
        "cursor",
        "Opaque cursor from the previous page's `next_cursor`, valid with the same `sort`".into(),
        ObjectBuilder::new().schema_type(Type::String),
    ));
    let sortable: Vec<String> = spec.sortable().map(|f| format!("`{}`", f.name)).collect();
    let mut sort_doc = format!(
        "Comma list of fields, `-` for descending (default `{}`); a field named again is \
         ignored after its first mention; ties are broken by `id`. Sortable fields: {}.",
        spec.default_sort,
        sortable.join(", ")
    );
    for (nulls, place) in [(Nulls::First, "first"), (Nulls::Last, "last")] {
        let names: Vec<String> = spec
            .sortable()
            .filter(|f| f.nulls == Some(nulls))
            .map(|f| format!("`{}`", f.name))
            .collect();
        if !names.is_empty() {
            sort_doc.push_str(&format!(
                " Empty values sort {place} ascending (and the other way descending): {}.",
                names.join(", ")
            ));
        }
    }
    out.push(param(
        "sort",
        sort_doc,
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(sort_pattern(spec))),
    ));
    out.push(param(
        "count",
        "`true` adds `total` to the page".into(),
        ObjectBuilder::new().schema_type(Type::Boolean),
    ));
    out
}

/// Declares a unit type whose `IntoParams` documents the list of `$spec`, beside the handler
/// that names it in `#[utoipa::path(params(...))]`.
macro_rules! list_params {
    ($($(#[$doc:meta])* $name:ident = $spec:expr, search = $search:literal;)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoParams for $name {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                $crate::list_params::parameters(&$spec, $search)
            }
        }
    )+};
}
pub(crate) use list_params;

#[cfg(test)]
mod tests {
    use super::*;
    use crm_domain::kernel::pagination::ListQuery;

    #[test]
    fn sort_pattern_lists_exactly_the_sortable_fields() {
        let spec = crm_sales::leads::LEAD_LIST_SPEC;
        let re = sort_pattern(&spec);
        let group = re
            .strip_prefix("^[-+]?(")
            .and_then(|r| r.split(')').next())
            .unwrap();
        let names: Vec<&str> = group.split('|').collect();
        assert_eq!(re, format!("^[-+]?({group})(,[-+]?({group}))*$"));
        for f in spec.fields {
            assert_eq!(names.contains(&f.name), f.sort, "{}", f.name);
            let parsed = ListQuery::parse(&spec, &[("sort".into(), f.name.into())]);
            assert_eq!(parsed.is_ok(), f.sort, "{}", f.name);
        }
    }

    #[test]
    fn every_filter_and_range_is_a_parameter() {
        let spec = crm_sales::deals::DEAL_LIST_SPEC;
        let names: Vec<String> = parameters(&spec, "title")
            .into_iter()
            .map(|p| p.name)
            .collect();
        for f in spec.fields {
            assert_eq!(names.contains(&f.name.to_string()), f.filter, "{}", f.name);
            assert_eq!(
                names.contains(&format!("{}_from", f.name)),
                f.range,
                "{}",
                f.name
            );
        }
        for n in ["q", "limit", "cursor", "sort", "count"] {
            assert!(names.contains(&n.to_string()), "{n}");
        }
    }
}
