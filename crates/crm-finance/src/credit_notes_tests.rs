//! Unit tests of the service, with mocked ports (see test_support).

use super::*;
use crate::test_support::{
    ALL, Env, ORG, actions, actor, client, day, draft, issued, organization, usd,
};
use std::sync::Arc;

fn input(unit_price: i64) -> CreditNoteInput {
    CreditNoteInput {
        reason: "Hours not delivered".into(),
        items: vec![LineItemInput {
            description: "Support hours (not delivered)".into(),
            quantity: "1".into(),
            unit_price,
            tax_rate: 0,
        }],
        issue_date: None,
    }
}

/// `get_for_update` answers from `stored` by id, `NotFound` otherwise.
fn stored(env: &mut Env, stored: Vec<Invoice>) {
    let all = Arc::new(stored);
    env.invoices
        .expect_get_for_update()
        .returning(move |_, o, id| {
            all.iter()
                .find(|i| i.id == id && o == ORG)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
}

#[tokio::test]
async fn only_an_issued_invoice_is_credited() {
    let a = actor(ORG, ALL);
    let cid = client(ORG, a.user_id).id;
    let d = draft(cid, 10_000);
    let void = Invoice {
        status: InvoiceStatus::Void,
        ..issued(cid, 10_000, 0, 0)
    };
    let mut env = Env::new().with_org(organization());
    env.counters.expect_next().returning(|_, _, _, _| Ok(1));
    stored(&mut env, vec![d.clone(), void.clone()]);
    // No credit note nor invoice write is expected.
    let (ports, probe) = env.build();
    let svc = CreditNoteService::new(ports);
    for i in [&d, &void] {
        let r = svc.create(&a, i.id, input(1_000)).await;
        assert!(
            matches!(
                r,
                Err(DomainError::Conflict {
                    code: "invoice-status",
                    ..
                })
            ),
            "{r:?}"
        );
    }
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_credit_note_above_the_balance_due_is_422_on_items() {
    let a = actor(ORG, ALL);
    let cid = client(ORG, a.user_id).id;
    // 10 000, 6 000 paid: 4 000 due.
    let i = issued(cid, 10_000, 6_000, 0);
    let id = i.id;
    let mut env = Env::new().with_org(organization());
    env.counters.expect_next().returning(|_, _, _, _| Ok(1));
    stored(&mut env, vec![i]);
    let (ports, probe) = env.build();
    let svc = CreditNoteService::new(ports);
    let Err(DomainError::Invalid(e)) = svc.create(&a, id, input(4_001)).await else {
        panic!("expected 422")
    };
    let e: Vec<_> = e
        .iter()
        .map(|f| (f.field.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(e, [("items", "exceeds_balance")]);
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_credit_note_of_the_whole_balance_makes_the_invoice_paid() {
    let a = actor(ORG, ALL);
    let cid = client(ORG, a.user_id).id;
    let i = issued(cid, 10_000, 6_000, 0);
    assert_eq!(i.payment_status, PaymentStatus::PartiallyPaid);
    let id = i.id;
    let mut env = Env::new()
        .with_org(organization())
        .with_number(CREDIT_NOTE_COUNTER, 1);
    stored(&mut env, vec![i]);
    env.credit_notes
        .expect_create()
        .withf(move |_, n| {
            n.number == "CN-2026-0001"
                && n.invoice_id == id
                && n.client_id == cid
                && n.total == 4_000
                && n.currency == usd()
                && n.issue_date == day("2026-03-01")
        })
        .times(1)
        .returning(|_, _| Ok(()));
    env.invoices
        .expect_update()
        .withf(move |_, i, v| {
            i.id == id
                && *v == 2
                && i.version == 3
                && i.amount_paid == 6_000
                && i.amount_credited == 4_000
                && i.balance_due == 0
                && i.payment_status == PaymentStatus::Paid
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = CreditNoteService::new(ports);
    let n = svc.create(&a, id, input(4_000)).await.unwrap();
    assert_eq!(n.number, "CN-2026-0001");
    assert_eq!((n.subtotal, n.tax_total, n.total), (4_000, 0, 4_000));
    assert_eq!(n.reason, "Hours not delivered");
    assert!(probe.committed());
    assert_eq!(actions(&probe), ["paid", "created"]);
    let audit = probe.audit();
    assert_eq!(
        (audit[0].entity_type, audit[0].entity_id),
        ("invoice", id.0)
    );
    assert_eq!(
        (audit[1].entity_type, audit[1].entity_id),
        ("credit_note", n.id.0)
    );
}

#[tokio::test]
async fn a_partial_credit_note_leaves_the_invoice_partly_paid_without_a_paid_entry() {
    let a = actor(ORG, ALL);
    let cid = client(ORG, a.user_id).id;
    let i = issued(cid, 10_000, 0, 0);
    let id = i.id;
    let mut env = Env::new()
        .with_org(organization())
        .with_number(CREDIT_NOTE_COUNTER, 3);
    stored(&mut env, vec![i]);
    env.credit_notes
        .expect_create()
        .withf(|_, n| n.number == "CN-2026-0003" && n.issue_date == day("2026-03-05"))
        .times(1)
        .returning(|_, _| Ok(()));
    env.invoices
        .expect_update()
        .withf(|_, i, _| {
            i.amount_credited == 2_500
                && i.balance_due == 7_500
                && i.payment_status == PaymentStatus::PartiallyPaid
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = CreditNoteService::new(ports);
    let n = svc
        .create(
            &a,
            id,
            CreditNoteInput {
                issue_date: Some("2026-03-05".into()),
                ..input(2_500)
            },
        )
        .await
        .unwrap();
    assert_eq!(n.number, "CN-2026-0003");
    assert_eq!(actions(&probe), ["created"]);
}

#[tokio::test]
async fn a_credit_note_needs_a_reason_and_a_line_before_a_number_is_taken() {
    let a = actor(ORG, ALL);
    let env = Env::new().with_org(organization());
    let (ports, probe) = env.build();
    let svc = CreditNoteService::new(ports);
    let bad = CreditNoteInput {
        reason: " ".into(),
        items: vec![],
        issue_date: None,
    };
    let Err(DomainError::Invalid(e)) = svc.create(&a, InvoiceId::new(), bad).await else {
        panic!("expected 422")
    };
    let e: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(e, ["reason", "items"]);
    assert_eq!(probe.begins(), 0);
}
