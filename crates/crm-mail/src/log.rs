//! "Delivery" into the log only.

use async_trait::async_trait;
use crm_domain::mail::{MailError, Mailer, OutgoingMail};

/// Logs that a message would have been sent, and succeeds.
///
/// Only the recipient and subject are logged, never the body: it carries one-time codes, and
/// whoever reads the logs must not be able to take over an account. For the same reason runs of
/// four or more digits in the subject (where the verification code also appears) are masked.
/// To read the codes in development, use the file transport.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogMailer;

impl LogMailer {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        tracing::info!(
            to = %mail.to,
            subject = %mask_codes(&mail.subject),
            "mail not sent: mail.transport is \"log\""
        );
        Ok(())
    }
}

/// Replaces every run of 4 or more ASCII digits with as many `*`.
pub(crate) fn mask_codes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 4 {
            out.extend(std::iter::repeat_n('*', digits.len()));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_codes_but_keeps_short_numbers() {
        assert_eq!(
            mask_codes("Your verification code: 123456"),
            "Your verification code: ******"
        );
        assert_eq!(mask_codes("Join Acme 42 now"), "Join Acme 42 now");
        assert_eq!(mask_codes("1234"), "****");
        assert_eq!(mask_codes(""), "");
    }

    #[tokio::test]
    async fn log_mailer_succeeds() {
        let mail = OutgoingMail {
            to: "a@example.com".into(),
            subject: "s".into(),
            text: "t".into(),
            html: None,
            attachments: Vec::new(),
        };
        assert_eq!(LogMailer::new().send(&mail).await, Ok(()));
    }
}
