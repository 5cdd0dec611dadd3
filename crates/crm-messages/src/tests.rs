//! The rules of conversations and messages, on mocked ports.

use crate::model::*;
use crate::ports::{MessagePorts, MockFileAccess, MockMessageStore};
use crate::service::{ConversationService, MessageService};
use async_trait::async_trait;
use crm_domain::files::RecordAccess;
use crm_domain::kernel::testing::{FixedClock, ORG, Probe, actor, notified, now};
use crm_domain::{Actor, DomainError, StoreError, UserId};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

const MEMBER: &[&str] = &[
    "messages:read:own",
    "messages:write:own",
    "messages:delete:own",
];
const ADMIN: &[&str] = &["messages:read", "messages:write", "messages:delete"];

/// Deals readable only by id `READABLE`.
struct Deals;
const READABLE: Uuid = Uuid::from_u128(77);

#[async_trait]
impl RecordAccess for Deals {
    async fn readable(&self, _: &Actor, id: Uuid) -> Result<(), DomainError> {
        if id == READABLE {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }
    fn reads_all(&self, _: &Actor) -> bool {
        false
    }
}

fn ports(probe: &Probe, store: MockMessageStore, files: MockFileAccess) -> MessagePorts {
    let mut records: BTreeMap<&'static str, Arc<dyn RecordAccess>> = BTreeMap::new();
    records.insert("deal", Arc::new(Deals));
    MessagePorts {
        tx: probe.tx_manager(),
        activities: Arc::new(probe.activities()),
        clock: Arc::new(FixedClock::default()),
        store: Arc::new(store),
        files: Arc::new(files),
        records: Arc::new(records),
    }
}

fn conversation(kind: ConversationKind, by: UserId) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        organization_id: ORG,
        kind,
        title: (kind == ConversationKind::Group).then(|| "Team".to_string()),
        record_type: (kind == ConversationKind::Record).then(|| "deal".to_string()),
        record_id: (kind == ConversationKind::Record).then_some(READABLE),
        created_by: by,
        created_at: now(),
        updated_at: now(),
        last_activity_at: now(),
        last_message_id: None,
    }
}

fn message(c: &Conversation, author: UserId, body: &str) -> Message {
    Message {
        id: MessageId::new(),
        organization_id: ORG,
        conversation_id: c.id,
        author_id: author,
        body: body.into(),
        file_ids: vec![],
        client_message_id: None,
        created_at: now(),
        edited_at: None,
        deleted: false,
    }
}

/// A store answering the views' reads with nothing much.
fn views(store: &mut MockMessageStore) {
    store.expect_members_of().returning(|_, _| Ok(vec![]));
    store.expect_messages_by_id().returning(|_, _| Ok(vec![]));
    store.expect_unread_counts().returning(|_, _, _| Ok(vec![]));
}

fn fields(e: DomainError) -> Vec<(String, String)> {
    match e {
        DomainError::Invalid(v) => v.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

fn direct(with: Uuid) -> ConversationInput {
    ConversationInput {
        kind: ConversationKind::Direct,
        title: None,
        member_ids: Some(Some(vec![with])),
        record_type: None,
        record_id: None,
    }
}

#[tokio::test]
async fn a_direct_conversation_is_with_one_other_user_of_the_organization() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let mut store = MockMessageStore::new();
    store.expect_existing_users().returning(|_, _| Ok(vec![]));
    let s = ConversationService::new(ports(&probe, store, MockFileAccess::new()));

    let e = s.create(&me, direct(me.user_id.0)).await.unwrap_err();
    assert_eq!(fields(e), vec![("member_ids[0]".into(), "invalid".into())]);

    let e = s.create(&me, direct(Uuid::now_v7())).await.unwrap_err();
    assert_eq!(
        fields(e),
        vec![("member_ids[0]".into(), "not_found".into())]
    );

    let mut two = direct(Uuid::now_v7());
    two.member_ids = Some(Some(vec![Uuid::now_v7(), Uuid::now_v7()]));
    two.title = Some(None);
    let e = s.create(&me, two).await.unwrap_err();
    let got = fields(e);
    assert!(got.contains(&("member_ids".into(), "invalid".into())));
    assert!(got.contains(&("title".into(), "not_allowed".into())));
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn the_pairs_direct_conversation_is_answered_when_its_key_is_taken() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let other = UserId::new();
    let existing = conversation(ConversationKind::Direct, other);
    let expected_key = direct_key(&[other, me.user_id]);
    let mut store = MockMessageStore::new();
    store
        .expect_existing_users()
        .returning(move |_, _| Ok(vec![other]));
    store
        .expect_create()
        .withf(move |_, _, key, members| {
            key.as_deref() == Some(expected_key.as_str()) && members.len() == 2
        })
        .returning(|_, _, _, _| {
            Err(StoreError::Conflict {
                constraint: "ux_conversations_key".into(),
            })
        });
    let found = existing.clone();
    store
        .expect_by_key()
        .returning(move |_, _| Ok(Some(found.clone())));
    views(&mut store);
    let s = ConversationService::new(ports(&probe, store, MockFileAccess::new()));
    let (view, created) = s.create(&me, direct(other.0)).await.unwrap();
    assert!(!created);
    assert_eq!(view.id, existing.id);
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_new_group_is_audited_with_its_members_and_the_creator_is_one() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let (a, b) = (UserId::new(), UserId::new());
    let mut store = MockMessageStore::new();
    store
        .expect_existing_users()
        .returning(move |_, _| Ok(vec![a, b]));
    let me_id = me.user_id;
    store
        .expect_create()
        .withf(move |_, c, key, members| {
            key.is_none()
                && c.title.as_deref() == Some("Launch")
                && members.len() == 3
                && members[0] == me_id
        })
        .returning(|_, _, _, _| Ok(()));
    views(&mut store);
    let s = ConversationService::new(ports(&probe, store, MockFileAccess::new()));
    let input = ConversationInput {
        kind: ConversationKind::Group,
        title: Some(Some(" Launch ".into())),
        // The caller and a repeated id are taken once.
        member_ids: Some(Some(vec![a.0, me.user_id.0, b.0, a.0])),
        record_type: None,
        record_id: None,
    };
    let (_, created) = s.create(&me, input).await.unwrap();
    assert!(created);
    assert!(probe.committed());
    let audit = probe.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].event_type().as_deref(),
        Some("conversation.created")
    );
}

#[tokio::test]
async fn a_records_thread_needs_a_record_the_caller_reads() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let s = ConversationService::new(ports(
        &probe,
        MockMessageStore::new(),
        MockFileAccess::new(),
    ));
    let input = |t: &str, id: Uuid| ConversationInput {
        kind: ConversationKind::Record,
        title: None,
        member_ids: None,
        record_type: Some(Some(t.into())),
        record_id: Some(Some(id)),
    };
    let e = s
        .create(&me, input("deal", Uuid::now_v7()))
        .await
        .unwrap_err();
    assert_eq!(fields(e), vec![("record_id".into(), "not_found".into())]);
    let e = s
        .create(&me, input("spaceship", READABLE))
        .await
        .unwrap_err();
    assert_eq!(fields(e), vec![("record_type".into(), "invalid".into())]);
}

#[tokio::test]
async fn non_members_get_404_and_record_threads_follow_the_record() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let group = conversation(ConversationKind::Group, UserId::new());
    let mut thread = conversation(ConversationKind::Record, UserId::new());
    let mut hidden = conversation(ConversationKind::Record, UserId::new());
    hidden.record_id = Some(Uuid::now_v7());
    thread.title = None;
    let all = [group.clone(), thread.clone(), hidden.clone()];
    let mut store = MockMessageStore::new();
    store.expect_get().returning(move |_, id| {
        all.iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    });
    // A member of the hidden thread who may no longer read its record.
    let hidden_id = hidden.id;
    store
        .expect_is_member()
        .returning(move |_, id, _| Ok(id == hidden_id));
    views(&mut store);
    let s = ConversationService::new(ports(&probe, store, MockFileAccess::new()));
    assert_eq!(
        s.get(&me, group.id).await.unwrap_err(),
        DomainError::NotFound
    );
    assert_eq!(
        s.get(&me, hidden.id).await.unwrap_err(),
        DomainError::NotFound
    );
    assert_eq!(s.get(&me, thread.id).await.unwrap().id, thread.id);
    let e = s
        .add_member(
            &me,
            thread.id,
            ConversationMemberInput {
                user_id: UserId::new(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        DomainError::Conflict {
            code: "conversation-not-group",
            ..
        }
    ));
}

#[tokio::test]
async fn a_message_follows_the_last_notifies_the_others_and_keeps_its_text_out_of_the_log() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let (a, b) = (UserId::new(), UserId::new());
    let mut c = conversation(ConversationKind::Group, me.user_id);
    // The last message's id is ahead of this instance's clock.
    let ahead = MessageId(Uuid::from_u128(MessageId::new().0.as_u128() + (1 << 80)));
    c.last_message_id = Some(ahead);
    let mut store = MockMessageStore::new();
    let cc = c.clone();
    store.expect_get().returning(move |_, _| Ok(cc.clone()));
    store.expect_is_member().returning(|_, _, _| Ok(true));
    let cc = c.clone();
    store
        .expect_get_for_update()
        .returning(move |_, _, _| Ok(cc.clone()));
    let me_id = me.user_id;
    store
        .expect_members_in_tx()
        .returning(move |_, _, _| Ok(vec![me_id, a, b]));
    store
        .expect_insert_message()
        .withf(move |_, m| m.id.0 > ahead.0 && m.body == "Hello")
        .returning(|_, _| Ok(()));
    let mut files = MockFileAccess::new();
    files.expect_readable().returning(|_, _| Ok(()));
    let s = MessageService::new(ports(&probe, store, files));
    let (m, created) = s
        .send(
            &me,
            c.id,
            MessageInput {
                body: "  Hello  ".into(),
                file_ids: Some(vec![Uuid::now_v7()]),
                client_message_id: Some("k1".into()),
            },
        )
        .await
        .unwrap();
    assert!(created);
    assert!(m.id.0 > ahead.0);
    assert!(probe.committed());
    let audit = probe.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].event_type().as_deref(), Some("message.created"));
    let data = audit[0].data.clone().unwrap();
    assert!(data.get("body").is_none(), "{data}");
    assert_eq!(data["subject"], "Team");
    let mut told = notified(
        crate::requirements::NOTIFICATION_TYPES,
        "message.created",
        &audit[0],
    );
    told.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(told, want);
}

#[tokio::test]
async fn the_same_client_message_id_answers_the_message_already_sent() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let c = conversation(ConversationKind::Group, me.user_id);
    let mut sent = message(&c, me.user_id, "first");
    sent.client_message_id = Some("k1".into());
    let mut store = MockMessageStore::new();
    let cc = c.clone();
    store.expect_get().returning(move |_, _| Ok(cc.clone()));
    store.expect_is_member().returning(|_, _, _| Ok(true));
    let cc = c.clone();
    store
        .expect_get_for_update()
        .returning(move |_, _, _| Ok(cc.clone()));
    let me_id = me.user_id;
    store
        .expect_members_in_tx()
        .returning(move |_, _, _| Ok(vec![me_id]));
    store.expect_insert_message().returning(|_, _| {
        Err(StoreError::Conflict {
            constraint: "ux_messages_client".into(),
        })
    });
    let found = sent.clone();
    store
        .expect_by_client_id()
        .withf(|_, _, _, k| k == "k1")
        .returning(move |_, _, _, _| Ok(Some(found.clone())));
    let s = MessageService::new(ports(&probe, store, MockFileAccess::new()));
    let (m, created) = s
        .send(
            &me,
            c.id,
            MessageInput {
                body: "first, again".into(),
                file_ids: None,
                client_message_id: Some("k1".into()),
            },
        )
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(m, sent);
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn bodies_and_files_are_checked_before_anything_is_written() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let c = conversation(ConversationKind::Group, me.user_id);
    let mut store = MockMessageStore::new();
    let cc = c.clone();
    store.expect_get().returning(move |_, _| Ok(cc.clone()));
    store.expect_is_member().returning(|_, _, _| Ok(true));
    let mut files = MockFileAccess::new();
    files
        .expect_readable()
        .returning(|_, _| Err(DomainError::NotFound));
    let s = MessageService::new(ports(&probe, store, files));
    let e = s
        .send(
            &me,
            c.id,
            MessageInput {
                body: "x".repeat(BODY_MAX + 1),
                file_ids: Some(vec![Uuid::now_v7()]),
                client_message_id: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(e),
        vec![
            ("body".into(), "too_long".into()),
            ("file_ids[0]".into(), "not_found".into())
        ]
    );
    assert_eq!(probe.begins(), 0);
}

/// A store holding one group `c` of which everybody is a member, and its message `m`.
fn one_message(c: &Conversation, m: &Message) -> MockMessageStore {
    let mut store = MockMessageStore::new();
    let cc = c.clone();
    store.expect_get().returning(move |_, _| Ok(cc.clone()));
    store.expect_is_member().returning(|_, _, _| Ok(true));
    let mm = m.clone();
    store.expect_message().returning(move |_, _| Ok(mm.clone()));
    let mm = m.clone();
    store
        .expect_message_for_update()
        .returning(move |_, _, _| Ok(mm.clone()));
    store
}

#[tokio::test]
async fn only_the_author_edits_and_an_edit_stamps_edited_at() {
    let author = actor(ORG, MEMBER);
    let other = actor(ORG, ADMIN);
    let c = conversation(ConversationKind::Group, author.user_id);
    let m = message(&c, author.user_id, "draft");

    let probe = Probe::default();
    let s = MessageService::new(ports(&probe, one_message(&c, &m), MockFileAccess::new()));
    let e = s
        .edit(
            &other,
            m.id,
            MessagePatch {
                body: "mine now".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DomainError::Forbidden { .. }));

    let probe = Probe::default();
    let mut store = one_message(&c, &m);
    store
        .expect_update_message()
        .withf(|_, m| m.body == "final" && m.edited_at.is_some())
        .returning(|_, _| Ok(()));
    let s = MessageService::new(ports(&probe, store, MockFileAccess::new()));
    let edited = s
        .edit(
            &author,
            m.id,
            MessagePatch {
                body: "final".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.edited_at, Some(now()));
    assert_eq!(
        probe.audit()[0].event_type().as_deref(),
        Some("message.updated")
    );

    let mut gone = m.clone();
    gone.deleted = true;
    gone.body.clear();
    let probe = Probe::default();
    let s = MessageService::new(ports(&probe, one_message(&c, &gone), MockFileAccess::new()));
    let e = s
        .edit(
            &author,
            m.id,
            MessagePatch {
                body: "back".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        DomainError::Conflict {
            code: "message-deleted",
            ..
        }
    ));
}

#[tokio::test]
async fn the_author_or_an_admin_deletes_leaving_an_empty_body() {
    let author = actor(ORG, MEMBER);
    let c = conversation(ConversationKind::Group, author.user_id);
    let mut m = message(&c, author.user_id, "oops");
    m.file_ids = vec![Uuid::now_v7()];

    // Another member holding only `messages:delete:own`.
    let probe = Probe::default();
    let s = MessageService::new(ports(&probe, one_message(&c, &m), MockFileAccess::new()));
    let e = s.delete(&actor(ORG, MEMBER), m.id).await.unwrap_err();
    assert!(matches!(e, DomainError::Forbidden { .. }));

    for who in [author.clone(), actor(ORG, ADMIN)] {
        let probe = Probe::default();
        let mut store = one_message(&c, &m);
        store
            .expect_update_message()
            .withf(|_, m| m.deleted && m.body.is_empty() && m.file_ids.is_empty())
            .times(1)
            .returning(|_, _| Ok(()));
        let s = MessageService::new(ports(&probe, store, MockFileAccess::new()));
        s.delete(&who, m.id).await.unwrap();
        assert!(probe.committed());
        assert_eq!(
            probe.audit()[0].event_type().as_deref(),
            Some("message.deleted")
        );
    }
}

#[tokio::test]
async fn a_read_mark_names_a_message_of_its_conversation() {
    let probe = Probe::default();
    let me = actor(ORG, MEMBER);
    let c = conversation(ConversationKind::Group, me.user_id);
    let elsewhere = message(
        &conversation(ConversationKind::Group, me.user_id),
        me.user_id,
        "x",
    );
    let mut store = MockMessageStore::new();
    let cc = c.clone();
    store.expect_get().returning(move |_, _| Ok(cc.clone()));
    store.expect_is_member().returning(|_, _, _| Ok(true));
    let mm = elsewhere.clone();
    store.expect_message().returning(move |_, _| Ok(mm.clone()));
    let s = ConversationService::new(ports(&probe, store, MockFileAccess::new()));
    let e = s
        .read(
            &me,
            c.id,
            ReadInput {
                message_id: elsewhere.id,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(e), vec![("message_id".into(), "not_found".into())]);
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn routes_need_the_messages_permissions() {
    let probe = Probe::default();
    let nobody = actor(ORG, &[]);
    let s = ConversationService::new(ports(
        &probe,
        MockMessageStore::new(),
        MockFileAccess::new(),
    ));
    let e = s.get(&nobody, ConversationId::new()).await.unwrap_err();
    assert!(matches!(e, DomainError::Forbidden { .. }));
}
