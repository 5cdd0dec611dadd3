//! Unit tests of the service, with mocked ports (see test_support).

use super::*;
use crate::balance::PaymentStatus;
use crate::test_support::*;
use crm_domain::DomainError;
use crm_domain::clients::ClientId;
use crm_domain::identity::Organization;
use crm_domain::kernel::lines::LineItemInput;
use crm_sales::quotations::QuotationStatus;
use mockall::Sequence;
use proptest::prelude::*;
use std::sync::Arc;
use uuid::Uuid;

fn line(q: &str, price: i64, rate: i64) -> LineItemInput {
    LineItemInput {
        description: "Support hours".into(),
        quantity: q.into(),
        unit_price: price,
        tax_rate: rate,
    }
}

fn input(client: ClientId) -> InvoiceInput {
    InvoiceInput {
        client_id: client,
        deal_id: None,
        project_id: None,
        issue_date: None,
        payment_terms_days: None,
        due_date: None,
        currency: None,
        items: vec![line("1.5", 333, 1800)],
        notes: None,
        terms: None,
    }
}

/// The `(field, code)` pairs of a `422`.
fn fields<T: std::fmt::Debug>(r: Result<T, DomainError>) -> Vec<(String, String)> {
    match r {
        Err(DomainError::Invalid(e)) => e.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

/// The code of a `409`.
fn conflict<T: std::fmt::Debug>(r: Result<T, DomainError>) -> &'static str {
    match r {
        Err(DomainError::Conflict { code, .. }) => code,
        other => panic!("expected 409, got {other:?}"),
    }
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

/// `get` and `get_for_update` answer from `stored` by id, `NotFound` otherwise.
fn stored(env: &mut Env, stored: Vec<Invoice>) {
    let all = Arc::new(stored);
    let by_id = move |id: InvoiceId| {
        all.iter()
            .find(|i| i.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    };
    let locked = by_id.clone();
    env.invoices.expect_get().returning(move |_, id| by_id(id));
    env.invoices
        .expect_get_for_update()
        .returning(move |_, _, id| locked(id));
}

#[tokio::test]
async fn creation_prices_the_lines_and_makes_a_draft_without_a_number_in_the_orgs_currency() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let mut env = Env::new()
        .with_org(Organization {
            default_currency: eur(),
            ..organization()
        })
        .with_client(c);
    env.invoices
        .expect_create()
        .withf(move |_, i| {
            i.client_id == cid
                && i.status == InvoiceStatus::Draft
                && i.number.is_none()
                && i.total == 590
                && i.currency == eur()
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    let i = svc.create(&a, input(cid)).await.unwrap();
    assert_eq!(i.status, InvoiceStatus::Draft);
    assert_eq!(i.number, None);
    assert_eq!(i.currency, eur());
    // 1.5 × 333 = 499.5 → 500; 18 % of 500 = 90.
    assert_eq!(i.items.len(), 1);
    assert_eq!((i.items[0].subtotal, i.items[0].tax), (500, 90));
    assert_eq!((i.subtotal, i.tax_total, i.total), (500, 90, 590));
    assert_eq!(
        (i.amount_paid, i.amount_credited, i.balance_due),
        (0, 0, 590)
    );
    assert_eq!(i.payment_status, PaymentStatus::Unpaid);
    assert_eq!(i.payment_terms_days, DEFAULT_TERMS_DAYS);
    assert_eq!((i.issue_date, i.due_date, i.issued_at), (None, None, None));
    assert_eq!((i.created_by, i.version), (a.user_id, 1));
    assert_eq!(actions(&probe), ["created"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn a_currency_sent_wins_over_the_organizations() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let mut env = Env::new().with_org(organization()).with_client(c);
    env.invoices
        .expect_create()
        .withf(|_, i| i.currency == eur())
        .times(1)
        .returning(|_, _| Ok(()));
    let (ports, _) = env.build();
    let svc = InvoiceService::new(ports);
    let i = svc
        .create(
            &a,
            InvoiceInput {
                currency: Some("eur".into()),
                ..input(cid)
            },
        )
        .await
        .unwrap();
    assert_eq!(i.currency, eur());
}

#[tokio::test]
async fn bad_fields_are_422_each_under_its_own_name() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let mut env = Env::new().with_org(organization()).with_client(c);
    // No such project in the organization.
    env.projects
        .expect_get()
        .returning(|_, _| Err(StoreError::NotFound));
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    let bad = InvoiceInput {
        issue_date: Some("2026-03-10".into()),
        due_date: Some("2026-03-09".into()),
        payment_terms_days: Some(i64::from(MAX_TERMS_DAYS) + 1),
        project_id: Some(Uuid::from_u128(7)),
        ..input(cid)
    };
    assert_eq!(
        fields(svc.create(&a, bad).await),
        pairs(&[
            ("payment_terms_days", "out_of_range"),
            ("due_date", "out_of_range"),
            ("project_id", "not_found"),
        ])
    );
    let negative = InvoiceInput {
        payment_terms_days: Some(-1),
        ..input(cid)
    };
    assert_eq!(
        fields(svc.create(&a, negative).await),
        pairs(&[("payment_terms_days", "out_of_range")])
    );
    let unknown_client = input(ClientId::new());
    assert_eq!(
        fields(svc.create(&a, unknown_client).await),
        pairs(&[("client_id", "not_found")])
    );
    // The limits themselves are accepted: nothing is stored here because the due date is
    // refused, and only it.
    let edge = InvoiceInput {
        issue_date: Some("2026-03-10".into()),
        due_date: Some("2026-03-09".into()),
        payment_terms_days: Some(i64::from(MAX_TERMS_DAYS)),
        ..input(cid)
    };
    assert_eq!(
        fields(svc.create(&a, edge).await),
        pairs(&[("due_date", "out_of_range")])
    );
    assert_eq!(probe.begins(), 0);
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_draft_with_an_issue_date_gets_its_due_date_from_the_terms() {
    let a = actor(ORG, ALL);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let mut env = Env::new().with_org(organization()).with_client(c);
    env.invoices.expect_create().returning(|_, _| Ok(()));
    let (ports, _) = env.build();
    let svc = InvoiceService::new(ports);
    let i = svc
        .create(
            &a,
            InvoiceInput {
                issue_date: Some("2026-03-01".into()),
                payment_terms_days: Some(14),
                ..input(cid)
            },
        )
        .await
        .unwrap();
    assert_eq!(i.issue_date, Some(day("2026-03-01")));
    assert_eq!(i.due_date, Some(day("2026-03-15")));
}

#[tokio::test]
async fn issuing_takes_the_number_in_its_transaction_creating_the_counter_on_first_use() {
    let a = actor(ORG, ALL);
    let d = Invoice {
        issue_date: Some(day("2026-03-01")),
        payment_terms_days: 14,
        ..draft(ClientId::new(), 10_000)
    };
    let id = d.id;
    let mut env = Env::new().with_org(organization());
    let mut seq = Sequence::new();
    let seen = d.clone();
    env.invoices
        .expect_get()
        .withf(move |o, i| *o == ORG && *i == id)
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_, _| Ok(seen.clone()));
    // First use of the counter: no row; it is made outside the transaction, then taken.
    env.counters
        .expect_next()
        .withf(|_, o, k, y| *o == ORG && k == INVOICE_COUNTER && *y == 2026)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Err(StoreError::NotFound));
    env.counters
        .expect_ensure()
        .withf(|o, k, y| *o == ORG && k == INVOICE_COUNTER && *y == 2026)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(()));
    env.counters
        .expect_next()
        .withf(|_, o, k, y| *o == ORG && k == INVOICE_COUNTER && *y == 2026)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _, _| Ok(7));
    // The invoice is read locked after the number is taken, in the same transaction.
    let locked = d.clone();
    env.invoices
        .expect_get_for_update()
        .withf(move |_, o, i| *o == ORG && *i == id)
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_, _, _| Ok(locked.clone()));
    env.invoices
        .expect_update()
        .withf(|_, i, v| {
            *v == 1
                && i.version == 2
                && i.status == InvoiceStatus::Issued
                && i.number.as_deref() == Some("INV-2026-0007")
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    let i = svc.issue(&a, id, Some(1)).await.unwrap();
    assert_eq!(i.number.as_deref(), Some("INV-2026-0007"));
    assert_eq!(i.status, InvoiceStatus::Issued);
    assert_eq!(i.issue_date, Some(day("2026-03-01")));
    assert_eq!(i.due_date, Some(day("2026-03-15")));
    assert_eq!(i.issued_at, Some(now()));
    assert_eq!(
        (i.payment_status, i.balance_due),
        (PaymentStatus::Unpaid, 10_000)
    );
    assert!(!i.is_overdue);
    // The transaction dropped to create the counter row, then the one that numbers.
    assert_eq!(probe.begins(), 2);
    assert!(probe.committed());
    assert_eq!(actions(&probe), ["issued"]);
}

#[tokio::test]
async fn an_unset_issue_date_is_the_organizations_today_and_the_due_date_follows_the_terms() {
    let a = actor(ORG, ALL);
    let d = draft(ClientId::new(), 10_000);
    assert_eq!(
        (d.issue_date, d.due_date, d.payment_terms_days),
        (None, None, 30)
    );
    let id = d.id;
    // 02:00 UTC on March 1st is still February 28th in New York.
    let mut env = Env::new()
        .with_org(organization_in("America/New_York"))
        .with_number(INVOICE_COUNTER, 1);
    env.clock = FixedClock(at("2026-03-01T02:00:00Z"));
    stored(&mut env, vec![d]);
    env.invoices
        .expect_update()
        .withf(|_, i, _| {
            i.issue_date == Some(day("2026-02-28")) && i.due_date == Some(day("2026-03-30"))
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, _) = env.build();
    let svc = InvoiceService::new(ports);
    let i = svc.issue(&a, id, None).await.unwrap();
    assert_eq!(i.number.as_deref(), Some("INV-2026-0001"));
    assert_eq!(i.issue_date, Some(day("2026-02-28")));
    assert_eq!(i.due_date, Some(day("2026-03-30")));
    assert_eq!(i.issued_at, Some(at("2026-03-01T02:00:00Z")));
}

#[tokio::test]
async fn the_number_is_of_the_year_of_the_local_issue_date() {
    let a = actor(ORG, ALL);
    let d = draft(ClientId::new(), 10_000);
    let id = d.id;
    // New Year's Day in UTC, still 2025 in New York.
    let mut env = Env::new().with_org(organization_in("America/New_York"));
    env.clock = FixedClock(at("2026-01-01T03:00:00Z"));
    env.counters
        .expect_next()
        .withf(|_, _, k, y| k == INVOICE_COUNTER && *y == 2025)
        .times(1)
        .returning(|_, _, _, _| Ok(12));
    stored(&mut env, vec![d]);
    env.invoices
        .expect_update()
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, _) = env.build();
    let svc = InvoiceService::new(ports);
    let i = svc.issue(&a, id, None).await.unwrap();
    assert_eq!(i.number.as_deref(), Some("INV-2025-0012"));
    assert_eq!(i.issue_date, Some(day("2025-12-31")));
    assert_eq!(i.due_date, Some(day("2026-01-30")));
}

#[tokio::test]
async fn issue_refuses_a_draft_without_lines_an_issued_or_void_invoice_and_a_stale_version() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    let empty = draft(cid, 0);
    assert!(empty.items.is_empty());
    let done = issued(cid, 5_000, 0, 0);
    let void = Invoice {
        status: InvoiceStatus::Void,
        ..issued(cid, 5_000, 0, 0)
    };
    let fresh = draft(cid, 1_000);
    let mut env = Env::new().with_org(organization());
    env.counters.expect_next().returning(|_, _, _, _| Ok(1));
    stored(
        &mut env,
        vec![empty.clone(), done.clone(), void.clone(), fresh.clone()],
    );
    // No `update` expected: any write fails the test.
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    assert_eq!(
        fields(svc.issue(&a, empty.id, None).await),
        pairs(&[("items", "required")])
    );
    assert_eq!(
        conflict(svc.issue(&a, done.id, None).await),
        "invoice-status"
    );
    assert_eq!(
        conflict(svc.issue(&a, void.id, None).await),
        "invoice-status"
    );
    assert_eq!(
        svc.issue(&a, fresh.id, Some(fresh.version + 1)).await,
        Err(DomainError::Stale)
    );
    assert_eq!(
        svc.issue(&a, InvoiceId::new(), None).await,
        Err(DomainError::NotFound)
    );
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn an_invoice_of_zero_is_paid_as_it_is_issued() {
    let a = actor(ORG, ALL);
    let d = Invoice {
        items: vec![line_of(0)],
        ..draft(ClientId::new(), 0)
    };
    let id = d.id;
    let mut env = Env::new()
        .with_org(organization())
        .with_number(INVOICE_COUNTER, 3);
    stored(&mut env, vec![d]);
    env.invoices
        .expect_update()
        .withf(|_, i, _| {
            i.status == InvoiceStatus::Issued
                && i.payment_status == PaymentStatus::Paid
                && i.balance_due == 0
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    let i = svc.issue(&a, id, None).await.unwrap();
    assert_eq!(i.payment_status, PaymentStatus::Paid);
    assert_eq!(i.number.as_deref(), Some("INV-2026-0003"));
    assert_eq!(actions(&probe), ["issued", "paid"]);
    assert!(probe.audit().iter().all(|e| e.entity_id == id.0));
}

#[tokio::test]
async fn void_needs_a_reason_an_issued_invoice_and_nothing_paid() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    let d = draft(cid, 5_000);
    let paid_part = issued(cid, 5_000, 100, 0);
    let open = issued(cid, 5_000, 0, 0);
    let already = Invoice {
        status: InvoiceStatus::Void,
        void_reason: Some("Twice".into()),
        ..issued(cid, 5_000, 0, 0)
    };
    let oid = open.id;
    let mut env = Env::new().with_org(organization());
    stored(
        &mut env,
        vec![d.clone(), paid_part.clone(), open.clone(), already.clone()],
    );
    env.invoices
        .expect_update()
        .withf(move |_, i, v| {
            i.id == oid
                && *v == 2
                && i.version == 3
                && i.status == InvoiceStatus::Void
                && i.void_reason.as_deref() == Some("Billed twice")
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    let why = |r: &str| VoidInput { reason: r.into() };
    assert_eq!(
        fields(svc.void(&a, oid, None, why("  \n ")).await),
        pairs(&[("reason", "required")])
    );
    assert_eq!(probe.begins(), 0);
    assert_eq!(
        conflict(svc.void(&a, d.id, None, why("x")).await),
        "invoice-status"
    );
    assert_eq!(
        conflict(svc.void(&a, already.id, None, why("x")).await),
        "invoice-status"
    );
    assert_eq!(
        conflict(svc.void(&a, paid_part.id, None, why("x")).await),
        "invoice-has-payments"
    );
    assert_eq!(
        svc.void(&a, oid, Some(1), why("x")).await,
        Err(DomainError::Stale)
    );
    assert!(probe.audit().is_empty());
    let v = svc
        .void(&a, oid, Some(2), why(" Billed twice "))
        .await
        .unwrap();
    assert_eq!(v.status, InvoiceStatus::Void);
    assert_eq!(v.number.as_deref(), Some("INV-2026-0001"));
    assert_eq!(v.void_reason.as_deref(), Some("Billed twice"));
    assert!(!v.is_overdue);
    assert_eq!(actions(&probe), ["voided"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn only_a_draft_is_edited_or_deleted() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    let d = draft(cid, 1_000);
    let done = issued(cid, 1_000, 0, 0);
    let void = Invoice {
        status: InvoiceStatus::Void,
        ..issued(cid, 1_000, 0, 0)
    };
    let did = d.id;
    let mut env = Env::new().with_org(organization());
    stored(&mut env, vec![d.clone(), done.clone(), void.clone()]);
    env.invoices
        .expect_update()
        .withf(move |_, i, v| {
            i.id == did && *v == 1 && i.version == 2 && i.notes.as_deref() == Some("Net 15")
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    env.invoices
        .expect_delete()
        .withf(move |_, o, i| *o == ORG && *i == did)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    let patch = || InvoicePatch {
        notes: Some(Some("Net 15".into())),
        ..Default::default()
    };
    for other in [&done, &void] {
        assert_eq!(
            conflict(svc.update(&a, other.id, None, patch()).await),
            "invoice-not-draft"
        );
        assert_eq!(
            conflict(svc.delete(&a, other.id).await),
            "invoice-not-draft"
        );
    }
    assert_eq!(
        svc.update(&a, did, Some(5), patch()).await,
        Err(DomainError::Stale)
    );
    assert!(probe.audit().is_empty());
    let u = svc.update(&a, did, Some(1), patch()).await.unwrap();
    assert_eq!(u.notes.as_deref(), Some("Net 15"));
    assert_eq!((u.version, u.status), (2, InvoiceStatus::Draft));
    svc.delete(&a, did).await.unwrap();
    assert_eq!(actions(&probe), ["updated", "deleted"]);
}

#[tokio::test]
async fn only_an_accepted_quotation_is_invoiced_and_only_once() {
    let a = actor(ORG, ALL);
    let cid = ClientId::new();
    let draft_q = quotation(cid, QuotationStatus::Draft);
    let sent = quotation(cid, QuotationStatus::Sent);
    let rejected = quotation(cid, QuotationStatus::Rejected);
    let invoiced = quotation(cid, QuotationStatus::Accepted);
    let accepted = quotation(cid, QuotationStatus::Accepted);
    let all = [
        draft_q.clone(),
        sent.clone(),
        rejected.clone(),
        invoiced.clone(),
        accepted.clone(),
    ];
    let mut env = Env::new().with_org(organization());
    env.quotations.expect_get().returning(move |_, id| {
        all.iter()
            .find(|q| q.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    });
    let twice = invoiced.id;
    env.invoices
        .expect_create()
        .times(2)
        .returning(move |_, i| {
            if i.quotation_id == Some(twice) {
                Err(StoreError::Conflict {
                    constraint: "invoices_quotation_id_key".into(),
                })
            } else {
                Ok(())
            }
        });
    let (ports, probe) = env.build();
    let svc = InvoiceService::new(ports);
    for q in [&draft_q, &sent, &rejected] {
        assert_eq!(
            conflict(svc.from_quotation(&a, q.id).await),
            "quotation-not-accepted"
        );
    }
    assert_eq!(
        conflict(svc.from_quotation(&a, invoiced.id).await),
        "quotation-invoiced"
    );
    assert!(probe.audit().is_empty());
    let i = svc.from_quotation(&a, accepted.id).await.unwrap();
    assert_eq!(i.quotation_id, Some(accepted.id));
    assert_eq!((i.client_id, i.deal_id), (cid, None));
    assert_eq!((i.status, i.number.clone()), (InvoiceStatus::Draft, None));
    assert_eq!(i.currency, eur());
    assert_eq!(i.items, accepted.items);
    assert_eq!(
        (i.subtotal, i.tax_total, i.total),
        (accepted.subtotal, accepted.tax_total, accepted.total)
    );
    assert_eq!(i.total, 11_800);
    assert_eq!(
        (i.balance_due, i.payment_status),
        (11_800, PaymentStatus::Unpaid)
    );
    assert_eq!(actions(&probe), ["created"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn a_quotation_needs_quotations_read() {
    let a = actor(ORG, &["invoices:write"]);
    let (ports, _) = Env::new().build();
    let svc = InvoiceService::new(ports);
    let r = svc
        .from_quotation(&a, crm_sales::quotations::QuotationId::new())
        .await;
    assert!(matches!(r, Err(DomainError::Forbidden { .. })), "{r:?}");
}

#[test]
fn an_issued_invoice_with_a_balance_is_overdue_from_the_day_after_its_due_date() {
    let cid = ClientId::new();
    // Due 2026-03-03.
    let open = issued(cid, 5_000, 1_000, 0);
    assert!(!open.clone().as_of(day("2026-03-02")).is_overdue);
    assert!(!open.clone().as_of(day("2026-03-03")).is_overdue);
    let late = open.clone().as_of(day("2026-03-04"));
    assert!(late.is_overdue);
    // Read again on an earlier day, it is not.
    assert!(!late.as_of(day("2026-03-03")).is_overdue);
    // Nothing due: paid, by payments, credit notes or both.
    for (paid, credited) in [(5_000, 0), (0, 5_000), (2_000, 3_000)] {
        assert!(
            !issued(cid, 5_000, paid, credited)
                .as_of(day("2026-04-01"))
                .is_overdue
        );
    }
    // Neither a draft nor a void invoice is overdue.
    let d = Invoice {
        due_date: Some(day("2026-01-01")),
        ..draft(cid, 5_000)
    };
    assert!(!d.as_of(day("2026-04-01")).is_overdue);
    let v = Invoice {
        status: InvoiceStatus::Void,
        ..open
    };
    assert!(!v.as_of(day("2026-04-01")).is_overdue);
}

#[tokio::test]
async fn a_read_invoice_is_overdue_as_of_the_organizations_today() {
    let a = actor(ORG, ALL);
    let i = Invoice {
        due_date: Some(day("2026-02-28")),
        ..issued(ClientId::new(), 5_000, 0, 0)
    };
    let id = i.id;
    // 2026-03-01 02:00 UTC: March 1st in UTC, February 28th in New York.
    for (zone, overdue) in [("UTC", true), ("America/New_York", false)] {
        let mut env = Env::new().with_org(organization_in(zone));
        env.clock = FixedClock(at("2026-03-01T02:00:00Z"));
        stored(&mut env, vec![i.clone()]);
        let (ports, _) = env.build();
        let svc = InvoiceService::new(ports);
        assert_eq!(svc.get(&a, id).await.unwrap().is_overdue, overdue, "{zone}");
    }
}

/// A change of an invoice's money, as the services make it.
#[derive(Clone, Debug)]
enum Move {
    /// A payment allocation of this amount.
    Allocate(i64),
    /// An allocation of everything still due.
    AllocateRest,
    /// A credit note of this total.
    Credit(i64),
    /// A credit note of everything still due.
    CreditRest,
    /// The removal of one of the allocations made (by index, modulo their number).
    Deallocate(usize),
}

fn a_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        3 => (1i64..30_000).prop_map(Move::Allocate),
        1 => Just(Move::AllocateRest),
        3 => (1i64..30_000).prop_map(Move::Credit),
        1 => Just(Move::CreditRest),
        2 => any::<usize>().prop_map(Move::Deallocate),
    ]
}

proptest! {
    #[test]
    fn the_balance_is_always_the_total_less_payments_and_credits(
        total in 0i64..100_000,
        moves in prop::collection::vec(a_move(), 0..40),
    ) {
        let mut invoice = issued(ClientId::new(), total, 0, 0);
        let mut allocations: Vec<i64> = Vec::new();
        let mut credits: Vec<i64> = Vec::new();
        for m in moves {
            let (paid, credited) = (invoice.amount_paid, invoice.amount_credited);
            let due = invoice.balance_due;
            // Like the services: an allocation or credit note is taken only when it fits.
            invoice = match m {
                Move::Allocate(x) if invoice.balance().takes(x) => {
                    allocations.push(x);
                    invoice.with_balance(paid + x, credited)
                }
                Move::AllocateRest if due > 0 => {
                    allocations.push(due);
                    invoice.with_balance(paid + due, credited)
                }
                Move::Credit(x) if invoice.balance().takes(x) => {
                    credits.push(x);
                    invoice.with_balance(paid, credited + x)
                }
                Move::CreditRest if due > 0 => {
                    credits.push(due);
                    invoice.with_balance(paid, credited + due)
                }
                Move::Deallocate(k) if !allocations.is_empty() => {
                    let x = allocations.remove(k % allocations.len());
                    invoice.with_balance(paid - x, credited)
                }
                _ => invoice,
            };
            let paid: i64 = allocations.iter().sum();
            let credited: i64 = credits.iter().sum();
            prop_assert_eq!(invoice.total, total);
            prop_assert_eq!(invoice.amount_paid, paid);
            prop_assert_eq!(invoice.amount_credited, credited);
            prop_assert_eq!(invoice.balance_due, total - paid - credited);
            prop_assert!(invoice.balance_due >= 0);
            let expected = if invoice.balance_due == 0 {
                PaymentStatus::Paid
            } else if paid > 0 || credited > 0 {
                PaymentStatus::PartiallyPaid
            } else {
                PaymentStatus::Unpaid
            };
            prop_assert_eq!(invoice.payment_status, expected);
        }
    }
}

mod from_project {
    use super::*;
    use crm_projects::projects::{Billing, ProgressMethod, Project, ProjectId, ProjectStatus};
    use crm_projects::tasks::TaskId;
    use crm_projects::time::{TimeEntry, TimeEntryId};

    fn project(client: Option<ClientId>) -> Project {
        Project {
            id: ProjectId::new(),
            organization_id: ORG,
            name: "Portal".into(),
            code: None,
            description: None,
            client_id: client,
            deal_id: None,
            owner_id: crm_domain::UserId(Uuid::from_u128(9)),
            status: ProjectStatus::Active,
            start_date: None,
            due_date: None,
            billing: Billing::Hourly,
            hourly_rate: Some(9000),
            budget_amount: None,
            budget_currency: Some(usd()),
            budget_minutes: None,
            progress_method: ProgressMethod::Tasks,
            progress: 0,
            tasks_total: 0,
            tasks_done: 0,
            is_overdue: false,
            legacy_id: None,
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    fn entry(p: &Project, task: Option<TaskId>, minutes: i64, rate: i64) -> TimeEntry {
        TimeEntry {
            id: TimeEntryId::new(),
            organization_id: ORG,
            project_id: p.id,
            task_id: task,
            user_id: p.owner_id,
            work_date: day("2026-03-10"),
            minutes: Some(minutes),
            billable: true,
            note: None,
            bill_rate: Some(rate),
            invoice_id: None,
            started_at: None,
            is_running: false,
            created_at: now(),
            updated_at: now(),
            version: 1,
        }
    }

    /// Lines per task and rate, untasked time last; the billed entries get the invoice's id
    /// in the transaction that writes the invoice, and nothing more is written.
    #[tokio::test]
    async fn time_lines_and_the_invoiced_mark_are_one_transaction() {
        let a = actor(ORG, ALL);
        let c = client(ORG, a.user_id);
        let p = project(Some(c.id));
        let task = TaskId::new();
        let entries = vec![
            entry(&p, Some(task), 90, 9000),
            entry(&p, Some(task), 30, 9000),
            entry(&p, Some(task), 20, 6000),
            entry(&p, None, 45, 9000),
        ];
        let mut ids: Vec<TimeEntryId> = entries.iter().map(|e| e.id).collect();
        ids.sort();
        let mut env = Env::new().with_org(organization());
        let locked = p.clone();
        env.projects
            .expect_get_for_update()
            .times(1)
            .returning(move |_, _, _| Ok(locked.clone()));
        let unbilled = entries.clone();
        env.project_time
            .expect_unbilled()
            .times(1)
            .returning(move |_, _, _| Ok(unbilled.clone()));
        env.expense_lookups
            .expect_billable_for_project()
            .times(1)
            .returning(|_, _, _, _, _| Ok(Vec::new()));
        env.tasks
            .expect_get()
            .returning(|_, _| Err(StoreError::NotFound));
        env.invoices
            .expect_create()
            .times(1)
            .returning(|_, _| Ok(()));
        env.project_time
            .expect_mark_invoiced()
            .withf(move |_, o, marked, _| {
                let mut marked = marked.to_vec();
                marked.sort();
                *o == ORG && marked == ids
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        env.expense_lookups
            .expect_mark_invoiced()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = InvoiceService::new(ports);
        let i = svc
            .from_project(&a, p.clone(), from_project::input(None))
            .await
            .unwrap();
        let lines: Vec<(String, i64, i64)> = i
            .items
            .iter()
            .map(|l| (l.quantity.to_string(), l.unit_price, l.subtotal))
            .collect();
        assert_eq!(
            lines,
            [
                ("0.333".to_string(), 6000, 1998),
                ("2".to_string(), 9000, 18_000),
                ("0.75".to_string(), 9000, 6_750),
            ]
        );
        assert_eq!(
            (i.total, i.client_id, i.project_id),
            (26_748, c.id, Some(p.id.0))
        );
        assert_eq!(actions(&probe), ["created"]);
        assert!(probe.committed());
    }

    #[tokio::test]
    async fn nothing_to_bill_and_no_client_are_conflicts_that_write_nothing() {
        let a = actor(ORG, ALL);
        let p = project(None);
        let (ports, probe) = Env::new().with_org(organization()).build();
        let svc = InvoiceService::new(ports);
        assert_eq!(
            conflict(svc.from_project(&a, p, input(None)).await),
            "project-without-client"
        );
        let c = client(ORG, a.user_id);
        let p = project(Some(c.id));
        let mut env = Env::new().with_org(organization());
        let locked = p.clone();
        env.projects
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(locked.clone()));
        env.project_time
            .expect_unbilled()
            .returning(|_, _, _| Ok(Vec::new()));
        env.expense_lookups
            .expect_billable_for_project()
            .returning(|_, _, _, _, _| Ok(Vec::new()));
        let (ports, _) = env.build();
        let svc = InvoiceService::new(ports);
        assert_eq!(
            conflict(svc.from_project(&a, p, input(None)).await),
            "nothing-to-bill"
        );
        assert!(probe.audit().is_empty() && !probe.committed());
    }

    pub(super) fn input(up_to: Option<&str>) -> crate::invoices::ProjectInvoiceInput {
        crate::invoices::ProjectInvoiceInput {
            up_to: up_to.map(String::from),
        }
    }
}

#[test]
fn an_invoice_imported_from_the_node_server_prints_its_old_number() {
    let issued_here = issued(ClientId::new(), 1000, 0, 0);
    assert_eq!(issued_here.printed_number(), issued_here.number);
    let historic = Invoice {
        number: None,
        legacy_number: Some("INV#7".into()),
        ..issued_here
    };
    assert_eq!(historic.printed_number().as_deref(), Some("INV#7"));
}
