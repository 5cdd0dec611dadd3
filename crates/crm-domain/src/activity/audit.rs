//! Audit entries built from the records they describe, so a use case writes
//! `audit::updated(actor, &before, &after)` instead of naming organization, entity type, id
//! and action by hand.

use super::model::{NewActivity, change_entry};
use crate::kernel::context::Actor;
use serde::Serialize;
use uuid::Uuid;

/// A record the audit log describes: its entity type as the log names it, and its id.
pub trait Audited: Serialize {
    const ENTITY: &'static str;
    fn entity_id(&self) -> Uuid;
}

/// `record` was created by `actor`.
pub fn created<T: Audited>(actor: &Actor, record: &T) -> NewActivity {
    entry(actor, "created", None, Some(record), record.entity_id())
}

/// `actor` changed `before` into `after`; the entry lists the changed fields.
pub fn updated<T: Audited>(actor: &Actor, before: &T, after: &T) -> NewActivity {
    entry(
        actor,
        "updated",
        Some(before),
        Some(after),
        after.entity_id(),
    )
}

/// `record` was deleted by `actor`.
pub fn deleted<T: Audited>(actor: &Actor, record: &T) -> NewActivity {
    entry(actor, "deleted", Some(record), None, record.entity_id())
}

/// A named state change (`won`, `converted`, `sent`…) from `before` to `after`.
pub fn changed<T: Audited>(
    actor: &Actor,
    action: &'static str,
    before: &T,
    after: &T,
) -> NewActivity {
    entry(actor, action, Some(before), Some(after), after.entity_id())
}

fn entry<T: Audited>(
    actor: &Actor,
    action: &'static str,
    before: Option<&T>,
    after: Option<&T>,
    id: Uuid,
) -> NewActivity {
    change_entry(
        actor.organization_id,
        Some(actor.user_id),
        T::ENTITY,
        id,
        action,
        before,
        after,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::{OrganizationId, UserId};

    #[derive(Serialize)]
    struct Note {
        id: Uuid,
        text: &'static str,
    }
    impl Audited for Note {
        const ENTITY: &'static str = "note";
        fn entity_id(&self) -> Uuid {
            self.id
        }
    }

    #[test]
    fn entries_name_the_record_and_its_changes() {
        let actor = Actor::new(UserId::new(), OrganizationId::new(), Vec::<String>::new());
        let a = Note {
            id: Uuid::from_u128(7),
            text: "a",
        };
        let b = Note { text: "b", ..a };
        let e = updated(&actor, &a, &b);
        assert_eq!(
            (e.entity_type, e.entity_id, e.action),
            ("note", b.id, "updated")
        );
        assert_eq!(e.organization_id, actor.organization_id);
        assert_eq!(e.actor_id, Some(actor.user_id));
        assert_eq!(e.changes.len(), 1);
        assert_eq!(e.changes[0].field, "text");
        assert_eq!(created(&actor, &a).action, "created");
        assert_eq!(
            deleted(&actor, &a).changes[0].after,
            serde_json::Value::Null
        );
        assert_eq!(changed(&actor, "won", &a, &b).action, "won");
    }
}
