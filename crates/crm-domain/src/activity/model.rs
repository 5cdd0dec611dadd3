use crate::kernel::ids::{ActivityId, OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// One changed field.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// An entry to record.
#[derive(Clone, Debug, PartialEq)]
pub struct NewActivity {
    pub organization_id: OrganizationId,
    /// `None` for changes made by the system (bootstrap, background jobs).
    pub actor_id: Option<UserId>,
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    /// `created`, `updated`, `deleted`, or a verb such as `converted`.
    pub action: &'static str,
    pub changes: Vec<FieldChange>,
    /// The record after the change (before it, for a deletion), secrets redacted: with it the
    /// entry is also the event `<entity_type>.<action>` (contract section 5).
    pub data: Option<Value>,
    /// The event's verb when it is more precise than the audit action (a deal's stage move is
    /// audited as `updated` and published as `deal.stage_changed`).
    pub event_verb: Option<&'static str>,
}

impl NewActivity {
    /// The entry published as the event `<entity_type>.<verb>`.
    pub fn as_event(mut self, verb: &'static str) -> Self {
        self.event_verb = Some(verb);
        self
    }

    /// The event type this entry is published as, when it is an event.
    pub fn event_type(&self) -> Option<String> {
        self.data.as_ref().map(|_| {
            format!(
                "{}.{}",
                self.entity_type,
                self.event_verb.unwrap_or(self.action)
            )
        })
    }
}

/// A recorded entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub id: ActivityId,
    pub organization_id: OrganizationId,
    pub actor_id: Option<UserId>,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub action: String,
    pub changes: Vec<FieldChange>,
    pub created_at: DateTime<Utc>,
}

/// Fields whose values never enter the log, whatever entity they belong to.
const REDACTED: &[&str] = &[
    "password",
    "password_hash",
    "token",
    "token_hash",
    "code_hash",
    "secret",
];

/// The changes between two JSON objects of the same entity, field by field, in key order.
/// Secret fields are recorded as changed with their values hidden.
pub fn diff_fields(before: &Value, after: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "updated_at" | "version"))
        .filter_map(|k| {
            let bv = b.get(k).cloned().unwrap_or(Value::Null);
            let av = a.get(k).cloned().unwrap_or(Value::Null);
            if bv == av {
                return None;
            }
            let hide = |v: Value| {
                if REDACTED.contains(&k.as_str()) && !v.is_null() {
                    Value::String("[redacted]".into())
                } else {
                    v
                }
            };
            Some(FieldChange {
                field: k.clone(),
                before: hide(bv),
                after: hide(av),
            })
        })
        .collect()
}

/// The entry for a change of an entity from `before` to `after` (absent for a creation or a
/// deletion), listing the changed fields.
pub fn change_entry<T: Serialize>(
    organization_id: OrganizationId,
    actor_id: Option<UserId>,
    entity_type: &'static str,
    entity_id: Uuid,
    action: &'static str,
    before: Option<&T>,
    after: Option<&T>,
) -> NewActivity {
    let json = |v: Option<&T>| {
        v.and_then(|v| serde_json::to_value(v).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let (before, after) = (json(before), json(after));
    let data = if after.is_null() { &before } else { &after };
    NewActivity {
        organization_id,
        actor_id,
        entity_type,
        entity_id,
        action,
        changes: diff_fields(&before, &after),
        data: (!data.is_null()).then(|| redacted(data)),
        event_verb: None,
    }
}

/// `record` with the value of every secret field hidden, at any depth.
pub fn redacted(record: &Value) -> Value {
    match record {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if REDACTED.contains(&k.as_str()) && !v.is_null() {
                        Value::String("[redacted]".into())
                    } else {
                        redacted(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    // An audit entry is never changed, so it has no `updated_at` to sort by.
    FieldSpec::new("entity_type", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only entries about this kind of entity, e.g. `lead`"),
    FieldSpec::new("entity_id", FieldKind::Uuid)
        .filter()
        .doc("Only entries about this entity"),
    FieldSpec::new("actor_id", FieldKind::Uuid)
        .filter()
        .doc("Only entries by this user"),
    FieldSpec::new("action", FieldKind::Text)
        .filter()
        .sort()
        .doc("Only this action, e.g. `updated`"),
];

/// `GET /activities`: newest first by default.
pub const LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-created_at",
    searchable: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_lists_changed_fields_only_and_hides_secrets() {
        let before = json!({"name": "A", "email": "a@x.io", "password_hash": "h1", "version": 1});
        let after = json!({"name": "B", "email": "a@x.io", "password_hash": "h2", "phone": "1", "version": 2});
        let d = diff_fields(&before, &after);
        assert_eq!(
            d,
            vec![
                FieldChange {
                    field: "name".into(),
                    before: json!("A"),
                    after: json!("B")
                },
                FieldChange {
                    field: "password_hash".into(),
                    before: json!("[redacted]"),
                    after: json!("[redacted]")
                },
                FieldChange {
                    field: "phone".into(),
                    before: Value::Null,
                    after: json!("1")
                },
            ]
        );
    }

    #[test]
    fn creation_diff_is_every_field_from_null() {
        let d = diff_fields(&Value::Null, &json!({"name": "A"}));
        assert_eq!(
            d,
            vec![FieldChange {
                field: "name".into(),
                before: Value::Null,
                after: json!("A")
            }]
        );
    }
}
