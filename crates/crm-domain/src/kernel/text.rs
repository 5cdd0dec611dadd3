//! Checks of free text that every module applies to its inputs: trimming, length in characters,
//! control characters, and the common shapes (phone numbers, web addresses).

use crate::kernel::validation::ValueError;

fn check_length_and_controls(
    t: &str,
    what: &str,
    max: usize,
    newlines: bool,
) -> Result<(), ValueError> {
    if t.chars().count() > max {
        return Err(ValueError::new(
            "too_long",
            format!("{what} is at most {max} characters"),
        ));
    }
    let bad = |c: char| c.is_control() && !(newlines && matches!(c, '\n' | '\r' | '\t'));
    if t.chars().any(bad) {
        return Err(ValueError::new(
            "invalid",
            format!("{what} must not contain control characters"),
        ));
    }
    Ok(())
}

/// A required one-line text: trimmed, 1..=`max` characters, no control characters.
pub fn required_text(raw: &str, what: &str, max: usize) -> Result<String, ValueError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValueError::new("required", format!("{what} is required")));
    }
    check_length_and_controls(t, what, max, false)?;
    Ok(t.to_string())
}

/// A required text that may span lines (summaries): trimmed, 1..=`max` characters.
pub fn required_multiline(raw: &str, what: &str, max: usize) -> Result<String, ValueError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValueError::new("required", format!("{what} is required")));
    }
    check_length_and_controls(t, what, max, true)?;
    Ok(t.to_string())
}

/// An optional text: trimmed; empty means absent. With `newlines`, line breaks and tabs are
/// allowed (addresses); other control characters never are.
pub fn optional_text(
    raw: Option<&str>,
    what: &str,
    max: usize,
    newlines: bool,
) -> Result<Option<String>, ValueError> {
    let Some(t) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    check_length_and_controls(t, what, max, newlines)?;
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
