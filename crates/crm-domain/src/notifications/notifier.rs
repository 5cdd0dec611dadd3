use super::model::{BODY_MAX, Notice, NotificationType, TITLE_MAX};
use super::rules::recipients;
use crate::activity::NewActivity;
use crate::mail::{MailTemplates, OutgoingMail};
use std::sync::Arc;

/// Every module's notification types and the mail templates: decides who is notified of an
/// audit entry and what they are told.
#[derive(Clone)]
pub struct Notifier {
    types: Arc<Vec<NotificationType>>,
    mail: Option<Arc<dyn MailTemplates>>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("types", &self.types.len())
            .finish()
    }
}

impl Notifier {
    pub fn new(types: Vec<NotificationType>, mail: Arc<dyn MailTemplates>) -> Self {
        let mut types = types;
        types.sort_by_key(|t| t.r#type);
        types.dedup_by_key(|t| t.r#type);
        Self {
            types: Arc::new(types),
            mail: Some(mail),
        }
    }

    /// Notifies nobody (tests of other adapters, tools).
    pub fn none() -> Self {
        Self {
            types: Arc::new(Vec::new()),
            mail: None,
        }
    }

    /// Every type, sorted by name.
    pub fn types(&self) -> &[NotificationType] {
        &self.types
    }

    pub fn is_known(&self, r#type: &str) -> bool {
        self.types.iter().any(|t| t.r#type == r#type)
    }

    /// The notifications `entry` makes: one per person a rule names, the actor never among
    /// them. Costs no allocation when nobody is notified.
    pub fn notices(&self, entry: &NewActivity) -> Vec<Notice> {
        let mut out: Vec<Notice> = Vec::new();
        for t in self.types.iter() {
            for user in recipients(&t.rule, entry) {
                if Some(user) == entry.actor_id
                    || out
                        .iter()
                        .any(|n| n.user_id == user && n.r#type == t.r#type)
                {
                    continue;
                }
                out.push(Notice {
                    organization_id: entry.organization_id,
                    user_id: user,
                    r#type: t.r#type,
                    title: cut(t.description, TITLE_MAX),
                    body: cut(&label(entry), BODY_MAX),
                    record_type: entry.entity_type,
                    record_id: entry.entity_id,
                });
            }
        }
        out
    }

    /// The mail telling `name <to>` of `notice`.
    pub fn mail(&self, notice: &Notice, to: &str, name: &str) -> Option<OutgoingMail> {
        self.mail
            .as_ref()
            .map(|m| m.notification(to, name, &notice.title, &notice.body))
    }
}

/// What a person recognises the record by: its name, title, number or subject.
fn label(entry: &NewActivity) -> String {
    let data = entry.data.as_ref();
    ["name", "title", "number", "subject"]
        .iter()
        .find_map(|k| data.and_then(|d| d.get(*k)).and_then(|v| v.as_str()))
        .map(str::to_string)
        .unwrap_or_else(|| format!("{} {}", entry.entity_type, entry.entity_id))
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::change_entry;
    use crate::kernel::ids::{OrganizationId, UserId};
    use crate::mail::MockMailTemplates;
    use crate::notifications::rules::{assigned, decided};
    use uuid::Uuid;

    #[derive(serde::Serialize)]
    struct Deal {
        id: Uuid,
        title: &'static str,
        owner_id: UserId,
    }

    fn notifier(mail: MockMailTemplates) -> Notifier {
        Notifier::new(
            vec![
                NotificationType {
                    r#type: "deal.assigned",
                    description: "A deal was assigned to you",
                    rule: assigned("deal"),
                },
                NotificationType {
                    r#type: "deal.won",
                    description: "Your deal was won",
                    rule: decided("deal", "won"),
                },
            ],
            Arc::new(mail),
        )
    }

    fn created(actor: UserId, owner: UserId) -> NewActivity {
        let d = Deal {
            id: Uuid::from_u128(1),
            title: "Big one",
            owner_id: owner,
        };
        change_entry(
            OrganizationId(Uuid::from_u128(9)),
            Some(actor),
            "deal",
            d.id,
            "created",
            None,
            Some(&d),
        )
    }

    #[test]
    fn the_new_owner_is_told_and_never_the_actor() {
        let n = notifier(MockMailTemplates::new());
        let (me, other) = (UserId(Uuid::from_u128(2)), UserId(Uuid::from_u128(3)));
        let notices = n.notices(&created(me, other));
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].user_id, other);
        assert_eq!(notices[0].r#type, "deal.assigned");
        assert_eq!(notices[0].title, "A deal was assigned to you");
        assert_eq!(notices[0].body, "Big one");
        assert_eq!(
            (notices[0].record_type, notices[0].record_id),
            ("deal", Uuid::from_u128(1))
        );
        assert!(n.notices(&created(me, me)).is_empty());
    }

    #[test]
    fn mail_comes_from_the_templates() {
        let mut mail = MockMailTemplates::new();
        mail.expect_notification()
            .withf(|to, name, title, body| {
                (to, name, title, body) == ("b@x.io", "B", "A deal was assigned to you", "Big one")
            })
            .times(1)
            .returning(|to, _, title, body| OutgoingMail {
                to: to.into(),
                subject: title.into(),
                text: body.into(),
                html: None,
                attachments: Vec::new(),
            });
        let n = notifier(mail);
        let notice = &n.notices(&created(
            UserId(Uuid::from_u128(2)),
            UserId(Uuid::from_u128(3)),
        ))[0];
        let m = n.mail(notice, "b@x.io", "B").unwrap();
        assert_eq!(m.subject, "A deal was assigned to you");
    }

    #[test]
    fn types_are_sorted_and_known() {
        let n = notifier(MockMailTemplates::new());
        let names: Vec<_> = n.types().iter().map(|t| t.r#type).collect();
        assert_eq!(names, ["deal.assigned", "deal.won"]);
        assert!(n.is_known("deal.won"));
        assert!(!n.is_known("deal.lost"));
        assert!(
            Notifier::none()
                .notices(&created(UserId::new(), UserId::new()))
                .is_empty()
        );
    }
}
