//! The rules of [`notification_types!`](crate::notification_types): who is notified of an
//! audit entry. The actor is never among them ([`Notifier`](super::Notifier) removes them).

use super::model::Rule;
use crate::activity::{FieldChange, NewActivity};
use crate::kernel::ids::UserId;
use serde_json::Value;
use uuid::Uuid;

/// A record of `entity` assigned to someone: on creation, or by a change of its `owner_id`.
pub const fn assigned(entity: &'static str) -> Rule {
    Rule::Assigned { entity }
}

/// `<entity>.<verb>` happened to a record: its owner is told.
pub const fn decided(entity: &'static str, verb: &'static str) -> Rule {
    Rule::Decided { entity, verb }
}

/// `<entity>.<verb>` happened: the users its entry lists in its [`NOTIFY_FIELD`] change.
pub const fn listed(entity: &'static str, verb: &'static str) -> Rule {
    Rule::Listed { entity, verb }
}

/// The change an entry carries besides the record's own when its use case decides whom it
/// tells ([`listed`]): a rule sees only the entry.
pub const NOTIFY_FIELD: &str = "notify";

/// The [`NOTIFY_FIELD`] change naming `users`.
pub fn notify_change(users: &[UserId]) -> FieldChange {
    FieldChange {
        field: NOTIFY_FIELD.into(),
        before: Value::Null,
        after: Value::Array(
            users
                .iter()
                .map(|u| Value::String(u.0.to_string()))
                .collect(),
        ),
    }
}

/// The users `entry` lists in its [`NOTIFY_FIELD`] change when it is `<entity>.<verb>`.
pub fn listed_users(entry: &NewActivity, entity: &str, verb: &str) -> Vec<UserId> {
    if entry.entity_type != entity || entry.event_verb.unwrap_or(entry.action) != verb {
        return Vec::new();
    }
    entry
        .changes
        .iter()
        .find(|c| c.field == NOTIFY_FIELD)
        .and_then(|c| c.after.as_array())
        .into_iter()
        .flatten()
        .filter_map(user)
        .collect()
}

/// A module's own rule.
pub const fn custom(rule: fn(&NewActivity) -> Vec<UserId>) -> Rule {
    Rule::Custom(rule)
}

fn user(v: &Value) -> Option<UserId> {
    v.as_str().and_then(|s| Uuid::parse_str(s).ok()).map(UserId)
}

/// Whom `rule` names for `entry`, before the actor is removed.
pub fn recipients(rule: &Rule, entry: &NewActivity) -> Vec<UserId> {
    match *rule {
        Rule::Assigned { entity } => {
            if entry.entity_type != entity || entry.data.is_none() {
                return Vec::new();
            }
            // A creation lists every field from null; an update only the changed ones. A
            // deletion's `after` is null.
            entry
                .changes
                .iter()
                .find(|c| c.field == "owner_id")
                .and_then(|c| user(&c.after))
                .into_iter()
                .collect()
        }
        Rule::Decided { entity, verb } => {
            let event_verb = entry.event_verb.unwrap_or(entry.action);
            if entry.entity_type != entity || event_verb != verb {
                return Vec::new();
            }
            entry
                .data
                .as_ref()
                .and_then(|d| d.get("owner_id"))
                .and_then(user)
                .into_iter()
                .collect()
        }
        Rule::Listed { entity, verb } => listed_users(entry, entity, verb),
        Rule::Custom(f) => f(entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{FieldChange, change_entry};
    use crate::kernel::ids::OrganizationId;
    use serde_json::json;

    #[derive(serde::Serialize)]
    struct Lead {
        id: Uuid,
        name: &'static str,
        owner_id: UserId,
    }

    fn lead(owner: UserId) -> Lead {
        Lead {
            id: Uuid::from_u128(1),
            name: "Ann",
            owner_id: owner,
        }
    }

    fn entry(
        actor: UserId,
        action: &'static str,
        b: Option<&Lead>,
        a: Option<&Lead>,
    ) -> NewActivity {
        change_entry(
            OrganizationId(Uuid::from_u128(9)),
            Some(actor),
            "lead",
            Uuid::from_u128(1),
            action,
            b,
            a,
        )
    }

    #[test]
    fn assigned_names_the_owner_set_by_a_creation_or_a_change() {
        let (me, other) = (UserId(Uuid::from_u128(2)), UserId(Uuid::from_u128(3)));
        let rule = assigned("lead");
        let created = entry(me, "created", None, Some(&lead(other)));
        assert_eq!(recipients(&rule, &created), vec![other]);
        let moved = entry(me, "updated", Some(&lead(me)), Some(&lead(other)));
        assert_eq!(recipients(&rule, &moved), vec![other]);
        // Another change than the owner's: nobody.
        let mut renamed = lead(other);
        renamed.name = "Bob";
        let same_owner = entry(me, "updated", Some(&lead(other)), Some(&renamed));
        assert!(recipients(&rule, &same_owner).is_empty());
        // Deleted: the owner becomes null, nobody is given anything.
        let deleted = entry(me, "deleted", Some(&lead(other)), None);
        assert!(recipients(&rule, &deleted).is_empty());
        // Another entity: not this rule's.
        assert!(recipients(&assigned("deal"), &created).is_empty());
    }

    #[test]
    fn decided_names_the_owner_of_the_record_for_that_verb_only() {
        let (me, other) = (UserId(Uuid::from_u128(2)), UserId(Uuid::from_u128(3)));
        let rule = decided("lead", "converted");
        let converted = entry(me, "converted", Some(&lead(other)), Some(&lead(other)));
        assert_eq!(recipients(&rule, &converted), vec![other]);
        let updated = entry(me, "updated", Some(&lead(other)), Some(&lead(other)));
        assert!(recipients(&rule, &updated).is_empty());
        // The event verb counts when the audit action is less precise.
        let as_event = updated.clone().as_event("converted");
        assert_eq!(recipients(&rule, &as_event), vec![other]);
    }

    #[test]
    fn listed_names_the_users_of_the_entrys_notify_change_for_that_verb_only() {
        let (me, a, b) = (
            UserId(Uuid::from_u128(2)),
            UserId(Uuid::from_u128(3)),
            UserId(Uuid::from_u128(4)),
        );
        let mut submitted = entry(me, "submitted", None, Some(&lead(me)));
        submitted.changes.push(notify_change(&[a, b]));
        assert_eq!(
            recipients(&listed("lead", "submitted"), &submitted),
            vec![a, b]
        );
        assert!(recipients(&listed("lead", "approved"), &submitted).is_empty());
        assert!(recipients(&listed("deal", "submitted"), &submitted).is_empty());
        // An entry without the change names nobody.
        let bare = entry(me, "submitted", None, Some(&lead(me)));
        assert!(listed_users(&bare, "lead", "submitted").is_empty());
        // The event verb counts when the audit action is less precise.
        let mut as_event = entry(me, "updated", None, Some(&lead(me))).as_event("submitted");
        as_event.changes.push(notify_change(&[a]));
        assert_eq!(listed_users(&as_event, "lead", "submitted"), vec![a]);
    }

    #[test]
    fn custom_rules_see_the_entry() {
        fn watchers(e: &NewActivity) -> Vec<UserId> {
            e.changes
                .iter()
                .filter(|c| c.field == "watcher_id")
                .filter_map(|c| user(&c.after))
                .collect()
        }
        let w = UserId(Uuid::from_u128(5));
        let mut e = entry(w, "updated", None, None);
        e.changes = vec![FieldChange {
            field: "watcher_id".into(),
            before: Value::Null,
            after: json!(w.0.to_string()),
        }];
        assert_eq!(recipients(&custom(watchers), &e), vec![w]);
    }
}
