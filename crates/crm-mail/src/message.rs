//! Turning the domain's [`OutgoingMail`] into a lettre [`Message`].

use crm_domain::mail::{MailError, OutgoingMail};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use uuid::Uuid;

/// Parses the recipient. A malformed address will never become deliverable, hence permanent.
pub(crate) fn recipient(mail: &OutgoingMail) -> Result<Mailbox, MailError> {
    mail.to
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| MailError::Permanent(format!("invalid recipient address {:?}: {e}", mail.to)))
}

/// Builds the RFC 5322 message: plain text alone, or `multipart/alternative` with the HTML.
pub(crate) fn build(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, MailError> {
    let to = recipient(mail)?;
    // A line break in a header value would let a caller-controlled subject smuggle in headers.
    let subject: String = mail
        .subject
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    // Spam filters penalise mail without a Message-ID, and lettre's default one names the
    // machine's host name; the sender's domain leaks nothing and matches the From.
    let message_id = format!("<{}@{}>", Uuid::now_v7(), from.email.domain());
    let builder = Message::builder()
        .message_id(Some(message_id))
        .from(from.clone())
        .to(to)
        .subject(subject);
    let plain = || {
        SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
    };
    let built = match (&mail.html, mail.attachments.is_empty()) {
        (Some(html), true) => builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.clone(),
        )),
        (None, true) => builder.singlepart(plain()),
        // `multipart/mixed`: the text (or its alternatives), then each file.
        (html, false) => {
            let mut mixed = match html {
                Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
                    mail.text.clone(),
                    html.clone(),
                )),
                None => MultiPart::mixed().singlepart(plain()),
            };
            for a in &mail.attachments {
                let kind = ContentType::parse(&a.content_type).map_err(|e| {
                    MailError::Permanent(format!("attachment type {:?}: {e}", a.content_type))
                })?;
                mixed = mixed
                    .singlepart(Attachment::new(a.filename.clone()).body(a.content.clone(), kind));
            }
            builder.multipart(mixed)
        }
    };
    // The inputs were validated above, so what is left cannot be fixed by waiting.
    built.map_err(|e| MailError::Permanent(format!("cannot build message: {e}")))
}
