use super::model::{
    Notification, Preference, PreferenceItem, Preferences, StreamTicket, TICKET_TTL_SECS,
    UnreadCount, Updated,
};
use super::notifier::Notifier;
use super::ports::{NotificationRepository, Recipient};
use crate::identity::{SecretGenerator, SecretHasher};
use crate::kernel::context::Actor;
use crate::kernel::error::DomainError;
use crate::kernel::input::Errors;
use crate::kernel::pagination::{ListQuery, Page};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// A user's own notifications, preferences and stream tickets. Any signed-in user may call
/// every use case; each sees only their own notifications (another user's is `404`).
#[derive(Clone)]
pub struct NotificationService {
    repo: Arc<dyn NotificationRepository>,
    notifier: Notifier,
    secrets: Arc<dyn SecretHasher>,
    generator: Arc<dyn SecretGenerator>,
}

impl NotificationService {
    pub fn new(
        repo: Arc<dyn NotificationRepository>,
        notifier: Notifier,
        secrets: Arc<dyn SecretHasher>,
        generator: Arc<dyn SecretGenerator>,
    ) -> Self {
        Self {
            repo,
            notifier,
            secrets,
            generator,
        }
    }

    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, user = %actor.user_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        unread: bool,
        query: &ListQuery,
    ) -> Result<Page<Notification>, DomainError> {
        Ok(self
            .repo
            .list(actor.organization_id, actor.user_id, unread, query)
            .await?)
    }

    pub async fn unread_count(&self, actor: &Actor) -> Result<UnreadCount, DomainError> {
        let count = self
            .repo
            .unread_count(actor.organization_id, actor.user_id)
            .await?;
        Ok(UnreadCount { count })
    }

    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn read(
        &self,
        actor: &Actor,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Notification, DomainError> {
        Ok(self
            .repo
            .mark_read(actor.organization_id, actor.user_id, id, now)
            .await?)
    }

    pub async fn read_all(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Updated, DomainError> {
        let updated = self
            .repo
            .mark_all_read(actor.organization_id, actor.user_id, now)
            .await?;
        Ok(Updated { updated })
    }

    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: Uuid) -> Result<(), DomainError> {
        Ok(self
            .repo
            .delete(actor.organization_id, actor.user_id, id)
            .await?)
    }

    /// What a stream missed after `after` (oldest first).
    pub async fn after(
        &self,
        who: Recipient,
        after: Uuid,
        limit: u64,
    ) -> Result<Vec<Notification>, DomainError> {
        Ok(self
            .repo
            .after(who.organization_id, who.user_id, after, limit)
            .await?)
    }

    /// Every notification type with the user's choice, or the default: in the app, no mail.
    pub async fn preferences(&self, actor: &Actor) -> Result<Preferences, DomainError> {
        let stored = self
            .repo
            .preferences(actor.organization_id, actor.user_id)
            .await?;
        Ok(self.merged(&stored))
    }

    fn merged(&self, stored: &[Preference]) -> Preferences {
        Preferences {
            items: self
                .notifier
                .types()
                .iter()
                .map(|t| {
                    let p = stored.iter().find(|p| p.r#type == t.r#type);
                    PreferenceItem {
                        r#type: t.r#type.to_string(),
                        in_app: p.is_none_or(|p| p.in_app),
                        email: p.is_some_and(|p| p.email),
                    }
                })
                .collect(),
        }
    }

    /// Stores the given types' choices (types not named keep theirs) and answers them all.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, user = %actor.user_id))]
    pub async fn set_preferences(
        &self,
        actor: &Actor,
        input: Preferences,
        now: DateTime<Utc>,
    ) -> Result<Preferences, DomainError> {
        let mut errors = Errors::new();
        for (i, item) in input.items.iter().enumerate() {
            if !self.notifier.is_known(&item.r#type) {
                errors.add(
                    &format!("items[{i}].type"),
                    "unknown",
                    "not a notification type",
                );
            }
        }
        errors.finish()?;
        // A type listed twice: the last choice counts, as if the items were applied in order.
        let n = input.items.len();
        let items: Vec<Preference> = input
            .items
            .iter()
            .enumerate()
            .filter(|(i, item)| {
                !input.items[i + 1..n]
                    .iter()
                    .any(|o| o.r#type == item.r#type)
            })
            .map(|(_, i)| i.clone())
            .map(|i| Preference {
                r#type: i.r#type,
                in_app: i.in_app,
                email: i.email,
            })
            .collect();
        if !items.is_empty() {
            self.repo
                .set_preferences(actor.organization_id, actor.user_id, items, now)
                .await?;
        }
        self.preferences(actor).await
    }

    /// A single-use ticket, valid 60 s, stored only as its hash.
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<StreamTicket, DomainError> {
        let ticket = self.generator.refresh_token();
        let hash = self.secrets.hash(&ticket).as_str().to_string();
        self.repo
            .create_ticket(
                actor.organization_id,
                actor.user_id,
                hash,
                now + Duration::seconds(TICKET_TTL_SECS),
            )
            .await?;
        Ok(StreamTicket { ticket })
    }

    /// Uses up `ticket`: `401` when it is unknown, used or expired.
    pub async fn redeem_ticket(
        &self,
        ticket: &str,
        now: DateTime<Utc>,
    ) -> Result<Recipient, DomainError> {
        let hash = self.secrets.hash(ticket).as_str().to_string();
        self.repo
            .redeem_ticket(hash, now)
            .await?
            .ok_or(DomainError::Unauthorized {
                code: "invalid-ticket",
                message: "the ticket is unknown, used or expired".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{MockSecretGenerator, MockSecretHasher, SecretHash};
    use crate::kernel::testing::{ORG, actor, now};
    use crate::kernel::validation::FieldError;
    use crate::mail::MockMailTemplates;
    use crate::notifications::rules::assigned;
    use crate::notifications::{MockNotificationRepository, NotificationType};

    fn service(repo: MockNotificationRepository) -> NotificationService {
        let mut secrets = MockSecretHasher::new();
        secrets
            .expect_hash()
            .returning(|s| SecretHash::new(format!("h:{s}")));
        let mut generator = MockSecretGenerator::new();
        generator
            .expect_refresh_token()
            .returning(|| "tkt".to_string());
        NotificationService::new(
            Arc::new(repo),
            Notifier::new(
                vec![
                    NotificationType {
                        r#type: "lead.assigned",
                        description: "A lead was assigned to you",
                        rule: assigned("lead"),
                    },
                    NotificationType {
                        r#type: "deal.assigned",
                        description: "A deal was assigned to you",
                        rule: assigned("deal"),
                    },
                ],
                Arc::new(MockMailTemplates::new()),
            ),
            Arc::new(secrets),
            Arc::new(generator),
        )
    }

    #[tokio::test]
    async fn preferences_default_to_in_app_without_mail() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_preferences().returning(|_, _| {
            Ok(vec![Preference {
                r#type: "lead.assigned".into(),
                in_app: false,
                email: true,
            }])
        });
        let p = service(repo).preferences(&actor(ORG, &[])).await.unwrap();
        assert_eq!(
            p.items,
            vec![
                PreferenceItem {
                    r#type: "deal.assigned".into(),
                    in_app: true,
                    email: false
                },
                PreferenceItem {
                    r#type: "lead.assigned".into(),
                    in_app: false,
                    email: true
                },
            ]
        );
    }

    #[tokio::test]
    async fn unknown_types_are_refused_by_position() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_set_preferences().never();
        let item = |t: &str| PreferenceItem {
            r#type: t.into(),
            in_app: true,
            email: true,
        };
        let err = service(repo)
            .set_preferences(
                &actor(ORG, &[]),
                Preferences {
                    items: vec![item("lead.assigned"), item("nope"), item("nor.this")],
                },
                now(),
            )
            .await
            .unwrap_err();
        let DomainError::Invalid(fields) = err else {
            panic!("{err:?}")
        };
        let names: Vec<_> = fields
            .iter()
            .map(|f: &FieldError| f.field.as_str())
            .collect();
        assert_eq!(names, ["items[1].type", "items[2].type"]);
    }

    #[tokio::test]
    async fn a_type_listed_twice_keeps_its_last_choice() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_set_preferences()
            .withf(|_, _, items, _| {
                items
                    == &vec![Preference {
                        r#type: "lead.assigned".into(),
                        in_app: false,
                        email: true,
                    }]
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        repo.expect_preferences().returning(|_, _| Ok(vec![]));
        let item = |email: bool| PreferenceItem {
            r#type: "lead.assigned".into(),
            in_app: !email,
            email,
        };
        service(repo)
            .set_preferences(
                &actor(ORG, &[]),
                Preferences {
                    items: vec![item(false), item(true)],
                },
                now(),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn tickets_are_stored_hashed_for_sixty_seconds_and_redeemed_by_hash() {
        let mut repo = MockNotificationRepository::new();
        let a = actor(ORG, &[]);
        let user = a.user_id;
        repo.expect_create_ticket()
            .withf(move |o, u, h, exp| {
                *o == ORG && *u == user && h == "h:tkt" && *exp == now() + Duration::seconds(60)
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        repo.expect_redeem_ticket()
            .withf(|h, _| h == "h:tkt")
            .times(1)
            .returning(move |_, _| {
                Ok(Some(Recipient {
                    organization_id: ORG,
                    user_id: user,
                }))
            });
        repo.expect_redeem_ticket().returning(|_, _| Ok(None));
        let s = service(repo);
        let t = s.create_ticket(&a, now()).await.unwrap();
        assert_eq!(t.ticket, "tkt");
        assert_eq!(s.redeem_ticket("tkt", now()).await.unwrap().user_id, user);
        assert!(matches!(
            s.redeem_ticket("tkt", now()).await,
            Err(DomainError::Unauthorized { .. })
        ));
    }
}
