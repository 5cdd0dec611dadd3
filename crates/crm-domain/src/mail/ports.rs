use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, OutboxId};
use crate::kernel::uow::Txn;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A message ready to send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Files sent with it (an invoice's PDF), in order.
    #[serde(default)]
    pub attachments: Vec<MailAttachment>,
}

/// A file attached to a mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAttachment {
    pub filename: String,
    /// `application/pdf`, …
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

/// Bytes as standard base64 in the serialized form (the outbox keeps attachments as JSON).
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MailError {
    /// Worth retrying later: server unreachable, 4xx reply, timeout.
    #[error("temporary mail failure: {0}")]
    Temporary(String),
    /// Retrying will not help: malformed address, 5xx rejection of the message.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

/// Delivers one message now.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// A queued message as the dispatcher sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: OutboxId,
    pub organization_id: Option<OrganizationId>,
    pub mail: OutgoingMail,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// Storage of the outbox.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Queues a message inside the transaction of the change that causes it.
    async fn enqueue(
        &self,
        tx: &mut Txn,
        organization_id: Option<OrganizationId>,
        mail: OutgoingMail,
    ) -> Result<OutboxId, StoreError>;

    /// Claims up to `limit` messages due at `now`, leasing them until `lease_until` so that
    /// other server instances skip them (`FOR UPDATE SKIP LOCKED` where the backend has it).
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    async fn mark_sent(&self, id: OutboxId, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Records a failed attempt; `retry_at = None` means it will not be tried again.
    async fn mark_failed(
        &self,
        id: OutboxId,
        error: String,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
}

/// The texts of the product's mails. Implemented next to the transports (crm-mail), so the
/// domain decides *that* a mail goes out and *to whom*, never how it looks.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait MailTemplates: Send + Sync {
    /// The 6-digit code that verifies a new account's email address.
    fn verification_code(
        &self,
        to: &str,
        name: &str,
        code: &str,
        valid_minutes: u32,
    ) -> OutgoingMail;
    /// The 6-digit code that lets a user choose a new password.
    fn password_reset_code(
        &self,
        to: &str,
        name: &str,
        code: &str,
        valid_minutes: u32,
    ) -> OutgoingMail;
    /// An invitation to join `organization` with the code that sets the first password.
    fn invitation(
        &self,
        to: &str,
        name: &str,
        organization: &str,
        code: &str,
        valid_minutes: u32,
    ) -> OutgoingMail;
    /// A notification (contract section 5) for a user whose preference asks for mail.
    fn notification(&self, to: &str, name: &str, title: &str, body: &str) -> OutgoingMail;
    /// An invoice sent to its client: `summary` lines (number, dates, amounts) in the body,
    /// the PDF attached by the caller.
    fn invoice(
        &self,
        to: &str,
        organization: &str,
        number: &str,
        summary: &[String],
    ) -> OutgoingMail;
    /// A proposal sent to its client or lead: `summary` lines (title, total, validity), then
    /// `body`, the proposal's Markdown, shown as plain text. This plain rendering serves
    /// implementations without a design of their own.
    fn proposal(
        &self,
        to: &str,
        organization: &str,
        title: &str,
        summary: &[String],
        body: &str,
    ) -> OutgoingMail {
        let lines = summary.join("\n");
        OutgoingMail {
            to: to.to_owned(),
            subject: format!("Proposal from {organization}: {title}"),
            text: format!("Hello,\n\n{lines}\n\n{body}\n\n-- \n{organization}\n"),
            html: None,
            attachments: Vec::new(),
        }
    }
}
