//! Helpers for schema examples in the OpenAPI document (behind the `openapi` feature): a type
//! that contains another reuses that type's example instead of repeating it.

use serde_json::Value;

/// The schema-level `example` of `T` (null when it has none).
pub fn example_of<T: utoipa::PartialSchema>() -> Value {
    serde_json::to_value(T::schema())
        .ok()
        .and_then(|s| s.get("example").cloned())
        .unwrap_or(Value::Null)
}

/// A list page of `T` in the contract's shape: `{"data": [...], "next_cursor": ...}`.
pub fn page_example<T: utoipa::PartialSchema>() -> Value {
    serde_json::json!({
        "data": [example_of::<T>()],
        "next_cursor": "eyJrIjpbIjIwMjYtMDMtMDJUMDk6MTU6MzAuMTIzNDU2WiJdLCJpZCI6IjAxOWNhZTNkLTQ1NmItN2MxZS05YTBiLTJmM2M0ZDVlNmY3MCJ9"
    })
}

// Field schemas that state what the validators in `kernel::text` and friends accept, for
// `#[schema(schema_with = …)]` on input fields. Each mirrors one validator: a change to one
// must change the other. The patterns are ECMA-262 (as JSON Schema reads them).
//
// Names: `line` single-line text, `text` line breaks allowed; `…_or_null` a field whose `null`
// means "not given" but whose string must be valid; `opt_…` a field where null, empty or blank
// mean "none".

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

/// A text's first and last character after trimming: not blank, not a control character.
const EDGE: &str = r"[^\s\x00-\x1F\x7F-\x9F]";
/// Any character of a single-line text (no control character, `char::is_control`).
const LINE_CHAR: &str = r"[^\x00-\x1F\x7F-\x9F]";
/// Any character of a multi-line text: tab, line feed and carriage return are allowed.
const TEXT_CHAR: &str = r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]";

fn string(nullable: bool) -> ObjectBuilder {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new().schema_type(ty)
}

/// A text that the server trims before checking its shape: at most `max` characters as sent
/// (`maxLength`), and after trimming, characters of `inner` with neither the first nor the
/// last one blank (or nothing at all when `blank_ok`).
fn trimmed(b: ObjectBuilder, inner: &str, max: usize, blank_ok: bool) -> ObjectBuilder {
    let body = format!("{EDGE}({inner}*{EDGE})?");
    let pattern = if blank_ok {
        format!(r"^\s*({body}\s*)?$")
    } else {
        format!(r"^\s*{body}\s*$")
    };
    b.max_length(Some(max)).pattern(Some(pattern))
}

fn done(b: ObjectBuilder) -> RefOr<Schema> {
    RefOr::T(Schema::Object(b.build()))
}

/// `required_text(raw, _, MAX)`: trimmed, 1..=MAX characters, one line.
pub fn line<const MAX: usize>() -> RefOr<Schema> {
    done(trimmed(string(false), LINE_CHAR, MAX, false))
}

/// As [`line`], and `null` leaves the field unchanged (a patch).
pub fn line_or_null<const MAX: usize>() -> RefOr<Schema> {
    done(trimmed(string(true), LINE_CHAR, MAX, false))
}

/// `optional_text(raw, _, MAX, false)`: null or blank is none; else one line of at most MAX.
pub fn opt_line<const MAX: usize>() -> RefOr<Schema> {
    done(trimmed(string(true), LINE_CHAR, MAX, true))
}

/// `required_multiline(raw, _, MAX)`: trimmed, 1..=MAX characters, line breaks allowed.
pub fn text<const MAX: usize>() -> RefOr<Schema> {
    done(trimmed(string(false), TEXT_CHAR, MAX, false))
}

/// As [`text`], and `null` leaves the field unchanged (a patch).
pub fn text_or_null<const MAX: usize>() -> RefOr<Schema> {
    done(trimmed(string(true), TEXT_CHAR, MAX, false))
}

/// `optional_text(raw, _, MAX, true)`: null or blank is none; line breaks allowed.
pub fn opt_text<const MAX: usize>() -> RefOr<Schema> {
    done(trimmed(string(true), TEXT_CHAR, MAX, true))
}

/// `kernel::text::phone`: null or blank is none; else digits, spaces and `+ - ( ) . /`, with
/// at least one digit; at most 50 characters as sent.
pub fn opt_phone() -> RefOr<Schema> {
    done(
        string(true)
            .max_length(Some(50))
            .pattern(Some(r"^\s*([0-9 +().\/-]*[0-9][0-9 +().\/-]*\s*)?$")),
    )
}

/// `kernel::text::website`: null or blank is none; else `http://` or `https://` and a host,
/// no spaces; at most 2048 characters as sent.
pub fn opt_website() -> RefOr<Schema> {
    done(string(true).max_length(Some(2048)).pattern(Some(
        r"^\s*([hH][tT][tT][pP][sS]?://[^\s\x00-\x1F\x7F-\x9F]+\s*)?$",
    )))
}

/// `EmailAddress::parse`: one `@`, a local part of 1 to 64 characters, a domain of at least
/// two labels of 1 to 63 characters, none starting or ending with `-`; no spaces or control
/// characters inside; at most 254 characters as sent (`maxLength`, which counts the
/// surrounding whitespace the server trims, as the server does).
fn email_pattern(blank_ok: bool) -> String {
    let c = r"[^\s@.\x00-\x1F\x7F-\x9F]";
    let edge = r"[^\s@.\x00-\x1F\x7F-\x9F-]";
    let label = format!("{edge}({c}{{0,61}}{edge})?");
    let local = r"[^\s@\x00-\x1F\x7F-\x9F]{1,64}";
    let address = format!(r"{local}@({label}\.)+{label}");
    if blank_ok {
        format!(r"^\s*({address}\s*)?$")
    } else {
        format!(r"^\s*{address}\s*$")
    }
}

fn email_string(nullable: bool, blank_ok: bool) -> RefOr<Schema> {
    done(
        string(nullable)
            .max_length(Some(crate::identity::EmailAddress::MAX_LEN))
            .pattern(Some(email_pattern(blank_ok))),
    )
}

/// A required email address.
pub fn email() -> RefOr<Schema> {
    email_string(false, false)
}

/// An email address where `null` leaves the field unchanged (a patch).
pub fn email_or_null() -> RefOr<Schema> {
    email_string(true, false)
}

/// An email address where null or blank is none.
pub fn opt_email() -> RefOr<Schema> {
    email_string(true, true)
}

/// `NewPassword::parse`: 8 to 1024 characters, taken as given.
pub fn new_password() -> RefOr<Schema> {
    done(
        string(false)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Password,
            )))
            .min_length(Some(8))
            .max_length(Some(1024)),
    )
}

/// As [`new_password`], optional (`null` is none).
pub fn opt_new_password() -> RefOr<Schema> {
    done(
        string(true)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Password,
            )))
            .min_length(Some(8))
            .max_length(Some(1024)),
    )
}

/// `OneTimeCode::parse`: six digits (surrounding spaces ignored).
pub fn one_time_code() -> RefOr<Schema> {
    done(string(false).pattern(Some(r"^\s*[0-9]{6}\s*$")))
}

/// `Currency::parse`: one of the ISO 4217 codes the server knows.
fn currency_schema(nullable: bool) -> ObjectBuilder {
    string(nullable).enum_values(Some(
        crate::kernel::money::CURRENCIES.iter().map(|(c, _)| *c),
    ))
}

pub fn currency() -> RefOr<Schema> {
    done(currency_schema(false))
}

/// A currency where `null` leaves the field unchanged (a patch).
pub fn currency_or_null() -> RefOr<Schema> {
    done(currency_schema(true))
}

/// An integer in `MIN..=MAX`.
pub fn int_range<const MIN: i64, const MAX: i64>() -> RefOr<Schema> {
    done(
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(MIN))
            .maximum(Some(MAX)),
    )
}

/// An integer in `MIN..=MAX`, or `null` (none, or unchanged in a patch).
pub fn opt_int_range<const MIN: i64, const MAX: i64>() -> RefOr<Schema> {
    done(
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(MIN))
            .maximum(Some(MAX)),
    )
}

/// `clients::common::tags`: at most 50 tags, each a [`line`] of at most 50 characters.
fn tags_schema(nullable: bool) -> ArrayBuilder {
    let ty = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    // Duplicates are dropped before the count of 50 is checked, so a longer list of repeated
    // tags is accepted: `maxItems` would not be exact, the description states the rule.
    ArrayBuilder::new()
        .schema_type(ty)
        .items(line::<50>())
        .description(Some("At most 50 distinct tags (duplicates are dropped)"))
}

pub fn tags() -> RefOr<Schema> {
    RefOr::T(Schema::Array(tags_schema(false).build()))
}

/// Tags where `null` leaves them unchanged (a patch).
pub fn tags_or_null() -> RefOr<Schema> {
    RefOr::T(Schema::Array(tags_schema(true).build()))
}

/// `identity::model::timezone`: an IANA-style zone name, `/`-separated segments of ASCII
/// letters, digits, `_ - +`, starting with an upper-case letter, at most 64 bytes (here at
/// most three segments of 21 characters).
pub fn timezone_or_null() -> RefOr<Schema> {
    done(string(true).pattern(Some(
        r"^\s*[A-Z][A-Za-z0-9_+-]{0,20}(/[A-Za-z0-9_+-]{1,20}){0,2}\s*$",
    )))
}

/// Permission codes of the catalogue (`identity::permissions::CATALOGUE`).
fn permission_codes(nullable: bool) -> ArrayBuilder {
    let ty = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    ArrayBuilder::new().schema_type(ty).items(done(
        string(false).enum_values(Some(
            crate::identity::permissions::CATALOGUE
                .iter()
                .map(|p| p.code),
        )),
    ))
}

pub fn permissions() -> RefOr<Schema> {
    RefOr::T(Schema::Array(permission_codes(false).build()))
}

/// Permissions where `null` leaves them unchanged (a patch).
pub fn permissions_or_null() -> RefOr<Schema> {
    RefOr::T(Schema::Array(permission_codes(true).build()))
}

/// `identity::department_service::code`: null or blank is none; else letters, digits, `- _ .`,
/// at most 50 characters.
pub fn department_code() -> RefOr<Schema> {
    done(string(true).pattern(Some(r"^\s*([\w.-]{1,50}\s*)?$")))
}

/// `Quantity::parse` as a quotation line takes it (more than 0): a decimal string with at
/// most three decimals and at most fifteen significant integer digits (leading zeros aside), or a
/// JSON number with at most three decimals.
pub fn quantity() -> RefOr<Schema> {
    let text = string(false).pattern(Some(
        r"^\s*(0*[1-9][0-9]{0,14}(\.[0-9]{1,3})?|0*\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))\s*$",
    ));
    let number = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Number))
        .exclusive_minimum(Some(0))
        .maximum(Some(999_999_999_999_999i64))
        .multiple_of(Some(0.001));
    RefOr::T(Schema::OneOf(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(text)
            .item(number)
            .build(),
    ))
}

/// One of `values`; with `nullable`, also `null` (a patch that clears the field).
pub fn one_of(values: &'static [&'static str], nullable: bool) -> RefOr<Schema> {
    let nulls = nullable.then_some(Value::Null);
    done(string(nullable).enum_values(Some(values.iter().map(|v| Value::from(*v)).chain(nulls))))
}
