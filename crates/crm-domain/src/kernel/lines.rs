//! Priced lines of every commercial document (quotations, invoices, credit notes, proposals,
//! recurring templates): the request's line, the priced line and the document totals, with
//! the contract's arithmetic (quantity × unit price, then tax on the rounded subtotal, each
//! rounded half away from zero; totals are sums of lines).

use crate::ValueError;
use crate::kernel::input::Errors;
use crate::kernel::money::{MoneyError, Quantity, line_amounts};
use crate::kernel::text::optional_text;
use crate::kernel::values::MAX_AMOUNT;
use serde::{Deserialize, Serialize, Serializer};

/// Most lines a document may have.
pub const MAX_ITEMS: usize = 200;
/// Longest line description, in characters.
pub const DESCRIPTION_MAX: usize = 1000;

fn quantity_as_string<S: Serializer>(q: &Quantity, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&q.to_string())
}

/// A quantity as a request sends it: a decimal string (`"1.5"`) or a JSON number (`1.5`),
/// with at most three decimals (checked by [`DecimalInput::quantity`]).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DecimalInput {
    Text(String),
    Number(serde_json::Number),
}

impl DecimalInput {
    pub fn quantity(&self) -> Result<Quantity, MoneyError> {
        match self {
            Self::Text(s) => Quantity::parse(s),
            // A JSON number prints as its shortest exact decimal form (`1.5`, `0.125`, `3`).
            Self::Number(n) => Quantity::parse(&n.to_string()),
        }
    }
}

impl From<&str> for DecimalInput {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}

/// One priced line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "description": "Support hours",
    "quantity": "10.5",
    "unit_price": 9500,
    "tax_rate": 1800,
    "subtotal": 99750,
    "tax": 17955,
    "total": 117705
})))]
pub struct LineItem {
    pub description: String,
    /// A decimal string with at most three decimals (`"1.5"`).
    #[serde(serialize_with = "quantity_as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1.5"))]
    pub quantity: Quantity,
    /// Minor units per unit.
    pub unit_price: i64,
    /// Basis points (`1800` = 18 %).
    pub tax_rate: i32,
    /// quantity × unit price, rounded half away from zero to the minor unit.
    pub subtotal: i64,
    /// subtotal × tax rate / 10000, rounded half away from zero.
    pub tax: i64,
    /// subtotal + tax.
    pub total: i64,
}

/// One line of a request. Its amounts are computed, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "description": "Support hours",
    "quantity": "10.5",
    "unit_price": 9500,
    "tax_rate": 1800
})))]
pub struct LineItemInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::text::<{ DESCRIPTION_MAX }>))]
    pub description: String,
    /// More than 0, at most three decimals, as a string (`"1.5"`) or a number (`1.5`).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::quantity))]
    pub quantity: DecimalInput,
    /// Minor units per unit, 0 or more.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::int_range::<0, { MAX_AMOUNT }>))]
    pub unit_price: i64,
    /// Basis points, 0..=10000 (`1800` = 18 %).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::int_range::<0, 10_000>))]
    pub tax_rate: i64,
}

impl From<&LineItem> for LineItemInput {
    /// The request that prices to `line` again (a document copied into another).
    fn from(line: &LineItem) -> Self {
        Self {
            description: line.description.clone(),
            quantity: DecimalInput::Text(line.quantity.to_string()),
            unit_price: line.unit_price,
            tax_rate: i64::from(line.tax_rate),
        }
    }
}

/// Prices one line with the contract's arithmetic (kernel [`line_amounts`]).
pub fn price_line(
    description: String,
    quantity: Quantity,
    unit_price: i64,
    tax_rate: i32,
) -> Result<LineItem, MoneyError> {
    let rate = u32::try_from(tax_rate).map_err(|_| MoneyError::BadRate)?;
    let (subtotal, tax) = line_amounts(quantity, unit_price, rate)?;
    let total = subtotal.checked_add(tax).ok_or(MoneyError::Overflow)?;
    Ok(LineItem {
        description,
        quantity,
        unit_price,
        tax_rate,
        subtotal,
        tax,
        total,
    })
}

/// `(subtotal, tax_total, total)`: sums of the lines.
pub fn totals(items: &[LineItem]) -> Result<(i64, i64, i64), MoneyError> {
    let mut sub: i64 = 0;
    let mut tax: i64 = 0;
    for i in items {
        sub = sub.checked_add(i.subtotal).ok_or(MoneyError::Overflow)?;
        tax = tax.checked_add(i.tax).ok_or(MoneyError::Overflow)?;
    }
    let total = sub.checked_add(tax).ok_or(MoneyError::Overflow)?;
    Ok((sub, tax, total))
}

/// The totals of priced lines, refused (for the `items` field) when they overflow.
pub fn sums(items: &[LineItem]) -> Result<(i64, i64, i64), ValueError> {
    totals(items).map_err(|e| ValueError::new("out_of_range", e.to_string()))
}

/// Prices the lines of a request; errors name `items[i].field`. With `required`, an empty
/// list is refused on `items`.
pub fn price_items(raw: &[LineItemInput], required: bool, errors: &mut Errors) -> Vec<LineItem> {
    if raw.is_empty() && required {
        errors.add("items", "required", "at least one line is needed");
    } else if raw.len() > MAX_ITEMS {
        errors.add(
            "items",
            "too_many",
            format!("a document has at most {MAX_ITEMS} lines"),
        );
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        let description = match optional_text(
            Some(&item.description),
            "description",
            DESCRIPTION_MAX,
            true,
        ) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.add(&f("description"), "required", "description is required");
                None
            }
            Err(e) => errors.take(&f("description"), Err(e)),
        };
        let quantity = match item.quantity.quantity() {
            Ok(q) if q.thousandths() > 0 => Some(q),
            Ok(_) => {
                errors.add(
                    &f("quantity"),
                    "out_of_range",
                    "quantity must be more than 0",
                );
                None
            }
            Err(e) => {
                errors.add(&f("quantity"), "invalid", e.to_string());
                None
            }
        };
        let unit_price = if (0..=MAX_AMOUNT).contains(&item.unit_price) {
            Some(item.unit_price)
        } else {
            errors.add(
                &f("unit_price"),
                "out_of_range",
                format!("unit_price must be between 0 and {MAX_AMOUNT} minor units"),
            );
            None
        };
        let rate = match i32::try_from(item.tax_rate) {
            Ok(r) if (0..=10_000).contains(&r) => Some(r),
            _ => {
                errors.add(
                    &f("tax_rate"),
                    "out_of_range",
                    "tax_rate must be between 0 and 10000 basis points",
                );
                None
            }
        };
        if let (Some(d), Some(q), Some(p), Some(r)) = (description, quantity, unit_price, rate) {
            match price_line(d, q, p, r) {
                Ok(line) => out.push(line),
                Err(e) => errors.add(&f("quantity"), "out_of_range", e.to_string()),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainError;

    fn line(q: &str, price: i64, rate: i64) -> LineItemInput {
        LineItemInput {
            description: "Work".into(),
            quantity: q.into(),
            unit_price: price,
            tax_rate: rate,
        }
    }

    fn priced(raw: &[LineItemInput]) -> (Vec<LineItem>, (i64, i64, i64)) {
        let mut e = Errors::default();
        let items = price_items(raw, true, &mut e);
        assert!(e.is_empty(), "{e:?}");
        let t = totals(&items).unwrap();
        (items, t)
    }

    /// Field errors of a set of lines, for tests.
    fn item_errors(raw: &[LineItemInput]) -> Vec<crate::FieldError> {
        let mut e = Errors::default();
        price_items(raw, true, &mut e);
        match e.finish() {
            Err(DomainError::Invalid(list)) => list,
            _ => vec![],
        }
    }

    #[test]
    fn lines_follow_the_contract_rounding_including_half_way_cases() {
        // 1.5 × 3.33 = 4.995 → 5.00; 18 % of 500 = 90.
        let (items, t) = priced(&[line("1.5", 333, 1800)]);
        assert_eq!(
            (items[0].subtotal, items[0].tax, items[0].total),
            (500, 90, 590)
        );
        assert_eq!(t, (500, 90, 590));
        // Subtotal half-way: 0.5 × 1 = 0.5 → 1; tax half-way: 125 × 2 % = 2.5 → 3.
        let (items, _) = priced(&[line("0.5", 1, 0), line("1", 125, 200)]);
        assert_eq!((items[0].subtotal, items[1].tax), (1, 3));
        // Just below half-way rounds down: 0.499 × 1 = 0.499 → 0; 124 × 2 % = 2.48 → 2.
        let (items, _) = priced(&[line("0.499", 1, 0), line("1", 124, 200)]);
        assert_eq!((items[0].subtotal, items[1].tax), (0, 2));
        // Tax is computed on the rounded subtotal: 2.5 × 0.99 = 2.475 → 2.48 (248);
        // 248 × 12.5 % = 31.0 → 31 (and not 2.475 × 12.5 % = 0.309 → 0.31).
        let (items, _) = priced(&[line("2.5", 99, 1250)]);
        assert_eq!((items[0].subtotal, items[0].tax), (248, 31));
        // Document totals are sums of rounded lines, not rounded sums: 3 × (0.333 × 1 → 0).
        let (_, t) = priced(&[
            line("0.333", 1, 0),
            line("0.333", 1, 0),
            line("0.333", 1, 0),
        ]);
        assert_eq!(t, (0, 0, 0));
        // 18 % of 1250.50 USD.
        let (_, t) = priced(&[line("1", 125_050, 1800)]);
        assert_eq!(t, (125_050, 22_509, 147_559));
    }

    #[test]
    fn quantities_are_strings_or_numbers_with_three_decimals_at_most() {
        let json = r#"{"description":"x","quantity":1.5,"unit_price":333,"tax_rate":1800}"#;
        let item: LineItemInput = serde_json::from_str(json).unwrap();
        assert_eq!(item.quantity.quantity().unwrap().thousandths(), 1500);
        let json = r#"{"description":"x","quantity":"0.125","unit_price":1}"#;
        let item: LineItemInput = serde_json::from_str(json).unwrap();
        assert_eq!(item.quantity.quantity().unwrap().thousandths(), 125);
        let json = r#"{"description":"x","quantity":2,"unit_price":1}"#;
        let item: LineItemInput = serde_json::from_str(json).unwrap();
        assert_eq!(item.quantity.quantity().unwrap().thousandths(), 2000);
        // Computed fields are not accepted.
        let json = r#"{"description":"x","quantity":2,"unit_price":1,"subtotal":2}"#;
        assert!(serde_json::from_str::<LineItemInput>(json).is_err());

        let fields: Vec<(String, String)> = item_errors(&[
            line("1.2345", 1, 0),
            line("0", 1, 0),
            line("1", -1, 10_001),
            LineItemInput {
                description: " ".into(),
                quantity: DecimalInput::Number(serde_json::Number::from(1)),
                unit_price: 1,
                tax_rate: 0,
            },
        ])
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect();
        let expect = [
            ("items[0].quantity", "invalid"),
            ("items[1].quantity", "out_of_range"),
            ("items[2].unit_price", "out_of_range"),
            ("items[2].tax_rate", "out_of_range"),
            ("items[3].description", "required"),
        ];
        assert_eq!(fields, expect.map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(item_errors(&[])[0].field, "items");
        // Item amounts serialize with the quantity as a decimal string.
        let (items, _) = priced(&[line("1.500", 100, 0)]);
        let v = serde_json::to_value(&items[0]).unwrap();
        assert_eq!(v["quantity"], "1.5");
    }
}
