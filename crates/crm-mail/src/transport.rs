//! Choosing the mailer from the settings.

use crate::config::{MailConfig, TransportKind};
use crate::error::MailSetupError;
use crate::file::FileMailer;
use crate::log::LogMailer;
use crate::smtp::SmtpMailer;
use crm_domain::mail::Mailer;
use lettre::message::Mailbox;
use std::sync::Arc;

/// Builds the mailer that `cfg.transport` names.
///
/// Checks what can be checked without the network (the `from` address, the SMTP TLS settings)
/// so that the server refuses to start rather than fail every mail later. Needs no Tokio
/// runtime; the returned mailer must be used inside one.
pub fn build_mailer(cfg: &MailConfig) -> Result<Arc<dyn Mailer>, MailSetupError> {
    let from = parse_from(&cfg.from)?;
    Ok(match cfg.transport {
        TransportKind::Smtp => Arc::new(SmtpMailer::new(&cfg.smtp, from)?),
        TransportKind::File => Arc::new(FileMailer::new(cfg.file_dir.clone(), from)),
        TransportKind::Log => Arc::new(LogMailer::new()),
    })
}

/// Parses `mail.from`: `addr@domain` or `Name <addr@domain>`.
pub fn parse_from(from: &str) -> Result<Mailbox, MailSetupError> {
    from.trim()
        .parse::<Mailbox>()
        .map_err(|e| MailSetupError::InvalidFrom {
            from: from.to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SmtpConfig, TlsMode};

    #[test]
    fn bad_from_is_a_setup_error_for_every_transport() {
        for transport in [TransportKind::Smtp, TransportKind::File, TransportKind::Log] {
            let cfg = MailConfig {
                transport,
                from: "not an address".into(),
                ..MailConfig::default()
            };
            let err = build_mailer(&cfg).err();
            assert!(
                matches!(err, Some(MailSetupError::InvalidFrom { .. })),
                "{transport:?}: {err:?}"
            );
        }
    }

    #[test]
    fn builds_every_transport_without_a_runtime() {
        for (transport, tls) in [
            (TransportKind::Smtp, TlsMode::None),
            (TransportKind::Smtp, TlsMode::Starttls),
            (TransportKind::Smtp, TlsMode::Tls),
            (TransportKind::File, TlsMode::None),
            (TransportKind::Log, TlsMode::None),
        ] {
            let cfg = MailConfig {
                transport,
                from: "CRM <crm@example.com>".into(),
                smtp: SmtpConfig {
                    host: "smtp.example.com".into(),
                    tls,
                    ..SmtpConfig::default()
                },
                ..MailConfig::default()
            };
            assert!(build_mailer(&cfg).is_ok(), "{transport:?} {tls:?}");
        }
    }

    #[test]
    fn empty_smtp_host_is_a_setup_error() {
        let cfg = MailConfig {
            transport: TransportKind::Smtp,
            smtp: SmtpConfig {
                host: " ".into(),
                ..SmtpConfig::default()
            },
            ..MailConfig::default()
        };
        assert!(matches!(
            build_mailer(&cfg),
            Err(MailSetupError::InvalidSmtp(_))
        ));
    }
}
