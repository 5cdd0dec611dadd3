//! Unit tests of the service and the notification rules, with mocked ports (see test_support).

use super::*;
use crate::test_support::*;
use crm_domain::activity::NewActivity;
use crm_domain::files::FileId;
use crm_domain::mail::MockMailTemplates;
use crm_domain::notifications::Notifier;
use crm_domain::{Actor, DomainError, StoreError, UserId};
use std::sync::{Arc, Mutex};

/// An employee's expense permissions (`:own`).
const EMPLOYEE: &[&str] = &[
    "expenses:read:own",
    "expenses:write:own",
    "expenses:delete:own",
];
/// Finance: every expense, approvals included.
const FINANCE: &[&str] = &[
    "expenses:read",
    "expenses:write",
    "expenses:delete",
    "expenses:approve",
    "clients:read",
];

const STATUSES: [ExpenseStatus; 5] = [
    ExpenseStatus::Draft,
    ExpenseStatus::Submitted,
    ExpenseStatus::Approved,
    ExpenseStatus::Rejected,
    ExpenseStatus::Reimbursed,
];

/// An expense of `submitter` of 5 000 USD in `status`, at version 1.
fn expense(submitter: UserId, status: ExpenseStatus) -> Expense {
    let t = now() - chrono::Duration::days(1);
    Expense {
        id: ExpenseId::new(),
        organization_id: ORG,
        description: "Taxi".into(),
        category: "travel".into(),
        amount: 5_000,
        currency: usd(),
        incurred_on: day("2026-02-27"),
        merchant: None,
        project_id: None,
        client_id: None,
        billable: false,
        receipt_file_id: None,
        submitted_by: submitter,
        status,
        approved_amount: None,
        decided_by: None,
        decided_at: None,
        rejection_reason: None,
        reimbursed_at: None,
        invoice_id: None,
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

fn input() -> ExpenseInput {
    ExpenseInput {
        description: "  Taxi from the airport ".into(),
        category: "travel".into(),
        amount: 4_250,
        currency: None,
        incurred_on: None,
        merchant: Some("City Cabs".into()),
        project_id: None,
        client_id: None,
        billable: true,
        receipt_file_id: None,
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

/// The code of a `403`.
fn forbidden<T: std::fmt::Debug>(r: Result<T, DomainError>) -> &'static str {
    match r {
        Err(DomainError::Forbidden { code, .. }) => code,
        other => panic!("expected 403, got {other:?}"),
    }
}

/// `expenses.get_for_update` (and `get`) answer from `stored` by id, `NotFound` otherwise.
fn stored(env: &mut Env, stored: Vec<Expense>) {
    let s = stored.clone();
    env.expenses
        .expect_get_for_update()
        .returning(move |_, o, id| {
            s.iter()
                .find(|e| e.id == id && o == ORG)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
    env.expenses.expect_get().returning(move |o, id| {
        stored
            .iter()
            .find(|e| e.id == id && o == ORG)
            .cloned()
            .ok_or(StoreError::NotFound)
    });
}

/// `expenses.update` accepts any write and keeps it, with the version expected.
fn writes(env: &mut Env) -> Arc<Mutex<Vec<(Expense, i64)>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    env.expenses.expect_update().returning(move |_, e, v| {
        l.lock().unwrap().push((e.clone(), v));
        Ok(())
    });
    log
}

fn approvers(env: &mut Env, users: Vec<UserId>) {
    env.expense_lookups
        .expect_approvers()
        .returning(move |_| Ok(users.clone()));
    reporting_line(env, None);
}

/// The submitter's manager's user, whoever submitted.
fn reporting_line(env: &mut Env, manager: Option<UserId>) {
    env.expense_lookups
        .expect_manager_user()
        .returning(move |_, _| Ok(manager));
}

fn service(env: Env) -> (ExpenseService, Probe) {
    let (ports, probe) = env.build();
    (ExpenseService::new(ports), probe)
}

#[tokio::test]
async fn a_draft_is_the_callers_in_the_organizations_currency_dated_its_today() {
    let a = actor(ORG, EMPLOYEE);
    let mut env = Env::new().with_org(organization_in("Pacific/Auckland"));
    env.expenses
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    let (svc, probe) = service(env);
    let e = svc.create(&a, input()).await.unwrap();
    assert_eq!(e.submitted_by, a.user_id);
    assert_eq!(e.status, ExpenseStatus::Draft);
    assert_eq!(e.currency, usd());
    // 2026-03-01 12:00 UTC is already the 2nd in Auckland.
    assert_eq!(e.incurred_on, day("2026-03-02"));
    assert_eq!(e.description, "Taxi from the airport");
    assert_eq!((e.amount, e.billable, e.version), (4_250, true, 1));
    assert!(e.approved_amount.is_none() && e.decided_by.is_none());
    assert!(probe.committed());
    assert_eq!(actions(&probe), ["created"]);
}

#[tokio::test]
async fn every_bad_field_of_a_creation_is_named() {
    let a = actor(ORG, EMPLOYEE);
    let mut env = Env::new().with_org(organization());
    env.expense_lookups
        .expect_file_exists()
        .returning(|_, _| Ok(false));
    // No such project in the organization.
    env.projects
        .expect_get()
        .returning(|_, _| Err(StoreError::NotFound));
    let (svc, probe) = service(env);
    let bad = ExpenseInput {
        description: " ".into(),
        category: "x".repeat(101),
        amount: 0,
        currency: Some("XXQ".into()),
        incurred_on: Some("2026-02-30".into()),
        merchant: Some("m".repeat(201)),
        project_id: Some(uuid::Uuid::now_v7()),
        // An employee sees no client.
        client_id: Some(crm_domain::clients::ClientId::new()),
        billable: false,
        receipt_file_id: Some(FileId::new()),
    };
    let mut got = fields(svc.create(&a, bad).await);
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("amount", "out_of_range"),
        ("category", "too_long"),
        ("client_id", "not_found"),
        ("currency", "invalid"),
        ("description", "required"),
        ("incurred_on", "invalid"),
        ("merchant", "too_long"),
        ("project_id", "not_found"),
        ("receipt_file_id", "not_found"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(probe.begins(), 0);
}

#[tokio::test]
async fn a_receipt_of_the_organization_and_a_visible_client_are_taken() {
    let a = actor(ORG, FINANCE);
    let c = client(ORG, UserId::new());
    let file = FileId::new();
    let mut env = Env::new().with_org(organization()).with_client(c.clone());
    env.expense_lookups
        .expect_file_exists()
        .withf(move |o, f| *o == ORG && *f == file)
        .returning(|_, _| Ok(true));
    env.expenses.expect_create().returning(|_, _| Ok(()));
    let (svc, _) = service(env);
    let e = svc
        .create(
            &a,
            ExpenseInput {
                client_id: Some(c.id),
                receipt_file_id: Some(file),
                currency: Some("eur".into()),
                incurred_on: Some("2025-12-31".into()),
                ..input()
            },
        )
        .await
        .unwrap();
    assert_eq!((e.client_id, e.receipt_file_id), (Some(c.id), Some(file)));
    assert_eq!((e.currency, e.incurred_on), (eur(), day("2025-12-31")));
}

#[tokio::test]
async fn only_a_draft_is_edited_or_deleted() {
    let a = actor(ORG, EMPLOYEE);
    let all: Vec<Expense> = STATUSES.iter().map(|s| expense(a.user_id, *s)).collect();
    let mut env = Env::new();
    stored(&mut env, all.clone());
    let log = writes(&mut env);
    env.expenses
        .expect_delete()
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (svc, probe) = service(env);
    let patch = ExpensePatch {
        amount: Some(3_900),
        merchant: Some(None),
        ..ExpensePatch::default()
    };
    for e in &all[1..] {
        let r = svc.update(&a, e.id, None, patch.clone()).await;
        assert_eq!(conflict(r), "expense-not-draft", "{}", e.status);
        assert_eq!(conflict(svc.delete(&a, e.id).await), "expense-not-draft");
    }
    let d = svc.update(&a, all[0].id, Some(1), patch).await.unwrap();
    assert_eq!((d.amount, d.version), (3_900, 2));
    assert_eq!(log.lock().unwrap()[0].1, 1);
    svc.delete(&a, all[0].id).await.unwrap();
    assert_eq!(actions(&probe), ["updated", "deleted"]);
}

#[tokio::test]
async fn under_own_another_persons_expense_is_404_and_a_stale_version_412() {
    let a = actor(ORG, EMPLOYEE);
    let theirs = expense(UserId::new(), ExpenseStatus::Draft);
    let mine = expense(a.user_id, ExpenseStatus::Draft);
    let mut env = Env::new();
    stored(&mut env, vec![theirs.clone(), mine.clone()]);
    approvers(&mut env, vec![]);
    let (svc, probe) = service(env);
    assert_eq!(svc.get(&a, theirs.id).await, Err(DomainError::NotFound));
    let patch = ExpensePatch {
        billable: Some(true),
        ..ExpensePatch::default()
    };
    let r = svc.update(&a, theirs.id, None, patch.clone()).await;
    assert_eq!(r, Err(DomainError::NotFound));
    assert_eq!(svc.delete(&a, theirs.id).await, Err(DomainError::NotFound));
    assert_eq!(
        svc.submit(&a, theirs.id, None).await,
        Err(DomainError::NotFound)
    );
    let r = svc.update(&a, mine.id, Some(7), patch).await;
    assert_eq!(r, Err(DomainError::Stale));
    assert_eq!(
        svc.submit(&a, mine.id, Some(2)).await,
        Err(DomainError::Stale)
    );
    assert!(!probe.committed());
}

#[tokio::test]
async fn only_the_submitter_submits_even_with_every_expense_in_reach() {
    let a = actor(ORG, FINANCE);
    let theirs = expense(UserId::new(), ExpenseStatus::Draft);
    let mut env = Env::new();
    stored(&mut env, vec![theirs.clone()]);
    approvers(&mut env, vec![a.user_id]);
    let (svc, probe) = service(env);
    let r = svc.submit(&a, theirs.id, None).await;
    assert_eq!(forbidden(r), "expense-not-submitter");
    assert!(!probe.committed());
}

#[tokio::test]
async fn a_submission_lists_the_approvers_but_never_the_submitter() {
    let a = actor(ORG, FINANCE);
    let (m1, m2) = (UserId::new(), UserId::new());
    let mine = expense(a.user_id, ExpenseStatus::Draft);
    let mut env = Env::new();
    stored(&mut env, vec![mine.clone()]);
    approvers(&mut env, vec![m1, a.user_id, m2]);
    let log = writes(&mut env);
    let (svc, probe) = service(env);
    let e = svc.submit(&a, mine.id, Some(1)).await.unwrap();
    assert_eq!((e.status, e.version), (ExpenseStatus::Submitted, 2));
    assert_eq!(log.lock().unwrap().len(), 1);
    let entry = &probe.audit()[0];
    assert_eq!(entry.event_type().as_deref(), Some("expense.submitted"));
    assert_eq!(
        crm_domain::kernel::testing::notified(
            crate::requirements::NOTIFICATION_TYPES,
            "expense.submitted",
            entry
        ),
        vec![m1, m2]
    );
    assert!(probe.committed());
}

#[tokio::test]
async fn every_illegal_move_is_409_expense_status() {
    let me = actor(ORG, FINANCE);
    let approver = actor(ORG, FINANCE);
    let submitter = UserId::new();
    let all: Vec<Expense> = STATUSES
        .iter()
        .map(|s| expense(me.user_id, *s))
        .chain(STATUSES.iter().map(|s| expense(submitter, *s)))
        .collect();
    let mut env = Env::new();
    stored(&mut env, all.clone());
    approvers(&mut env, vec![]);
    let (svc, probe) = service(env);
    let reject = || RejectInput {
        reason: "No receipt".into(),
    };
    for e in all.iter().filter(|e| e.submitted_by == me.user_id) {
        if e.status != ExpenseStatus::Draft {
            let r = svc.submit(&me, e.id, None).await;
            assert_eq!(conflict(r), "expense-status", "submit {}", e.status);
        }
    }
    for e in all.iter().filter(|e| e.submitted_by == submitter) {
        if e.status != ExpenseStatus::Submitted {
            let r = svc
                .approve(&approver, e.id, None, ApproveInput::default())
                .await;
            assert_eq!(conflict(r), "expense-status", "approve {}", e.status);
            let r = svc.reject(&approver, e.id, None, reject()).await;
            assert_eq!(conflict(r), "expense-status", "reject {}", e.status);
        }
        if e.status != ExpenseStatus::Approved {
            let r = svc.reimburse(&approver, e.id, None).await;
            assert_eq!(conflict(r), "expense-status", "reimburse {}", e.status);
        }
    }
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn nobody_approves_or_rejects_their_own_expense() {
    let a = actor(ORG, FINANCE);
    let mine = expense(a.user_id, ExpenseStatus::Submitted);
    let mut env = Env::new();
    stored(&mut env, vec![mine.clone()]);
    let (svc, probe) = service(env);
    let r = svc
        .approve(&a, mine.id, None, ApproveInput::default())
        .await;
    assert_eq!(forbidden(r), "expense-own-claim");
    let r = svc
        .reject(
            &a,
            mine.id,
            None,
            RejectInput {
                reason: "Mine".into(),
            },
        )
        .await;
    assert_eq!(forbidden(r), "expense-own-claim");
    assert!(!probe.committed());
}

#[tokio::test]
async fn deciding_needs_expenses_approve_or_the_reporting_line() {
    let submitter = UserId::new();
    let manager = UserId::new();
    let x = expense(submitter, ExpenseStatus::Submitted);
    let mut env = Env::new();
    stored(&mut env, vec![x.clone()]);
    reporting_line(&mut env, Some(manager));
    let log = writes(&mut env);
    let (svc, probe) = service(env);
    // Another employee cannot see it (404); a reader of every expense who is neither an
    // approver nor the manager is refused (403); nobody reimburses without the permission.
    let other = actor(ORG, EMPLOYEE);
    let reader = Actor::new(UserId::new(), ORG, vec!["expenses:read".to_string()]);
    for (a, forbidden) in [(&other, false), (&reader, true)] {
        for r in [
            svc.approve(a, x.id, None, ApproveInput::default()).await,
            svc.reject(a, x.id, None, RejectInput { reason: "r".into() })
                .await,
        ] {
            if forbidden {
                assert!(matches!(r, Err(DomainError::Forbidden { .. })), "{r:?}");
            } else {
                assert!(matches!(r, Err(DomainError::NotFound)), "{r:?}");
            }
        }
    }
    let r = svc.reimburse(&other, x.id, None).await;
    assert!(matches!(r, Err(DomainError::Forbidden { .. })), "{r:?}");
    assert_eq!(probe.begins(), 0);
    // The manager's user decides, whatever their roles.
    let boss = Actor::new(manager, ORG, EMPLOYEE.iter().map(|c| c.to_string()));
    let done = svc
        .approve(&boss, x.id, None, ApproveInput::default())
        .await
        .unwrap();
    assert_eq!(done.status, ExpenseStatus::Approved);
    assert_eq!(done.decided_by, Some(manager));
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_approved_amount_is_the_whole_amount_or_part_of_it() {
    let approver = actor(ORG, FINANCE);
    let submitter = UserId::new();
    let (x, y) = (
        expense(submitter, ExpenseStatus::Submitted),
        expense(submitter, ExpenseStatus::Submitted),
    );
    let mut env = Env::new();
    stored(&mut env, vec![x.clone(), y.clone()]);
    let log = writes(&mut env);
    let (svc, probe) = service(env);
    for bad in [0, -1, 5_001] {
        let r = svc
            .approve(
                &approver,
                x.id,
                None,
                ApproveInput {
                    approved_amount: Some(bad),
                },
            )
            .await;
        assert_eq!(fields(r), pair("approved_amount", "out_of_range"), "{bad}");
    }
    let whole = svc
        .approve(&approver, x.id, Some(1), ApproveInput::default())
        .await
        .unwrap();
    assert_eq!(whole.approved_amount, Some(5_000));
    assert_eq!(whole.status, ExpenseStatus::Approved);
    assert_eq!(
        (whole.decided_by, whole.decided_at),
        (Some(approver.user_id), Some(now()))
    );
    let part = svc
        .approve(
            &approver,
            y.id,
            None,
            ApproveInput {
                approved_amount: Some(5_000 - 1),
            },
        )
        .await
        .unwrap();
    assert_eq!(part.approved_amount, Some(4_999));
    assert_eq!(log.lock().unwrap().len(), 2);
    assert_eq!(actions(&probe), ["approved", "approved"]);
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_keeps_it() {
    let approver = actor(ORG, FINANCE);
    let e = expense(UserId::new(), ExpenseStatus::Submitted);
    let mut env = Env::new();
    stored(&mut env, vec![e.clone()]);
    writes(&mut env);
    let (svc, probe) = service(env);
    for reason in ["", "   ", &"r".repeat(1001)] {
        let r = svc
            .reject(
                &approver,
                e.id,
                None,
                RejectInput {
                    reason: reason.into(),
                },
            )
            .await;
        let got = fields(r);
        assert_eq!(got[0].0, "reason", "{reason:?}");
    }
    assert_eq!(probe.begins(), 0);
    let r = svc
        .reject(
            &approver,
            e.id,
            None,
            RejectInput {
                reason: " No receipt ".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(r.status, ExpenseStatus::Rejected);
    assert_eq!(r.rejection_reason.as_deref(), Some("No receipt"));
    assert_eq!(r.decided_by, Some(approver.user_id));
    assert_eq!(actions(&probe), ["rejected"]);
}

#[tokio::test]
async fn an_approved_expense_is_reimbursed_once() {
    let approver = actor(ORG, FINANCE);
    let e = Expense {
        approved_amount: Some(4_000),
        ..expense(UserId::new(), ExpenseStatus::Approved)
    };
    let mut env = Env::new();
    stored(&mut env, vec![e.clone()]);
    writes(&mut env);
    let (svc, probe) = service(env);
    let r = svc.reimburse(&approver, e.id, Some(1)).await.unwrap();
    assert_eq!(r.status, ExpenseStatus::Reimbursed);
    assert_eq!(r.reimbursed_at, Some(now()));
    assert_eq!(r.approved_amount, Some(4_000));
    assert_eq!(actions(&probe), ["reimbursed"]);
}

fn entry_for(actor: &Actor, action: &'static str, e: &Expense) -> NewActivity {
    crm_domain::activity::audit::changed(actor, action, e, e)
}

#[test]
fn approvers_are_told_of_a_submission_and_the_submitter_of_the_decision() {
    let notifier = Notifier::new(
        crate::requirements::NOTIFICATION_TYPES.to_vec(),
        Arc::new(MockMailTemplates::new()),
    );
    let approver = actor(ORG, FINANCE);
    let submitter = actor(ORG, EMPLOYEE);
    let e = expense(submitter.user_id, ExpenseStatus::Approved);
    let mut submitted = entry_for(&submitter, "submitted", &e);
    submitted.changes.push(crm_domain::activity::FieldChange {
        field: crm_domain::notifications::rules::NOTIFY_FIELD.into(),
        before: serde_json::Value::Null,
        after: serde_json::json!([approver.user_id.0.to_string()]),
    });
    let told = |entry: &NewActivity| -> Vec<(UserId, &'static str)> {
        notifier
            .notices(entry)
            .into_iter()
            .map(|n| (n.user_id, n.r#type))
            .collect()
    };
    assert_eq!(told(&submitted), [(approver.user_id, "expense.submitted")]);
    for verb in ["approved", "rejected", "reimbursed"] {
        let decided = entry_for(&approver, verb, &e);
        let want = format!("expense.{verb}");
        let got = told(&decided);
        assert_eq!(got.len(), 1, "{verb}");
        assert_eq!((got[0].0, got[0].1), (submitter.user_id, want.as_str()));
    }
    // Nobody for the other changes, nor for one's own decision (never the actor).
    assert!(told(&entry_for(&approver, "updated", &e)).is_empty());
    assert!(told(&entry_for(&submitter, "approved", &e)).is_empty());
}
