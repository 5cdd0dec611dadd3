//! Rendered invoices read back with poppler's `pdftotext`: everything a reader needs is on the
//! pages as text, long invoices continue over pages, and odd input (a broken logo, characters
//! outside the built-in font) still prints.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use crm_domain::Currency;
use crm_finance::document::{DocumentLine, DocumentRenderer, InvoiceDocument, Party, format_money};
use crm_pdf::PdfRenderer;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

fn line(description: &str, quantity: &str, unit_price: i64, tax_rate: i32) -> DocumentLine {
    let qty_thousandths: i64 = {
        let (whole, frac) = quantity.split_once('.').unwrap_or((quantity, ""));
        let frac = format!("{frac:0<3}");
        whole.parse::<i64>().unwrap() * 1000 + frac.parse::<i64>().unwrap()
    };
    let subtotal = (i128::from(unit_price) * i128::from(qty_thousandths) / 1000) as i64;
    let tax = (i128::from(subtotal) * i128::from(tax_rate) / 10_000) as i64;
    DocumentLine {
        description: description.to_string(),
        quantity: quantity.to_string(),
        unit_price,
        tax_rate,
        subtotal,
        tax,
        total: subtotal + tax,
    }
}

fn document(lines: Vec<DocumentLine>) -> InvoiceDocument {
    let subtotal = lines.iter().map(|l| l.subtotal).sum();
    let tax_total = lines.iter().map(|l| l.tax).sum();
    let total = lines.iter().map(|l| l.total).sum::<i64>();
    InvoiceDocument {
        title: "Invoice".to_string(),
        number: Some("INV-2026-0042".to_string()),
        issue_date: NaiveDate::from_ymd_opt(2026, 3, 14),
        due_date: NaiveDate::from_ymd_opt(2026, 4, 13),
        currency: Currency::parse("USD").unwrap(),
        seller: Party {
            name: "Northwind Traders Ltd".to_string(),
            lines: vec![
                "12 Harbour Street".to_string(),
                "Bristol BS1 4QA, United Kingdom".to_string(),
                "VAT GB123456789".to_string(),
            ],
        },
        buyer: Party {
            name: "Contoso Pharmaceuticals".to_string(),
            lines: vec![
                "Attn: Accounts Payable".to_string(),
                "500 Market Avenue, Springfield".to_string(),
                "billing@contoso.example".to_string(),
            ],
        },
        lines,
        subtotal,
        tax_total,
        total,
        amount_paid: 10_000,
        amount_credited: 2_500,
        balance_due: total - 12_500,
        notes: Some("Thank you for your business.".to_string()),
        terms: Some("Payment within 30 days by bank transfer.".to_string()),
        logo: None,
    }
}

fn few_lines() -> InvoiceDocument {
    document(vec![
        line("Consulting, March", "10.5", 12_000, 1800),
        line("Travel expenses", "1", 34_550, 1250),
        line(
            "Annual support subscription for the warehouse management platform, \
             including priority response, two on-site visits and quarterly health checks",
            "2",
            250_000,
            2000,
        ),
    ])
}

/// A temporary file, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn with(bytes: &[u8]) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("crm-pdf-test-{}-{n}.pdf", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `pdftotext -layout` of the PDF: one string, pages separated by form feeds.
fn pdftotext(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF file");
    let file = TempFile::with(pdf);
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file.0)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn render(doc: &InvoiceDocument) -> String {
    pdftotext(&PdfRenderer::new().invoice_pdf(doc).unwrap())
}

fn pages(text: &str) -> usize {
    text.trim_end_matches('\u{c}').split('\u{c}').count()
}

#[test]
fn the_reader_finds_everything_of_a_small_invoice() {
    let doc = few_lines();
    let text = render(&doc);
    let usd = doc.currency;
    let mut expected = vec![
        "Invoice".to_string(),
        "INV-2026-0042".to_string(),
        "2026-03-14".to_string(),
        "2026-04-13".to_string(),
        "From".to_string(),
        "Bill to".to_string(),
        "Northwind Traders Ltd".to_string(),
        "Bristol BS1 4QA, United Kingdom".to_string(),
        "Contoso Pharmaceuticals".to_string(),
        "billing@contoso.example".to_string(),
        "Consulting, March".to_string(),
        "Travel expenses".to_string(),
        "Annual support subscription".to_string(),
        "18%".to_string(),
        "12.5%".to_string(),
        "20%".to_string(),
        "10.5".to_string(),
        format_money(12_000, usd),
        format_money(126_000, usd),
        format_money(doc.subtotal, usd),
        format_money(doc.tax_total, usd),
        format_money(doc.total, usd),
        format_money(doc.amount_paid, usd),
        format_money(doc.amount_credited, usd),
        format_money(doc.balance_due, usd),
        "Thank you for your business.".to_string(),
        "Payment within 30 days by bank transfer.".to_string(),
        "Page 1 of 1".to_string(),
    ];
    expected.extend(
        [
            "Subtotal",
            "Tax",
            "Total",
            "Paid",
            "Credited",
            "Balance due",
        ]
        .map(String::from),
    );
    for needle in &expected {
        assert!(
            text.contains(needle.as_str()),
            "{needle:?} missing from:\n{text}"
        );
    }
    // The long description is wrapped: every word of it is there.
    for word in doc.lines[2].description.split_whitespace() {
        assert!(text.contains(word), "{word:?} missing");
    }
    // The balance due and its label share a line.
    let balance_line = text.lines().find(|l| l.contains("Balance due")).unwrap();
    assert!(balance_line.contains(&format_money(doc.balance_due, usd)));
    assert_eq!(pages(&text), 1);
}

#[test]
fn paid_and_credited_are_left_out_when_zero() {
    let mut doc = few_lines();
    doc.amount_paid = 0;
    doc.amount_credited = 0;
    doc.balance_due = doc.total;
    let text = render(&doc);
    assert!(!text.contains("Paid"), "{text}");
    assert!(!text.contains("Credited"), "{text}");
    assert!(text.contains("Balance due"));
}

#[test]
fn two_hundred_lines_all_print_over_several_pages_with_the_header_on_each() {
    let lines = (1..=200)
        .map(|i| {
            line(
                &format!("Item number {i:03} of the order"),
                "3",
                1_999,
                1800,
            )
        })
        .collect();
    let doc = document(lines);
    let text = render(&doc);
    for i in 1..=200 {
        let description = format!("Item number {i:03} of the order");
        assert_eq!(
            text.matches(&description).count(),
            1,
            "{description} printed once"
        );
    }
    assert_eq!(text.matches("Item number ").count(), 200);
    let n = pages(&text);
    assert!(n >= 3, "{n} pages");
    for (i, page) in text.trim_end_matches('\u{c}').split('\u{c}').enumerate() {
        assert!(page.contains(&format!("Page {} of {n}", i + 1)), "{page}");
        if page.contains("Item number ") {
            let header = page.lines().find(|l| l.contains("Description")).unwrap();
            for column in ["Qty", "Unit price", "Tax", "Amount"] {
                assert!(header.contains(column), "{header}");
            }
        }
    }
    assert!(text.contains(&format_money(doc.balance_due, doc.currency)));
}

#[test]
fn a_logo_that_is_not_an_image_is_left_out() {
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // Random bytes, a truncated PNG (signature and header only), a JPEG header alone, nothing.
    let jpeg_header = jpeg(90, 60)[..64].to_vec();
    for logo in [noise, png(64, 32)[..40].to_vec(), jpeg_header, vec![]] {
        let mut doc = few_lines();
        doc.logo = Some(logo);
        let pdf = PdfRenderer::new().invoice_pdf(&doc).unwrap();
        assert!(pdftotext(&pdf).contains("INV-2026-0042"));
        assert!(image_sizes(&pdf).is_empty());
    }
}

/// A `width`×`height` gradient as RGB pixels.
fn gradient(width: u32, height: u32) -> Vec<u8> {
    (0..width * height)
        .flat_map(|i| {
            let (x, y) = (i % width, i / width);
            [(x * 255 / width) as u8, 90, (y * 255 / height) as u8]
        })
        .collect()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            &gradient(width, height),
            width,
            height,
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    bytes
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 85)
        .encode(
            &gradient(width, height),
            width,
            height,
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    bytes
}

/// The sizes of the images in the PDF, as poppler's `pdfimages -list` sees them.
fn image_sizes(pdf: &[u8]) -> Vec<(u32, u32)> {
    let file = TempFile::with(pdf);
    let out = Command::new("pdfimages")
        .arg("-list")
        .arg(&file.0)
        .output()
        .expect("pdfimages (poppler-utils) runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            Some((cols.get(3)?.parse().ok()?, cols.get(4)?.parse().ok()?))
        })
        .collect()
}

#[test]
fn png_and_jpeg_logos_are_placed_on_the_page() {
    assert!(image_sizes(&PdfRenderer::new().invoice_pdf(&few_lines()).unwrap()).is_empty());
    for (logo, size) in [(png(120, 40), (120, 40)), (jpeg(90, 60), (90, 60))] {
        let mut doc = few_lines();
        doc.logo = Some(logo);
        let pdf = PdfRenderer::new().invoice_pdf(&doc).unwrap();
        assert_eq!(image_sizes(&pdf), vec![size]);
        assert!(pdftotext(&pdf).contains("INV-2026-0042"));
    }
}

#[test]
fn a_draft_says_draft() {
    let mut doc = few_lines();
    doc.number = None;
    doc.issue_date = None;
    doc.due_date = None;
    let text = render(&doc);
    assert!(text.contains("Draft"), "{text}");
    assert!(!text.contains("INV-"), "{text}");
}

#[test]
fn names_outside_ascii_print_or_are_replaced_but_never_fail() {
    let mut doc = few_lines();
    doc.seller.name = "Société Générale Müller & Søn".to_string();
    doc.buyer.name = "Łódź Żółć Sp. z o.o.".to_string();
    doc.buyer.lines = vec![
        "東京都千代田区 1-1".to_string(),
        "Ωmega \u{1F600} tab\there".to_string(),
    ];
    doc.lines[0].description = "Beratung für Änderungen – 5 € pro Stück…".to_string();
    doc.currency = Currency::parse("EUR").unwrap();
    doc.notes = Some("Zahlbar ohne Abzug.\nMerci beaucoup ! Ďakujeme.".to_string());
    let text = render(&doc);
    for needle in [
        "Société Générale Müller & Søn",
        "Lódz Zólc Sp. z o.o.",
        "Beratung für Änderungen – 5 € pro Stück…",
        "Merci beaucoup ! Dakujeme.",
        "1-1",
        "mega",
        "EUR",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn huge_amounts_and_long_words_stay_inside_their_columns() {
    let mut doc = document(vec![
        line(
            &"Supercalifragilistic".repeat(12),
            "999999.999",
            99_999_999_999,
            1800,
        ),
        line("Plain", "1", 1, 0),
    ]);
    doc.currency = Currency::parse("JPY").unwrap();
    let text = render(&doc);
    assert!(text.contains("999999.999"), "{text}");
    assert!(
        text.contains(&format_money(99_999_999_999, doc.currency)),
        "{text}"
    );
    assert!(text.contains("Supercalifragilistic"));
}
