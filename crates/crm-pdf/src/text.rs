//! Text set in the built-in Helvetica: what it can print, how wide it is, and how it wraps.
//!
//! The standard PDF fonts are written with `WinAnsiEncoding` (Windows-1252), so a document
//! can only show the characters of that code page. Anything else is folded to a close Latin
//! letter (`ł` → `l`, `ș` → `s`) or replaced with `?` before it reaches the page, so that the
//! widths measured here are the widths the reader draws and no text is ever refused.

use printpdf::BuiltinFont;

/// The two faces the invoice uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
}

impl Face {
    pub(crate) fn font(self) -> BuiltinFont {
        match self {
            Face::Regular => BuiltinFont::Helvetica,
            Face::Bold => BuiltinFont::HelveticaBold,
        }
    }
}

/// Advance widths in thousandths of an em of ASCII 32..=126 in Helvetica (Adobe's AFM).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A..M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N..Z
    278, 278, 278, 469, 556, 333, // [..`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a..m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n..z
    334, 260, 334, 584, // {..~
];

/// The same for Helvetica-Bold.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    333, 333, 584, 584, 584, 611, 975, // :..@
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, // A..M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N..Z
    333, 278, 333, 584, 556, 333, // [..`
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, // a..m
    611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, // n..z
    389, 280, 389, 584, // {..~
];

/// Whether Windows-1252 (the built-in fonts' encoding) has `c`.
fn win_ansi(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{A0}'..='\u{FF}')
        || matches!(
            c,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

/// A Windows-1252 stand-in for a character the code page lacks: the Latin Extended-A letters
/// of Central European and Turkish names without their marks, and look-alike punctuation.
fn fold(c: char) -> Option<char> {
    Some(match c {
        'Ā' | 'Ă' | 'Ą' => 'A',
        'ā' | 'ă' | 'ą' => 'a',
        'Ć' | 'Ĉ' | 'Ċ' | 'Č' => 'C',
        'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'Ď' | 'Đ' => 'D',
        'ď' | 'đ' => 'd',
        'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => 'E',
        'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => 'G',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'Ĥ' | 'Ħ' => 'H',
        'ĥ' | 'ħ' => 'h',
        'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => 'I',
        'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'Ĵ' => 'J',
        'ĵ' => 'j',
        'Ķ' => 'K',
        'ķ' => 'k',
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => 'L',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'Ń' | 'Ņ' | 'Ň' => 'N',
        'ń' | 'ņ' | 'ň' => 'n',
        'Ō' | 'Ŏ' | 'Ő' => 'O',
        'ō' | 'ŏ' | 'ő' => 'o',
        'Ŕ' | 'Ŗ' | 'Ř' => 'R',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'Ś' | 'Ŝ' | 'Ş' | 'Ș' => 'S',
        'ś' | 'ŝ' | 'ş' | 'ș' => 's',
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => 'T',
        'ţ' | 'ť' | 'ŧ' | 'ț' => 't',
        'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => 'U',
        'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'Ŵ' => 'W',
        'ŵ' => 'w',
        'Ŷ' => 'Y',
        'ŷ' => 'y',
        'Ź' | 'Ż' => 'Z',
        'ź' | 'ż' => 'z',
        '\u{2010}'..='\u{2012}' | '\u{2212}' => '-',
        '\u{2032}' => '\'',
        '\u{2033}' => '"',
        _ => return None,
    })
}

/// `text` on one line as the built-in fonts can print it: whitespace (tabs, line breaks) becomes
/// a space, other control and zero-width characters go, letters outside Windows-1252 are folded
/// or replaced with `?`.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}') {
                None
            } else if win_ansi(c) {
                Some(c)
            } else {
                Some(fold(c).unwrap_or('?'))
            }
        })
        .collect()
}

/// The ASCII letter whose width a Latin-1 letter with a mark has (`é` is as wide as `e`).
fn base_letter(c: char) -> Option<char> {
    Some(match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' | 'Ÿ' => 'Y',
        'Š' => 'S',
        'Ž' => 'Z',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' => 's',
        'ž' => 'z',
        _ => return None,
    })
}

/// Width of one printable character in thousandths of an em.
fn advance(c: char, face: Face) -> u16 {
    let bold = face == Face::Bold;
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    if let Some(i) = (c as usize).checked_sub(32).filter(|i| *i < table.len()) {
        return table[i];
    }
    if let Some(base) = base_letter(c) {
        return advance(base, face);
    }
    match c {
        '\u{A0}' | '·' => 278,
        '€' | '£' | '¥' | '¢' | '¤' | '§' | '†' | '‡' | 'ƒ' | '–' | '«' | '»' => {
            556
        }
        '…' | '—' | '‰' | '™' | 'Æ' | 'Œ' => 1000,
        '‘' | '’' | '‚' => {
            if bold {
                278
            } else {
                222
            }
        }
        '“' | '”' | '„' => {
            if bold {
                500
            } else {
                333
            }
        }
        '‹' | '›' | 'ˆ' | '˜' | '¨' | '¯' | '´' | '¸' | '¹' | '²' | '³' | '¡' | '\u{AD}' => {
            333
        }
        '•' => 350,
        '°' => 400,
        '©' | '®' => 737,
        '±' | '×' | '÷' | '¬' => 584,
        'ß' | 'ø' | '¿' => 611,
        'æ' | 'œ' => {
            if bold {
                889
            } else {
                944
            }
        }
        '¼' | '½' | '¾' => 834,
        'Ð' => 722,
        'Þ' => 667,
        // ð þ µ ¶ ª º ¦ and anything unlisted: no narrower than a wide lower-case letter.
        _ => 667,
    }
}

/// Width in points of printable `text` set in `face` at `size` points.
pub(crate) fn width(text: &str, face: Face, size: f32) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(advance(c, face))).sum();
    units as f32 * size / 1000.0
}

/// Printable `text` cut to `max` points, ending in "…" when something was cut.
pub(crate) fn fit(text: &str, face: Face, size: f32, max: f32) -> String {
    let text = printable(text);
    if width(&text, face, size) <= max {
        return text;
    }
    let budget = max - width("…", face, size);
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]), face, size);
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    let mut out = out.trim_end().to_string();
    out.push('…');
    out
}

/// `text` broken into printable lines no wider than `max` points: at line breaks of its own,
/// between words, and inside a word too long for a line. At most `max_lines` lines: the last
/// one kept ends in "…" when text was left out.
pub(crate) fn wrap(text: &str, face: Face, size: f32, max: f32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in printable(paragraph).split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, face, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: broken wherever it reaches the edge.
            for c in word.chars() {
                let mut longer = line.clone();
                longer.push(c);
                if width(&longer, face, size) > max && !line.is_empty() {
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                } else {
                    line = longer;
                }
            }
        }
        lines.push(line);
    }
    // Blank lines at the end say nothing.
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = fit(&format!("{last}…"), face, size, max);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_keeps_windows_1252_and_replaces_the_rest() {
        assert_eq!(printable("Café Müller € — 5"), "Café Müller € — 5");
        assert_eq!(printable("Łódź\tul. Ţesătoarei"), "Lódz ul. Tesatoarei");
        assert_eq!(printable("東京 Ω\u{200B}x\u{7}"), "?? ?x");
    }

    #[test]
    fn widths_follow_the_font_metrics() {
        // "Hi" = 722 + 222 in Helvetica, 722 + 278 in bold.
        assert!((width("Hi", Face::Regular, 10.0) - 9.44).abs() < 1e-4);
        assert!((width("Hi", Face::Bold, 10.0) - 10.0).abs() < 1e-4);
        assert_eq!(
            width("é", Face::Regular, 10.0),
            width("e", Face::Regular, 10.0)
        );
    }

    #[test]
    fn fit_cuts_with_an_ellipsis_only_when_needed() {
        assert_eq!(fit("short", Face::Regular, 10.0, 100.0), "short");
        let cut = fit(&"word ".repeat(40), Face::Regular, 10.0, 100.0);
        assert!(cut.ends_with('…'));
        assert!(width(&cut, Face::Regular, 10.0) <= 100.0);
    }

    #[test]
    fn wrap_breaks_between_words_inside_long_words_and_at_line_breaks() {
        let lines = wrap("one two three four five six", Face::Regular, 10.0, 50.0, 10);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), "one two three four five six");
        for line in &lines {
            assert!(width(line, Face::Regular, 10.0) <= 50.0, "{line}");
        }
        let long = "x".repeat(200);
        let lines = wrap(&long, Face::Regular, 10.0, 50.0, 100);
        assert_eq!(lines.concat(), long);
        assert!(lines.iter().all(|l| width(l, Face::Regular, 10.0) <= 50.0));
        assert_eq!(
            wrap("a\nb\n\n", Face::Regular, 10.0, 50.0, 10),
            vec!["a", "b"]
        );
        let cut = wrap(&"word ".repeat(100), Face::Regular, 10.0, 50.0, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…'));
    }
}
