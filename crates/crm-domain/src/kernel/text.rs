//! Checks of free text that every module applies to its inputs: trimming, length in characters,
//! control characters, and the common shapes (phone numbers, web addresses).

use crate::kernel::validation::ValueError;

/// The length is counted on the text as sent, surrounding whitespace included, so that the
/// limit is the `maxLength` a client reads in the OpenAPI document.
fn check_length(raw: &str, what: &str, max: usize) -> Result<(), ValueError> {
    if raw.chars().count() > max {
        return Err(ValueError::new(
            "too_long",
            format!("{what} is at most {max} characters"),
        ));
    }
    Ok(())
}

fn check_controls(t: &str, what: &str, newlines: bool) -> Result<(), ValueError> {
    let bad = |c: char| c.is_control() && !(newlines && matches!(c, '\n' | '\r' | '\t'));
    if t.chars().any(bad) {
        return Err(ValueError::new(
            "invalid",
            format!("{what} must not contain control characters"),
        ));
    }
    Ok(())
}

fn required(raw: &str, what: &str, max: usize, newlines: bool) -> Result<String, ValueError> {
    check_length(raw, what, max)?;
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValueError::new("required", format!("{what} is required")));
    }
    check_controls(t, what, newlines)?;
    Ok(t.to_string())
}

/// A required one-line text: at most `max` characters as sent, trimmed, not blank, no control
/// characters.
pub fn required_text(raw: &str, what: &str, max: usize) -> Result<String, ValueError> {
    required(raw, what, max, false)
}

/// A required text that may span lines (summaries): as [`required_text`], line breaks allowed.
pub fn required_multiline(raw: &str, what: &str, max: usize) -> Result<String, ValueError> {
    required(raw, what, max, true)
}

/// An optional text: at most `max` characters as sent, trimmed; blank means absent. With
/// `newlines`, line breaks and tabs are allowed (addresses); other control characters never are.
pub fn optional_text(
    raw: Option<&str>,
    what: &str,
    max: usize,
    newlines: bool,
) -> Result<Option<String>, ValueError> {
    if let Some(raw) = raw {
        check_length(raw, what, max)?;
    }
    let Some(t) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    check_controls(t, what, newlines)?;
    Ok(Some(t.to_string()))
}

/// An optional phone number: digits with the usual separators, at most 50 characters.
pub fn phone(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    let Some(t) = optional_text(raw, "phone", 50, false)? else {
        return Ok(None);
    };
    let ok = t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/'));
    if ok {
        Ok(Some(t))
    } else {
        Err(ValueError::new(
            "invalid",
            "phone may contain digits, spaces and + - ( ) . /",
        ))
    }
}

/// An optional `http(s)://` address without whitespace.
pub fn website(raw: Option<&str>) -> Result<Option<String>, ValueError> {
    let Some(t) = optional_text(raw, "website", 2048, false)? else {
        return Ok(None);
    };
    let lower = t.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !t.chars().any(char::is_whitespace) => Ok(Some(t)),
        _ => Err(ValueError::new(
            "invalid",
            "website must be an http:// or https:// address",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_as_sent_and_the_text_is_kept_trimmed() {
        assert_eq!(required_text(" ab ", "x", 4).unwrap(), "ab");
        let padded = required_text(" abcd ", "x", 4).unwrap_err();
        assert_eq!(padded.code, "too_long");
        assert_eq!(
            optional_text(Some("     "), "x", 4, false)
                .unwrap_err()
                .code,
            "too_long"
        );
        assert_eq!(optional_text(Some("    "), "x", 4, false).unwrap(), None);
        assert_eq!(required_multiline("a\nb", "x", 3).unwrap(), "a\nb");
    }
}
