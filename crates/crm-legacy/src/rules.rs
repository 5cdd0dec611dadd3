//! The mapping rules, pure: the Node.js server's values read as this server's.
//!
//! Everything here is a function of its arguments (no database, no clock), so the awkward
//! cases of docs/legacy/NODE-MODELS.md are unit-tested: wall-clock times in +05:30, JSON
//! stored as a JSON string, role names chosen per tenant, whole-unit amounts and line totals.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use crm_domain::Currency;
use crm_domain::identity::permissions::{ADMIN_ROLE, EMPLOYEE_ROLE};
use crm_domain::kernel::lines::{LineItem, price_line, totals};
use crm_domain::kernel::money::Quantity;
use serde_json::Value;

/// The offset of the Node.js server's `DATETIME`s: Sequelize wrote them as wall-clock times
/// in `+05:30` (its `dialectOptions.timezone`).
pub const SOURCE_OFFSET_SECS: i32 = 5 * 3600 + 30 * 60;

/// A `DATETIME` as MySQL prints it (`2024-03-05 10:15:00`, maybe with fractions), read as
/// wall-clock time at `offset_secs` east of UTC, as the UTC instant it was.
pub fn source_instant(raw: &str, offset_secs: i32) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    let zone = FixedOffset::east_opt(offset_secs)?;
    let local = zone.from_local_datetime(&naive).single()?;
    // Stored instants are microseconds (kernel::clock::now), so they compare after a round trip.
    let utc = local.with_timezone(&Utc);
    DateTime::from_timestamp_micros(utc.timestamp_micros())
}

/// `s` trimmed to at most `max` characters (never cut inside one).
pub fn clip(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

/// The `k`-th candidate for an old number or code that must be unique here: `base` itself,
/// then `base<sep>2`, `base<sep>3`, …, the base cut so that the whole is at most `max`
/// characters.
pub fn numbered(base: &str, k: u32, sep: char, max: usize) -> String {
    let suffix = if k <= 1 {
        String::new()
    } else {
        format!("{sep}{k}")
    };
    let keep = max.saturating_sub(suffix.chars().count());
    let base: String = base.trim().chars().take(keep).collect();
    format!("{base}{suffix}")
}

/// A `TINYINT(1)` / `BOOLEAN` column as MySQL prints it (`1`, `0`), or as text (`true`).
pub fn flag(raw: Option<&str>) -> bool {
    matches!(
        raw.map(str::to_ascii_lowercase).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// The calendar date of a `DATE` or `DATETIME` column as the Node.js users saw it: the date
/// part of the wall-clock value, not of its UTC instant (an invoice issued on the 5th at
/// 01:00 IST was issued on the 5th).
pub fn source_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw.get(..10)?, "%Y-%m-%d").ok()
}

/// A JSON column's value: the stored text parsed, and while the result is a JSON string
/// holding JSON (a value that was `JSON.stringify`d before Sequelize stringified it again),
/// parsed once more. A string that is not JSON stays a string.
pub fn decode_json(raw: &str) -> Option<Value> {
    let mut value: Value = serde_json::from_str(raw).ok()?;
    // Bounded: each round removes one layer of quoting, and no real row has more than a few.
    for _ in 0..8 {
        let Value::String(inner) = &value else { break };
        match serde_json::from_str::<Value>(inner) {
            Ok(parsed) => value = parsed,
            Err(_) => break,
        }
    }
    Some(value)
}

/// A list held by a JSON column, whatever its shape: an array, an object wrapping the array
/// under `key` (`{"lead_members": [...]}`), or an object keyed by row (`{"0": {...}}`).
pub fn json_list(value: &Value, key: &str) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Object(map) => match map.get(key) {
            Some(inner) => json_list(inner, key),
            None => map.values().cloned().collect(),
        },
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// The seeded role nearest to a Node.js role name: a tenant owner (`client`) runs the
/// organization (`admin`); tenant-defined names are matched on the words they contain;
/// everyone else is an `employee`, the narrowest seeded role.
pub fn nearest_role(role_name: &str) -> &'static str {
    let name = role_name.trim().to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if name == "client" || has(&["admin", "owner"]) {
        ADMIN_ROLE
    } else if has(&["manager", "lead"]) {
        "manager"
    } else if has(&["sales", "sell", "marketing"]) {
        "sales"
    } else if has(&["hr", "human", "recruit"]) {
        "hr"
    } else if has(&["financ", "account", "billing"]) {
        "finance"
    } else {
        EMPLOYEE_ROLE
    }
}

/// What a Node.js role means for its users here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleKind {
    /// `client`: the account that owns a tenant; becomes an organization and its admin.
    TenantOwner,
    /// `super-admin`: the operator of the whole Node.js platform, no tenant's member.
    SuperAdmin,
    /// `sub-client`: a customer company with a portal login; becomes a client record.
    SubClient,
    /// Any other role: a member of their tenant.
    Member,
}

pub fn role_kind(role_name: &str) -> RoleKind {
    match role_name.trim().to_ascii_lowercase().as_str() {
        "client" => RoleKind::TenantOwner,
        "super-admin" | "superadmin" | "super_admin" => RoleKind::SuperAdmin,
        "sub-client" | "subclient" | "sub_client" => RoleKind::SubClient,
        _ => RoleKind::Member,
    }
}

/// An amount the Node.js server stored in whole (or decimal) units of `currency`, as an
/// integer, a float or text (`"1,250.50"`), in minor units. `None` when it is not a number.
pub fn minor_units(raw: &str, currency: Currency) -> Option<i64> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != ' ')
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let exponent = u32::from(currency.exponent());
    let scale = 10_i128.checked_pow(exponent)?;
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    // Digits beyond the minor unit are rounded half away from zero, as every amount here.
    let mut frac_digits: Vec<u8> = fraction.bytes().map(|b| b - b'0').collect();
    frac_digits.resize(frac_digits.len().max(exponent as usize + 1), 0);
    let mut minor: i128 = 0;
    for d in &frac_digits[..exponent as usize] {
        minor = minor * 10 + i128::from(*d);
    }
    if frac_digits[exponent as usize] >= 5 {
        minor += 1;
    }
    let amount = whole.checked_mul(scale)?.checked_add(minor)?;
    let amount = if negative { -amount } else { amount };
    i64::try_from(amount).ok()
}

/// A tax given as a percentage (`18`, `"18"`, `"18%"`, `2.5`) in basis points (`1800`).
pub fn tax_basis_points(raw: &str) -> Option<i32> {
    let trimmed = raw.trim().trim_end_matches('%').trim();
    let bp = minor_units(trimmed, Currency::parse("USD").ok()?)?;
    // Percent with two decimals is basis points: the USD exponent is 2.
    (0..=10_000)
        .contains(&bp)
        .then(|| i32::try_from(bp).ok())
        .flatten()
}

/// One line of an old document as it was stored, read leniently: the Node.js front end sent
/// various key names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub description: String,
    pub quantity: Quantity,
    pub unit_price: i64,
    pub tax_rate: i32,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn field<'a>(line: &'a serde_json::Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| line.get(*k).filter(|v| !v.is_null()))
}

/// A stored line as a priced line's parts; `Err` says why it cannot be one.
pub fn source_line(value: &Value, currency: Currency) -> Result<SourceLine, String> {
    let Value::Object(line) = value else {
        return Err("a line is not an object".into());
    };
    let description = field(
        line,
        &[
            "item",
            "description",
            "name",
            "itemName",
            "product",
            "title",
        ],
    )
    .and_then(text_of)
    .unwrap_or_else(|| "Item".to_string());
    let quantity = match field(line, &["quantity", "qty", "Quantity"]).and_then(text_of) {
        Some(q) => Quantity::parse(&q).map_err(|e| format!("quantity {q}: {e}"))?,
        None => Quantity::from_thousandths(1000),
    };
    let price = field(
        line,
        &["price", "unit_price", "unitPrice", "rate", "amount"],
    )
    .and_then(text_of)
    .ok_or("a line without a price")?;
    let unit_price =
        minor_units(&price, currency).ok_or_else(|| format!("price {price} is not a number"))?;
    if unit_price < 0 {
        return Err(format!("negative price {price}"));
    }
    let tax_rate = match field(line, &["tax", "tax_rate", "taxRate", "gst"]).and_then(text_of) {
        Some(t) => tax_basis_points(&t).ok_or_else(|| format!("tax {t} is not a percentage"))?,
        None => 0,
    };
    Ok(SourceLine {
        description: description.chars().take(500).collect(),
        quantity,
        unit_price,
        tax_rate,
    })
}

/// Priced lines and their `(subtotal, tax_total, total)`.
pub type Priced = (Vec<LineItem>, (i64, i64, i64));

/// The lines priced with this server's arithmetic and their totals.
pub fn priced(lines: &[SourceLine]) -> Result<Priced, String> {
    let items = lines
        .iter()
        .map(|l| {
            price_line(l.description.clone(), l.quantity, l.unit_price, l.tax_rate)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sums = totals(&items).map_err(|e| e.to_string())?;
    Ok((items, sums))
}

/// The report line for a document whose recomputed total differs from the stored one.
pub fn total_difference(stored: i64, recomputed: i64, currency: Currency) -> Option<String> {
    (stored != recomputed).then(|| {
        format!(
            "total recomputed from the lines is {recomputed} (minor units of {}), the stored total was {stored}; the difference is {}",
            currency.code(),
            recomputed - stored
        )
    })
}

/// A person's display name from the Node.js name columns, falling back to the username.
pub fn person_name(
    first: Option<&str>,
    last: Option<&str>,
    username: Option<&str>,
) -> Option<String> {
    let joined = [first, last]
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.is_empty() {
        username
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    } else {
        Some(joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn datetimes_are_ist_wall_clock() {
        let t = source_instant("2024-03-05 10:15:00", SOURCE_OFFSET_SECS).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-05T04:45:00+00:00");
        // Before 05:30 IST the UTC instant is the previous day.
        let t = source_instant("2024-03-05 01:00:00.250", SOURCE_OFFSET_SECS).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-04T19:30:00.250+00:00");
        assert_eq!(
            source_date("2024-03-05 01:00:00"),
            NaiveDate::from_ymd_opt(2024, 3, 5)
        );
        assert!(source_instant("yesterday", SOURCE_OFFSET_SECS).is_none());
        // A date alone is its midnight.
        let t = source_instant("2024-03-05", 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-05T00:00:00+00:00");
    }

    #[test]
    fn json_strings_holding_json_are_decoded_again() {
        let plain = decode_json(r#"{"lead_members":["a","b"]}"#).unwrap();
        let once = decode_json(r#""{\"lead_members\":[\"a\",\"b\"]}""#).unwrap();
        assert_eq!(plain, once);
        assert_eq!(json_list(&once, "lead_members").len(), 2);
        assert_eq!(
            decode_json(r#""just text""#).unwrap(),
            Value::from("just text")
        );
        assert!(decode_json("not json").is_none());
        let keyed = decode_json(r#"{"0":{"item":"A"},"1":{"item":"B"}}"#).unwrap();
        assert_eq!(json_list(&keyed, "items").len(), 2);
    }

    #[test]
    fn roles_map_to_the_nearest_seeded_role() {
        assert_eq!(nearest_role("client"), "admin");
        assert_eq!(nearest_role("Sales Executive"), "sales");
        assert_eq!(nearest_role("HR"), "hr");
        assert_eq!(nearest_role("Accountant"), "finance");
        assert_eq!(nearest_role("Project Manager"), "manager");
        assert_eq!(nearest_role("employee"), "employee");
        assert_eq!(nearest_role("Intern"), "employee");
        assert_eq!(role_kind("client"), RoleKind::TenantOwner);
        assert_eq!(role_kind("super-admin"), RoleKind::SuperAdmin);
        assert_eq!(role_kind("sub-client"), RoleKind::SubClient);
        assert_eq!(role_kind("employee"), RoleKind::Member);
    }

    #[test]
    fn amounts_in_units_become_minor_units() {
        assert_eq!(minor_units("1250", usd()), Some(125_000));
        assert_eq!(minor_units("1,250.505", usd()), Some(125_051));
        assert_eq!(minor_units("-3.2", usd()), Some(-320));
        assert_eq!(minor_units("12.3e4", usd()), None);
        assert_eq!(minor_units("", usd()), None);
        assert_eq!(
            minor_units("100", Currency::parse("JPY").unwrap()),
            Some(100)
        );
        assert_eq!(tax_basis_points("18%"), Some(1800));
        assert_eq!(tax_basis_points("2.5"), Some(250));
        assert_eq!(tax_basis_points("101"), None);
    }

    #[test]
    fn lines_are_read_leniently_and_repriced() {
        let lines = json_list(
            &decode_json(r#"[{"item":"Design","quantity":2,"price":"100.50","tax":18},{"description":"Hosting","qty":"1","rate":40}]"#).unwrap(),
            "items",
        );
        let parsed: Vec<_> = lines
            .iter()
            .map(|l| source_line(l, usd()).unwrap())
            .collect();
        assert_eq!(parsed[0].unit_price, 10_050);
        assert_eq!(parsed[0].tax_rate, 1800);
        let (_, (sub, tax, total)) = priced(&parsed).unwrap();
        assert_eq!((sub, tax, total), (24_100, 3_618, 27_718));
        assert!(total_difference(27_718, 27_718, usd()).is_none());
        assert!(
            total_difference(27_700, 27_718, usd())
                .unwrap()
                .contains("difference is 18")
        );
        assert!(source_line(&Value::from(3), usd()).is_err());
        assert!(source_line(&serde_json::json!({"item": "x"}), usd()).is_err());
    }

    proptest! {
        #[test]
        fn minor_units_read_back_what_was_printed(cents in -1_000_000_000_000i64..1_000_000_000_000) {
            let printed = format!("{}{}.{:02}", if cents < 0 { "-" } else { "" }, cents.abs() / 100, cents.abs() % 100);
            prop_assert_eq!(minor_units(&printed, usd()), Some(cents));
        }

        #[test]
        fn recomputed_totals_are_sums_of_their_lines(
            lines in proptest::collection::vec((1i64..100_000, 0i64..10_000_000, 0i32..=10_000), 0..20)
        ) {
            let source: Vec<SourceLine> = lines
                .iter()
                .map(|(q, p, t)| SourceLine {
                    description: "x".into(),
                    quantity: Quantity::from_thousandths(*q),
                    unit_price: *p,
                    tax_rate: *t,
                })
                .collect();
            let (items, (sub, tax, total)) = priced(&source).unwrap();
            prop_assert_eq!(sub, items.iter().map(|i| i.subtotal).sum::<i64>());
            prop_assert_eq!(tax, items.iter().map(|i| i.tax).sum::<i64>());
            prop_assert_eq!(total, sub + tax);
            for i in &items {
                // The tax of a line is within half a minor unit of its exact share.
                let exact = i128::from(i.subtotal) * i128::from(i.tax_rate);
                prop_assert!((i128::from(i.tax) * 10_000 - exact).abs() <= 5_000);
            }
        }

        #[test]
        fn ist_times_are_five_and_a_half_hours_ahead(secs in 0i64..4_000_000_000) {
            let utc = DateTime::from_timestamp(secs, 0).unwrap();
            let ist = utc + chrono::Duration::seconds(i64::from(SOURCE_OFFSET_SECS));
            let printed = ist.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
            prop_assert_eq!(source_instant(&printed, SOURCE_OFFSET_SECS), Some(utc));
        }
    }
}
