//! Unit tests of the service, the job and the notification rule, with mocked ports (see
//! test_support).

use super::*;
use crate::test_support::*;
use chrono::NaiveDate;
use crm_domain::clients::ClientId;
use crm_domain::{Actor, DomainError, StoreError, UserId};
use std::sync::{Arc, Mutex};

const WRITER: &[&str] = &[
    "contracts:read",
    "contracts:write",
    "contracts:delete",
    "clients:read",
];

/// An active contract of 2026 (Jan 1 – Dec 31), 60 days' notice, at version 1.
fn contract(status: ContractStatus, auto_renew: bool) -> Contract {
    let t = now() - chrono::Duration::days(10);
    Contract {
        id: ContractId::new(),
        organization_id: ORG,
        number: "CT-2026-0001".into(),
        client_id: ClientId::new(),
        title: "Support".into(),
        value: 1_200_000,
        currency: usd(),
        start_date: day("2026-01-01"),
        end_date: day("2026-12-31"),
        status,
        auto_renew,
        renewal_months: 12,
        notice_days: Some(60),
        notice_date: Some(day("2026-11-01")),
        signed_on: Some(day("2025-12-15")),
        description: None,
        file_id: None,
        renewed_from_id: None,
        owner_id: UserId::new(),
        termination_reason: None,
        terminated_on: None,
        notice_told_for: None,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

fn input(client: ClientId) -> ContractInput {
    ContractInput {
        client_id: client,
        title: "Support".into(),
        value: Some(1_200_000),
        currency: None,
        start_date: "2026-01-01".into(),
        end_date: "2026-12-31".into(),
        auto_renew: true,
        renewal_months: None,
        notice_days: Some(60),
        signed_on: None,
        description: None,
        file_id: None,
        owner_id: None,
    }
}

/// `contracts.get_for_update` answers `c` (once), and updates are captured.
fn stored(env: &mut Env, c: &Contract) -> Arc<Mutex<Vec<Contract>>> {
    let current = c.clone();
    env.contracts
        .expect_get_for_update()
        .returning(move |_, _, _| Ok(current.clone()));
    let written = Arc::new(Mutex::new(Vec::new()));
    let w = written.clone();
    env.contracts.expect_update().returning(move |_, c, _| {
        w.lock().unwrap().push(c.clone());
        Ok(())
    });
    written
}

fn code(e: DomainError) -> &'static str {
    match e {
        DomainError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn fields(e: DomainError) -> Vec<String> {
    match e {
        DomainError::Invalid(errs) => errs.into_iter().map(|f| f.field).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_contract_is_a_numbered_draft_with_its_notice_date() {
    let a = actor(ORG, WRITER);
    let c = client(ORG, a.user_id);
    let mut env = Env::new()
        .with_org(organization())
        .with_client(c.clone())
        .with_number(CONTRACT_COUNTER, 7);
    env.contracts
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    let (ports, probe) = env.build();
    let made = ContractService::new(ports)
        .create(&a, input(c.id))
        .await
        .unwrap();
    assert_eq!(made.number, "CT-2026-0007");
    assert_eq!(made.status, ContractStatus::Draft);
    assert_eq!(made.notice_date, Some(day("2026-11-01")));
    assert_eq!(made.renewal_months, 12);
    assert_eq!(made.owner_id, a.user_id);
    assert_eq!(made.currency, usd());
    assert_eq!(actions(&probe), ["created"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn a_bad_body_takes_no_number() {
    let a = actor(ORG, WRITER);
    let c = client(ORG, a.user_id);
    // No counter expectation: taking a number would fail the test.
    let (ports, probe) = Env::new()
        .with_org(organization())
        .with_client(c.clone())
        .build();
    let bad = ContractInput {
        end_date: "2025-12-31".into(),
        renewal_months: Some(0),
        notice_days: Some(-1),
        title: " ".into(),
        ..input(c.id)
    };
    let e = ContractService::new(ports)
        .create(&a, bad)
        .await
        .unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(f, ["end_date", "notice_days", "renewal_months", "title"]);
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_client_out_of_sight_is_refused_on_client_id() {
    let a = actor(ORG, WRITER);
    let other = client(ORG, a.user_id);
    let (ports, _) = Env::new()
        .with_org(organization())
        .with_client(other)
        .build();
    let e = ContractService::new(ports)
        .create(&a, input(ClientId::new()))
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["client_id"]);
}

#[tokio::test]
async fn only_drafts_and_active_contracts_are_edited() {
    let a = actor(ORG, WRITER);
    for status in [
        ContractStatus::Expired,
        ContractStatus::Terminated,
        ContractStatus::Renewed,
    ] {
        let c = contract(status, false);
        let mut env = Env::new();
        stored(&mut env, &c);
        let (ports, _) = env.build();
        let patch = ContractPatch {
            title: Some("New".into()),
            ..Default::default()
        };
        let e = ContractService::new(ports)
            .update(&a, c.id, None, patch)
            .await
            .unwrap_err();
        assert_eq!(code(e), "contract-status");
    }
}

#[tokio::test]
async fn a_new_end_moves_the_notice_date() {
    let a = actor(ORG, WRITER);
    let c = contract(ContractStatus::Active, false);
    let mut env = Env::new();
    let written = stored(&mut env, &c);
    let (ports, _) = env.build();
    let patch = ContractPatch {
        end_date: Some("2027-06-30".into()),
        notice_days: Some(Some(30)),
        ..Default::default()
    };
    let next = ContractService::new(ports)
        .update(&a, c.id, Some(1), patch)
        .await
        .unwrap();
    assert_eq!(next.notice_date, Some(day("2027-05-31")));
    assert_eq!(next.version, 2);
    assert_eq!(written.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_end_before_the_start_is_refused_on_end_date() {
    let a = actor(ORG, WRITER);
    let c = contract(ContractStatus::Draft, false);
    let mut env = Env::new();
    stored(&mut env, &c);
    let (ports, _) = env.build();
    let patch = ContractPatch {
        end_date: Some("2026-01-01".into()),
        ..Default::default()
    };
    let e = ContractService::new(ports)
        .update(&a, c.id, None, patch)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["end_date"]);
}

#[tokio::test]
async fn activation_moves_drafts_only() {
    let a = actor(ORG, WRITER);
    let draft = contract(ContractStatus::Draft, false);
    let mut env = Env::new();
    stored(&mut env, &draft);
    let (ports, probe) = env.build();
    let next = ContractService::new(ports)
        .activate(&a, draft.id, Some(1))
        .await
        .unwrap();
    assert_eq!(next.status, ContractStatus::Active);
    assert_eq!(actions(&probe), ["activated"]);

    let active = contract(ContractStatus::Active, false);
    let mut env = Env::new();
    stored(&mut env, &active);
    let (ports, _) = env.build();
    let e = ContractService::new(ports)
        .activate(&a, active.id, None)
        .await
        .unwrap_err();
    assert_eq!(code(e), "contract-status");
}

#[tokio::test]
async fn termination_needs_a_reason_and_a_day_of_the_term() {
    let a = actor(ORG, WRITER);
    let c = contract(ContractStatus::Active, false);
    let (ports, _) = Env::new().build();
    let e = ContractService::new(ports)
        .terminate(
            &a,
            c.id,
            None,
            TerminateInput {
                reason: "  ".into(),
                effective_date: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["reason"]);

    let mut env = Env::new().with_org(organization());
    stored(&mut env, &c);
    let (ports, _) = env.build();
    let e = ContractService::new(ports)
        .terminate(
            &a,
            c.id,
            None,
            TerminateInput {
                reason: "Office closed".into(),
                effective_date: Some("2027-01-15".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["effective_date"]);

    let mut env = Env::new().with_org(organization());
    stored(&mut env, &c);
    let (ports, probe) = env.build();
    let next = ContractService::new(ports)
        .terminate(
            &a,
            c.id,
            None,
            TerminateInput {
                reason: "Office closed".into(),
                effective_date: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(next.status, ContractStatus::Terminated);
    // Today (2026-03-01) is within the term.
    assert_eq!(next.terminated_on, Some(day("2026-03-01")));
    assert_eq!(next.termination_reason.as_deref(), Some("Office closed"));
    assert_eq!(actions(&probe), ["terminated"]);
}

#[tokio::test]
async fn a_renewal_makes_a_numbered_successor_from_the_day_after_the_end() {
    let a = actor(ORG, WRITER);
    let c = contract(ContractStatus::Expired, false);
    let mut env = Env::new()
        .with_org(organization())
        .with_number(CONTRACT_COUNTER, 9);
    let written = stored(&mut env, &c);
    let created = Arc::new(Mutex::new(Vec::new()));
    let made = created.clone();
    env.contracts
        .expect_create()
        .times(1)
        .returning(move |_, c| {
            made.lock().unwrap().push(c.clone());
            Ok(())
        });
    let (ports, probe) = env.build();
    let successor = ContractService::new(ports)
        .renew(&a, c.id, Some(1))
        .await
        .unwrap();
    assert_eq!(successor.number, "CT-2026-0009");
    assert_eq!(successor.status, ContractStatus::Active);
    assert_eq!(
        (successor.start_date, successor.end_date),
        (day("2027-01-01"), day("2027-12-31"))
    );
    assert_eq!(successor.notice_date, Some(day("2027-11-01")));
    assert_eq!(successor.renewed_from_id, Some(c.id));
    assert_eq!(
        (successor.client_id, successor.value, successor.currency),
        (c.client_id, c.value, c.currency)
    );
    assert_eq!(successor.signed_on, None);
    let old = written.lock().unwrap()[0].clone();
    assert_eq!(old.status, ContractStatus::Renewed);
    assert_eq!(created.lock().unwrap()[0], successor);
    assert_eq!(actions(&probe), ["renewed", "created"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn only_active_or_expired_contracts_are_renewed() {
    let a = actor(ORG, WRITER);
    for status in [
        ContractStatus::Draft,
        ContractStatus::Terminated,
        ContractStatus::Renewed,
    ] {
        let c = contract(status, false);
        let mut env = Env::new()
            .with_org(organization())
            .with_number(CONTRACT_COUNTER, 1);
        stored(&mut env, &c);
        let (ports, probe) = env.build();
        let e = ContractService::new(ports)
            .renew(&a, c.id, None)
            .await
            .unwrap_err();
        assert_eq!(code(e), "contract-status");
        // The transaction that took the number is rolled back: the number is given back.
        assert!(!probe.committed());
    }
}

#[tokio::test]
async fn a_second_successor_is_a_conflict() {
    let a = actor(ORG, WRITER);
    let c = contract(ContractStatus::Active, true);
    let mut env = Env::new()
        .with_org(organization())
        .with_number(CONTRACT_COUNTER, 2);
    stored(&mut env, &c);
    env.contracts.expect_create().returning(|_, _| {
        Err(StoreError::Conflict {
            constraint: "ux_contracts_renewed_from".into(),
        })
    });
    let (ports, probe) = env.build();
    let e = ContractService::new(ports)
        .renew(&a, c.id, None)
        .await
        .unwrap_err();
    assert_eq!(code(e), "contract-status");
    assert!(!probe.committed());
}

#[tokio::test]
async fn a_deleted_contract_must_be_a_draft() {
    let a = actor(ORG, WRITER);
    let c = contract(ContractStatus::Active, false);
    let mut env = Env::new();
    stored(&mut env, &c);
    let (ports, _) = env.build();
    let e = ContractService::new(ports)
        .delete(&a, c.id)
        .await
        .unwrap_err();
    assert_eq!(code(e), "contract-status");
}

#[tokio::test]
async fn contracts_need_their_permissions() {
    let a: Actor = actor(ORG, &["clients:read"]);
    let (ports, _) = Env::new().build();
    let s = ContractService::new(ports);
    assert!(matches!(
        s.get(&a, ContractId::new()).await,
        Err(DomainError::Forbidden { .. })
    ));
    assert!(matches!(
        s.create(&a, input(ClientId::new())).await,
        Err(DomainError::Forbidden { .. })
    ));
}

/// `contracts.get` (the job's read before its transaction) answers `c`, any number of times.
fn readable(env: &mut Env, c: &Contract) {
    let seen = c.clone();
    env.contracts
        .expect_get()
        .returning(move |_, _| Ok(seen.clone()));
}

/// The job's ports: the organization (in `zone`), `get` answering `c`, and `claim`
/// answering `c` once.
fn job_env(c: &Contract, zone: &str) -> Env {
    let mut env = Env::new().with_org(organization_in(zone));
    readable(&mut env, c);
    let current = c.clone();
    env.contract_lookups
        .expect_claim()
        .times(1)
        .returning(move |_, _, _| Ok(Some(current.clone())));
    env
}

fn at_utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    at(s)
}

#[tokio::test]
async fn the_job_renews_an_auto_renewing_contract_the_day_after_its_end() {
    let c = contract(ContractStatus::Active, true);
    let mut env = job_env(&c, "UTC");
    env.counters
        .expect_next()
        .withf(|_, _, k, y| k == CONTRACT_COUNTER && *y == 2027)
        .times(1)
        .returning(|_, _, _, _| Ok(1));
    let written = Arc::new(Mutex::new(Vec::new()));
    let w = written.clone();
    env.contracts.expect_update().returning(move |_, c, v| {
        assert_eq!(v, 1);
        w.lock().unwrap().push(c.clone());
        Ok(())
    });
    env.contracts
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    let (ports, probe) = env.build();
    let outcome = ContractJob::new(ports)
        .end_term(ORG, c.id, at_utc("2027-01-01T00:30:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, job::Outcome::Renewed);
    assert_eq!(written.lock().unwrap()[0].status, ContractStatus::Renewed);
    let entries = probe.audit();
    assert_eq!(actions(&probe), ["renewed", "created"]);
    // By the server, not a user; the owner is told through the entry's record.
    assert!(entries.iter().all(|e| e.actor_id.is_none()));
    assert_eq!(owner_of(&entries[0], "renewed"), [c.owner_id]);
    assert!(probe.committed());
}

#[tokio::test]
async fn the_job_expires_a_contract_that_does_not_renew() {
    let c = contract(ContractStatus::Active, false);
    // No counter expectation: an expiry takes no number (it would be a gap).
    let mut env = job_env(&c, "UTC");
    let written = Arc::new(Mutex::new(Vec::new()));
    let w = written.clone();
    env.contracts.expect_update().returning(move |_, c, _| {
        w.lock().unwrap().push(c.clone());
        Ok(())
    });
    let (ports, probe) = env.build();
    let outcome = ContractJob::new(ports)
        .end_term(ORG, c.id, at_utc("2027-01-03T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, job::Outcome::Expired);
    assert_eq!(written.lock().unwrap()[0].status, ContractStatus::Expired);
    assert_eq!(actions(&probe), ["expired"]);
    assert!(probe.committed());
}

#[tokio::test]
async fn the_end_is_judged_in_the_organizations_time_zone() {
    // 2027-01-01 03:00 UTC is still 2026-12-31 in New York: the term has not ended there.
    let c = contract(ContractStatus::Active, false);
    let mut env = Env::new().with_org(organization_in("America/New_York"));
    readable(&mut env, &c);
    let (ports, probe) = env.build();
    let outcome = ContractJob::new(ports)
        .end_term(ORG, c.id, at_utc("2027-01-01T03:00:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, job::Outcome::Nothing);
    assert!(probe.audit().is_empty());
    assert!(!probe.committed());
}

#[tokio::test]
async fn a_contract_another_instance_holds_is_left_to_it() {
    let c = contract(ContractStatus::Active, true);
    let mut env = Env::new().with_org(organization());
    readable(&mut env, &c);
    env.counters.expect_next().returning(|_, _, _, _| Ok(1));
    env.contract_lookups
        .expect_claim()
        .returning(|_, _, _| Ok(None));
    let (ports, probe) = env.build();
    let outcome = ContractJob::new(ports)
        .end_term(ORG, c.id, at_utc("2027-02-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, job::Outcome::Nothing);
    assert!(!probe.committed());
}

#[tokio::test]
async fn the_owner_is_told_of_a_notice_date_once() {
    let c = contract(ContractStatus::Active, false);
    let mut env = job_env(&c, "UTC");
    env.contract_lookups
        .expect_mark_notice_told()
        .withf(|_, _, _, d| *d == NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let (ports, probe) = env.build();
    let outcome = ContractJob::new(ports)
        .tell_notice(ORG, c.id, at_utc("2026-11-02T08:00:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, job::Outcome::Told);
    let entries = probe.audit();
    assert_eq!(actions(&probe), ["notice_due"]);
    assert_eq!(owner_of(&entries[0], "notice_due"), [c.owner_id]);
    assert!(owner_of(&entries[0], "expired").is_empty());

    // Told for that date already: nothing more.
    let told = Contract {
        notice_told_for: Some(day("2026-11-01")),
        ..c.clone()
    };
    let (ports, probe) = job_env(&told, "UTC").build();
    let outcome = ContractJob::new(ports)
        .tell_notice(ORG, c.id, at_utc("2026-11-03T08:00:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, job::Outcome::Nothing);
    assert!(probe.audit().is_empty());

    // A new end makes a new notice date, told again when it comes.
    let moved = Contract {
        end_date: day("2027-03-31"),
        ..told
    }
    .with_notice_date();
    assert!(!moved.notice_due(day("2026-11-03")));
    assert!(moved.notice_due(day("2027-01-30")));
}

#[test]
fn a_contract_before_its_notice_date_or_not_active_is_not_due() {
    let c = contract(ContractStatus::Active, false);
    assert!(!c.notice_due(day("2026-10-31")));
    assert!(c.notice_due(day("2026-11-01")));
    let draft = contract(ContractStatus::Draft, false);
    assert!(!draft.notice_due(day("2026-11-15")));
    let none = Contract {
        notice_days: None,
        ..c
    }
    .with_notice_date();
    assert!(!none.notice_due(day("2026-12-30")));
}

#[tokio::test]
async fn a_renewal_switched_off_meanwhile_gives_its_number_back() {
    let seen = contract(ContractStatus::Active, true);
    let now_off = Contract {
        auto_renew: false,
        ..seen.clone()
    };
    let mut env = Env::new().with_org(organization());
    readable(&mut env, &seen);
    env.counters
        .expect_next()
        .times(1)
        .returning(|_, _, _, _| Ok(4));
    env.contract_lookups
        .expect_claim()
        .returning(move |_, _, _| Ok(Some(now_off.clone())));
    let (ports, probe) = env.build();
    let outcome = ContractJob::new(ports)
        .end_term(ORG, seen.id, at_utc("2027-01-05T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(outcome, job::Outcome::Nothing);
    assert!(probe.audit().is_empty());
    // Not committed: the number taken is given back.
    assert!(!probe.committed());
}
