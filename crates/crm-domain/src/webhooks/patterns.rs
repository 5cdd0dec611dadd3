//! Which events a subscription names: exact types (`lead.created`), every type of a resource
//! (`invoice.*`) or everything (`*`).

use crate::kernel::validation::ValueError;

/// Most patterns one webhook may hold.
pub const MAX_PATTERNS: usize = 100;

/// Checks one pattern against the known event types: `*`; `<prefix>.*` where some known type
/// starts with `<prefix>.`; or a known type exactly. `malformed` for anything else shaped
/// wrongly, `unknown` for a well-formed name no type answers to.
pub fn check(pattern: &str, known: &[&str]) -> Result<(), ValueError> {
    if pattern == "*" {
        return Ok(());
    }
    let well_formed = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
    };
    if let Some(prefix) = pattern.strip_suffix(".*") {
        if !well_formed(prefix) {
            return Err(malformed(pattern));
        }
        let with_dot = format!("{prefix}.");
        return if known.iter().any(|t| t.starts_with(&with_dot)) {
            Ok(())
        } else {
            Err(ValueError::new(
                "unknown",
                format!("no event type starts with `{with_dot}` (see GET /event-types)"),
            ))
        };
    }
    if !well_formed(pattern) || !pattern.contains('.') {
        return Err(malformed(pattern));
    }
    if known.contains(&pattern) {
        Ok(())
    } else {
        Err(ValueError::new(
            "unknown",
            format!("`{pattern}` is not an event type (see GET /event-types)"),
        ))
    }
}

fn malformed(pattern: &str) -> ValueError {
    let shown: String = pattern.chars().take(80).collect();
    ValueError::new(
        "malformed",
        format!("`{shown}` must be an event type, `<resource>.*` or `*`"),
    )
}

/// Whether `pattern` (already checked) covers `event_type`.
pub fn matches(pattern: &str, event_type: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

/// Whether any of `patterns` covers `event_type`.
pub fn matches_any<S: AsRef<str>>(patterns: &[S], event_type: &str) -> bool {
    patterns.iter().any(|p| matches(p.as_ref(), event_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["lead.created", "lead.updated", "invoice.paid", "deal.won"];

    #[test]
    fn exact_prefix_and_global_patterns_are_accepted() {
        for p in ["*", "lead.*", "invoice.*", "lead.created", "deal.won"] {
            assert_eq!(check(p, KNOWN), Ok(()), "{p}");
        }
    }

    #[test]
    fn unknown_names_and_malformed_patterns_are_told_apart() {
        for p in ["lead.archived", "foo.*", "quotation.accepted"] {
            assert_eq!(check(p, KNOWN).unwrap_err().code, "unknown", "{p}");
        }
        for p in [
            "",
            "lead",
            "lead*",
            "*.created",
            "lead.*.x",
            "Lead.created",
            "lead..created",
            "lead.created ",
            "**",
            ".*",
            "lead.cre*",
        ] {
            assert_eq!(check(p, KNOWN).unwrap_err().code, "malformed", "{p:?}");
        }
    }

    #[test]
    fn wildcards_match_by_whole_segment() {
        assert!(matches("*", "anything.at_all"));
        assert!(matches("lead.*", "lead.created"));
        assert!(!matches("lead.*", "leadership.created"));
        assert!(!matches("lead.*", "deal.won"));
        assert!(matches("deal.won", "deal.won"));
        assert!(!matches("deal.won", "deal.lost"));
        assert!(matches_any(&["deal.won", "lead.*"], "lead.converted"));
        assert!(!matches_any::<&str>(&[], "lead.converted"));
    }
}
