//! Rules of proposals, on mocked ports (see test_support): the one-of lead/client rule, the
//! body's length, who sees what, the status moves and expiry, mailing, and quotations made
//! of a client's or a lead's proposal.

use super::*;
use crate::test_support::*;
use chrono::Duration;
use crm_domain::clients::ClientId;
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::ids::OutboxId;
use crm_domain::kernel::lines::LineItemInput;
use crm_domain::mail::OutgoingMail;
use crm_domain::{DomainError, StoreError, UserId};
use crm_sales::leads::{Lead, LeadId, LeadStatus};
use crm_sales::quotations::QuotationStatus;
use std::sync::{Arc, Mutex};

/// Every proposal, with the references a body names.
const ALL_RW: &[&str] = &[
    "proposals:read",
    "proposals:write",
    "proposals:delete",
    "clients:read",
    "leads:read",
    "deals:read",
    "quotations:write",
];
/// A salesperson's own proposals.
const OWN: &[&str] = &[
    "proposals:read:own",
    "proposals:write:own",
    "proposals:delete:own",
    "clients:read",
    "leads:read",
];

/// A proposal of `owner` for `client` (or `lead`), one line of 10 000, in `status`, valid
/// until `valid_until`, at version 1.
fn proposal(
    owner: UserId,
    status: ProposalStatus,
    client: Option<ClientId>,
    lead: Option<LeadId>,
    valid_until: Option<chrono::NaiveDate>,
) -> Proposal {
    let t = now() - Duration::days(2);
    Proposal {
        id: ProposalId::new(),
        organization_id: ORG,
        lead_id: lead,
        client_id: client,
        deal_id: None,
        owner_id: owner,
        title: "Roll-out".into(),
        body: Some("## Scope".into()),
        currency: usd(),
        items: vec![line_of(10_000)],
        subtotal: 10_000,
        tax_total: 0,
        total: 10_000,
        valid_until,
        status,
        sent_at: None,
        quotation_id: None,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

fn lead(owner: UserId, converted: Option<ClientId>) -> Lead {
    let t = now() - Duration::days(5);
    Lead {
        id: LeadId::new(),
        organization_id: ORG,
        name: "Jane Prospect".into(),
        email: Some(EmailAddress::parse("jane@prospect.example").unwrap()),
        phone: None,
        company: None,
        source: None,
        status: if converted.is_some() {
            LeadStatus::Converted
        } else {
            LeadStatus::Qualified
        },
        owner_id: owner,
        estimated_amount: None,
        currency: None,
        score: None,
        converted_client_id: converted,
        converted_deal_id: None,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

fn input(client: Option<ClientId>, lead: Option<LeadId>) -> ProposalInput {
    ProposalInput {
        lead_id: lead,
        client_id: client,
        deal_id: None,
        title: " Roll-out ".into(),
        body: Some("## Scope\n\nTwo workshops.".into()),
        items: vec![LineItemInput {
            description: "Workshop".into(),
            quantity: "1.5".into(),
            unit_price: 333,
            tax_rate: 1800,
        }],
        currency: None,
        valid_until: Some("2026-03-31".into()),
        owner_id: None,
    }
}

/// The `(field, code)` pairs of a `422`.
fn fields<T: std::fmt::Debug>(r: Result<T, DomainError>) -> Vec<(String, String)> {
    match r {
        Err(DomainError::Invalid(e)) => e.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

fn pair(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), code.to_string())]
}

/// The code of a `409`.
fn conflict<T: std::fmt::Debug>(r: Result<T, DomainError>) -> &'static str {
    match r {
        Err(DomainError::Conflict { code, .. }) => code,
        other => panic!("expected 409, got {other:?}"),
    }
}

/// `proposals.get_for_update` and `get` answer from `stored` by id, `NotFound` otherwise.
fn stored(env: &mut Env, stored: Vec<Proposal>) {
    let s = stored.clone();
    env.proposals
        .expect_get_for_update()
        .returning(move |_, o, id| {
            s.iter()
                .find(|p| p.id == id && o == ORG)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
    env.proposals.expect_get().returning(move |o, id| {
        stored
            .iter()
            .find(|p| p.id == id && o == ORG)
            .cloned()
            .ok_or(StoreError::NotFound)
    });
}

/// Updates succeed; each stored proposal is kept in the returned list.
fn writes(env: &mut Env) -> Arc<Mutex<Vec<Proposal>>> {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let k = kept.clone();
    env.proposals.expect_update().returning(move |_, p, _| {
        k.lock().unwrap().push(p.clone());
        Ok(())
    });
    kept
}

fn service(env: Env) -> (ProposalService, Probe) {
    let (ports, probe) = env.with_org(organization()).build();
    (ProposalService::new(ports), probe)
}

#[test]
fn computed_and_assigned_fields_are_not_accepted() {
    for extra in [
        r#""status":"sent""#,
        r#""total":5"#,
        r#""quotation_id":"0190c0d8-0000-7000-8000-000000000001""#,
        r#""sent_at":"2026-03-01T00:00:00Z""#,
    ] {
        let json = format!(
            r#"{{"client_id":"0190c0d8-0000-7000-8000-000000000001","title":"x",{extra}}}"#
        );
        assert!(
            serde_json::from_str::<ProposalInput>(&json).is_err(),
            "{extra}"
        );
    }
}

#[tokio::test]
async fn a_proposal_is_for_a_lead_or_a_client_never_neither_nor_both() {
    let a = actor(ORG, ALL_RW);
    let c = client(ORG, a.user_id);
    let l = lead(a.user_id, None);
    let mut env = Env::new().with_client(c.clone());
    let stored_lead = l.clone();
    env.leads
        .expect_get()
        .returning(move |_, _| Ok(stored_lead.clone()));
    let (svc, probe) = service(env);
    assert_eq!(
        fields(svc.create(&a, input(None, None)).await),
        pair("client_id", "required")
    );
    assert_eq!(
        fields(svc.create(&a, input(Some(c.id), Some(l.id))).await),
        pair("lead_id", "not_allowed")
    );
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_draft_for_a_client_is_priced_in_the_organizations_currency_and_owned_by_its_creator() {
    let a = actor(ORG, ALL_RW);
    let c = client(ORG, a.user_id);
    let mut env = Env::new().with_client(c.clone());
    env.proposals
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    let (svc, probe) = service(env);
    let p = svc.create(&a, input(Some(c.id), None)).await.unwrap();
    assert_eq!(p.status, ProposalStatus::Draft);
    assert_eq!(p.owner_id, a.user_id);
    assert_eq!(p.currency, usd());
    assert_eq!(p.title, "Roll-out");
    // 1.5 × 3.33 = 4.995 → 5.00; 18 % of it 0.90.
    assert_eq!((p.subtotal, p.tax_total, p.total), (500, 90, 590));
    assert_eq!(p.valid_until, Some(day("2026-03-31")));
    assert_eq!(actions(&probe), ["created"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn the_body_is_markdown_of_at_most_100000_characters() {
    let a = actor(ORG, ALL_RW);
    let c = client(ORG, a.user_id);
    let mut env = Env::new().with_client(c.clone());
    env.proposals
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    let (svc, _) = service(env);
    let too_long = ProposalInput {
        body: Some("é".repeat(BODY_MAX + 1)),
        ..input(Some(c.id), None)
    };
    assert_eq!(
        fields(svc.create(&a, too_long).await),
        pair("body", "too_long")
    );
    // Exactly the limit, in characters (not bytes), with lines and tabs, is fine.
    let longest = format!("# T\n\t{}", "é".repeat(BODY_MAX - 5));
    let ok = ProposalInput {
        body: Some(longest.clone()),
        ..input(Some(c.id), None)
    };
    assert_eq!(svc.create(&a, ok).await.unwrap().body, Some(longest));
}

#[tokio::test]
async fn a_lead_or_client_the_caller_cannot_see_is_refused_on_its_field() {
    // Without `leads:read` no lead is visible; under `clients:read:own` only the caller's.
    let a = actor(
        ORG,
        &["proposals:read", "proposals:write", "clients:read:own"],
    );
    let theirs = client(ORG, UserId::new());
    let env = Env::new().with_client(theirs.clone());
    let (svc, _) = service(env);
    assert_eq!(
        fields(svc.create(&a, input(None, Some(LeadId::new()))).await),
        pair("lead_id", "not_found")
    );
    assert_eq!(
        fields(svc.create(&a, input(Some(theirs.id), None)).await),
        pair("client_id", "not_found")
    );
}

#[tokio::test]
async fn own_scope_sees_and_changes_only_the_callers_proposals() {
    let a = actor(ORG, OWN);
    let theirs = proposal(UserId::new(), ProposalStatus::Draft, None, None, None);
    let mine = proposal(a.user_id, ProposalStatus::Draft, None, None, None);
    let mut env = Env::new();
    stored(&mut env, vec![theirs.clone(), mine.clone()]);
    let (svc, probe) = service(env);
    assert_eq!(svc.get(&a, theirs.id).await, Err(DomainError::NotFound));
    assert_eq!(svc.delete(&a, theirs.id).await, Err(DomainError::NotFound));
    assert_eq!(
        svc.accept(&a, theirs.id, None).await,
        Err(DomainError::NotFound)
    );
    assert_eq!(svc.get(&a, mine.id).await.unwrap().id, mine.id);
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn only_a_sent_proposal_is_accepted_or_declined_and_only_a_draft_edited() {
    let a = actor(ORG, ALL_RW);
    let c = ClientId::new();
    let draft = proposal(a.user_id, ProposalStatus::Draft, Some(c), None, None);
    let sent = proposal(a.user_id, ProposalStatus::Sent, Some(c), None, None);
    let declined = proposal(a.user_id, ProposalStatus::Declined, Some(c), None, None);
    let mut env = Env::new();
    stored(
        &mut env,
        vec![draft.clone(), sent.clone(), declined.clone()],
    );
    let kept = writes(&mut env);
    let (svc, probe) = service(env);
    assert_eq!(
        conflict(svc.accept(&a, draft.id, None).await),
        "proposal-status"
    );
    assert_eq!(
        conflict(svc.decline(&a, draft.id, None).await),
        "proposal-status"
    );
    assert_eq!(
        conflict(svc.accept(&a, declined.id, None).await),
        "proposal-status"
    );
    let patch = ProposalPatch {
        title: Some("New".into()),
        ..Default::default()
    };
    assert_eq!(
        conflict(svc.update(&a, sent.id, None, patch).await),
        "proposal-not-draft"
    );
    assert_eq!(
        conflict(svc.delete(&a, sent.id).await),
        "proposal-not-draft"
    );
    let accepted = svc.accept(&a, sent.id, Some(1)).await.unwrap();
    assert_eq!(
        (accepted.status, accepted.version),
        (ProposalStatus::Accepted, 2)
    );
    assert_eq!(
        svc.decline(&a, sent.id, Some(9)).await,
        Err(DomainError::Stale)
    );
    assert_eq!(actions(&probe), ["accepted"]);
    assert_eq!(kept.lock().unwrap()[0].status, ProposalStatus::Accepted);
}

#[tokio::test]
async fn a_sent_proposal_past_valid_until_reads_expired_and_cannot_be_accepted() {
    let a = actor(ORG, ALL_RW);
    let c = ClientId::new();
    let yesterday = day("2026-02-28");
    let late = proposal(
        a.user_id,
        ProposalStatus::Sent,
        Some(c),
        None,
        Some(yesterday),
    );
    let late_draft = proposal(
        a.user_id,
        ProposalStatus::Draft,
        Some(c),
        None,
        Some(yesterday),
    );
    let on_time = proposal(
        a.user_id,
        ProposalStatus::Sent,
        Some(c),
        None,
        Some(day("2026-03-01")),
    );
    let mut env = Env::new();
    stored(
        &mut env,
        vec![late.clone(), late_draft.clone(), on_time.clone()],
    );
    let (svc, probe) = service(env);
    assert_eq!(
        svc.get(&a, late.id).await.unwrap().status,
        ProposalStatus::Expired
    );
    // Valid on its last day; a draft does not expire.
    assert_eq!(
        svc.get(&a, on_time.id).await.unwrap().status,
        ProposalStatus::Sent
    );
    assert_eq!(
        svc.get(&a, late_draft.id).await.unwrap().status,
        ProposalStatus::Draft
    );
    assert_eq!(
        conflict(svc.accept(&a, late.id, None).await),
        "proposal-expired"
    );
    assert_eq!(
        conflict(svc.decline(&a, late.id, None).await),
        "proposal-expired"
    );
    let none = SendProposalInput::default();
    assert_eq!(
        conflict(svc.send(&a, late.id, None, none.clone()).await),
        "proposal-expired"
    );
    assert_eq!(
        conflict(svc.send(&a, late_draft.id, None, none).await),
        "proposal-expired"
    );
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn sending_mails_the_client_through_the_outbox_or_asks_for_a_recipient() {
    let a = actor(ORG, ALL_RW);
    let mut c = client(ORG, a.user_id);
    let silent = client(ORG, a.user_id);
    c.email = Some(EmailAddress::parse("buyer@globex.example").unwrap());
    let draft = proposal(a.user_id, ProposalStatus::Draft, Some(c.id), None, None);
    let mute = proposal(
        a.user_id,
        ProposalStatus::Draft,
        Some(silent.id),
        None,
        None,
    );
    let mut env = Env::new();
    stored(&mut env, vec![draft.clone(), mute.clone()]);
    writes(&mut env);
    let clients = [c.clone(), silent.clone()];
    env.clients
        .expect_get_for_update()
        .returning(move |_, _, id| {
            clients
                .iter()
                .find(|c| c.id == id)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
    env.mail
        .expect_proposal()
        .withf(|to, org, title, summary, body| {
            to == "buyer@globex.example"
                && org == "Acme Services"
                && title == "Roll-out"
                && summary.iter().any(|l| l == "Total: 100.00 USD")
                && body == "## Scope"
        })
        .times(1)
        .returning(|to, _, _, _, _| OutgoingMail {
            to: to.into(),
            subject: "Proposal".into(),
            text: "text".into(),
            html: None,
            attachments: vec![],
        });
    env.outbox
        .expect_enqueue()
        .withf(|_, o, m| *o == Some(ORG) && m.to == "buyer@globex.example")
        .times(1)
        .returning(|_, _, _| Ok(OutboxId::new()));
    let (svc, probe) = service(env);
    let sent = svc
        .send(&a, draft.id, Some(1), SendProposalInput::default())
        .await
        .unwrap();
    assert_eq!(sent.status, ProposalStatus::Sent);
    assert_eq!(sent.sent_at, Some(now()));
    assert_eq!(
        fields(
            svc.send(&a, mute.id, None, SendProposalInput::default())
                .await
        ),
        pair("to", "required")
    );
    let bad = SendProposalInput {
        to: Some("not an address".into()),
    };
    assert_eq!(fields(svc.send(&a, mute.id, None, bad).await)[0].0, "to");
    assert_eq!(actions(&probe), ["sent"]);
}

#[tokio::test]
async fn a_leads_proposal_is_quoted_for_its_converted_client_and_not_before() {
    let a = actor(ORG, ALL_RW);
    let converted_to = ClientId::new();
    let fresh = lead(a.user_id, None);
    let converted = lead(a.user_id, Some(converted_to));
    let waiting = proposal(a.user_id, ProposalStatus::Sent, None, Some(fresh.id), None);
    let ready = proposal(
        a.user_id,
        ProposalStatus::Accepted,
        None,
        Some(converted.id),
        Some(day("2026-03-20")),
    );
    let mut env = Env::new();
    stored(&mut env, vec![waiting.clone(), ready.clone()]);
    let kept = writes(&mut env);
    let leads = [fresh.clone(), converted.clone()];
    env.leads
        .expect_get_for_update()
        .returning(move |_, _, id| {
            leads
                .iter()
                .find(|l| l.id == id)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
    env.counters
        .expect_next()
        .withf(|_, o, k, y| *o == ORG && k == "quotation" && *y == 2026)
        .returning(|_, _, _, _| Ok(7));
    env.quotations
        .expect_create()
        .withf(move |_, q| q.client_id == converted_to)
        .times(1)
        .returning(|_, _| Ok(()));
    let (svc, probe) = service(env);
    assert_eq!(
        conflict(svc.quotation(&a, waiting.id, None).await),
        "proposal-lead-not-converted"
    );
    let q = svc.quotation(&a, ready.id, Some(1)).await.unwrap();
    assert_eq!(q.number, "Q-2026-0007");
    assert_eq!(q.status, QuotationStatus::Draft);
    assert_eq!(q.owner_id, a.user_id);
    assert_eq!((q.items.clone(), q.total), (ready.items.clone(), 10_000));
    assert_eq!(
        (q.issue_date, q.valid_until),
        (day("2026-03-01"), day("2026-03-20"))
    );
    assert_eq!(actions(&probe), ["created", "quoted"]);
    let stored = kept.lock().unwrap();
    assert_eq!(stored[0].quotation_id, Some(q.id));
    assert_eq!(stored[0].version, 2);
}

#[tokio::test]
async fn a_declined_proposal_a_quoted_one_or_one_without_lines_makes_no_quotation() {
    let a = actor(ORG, ALL_RW);
    let c = ClientId::new();
    let declined = proposal(a.user_id, ProposalStatus::Declined, Some(c), None, None);
    let quoted = Proposal {
        quotation_id: Some(crm_sales::quotations::QuotationId::new()),
        ..proposal(a.user_id, ProposalStatus::Sent, Some(c), None, None)
    };
    let empty = Proposal {
        items: vec![],
        subtotal: 0,
        total: 0,
        ..proposal(a.user_id, ProposalStatus::Draft, Some(c), None, None)
    };
    let mut env = Env::new();
    stored(
        &mut env,
        vec![declined.clone(), quoted.clone(), empty.clone()],
    );
    let (svc, probe) = service(env);
    assert_eq!(
        conflict(svc.quotation(&a, declined.id, None).await),
        "proposal-status"
    );
    assert_eq!(
        conflict(svc.quotation(&a, quoted.id, None).await),
        "proposal-quoted"
    );
    assert_eq!(
        fields(svc.quotation(&a, empty.id, None).await),
        pair("items", "required")
    );
    // `quotations:write` is needed too.
    let no_quotes = actor(ORG, &["proposals:read", "proposals:write"]);
    assert!(matches!(
        svc.quotation(&no_quotes, empty.id, None).await,
        Err(DomainError::Forbidden { .. })
    ));
    assert!(probe.audit().is_empty());
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn a_patch_moves_a_draft_from_its_lead_to_a_client_but_never_to_neither() {
    let a = actor(ORG, ALL_RW);
    let c = client(ORG, a.user_id);
    let l = lead(a.user_id, None);
    let draft = proposal(a.user_id, ProposalStatus::Draft, None, Some(l.id), None);
    let mut env = Env::new().with_client(c.clone());
    stored(&mut env, vec![draft.clone()]);
    let kept = writes(&mut env);
    let (svc, probe) = service(env);
    let neither = ProposalPatch {
        lead_id: Some(None),
        ..Default::default()
    };
    assert_eq!(
        fields(svc.update(&a, draft.id, None, neither).await),
        pair("client_id", "required")
    );
    let moved = ProposalPatch {
        lead_id: Some(None),
        client_id: Some(Some(c.id)),
        body: Some(None),
        items: Some(vec![]),
        ..Default::default()
    };
    let p = svc.update(&a, draft.id, Some(1), moved).await.unwrap();
    assert_eq!((p.lead_id, p.client_id), (None, Some(c.id)));
    assert_eq!((p.body, p.total, p.version), (None, 0, 2));
    assert_eq!(actions(&probe), ["updated"]);
    assert_eq!(kept.lock().unwrap().len(), 1);
}
