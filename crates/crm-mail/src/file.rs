//! "Delivery" into a folder of `.eml` files, for development and tests.

use crate::message;
use async_trait::async_trait;
use chrono::Utc;
use crm_domain::mail::{MailError, Mailer, OutgoingMail};
use lettre::message::Mailbox;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Writes each message as one RFC 5322 `.eml` file into a folder.
///
/// Files are named `<UTC timestamp>-<UUID v7>.eml`, so a plain name sort is the sending order.
/// Each file appears whole (written aside, then renamed), so a reader polling the folder never
/// sees half a message.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    /// The folder is created at the first message if it does not exist.
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> Self {
        Self {
            dir: dir.into(),
            from,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let msg = message::build(&self.from, mail).inspect_err(|error| {
            tracing::warn!(to = %mail.to, %error, hint = "the message itself is unusable; it will not be retried", "mail not written");
        })?;
        let bytes = msg.formatted();
        let name = format!(
            "{}-{}.eml",
            Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            Uuid::now_v7()
        );
        let dir = self.dir.clone();
        // std::fs on the blocking pool: tokio's fs feature is not enabled in this workspace,
        // and fsync blocks anyway.
        let written = tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes))
            .await
            .map_err(|e| MailError::Temporary(format!("mail file writer stopped: {e}")))?;
        match written {
            Ok(path) => {
                tracing::info!(to = %mail.to, subject = %crate::log::mask_codes(&mail.subject), path = %path.display(), "mail written to file");
                Ok(())
            }
            Err(e) => {
                let error = MailError::Temporary(format!(
                    "cannot write mail into {}: {e}",
                    self.dir.display()
                ));
                tracing::warn!(
                    to = %mail.to,
                    %error,
                    hint = "check that mail.file.dir exists or can be created, and is writable",
                    "mail not written"
                );
                Err(error)
            }
        }
    }
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    // A dot-name without the .eml suffix: readers that list `*.eml` skip it, and a crash
    // leaves only this stray file behind.
    let tmp = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    let result = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| target)
}
