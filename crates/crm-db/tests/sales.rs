//! The sales adapters (and the sales services over them) against a real database: a fresh
//! SQLite file per test, or the database named by `CRM_DB_TEST_URL` (PostgreSQL, MariaDB)
//! when set.

// clippy.toml allows these only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{TestDb, all_pages, in_tx, query_for, unique};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm_db::clients::{SqlClientRepository, SqlInteractionRepository};
use crm_db::sales::{SqlDealRepository, SqlLeadRepository};
use crm_db::{
    Migrator, MigratorTrait, SqlActivityRepository, SqlDocumentCounterRepository,
    SqlPipelineRepository, SqlQuotationRepository, SqlTxManager, SqlUserRepository,
};
use crm_domain::activity::{ActivityRepository, NewActivity};
use crm_domain::clients::{
    Client, ClientId, ClientKind, Interaction, InteractionId, InteractionKind, Lifecycle,
};
use crm_domain::identity::{EmailAddress, SystemClock};
use crm_domain::kernel::clock;
use crm_domain::kernel::lines::{LineItemInput, price_line, totals};
use crm_domain::kernel::money::Quantity;
use crm_domain::kernel::numbering::DocumentCounterRepository;
use crm_domain::kernel::records::Records;
use crm_domain::{Actor, Currency, DomainError, OrganizationId, StoreError, TxManager, UserId};
use crm_sales::SalesPorts;
use crm_sales::deals::{
    DEAL_LIST_SPEC, Deal, DealId, DealInput, DealPatch, DealRepository, DealService, DealStatus,
    ForecastFilter, ForecastQuery,
};
use crm_sales::leads::{
    ConvertDealInput, ConvertLeadInput, LEAD_LIST_SPEC, Lead, LeadId, LeadInput, LeadRepository,
    LeadService, LeadStatus,
};
use crm_sales::pipelines::{
    Pipeline, PipelinePatch, PipelineRepository, PipelineService, StagePatch,
};
use crm_sales::quotations::{
    QUOTATION_COUNTER, QUOTATION_LIST_SPEC, Quotation, QuotationId, QuotationInput,
    QuotationRepository, QuotationService, QuotationStatus,
};
use crm_sales::tracking::{TIMELINE_LIST_SPEC, TimelineKind, TrackingService};
use std::collections::HashSet;
use std::sync::Arc;

struct Env {
    tx: SqlTxManager,
    clients: SqlClientRepository,
    interactions: SqlInteractionRepository,
    activities: SqlActivityRepository,
    leads: SqlLeadRepository,
    pipelines: SqlPipelineRepository,
    deals: SqlDealRepository,
    quotations: SqlQuotationRepository,
    counters: SqlDocumentCounterRepository,
    ports: SalesPorts,
    test_db: TestDb,
}

async fn env() -> Env {
    let test_db = support::database().await;
    let c = test_db.conn();
    // The ports as the server wires them.
    let ports = crm_db::sales::ports(
        &c,
        Arc::new(SqlTxManager::new(c.clone())),
        Arc::new(SqlClientRepository::new(c.clone())),
        Arc::new(SqlUserRepository::new(c.clone())),
        Arc::new(SqlActivityRepository::new(c.clone())),
        Arc::new(SystemClock),
    );
    Env {
        tx: SqlTxManager::new(c.clone()),
        clients: SqlClientRepository::new(c.clone()),
        interactions: SqlInteractionRepository::new(c.clone()),
        activities: SqlActivityRepository::new(c.clone()),
        leads: SqlLeadRepository::new(c.clone()),
        pipelines: SqlPipelineRepository::new(c.clone()),
        deals: SqlDealRepository::new(c.clone()),
        quotations: SqlQuotationRepository::new(c.clone()),
        counters: SqlDocumentCounterRepository::new(c),
        ports,
        test_db,
    }
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

async fn org(env: &Env) -> OrganizationId {
    support::organization(&env.test_db).await.id
}

/// Everything the sales module offers, for `org`.
fn admin(org: OrganizationId) -> Actor {
    let perms = ["leads", "deals", "quotations", "pipelines", "clients"]
        .iter()
        .flat_map(|r| ["read", "write", "delete"].map(|a| format!("{r}:{a}")))
        .chain(["activities:read".to_string()]);
    Actor::new(UserId::new(), org, perms)
}

fn actor(org: OrganizationId, perms: &[&str]) -> Actor {
    Actor::new(UserId::new(), org, perms.iter().map(|s| s.to_string()))
}

async fn client(env: &Env, org: OrganizationId, owner: UserId) -> Client {
    let now = clock::now();
    let c = Client {
        id: ClientId::new(),
        organization_id: org,
        name: unique("Client"),
        kind: ClientKind::Company,
        email: None,
        phone: None,
        website: None,
        industry: None,
        parent_id: None,
        owner_id: owner,
        status: "active".into(),
        tags: vec![],
        address: None,
        lifecycle: Lifecycle::Prospect,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    in_tx!(env, |tx| env.clients.create(&mut tx, &c).await).unwrap();
    c
}

fn at(base: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    base + Duration::minutes(minutes)
}

#[allow(clippy::too_many_arguments)]
fn new_lead(
    org: OrganizationId,
    owner: UserId,
    name: &str,
    email: Option<&str>,
    status: LeadStatus,
    score: Option<i32>,
    amount: Option<i64>,
    created_at: DateTime<Utc>,
) -> Lead {
    Lead {
        id: LeadId::new(),
        organization_id: org,
        name: name.into(),
        email: email.map(|e| EmailAddress::parse(e).unwrap()),
        phone: None,
        company: Some(format!("{name} Corp")),
        source: Some(if score.is_some() { "web" } else { "fair" }.into()),
        status,
        owner_id: owner,
        estimated_amount: amount,
        currency: amount.map(|_| usd()),
        score,
        converted_client_id: None,
        converted_deal_id: None,
        legacy_id: None,
        created_at,
        updated_at: created_at,
        version: 1,
    }
}

fn names(rows: &[Lead]) -> Vec<&str> {
    rows.iter().map(|l| l.name.as_str()).collect()
}

#[tokio::test]
async fn leads_filter_sort_search_and_page_through_every_row() {
    let env = env().await;
    let o = org(&env).await;
    let other = org(&env).await;
    let (u1, u2) = (UserId::new(), UserId::new());
    let t0 = clock::now() - Duration::days(1);
    let spec = [
        ("ann", u1, LeadStatus::New, Some(30), Some(500)),
        ("bob", u1, LeadStatus::Qualified, None, Some(100)),
        ("cid", u2, LeadStatus::Qualified, Some(90), None),
        ("dan", u2, LeadStatus::Contacted, Some(10), Some(900)),
        ("eve", u1, LeadStatus::Unqualified, Some(30), Some(50)),
    ];
    let mut leads = Vec::new();
    for (i, (name, owner, status, score, amount)) in spec.into_iter().enumerate() {
        let l = new_lead(
            o,
            owner,
            name,
            Some(&format!("{name}@example.com")),
            status,
            score,
            amount,
            at(t0, i as i64),
        );
        in_tx!(env, |tx| env.leads.create(&mut tx, &l).await).unwrap();
        leads.push(l);
    }
    assert_eq!(env.leads.get(o, leads[0].id).await.unwrap(), leads[0]);
    assert_eq!(
        env.leads.get(other, leads[0].id).await,
        Err(StoreError::NotFound)
    );
    let repo = &env.leads;
    let list = |params: &[(&str, &str)]| {
        let q = query_for(&LEAD_LIST_SPEC, params);
        async move { repo.list(o, &q, None).await.unwrap().data }
    };
    assert_eq!(
        names(&list(&[("status", "qualified")]).await),
        ["cid", "bob"]
    );
    assert_eq!(names(&list(&[("source", "fair")]).await), ["bob"]);
    let u2s = u2.to_string();
    assert_eq!(names(&list(&[("owner_id", &u2s)]).await), ["dan", "cid"]);
    assert_eq!(
        names(
            &list(&[
                ("estimated_amount_from", "100"),
                ("estimated_amount_to", "500")
            ])
            .await
        ),
        ["bob", "ann"]
    );
    let from = at(t0, 1).to_rfc3339();
    let to = at(t0, 3).to_rfc3339();
    assert_eq!(
        names(
            &list(&[
                ("created_at_from", &from),
                ("created_at_to", &to),
                ("sort", "created_at")
            ])
            .await
        ),
        ["bob", "cid", "dan"]
    );
    assert_eq!(names(&list(&[("q", "DAN@EXAMPLE")]).await), ["dan"]);
    assert_eq!(names(&list(&[("q", "cid corp")]).await), ["cid"]);
    let q = query_for(
        &LEAD_LIST_SPEC,
        &[("status", "qualified"), ("count", "true")],
    );
    assert_eq!(env.leads.list(o, &q, None).await.unwrap().total, Some(2));
    // Only the owner's, as `:own` callers get.
    let q = query_for(&LEAD_LIST_SPEC, &[]);
    assert_eq!(
        names(&env.leads.list(o, &q, Some(u2)).await.unwrap().data),
        ["dan", "cid"]
    );
    assert!(
        env.leads
            .list(other, &q, None)
            .await
            .unwrap()
            .data
            .is_empty()
    );

    // Sorting by nullable columns: missing scores and amounts sort lowest; ties by id.
    let by_score = all_pages!(LEAD_LIST_SPEC, &[("sort", "score")], |q| env
        .leads
        .list(o, &q, None));
    assert_eq!(names(&by_score), ["bob", "dan", "ann", "eve", "cid"]);
    let by_amount = all_pages!(LEAD_LIST_SPEC, &[("sort", "-estimated_amount")], |q| env
        .leads
        .list(o, &q, None));
    assert_eq!(names(&by_amount), ["dan", "ann", "bob", "eve", "cid"]);
    let by_name = all_pages!(LEAD_LIST_SPEC, &[("sort", "-name")], |q| env
        .leads
        .list(o, &q, None));
    assert_eq!(names(&by_name), ["eve", "dan", "cid", "bob", "ann"]);

    // Paging newest first while newer rows are inserted: every original row exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut n = 0;
    loop {
        let mut params = vec![("limit", "2")];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let q = query_for(&LEAD_LIST_SPEC, &params);
        let page = env.leads.list(o, &q, None).await.unwrap();
        seen.extend(page.data.iter().map(|l| l.id));
        n += 1;
        let late = new_lead(
            o,
            u1,
            &format!("late{n}"),
            None,
            LeadStatus::New,
            None,
            None,
            clock::now(),
        );
        in_tx!(env, |tx| env.leads.create(&mut tx, &late).await).unwrap();
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let originals: Vec<LeadId> = leads.iter().rev().map(|l| l.id).collect();
    assert_eq!(seen, originals);
}

#[tokio::test]
async fn an_open_email_belongs_to_one_open_lead() {
    let env = env().await;
    let o = org(&env).await;
    let u = UserId::new();
    let mail = format!("{}@example.com", unique("x"));
    let a = new_lead(
        o,
        u,
        "a",
        Some(&mail),
        LeadStatus::New,
        None,
        None,
        clock::now(),
    );
    in_tx!(env, |tx| env.leads.create(&mut tx, &a).await).unwrap();
    let b = new_lead(
        o,
        u,
        "b",
        Some(&mail),
        LeadStatus::Contacted,
        None,
        None,
        clock::now(),
    );
    let r = in_tx!(env, |tx| env.leads.create(&mut tx, &b).await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    // Another organization may have it; so may a lead that is not open.
    let elsewhere = new_lead(
        org(&env).await,
        u,
        "c",
        Some(&mail),
        LeadStatus::New,
        None,
        None,
        clock::now(),
    );
    in_tx!(env, |tx| env.leads.create(&mut tx, &elsewhere).await).unwrap();
    let closed = new_lead(
        o,
        u,
        "d",
        Some(&mail),
        LeadStatus::Unqualified,
        None,
        None,
        clock::now(),
    );
    in_tx!(env, |tx| env.leads.create(&mut tx, &closed).await).unwrap();

    let email = EmailAddress::parse(&mail).unwrap();
    assert_eq!(
        env.leads.find_open_by_email(o, &email, None).await.unwrap(),
        Some(a.id)
    );
    assert_eq!(
        env.leads
            .find_open_by_email(o, &email, Some(a.id))
            .await
            .unwrap(),
        None
    );

    // Through the service: 409 naming the open lead.
    let svc = LeadService::new(env.ports.clone());
    let input = LeadInput {
        name: "Dup".into(),
        email: Some(mail.to_uppercase()),
        phone: None,
        company: None,
        source: None,
        status: None,
        owner_id: None,
        estimated_amount: None,
        currency: None,
        score: None,
    };
    let err = svc.create(&admin(o), input.clone()).await.unwrap_err();
    assert!(
        matches!(err, DomainError::Conflict { code: "lead-duplicate", existing_id: Some(id), .. } if id == a.id.0),
        "{err:?}"
    );

    // Once `a` is no longer open, the address is free again; stale versions are refused.
    let mut done = a.clone();
    done.status = LeadStatus::Unqualified;
    done.version = 2;
    in_tx!(env, |tx| env.leads.update(&mut tx, &done, 1).await).unwrap();
    let r = in_tx!(env, |tx| env.leads.update(&mut tx, &done, 1).await);
    assert_eq!(r, Err(StoreError::Stale));
    let mut ghost = done.clone();
    ghost.organization_id = OrganizationId::new();
    let r = in_tx!(env, |tx| env.leads.update(&mut tx, &ghost, 2).await);
    assert_eq!(r, Err(StoreError::NotFound));
    let created = svc.create(&admin(o), input).await.unwrap();
    assert_eq!(created.email.unwrap().as_str(), mail);
    // Reopening `a` now collides with the new lead.
    let reopen = crm_sales::leads::LeadPatch {
        status: Some("new".into()),
        ..Default::default()
    };
    let err = svc.update(&admin(o), a.id, None, reopen).await.unwrap_err();
    assert!(
        matches!(err, DomainError::Conflict { code: "lead-duplicate", existing_id: Some(id), .. } if id == created.id.0),
        "{err:?}"
    );
}

fn lead_input(name: &str, company: Option<&str>) -> LeadInput {
    LeadInput {
        name: name.into(),
        email: Some(format!("{}@example.com", unique(name))),
        phone: Some("+1 555 0100".into()),
        company: company.map(str::to_string),
        source: Some("web".into()),
        status: Some("qualified".into()),
        owner_id: None,
        estimated_amount: Some(250_000),
        currency: Some("USD".into()),
        score: Some(80),
    }
}

#[tokio::test]
async fn conversion_creates_client_and_deal_in_one_transaction_and_only_once() {
    let env = env().await;
    let o = org(&env).await;
    let a = admin(o);
    let leads = LeadService::new(env.ports.clone());
    let lead = leads
        .create(&a, lead_input("ann", Some("Acme Ltd")))
        .await
        .unwrap();
    let out = leads
        .convert(
            &a,
            lead.id,
            Some(1),
            ConvertLeadInput {
                client_id: None,
                create_deal: Some(ConvertDealInput {
                    title: "Acme rollout".into(),
                    amount: 1_250_050,
                    currency: "usd".into(),
                    pipeline_id: None,
                }),
            },
        )
        .await
        .unwrap();
    assert_eq!(out.lead.status, LeadStatus::Converted);
    assert_eq!(out.lead.version, 2);
    assert_eq!(env.leads.get(o, lead.id).await.unwrap(), out.lead);
    let stored_client = env.clients.get(o, out.client.id).await.unwrap();
    assert_eq!(stored_client.name, "Acme Ltd");
    assert_eq!(stored_client.owner_id, a.user_id);
    let deal = out.deal.clone().unwrap();
    let stored_deal = env.deals.get(o, deal.id).await.unwrap();
    assert_eq!(stored_deal, deal);
    assert_eq!(stored_deal.client_id, Some(out.client.id));
    let default = env.pipelines.get_default(o).await.unwrap().unwrap();
    assert_eq!(stored_deal.pipeline_id, default.id);
    assert_eq!(stored_deal.stage_id, default.stages[0].id);
    assert_eq!(stored_deal.probability, 10);
    let history = env.deals.stage_history(o, deal.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].from_stage_id, None);
    // Each record carries its audit entry.
    let audit = env
        .activities
        .list(
            o,
            &query_for(
                &crm_domain::activity::LIST_SPEC,
                &[("entity_id", &lead.id.to_string())],
            ),
        )
        .await
        .unwrap()
        .data;
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["converted", "created"]);

    // A second conversion is refused and changes nothing.
    let again = leads
        .convert(&a, lead.id, None, ConvertLeadInput::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            again,
            DomainError::Conflict {
                code: "lead-converted",
                ..
            }
        ),
        "{again:?}"
    );

    // Two concurrent conversions of one lead: one wins, the other is a 409, one client.
    let lead = leads.create(&a, lead_input("bob", None)).await.unwrap();
    let (l1, l2) = (leads.clone(), leads.clone());
    let (a1, a2) = (a.clone(), a.clone());
    let id = lead.id;
    let t1 =
        tokio::spawn(async move { l1.convert(&a1, id, None, ConvertLeadInput::default()).await });
    let t2 =
        tokio::spawn(async move { l2.convert(&a2, id, None, ConvertLeadInput::default()).await });
    let (r1, r2) = (t1.await.unwrap(), t2.await.unwrap());
    let ok: Vec<_> = [&r1, &r2].into_iter().filter(|r| r.is_ok()).collect();
    assert_eq!(ok.len(), 1, "{r1:?} {r2:?}");
    let lost = [&r1, &r2].into_iter().find(|r| r.is_err()).unwrap();
    assert!(
        matches!(
            lost,
            Err(DomainError::Conflict {
                code: "lead-converted",
                ..
            })
        ),
        "{lost:?}"
    );
    let winner = ok[0].as_ref().unwrap();
    assert_eq!(winner.client.kind, ClientKind::Individual);
    let cq = query_for(
        &crm_domain::clients::CLIENT_LIST_SPEC,
        &[("q", "bob"), ("count", "true")],
    );
    assert_eq!(env.clients.list(o, &cq, None).await.unwrap().total, Some(1));

    // Linking an existing client of the organization.
    let existing = client(&env, o, a.user_id).await;
    let lead = leads.create(&a, lead_input("cid", None)).await.unwrap();
    let out = leads
        .convert(
            &a,
            lead.id,
            None,
            ConvertLeadInput {
                client_id: Some(existing.id),
                create_deal: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(out.client.id, existing.id);
    assert_eq!(out.lead.converted_client_id, Some(existing.id));
}

fn deal_input(title: &str, amount: i64, currency: &str) -> DealInput {
    DealInput {
        title: title.into(),
        client_id: None,
        lead_id: None,
        pipeline_id: None,
        stage_id: None,
        amount,
        currency: currency.into(),
        probability: None,
        expected_close_date: None,
        owner_id: None,
    }
}

#[tokio::test]
async fn the_default_pipeline_is_created_once_even_concurrently_and_its_flag_moves() {
    let env = env().await;
    let o = org(&env).await;
    let a = admin(o);
    let svc = PipelineService::new(env.ports.clone());
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (s, a) = (svc.clone(), a.clone());
        tasks.push(tokio::spawn(async move { s.default_pipeline(&a).await }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 1);
    let q = query_for(
        &crm_sales::pipelines::PIPELINE_LIST_SPEC,
        &[("count", "true")],
    );
    let page = svc.list(&a, &q).await.unwrap();
    assert_eq!(page.total, Some(1));
    let default = page.data[0].clone();
    let stages: Vec<(&str, i32, i32)> = default
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.position, s.probability))
        .collect();
    assert_eq!(
        stages,
        [
            ("Qualification", 0, 10),
            ("Proposal", 1, 40),
            ("Negotiation", 2, 70)
        ]
    );

    // A new default takes the flag.
    let custom = svc
        .create(
            &a,
            crm_sales::pipelines::PipelineInput {
                name: "Enterprise".into(),
                is_default: true,
                stages: vec![
                    crm_sales::pipelines::StageInput {
                        name: "Intro".into(),
                        probability: 5,
                    },
                    crm_sales::pipelines::StageInput {
                        name: "Pilot".into(),
                        probability: 60,
                    },
                ],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        env.pipelines.get_default(o).await.unwrap().unwrap().id,
        custom.id
    );
    let old = env.pipelines.get(o, default.id).await.unwrap();
    assert!(!old.is_default);
    assert_eq!(old.version, 2);
    // And moves back.
    let back = svc
        .update(
            &a,
            old.id,
            Some(2),
            PipelinePatch {
                is_default: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(back.is_default);
    assert!(!env.pipelines.get(o, custom.id).await.unwrap().is_default);

    // Stages are renamed, reordered, added, and removed unless deals are in them.
    let deals = DealService::new(env.ports.clone());
    let mut input = deal_input("d", 100, "USD");
    input.pipeline_id = Some(custom.id);
    input.stage_id = Some(custom.stages[1].id);
    let d = deals.create(&a, input).await.unwrap();
    assert_eq!(d.probability, 60);
    let (intro, pilot) = (custom.stages[0].id, custom.stages[1].id);
    let reorder = PipelinePatch {
        stages: Some(vec![
            StagePatch {
                id: Some(pilot),
                name: "Pilot phase".into(),
                probability: 65,
            },
            StagePatch {
                id: None,
                name: "Signed".into(),
                probability: 95,
            },
            StagePatch {
                id: Some(intro),
                name: "Intro".into(),
                probability: 5,
            },
        ]),
        ..Default::default()
    };
    let p = svc.update(&a, custom.id, None, reorder).await.unwrap();
    let stored = env.pipelines.get(o, custom.id).await.unwrap();
    assert_eq!(stored, p);
    let order: Vec<&str> = stored.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["Pilot phase", "Signed", "Intro"]);
    let drop_pilot = PipelinePatch {
        stages: Some(vec![StagePatch {
            id: Some(intro),
            name: "Intro".into(),
            probability: 5,
        }]),
        ..Default::default()
    };
    let err = svc
        .update(&a, custom.id, None, drop_pilot)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "pipeline-in-use",
                ..
            }
        ),
        "{err:?}"
    );
    let err = svc.delete(&a, custom.id).await.unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "pipeline-in-use",
                ..
            }
        ),
        "{err:?}"
    );
    let err = svc.delete(&a, old.id).await.unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "pipeline-is-default",
                ..
            }
        ),
        "{err:?}"
    );
    deals.delete(&a, d.id).await.unwrap();
    svc.delete(&a, custom.id).await.unwrap();
    assert_eq!(svc.get(&a, custom.id).await, Err(DomainError::NotFound));
    // Another organization sees none of it.
    let stranger = admin(org(&env).await);
    assert_eq!(svc.get(&stranger, old.id).await, Err(DomainError::NotFound));
}

#[tokio::test]
async fn deals_move_close_and_make_their_client_a_customer() {
    let env = env().await;
    let o = org(&env).await;
    let a = admin(o);
    let c = client(&env, o, a.user_id).await;
    let svc = DealService::new(env.ports.clone());
    let mut input = deal_input("Expansion", 500_000, "EUR");
    input.client_id = Some(c.id);
    input.expected_close_date = Some("2026-06-30".into());
    let d = svc.create(&a, input).await.unwrap();
    assert_eq!(svc.get(&a, d.id).await.unwrap(), d);
    let pipeline = env.pipelines.get(o, d.pipeline_id).await.unwrap();
    let moved = svc
        .update(
            &a,
            d.id,
            Some(1),
            DealPatch {
                stage_id: Some(pipeline.stages[2].id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((moved.probability, moved.version), (70, 2));
    let stale = svc
        .update(
            &a,
            d.id,
            Some(1),
            DealPatch {
                title: Some("x".into()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(stale, Err(DomainError::Stale));
    let won = svc.won(&a, d.id, Some(2)).await.unwrap();
    assert_eq!((won.status, won.probability), (DealStatus::Won, 100));
    assert_eq!(env.deals.get(o, d.id).await.unwrap(), won);
    assert_eq!(
        env.clients.get(o, c.id).await.unwrap().lifecycle,
        Lifecycle::Customer
    );
    let history = svc.stage_history(&a, d.id).await.unwrap();
    let moves: Vec<_> = history
        .iter()
        .map(|h| (h.from_stage_id, h.to_stage_id))
        .collect();
    assert_eq!(
        moves,
        [
            (None, pipeline.stages[0].id),
            (Some(pipeline.stages[0].id), pipeline.stages[2].id)
        ]
    );
    // Closed: no more moves or edits.
    let err = svc
        .update(
            &a,
            d.id,
            None,
            DealPatch {
                stage_id: Some(pipeline.stages[1].id),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "deal-closed",
                ..
            }
        ),
        "{err:?}"
    );
    let err = svc
        .lost(
            &a,
            d.id,
            None,
            crm_sales::deals::LostInput {
                reason: "late".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "deal-closed",
                ..
            }
        ),
        "{err:?}"
    );

    // `:own` callers neither see nor change other owners' deals.
    let rep = actor(o, &["deals:read:own", "deals:write:own"]);
    assert_eq!(svc.get(&rep, d.id).await, Err(DomainError::NotFound));
    let q = query_for(&DEAL_LIST_SPEC, &[]);
    assert!(svc.list(&rep, &q).await.unwrap().data.is_empty());
    let own = svc
        .create(&rep, deal_input("Mine", 1, "USD"))
        .await
        .unwrap();
    assert_eq!(svc.list(&rep, &q).await.unwrap().data, vec![own.clone()]);
    let mut theirs = deal_input("Theirs", 1, "USD");
    theirs.owner_id = Some(a.user_id);
    let Err(DomainError::Invalid(e)) = svc.create(&rep, theirs).await else {
        panic!("expected 422")
    };
    assert_eq!(e[0].field, "owner_id");

    // A client with deals cannot be deleted under them.
    let r = in_tx!(env, |tx| env.clients.delete(&mut tx, o, c.id).await);
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
}

#[allow(clippy::too_many_arguments)]
async fn seed_deal(
    env: &Env,
    p: &Pipeline,
    stage: usize,
    owner: UserId,
    amount: i64,
    currency: Currency,
    probability: i32,
    close: Option<NaiveDate>,
    status: DealStatus,
) -> Deal {
    let now = clock::now();
    let d = Deal {
        id: DealId::new(),
        organization_id: p.organization_id,
        title: unique("deal"),
        client_id: None,
        lead_id: None,
        pipeline_id: p.id,
        stage_id: p.stages[stage].id,
        amount,
        currency,
        probability,
        expected_close_date: close,
        owner_id: owner,
        status,
        lost_reason: None,
        closed_at: None,
        legacy_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    in_tx!(env, |tx| env.deals.create(&mut tx, &d).await).unwrap();
    d
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A board column as compared: name, count, totals per currency, deals listed.
type Column = (String, u64, Vec<(String, i64)>, usize);

#[tokio::test]
async fn board_and_forecast_are_aggregated_on_known_data() {
    let env = env().await;
    let o = org(&env).await;
    let a = admin(o);
    let (u1, u2) = (UserId::new(), UserId::new());
    let pipelines = PipelineService::new(env.ports.clone());
    let p = pipelines.default_pipeline(&a).await.unwrap();
    let open = DealStatus::Open;
    let apr = Some(ymd(2026, 4, 10));
    let may = Some(ymd(2026, 5, 31));
    seed_deal(&env, &p, 0, u1, 10_000, usd(), 10, apr, open).await;
    seed_deal(&env, &p, 0, u1, 10_000, usd(), 10, may, open).await;
    seed_deal(&env, &p, 0, u2, 5_000, eur(), 10, None, open).await;
    seed_deal(&env, &p, 1, u2, 101, usd(), 50, apr, open).await;
    seed_deal(&env, &p, 1, u1, 333, usd(), 10, may, open).await;
    seed_deal(&env, &p, 2, u2, 333, usd(), 40, may, open).await;
    seed_deal(&env, &p, 2, u2, 1_000, eur(), 70, may, open).await;
    // Closed deals and other organizations count nowhere.
    seed_deal(&env, &p, 2, u1, 999_999, usd(), 70, may, DealStatus::Won).await;
    seed_deal(&env, &p, 1, u1, 999_999, usd(), 40, apr, DealStatus::Lost).await;
    let o2 = org(&env).await;
    let p2 = pipelines.default_pipeline(&admin(o2)).await.unwrap();
    seed_deal(&env, &p2, 0, u1, 777, usd(), 10, apr, open).await;

    let deals = DealService::new(env.ports.clone());
    let board = deals.board(&a, None).await.unwrap();
    assert_eq!(board.pipeline_id, p.id);
    let figures: Vec<Column> = board
        .stages
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.count,
                s.totals
                    .iter()
                    .map(|t| (t.currency.code().to_string(), t.amount))
                    .collect(),
                s.deals.len(),
            )
        })
        .collect();
    let expect = |n: &str, c: u64, t: &[(&str, i64)], d: usize| {
        (
            n.to_string(),
            c,
            t.iter()
                .map(|(c, a)| (c.to_string(), *a))
                .collect::<Vec<_>>(),
            d,
        )
    };
    assert_eq!(
        figures,
        [
            expect("Qualification", 3, &[("EUR", 5_000), ("USD", 20_000)], 3),
            expect("Proposal", 2, &[("USD", 434)], 2),
            expect("Negotiation", 2, &[("EUR", 1_000), ("USD", 333)], 2),
        ]
    );
    assert!(
        board
            .stages
            .iter()
            .flat_map(|s| &s.deals)
            .all(|d| d.status == open)
    );
    // An owner's own board.
    let rep = Actor::new(u1, o, ["deals:read:own".to_string()]);
    let mine = deals.board(&rep, Some(p.id)).await.unwrap();
    let counts: Vec<u64> = mine.stages.iter().map(|s| s.count).collect();
    assert_eq!(counts, [2, 1, 0]);
    let err = deals.board(&a, Some(p2.id)).await.unwrap_err();
    assert!(matches!(err, DomainError::Invalid(_)), "{err:?}");

    // Forecast: Σ amount × probability / 100 per month and currency, half away from zero.
    let f = deals.forecast(&a, ForecastQuery::default()).await.unwrap();
    let rows: Vec<(Option<&str>, &str, u64, i64, i64)> = f
        .rows
        .iter()
        .map(|r| {
            (
                r.month.as_deref(),
                r.currency.code(),
                r.count,
                r.amount,
                r.weighted_amount,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // 10000 × 10 % = 1000; 101 × 50 % = 50.5 → 51.
            (Some("2026-04"), "USD", 2, 10_101, 1_051),
            // 1000 × 70 % = 700.
            (Some("2026-05"), "EUR", 1, 1_000, 700),
            // 10000 × 10 % + 333 × 10 % + 333 × 40 % = 1000 + 33.3 + 133.2 = 1166.5 → 1167.
            (Some("2026-05"), "USD", 3, 10_666, 1_167),
            (None, "EUR", 1, 5_000, 500),
        ]
    );
    let q = ForecastQuery {
        from: Some("2026-05".into()),
        to: Some("2026-05".into()),
        ..Default::default()
    };
    assert_eq!(deals.forecast(&a, q).await.unwrap().rows.len(), 2);
    let mine = deals
        .forecast(&rep, ForecastQuery::default())
        .await
        .unwrap();
    let mine: Vec<(Option<&str>, i64)> = mine
        .rows
        .iter()
        .map(|r| (r.month.as_deref(), r.weighted_amount))
        .collect();
    // u1: April 10000 × 10 %; May 10000 × 10 % + 333 × 10 % = 1033.3 → 1033.
    assert_eq!(mine, [(Some("2026-04"), 1_000), (Some("2026-05"), 1_033)]);
    let only_pipeline = ForecastFilter {
        pipeline_id: Some(p2.id),
        ..Default::default()
    };
    assert!(
        env.deals
            .forecast(o, &only_pipeline)
            .await
            .unwrap()
            .is_empty()
    );

    // Lists: filters and a nullable sort, every row once.
    let all = all_pages!(
        DEAL_LIST_SPEC,
        &[("sort", "expected_close_date"), ("status", "open")],
        |q| env.deals.list(o, &q, None)
    );
    let dates: Vec<Option<NaiveDate>> = all.iter().map(|d| d.expected_close_date).collect();
    assert_eq!(dates, [apr, apr, may, may, may, may, None]);
    let q = query_for(
        &DEAL_LIST_SPEC,
        &[("currency", "EUR"), ("amount_from", "2000")],
    );
    assert_eq!(env.deals.list(o, &q, None).await.unwrap().data.len(), 1);
}

fn item(q: &str, unit_price: i64, tax_rate: i64) -> LineItemInput {
    LineItemInput {
        description: "Consulting".into(),
        quantity: q.into(),
        unit_price,
        tax_rate,
    }
}

fn quotation_input(client: ClientId, issue: &str) -> QuotationInput {
    QuotationInput {
        client_id: client,
        deal_id: None,
        issue_date: Some(issue.into()),
        valid_until: None,
        currency: "USD".into(),
        items: vec![item("1.5", 333, 1800), item("2", 125, 200)],
        owner_id: None,
    }
}

#[tokio::test]
async fn quotation_numbers_are_gap_free_under_concurrency_and_rollback() {
    let env = env().await;
    let o = org(&env).await;
    let a = admin(o);
    let c = client(&env, o, a.user_id).await;
    let svc = QuotationService::new(env.ports.clone());
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (s, a) = (svc.clone(), a.clone());
        let input = quotation_input(c.id, "2026-03-01");
        tasks.push(tokio::spawn(async move { s.create(&a, input).await }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().unwrap().number);
    }
    numbers.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("Q-2026-{n:04}")).collect();
    assert_eq!(numbers, expected);

    // A creation that rolls back gives its number back.
    let mut tx = env.tx.begin().await.unwrap();
    let n = env
        .counters
        .next(&mut tx, o, QUOTATION_COUNTER, 2026)
        .await
        .unwrap();
    assert_eq!(n, 21);
    let mut q = svc
        .get(&a, {
            let list = svc
                .list(&a, &query_for(&QUOTATION_LIST_SPEC, &[("limit", "1")]))
                .await
                .unwrap();
            list.data[0].id
        })
        .await
        .unwrap();
    q.id = QuotationId::new();
    q.number = Quotation::format_number(2026, n);
    env.quotations.create(&mut tx, &q).await.unwrap();
    drop(tx);
    assert_eq!(env.quotations.get(o, q.id).await, Err(StoreError::NotFound));
    let next = svc
        .create(&a, quotation_input(c.id, "2026-12-31"))
        .await
        .unwrap();
    assert_eq!(next.number, "Q-2026-0021");
    // Years and organizations count separately.
    let next_year = svc
        .create(&a, quotation_input(c.id, "2027-01-01"))
        .await
        .unwrap();
    assert_eq!(next_year.number, "Q-2027-0001");
    let o2 = org(&env).await;
    let a2 = admin(o2);
    let c2 = client(&env, o2, a2.user_id).await;
    let theirs = svc
        .create(&a2, quotation_input(c2.id, "2026-03-01"))
        .await
        .unwrap();
    assert_eq!(theirs.number, "Q-2026-0001");
    assert_eq!(svc.get(&a2, next.id).await, Err(DomainError::NotFound));
}

#[tokio::test]
async fn quotations_store_their_lines_and_read_expired_once_past_valid_until() {
    let env = env().await;
    let o = org(&env).await;
    let a = admin(o);
    let c = client(&env, o, a.user_id).await;
    let svc = QuotationService::new(env.ports.clone());
    let today = Utc::now().date_naive();
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();

    let mut input = quotation_input(c.id, &iso(today - Duration::days(40)));
    input.valid_until = Some(iso(today - Duration::days(1)));
    let late = svc.create(&a, input).await.unwrap();
    // 1.5 × 3.33 = 4.995 → 5.00 + 18 % = 0.90; 2 × 1.25 = 2.50 + 2 % = 0.05.
    assert_eq!((late.subtotal, late.tax_total, late.total), (750, 95, 845));
    let stored = env.quotations.get(o, late.id).await.unwrap();
    assert_eq!(stored, late);
    assert_eq!(stored.items[0].quantity, Quantity::from_thousandths(1500));
    let late = svc.send(&a, late.id, Some(1)).await;
    assert!(
        matches!(
            late,
            Err(DomainError::Conflict {
                code: "quotation-expired",
                ..
            })
        ),
        "{late:?}"
    );

    let mut input = quotation_input(c.id, &iso(today - Duration::days(10)));
    input.valid_until = Some(iso(today + Duration::days(10)));
    let live = svc.create(&a, input).await.unwrap();
    // Only drafts change; a patch reprices every line.
    let patch = crm_sales::quotations::QuotationPatch {
        items: Some(vec![item("0.5", 1, 0), item("1", 125, 200)]),
        ..Default::default()
    };
    let repriced = svc.update(&a, live.id, Some(1), patch).await.unwrap();
    assert_eq!(
        (repriced.subtotal, repriced.tax_total, repriced.total),
        (126, 3, 129)
    );
    assert_eq!(env.quotations.get(o, live.id).await.unwrap(), repriced);
    let sent = svc.send(&a, live.id, Some(2)).await.unwrap();
    assert_eq!(sent.status, QuotationStatus::Sent);

    // A sent quotation whose validity is over reads (and filters) as expired.
    let mut input = quotation_input(c.id, &iso(today - Duration::days(10)));
    input.valid_until = Some(iso(today));
    let ending = svc.create(&a, input).await.unwrap();
    svc.send(&a, ending.id, None).await.unwrap();
    let mut past = env.quotations.get(o, ending.id).await.unwrap();
    past.valid_until = today - Duration::days(1);
    past.version += 1;
    in_tx!(env, |tx| env
        .quotations
        .update(&mut tx, &past, past.version - 1)
        .await)
    .unwrap();
    assert_eq!(
        svc.get(&a, ending.id).await.unwrap().status,
        QuotationStatus::Expired
    );
    let err = svc.accept(&a, ending.id, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "quotation-expired",
                ..
            }
        ),
        "{err:?}"
    );
    let status = |s: &'static str| query_for(&QUOTATION_LIST_SPEC, &[("status", s)]);
    let ids = |p: crm_domain::Page<Quotation>| {
        p.data
            .into_iter()
            .map(|q| (q.id, q.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(svc.list(&a, &status("expired")).await.unwrap()),
        [(ending.id, QuotationStatus::Expired)]
    );
    assert_eq!(
        ids(svc.list(&a, &status("sent")).await.unwrap()),
        [(live.id, QuotationStatus::Sent)]
    );
    assert_eq!(svc.list(&a, &status("draft")).await.unwrap().data.len(), 1);
    svc.accept(&a, live.id, None).await.unwrap();
    let err = svc.reject(&a, live.id, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "quotation-status",
                ..
            }
        ),
        "{err:?}"
    );

    // Search by number, sort by total through every page.
    let q = query_for(&QUOTATION_LIST_SPEC, &[("q", &live.number.to_lowercase())]);
    assert_eq!(svc.list(&a, &q).await.unwrap().data.len(), 1);
    let by_total = all_pages!(QUOTATION_LIST_SPEC, &[("sort", "total")], |q| svc
        .list(&a, &q));
    let totals_seen: Vec<i64> = by_total.iter().map(|q| q.total).collect();
    assert_eq!(totals_seen, [129, 845, 845]);
    // Drafts alone can be deleted.
    let draft_id = by_total
        .iter()
        .find(|q| q.status == QuotationStatus::Draft)
        .unwrap()
        .id;
    svc.delete(&a, draft_id).await.unwrap();
    assert_eq!(svc.get(&a, draft_id).await, Err(DomainError::NotFound));
    let err = svc.delete(&a, live.id).await.unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Conflict {
                code: "quotation-not-draft",
                ..
            }
        ),
        "{err:?}"
    );
    // The same arithmetic as the domain's.
    let line = price_line("x".into(), Quantity::from_thousandths(1500), 333, 1800).unwrap();
    assert_eq!(totals(&[line]).unwrap(), (500, 90, 590));
}

#[tokio::test]
async fn client_summary_and_timeline_are_computed_by_the_store() {
    let env = env().await;
    let o = org(&env).await;
    let a = admin(o);
    let c = client(&env, o, a.user_id).await;
    let other = client(&env, o, a.user_id).await;
    let pipelines = PipelineService::new(env.ports.clone());
    let p = pipelines.default_pipeline(&a).await.unwrap();
    let rep = UserId::new();
    let mut deals = Vec::new();
    for (owner, amount, cur, status) in [
        (a.user_id, 200, usd(), DealStatus::Open),
        (rep, 300, usd(), DealStatus::Open),
        (a.user_id, 50, eur(), DealStatus::Open),
        (a.user_id, 1_000, usd(), DealStatus::Won),
        (rep, 7, usd(), DealStatus::Lost),
    ] {
        let mut d = seed_deal(&env, &p, 0, owner, amount, cur, 10, None, status).await;
        d.client_id = Some(c.id);
        d.version = 2;
        in_tx!(env, |tx| env.deals.update(&mut tx, &d, 1).await).unwrap();
        deals.push(d);
    }
    // Someone else's client's deal is nowhere in this client's figures.
    let mut d = seed_deal(&env, &p, 0, a.user_id, 5, usd(), 10, None, DealStatus::Open).await;
    d.client_id = Some(other.id);
    d.version = 2;
    in_tx!(env, |tx| env.deals.update(&mut tx, &d, 1).await).unwrap();

    let t0 = clock::now() - Duration::days(2);
    for (i, kind) in [InteractionKind::Call, InteractionKind::Meeting]
        .into_iter()
        .enumerate()
    {
        let it = Interaction {
            id: InteractionId::new(),
            organization_id: o,
            client_id: c.id,
            kind,
            summary: format!("talk {i}"),
            occurred_at: at(t0, i as i64),
            contact_id: None,
            owner_id: a.user_id,
            legacy_id: None,
            created_at: clock::now(),
            updated_at: clock::now(),
            version: 1,
        };
        in_tx!(env, |tx| env.interactions.create(&mut tx, &it).await).unwrap();
    }
    let quotes = QuotationService::new(env.ports.clone());
    let today = Utc::now().date_naive();
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut q1 = quotation_input(c.id, &iso(today - Duration::days(5)));
    q1.valid_until = Some(iso(today + Duration::days(5)));
    let draft = quotes.create(&a, q1.clone()).await.unwrap();
    let sent = quotes.create(&a, q1).await.unwrap();
    quotes.send(&a, sent.id, None).await.unwrap();
    let ending = quotes
        .create(&a, quotation_input(c.id, &iso(today - Duration::days(5))))
        .await
        .unwrap();
    quotes.send(&a, ending.id, None).await.unwrap();
    let mut past = env.quotations.get(o, ending.id).await.unwrap();
    past.valid_until = today - Duration::days(1);
    past.version += 1;
    in_tx!(env, |tx| env
        .quotations
        .update(&mut tx, &past, past.version - 1)
        .await)
    .unwrap();
    in_tx!(env, |tx| env
        .activities
        .record(
            &mut tx,
            NewActivity {
                organization_id: o,
                actor_id: Some(a.user_id),
                entity_type: "client",
                entity_id: c.id.0,
                action: "updated",
                changes: vec![],
                data: None,
                event_verb: None,
            }
        )
        .await)
    .unwrap();

    let svc = TrackingService::new(env.ports.clone());
    let s = svc.summary(&a, c.id).await.unwrap();
    assert_eq!(s.open_deals.count, 3);
    let totals: Vec<(&str, i64)> = s
        .open_deals
        .totals
        .iter()
        .map(|t| (t.currency.code(), t.amount))
        .collect();
    assert_eq!(totals, [("EUR", 50), ("USD", 500)]);
    assert_eq!(s.won_count, 1);
    assert_eq!(s.won_totals[0].amount, 1_000);
    assert_eq!(s.last_interaction_at, Some(at(t0, 1)));
    let by_status: Vec<(QuotationStatus, u64)> = s
        .quotations_by_status
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    assert_eq!(
        by_status,
        [
            (QuotationStatus::Draft, 1),
            (QuotationStatus::Sent, 1),
            (QuotationStatus::Accepted, 0),
            (QuotationStatus::Rejected, 0),
            (QuotationStatus::Expired, 1),
        ]
    );
    let _ = draft;

    // The timeline: 2 interactions, 5 deals, 3 quotations, and the audit entries of the
    // client (the one above) and of its quotations (3 created, 2 sent by the service; the
    // deals were written through the repository, without entries), newest first, each
    // exactly once across pages.
    let timeline = all_pages!(TIMELINE_LIST_SPEC, &[], |q| svc.timeline(&a, c.id, &q));
    let mut kinds = std::collections::BTreeMap::new();
    for t in &timeline {
        *kinds.entry(t.kind.as_str()).or_insert(0) += 1;
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            ("activity", 6),
            ("deal", 5),
            ("interaction", 2),
            ("quotation", 3)
        ]
    );
    let mut audited = timeline
        .iter()
        .filter(|t| t.kind == TimelineKind::Activity)
        .map(|t| {
            (
                t.data["entity_type"].as_str().unwrap_or_default(),
                t.data["action"].as_str().unwrap_or_default(),
            )
        })
        .collect::<Vec<_>>();
    audited.sort();
    assert_eq!(
        audited,
        [
            ("client", "updated"),
            ("quotation", "created"),
            ("quotation", "created"),
            ("quotation", "created"),
            ("quotation", "sent"),
            ("quotation", "sent"),
        ]
    );
    let distinct: HashSet<_> = timeline.iter().map(|t| t.id).collect();
    assert_eq!(distinct.len(), timeline.len());
    assert!(
        timeline
            .windows(2)
            .all(|w| (w[0].occurred_at, w[0].id) >= (w[1].occurred_at, w[1].id))
    );
    let expired: Vec<_> = timeline
        .iter()
        .filter(|t| t.kind == TimelineKind::Quotation && t.data["status"] == "expired")
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].title, ending.number);
    let q = query_for(
        &TIMELINE_LIST_SPEC,
        &[("kind", "interaction"), ("count", "true")],
    );
    let page = svc.timeline(&a, c.id, &q).await.unwrap();
    assert_eq!(page.total, Some(2));
    assert_eq!(page.data[0].title, "talk 1");
    assert_eq!(page.data[0].data["kind"], "meeting");

    // A sales rep sees the client's figures of its own deals only, and no audit entries.
    let rep_actor = Actor::new(
        rep,
        o,
        ["clients:read".to_string(), "deals:read:own".to_string()],
    );
    let s = svc.summary(&rep_actor, c.id).await.unwrap();
    assert_eq!((s.open_deals.count, s.won_count), (1, 0));
    assert!(s.quotations_by_status.values().all(|n| *n == 0));
    let timeline = all_pages!(TIMELINE_LIST_SPEC, &[], |q| svc
        .timeline(&rep_actor, c.id, &q));
    let kinds: HashSet<_> = timeline.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        HashSet::from([TimelineKind::Interaction, TimelineKind::Deal])
    );
    assert_eq!(timeline.len(), 4);
    // Another organization: 404.
    assert_eq!(
        svc.summary(&admin(org(&env).await), c.id).await,
        Err(DomainError::NotFound)
    );
}

/// The sales migration's `down` removes its tables and `up` brings them back. Runs on the
/// temporary SQLite database; on an external one (shared with other tests) only when
/// `CRM_DB_TEST_DOWN=1`.
#[tokio::test]
async fn the_sales_migration_goes_down_and_up_again() {
    let env = env().await;
    if env.test_db.dir.is_none() && std::env::var("CRM_DB_TEST_DOWN").as_deref() != Ok("1") {
        return;
    }
    // Migrations on one connection, as the server runs them.
    let db = env.test_db.for_migrations().await.conn;
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let pos = names
        .iter()
        .position(|n| n == "m20261122_000004_sales")
        .unwrap();
    let steps = u32::try_from(names.len() - pos).unwrap();
    Migrator::down(&db, Some(steps)).await.unwrap();
    let o = org(&env).await;
    assert!(env.leads.get(o, LeadId::new()).await.is_err());
    assert!(!matches!(
        env.leads.get(o, LeadId::new()).await,
        Err(StoreError::NotFound)
    ));
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        env.leads.get(o, LeadId::new()).await,
        Err(StoreError::NotFound)
    );
}
