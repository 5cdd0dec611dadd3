//! The printable form of an invoice and the port that renders it. The domain fills an
//! [`InvoiceDocument`] with everything a reader of the paper needs, already computed (amounts
//! in minor units, dates, the two parties); an adapter (crate `crm-pdf`) lays it out.

use chrono::NaiveDate;
use crm_domain::Currency;

/// One side of the invoice: who issues it, or who is billed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    /// Address lines, email, phone, tax id: printed in order under the name.
    pub lines: Vec<String>,
}

/// One priced line as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLine {
    pub description: String,
    /// A decimal string with at most three decimals (`"10.5"`).
    pub quantity: String,
    /// Minor units per unit.
    pub unit_price: i64,
    /// Basis points (`1800` = 18 %).
    pub tax_rate: i32,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
}

/// An invoice (or credit note) ready to print. Amounts are in `currency`'s minor unit
/// ([`Currency::exponent`] digits after the point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// `"Invoice"` or `"Credit note"`.
    pub title: String,
    /// `INV-2026-0001`; `None` for a draft (printed as "Draft").
    pub number: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: Currency,
    pub seller: Party,
    pub buyer: Party,
    pub lines: Vec<DocumentLine>,
    pub subtotal: i64,
    pub tax_total: i64,
    pub total: i64,
    pub amount_paid: i64,
    pub amount_credited: i64,
    pub balance_due: i64,
    pub notes: Option<String>,
    pub terms: Option<String>,
    /// The organization's logo as PNG or JPEG bytes, when it has one.
    pub logo: Option<Vec<u8>>,
}

/// Why a document could not be rendered (a logo that is not a readable image is not one of
/// them: the document is printed without it).
#[derive(Debug, thiserror::Error)]
#[error("the document could not be rendered: {0}")]
pub struct RenderError(pub String);

/// Lays documents out as PDF. Rendering is CPU work: callers run it off the async workers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait DocumentRenderer: Send + Sync {
    /// A complete PDF file.
    fn invoice_pdf(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError>;
}

/// Formats `amount` minor units of `currency` for people: `1,250.50 USD`, `-3.00 EUR`,
/// `1,000 JPY`.
pub fn format_money(amount: i64, currency: Currency) -> String {
    let digits = u32::from(currency.exponent());
    let scale = 10_i128.pow(digits);
    let a = i128::from(amount);
    let (whole, frac) = (a.abs() / scale, a.abs() % scale);
    let mut grouped = String::new();
    let w = whole.to_string();
    for (i, ch) in w.chars().enumerate() {
        if i > 0 && (w.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if a < 0 { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{grouped} {}", currency.code())
    } else {
        let width = digits as usize;
        format!("{sign}{grouped}.{frac:0width$} {}", currency.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_prints_with_its_currency_digits_and_groups() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(format_money(125_050, usd), "1,250.50 USD");
        assert_eq!(format_money(-300, usd), "-3.00 USD");
        assert_eq!(format_money(5, usd), "0.05 USD");
        assert_eq!(format_money(12_345_678_900, usd), "123,456,789.00 USD");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(format_money(1000, jpy), "1,000 JPY");
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(format_money(1234, bhd), "1.234 BHD");
    }
}
