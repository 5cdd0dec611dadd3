//! The patterns the OpenAPI document states for input fields (`crm_domain::kernel::openapi`)
//! accept exactly what the server's validators accept, on a spread of awkward strings.

use crm_domain::identity::EmailAddress;
use crm_domain::kernel::openapi as schema;
use crm_domain::kernel::text;
use utoipa::openapi::{RefOr, Schema};

/// A JSON Schema string schema's pattern and maxLength, as a predicate.
fn acceptor(schema: &RefOr<Schema>) -> impl Fn(&str) -> bool {
    let v = serde_json::to_value(schema).unwrap();
    let re = regex::Regex::new(v["pattern"].as_str().expect("a pattern")).unwrap();
    let max = v["maxLength"].as_u64();
    move |s: &str| re.is_match(s) && max.is_none_or(|m| s.chars().count() as u64 <= m)
}

/// Awkward strings: blanks, control characters, line breaks, non-ASCII, lengths around `max`,
/// and a deterministic spray of short strings over a small alphabet.
fn samples(max: usize) -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "\t",
        "a",
        " a ",
        "\ta\t",
        "a b",
        "a\nb",
        "a\r\nb",
        "a\tb",
        "\u{0}",
        "a\u{0}",
        "a\u{7f}",
        "a\u{85}b",
        "\u{85}",
        "é",
        " é ",
        "\u{a0}a\u{a0}",
        "a\u{2028}b",
        "-",
        "x@y",
        "a@b.c",
        " a@b.co ",
        "A@B.CO",
        "a@-b.c",
        "a@b-.c",
        "a@b..c",
        "a@@b.c",
        "@b.c",
        "a@b",
        "a b@c.d",
        "+1 (555) 010-9999",
        "555",
        "call me",
        "+",
        "https://x",
        "http://",
        "https://",
        "HTTPS://acme.io",
        "ftp://x",
        "https://a b",
        " https://acme.io/x?y=1 ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [max.saturating_sub(1), max, max + 1] {
        out.push("x".repeat(n));
        out.push(format!("  {}  ", "x".repeat(n)));
        out.push(format!("{}\n", "x".repeat(n)));
        out.push(format!(" {} ", "1".repeat(n)));
        out.push("1".repeat(n));
        out.push(format!("https://{}", "x".repeat(n.saturating_sub(8))));
        out.push(format!(" https://{} ", "x".repeat(n.saturating_sub(8))));
    }
    let alphabet = [
        'a', ' ', '\n', '\t', '\u{1}', '@', '.', '-', '1', '(', 'é', '/', ':',
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 9) as usize;
        let s: String = (0..len)
            .map(|i| alphabet[((seed >> (i * 4 + 8)) % alphabet.len() as u64) as usize])
            .collect();
        out.push(s);
    }
    out
}

fn agree(name: &str, schema: RefOr<Schema>, max: usize, validator: impl Fn(&str) -> bool) {
    let accepts = acceptor(&schema);
    let mut disagree = Vec::new();
    for s in samples(max) {
        if accepts(&s) != validator(&s) {
            disagree.push(s);
        }
    }
    assert!(
        disagree.is_empty(),
        "{name}: the document and the validator disagree on {disagree:?}"
    );
}

#[test]
fn text_patterns_match_the_text_validators() {
    agree("line", schema::line::<10>(), 10, |s| {
        text::required_text(s, "x", 10).is_ok()
    });
    agree("opt_line", schema::opt_line::<10>(), 10, |s| {
        text::optional_text(Some(s), "x", 10, false).is_ok()
    });
    agree("text", schema::text::<10>(), 10, |s| {
        text::required_multiline(s, "x", 10).is_ok()
    });
    agree("opt_text", schema::opt_text::<10>(), 10, |s| {
        text::optional_text(Some(s), "x", 10, true).is_ok()
    });
    agree("text (long)", schema::text::<6000>(), 6000, |s| {
        text::required_multiline(s, "x", 6000).is_ok()
    });
    agree("opt_text (long)", schema::opt_text::<6000>(), 6000, |s| {
        text::optional_text(Some(s), "x", 6000, true).is_ok()
    });
}

#[test]
fn phone_website_and_email_patterns_match_their_validators() {
    agree("phone", schema::opt_phone(), 50, |s| {
        text::phone(Some(s)).is_ok()
    });
    agree("website", schema::opt_website(), 2048, |s| {
        text::website(Some(s)).is_ok()
    });
    agree("email", schema::email(), 300, |s| {
        EmailAddress::parse(s).is_ok()
    });
    agree("opt_email", schema::opt_email(), 300, |s| {
        EmailAddress::parse_optional(s).is_ok()
    });
}

/// Addresses at each of the email rule's limits (64-character local part, 63-character label,
/// 254 characters as sent), on both sides of them, and the shapes a fuzzer found.
#[test]
fn email_limits_are_the_documented_ones() {
    let (required, optional) = (schema::email(), schema::opt_email());
    let (accepts, accepts_opt) = (acceptor(&required), acceptor(&optional));
    let label = |n: usize| "d".repeat(n);
    let mut cases = vec![
        format!("{}@x.io", "a".repeat(64)),
        format!("{}@x.io", "a".repeat(65)),
        format!("a@{}.io", label(63)),
        format!("a@{}.io", label(64)),
        format!(
            "a@{}.{}.{}.{}.io",
            label(10),
            label(10),
            label(10),
            label(10)
        ),
        // A label of 41 characters, some outside the basic plane (found by Schemathesis).
        format!("\u{c}Z\u{405cc}{{@\u{5d292}.{}😍", "é\u{bfaea}".repeat(20)),
        "İ@x.io".to_string(),
        format!(" {} ", " ".repeat(260)),
    ];
    // 254 and 255 characters in all, whitespace included.
    for pad in [0, 1, 2] {
        let body = format!("a@{}.{}.{}.{}", label(63), label(63), label(63), label(60));
        cases.push(format!("{}{body}", " ".repeat(pad)));
    }
    for s in &cases {
        assert_eq!(accepts(s), EmailAddress::parse(s).is_ok(), "email {s:?}");
        let optional = EmailAddress::parse_optional(s).is_ok();
        assert_eq!(accepts_opt(s), optional, "opt_email {s:?}");
    }
}

#[test]
fn webhook_url_and_pattern_shapes_match_the_validators() {
    use crm_domain::webhooks::{EVENT_PATTERN_PATTERN, WEBHOOK_URL_PATTERN, patterns};
    let url = regex::Regex::new(WEBHOOK_URL_PATTERN).unwrap();
    let mut urls: Vec<String> = samples(60);
    for s in [
        "http://a",
        "https://hooks.example.com/x?y=1#z",
        "HTTP://A.B:65535/",
        "http://a:65536",
        "http://a:00080",
        "http://a:0",
        "http://a:",
        "http://a..b/",
        "http://.a",
        "http://a/ b",
        "http://a/é",
        "ftp://a",
        "http://",
        "http://a:99999",
        "http://a:6553",
        "http://1.2.3.4:80/p",
        " http://a",
        "http://a ",
        "http://a/\u{0}",
        "http://[::1]/",
        "http://a_b/",
        "http://a-b/~",
        "https://a:12345",
        "http://a?x",
        "http://a#",
        "http://a:60000/",
        "HTTP://0uxyntj1k.0.0.0.0.0",
        "http://127.1",
        "http://1.2.3.256",
        "http://01.2.3.4",
        "http://0.0.0.0",
        "http://255.255.255.255:1",
        "http://a.0x1",
        "http://a.b1",
        "http://1a.b",
        "http://0x7f000001",
        "http://10.0.0.1/x",
    ] {
        urls.push(s.to_string());
    }
    for s in &urls {
        let server = crm_domain::webhooks::check_url_shape(s).is_ok();
        assert_eq!(url.is_match(s), server, "url {s:?}");
    }
    let pat = regex::Regex::new(EVENT_PATTERN_PATTERN).unwrap();
    let mut pats: Vec<String> = samples(20);
    for s in [
        "*",
        "lead.*",
        "lead.created",
        "a.b.c",
        "lead",
        "lead*",
        "*.x",
        ".*",
        "a..b",
        "A.b",
        "a.b ",
        "**",
        "a_1.b_2",
    ] {
        pats.push(s.to_string());
    }
    for s in &pats {
        // Shape only: a well-formed pattern is `unknown` (not `malformed`) against no types.
        let shaped = patterns::check(s, &[]).map_or_else(|e| e.code != "malformed", |_| true);
        assert_eq!(pat.is_match(s), shaped, "pattern {s:?}");
    }
}
