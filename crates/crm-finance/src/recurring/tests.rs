//! Unit tests of the recurring templates and their job, with mocked ports.

use super::*;
use crate::balance::PaymentStatus;
use crate::invoices::{INVOICE_COUNTER, Invoice, InvoiceStatus};
use crate::schedule::Frequency;
use crate::test_support::*;
use chrono::{Datelike, Duration};
use crm_domain::DomainError;
use crm_domain::clients::ClientId;
use crm_domain::identity::Organization;
use crm_domain::jobs::Job;
use crm_domain::kernel::lines::LineItemInput;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn line(unit_price: i64) -> LineItemInput {
    LineItemInput {
        description: "Monthly retainer".into(),
        quantity: "1".into(),
        unit_price,
        tax_rate: 0,
    }
}

/// A monthly template of `client` with one line of 10 000 and nothing else given.
fn input(client: ClientId) -> RecurringInvoiceInput {
    RecurringInvoiceInput {
        client_id: client,
        currency: None,
        items: vec![line(10_000)],
        payment_terms_days: None,
        frequency: Frequency::Monthly,
        interval: None,
        start_date: None,
        end_date: None,
        max_occurrences: None,
        auto_issue: None,
        auto_send: None,
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

fn with_status(t: RecurringInvoice, status: RecurringStatus) -> RecurringInvoice {
    RecurringInvoice { status, ..t }
}

/// `recurring.get_for_update` answers from `stored` by id (`NotFound` otherwise).
fn locked(env: &mut Env, stored: Vec<RecurringInvoice>) {
    env.recurring
        .expect_get_for_update()
        .returning(move |_, o, id| {
            stored
                .iter()
                .find(|t| t.id == id && o == ORG)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
}

type Writes = Arc<Mutex<Vec<(RecurringInvoice, i64)>>>;

/// `recurring.update` accepts any number of writes and keeps them, with the version expected.
fn template_writes(env: &mut Env) -> Writes {
    let writes = Writes::default();
    let log = writes.clone();
    env.recurring.expect_update().returning(move |_, t, v| {
        log.lock().unwrap().push((t.clone(), v));
        Ok(())
    });
    writes
}

fn service(env: Env) -> (RecurringInvoiceService, Probe) {
    let (ports, probe) = env.build();
    (RecurringInvoiceService::new(ports), probe)
}

// ---------------------------------------------------------------------------------------
// create
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn create_defaults_to_today_in_the_organizations_zone_and_its_currency() {
    let a = actor(ORG, RECURRING);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let org = Organization {
        default_currency: eur(),
        ..organization_in("America/New_York")
    };
    let mut env = Env::new().with_org(org).with_client(c);
    // 02:30 UTC on March 1 is still February 28 in New York.
    env.clock = FixedClock(at("2026-03-01T02:30:00Z"));
    let created = Arc::new(Mutex::new(Vec::new()));
    let log = created.clone();
    env.recurring
        .expect_create()
        .times(1)
        .returning(move |_, t| {
            log.lock().unwrap().push(t.clone());
            Ok(())
        });
    let (svc, probe) = service(env);
    let t = svc.create(&a, input(cid)).await.unwrap();
    assert_eq!((t.auto_issue, t.auto_send, t.interval), (true, false, 1));
    assert_eq!(t.start_date, day("2026-02-28"));
    assert_eq!(t.next_issue_date, Some(day("2026-02-28")));
    assert_eq!(t.currency, eur());
    assert_eq!(t.status, RecurringStatus::Active);
    assert_eq!(t.occurrences_done, 0);
    assert_eq!(t.frequency, Frequency::Monthly);
    assert_eq!(
        (t.payment_terms_days, t.end_date, t.max_occurrences),
        (30, None, None)
    );
    assert_eq!((t.subtotal, t.tax_total, t.total), (10_000, 0, 10_000));
    assert_eq!(
        (t.organization_id, t.client_id, t.created_by, t.version),
        (ORG, cid, a.user_id, 1)
    );
    assert_eq!(t.created_at, at("2026-03-01T02:30:00Z"));
    assert_eq!(*created.lock().unwrap(), vec![t.clone()]);
    assert_eq!(actions(&probe), ["created"]);
    assert_eq!(probe.audit()[0].entity_id, t.id.0);
    assert!(probe.committed());
}

#[tokio::test]
async fn create_takes_the_given_values_and_starts_at_the_given_date() {
    let a = actor(ORG, RECURRING);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let mut env = Env::new().with_org(organization()).with_client(c);
    env.recurring
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    let (svc, _probe) = service(env);
    let t = svc
        .create(
            &a,
            RecurringInvoiceInput {
                currency: Some("EUR".into()),
                payment_terms_days: Some(14),
                frequency: Frequency::Quarterly,
                interval: Some(2),
                // In the past: the job catches up from there.
                start_date: Some("2025-11-30".into()),
                end_date: Some("2027-12-31".into()),
                max_occurrences: Some(6),
                auto_issue: Some(false),
                auto_send: Some(true),
                ..input(cid)
            },
        )
        .await
        .unwrap();
    assert_eq!(t.currency, eur());
    assert_eq!(
        (t.payment_terms_days, t.frequency, t.interval),
        (14, Frequency::Quarterly, 2)
    );
    assert_eq!(
        (t.start_date, t.end_date, t.max_occurrences),
        (day("2025-11-30"), Some(day("2027-12-31")), Some(6))
    );
    assert_eq!((t.auto_issue, t.auto_send), (false, true));
    assert_eq!(t.next_issue_date, Some(day("2025-11-30")));
    assert_eq!(t.status, RecurringStatus::Active);
}

#[tokio::test]
async fn the_tightest_limits_still_leave_the_start_date() {
    // One occurrence at most, or an end on the start date: the start is still due, so the
    // template is active, not completed; no valid input leaves a new template no date.
    let a = actor(ORG, RECURRING);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let mut env = Env::new().with_org(organization()).with_client(c);
    env.recurring
        .expect_create()
        .times(3)
        .returning(|_, _| Ok(()));
    let (svc, _probe) = service(env);
    let once = RecurringInvoiceInput {
        start_date: Some("2026-03-10".into()),
        max_occurrences: Some(1),
        ..input(cid)
    };
    let same_day = RecurringInvoiceInput {
        start_date: Some("2026-03-10".into()),
        end_date: Some("2026-03-10".into()),
        ..input(cid)
    };
    let widest = RecurringInvoiceInput {
        start_date: Some("2026-03-10".into()),
        interval: Some(MAX_INTERVAL),
        max_occurrences: Some(MAX_OCCURRENCES),
        ..input(cid)
    };
    for i in [once, same_day, widest] {
        let t = svc.create(&a, i).await.unwrap();
        assert_eq!(t.status, RecurringStatus::Active);
        assert_eq!(t.next_issue_date, Some(day("2026-03-10")));
    }
}

#[test]
fn a_template_whose_limits_leave_no_date_is_completed_at_once() {
    // What create applies to every new template (`rescheduled`), on templates whose limits
    // leave no occurrence: completed, with no next date.
    let t = template(ClientId::new(), "2026-03-10", Frequency::Monthly);
    assert_eq!(t.status, RecurringStatus::Active);
    let capped = RecurringInvoice {
        max_occurrences: Some(0),
        ..t.clone()
    }
    .rescheduled();
    assert_eq!(
        (capped.status, capped.next_issue_date),
        (RecurringStatus::Completed, None)
    );
    let ended = RecurringInvoice {
        end_date: Some(day("2026-03-09")),
        ..t.clone()
    }
    .rescheduled();
    assert_eq!(
        (ended.status, ended.next_issue_date),
        (RecurringStatus::Completed, None)
    );
    // All made: completed too.
    let all_made = template_done(
        RecurringInvoice {
            max_occurrences: Some(2),
            ..t
        },
        2,
    );
    assert_eq!(
        (all_made.status, all_made.next_issue_date),
        (RecurringStatus::Completed, None)
    );
}

#[tokio::test]
async fn create_refuses_bad_limits_and_no_lines_with_422() {
    let a = actor(ORG, RECURRING);
    let c = client(ORG, a.user_id);
    let cid = c.id;
    let env = Env::new().with_org(organization()).with_client(c);
    let (svc, probe) = service(env);
    let cases = [
        (
            RecurringInvoiceInput {
                start_date: Some("2026-03-10".into()),
                end_date: Some("2026-03-09".into()),
                ..input(cid)
            },
            "end_date",
        ),
        (
            // Against today (2026-03-01) when no start is given.
            RecurringInvoiceInput {
                end_date: Some("2026-02-28".into()),
                ..input(cid)
            },
            "end_date",
        ),
        (
            RecurringInvoiceInput {
                interval: Some(0),
                ..input(cid)
            },
            "interval",
        ),
        (
            RecurringInvoiceInput {
                interval: Some(121),
                ..input(cid)
            },
            "interval",
        ),
        (
            RecurringInvoiceInput {
                max_occurrences: Some(0),
                ..input(cid)
            },
            "max_occurrences",
        ),
    ];
    for (i, field) in cases {
        assert_eq!(fields(svc.create(&a, i).await), pair(field, "out_of_range"));
    }
    let empty = RecurringInvoiceInput {
        items: vec![],
        ..input(cid)
    };
    assert_eq!(
        fields(svc.create(&a, empty).await),
        pair("items", "required")
    );
    assert_eq!(probe.begins(), 0);
    assert!(probe.audit().is_empty());
}

// ---------------------------------------------------------------------------------------
// update
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_schedule_is_fixed_once_an_invoice_was_made() {
    let a = actor(ORG, RECURRING);
    let t = template_done(
        template(ClientId::new(), "2026-01-15", Frequency::Monthly),
        2,
    );
    let mut env = Env::new();
    locked(&mut env, vec![t.clone()]);
    // No write expected.
    let (svc, probe) = service(env);
    let moves = [
        RecurringInvoicePatch {
            start_date: Some("2026-01-20".into()),
            ..Default::default()
        },
        RecurringInvoicePatch {
            frequency: Some(Frequency::Weekly),
            ..Default::default()
        },
        RecurringInvoicePatch {
            interval: Some(2),
            // With a change that alone would be fine.
            notes: Some(Some("new".into())),
            ..Default::default()
        },
    ];
    for patch in moves {
        assert_eq!(
            conflict(svc.update(&a, t.id, Some(1), patch).await),
            "schedule-started"
        );
    }
    // The same values are no move: nothing changes, nothing is written.
    let same = RecurringInvoicePatch {
        start_date: Some("2026-01-15".into()),
        frequency: Some(Frequency::Monthly),
        interval: Some(1),
        ..Default::default()
    };
    assert_eq!(svc.update(&a, t.id, Some(1), same).await.unwrap(), t);
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn before_the_first_invoice_the_schedule_moves_and_the_next_date_follows() {
    let a = actor(ORG, RECURRING);
    let t = template(ClientId::new(), "2026-03-15", Frequency::Monthly);
    let mut env = Env::new();
    locked(&mut env, vec![t.clone()]);
    let writes = template_writes(&mut env);
    let (svc, probe) = service(env);
    let patch = RecurringInvoicePatch {
        start_date: Some("2026-04-10".into()),
        frequency: Some(Frequency::Weekly),
        interval: Some(2),
        ..Default::default()
    };
    let next = svc.update(&a, t.id, Some(1), patch).await.unwrap();
    assert_eq!(
        (next.start_date, next.frequency, next.interval),
        (day("2026-04-10"), Frequency::Weekly, 2)
    );
    assert_eq!(next.next_issue_date, Some(day("2026-04-10")));
    assert_eq!(next.status, RecurringStatus::Active);
    assert_eq!((next.version, next.updated_at), (2, now()));
    assert_eq!(*writes.lock().unwrap(), vec![(next.clone(), 1)]);
    assert_eq!(actions(&probe), ["updated"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn lowering_max_occurrences_to_those_made_completes_the_template() {
    let a = actor(ORG, RECURRING);
    let t = template_done(
        template(ClientId::new(), "2026-01-01", Frequency::Monthly),
        3,
    );
    assert_eq!(t.next_issue_date, Some(day("2026-04-01")));
    let mut env = Env::new();
    locked(&mut env, vec![t.clone()]);
    let writes = template_writes(&mut env);
    let (svc, probe) = service(env);
    let patch = RecurringInvoicePatch {
        max_occurrences: Some(Some(3)),
        ..Default::default()
    };
    let next = svc.update(&a, t.id, None, patch).await.unwrap();
    assert_eq!(
        (next.status, next.next_issue_date, next.max_occurrences),
        (RecurringStatus::Completed, None, Some(3))
    );
    assert_eq!((next.occurrences_done, next.version), (3, 2));
    assert_eq!(*writes.lock().unwrap(), vec![(next, 1)]);
    assert_eq!(actions(&probe), ["updated"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn a_paused_template_stays_paused_after_an_update() {
    let a = actor(ORG, RECURRING);
    let t = with_status(
        template(ClientId::new(), "2026-03-15", Frequency::Monthly),
        RecurringStatus::Paused,
    );
    let mut env = Env::new();
    locked(&mut env, vec![t.clone()]);
    let writes = template_writes(&mut env);
    let (svc, probe) = service(env);
    let patch = RecurringInvoicePatch {
        start_date: Some("2026-04-01".into()),
        items: Some(vec![line(20_000)]),
        notes: Some(None),
        ..Default::default()
    };
    let next = svc.update(&a, t.id, Some(1), patch).await.unwrap();
    assert_eq!(next.status, RecurringStatus::Paused);
    assert_eq!(next.next_issue_date, Some(day("2026-04-01")));
    assert_eq!((next.total, next.notes.clone()), (20_000, None));
    assert_eq!(writes.lock().unwrap()[0].0.status, RecurringStatus::Paused);
    assert_eq!(actions(&probe), ["updated"]);
}

#[tokio::test]
async fn a_stale_if_match_is_refused_before_anything_is_written() {
    let a = actor(ORG, RECURRING);
    let t = RecurringInvoice {
        version: 3,
        ..template(ClientId::new(), "2026-03-15", Frequency::Monthly)
    };
    let mut env = Env::new().with_org(organization());
    locked(&mut env, vec![t.clone()]);
    let (svc, probe) = service(env);
    let patch = RecurringInvoicePatch {
        notes: Some(Some("new".into())),
        ..Default::default()
    };
    assert_eq!(
        svc.update(&a, t.id, Some(2), patch).await,
        Err(DomainError::Stale)
    );
    assert_eq!(svc.pause(&a, t.id, Some(2)).await, Err(DomainError::Stale));
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

// ---------------------------------------------------------------------------------------
// pause / resume
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn pausing_an_active_template_keeps_its_progress() {
    let a = actor(ORG, RECURRING);
    let t = template_done(
        template(ClientId::new(), "2026-01-01", Frequency::Monthly),
        2,
    );
    let mut env = Env::new().with_org(organization());
    locked(&mut env, vec![t.clone()]);
    let writes = template_writes(&mut env);
    let (svc, probe) = service(env);
    let p = svc.pause(&a, t.id, Some(1)).await.unwrap();
    assert_eq!(
        p,
        RecurringInvoice {
            status: RecurringStatus::Paused,
            updated_at: now(),
            version: 2,
            ..t
        }
    );
    assert_eq!(*writes.lock().unwrap(), vec![(p, 1)]);
    assert_eq!(actions(&probe), ["paused"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn only_an_active_template_is_paused_and_only_a_paused_one_resumed() {
    let a = actor(ORG, RECURRING);
    let base = template(ClientId::new(), "2026-01-01", Frequency::Monthly);
    let active = RecurringInvoice {
        id: RecurringInvoiceId::new(),
        ..base.clone()
    };
    let paused = RecurringInvoice {
        id: RecurringInvoiceId::new(),
        ..with_status(base.clone(), RecurringStatus::Paused)
    };
    let completed = RecurringInvoice {
        id: RecurringInvoiceId::new(),
        ..template_done(
            RecurringInvoice {
                max_occurrences: Some(1),
                ..base
            },
            1,
        )
    };
    assert_eq!(completed.status, RecurringStatus::Completed);
    let mut env = Env::new().with_org(organization());
    locked(
        &mut env,
        vec![active.clone(), paused.clone(), completed.clone()],
    );
    // No write expected.
    let (svc, probe) = service(env);
    assert_eq!(
        conflict(svc.pause(&a, paused.id, None).await),
        "recurring-status"
    );
    assert_eq!(
        conflict(svc.pause(&a, completed.id, None).await),
        "recurring-status"
    );
    assert_eq!(
        conflict(svc.resume(&a, active.id, None).await),
        "recurring-status"
    );
    assert_eq!(
        conflict(svc.resume(&a, completed.id, None).await),
        "recurring-status"
    );
    assert_eq!(
        svc.pause(&a, RecurringInvoiceId::new(), None).await,
        Err(DomainError::NotFound)
    );
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

/// A weekly template from 2026-11-01 (a Sunday) with its first invoice made, paused.
fn paused_weekly() -> RecurringInvoice {
    let t = template_done(
        template(ClientId::new(), "2026-11-01", Frequency::Weekly),
        1,
    );
    assert_eq!(t.next_issue_date, Some(day("2026-11-08")));
    with_status(t, RecurringStatus::Paused)
}

#[tokio::test]
async fn resuming_skips_the_dates_that_passed_while_paused() {
    let a = actor(ORG, RECURRING);
    let t = paused_weekly();
    let mut env = Env::new().with_org(organization());
    env.clock = FixedClock(at("2026-12-06T09:00:00Z"));
    locked(&mut env, vec![t.clone()]);
    let writes = template_writes(&mut env);
    let (svc, probe) = service(env);
    let r = svc.resume(&a, t.id, Some(1)).await.unwrap();
    // 11-08, 11-15, 11-22 and 11-29 are skipped (counted as done); today's is not.
    assert_eq!(r.occurrences_done, 5);
    assert_eq!(r.next_issue_date, Some(day("2026-12-06")));
    assert_eq!(r.status, RecurringStatus::Active);
    assert_eq!((r.version, r.updated_at), (2, at("2026-12-06T09:00:00Z")));
    assert_eq!(*writes.lock().unwrap(), vec![(r, 1)]);
    assert_eq!(actions(&probe), ["resumed"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn resuming_skips_by_the_organizations_date() {
    // 20:00 UTC on Dec 6 is already Dec 7 in Tokyo: Dec 6 has passed there too.
    let a = actor(ORG, RECURRING);
    let t = paused_weekly();
    let mut env = Env::new().with_org(organization_in("Asia/Tokyo"));
    env.clock = FixedClock(at("2026-12-06T20:00:00Z"));
    locked(&mut env, vec![t.clone()]);
    template_writes(&mut env);
    let (svc, _probe) = service(env);
    let r = svc.resume(&a, t.id, None).await.unwrap();
    assert_eq!(r.occurrences_done, 6);
    assert_eq!(r.next_issue_date, Some(day("2026-12-13")));
}

#[tokio::test]
async fn resuming_with_nothing_missed_or_past_the_end() {
    let a = actor(ORG, RECURRING);
    // Resumed before its next date: nothing is skipped.
    let early = paused_weekly();
    // Ended while paused: everything left is skipped, and the template is completed.
    let ended = RecurringInvoice {
        id: RecurringInvoiceId::new(),
        end_date: Some(day("2026-11-30")),
        ..paused_weekly()
    };
    let mut env = Env::new().with_org(organization());
    env.clock = FixedClock(at("2026-11-05T09:00:00Z"));
    locked(&mut env, vec![early.clone()]);
    template_writes(&mut env);
    let (svc, _probe) = service(env);
    let r = svc.resume(&a, early.id, None).await.unwrap();
    assert_eq!(
        (r.occurrences_done, r.next_issue_date, r.status),
        (1, Some(day("2026-11-08")), RecurringStatus::Active)
    );

    let mut env = Env::new().with_org(organization());
    env.clock = FixedClock(at("2026-12-06T09:00:00Z"));
    locked(&mut env, vec![ended.clone()]);
    template_writes(&mut env);
    let (svc, _probe) = service(env);
    let r = svc.resume(&a, ended.id, None).await.unwrap();
    assert_eq!(
        (r.occurrences_done, r.next_issue_date, r.status),
        (5, None, RecurringStatus::Completed)
    );
}

// ---------------------------------------------------------------------------------------
// The job
// ---------------------------------------------------------------------------------------

/// What the job asked of the ports, in order.
#[derive(Clone, Debug, PartialEq)]
enum Call {
    Ensure(i32),
    Claim,
    PeriodMade(NaiveDate),
    Create(Invoice),
    Next(i32),
    Issue(Invoice, i64),
    Store(RecurringInvoice, i64),
}

type Log = Arc<Mutex<Vec<Call>>>;

/// One line per call, for comparing the order.
fn step(c: &Call) -> String {
    match c {
        Call::Ensure(y) => format!("ensure {y}"),
        Call::Claim => "claim".into(),
        Call::PeriodMade(d) => format!("made? {d}"),
        Call::Create(i) => format!("create {}", i.period_start.unwrap()),
        Call::Next(y) => format!("next {y}"),
        Call::Issue(i, v) => format!("issue {} at {v}", i.number.clone().unwrap()),
        Call::Store(t, v) => format!("store {} at {v}", t.occurrences_done),
    }
}

fn steps(log: &Log) -> Vec<String> {
    log.lock().unwrap().iter().map(step).collect()
}

fn created(log: &Log) -> Vec<Invoice> {
    log.lock()
        .unwrap()
        .iter()
        .filter_map(|c| match c {
            Call::Create(i) => Some(i.clone()),
            _ => None,
        })
        .collect()
}

fn issued_ones(log: &Log) -> Vec<(Invoice, i64)> {
    log.lock()
        .unwrap()
        .iter()
        .filter_map(|c| match c {
            Call::Issue(i, v) => Some((i.clone(), *v)),
            _ => None,
        })
        .collect()
}

fn stored_templates(log: &Log) -> Vec<(RecurringInvoice, i64)> {
    log.lock()
        .unwrap()
        .iter()
        .filter_map(|c| match c {
            Call::Store(t, v) => Some((t.clone(), *v)),
            _ => None,
        })
        .collect()
}

/// `recurring.get` answers `seen` and `recurring.claim` answers `claimed`, for `seen`'s id.
fn job_reads(env: &mut Env, log: &Log, seen: RecurringInvoice, claimed: Option<RecurringInvoice>) {
    let id = seen.id;
    env.recurring
        .expect_get()
        .withf(move |o, i| *o == ORG && *i == id)
        .returning(move |_, _| Ok(seen.clone()));
    let log = log.clone();
    env.recurring
        .expect_claim()
        .withf(move |_, o, i| *o == ORG && *i == id)
        .returning(move |_, _, _| {
            log.lock().unwrap().push(Call::Claim);
            Ok(claimed.clone())
        });
}

/// Invoice counters: `ensure` for any year; `next` hands out 1, 2, … per year.
fn job_counters(env: &mut Env, log: &Log) {
    let l = log.clone();
    env.counters
        .expect_ensure()
        .withf(|o, k, _| *o == ORG && k == INVOICE_COUNTER)
        .returning(move |_, _, y| {
            l.lock().unwrap().push(Call::Ensure(y));
            Ok(())
        });
    let l = log.clone();
    let mut taken: HashMap<i32, i64> = HashMap::new();
    env.counters
        .expect_next()
        .withf(|_, o, k, _| *o == ORG && k == INVOICE_COUNTER)
        .returning(move |_, _, _, y| {
            l.lock().unwrap().push(Call::Next(y));
            let n = taken.entry(y).or_insert(0);
            *n += 1;
            Ok(*n)
        });
}

/// `invoices.period_made` is true for the dates in `made`; `invoices.create` is logged.
fn job_drafts(env: &mut Env, log: &Log, template: RecurringInvoiceId, made: Vec<NaiveDate>) {
    let l = log.clone();
    env.invoices
        .expect_period_made()
        .withf(move |_, o, t, _| *o == ORG && *t == template.0)
        .returning(move |_, _, _, d| {
            l.lock().unwrap().push(Call::PeriodMade(d));
            Ok(made.contains(&d))
        });
    let l = log.clone();
    env.invoices.expect_create().returning(move |_, i| {
        l.lock().unwrap().push(Call::Create(i.clone()));
        Ok(())
    });
}

/// `invoices.update` (the issue) is logged.
fn job_issues(env: &mut Env, log: &Log) {
    let l = log.clone();
    env.invoices.expect_update().returning(move |_, i, v| {
        l.lock().unwrap().push(Call::Issue(i.clone(), v));
        Ok(())
    });
}

/// `recurring.update` is logged.
fn job_store(env: &mut Env, log: &Log) {
    let l = log.clone();
    env.recurring.expect_update().returning(move |_, t, v| {
        l.lock().unwrap().push(Call::Store(t.clone(), v));
        Ok(())
    });
}

/// Every port the job writes through, answering for `t` (claimed as read), in `org`.
fn job_env_in(org: Organization, t: &RecurringInvoice, made: Vec<NaiveDate>) -> (Env, Log) {
    let log = Log::default();
    let mut env = Env::new().with_org(org);
    job_reads(&mut env, &log, t.clone(), Some(t.clone()));
    job_counters(&mut env, &log);
    job_drafts(&mut env, &log, t.id, made);
    job_issues(&mut env, &log);
    job_store(&mut env, &log);
    (env, log)
}

/// [`job_env_in`] the organization of the tests, in UTC.
fn job_env(t: &RecurringInvoice, made: Vec<NaiveDate>) -> (Env, Log) {
    job_env_in(organization(), t, made)
}

fn make_job(env: Env) -> (RecurringInvoiceJob, Probe) {
    let (ports, probe) = env.build();
    (RecurringInvoiceJob::new(ports), probe)
}

/// A monthly template started three months before [`now`] (2026-03-01), nothing made.
fn three_months_ago() -> RecurringInvoice {
    template(ClientId::new(), "2025-12-01", Frequency::Monthly)
}

#[tokio::test]
async fn a_template_started_three_months_ago_makes_four_issued_invoices() {
    let t = three_months_ago();
    let (env, log) = job_env(&t, vec![]);
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 4);
    // Counter rows first (one per year, outside the transaction), then under the claim, per
    // date: the check, the draft, its number, its issue; the template last.
    assert_eq!(
        steps(&log),
        [
            "ensure 2025",
            "ensure 2026",
            "claim",
            "made? 2025-12-01",
            "create 2025-12-01",
            "next 2025",
            "issue INV-2025-0001 at 1",
            "made? 2026-01-01",
            "create 2026-01-01",
            "next 2026",
            "issue INV-2026-0001 at 1",
            "made? 2026-02-01",
            "create 2026-02-01",
            "next 2026",
            "issue INV-2026-0002 at 1",
            "made? 2026-03-01",
            "create 2026-03-01",
            "next 2026",
            "issue INV-2026-0003 at 1",
            "store 4 at 1",
        ]
    );
    let dates = ["2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01"].map(day);
    let drafts = created(&log);
    assert_eq!(drafts.len(), 4);
    for (d, date) in drafts.iter().zip(dates) {
        assert_eq!(d.recurring_invoice_id, Some(t.id.0));
        assert_eq!((d.period_start, d.issue_date), (Some(date), Some(date)));
        assert_eq!(d.due_date, Some(date + Duration::days(30)));
        assert_eq!(
            (d.status, d.number.clone(), d.version),
            (InvoiceStatus::Draft, None, 1)
        );
        assert_eq!((d.organization_id, d.client_id), (ORG, t.client_id));
        assert_eq!((d.currency, d.items.clone()), (t.currency, t.items.clone()));
        assert_eq!((d.subtotal, d.tax_total, d.total), (10_000, 0, 10_000));
        assert_eq!((d.notes.clone(), d.terms.clone()), (t.notes.clone(), None));
        assert_eq!((d.created_by, d.created_at), (t.created_by, now()));
    }
    let issues = issued_ones(&log);
    assert_eq!(issues.len(), 4);
    for ((i, v), d) in issues.iter().zip(&drafts) {
        assert_eq!((i.id, *v, i.version), (d.id, 1, 2));
        assert_eq!(i.status, InvoiceStatus::Issued);
        assert_eq!(
            &i.number.as_deref().unwrap()[4..8],
            d.issue_date.unwrap().year().to_string()
        );
        assert_eq!(i.issued_at, Some(now()));
        assert_eq!(
            (i.balance_due, i.payment_status),
            (10_000, PaymentStatus::Unpaid)
        );
        assert_eq!((i.period_start, i.due_date), (d.period_start, d.due_date));
    }
    let stored = stored_templates(&log);
    assert_eq!(stored.len(), 1);
    let (next, v) = &stored[0];
    assert_eq!(*v, 1);
    assert_eq!(
        (next.occurrences_done, next.next_issue_date, next.status),
        (4, Some(day("2026-04-01")), RecurringStatus::Active)
    );
    assert_eq!((next.version, next.updated_at), (2, now()));
    assert_eq!(actions(&probe), ["created", "issued"].repeat(4));
    assert!(probe.audit().iter().all(|e| e.actor_id.is_none()));
    assert_eq!(probe.begins(), 1);
    assert!(probe.committed());
}

#[tokio::test]
async fn a_period_already_made_is_not_made_again_but_counts_as_done() {
    let t = three_months_ago();
    let (env, log) = job_env(&t, vec![day("2026-01-01")]);
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 3);
    let made: Vec<_> = created(&log)
        .iter()
        .map(|i| i.period_start.unwrap())
        .collect();
    assert_eq!(made, ["2025-12-01", "2026-02-01", "2026-03-01"].map(day));
    let numbers: Vec<_> = issued_ones(&log)
        .iter()
        .map(|(i, _)| i.number.clone().unwrap())
        .collect();
    assert_eq!(numbers, ["INV-2025-0001", "INV-2026-0001", "INV-2026-0002"]);
    let stored = stored_templates(&log);
    assert_eq!(
        (stored[0].0.occurrences_done, stored[0].0.next_issue_date),
        (4, Some(day("2026-04-01")))
    );
    assert_eq!(actions(&probe), ["created", "issued"].repeat(3));
    assert!(probe.committed());
}

#[tokio::test]
async fn the_last_occurrence_completes_the_template() {
    let t = RecurringInvoice {
        max_occurrences: Some(2),
        ..three_months_ago()
    };
    let (env, log) = job_env(&t, vec![]);
    let (job, _probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 2);
    let stored = stored_templates(&log);
    assert_eq!(
        (
            stored[0].0.occurrences_done,
            stored[0].0.next_issue_date,
            stored[0].0.status
        ),
        (2, None, RecurringStatus::Completed)
    );
}

#[tokio::test]
async fn a_template_claimed_elsewhere_makes_nothing_and_writes_nothing() {
    let t = three_months_ago();
    let log = Log::default();
    let mut env = Env::new().with_org(organization());
    job_reads(&mut env, &log, t.clone(), None);
    // Counter rows may be created before the claim; nothing else is touched.
    env.counters.expect_ensure().returning(|_, _, _| Ok(()));
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 0);
    assert_eq!(steps(&log), ["claim"]);
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_paused_template_makes_nothing() {
    let paused = with_status(three_months_ago(), RecurringStatus::Paused);
    let log = Log::default();
    let mut env = Env::new().with_org(organization());
    job_reads(&mut env, &log, paused.clone(), Some(paused.clone()));
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, paused.id, now()).await.unwrap(), 0);
    assert!(steps(&log).is_empty());
    assert_eq!(probe.begins(), 0);

    // Paused between the read and the claim: seen under the claim, nothing made.
    let t = three_months_ago();
    let log = Log::default();
    let mut env = Env::new().with_org(organization());
    job_reads(
        &mut env,
        &log,
        t.clone(),
        Some(with_status(t.clone(), RecurringStatus::Paused)),
    );
    env.counters.expect_ensure().returning(|_, _, _| Ok(()));
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 0);
    assert_eq!(steps(&log), ["claim"]);
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn without_auto_issue_the_invoices_stay_drafts_without_numbers() {
    let t = RecurringInvoice {
        auto_issue: false,
        ..three_months_ago()
    };
    let log = Log::default();
    let mut env = Env::new().with_org(organization());
    job_reads(&mut env, &log, t.clone(), Some(t.clone()));
    job_drafts(&mut env, &log, t.id, vec![]);
    job_store(&mut env, &log);
    // No counter and no invoice update expected.
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 4);
    let drafts = created(&log);
    assert_eq!(drafts.len(), 4);
    assert!(drafts.iter().all(|d| d.status == InvoiceStatus::Draft
        && d.number.is_none()
        && d.issued_at.is_none()
        && d.version == 1));
    assert_eq!(stored_templates(&log)[0].0.occurrences_done, 4);
    assert_eq!(actions(&probe), ["created"; 4]);
    assert!(probe.committed());
}

#[tokio::test]
async fn the_due_date_is_the_organizations() {
    // Weekly from Monday 2026-03-02: at 20:00 UTC on Sunday it is Monday in Tokyo, not in UTC.
    let t = template(ClientId::new(), "2026-03-02", Frequency::Weekly);
    let evening = at("2026-03-01T20:00:00Z");
    let log = Log::default();
    let mut env = Env::new().with_org(organization());
    job_reads(&mut env, &log, t.clone(), Some(t.clone()));
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, evening).await.unwrap(), 0);
    assert_eq!(probe.begins(), 0);

    let (env, log) = job_env_in(organization_in("Asia/Tokyo"), &t, vec![]);
    let (job, _probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, evening).await.unwrap(), 1);
    assert_eq!(created(&log)[0].period_start, Some(day("2026-03-02")));
    assert_eq!(
        stored_templates(&log)[0].0.next_issue_date,
        Some(day("2026-03-09"))
    );
}

#[tokio::test]
async fn a_zero_total_invoice_issued_by_the_job_records_paid() {
    let t = RecurringInvoice {
        items: vec![line_of(0)],
        subtotal: 0,
        tax_total: 0,
        total: 0,
        max_occurrences: Some(1),
        ..three_months_ago()
    };
    let (env, log) = job_env(&t, vec![]);
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 1);
    assert_eq!(issued_ones(&log)[0].0.payment_status, PaymentStatus::Paid);
    assert_eq!(actions(&probe), ["created", "issued", "paid"]);
}

#[tokio::test]
async fn run_does_each_due_template_and_sums_what_it_made() {
    let t = three_months_ago();
    let (mut env, log) = job_env(&t, vec![]);
    let id = t.id;
    env.recurring
        .expect_due()
        .withf(|d, limit| *d == day("2026-03-02") && *limit == 200)
        .times(1)
        .returning(move |_, _| Ok(vec![(ORG, id)]));
    let (job, probe) = make_job(env);
    assert_eq!(job.name(), "recurring_invoices");
    assert_eq!(job.run(now()).await.unwrap(), "4 invoices from 1 templates");
    assert_eq!(created(&log).len(), 4);
    assert!(probe.committed());
}

#[tokio::test]
async fn run_with_nothing_due_does_nothing() {
    let mut env = Env::new();
    env.recurring
        .expect_due()
        .times(1)
        .returning(|_, _| Ok(vec![]));
    let (job, probe) = make_job(env);
    assert_eq!(job.run(now()).await, Ok(String::new()));
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn run_fails_when_templates_fail_and_none_made_anything() {
    let t = three_months_ago();
    let id = t.id;
    let mut env = Env::new().with_org(organization());
    env.recurring
        .expect_due()
        .returning(move |_, _| Ok(vec![(ORG, id)]));
    env.recurring
        .expect_get()
        .returning(|_, _| Err(StoreError::Unavailable("down".into())));
    let (job, probe) = make_job(env);
    assert!(matches!(
        job.run(now()).await,
        Err(DomainError::Unavailable(_))
    ));
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn run_succeeds_when_one_template_fails_and_another_makes_invoices() {
    let ok = three_months_ago();
    let broken = RecurringInvoiceId::new();
    let (mut env, log) = job_env(&ok, vec![]);
    let ok_id = ok.id;
    env.recurring
        .expect_due()
        .returning(move |_, _| Ok(vec![(ORG, broken), (ORG, ok_id)]));
    env.recurring
        .expect_get()
        .withf(move |_, i| *i == broken)
        .returning(|_, _| Err(StoreError::Unavailable("down".into())));
    let (job, _probe) = make_job(env);
    assert_eq!(job.run(now()).await.unwrap(), "4 invoices from 2 templates");
    assert_eq!(created(&log).len(), 4);
}

#[tokio::test]
async fn auto_send_mails_each_issued_invoice_with_its_pdf_in_the_same_transaction() {
    let t = RecurringInvoice {
        auto_send: true,
        ..template(ClientId::new(), "2026-02-01", Frequency::Monthly)
    };
    let (mut env, log) = job_env(&t, vec![]);
    let addressed = crm_domain::clients::Client {
        id: t.client_id,
        email: Some(crm_domain::identity::EmailAddress::parse("ap@globex.example").unwrap()),
        ..client(ORG, t.created_by)
    };
    env = env.with_client(addressed);
    env.renderer
        .expect_invoice_pdf()
        .times(2)
        .returning(|d| Ok(format!("%PDF {}", d.number.clone().unwrap_or_default()).into_bytes()));
    env.mail
        .expect_invoice()
        .times(2)
        .returning(|to, _, number, _| crm_domain::mail::OutgoingMail {
            to: to.to_string(),
            subject: format!("Invoice {number}"),
            text: String::new(),
            html: None,
            attachments: vec![],
        });
    let queued = Arc::new(Mutex::new(Vec::new()));
    let q = queued.clone();
    env.outbox
        .expect_enqueue()
        .times(2)
        .returning(move |_, o, m| {
            assert_eq!(o, Some(ORG));
            q.lock().unwrap().push(m);
            Ok(crm_domain::kernel::ids::OutboxId::new())
        });
    let (job, probe) = make_job(env);
    assert_eq!(job.make_due(ORG, t.id, now()).await.unwrap(), 2);
    let mails = queued.lock().unwrap().clone();
    assert_eq!(mails.len(), 2);
    for (m, number) in mails.iter().zip(["INV-2026-0001", "INV-2026-0002"]) {
        assert_eq!(m.to, "ap@globex.example");
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].filename, format!("{number}.pdf"));
        assert_eq!(m.attachments[0].content_type, "application/pdf");
        assert_eq!(
            m.attachments[0].content,
            format!("%PDF {number}").into_bytes()
        );
    }
    // Each invoice: made, issued, then sent (one version on, `sent_at` stamped).
    let sent: Vec<_> = issued_ones(&log)
        .into_iter()
        .filter(|(i, _)| i.sent_at.is_some())
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(
        sent.iter()
            .all(|(i, v)| *v == 2 && i.version == 3 && i.sent_at == Some(now()))
    );
    assert_eq!(actions(&probe), ["created", "issued", "sent"].repeat(2));
    assert_eq!(probe.begins(), 1);
    assert!(probe.committed());
}
