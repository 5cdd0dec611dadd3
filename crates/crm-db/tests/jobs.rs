//! Job claims and the clean-up against a real database: a fresh SQLite file per test, or the
//! database named by `CRM_DB_TEST_URL` (PostgreSQL, MariaDB) when set.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::TestDb;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_db::{
    SqlActivityRepository, SqlCleanup, SqlEventRepository, SqlIdempotencyStore, SqlJobClaims,
    SqlOrganizationRepository, SqlVerificationCodeRepository,
};
use crm_domain::activity::{ActivityRepository, LIST_SPEC, change_entry};
use crm_domain::events::{EVENT_LIST_SPEC, EventRepository};
use crm_domain::idempotency::{Claim, IdempotencyStore, KeyScope, StoredAnswer};
use crm_domain::identity::{
    CodePurpose, EmailAddress, Organization, OrganizationRepository, VerificationCodeRepository,
};
use crm_domain::jobs::{Cleanup, JobClaims};
use crm_domain::{Currency, ListQuery, TxManager};
use sea_orm::{ConnectionTrait, Statement};
use std::sync::Arc;

async fn env() -> TestDb {
    support::database().await
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .single()
        .unwrap()
}

/// A job name no other test uses, so tests can share one database.
fn job() -> String {
    format!("test-{}", uuid::Uuid::now_v7().simple())
}

#[tokio::test]
async fn a_period_is_claimed_once_and_never_again_once_finished() {
    let env = env().await;
    let claims = SqlJobClaims::new(env.db.conn.clone());
    let (j, now) = (job(), at(6, 3));
    let lease = now + Duration::minutes(10);
    assert!(claims.claim(&j, "p1", "a", now, lease).await.unwrap());
    // Held: nobody else, not even after a while within the lease.
    assert!(!claims.claim(&j, "p1", "b", now, lease).await.unwrap());
    let later = now + Duration::minutes(5);
    assert!(!claims.claim(&j, "p1", "b", later, lease).await.unwrap());
    // Another period is another claim.
    assert!(claims.claim(&j, "p2", "b", now, lease).await.unwrap());
    claims.finish(&j, "p1", "a", later).await.unwrap();
    // Finished: never again, however late.
    let much_later = now + Duration::days(2);
    assert!(
        !claims
            .claim(
                &j,
                "p1",
                "b",
                much_later,
                much_later + Duration::minutes(10)
            )
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_crashed_or_failed_run_is_taken_over_after_its_lease() {
    let env = env().await;
    let claims = SqlJobClaims::new(env.db.conn.clone());
    let (j, now) = (job(), at(6, 3));
    assert!(
        claims
            .claim(&j, "p", "a", now, now + Duration::minutes(10))
            .await
            .unwrap()
    );
    // "a" crashed: after its lease, "b" takes the period over.
    let after = now + Duration::minutes(11);
    assert!(
        claims
            .claim(&j, "p", "b", after, after + Duration::minutes(10))
            .await
            .unwrap()
    );
    // "a"'s late finish does not mark "b"'s run.
    claims.finish(&j, "p", "a", after).await.unwrap();
    assert!(
        !claims
            .claim(&j, "p", "c", after, after + Duration::minutes(10))
            .await
            .unwrap()
    );
    // "b" fails: retried from its retry time, not before.
    claims
        .fail(&j, "p", "b", "receiver down", after + Duration::minutes(1))
        .await
        .unwrap();
    let soon = after + Duration::seconds(30);
    assert!(!claims.claim(&j, "p", "c", soon, soon).await.unwrap());
    let retry = after + Duration::minutes(2);
    assert!(
        claims
            .claim(&j, "p", "c", retry, retry + Duration::minutes(10))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn of_many_concurrent_claimers_exactly_one_wins() {
    let env = env().await;
    let claims = Arc::new(SqlJobClaims::new(env.db.conn.clone()));
    let (j, now) = (job(), at(6, 3));
    // A fresh period (concurrent inserts) and an expired one (concurrent take-overs).
    for period in ["fresh", "expired"] {
        if period == "expired" {
            assert!(claims.claim(&j, period, "x", now, now).await.unwrap());
        }
        let later = now + Duration::minutes(1);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (claims, j) = (claims.clone(), j.clone());
                tokio::spawn(async move {
                    claims
                        .claim(
                            &j,
                            period,
                            &format!("h{i}"),
                            later,
                            later + Duration::hours(1),
                        )
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            won += usize::from(t.await.unwrap());
        }
        assert_eq!(won, 1, "{period}: {won} winners");
    }
}

#[tokio::test]
async fn cleanup_removes_old_code_requests_in_batches_and_keeps_recent_ones() {
    let env = env().await;
    let codes = SqlVerificationCodeRepository::new(env.db.conn.clone());
    let cleanup = SqlCleanup::new(env.db.conn.clone());
    let address = || EmailAddress::parse(&format!("{}@cleanup.example", job())).unwrap();
    let old = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).single().unwrap();
    // Addresses never seen again (recording a request forgets that address's old ones).
    let gone: Vec<_> = (0..5).map(|_| address()).collect();
    for (i, email) in gone.iter().enumerate() {
        codes
            .record_request(
                email,
                CodePurpose::PasswordReset,
                old + Duration::minutes(i as i64),
            )
            .await
            .unwrap();
    }
    let email = address();
    codes
        .record_request(&email, CodePurpose::PasswordReset, Utc::now())
        .await
        .unwrap();
    let cutoff = old + Duration::days(1);
    let mut removed = Vec::new();
    loop {
        let n = cleanup.code_requests(cutoff, 2).await.unwrap();
        removed.push(n);
        if n < 2 {
            break;
        }
    }
    assert_eq!(removed.iter().sum::<u64>(), 5, "{removed:?}");
    assert_eq!(removed[0], 2);
    for e in &gone {
        let left = codes
            .recent_sends(e, old - Duration::days(1))
            .await
            .unwrap();
        assert!(left.is_empty(), "{left:?}");
    }
    let kept = codes
        .recent_sends(&email, old - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
}

#[tokio::test]
async fn events_expire_from_the_list_but_stay_in_the_audit_log() {
    let env = env().await;
    let c = env.db.conn.clone();
    let tx_manager = env.db.tx_manager();
    let org = Organization::new(job(), Currency::parse("USD").unwrap(), Utc::now());
    let mut tx = tx_manager.begin().await.unwrap();
    SqlOrganizationRepository::new(c.clone())
        .create(&mut tx, &org)
        .await
        .unwrap();
    let record = serde_json::json!({"id": org.id.0, "name": "x", "password_hash": "h"});
    let entry = change_entry(
        org.id,
        None,
        "organization",
        org.id.0,
        "updated",
        None,
        Some(&record),
    );
    assert_eq!(entry.data.as_ref().unwrap()["password_hash"], "[redacted]");
    let activities = SqlActivityRepository::new(c.clone());
    activities.record(&mut tx, entry).await.unwrap();
    tx.commit().await.unwrap();

    let events = SqlEventRepository::new(c.clone());
    let q = ListQuery::parse(&EVENT_LIST_SPEC, &[]).unwrap();
    let long_ago = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single().unwrap();
    let listed = events.list(org.id, long_ago, &q).await.unwrap();
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].r#type, "organization.updated");
    assert_eq!(listed.data[0].data["name"], "x");

    // Forty days old: the clean-up clears it from the event list.
    let old = Utc::now() - Duration::days(40);
    let sql = match c.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            "UPDATE activities SET created_at = $1 WHERE organization_id = $2"
        }
        _ => "UPDATE activities SET created_at = ? WHERE organization_id = ?",
    };
    c.execute_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        sql,
        [old.into(), org.id.0.into()],
    ))
    .await
    .unwrap();
    let cleanup = SqlCleanup::new(c.clone());
    let mut expired = 0;
    loop {
        let n = cleanup
            .events(Utc::now() - Duration::days(30), 100)
            .await
            .unwrap();
        expired += n;
        if n < 100 {
            break;
        }
    }
    assert!(expired >= 1);
    assert!(
        events
            .list(org.id, long_ago, &q)
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let audit = activities
        .list(org.id, &ListQuery::parse(&LIST_SPEC, &[]).unwrap())
        .await
        .unwrap();
    assert_eq!(audit.data.len(), 1, "the audit entry stays");
}

#[tokio::test]
async fn idempotency_keys_expire_and_finished_claims_are_removed() {
    let env = env().await;
    let c = env.db.conn.clone();
    let org = Organization::new(job(), Currency::parse("USD").unwrap(), Utc::now());
    let mut tx = env.db.tx_manager().begin().await.unwrap();
    SqlOrganizationRepository::new(c.clone())
        .create(&mut tx, &org)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let store = SqlIdempotencyStore::new(c.clone());
    let scope = |key: &str| KeyScope {
        organization_id: org.id,
        user_id: crm_domain::UserId::new(),
        key: key.to_string(),
    };
    let answer = StoredAnswer {
        status: 201,
        body: "{}".into(),
        content_type: Some("application/json".into()),
        location: None,
        etag: None,
    };
    let now = Utc::now();
    let (old, fresh) = (scope("old"), scope("fresh"));
    let two_days_ago = now - Duration::days(2);
    assert_eq!(
        store.claim(&old, "h", two_days_ago).await.unwrap(),
        Claim::Run
    );
    store.complete(&old, &answer, two_days_ago).await.unwrap();
    assert_eq!(store.claim(&fresh, "h", now).await.unwrap(), Claim::Run);
    store.complete(&fresh, &answer, now).await.unwrap();
    let cleanup = SqlCleanup::new(c.clone());
    assert!(cleanup.idempotency_keys(now, 1000).await.unwrap() >= 1);
    // The expired key starts afresh; the fresh one still replays.
    assert_eq!(store.claim(&old, "other", now).await.unwrap(), Claim::Run);
    assert_eq!(
        store.claim(&fresh, "h", now).await.unwrap(),
        Claim::Answered(answer)
    );

    let claims = SqlJobClaims::new(c.clone());
    let (j, long_ago) = (job(), now - Duration::days(40));
    assert!(
        claims
            .claim(&j, "done", "a", long_ago, long_ago)
            .await
            .unwrap()
    );
    claims.finish(&j, "done", "a", long_ago).await.unwrap();
    assert!(
        claims
            .claim(&j, "open", "a", long_ago, long_ago)
            .await
            .unwrap()
    );
    assert!(
        cleanup
            .job_runs(now - Duration::days(30), 1000)
            .await
            .unwrap()
            >= 1
    );
    // The finished claim is gone (its period could be claimed again); the open one stays.
    assert!(claims.claim(&j, "done", "b", now, now).await.unwrap());
    assert!(
        claims
            .claim(&j, "open", "b", now, now + Duration::minutes(1))
            .await
            .unwrap(),
        "an expired unfinished claim is taken over, not removed"
    );
}

#[tokio::test]
async fn sign_in_attempts_count_per_window_fail_forget_and_are_cleaned_up() {
    use crm_db::identity::SqlAttemptCounters;
    use crm_domain::identity::throttle::{AttemptCounters, account_key, address_key};
    let env = env().await;
    let counters = SqlAttemptCounters::new(env.db.conn.clone());
    let cleanup = SqlCleanup::new(env.db.conn.clone());
    let (address, account) = (address_key(&job()), account_key(&format!("{}@x.io", job())));
    let keys = [address.clone(), account.clone()];
    let t0 = at(7, 10);
    let of = |found: Vec<crm_domain::identity::throttle::AttemptCounter>, key: &str| {
        found.into_iter().find(|c| c.key == key).expect("counter")
    };
    for n in 1..=3 {
        let found = counters
            .hit(&keys, t0 + Duration::seconds(n))
            .await
            .unwrap();
        assert_eq!(found.len(), 2);
        let a = of(found, &address);
        assert_eq!(
            (a.hits, a.window_start),
            (n as u32, t0 + Duration::seconds(1))
        );
    }
    // A minute after the window began, the next attempt opens a new one.
    let later = t0 + Duration::seconds(61);
    let a = of(counters.hit(&keys, later).await.unwrap(), &account);
    assert_eq!((a.hits, a.window_start), (1, later));

    // Failures count up, are forgotten after an hour, and cleared by a success.
    for _ in 0..3 {
        counters.fail(&account, later).await.unwrap();
    }
    let a = of(counters.hit(&keys, later).await.unwrap(), &account);
    assert_eq!((a.failures, a.last_failure_at), (3, Some(later)));
    let much_later = later + Duration::hours(2);
    counters.fail(&account, much_later).await.unwrap();
    let a = of(counters.hit(&keys, much_later).await.unwrap(), &account);
    assert_eq!(a.failures, 1, "an hour-old count starts again");
    counters.succeed(&account).await.unwrap();
    let a = of(counters.hit(&keys, much_later).await.unwrap(), &account);
    assert_eq!((a.failures, a.last_failure_at), (0, None));
    // A new key's first failure (no attempt counted before).
    let fresh = account_key(&format!("{}@x.io", job()));
    counters.fail(&fresh, t0).await.unwrap();

    // Counters untouched since the cut-off go; touched ones stay.
    let removed = cleanup
        .auth_attempts(much_later - Duration::minutes(1), 1000)
        .await
        .unwrap();
    assert!(removed >= 1, "{removed}");
    let left = counters
        .hit(std::slice::from_ref(&fresh), much_later)
        .await
        .unwrap();
    assert_eq!(
        (left[0].hits, left[0].failures),
        (1, 0),
        "the stale counter went"
    );
    let kept = of(counters.hit(&keys, much_later).await.unwrap(), &address);
    assert!(kept.hits > 1, "a recent counter stays");
}
