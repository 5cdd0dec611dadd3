//! Rules of the clients module that its aggregates share: contacts and interactions follow
//! their client, tags, optional email addresses.

use super::ClientPorts;
use super::clients::{Client, ClientId};
use crate::identity::{EmailAddress, ValueError};
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::scope::{Requirement, in_scope, require};
use crate::kernel::text::required_text;

/// The client `id` when the caller holds `P` over it; `404` when it is missing, of another
/// organization or (under `:own`) someone else's. Contacts and interactions follow their
/// client, so their use cases start here, before any field of a body is looked at.
pub(crate) async fn client_for<P: Requirement>(
    p: &ClientPorts,
    actor: &Actor,
    id: ClientId,
) -> Result<Client, DomainError> {
    let scope = require::<P>(actor)?;
    in_scope(
        actor,
        scope,
        p.clients.get(actor.organization_id, id).await?,
    )
}

/// A record that belongs to one client (a contact, an interaction).
pub(crate) trait OfClient {
    fn client_id(&self) -> ClientId;
}

/// `record` when it belongs to `client`; `404` when reached through another client's path.
pub(crate) fn of_client<T: OfClient>(client: ClientId, record: T) -> Result<T, DomainError> {
    if record.client_id() == client {
        Ok(record)
    } else {
        Err(DomainError::NotFound)
    }
}

/// The use cases every record of a client shares, as methods of its service (whose ports are
/// `self.p`, the records `self.p.$records`): `list` and `get` need `clients:read` on the
/// client, `delete` `clients:delete`; a record reached through another client's path is `404`.
/// Also `crud()`, the record's write steps.
macro_rules! client_record_use_cases {
    ($records:ident: $ty:ty, $id:ty) => {
        fn crud(&self) -> $crate::kernel::records::Crud<'_, $ty> {
            let p = &self.p;
            $crate::kernel::records::Crud::new(&*p.tx, &*p.$records, &*p.activities)
        }

        /// Needs `clients:read` on the client.
        #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %client))]
        pub async fn list(
            &self,
            actor: &$crate::kernel::context::Actor,
            client: $crate::clients::ClientId,
            query: &$crate::kernel::pagination::ListQuery,
        ) -> Result<$crate::kernel::pagination::Page<$ty>, $crate::kernel::error::DomainError> {
            use $crate::clients::requirements::ClientsRead;
            $crate::clients::common::client_for::<ClientsRead>(&self.p, actor, client).await?;
            let org = actor.organization_id;
            Ok(self.p.$records.list(org, query, client).await?)
        }

        /// Needs `clients:read` on the client.
        #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
        pub async fn get(
            &self,
            actor: &$crate::kernel::context::Actor,
            client: $crate::clients::ClientId,
            id: $id,
        ) -> Result<$ty, $crate::kernel::error::DomainError> {
            use $crate::clients::requirements::ClientsRead;
            $crate::clients::common::client_for::<ClientsRead>(&self.p, actor, client).await?;
            let found = self.p.$records.get(actor.organization_id, id).await?;
            $crate::clients::common::of_client(client, found)
        }

        /// Needs `clients:delete` on the client.
        #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
        pub async fn delete(
            &self,
            actor: &$crate::kernel::context::Actor,
            client: $crate::clients::ClientId,
            id: $id,
        ) -> Result<(), $crate::kernel::error::DomainError> {
            use $crate::clients::requirements::ClientsDelete;
            $crate::clients::common::client_for::<ClientsDelete>(&self.p, actor, client).await?;
            let scope = |r| $crate::clients::common::of_client(client, r);
            self.crud().delete(actor, id, scope).await
        }
    };
}
pub(crate) use client_record_use_cases;

/// An optional email address; empty means absent.
pub(crate) fn email(raw: Option<&str>) -> Result<Option<EmailAddress>, ValueError> {
    raw.map_or(Ok(None), EmailAddress::parse_optional)
}

/// Most tags a client may carry, and the longest tag.
pub(crate) const MAX_TAGS: usize = 50;
pub(crate) const TAG_MAX_CHARS: usize = 50;

/// Tags: each trimmed, 1..=50 characters on one line; duplicates dropped (first kept); at
/// most 50.
pub(crate) fn tags(raw: &[String]) -> Result<Vec<String>, ValueError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for t in raw {
        let t = required_text(t, "a tag", TAG_MAX_CHARS)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ValueError::new(
            "too_many",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::text::{optional_text, phone, required_multiline, website};

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        let raw = vec![" vip ".to_string(), "vip".into(), "north".into()];
        assert_eq!(tags(&raw).unwrap(), vec!["vip", "north"]);
        assert_eq!(tags(&[" ".into()]).unwrap_err().code, "required");
        assert_eq!(tags(&["x".repeat(51)]).unwrap_err().code, "too_long");
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        assert_eq!(tags(&many).unwrap_err().code, "too_many");
    }

    #[test]
    fn texts_and_contact_details() {
        assert_eq!(required_text("  Acme ", "name", 200).unwrap(), "Acme");
        assert!(required_text("a\nb", "name", 200).is_err());
        assert_eq!(required_multiline(" a\nb ", "summary", 10).unwrap(), "a\nb");
        assert_eq!(optional_text(Some("  "), "x", 5, false).unwrap(), None);
        assert_eq!(
            email(Some(" Ann@X.io ")).unwrap().unwrap().as_str(),
            "ann@x.io"
        );
        assert_eq!(email(Some("")).unwrap(), None);
        assert!(email(Some("nope")).is_err());
        assert!(phone(Some("+1 (555) 010")).unwrap().is_some());
        assert!(phone(Some("call me")).is_err());
        assert!(website(Some("https://acme.io")).unwrap().is_some());
        assert!(website(Some("acme.io")).is_err());
    }
}
