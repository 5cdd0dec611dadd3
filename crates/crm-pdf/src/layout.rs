//! The invoice's page layout. Coordinates are PDF points (1/72 inch) from the bottom-left
//! corner of an A4 page; `Pages::y` is the top of the free space on the current page and goes
//! down as blocks are placed.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crm_finance::document::{DocumentLine, InvoiceDocument, Party, format_money};
use printpdf::{
    Color, ImageCompression, ImageOptimizationOptions, Mm, OffsetDateTime, Op, PaintMode,
    PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, RawImage, Rect, Rgb, TextItem,
    XObjectId, XObjectTransform,
};

use crate::text::{Face, fit, printable, width, wrap};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 48.0;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_W - MARGIN;
const CONTENT_W: f32 = RIGHT - LEFT;
const TOP: f32 = PAGE_H - MARGIN;
/// Content stops here; the footer lives below.
const BOTTOM: f32 = 64.0;
const FOOTER_BASELINE: f32 = 34.0;

/// The logo's box at the top left; a logo is shrunk to fit, never enlarged past 1 px = 1 pt.
const LOGO_MAX_W: f32 = 170.0;
const LOGO_MAX_H: f32 = 64.0;

/// Table text, its line height and the padding inside each cell.
const BODY: f32 = 9.0;
const LEADING: f32 = 12.0;
const PAD: f32 = 6.0;
const HEADER_ROW_H: f32 = 20.0;
/// The description column keeps at least this width; the number columns shrink their text
/// below [`BODY`] rather than squeeze it further.
const MIN_DESCRIPTION_W: f32 = 170.0;
const MIN_NUMBER_SIZE: f32 = 5.5;
const MAX_DESCRIPTION_LINES: usize = 8;
/// Notes and terms longer than this many lines each are cut with "…".
const MAX_REMARK_LINES: usize = 400;

const INK: (f32, f32, f32) = (0.11, 0.12, 0.14);
const MUTED: (f32, f32, f32) = (0.40, 0.42, 0.46);
const RULE: (f32, f32, f32) = (0.80, 0.81, 0.84);
const SHADE: (f32, f32, f32) = (0.93, 0.94, 0.95);
const DRAFT: (f32, f32, f32) = (0.70, 0.16, 0.12);

fn color((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

/// One line of text with its left edge at `x` on `baseline`.
fn text_at(
    ops: &mut Vec<Op>,
    x: f32,
    baseline: f32,
    s: &str,
    face: Face,
    size: f32,
    rgb: (f32, f32, f32),
) {
    let s = printable(s);
    if s.trim().is_empty() {
        return;
    }
    ops.extend([
        Op::StartTextSection,
        Op::SetFillColor { col: color(rgb) },
        Op::SetFont {
            font: PdfFontHandle::Builtin(face.font()),
            size: Pt(size),
        },
        Op::SetTextCursor {
            pos: Point {
                x: Pt(x),
                y: Pt(baseline),
            },
        },
        Op::ShowText {
            items: vec![TextItem::Text(s)],
        },
        Op::EndTextSection,
    ]);
}

/// One line of text ending at `right`.
fn text_right(
    ops: &mut Vec<Op>,
    right: f32,
    baseline: f32,
    s: &str,
    face: Face,
    size: f32,
    rgb: (f32, f32, f32),
) {
    let s = printable(s);
    let x = right - width(&s, face, size);
    text_at(ops, x, baseline, &s, face, size, rgb);
}

fn fill(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
    ops.extend([
        Op::SaveGraphicsState,
        Op::SetFillColor { col: color(rgb) },
        Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(w),
                height: Pt(h),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        },
        Op::RestoreGraphicsState,
    ]);
}

/// The pages laid out so far and the free space left on the last one.
struct Pages {
    done: Vec<Vec<Op>>,
    ops: Vec<Op>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Self {
            done: Vec::new(),
            ops: Vec::new(),
            y: TOP,
        }
    }

    fn fits(&self, height: f32) -> bool {
        self.y - height >= BOTTOM
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.ops));
        self.y = TOP;
    }

    /// Starts a new page unless `height` fits on this one (below the top of a fresh page, it
    /// has to be placed anyway).
    fn reserve(&mut self, height: f32) {
        if !self.fits(height) && self.y < TOP {
            self.new_page();
        }
    }

    fn finish(mut self) -> Vec<Vec<Op>> {
        self.done.push(self.ops);
        self.done
    }
}

/// The number as printed: the document's, or "Draft".
fn number_text(doc: &InvoiceDocument) -> &str {
    doc.number.as_deref().unwrap_or("Draft")
}

/// The whole document as a PDF file.
pub(crate) fn invoice(doc: &InvoiceDocument) -> Vec<u8> {
    let name = format!("{} {}", doc.title, number_text(doc));
    let mut pdf = PdfDocument::new(&printable(&name));
    let info = &mut pdf.metadata.info;
    info.author = printable(&doc.seller.name);
    // Dated by the document, not 1970 (the writer's default).
    let issued = doc
        .issue_date
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.and_utc().timestamp()).ok());
    if let Some(issued) = issued {
        info.creation_date = issued;
        info.modification_date = issued;
        info.metadata_date = issued;
    }
    let logo = doc.logo.as_deref().and_then(decode_logo).map(|image| Logo {
        width: image.width as f32,
        height: image.height as f32,
        id: pdf.add_image(&image),
    });

    let mut pages = Pages::new();
    header(&mut pages, doc, logo.as_ref());
    parties(&mut pages, &doc.seller, &doc.buyer);
    table(&mut pages, doc);
    totals(&mut pages, doc);
    if let Some(notes) = &doc.notes {
        remark(&mut pages, "Notes", notes);
    }
    if let Some(terms) = &doc.terms {
        remark(&mut pages, "Terms", terms);
    }

    let pages = pages.finish();
    let count = pages.len();
    let pages = pages
        .into_iter()
        .enumerate()
        .map(|(i, mut ops)| {
            text_at(
                &mut ops,
                LEFT,
                FOOTER_BASELINE,
                &fit(&name, Face::Regular, 8.0, CONTENT_W * 0.7),
                Face::Regular,
                8.0,
                MUTED,
            );
            let page = format!("Page {} of {count}", i + 1);
            text_right(
                &mut ops,
                RIGHT,
                FOOTER_BASELINE,
                &page,
                Face::Regular,
                8.0,
                MUTED,
            );
            PdfPage::new(Mm(210.0), Mm(297.0), ops)
        })
        .collect();
    pdf.with_pages(pages);
    let options = PdfSaveOptions {
        // Logos are drawings with sharp edges: kept lossless rather than re-encoded as JPEG.
        image_optimization: Some(ImageOptimizationOptions {
            format: Some(ImageCompression::Flate),
            ..Default::default()
        }),
        ..Default::default()
    };
    pdf.save(&options, &mut Vec::new())
}

/// A decoded logo registered with the document.
struct Logo {
    id: XObjectId,
    width: f32,
    height: f32,
}

/// The logo's pixels, or `None` when the bytes are not a PNG or JPEG image this build can
/// read (the invoice is then printed without it).
fn decode_logo(bytes: &[u8]) -> Option<RawImage> {
    let decoded = catch_unwind(AssertUnwindSafe(|| {
        RawImage::decode_from_bytes(bytes, &mut Vec::new())
    }));
    match decoded {
        Ok(Ok(image)) if image.width > 0 && image.height > 0 => Some(image),
        _ => None,
    }
}

/// Logo at the left; title, number and dates at the right.
fn header(pages: &mut Pages, doc: &InvoiceDocument, logo: Option<&Logo>) {
    let ops = &mut pages.ops;
    let mut left_bottom = TOP;
    let mut logo_w = 0.0;
    if let Some(logo) = logo {
        let scale = (LOGO_MAX_W / logo.width)
            .min(LOGO_MAX_H / logo.height)
            .min(1.0);
        let (w, h) = (logo.width * scale, logo.height * scale);
        ops.push(Op::UseXobject {
            id: logo.id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(LEFT)),
                translate_y: Some(Pt(TOP - h)),
                scale_x: Some(scale),
                scale_y: Some(scale),
                dpi: Some(72.0),
                ..Default::default()
            },
        });
        left_bottom = TOP - h;
        logo_w = w;
    }

    let room = CONTENT_W - logo_w - 24.0;
    let title = fit(&doc.title, Face::Bold, 22.0, room);
    let mut baseline = TOP - 17.0;
    text_right(ops, RIGHT, baseline, &title, Face::Bold, 22.0, INK);
    baseline -= 20.0;
    let (number, number_color) = match &doc.number {
        Some(number) => (fit(number, Face::Bold, 11.0, room), INK),
        None => ("Draft".to_string(), DRAFT),
    };
    text_right(
        ops,
        RIGHT,
        baseline,
        &number,
        Face::Bold,
        11.0,
        number_color,
    );
    for (label, date) in [("Issue date", doc.issue_date), ("Due date", doc.due_date)] {
        if let Some(date) = date {
            baseline -= 14.0;
            let value = date.format("%Y-%m-%d").to_string();
            text_right(
                ops,
                RIGHT - 62.0,
                baseline,
                label,
                Face::Regular,
                9.0,
                MUTED,
            );
            text_right(ops, RIGHT, baseline, &value, Face::Regular, 9.0, INK);
        }
    }
    let right_bottom = baseline - 4.0;
    pages.y = left_bottom.min(right_bottom) - 26.0;
}

/// "From" and "Bill to" side by side.
fn parties(pages: &mut Pages, seller: &Party, buyer: &Party) {
    let gap = 24.0;
    let column = (CONTENT_W - gap) / 2.0;
    let top = pages.y;
    let mut bottom = top;
    for (x, label, party) in [
        (LEFT, "From", seller),
        (LEFT + column + gap, "Bill to", buyer),
    ] {
        let ops = &mut pages.ops;
        let mut baseline = top - 8.0;
        text_at(ops, x, baseline, label, Face::Bold, 8.5, MUTED);
        baseline -= 6.0;
        for line in wrap(&party.name, Face::Bold, 11.0, column, 2) {
            baseline -= 13.0;
            text_at(ops, x, baseline, &line, Face::Bold, 11.0, INK);
        }
        let mut printed = 0;
        let max_lines = 10;
        for line in &party.lines {
            for part in wrap(line, Face::Regular, 9.5, column, 2) {
                if printed == max_lines {
                    break;
                }
                baseline -= 12.5;
                text_at(ops, x, baseline, &part, Face::Regular, 9.5, INK);
                printed += 1;
            }
        }
        bottom = f32::min(bottom, baseline - 4.0);
    }
    pages.y = bottom - 22.0;
}

/// `1800` basis points → `"18%"`, `1250` → `"12.5%"`, `1225` → `"12.25%"`.
pub(crate) fn percent(basis_points: i32) -> String {
    let sign = if basis_points < 0 { "-" } else { "" };
    let bp = basis_points.unsigned_abs();
    let (whole, hundredths) = (bp / 100, bp % 100);
    if hundredths == 0 {
        format!("{sign}{whole}%")
    } else {
        let decimals = format!("{hundredths:02}");
        format!("{sign}{whole}.{}%", decimals.trim_end_matches('0'))
    }
}

const HEADINGS: [&str; 5] = ["Description", "Qty", "Unit price", "Tax", "Amount"];

/// The widths of the table's columns and the size of the numbers' text, the same on every page.
struct Columns {
    /// Right edge of each column (the first is the description).
    rights: [f32; 5],
    description_w: f32,
    number_size: f32,
}

/// The four number cells of a line as printed.
fn number_cells(doc: &InvoiceDocument, line: &DocumentLine) -> [String; 4] {
    [
        line.quantity.clone(),
        format_money(line.unit_price, doc.currency),
        percent(line.tax_rate),
        format_money(line.subtotal, doc.currency),
    ]
}

/// Each number column is as wide as its widest cell; the description takes what is left. When
/// that leaves the description too narrow, the numbers' text shrinks to make room.
fn columns(cells: &[[String; 4]]) -> Columns {
    let mut widest = [0.0_f32; 4];
    for (i, heading) in HEADINGS[1..].iter().enumerate() {
        widest[i] = width(heading, Face::Bold, BODY);
    }
    for row in cells {
        for (i, cell) in row.iter().enumerate() {
            widest[i] = widest[i].max(width(&printable(cell), Face::Regular, BODY));
        }
    }
    let text_total: f32 = widest.iter().sum();
    let room = CONTENT_W - MIN_DESCRIPTION_W - 8.0 * PAD;
    let scale = if text_total > room {
        (room / text_total).max(MIN_NUMBER_SIZE / BODY)
    } else {
        1.0
    };
    let number_size = BODY * scale;
    // A point to spare: the cells are fitted again at drawing time, after float rounding.
    let mut widths = widest.map(|w| w * scale + 2.0 * PAD + 1.0);
    let total: f32 = widths.iter().sum();
    let room = CONTENT_W - MIN_DESCRIPTION_W;
    if total > room {
        // Even the smallest text does not fit: the columns share the room and cells are cut.
        widths = widths.map(|w| w * room / total);
    }
    let mut rights = [RIGHT; 5];
    for i in (0..4).rev() {
        rights[i] = rights[i + 1] - widths[i];
    }
    let edge = rights[0];
    Columns {
        rights,
        description_w: edge - LEFT - 2.0 * PAD,
        number_size,
    }
}

fn table_header(pages: &mut Pages, columns: &Columns) {
    let top = pages.y;
    let ops = &mut pages.ops;
    fill(
        ops,
        LEFT,
        top - HEADER_ROW_H,
        CONTENT_W,
        HEADER_ROW_H,
        SHADE,
    );
    let baseline = top - 13.5;
    let size = columns.number_size.min(BODY);
    text_at(
        ops,
        LEFT + PAD,
        baseline,
        HEADINGS[0],
        Face::Bold,
        BODY,
        INK,
    );
    for (i, heading) in HEADINGS.iter().enumerate().skip(1) {
        let w = columns.rights[i] - columns.rights[i - 1] - 2.0 * PAD;
        let heading = fit(heading, Face::Bold, size, w);
        text_right(
            ops,
            columns.rights[i] - PAD,
            baseline,
            &heading,
            Face::Bold,
            size,
            INK,
        );
    }
    pages.y -= HEADER_ROW_H;
}

/// The lines, one row each, continuing on new pages under a repeated header.
fn table(pages: &mut Pages, doc: &InvoiceDocument) {
    let cells: Vec<[String; 4]> = doc
        .lines
        .iter()
        .map(|line| number_cells(doc, line))
        .collect();
    let columns = columns(&cells);
    let rows: Vec<Vec<String>> = doc
        .lines
        .iter()
        .map(|line| {
            wrap(
                &line.description,
                Face::Regular,
                BODY,
                columns.description_w,
                MAX_DESCRIPTION_LINES,
            )
        })
        .collect();
    let row_height = |lines: usize| LEADING * lines.max(1) as f32 + 8.0;

    let first = rows.first().map_or(0, Vec::len);
    pages.reserve(HEADER_ROW_H + row_height(first));
    table_header(pages, &columns);
    for (description, numbers) in rows.iter().zip(&cells) {
        let h = row_height(description.len());
        if !pages.fits(h) {
            pages.new_page();
            table_header(pages, &columns);
        }
        let top = pages.y;
        let ops = &mut pages.ops;
        let baseline = top - 13.0;
        for (i, line) in description.iter().enumerate() {
            let y = baseline - LEADING * i as f32;
            text_at(ops, LEFT + PAD, y, line, Face::Regular, BODY, INK);
        }
        for (i, cell) in numbers.iter().enumerate() {
            let (left, right) = (columns.rights[i], columns.rights[i + 1]);
            let size = columns.number_size;
            let cell = fit(cell, Face::Regular, size, right - left - 2.0 * PAD);
            text_right(ops, right - PAD, baseline, &cell, Face::Regular, size, INK);
        }
        fill(ops, LEFT, top - h, CONTENT_W, 0.6, RULE);
        pages.y -= h;
    }
}

/// Subtotal, tax, total, what was paid or credited, and the balance due, at the right.
fn totals(pages: &mut Pages, doc: &InvoiceDocument) {
    let money = |amount| format_money(amount, doc.currency);
    let mut rows = vec![
        ("Subtotal", money(doc.subtotal)),
        ("Tax", money(doc.tax_total)),
        ("Total", money(doc.total)),
    ];
    if doc.amount_paid > 0 {
        rows.push(("Paid", money(doc.amount_paid)));
    }
    if doc.amount_credited > 0 {
        rows.push(("Credited", money(doc.amount_credited)));
    }
    let balance = money(doc.balance_due);
    let label_w = width("Balance due", Face::Bold, 11.0);
    let value_w = rows
        .iter()
        .map(|(_, v)| width(v, Face::Regular, BODY + 0.5))
        .fold(width(&balance, Face::Bold, 11.0), f32::max);
    let box_w = (label_w + value_w + 4.0 * PAD + 24.0).clamp(230.0, CONTENT_W);
    let x = RIGHT - box_w;

    let height = 10.0 + 16.0 * rows.len() as f32 + 26.0;
    pages.reserve(height);
    pages.y -= 10.0;
    let ops = &mut pages.ops;
    let mut top = pages.y;
    for (label, value) in &rows {
        let baseline = top - 12.0;
        text_at(
            ops,
            x + PAD,
            baseline,
            label,
            Face::Regular,
            BODY + 0.5,
            MUTED,
        );
        text_right(
            ops,
            RIGHT - PAD,
            baseline,
            value,
            Face::Regular,
            BODY + 0.5,
            INK,
        );
        top -= 16.0;
    }
    top -= 4.0;
    fill(ops, x, top - 22.0, box_w, 22.0, SHADE);
    fill(ops, x, top - 0.8, box_w, 0.8, INK);
    let baseline = top - 15.5;
    let size = 11.0;
    text_at(ops, x + PAD, baseline, "Balance due", Face::Bold, size, INK);
    let balance = fit(&balance, Face::Bold, size, box_w - label_w - 3.0 * PAD);
    text_right(ops, RIGHT - PAD, baseline, &balance, Face::Bold, size, INK);
    pages.y = top - 22.0;
}

/// A heading and its wrapped text across the whole width, continuing on new pages.
fn remark(pages: &mut Pages, heading: &str, body: &str) {
    let lines = wrap(body, Face::Regular, BODY, CONTENT_W, MAX_REMARK_LINES);
    if lines.is_empty() {
        return;
    }
    pages.y -= 18.0;
    pages.reserve(16.0 + LEADING);
    text_at(
        &mut pages.ops,
        LEFT,
        pages.y - 10.0,
        heading,
        Face::Bold,
        10.0,
        INK,
    );
    pages.y -= 16.0;
    for line in lines {
        pages.reserve(LEADING);
        text_at(
            &mut pages.ops,
            LEFT,
            pages.y - 9.0,
            &line,
            Face::Regular,
            BODY,
            INK,
        );
        pages.y -= LEADING;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_prints_basis_points_without_trailing_zeros() {
        assert_eq!(percent(1800), "18%");
        assert_eq!(percent(1250), "12.5%");
        assert_eq!(percent(1225), "12.25%");
        assert_eq!(percent(5), "0.05%");
        assert_eq!(percent(0), "0%");
        assert_eq!(percent(-750), "-7.5%");
    }
}
