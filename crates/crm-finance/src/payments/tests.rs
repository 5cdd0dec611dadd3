//! Unit tests of the service, with mocked ports (see test_support).

use super::*;
use crate::balance::PaymentStatus;
use crate::invoices::{Invoice, InvoiceId, InvoiceStatus};
use crate::test_support::*;
use crm_domain::DomainError;
use crm_domain::clients::ClientId;
use std::sync::{Arc, Mutex};

fn alloc(invoice: &Invoice, amount: i64) -> AllocationInput {
    AllocationInput {
        invoice_id: invoice.id,
        amount,
    }
}

fn input(client: ClientId, amount: i64, allocations: Vec<AllocationInput>) -> PaymentInput {
    PaymentInput {
        client_id: client,
        amount,
        currency: "USD".into(),
        received_on: None,
        method: PaymentMethod::BankTransfer,
        reference: Some("TRX-88812".into()),
        notes: None,
        allocations,
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

/// `invoices.get_for_update` answers from `stored` by id (`NotFound` otherwise); the ids it
/// was asked for, in order, are returned.
fn locked(env: &mut Env, stored: Vec<Invoice>) -> Arc<Mutex<Vec<InvoiceId>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    env.invoices
        .expect_get_for_update()
        .returning(move |_, o, id| {
            log.lock().unwrap().push(id);
            stored
                .iter()
                .find(|i| i.id == id && o == ORG)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
    seen
}

/// `invoices.update` accepts any number of writes and keeps them, with the version expected.
fn invoice_writes(env: &mut Env) -> Arc<Mutex<Vec<(Invoice, i64)>>> {
    let writes = Arc::new(Mutex::new(Vec::new()));
    let log = writes.clone();
    env.invoices.expect_update().returning(move |_, i, v| {
        log.lock().unwrap().push((i.clone(), v));
        Ok(())
    });
    writes
}

/// `payments.get_for_update` answers `p` for its id.
fn payment_locked(env: &mut Env, p: &Payment) {
    let p = p.clone();
    env.payments
        .expect_get_for_update()
        .returning(move |_, o, id| {
            if o == ORG && id == p.id {
                Ok(p.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
}

#[tokio::test]
async fn allocations_above_the_amount_are_422_on_allocations() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let (x, y) = (issued(cid, 5_000, 0, 0), issued(cid, 5_000, 0, 0));
    let env = Env::new().with_org(organization()).with_client(c);
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    let r = svc
        .create(&a, input(cid, 1_000, vec![alloc(&x, 600), alloc(&y, 401)]))
        .await;
    assert_eq!(fields(r), pair("allocations", "out_of_range"));
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn a_second_allocation_to_one_invoice_is_422_on_its_invoice_id() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let x = issued(cid, 5_000, 0, 0);
    let env = Env::new().with_org(organization()).with_client(c);
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    let r = svc
        .create(&a, input(cid, 1_000, vec![alloc(&x, 100), alloc(&x, 200)]))
        .await;
    assert_eq!(fields(r), pair("allocations[1].invoice_id", "duplicate"));
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn an_invoice_of_another_client_or_currency_is_422_mismatch_on_that_allocation() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let ours = issued(cid, 5_000, 0, 0);
    let theirs = issued(ClientId::new(), 5_000, 0, 0);
    let in_euros = Invoice {
        currency: eur(),
        ..issued(cid, 5_000, 0, 0)
    };
    let mut env = Env::new().with_org(organization()).with_client(c);
    locked(
        &mut env,
        vec![ours.clone(), theirs.clone(), in_euros.clone()],
    );
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    let r = svc
        .create(
            &a,
            input(cid, 1_000, vec![alloc(&ours, 100), alloc(&theirs, 100)]),
        )
        .await;
    assert_eq!(fields(r), pair("allocations[1].invoice_id", "mismatch"));
    let r = svc
        .create(
            &a,
            input(cid, 1_000, vec![alloc(&in_euros, 100), alloc(&ours, 100)]),
        )
        .await;
    assert_eq!(fields(r), pair("allocations[0].invoice_id", "mismatch"));
    // An invoice that does not exist (or is another organization's) is not_found there.
    let missing = issued(cid, 5_000, 0, 0);
    let r = svc
        .create(
            &a,
            input(cid, 1_000, vec![alloc(&ours, 100), alloc(&missing, 100)]),
        )
        .await;
    assert_eq!(fields(r), pair("allocations[1].invoice_id", "not_found"));
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_draft_or_void_invoice_is_409_and_so_is_more_than_its_balance_due() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let d = draft(cid, 5_000);
    let void = Invoice {
        status: InvoiceStatus::Void,
        ..issued(cid, 5_000, 0, 0)
    };
    // 5 000, 3 000 paid and 1 000 credited: 1 000 due.
    let part = issued(cid, 5_000, 3_000, 1_000);
    let mut env = Env::new().with_org(organization()).with_client(c);
    locked(&mut env, vec![d.clone(), void.clone(), part.clone()]);
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    for i in [&d, &void] {
        let r = svc.create(&a, input(cid, 1_000, vec![alloc(i, 100)])).await;
        assert_eq!(conflict(r), "invoice-status");
    }
    let r = svc
        .create(&a, input(cid, 5_000, vec![alloc(&part, 1_001)]))
        .await;
    assert_eq!(conflict(r), "allocation-exceeds-balance");
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn invoices_are_locked_in_id_order_and_the_payment_keeps_its_sums() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let mut invoices = vec![
        issued(cid, 5_000, 0, 0),
        issued(cid, 3_000, 1_000, 0),
        issued(cid, 2_000, 0, 0),
    ];
    invoices.sort_by_key(|i| i.id);
    let ids: Vec<InvoiceId> = invoices.iter().map(|i| i.id).collect();
    // The request lists them in the other order; the middle one is settled by it.
    let request = vec![
        alloc(&invoices[2], 1_500),
        alloc(&invoices[1], invoices[1].balance_due),
        alloc(&invoices[0], 500),
    ];
    let in_request_order: Vec<InvoiceId> = request.iter().map(|r| r.invoice_id).collect();
    let mut env = Env::new().with_org(organization()).with_client(c);
    let seen = locked(&mut env, invoices.clone());
    let writes = invoice_writes(&mut env);
    let order = in_request_order.clone();
    env.payments
        .expect_create()
        .withf(move |_, p| {
            p.amount == 10_000
                && p.allocations
                    .iter()
                    .map(|x| x.invoice_id)
                    .collect::<Vec<_>>()
                    == order
                && p.allocated_amount == 4_000
                && p.refunded_amount == 0
                && p.unapplied_amount == 6_000
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    let p = svc.create(&a, input(cid, 10_000, request)).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), ids);
    assert_eq!(
        p.allocations
            .iter()
            .map(|x| x.invoice_id)
            .collect::<Vec<_>>(),
        in_request_order
    );
    assert_eq!(
        p.allocations.iter().map(|x| x.amount).collect::<Vec<_>>(),
        [1_500, 2_000, 500]
    );
    assert_eq!(
        (p.allocated_amount, p.refunded_amount, p.unapplied_amount),
        (4_000, 0, 6_000)
    );
    assert_eq!(p.received_on, day("2026-03-01"));
    let writes = writes.lock().unwrap();
    let written: Vec<_> = writes
        .iter()
        .map(|(i, v)| (i.id, *v, i.version, i.amount_paid, i.payment_status))
        .collect();
    assert_eq!(
        written,
        [
            (ids[0], 2, 3, 500, PaymentStatus::PartiallyPaid),
            (ids[1], 2, 3, 3_000, PaymentStatus::Paid),
            (ids[2], 2, 3, 1_500, PaymentStatus::PartiallyPaid),
        ]
    );
    assert_eq!(actions(&probe), ["paid", "created"]);
    assert_eq!(probe.audit()[0].entity_id, ids[1].0);
    assert!(probe.committed());
}

#[tokio::test]
async fn an_allocation_that_settles_the_invoice_records_paid() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    let elsewhere = InvoiceId::new();
    // 5 000 received, 1 000 of it on another invoice: 4 000 unapplied.
    let p = payment(cid, 5_000, &[(elsewhere, 1_000)]);
    assert_eq!(p.unapplied_amount, 4_000);
    // 3 000, 1 000 paid: 2 000 due.
    let i = issued(cid, 3_000, 1_000, 0);
    let (pid, iid) = (p.id, i.id);
    let mut env = Env::new();
    payment_locked(&mut env, &p);
    locked(&mut env, vec![i.clone()]);
    let writes = invoice_writes(&mut env);
    env.payments
        .expect_add_allocation()
        .withf(move |_, o, id, x| {
            *o == ORG && *id == pid && x.invoice_id == iid && x.amount == 2_000
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    env.payments
        .expect_update()
        .withf(|_, p, v| {
            *v == 1
                && p.version == 2
                && p.allocations.len() == 2
                && p.allocated_amount == 3_000
                && p.unapplied_amount == 2_000
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    let over = AllocationInput {
        invoice_id: iid,
        amount: 4_001,
    };
    assert_eq!(
        fields(svc.allocate(&a, pid, over).await),
        pair("amount", "exceeds_unapplied")
    );
    let again = AllocationInput {
        invoice_id: elsewhere,
        amount: 100,
    };
    assert_eq!(
        fields(svc.allocate(&a, pid, again).await),
        pair("invoice_id", "duplicate")
    );
    let next = svc
        .allocate(
            &a,
            pid,
            AllocationInput {
                invoice_id: iid,
                amount: 2_000,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (next.allocated_amount, next.unapplied_amount),
        (3_000, 2_000)
    );
    let writes = writes.lock().unwrap();
    assert_eq!(writes.len(), 1);
    let (settled, v) = &writes[0];
    assert_eq!(
        (
            settled.amount_paid,
            settled.balance_due,
            settled.payment_status,
            *v
        ),
        (3_000, 0, PaymentStatus::Paid, 2)
    );
    assert_eq!(actions(&probe), ["paid", "allocated"]);
    assert_eq!(probe.audit()[0].entity_id, iid.0);
    assert!(probe.committed());
}

#[tokio::test]
async fn a_refund_is_at_most_the_unapplied_amount() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    // 1 000 received, 600 allocated: 400 unapplied.
    let p = payment(cid, 1_000, &[(InvoiceId::new(), 600)]);
    let pid = p.id;
    let mut env = Env::new().with_org(organization());
    payment_locked(&mut env, &p);
    env.payments
        .expect_add_refund()
        .withf(move |_, _, id, r| {
            *id == pid && r.amount == 400 && r.refunded_on == day("2026-03-01")
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    env.payments
        .expect_update()
        .withf(|_, p, v| {
            *v == 1
                && p.refunds.len() == 1
                && (p.allocated_amount, p.refunded_amount, p.unapplied_amount) == (600, 400, 0)
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    let refund = |amount| RefundInput {
        amount,
        refunded_on: None,
        reference: Some("RF-1".into()),
    };
    assert_eq!(
        fields(svc.refund(&a, pid, refund(401)).await),
        pair("amount", "exceeds_unapplied")
    );
    assert!(probe.audit().is_empty());
    let next = svc.refund(&a, pid, refund(400)).await.unwrap();
    assert_eq!(
        (next.refunded_amount, next.unapplied_amount, next.version),
        (400, 0, 2)
    );
    assert_eq!(actions(&probe), ["refunded"]);
}

#[tokio::test]
async fn deallocating_an_allocation_of_another_payment_is_404() {
    let a = actor(ORG, ALL);
    let p = payment(ClientId::new(), 1_000, &[(InvoiceId::new(), 600)]);
    let pid = p.id;
    let mut env = Env::new();
    payment_locked(&mut env, &p);
    // No invoice is read nor written.
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    assert_eq!(
        svc.deallocate(&a, pid, AllocationId::new()).await,
        Err(DomainError::NotFound)
    );
    assert_eq!(
        svc.deallocate(&a, PaymentId::new(), p.allocations[0].id)
            .await,
        Err(DomainError::NotFound)
    );
    assert!(!probe.committed());
}

#[tokio::test]
async fn deallocating_gives_the_invoice_its_balance_back() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    // Paid in full, 1 000 of it by this payment.
    let i = issued(cid, 3_000, 3_000, 0);
    let p = payment(cid, 1_000, &[(i.id, 1_000)]);
    let (pid, aid) = (p.id, p.allocations[0].id);
    let mut env = Env::new();
    payment_locked(&mut env, &p);
    locked(&mut env, vec![i.clone()]);
    let writes = invoice_writes(&mut env);
    env.payments
        .expect_remove_allocation()
        .withf(move |_, o, id, x| *o == ORG && *id == pid && *x == aid)
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    env.payments
        .expect_update()
        .withf(|_, p, _| p.allocations.is_empty() && p.unapplied_amount == 1_000)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    let next = svc.deallocate(&a, pid, aid).await.unwrap();
    assert_eq!((next.allocated_amount, next.unapplied_amount), (0, 1_000));
    let writes = writes.lock().unwrap();
    let (settled, _) = &writes[0];
    assert_eq!(
        (
            settled.amount_paid,
            settled.balance_due,
            settled.payment_status
        ),
        (2_000, 1_000, PaymentStatus::PartiallyPaid)
    );
    assert_eq!(actions(&probe), ["deallocated"]);
}

#[tokio::test]
async fn deleting_a_payment_gives_each_invoice_its_money_back() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    // Paid in full by this payment.
    let x = issued(cid, 3_000, 3_000, 0);
    // 2 500 paid, 2 000 of it by this payment.
    let y = issued(cid, 5_000, 2_500, 0);
    let p = payment(cid, 6_000, &[(y.id, 2_000), (x.id, 3_000)]);
    let pid = p.id;
    let mut sorted = [x.id, y.id];
    sorted.sort();
    let mut env = Env::new();
    payment_locked(&mut env, &p);
    let seen = locked(&mut env, vec![x.clone(), y.clone()]);
    let writes = invoice_writes(&mut env);
    env.payments
        .expect_delete()
        .withf(move |_, o, id| *o == ORG && *id == pid)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = PaymentService::new(ports);
    svc.delete(&a, pid).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), sorted);
    let writes = writes.lock().unwrap();
    let mut written: Vec<_> = writes
        .iter()
        .map(|(i, v)| (i.id, *v, i.amount_paid, i.balance_due, i.payment_status))
        .collect();
    written.sort_by_key(|w| w.0 != x.id);
    assert_eq!(
        written,
        [
            (x.id, 2, 0, 3_000, PaymentStatus::Unpaid),
            (y.id, 2, 500, 4_500, PaymentStatus::PartiallyPaid),
        ]
    );
    assert_eq!(actions(&probe), ["deleted"]);
    assert!(probe.committed());
}
