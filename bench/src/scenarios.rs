//! The runs themselves: prepare the database and the server, then each scenario over HTTP and
//! as a direct call, the growth run and the login flood.

use crate::http1::{Pool, Response};
use crate::load::{self, Answer, Figures};
use crate::report::{FloodReport, GrowthRow, Machine, Report, Row};
use crate::{Config, ceiling, seed, server};
use crm_api::app::AppState;
use crm_calendar::occurrences::OccurrenceQuery;
use crm_domain::kernel::pagination::ListQuery;
use crm_finance::invoices::{INVOICE_LIST_SPEC, InvoiceId};
use crm_finance::payments::PaymentInput;
use crm_hr::attendance::CheckInput;
use crm_hr::employees::EmployeeId;
use crm_messages::{CONVERSATION_LIST_SPEC, ConversationId, MessageInput};
use crm_projects::projects::ProjectId;
use crm_projects::tasks::TASK_LIST_SPEC;
use crm_sales::leads::{LEAD_LIST_SPEC, LeadId, LeadInput, LeadPatch};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use uuid::Uuid;

pub(crate) const PASSWORD: &str = "bench password 0123";

/// Flood requests waiting for an answer at most; beyond, the sender skips a tick.
pub const FLOOD_IN_FLIGHT: u64 = 512;

pub struct Org {
    pub id: Uuid,
    pub admin: Uuid,
    pub token: String,
    pub email: String,
}

/// Every request of the bench: the setup's (slot 0, one at a time) and the workers' (slot =
/// worker), over keep-alive connections of [`Pool`].
#[derive(Clone)]
pub(crate) struct Http {
    pool: Arc<Pool>,
}

impl Http {
    pub(crate) fn new(base: &str, slots: usize) -> Self {
        Self {
            pool: Arc::new(Pool::new(base.trim_start_matches("http://"), slots)),
        }
    }

    pub(crate) async fn send(
        &self,
        slot: usize,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        if_match: Option<i64>,
    ) -> Result<Response, String> {
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| e.to_string())?;
        self.pool
            .send(slot, method, path, token, bytes.as_deref(), if_match)
            .await
            .map_err(|e| e.to_string())
    }

    /// Sends `body` as it is, with its own content type (a multipart upload).
    pub(crate) async fn send_raw(
        &self,
        slot: usize,
        method: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Response, String> {
        self.pool
            .send_typed(slot, method, path, Some(token), content_type, body)
            .await
            .map_err(|e| e.to_string())
    }

    /// Sends on any free connection, opening one when all are busy (the login flood).
    async fn send_any(&self, method: &str, path: &str, body: &Value) -> Result<Response, String> {
        let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        self.pool
            .send_any(method, path, Some(&bytes))
            .await
            .map_err(|e| e.to_string())
    }

    pub(crate) async fn status(&self, slot: usize, path: &str, token: &str) -> Answer {
        self.send(slot, "GET", path, Some(token), None, None)
            .await
            .map(|r| r.status)
    }

    /// A setup call whose JSON answer is needed; anything but 2xx is an error.
    pub(crate) async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let r = self.send(0, method, path, token, body, None).await?;
        let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        if (200..300).contains(&r.status) {
            Ok(v)
        } else {
            Err(format!("{path} answered {}: {v}", r.status))
        }
    }
}

pub(crate) async fn login(http: &Http, email: &str) -> Result<(Uuid, Uuid, String), String> {
    let v = http
        .json(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&json!({"email": email, "password": PASSWORD})),
        )
        .await?;
    let id = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Uuid>().ok())
            .ok_or_else(|| format!("login answer without {p}"))
    };
    let token = v
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or("login answer without access_token")?
        .to_string();
    Ok((id("/user/id")?, id("/user/organization_id")?, token))
}

/// Drops and creates the bench database unless it already holds this data set.
async fn prepare_database(cfg: &Config) -> Result<bool, String> {
    let url = url::Url::parse(&cfg.db_url).map_err(|e| format!("CRM_BENCH_DATABASE_URL: {e}"))?;
    let name = url.path().trim_start_matches('/').to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "CRM_BENCH_DATABASE_URL names no plain database: {name:?}"
        ));
    }
    let mut admin_url = url.clone();
    admin_url.set_path("/postgres");
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .map_err(|e| {
            format!(
                "cannot connect to {}: {e}",
                admin_url.host_str().unwrap_or("")
            )
        })?;
    if !cfg.reseed
        && let Ok(db) = sea_orm::Database::connect(cfg.db_url.as_str()).await
    {
        let seeded = seed::already_seeded(&db, cfg.orgs, cfg.leads_per_org)
            .await
            .unwrap_or(false);
        let _ = db.close().await;
        if seeded {
            return Ok(true);
        }
    }
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .map_err(|e| e.to_string())?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(false)
}

pub(crate) type Call =
    Arc<dyn Fn(usize, u64) -> Pin<Box<dyn Future<Output = Answer> + Send>> + Send + Sync>;

pub(crate) fn call<F, Fut>(f: F) -> Call
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Answer> + Send + 'static,
{
    Arc::new(move |w, i| Box::pin(f(w, i)))
}

pub(crate) async fn drive(
    cfg: &Config,
    conns: usize,
    expected: &'static [u16],
    c: &Call,
) -> Figures {
    let warm = c.clone();
    load::closed_loop(
        conns,
        Duration::from_secs(cfg.warmup_secs),
        expected,
        move |w, i| warm(w, i),
    )
    .await;
    let run = c.clone();
    let out = load::closed_loop(conns, cfg.duration(), expected, move |w, i| run(w, i)).await;
    if let Some(e) = &out.first_error {
        eprintln!("  first error: {e}");
    }
    out.figures()
}

/// Everything the scenarios share.
pub(crate) struct Ctx {
    /// The scenarios' connections: one per worker.
    pub(crate) http: Http,
    /// The login flood's connections: as many as requests are in flight, each reused once free.
    flood: Http,
    /// Makes every created lead's email unique across runs of the scenario.
    seq: AtomicU64,
    pub(crate) orgs: Vec<Org>,
    state: Arc<AppState>,
    /// (organization index, lead id) picked at random.
    sample: Vec<(usize, Uuid)>,
    /// One lead per worker for the patch scenario, and the version each is at.
    patch: Vec<(usize, Uuid)>,
    /// 1,000 leads every worker patches at random without `If-Match`: concurrent edits of one
    /// lead happen, and each must answer 200 (the last write wins).
    hot: Vec<(usize, Uuid)>,
    versions: Vec<AtomicI64>,
    deep_cursor: String,
    run: Uuid,
    /// The invoices and payment pairs of the finance scenarios.
    finance: crate::finance::Sample,
    /// The board and report projects of the projects scenarios.
    projects: crate::projects::Sample,
    /// The employees and check-in workers of the HR scenarios (first organization).
    hr: Arc<crate::hr::Sample>,
    /// The bench user of the messages and calendar scenarios (first organization).
    collab: Arc<crate::collab::Sample>,
}

impl Ctx {
    pub(crate) fn pick(&self, w: usize, i: u64) -> (usize, Uuid) {
        let n = self.sample.len();
        self.sample[(w * 7919 + (i as usize) * 104_729) % n]
    }

    pub(crate) fn hot(&self, w: usize, i: u64) -> (usize, Uuid) {
        let n = self.hot.len();
        self.hot[(w * 7919 + (i as usize) * 104_729) % n]
    }

    fn invoice(&self, w: usize, i: u64) -> (usize, Uuid) {
        let n = self.finance.invoices.len();
        self.finance.invoices[(w * 7919 + (i as usize) * 104_729) % n]
    }

    /// An organization (by index) with its board and report projects, in turn.
    fn project(&self, w: usize, i: u64) -> (usize, ProjectId, ProjectId) {
        let o = (w + i as usize) % self.projects.projects.len();
        let (board, report) = self.projects.projects[o];
        (o, ProjectId(board), ProjectId(report))
    }

    /// A payment of 2 allocated 1 to each invoice of a pair the workers share.
    fn payment(&self, w: usize, i: u64) -> (usize, Value) {
        let n = self.finance.pairs.len();
        let (o, client, [a, b]) = self.finance.pairs[(w * 7919 + (i as usize) * 104_729) % n];
        let body = json!({"client_id": client, "amount": 2, "currency": "USD",
            "method": "bank_transfer", "reference": format!("bench {w}-{i}"),
            "allocations": [{"invoice_id": a, "amount": 1}, {"invoice_id": b, "amount": 1}]});
        (o, body)
    }

    pub(crate) fn new_lead(&self, w: usize) -> Value {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        json!({
            "name": format!("Bench lead {w}-{n}"),
            "email": format!("new-{}-{n}@bench.test", self.run.simple()),
            "company": "Bench Ltd",
            "source": "web",
            "estimated_amount": 250000,
            "currency": "USD",
            "score": 40
        })
    }
}

/// A direct call's answer as the status its route would give.
fn ok(r: Result<impl Sized, impl std::fmt::Debug>) -> Answer {
    answered(r, 200)
}

fn answered(r: Result<impl Sized, impl std::fmt::Debug>, status: u16) -> Answer {
    r.map(|_| status).map_err(|e| format!("{e:?}"))
}

/// `assignee_id=<user>&limit=50` of the task list.
fn my_tasks_query(user: Uuid) -> Result<ListQuery, String> {
    let p = [
        ("assignee_id".to_string(), user.to_string()),
        ("limit".to_string(), "50".to_string()),
    ];
    ListQuery::parse(&TASK_LIST_SPEC, &p).map_err(|e| format!("{e:?}"))
}

/// The first page of a person's conversations.
fn conversations_query() -> Result<ListQuery, String> {
    let p = [("limit".to_string(), crate::collab::LIST_LIMIT.to_string())];
    ListQuery::parse(&CONVERSATION_LIST_SPEC, &p).map_err(|e| format!("{e:?}"))
}

fn list_query(cursor: Option<&str>) -> Result<ListQuery, String> {
    let mut p = vec![
        ("status".to_string(), "new".to_string()),
        ("limit".to_string(), "50".to_string()),
    ];
    if let Some(c) = cursor {
        p.push(("cursor".into(), c.into()));
    }
    ListQuery::parse(&LEAD_LIST_SPEC, &p).map_err(|e| format!("{e:?}"))
}

/// The HTTP call and the direct call of one scenario.
pub(crate) fn scenario(ctx: &Arc<Ctx>, name: &str) -> (Call, Option<Call>, &'static [u16]) {
    let c = ctx.clone();
    let d = ctx.clone();
    match name {
        "get lead by id" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let (o, id) = c.pick(w, i);
                    c.http
                        .status(w, &format!("/api/v1/leads/{id}"), &c.orgs[o].token)
                        .await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let (o, id) = d.pick(w, i);
                    let org = &d.orgs[o];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    ok(d.state.sales.leads.get(&actor, LeadId(id)).await)
                }
            })),
            &[200],
        ),
        "list leads (status, 50)" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let org = &c.orgs[(w + i as usize) % c.orgs.len()];
                    c.http
                        .status(w, "/api/v1/leads?status=new&limit=50", &org.token)
                        .await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let org = &d.orgs[(w + i as usize) % d.orgs.len()];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    ok(d.state.sales.leads.list(&actor, &list_query(None)?).await)
                }
            })),
            &[200],
        ),
        "list leads, page 1,000" => (
            call(move |w, _| {
                let c = c.clone();
                async move {
                    let path =
                        format!("/api/v1/leads?status=new&limit=50&cursor={}", c.deep_cursor);
                    c.http.status(w, &path, &c.orgs[0].token).await
                }
            }),
            Some(call(move |_, _| {
                let d = d.clone();
                async move {
                    let org = &d.orgs[0];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    let q = list_query(Some(&d.deep_cursor))?;
                    ok(d.state.sales.leads.list(&actor, &q).await)
                }
            })),
            &[200],
        ),
        "create lead" => (
            call(move |w, _| {
                let c = c.clone();
                async move {
                    let org = &c.orgs[w % c.orgs.len()];
                    let body = c.new_lead(w);
                    c.http
                        .send(
                            w,
                            "POST",
                            "/api/v1/leads",
                            Some(&org.token),
                            Some(&body),
                            None,
                        )
                        .await
                        .map(|r| r.status)
                }
            }),
            Some(call(move |w, _| {
                let d = d.clone();
                async move {
                    let org = &d.orgs[w % d.orgs.len()];
                    let body = d.new_lead(w);
                    let input: LeadInput =
                        serde_json::from_value(body).map_err(|e| e.to_string())?;
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    answered(d.state.sales.leads.create(&actor, input).await, 201)
                }
            })),
            &[201],
        ),
        "patch lead (If-Match)" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let (o, id) = c.patch[w];
                    let v = c.versions[w].load(Ordering::Relaxed);
                    let body = json!({"score": i % 100, "source": "referral"});
                    let path = format!("/api/v1/leads/{id}");
                    let r = c
                        .http
                        .send(
                            w,
                            "PATCH",
                            &path,
                            Some(&c.orgs[o].token),
                            Some(&body),
                            Some(v),
                        )
                        .await?;
                    // A patch that changes nothing keeps the version: follow the answer.
                    if let Some(v) = serde_json::from_slice::<Value>(&r.body)
                        .ok()
                        .and_then(|b| b.get("version")?.as_i64())
                    {
                        c.versions[w].store(v, Ordering::Relaxed);
                    }
                    Ok(r.status)
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let (o, id) = d.patch[w];
                    let org = &d.orgs[o];
                    let v = d.versions[w].load(Ordering::Relaxed);
                    let patch: LeadPatch =
                        serde_json::from_value(json!({"score": i % 100, "source": "referral"}))
                            .map_err(|e| e.to_string())?;
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    let r = d
                        .state
                        .sales
                        .leads
                        .update(&actor, LeadId(id), Some(v), patch)
                        .await;
                    if let Ok(l) = &r {
                        d.versions[w].store(l.version, Ordering::Relaxed);
                    }
                    ok(r)
                }
            })),
            &[200],
        ),
        "patch lead (shared, no If-Match)" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let (o, id) = c.hot(w, i);
                    let body = json!({"score": i % 100, "company": format!("w{w}-{i}")});
                    let path = format!("/api/v1/leads/{id}");
                    c.http
                        .send(w, "PATCH", &path, Some(&c.orgs[o].token), Some(&body), None)
                        .await
                        .map(|r| r.status)
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let (o, id) = d.hot(w, i);
                    let org = &d.orgs[o];
                    let patch: LeadPatch = serde_json::from_value(
                        json!({"score": i % 100, "company": format!("w{w}-{i}")}),
                    )
                    .map_err(|e| e.to_string())?;
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    ok(d.state
                        .sales
                        .leads
                        .update(&actor, LeadId(id), None, patch)
                        .await)
                }
            })),
            &[200],
        ),
        "get invoice by id" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let (o, id) = c.invoice(w, i);
                    c.http
                        .status(w, &format!("/api/v1/invoices/{id}"), &c.orgs[o].token)
                        .await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let (o, id) = d.invoice(w, i);
                    let org = &d.orgs[o];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    ok(d.state.finance.invoices.get(&actor, InvoiceId(id)).await)
                }
            })),
            &[200],
        ),
        "list invoices (issued, 50)" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let org = &c.orgs[(w + i as usize) % c.orgs.len()];
                    c.http
                        .status(w, "/api/v1/invoices?status=issued&limit=50", &org.token)
                        .await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let org = &d.orgs[(w + i as usize) % d.orgs.len()];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    let p = [
                        ("status".to_string(), "issued".to_string()),
                        ("limit".to_string(), "50".to_string()),
                    ];
                    let q =
                        ListQuery::parse(&INVOICE_LIST_SPEC, &p).map_err(|e| format!("{e:?}"))?;
                    ok(d.state.finance.invoices.list(&actor, &q).await)
                }
            })),
            &[200],
        ),
        "create payment (2 allocations)" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let (o, body) = c.payment(w, i);
                    c.http
                        .send(
                            w,
                            "POST",
                            "/api/v1/payments",
                            Some(&c.orgs[o].token),
                            Some(&body),
                            None,
                        )
                        .await
                        .map(|r| r.status)
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let (o, body) = d.payment(w, i);
                    let org = &d.orgs[o];
                    let input: PaymentInput =
                        serde_json::from_value(body).map_err(|e| e.to_string())?;
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    answered(d.state.finance.payments.create(&actor, input).await, 201)
                }
            })),
            &[201],
        ),
        "project board" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let (o, board, _) = c.project(w, i);
                    let path = format!("/api/v1/projects/{}/board", board.0);
                    c.http.status(w, &path, &c.orgs[o].token).await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let (o, board, _) = d.project(w, i);
                    let org = &d.orgs[o];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    ok(d.state.projects.tasks.board(&actor, board).await)
                }
            })),
            &[200],
        ),
        "list tasks assigned to me (50)" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let org = &c.orgs[(w + i as usize) % c.orgs.len()];
                    let path = format!("/api/v1/tasks?assignee_id={}&limit=50", org.admin);
                    c.http.status(w, &path, &org.token).await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let org = &d.orgs[(w + i as usize) % d.orgs.len()];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    let q = my_tasks_query(org.admin)?;
                    ok(d.state.projects.tasks.list(&actor, &q).await)
                }
            })),
            &[200],
        ),
        "project report" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let (o, _, report) = c.project(w, i);
                    let path = format!("/api/v1/projects/{}/report", report.0);
                    c.http.status(w, &path, &c.orgs[o].token).await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let (o, _, report) = d.project(w, i);
                    let org = &d.orgs[o];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    ok(d.state.projects.reports.project(&actor, report).await)
                }
            })),
            &[200],
        ),
        "leave balances" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let path = format!(
                        "/api/v1/leave-balances?employee_id={}&as_of={}",
                        c.hr.employee(w, i),
                        c.hr.as_of()
                    );
                    c.http.status(w, &path, &c.orgs[0].token).await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let org = &d.orgs[0];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    let employee = EmployeeId(d.hr.employee(w, i));
                    ok(d.state
                        .hr
                        .leave_balances
                        .balances(&actor, Some(employee), Some(d.hr.as_of()))
                        .await)
                }
            })),
            &[200],
        ),
        "check-in / check-out" => (
            call(move |w, _| {
                let c = c.clone();
                async move {
                    let p = &c.hr.punchers[w % c.hr.punchers.len()];
                    let open = p.open.load(Ordering::Relaxed);
                    let path = if open {
                        "/api/v1/attendance/check-out"
                    } else {
                        "/api/v1/attendance/check-in"
                    };
                    let r = c
                        .http
                        .send(w, "POST", path, Some(&p.token), Some(&json!({})), None)
                        .await?;
                    punched(p, open, r.status);
                    Ok(r.status)
                }
            }),
            Some(call(move |w, _| {
                let d = d.clone();
                async move {
                    let p = &d.hr.punchers[w % d.hr.punchers.len()];
                    let open = p.open.load(Ordering::Relaxed);
                    let actor = ceiling::authenticate(&d.state, p.user, d.orgs[0].id).await?;
                    let a = &d.state.hr.attendance;
                    let r = if open {
                        answered(a.check_out(&actor, CheckInput { note: None }).await, 200)
                    } else {
                        answered(a.check_in(&actor, CheckInput { note: None }).await, 201)
                    };
                    if let Ok(status) = r {
                        punched(p, open, status);
                    }
                    r
                }
            })),
            // A 409 is an error here: each worker's own punches alternate.
            &[200, 201],
        ),
        "deal board" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let org = &c.orgs[(w + i as usize) % c.orgs.len()];
                    c.http.status(w, "/api/v1/deals/board", &org.token).await
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let org = &d.orgs[(w + i as usize) % d.orgs.len()];
                    let actor = ceiling::authenticate(&d.state, org.admin, org.id).await?;
                    ok(d.state.sales.deals.board(&actor, None).await)
                }
            })),
            &[200],
        ),
        "list my conversations (1,000, unread)" => (
            call(move |w, _| {
                let c = c.clone();
                async move {
                    let path = format!("/api/v1/conversations?limit={}", crate::collab::LIST_LIMIT);
                    c.http.status(w, &path, &c.collab.token).await
                }
            }),
            Some(call(move |_, _| {
                let d = d.clone();
                async move {
                    let actor =
                        ceiling::authenticate(&d.state, d.collab.user, d.orgs[0].id).await?;
                    let q = conversations_query()?;
                    ok(d.state.messages.conversations.list(&actor, &q).await)
                }
            })),
            &[200],
        ),
        "month of occurrences (500 series)" => (
            call(move |w, _| {
                let c = c.clone();
                async move {
                    let s = &c.collab;
                    let path = format!("/api/v1/calendar/occurrences?from={}&to={}", s.from, s.to);
                    c.http.status(w, &path, &s.token).await
                }
            }),
            Some(call(move |_, _| {
                let d = d.clone();
                async move {
                    let s = &d.collab;
                    let actor = ceiling::authenticate(&d.state, s.user, d.orgs[0].id).await?;
                    let q = OccurrenceQuery {
                        from: Some(s.from.clone()),
                        to: Some(s.to.clone()),
                    };
                    let list = d.state.calendar.occurrences.list(&actor, &q).await;
                    ok(list)
                }
            })),
            &[200],
        ),
        "send message" => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let s = &c.collab;
                    let path = format!("/api/v1/conversations/{}/messages", s.conversation(w, i));
                    let body = json!({"body": format!("bench message {w}-{i}")});
                    c.http
                        .send(w, "POST", &path, Some(&s.token), Some(&body), None)
                        .await
                        .map(|r| r.status)
                }
            }),
            Some(call(move |w, i| {
                let d = d.clone();
                async move {
                    let s = &d.collab;
                    let actor = ceiling::authenticate(&d.state, s.user, d.orgs[0].id).await?;
                    let input = MessageInput {
                        body: format!("bench message {w}-{i} (direct)"),
                        file_ids: None,
                        client_message_id: None,
                    };
                    let id = ConversationId(s.conversation(w, i));
                    answered(d.state.messages.messages.send(&actor, id, input).await, 201)
                }
            })),
            &[201],
        ),
        _ => (
            call(move |w, i| {
                let c = c.clone();
                async move {
                    let org = &c.orgs[(w + i as usize) % c.orgs.len()];
                    let body = json!({"email": org.email, "password": PASSWORD});
                    c.http
                        .send(w, "POST", "/api/v1/auth/login", None, Some(&body), None)
                        .await
                        .map(|r| r.status)
                }
            }),
            None,
            // Past the hashing queue a login is refused with 503 at once, by design.
            &[200, 503],
        ),
    }
}

/// A worker's punch is open after a check-in answered 201 (or refused as already open) and
/// closed after a check-out answered 200 (or refused as not open).
fn punched(p: &crate::hr::Puncher, was_open: bool, status: u16) {
    let now_open = match (was_open, status) {
        (false, 201) | (false, 409) => true,
        (true, 200) | (true, 409) => false,
        _ => was_open,
    };
    p.open.store(now_open, Ordering::Relaxed);
}

const SCENARIOS: [&str; 19] = [
    "get lead by id",
    "list leads (status, 50)",
    "list leads, page 1,000",
    "create lead",
    "patch lead (If-Match)",
    "patch lead (shared, no If-Match)",
    "deal board",
    "get invoice by id",
    "list invoices (issued, 50)",
    "create payment (2 allocations)",
    "project board",
    "list tasks assigned to me (50)",
    "project report",
    "leave balances",
    "check-in / check-out",
    "list my conversations (1,000, unread)",
    "month of occurrences (500 series)",
    "send message",
    "login",
];

/// The scenarios that need the messages and calendar data set.
const COLLAB: [&str; 3] = [
    "list my conversations (1,000, unread)",
    "month of occurrences (500 series)",
    "send message",
];

/// The scenarios that need seeded employees.
const HR: [&str; 2] = ["leave balances", "check-in / check-out"];

/// The one-at-a-time walk of the month's attendance (`crate::hr::month_alone`), selected by
/// `CRM_BENCH_SCENARIOS` like a scenario.
const ATTENDANCE_MONTH: &str = "attendance month";

/// The scenarios that need seeded projects.
const PROJECTS: [&str; 3] = [
    "project board",
    "list tasks assigned to me (50)",
    "project report",
];

/// The scenarios that need seeded invoices.
const FINANCE: [&str; 3] = [
    "get invoice by id",
    "list invoices (issued, 50)",
    "create payment (2 allocations)",
];

async fn seed_orgs(
    cfg: &Config,
    db: &DatabaseConnection,
    http: &Http,
    env: &[(String, String)],
    config_dir: &std::path::Path,
) -> Result<(), String> {
    let total = cfg.orgs as u64 * cfg.leads_per_org as u64;
    let bar = seed::bar(total, "leads");
    for k in 0..cfg.orgs {
        let email = format!("admin@org{k}.bench.test");
        server::create_admin(
            &cfg.binary,
            config_dir,
            env,
            &email,
            PASSWORD,
            &format!("Bench org {k}"),
        )
        .await?;
        let (_, org, token) = login(http, &email).await?;
        // The board creates the default pipeline on first use and names its stages.
        let board = http
            .json("GET", "/api/v1/deals/board", Some(&token), None)
            .await?;
        let pipeline = board
            .get("pipeline_id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or("board without pipeline_id")?;
        let stages = board
            .get("stages")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.get("stage_id")?.as_str()?.parse().ok())
                    .collect::<Vec<Uuid>>()
            })
            .unwrap_or_default();
        let plan = seed::OrgPlan {
            org,
            tag: format!("org{k}"),
            users: cfg.users_per_org - 1,
            clients: cfg.clients_per_org,
            deals: cfg.deals_per_org,
            pipeline,
            stages,
        };
        seed::users_clients_deals(db, &plan).await?;
        let set = seed::LeadSet {
            org,
            tag: &plan.tag,
            total: cfg.leads_per_org,
            spacing_secs: 300.0,
        };
        seed::leads(db, &set, 1, cfg.leads_per_org, &bar).await?;
    }
    bar.finish();
    seed::mark_seeded(db, cfg.orgs, cfg.leads_per_org).await?;
    seed::analyze(db).await
}

/// The cursor that opens page `page` of the status list.
async fn cursor_at(http: &Http, token: &str, page: usize) -> Result<String, String> {
    let mut cursor: Option<String> = None;
    for _ in 1..page {
        let path = match &cursor {
            Some(c) => format!("/api/v1/leads?status=new&limit=50&cursor={c}"),
            None => "/api/v1/leads?status=new&limit=50".to_string(),
        };
        let v = http.json("GET", &path, Some(token), None).await?;
        cursor = Some(
            v.get("next_cursor")
                .and_then(Value::as_str)
                .ok_or(format!("the list ends before page {page}"))?
                .to_string(),
        );
    }
    cursor.ok_or_else(|| "page must be at least 2".into())
}

pub async fn run(cfg: &Config) -> Result<Option<Report>, String> {
    if !cfg.binary.exists() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release --bin crm` (make bench does)",
            cfg.binary.display()
        ));
    }
    let config_dir = cfg.root.join("config");
    let seeded = prepare_database(cfg).await?;
    let port = server::free_port().map_err(|e| e.to_string())?;
    let secret = format!(
        "bench-{}-{}",
        Uuid::now_v7().simple(),
        Uuid::now_v7().simple()
    );
    let env = server::server_env(&cfg.db_url, port, cfg.pool, &secret);
    println!("bench: starting {} on port {port}", cfg.binary.display());
    let srv = server::Server::start(&cfg.binary, &config_dir, &env).await?;
    let max_conns = cfg.connections.iter().copied().max().unwrap_or(64);
    let http = Http::new(&srv.base, max_conns);
    let db = sea_orm::Database::connect(cfg.db_url.as_str())
        .await
        .map_err(|e| e.to_string())?;
    seed::install_helpers(&db).await?;
    if seeded {
        println!("bench: reusing the seeded database (CRM_BENCH_RESEED=1 seeds anew)");
    } else {
        println!(
            "bench: seeding {} organizations × {} leads, {} users, {} clients, {} deals",
            cfg.orgs, cfg.leads_per_org, cfg.users_per_org, cfg.clients_per_org, cfg.deals_per_org
        );
        let t = std::time::Instant::now();
        seed_orgs(cfg, &db, &http, &env, &config_dir).await?;
        println!("bench: seeded in {:.0} s", t.elapsed().as_secs_f64());
    }

    let mut orgs = Vec::new();
    for k in 0..cfg.orgs {
        let email = format!("admin@org{k}.bench.test");
        let (admin, id, token) = login(&http, &email).await?;
        orgs.push(Org {
            id,
            admin,
            token,
            email,
        });
    }
    let org_ids: Vec<Uuid> = orgs.iter().map(|o| o.id).collect();
    if cfg.invoices_per_org > 0
        && !crate::finance::already_seeded(&db, cfg.orgs, cfg.invoices_per_org).await?
    {
        println!(
            "bench: seeding {} organizations × {} invoices",
            cfg.orgs, cfg.invoices_per_org
        );
        let bar = seed::bar(cfg.orgs as u64 * cfg.invoices_per_org as u64, "invoices");
        for org in &org_ids {
            let n = cfg.invoices_per_org;
            crate::finance::invoices(&db, *org, (1, n, n), 300.0, &bar).await?;
        }
        bar.finish();
        crate::finance::mark_seeded(&db, cfg.orgs, cfg.invoices_per_org).await?;
        seed::analyze(&db).await?;
    }
    let finance = if cfg.invoices_per_org > 0 {
        crate::finance::sample(&db, &org_ids).await?
    } else {
        crate::finance::Sample::default()
    };
    let no_invoices = finance.pairs.is_empty();
    let admins: Vec<(Uuid, Uuid)> = orgs.iter().map(|o| (o.id, o.admin)).collect();
    let projects = if cfg.tasks_per_org > 0 {
        seed_projects(cfg, &db, &admins).await?;
        crate::projects::sample(&db, &admins).await?
    } else {
        crate::projects::Sample::default()
    };
    let no_projects = projects.projects.is_empty();
    let hr = if cfg.employees > 0 {
        let month = seed_hr(cfg, &db, &http, &orgs[0]).await?;
        crate::hr::sample(
            &db,
            &http,
            orgs[0].id,
            "org0",
            month,
            cfg.employees.min(max_conns as i64),
        )
        .await?
    } else {
        crate::hr::Sample::default()
    };
    let no_hr = hr.employees.is_empty();
    let collab = if cfg.collab {
        let o = &orgs[0];
        if !crate::collab::already_seeded(&db, o.id).await? {
            crate::collab::clear(&db, o.id).await?;
            println!(
                "bench: seeding a user in {} conversations and {} recurring events",
                crate::collab::CONVERSATIONS,
                crate::collab::EVENTS
            );
            let t = std::time::Instant::now();
            crate::collab::seed(&db, &http, &o.token, o.id, o.admin).await?;
            println!(
                "bench: seeded messages and calendar in {:.0} s",
                t.elapsed().as_secs_f64()
            );
        }
        crate::collab::sample(&db, &http, o.id).await?
    } else {
        crate::collab::Sample::default()
    };
    let no_collab = collab.conversations.is_empty();
    let mut sample = Vec::new();
    let mut patch = Vec::new();
    for (k, o) in orgs.iter().enumerate() {
        let ids = seed::query_uuids(
            &db,
            "SELECT id FROM leads WHERE organization_id = $1 ORDER BY random() LIMIT 2000",
            vec![o.id.into()],
        )
        .await?;
        sample.extend(ids.iter().skip(max_conns).map(|id| (k, *id)));
        if k == 0 {
            patch.extend(ids.iter().take(max_conns).map(|id| (k, *id)));
        }
    }
    let hot: Vec<(usize, Uuid)> = sample
        .iter()
        .filter(|(k, _)| *k == 0)
        .take(1000)
        .copied()
        .collect();
    let mut versions = Vec::new();
    for (_, id) in &patch {
        let row = db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT version FROM leads WHERE id = $1",
                [(*id).into()],
            ))
            .await
            .map_err(|e| e.to_string())?;
        let v: i32 = row
            .and_then(|r| r.try_get_by_index(0).ok())
            .ok_or("patch lead vanished")?;
        versions.push(AtomicI64::new(i64::from(v)));
    }
    println!("bench: walking to page 1,000 of the status list");
    let deep_cursor = cursor_at(&http, &orgs[0].token, 1000).await?;
    let state = ceiling::state(&env, &config_dir).await?;
    // Fails early when the in-process services cannot authenticate the bench admins.
    for o in &orgs {
        ceiling::authenticate(&state, o.admin, o.id).await?;
    }
    let ctx = Arc::new(Ctx {
        http: http.clone(),
        flood: Http::new(&srv.base, 1),
        seq: AtomicU64::new(0),
        orgs,
        state,
        sample,
        patch,
        hot,
        versions,
        deep_cursor,
        run: Uuid::now_v7(),
        finance,
        projects,
        hr: Arc::new(hr),
        collab: Arc::new(collab),
    });

    let only: Vec<String> = std::env::var("CRM_BENCH_SCENARIOS")
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    let selected = |n: &str| only.is_empty() || only.iter().any(|o| n.starts_with(o.as_str()));
    let mut rows = Vec::new();
    for name in SCENARIOS
        .into_iter()
        .filter(|n| selected(n))
        .filter(|n| !(no_invoices && FINANCE.contains(n)))
        .filter(|n| !(no_projects && PROJECTS.contains(n)))
        .filter(|n| !(no_hr && HR.contains(n)))
        .filter(|n| !(no_collab && COLLAB.contains(n)))
    {
        for &conns in &cfg.connections {
            let (api, direct, expected) = scenario(&ctx, name);
            srv.reset_peak();
            println!("bench: {name} at {conns} connections");
            let (cpu0, pg0, t0) = (
                srv.cpu_secs(),
                server::postgres_cpu_secs(),
                std::time::Instant::now(),
            );
            let api = drive(cfg, conns, expected, &api).await;
            let wall = t0.elapsed().as_secs_f64();
            let cpu = (
                (srv.cpu_secs() - cpu0) / wall,
                (server::postgres_cpu_secs() - pg0) / wall,
            );
            let peak = srv.peak_mib();
            let ceiling = match direct {
                Some(d) if cfg.quick.is_none() => Some(drive(cfg, conns, expected, &d).await),
                _ => None,
            };
            println!(
                "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, errors {}, peak RSS {peak:.1} MiB{}",
                api.rps,
                api.p50_ms,
                api.p99_ms,
                api.errors,
                ceiling
                    .as_ref()
                    .map(|c| format!(" | ceiling {:.0} req/s", c.rps))
                    .unwrap_or_default()
            );
            rows.push(Row {
                scenario: name.to_string(),
                connections: conns,
                api,
                ceiling,
                peak_rss_mib: peak,
                cpu,
            });
        }
    }

    if let Some(label) = &cfg.quick {
        // `CRM_BENCH_PLATFORM=1` adds the platform run to a quick run, printed only.
        if std::env::var("CRM_BENCH_PLATFORM").is_ok_and(|v| v == "1") {
            let p = crate::platform::run(cfg, &ctx, &srv).await?;
            println!("{}", p.markdown());
        }
        // `CRM_BENCH_IMPORT=1` adds the CSV import, printed only.
        if std::env::var("CRM_BENCH_IMPORT").is_ok_and(|v| v == "1") {
            let i = crate::imports::run(&ctx, &srv).await?;
            println!("{}", i.markdown());
        }
        // `CRM_BENCH_SOAK=1` adds the two-instance soak, printed only.
        if std::env::var("CRM_BENCH_SOAK").is_ok_and(|v| v == "1")
            && let Some(k) = crate::soak::run(cfg, &ctx, &db, &srv, &env, &config_dir).await?
        {
            println!("{}", k.markdown());
        }
        srv.stop().await;
        quick_lines(cfg, label, &rows)?;
        return Ok(None);
    }
    let picks: Vec<(Uuid, Uuid)> = ctx
        .sample
        .iter()
        .map(|(k, id)| (ctx.orgs[*k].id, *id))
        .collect();
    let allocations = if rows
        .iter()
        .any(|r| r.scenario.starts_with("create payment"))
    {
        Some(crate::finance::check_allocations(&db).await?)
    } else {
        None
    };
    let sql_ceiling =
        crate::sql_ceiling::measure(&db, &cfg.db_url, cfg.pool, cfg.secs, &picks, &org_ids).await;
    let platform = if std::env::var("CRM_BENCH_PLATFORM").is_ok_and(|v| v == "0") {
        None
    } else {
        Some(crate::platform::run(cfg, &ctx, &srv).await?)
    };
    // `CRM_BENCH_IMPORT=0` leaves the CSV import out.
    let imports = if std::env::var("CRM_BENCH_IMPORT").is_ok_and(|v| v == "0") {
        None
    } else {
        Some(crate::imports::run(&ctx, &srv).await?)
    };
    let growth = growth_run(cfg, &db, &http, &env, &config_dir, &srv).await?;
    let finance = crate::finance::FinanceReport {
        invoices_per_org: cfg.invoices_per_org,
        allocations,
        growth: if no_invoices {
            Vec::new()
        } else {
            crate::finance::growth(cfg, &db, &http, &env, &config_dir).await?
        },
    };
    let projects = if no_projects {
        None
    } else {
        Some(projects_report(cfg, &ctx).await)
    };
    let hr = if no_hr || !selected(ATTENDANCE_MONTH) {
        None
    } else {
        Some(crate::hr::month_alone(cfg, &ctx.http, &ctx.orgs[0].token, &ctx.hr).await)
    };
    let flood = flood_run(cfg, &ctx, &rows, &srv).await;
    let soak = crate::soak::run(cfg, &ctx, &db, &srv, &env, &config_dir).await?;
    let report = Report {
        machine: Machine::detect(&db).await,
        seconds_per_run: cfg.secs,
        pool: cfg.pool,
        orgs: cfg.orgs,
        leads_per_org: cfg.leads_per_org,
        users_per_org: cfg.users_per_org,
        clients_per_org: cfg.clients_per_org,
        deals_per_org: cfg.deals_per_org,
        rows,
        sql_ceiling,
        growth,
        flood,
        platform,
        imports,
        finance: Some(finance),
        projects,
        hr,
        collab: (!no_collab).then(|| crate::collab::CollabReport::of(&ctx.collab)),
        soak,
        peak_rss_hwm_mib: srv.hwm_mib(),
    };
    srv.stop().await;
    Ok(Some(report))
}

/// Projects, members, milestones, tasks and time of every organization, unless this data set
/// is there already.
async fn seed_projects(
    cfg: &Config,
    db: &DatabaseConnection,
    admins: &[(Uuid, Uuid)],
) -> Result<(), String> {
    let (tasks, entries) = (cfg.tasks_per_org, cfg.time_entries_per_org);
    if crate::projects::already_seeded(db, cfg.orgs, tasks, entries).await? {
        return Ok(());
    }
    crate::projects::clear(db).await?;
    println!(
        "bench: seeding {} organizations × {tasks} tasks in {} projects, {entries} time entries",
        cfg.orgs,
        crate::projects::PROJECTS
    );
    let t = std::time::Instant::now();
    let per_org = tasks + entries + crate::projects::BOARD_TASKS.min(tasks);
    let bar = seed::bar(cfg.orgs as u64 * per_org as u64, "tasks and time");
    for &(org, admin) in admins {
        let plan = crate::projects::Plan {
            org,
            admin,
            tasks,
            time_entries: entries,
        };
        crate::projects::seed(db, &plan, &bar).await?;
    }
    bar.finish();
    crate::projects::mark_seeded(db, cfg.orgs, tasks, entries).await?;
    // As autovacuum leaves insert-only tables: with the visibility map set, the counts of a
    // task's place and the report's sums can read their indexes alone.
    db.execute_unprepared(
        "VACUUM ANALYZE projects, project_members, milestones, tasks, task_assignees, \
         task_dependencies, time_entries",
    )
    .await
    .map_err(|e| e.to_string())?;
    println!(
        "bench: seeded projects in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The HR data set of the first organization, unless it is there already; the attendance
/// month it was seeded with.
async fn seed_hr(
    cfg: &Config,
    db: &DatabaseConnection,
    http: &Http,
    org: &Org,
) -> Result<chrono::NaiveDate, String> {
    let users = cfg
        .employees
        .min(cfg.connections.iter().copied().max().unwrap_or(64) as i64);
    if let Some(month) = crate::hr::already_seeded(db, cfg.employees, users).await? {
        return Ok(month);
    }
    crate::hr::clear(db).await?;
    let month = crate::hr::last_month(chrono::Utc::now().date_naive());
    println!(
        "bench: seeding {} employees, their leave and {} of them punching in {}",
        cfg.employees,
        crate::hr::ATTENDANCE_EMPLOYEES.min(cfg.employees),
        month.format("%Y-%m")
    );
    let t = std::time::Instant::now();
    let plan = crate::hr::Plan {
        org: org.id,
        admin: org.admin,
        tag: "org0".into(),
        employees: cfg.employees,
        users,
        month,
    };
    crate::hr::seed(db, http, &org.token, &plan).await?;
    crate::hr::mark_seeded(db, cfg.employees, users, month).await?;
    db.execute_unprepared(
        "VACUUM ANALYZE employees, leave_types, leave_requests, leave_adjustments, \
         attendance_records, holidays, work_schedules, users, user_roles",
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("bench: seeded HR in {:.0} s", t.elapsed().as_secs_f64());
    Ok(month)
}

/// The data set the projects scenarios ran on, and the report alone, one request at a time
/// (its p99 is the target's figure).
async fn projects_report(cfg: &Config, ctx: &Arc<Ctx>) -> crate::projects::ProjectsReport {
    let (report, _, _) = scenario(ctx, "project report");
    println!("bench: project report, one request at a time");
    let alone = drive(cfg, 1, &[200], &report).await;
    println!(
        "  p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        alone.p50_ms, alone.p99_ms, alone.max_ms
    );
    let s = &ctx.projects;
    crate::projects::ProjectsReport {
        tasks_per_org: cfg.tasks_per_org,
        time_entries_per_org: cfg.time_entries_per_org,
        board_tasks: s.board_tasks,
        my_tasks: s.my_tasks,
        report_entries: s.report_entries,
        report_alone: Some(alone),
    }
}

/// One JSON line per scenario of a quick run, appended to `target/bench/quick.jsonl`.
fn quick_lines(cfg: &Config, label: &str, rows: &[Row]) -> Result<(), String> {
    use std::io::Write as _;
    let dir = cfg.root.join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("quick.jsonl"))
        .map_err(|e| e.to_string())?;
    for r in rows {
        let line = json!({
            "label": label,
            "binary": cfg.binary.display().to_string(),
            "scenario": r.scenario,
            "connections": r.connections,
            "rps": r.api.rps,
            "p50_ms": r.api.p50_ms,
            "p99_ms": r.api.p99_ms,
            "errors": r.api.errors,
            "server_cores": r.cpu.0,
            "postgres_cores": r.cpu.1,
            "server_us_per_req": r.cpu.0 / r.api.rps * 1e6,
            "postgres_us_per_req": r.cpu.1 / r.api.rps * 1e6,
            "peak_rss_mib": r.peak_rss_mib,
        });
        writeln!(f, "{line}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn growth_run(
    cfg: &Config,
    db: &DatabaseConnection,
    http: &Http,
    env: &[(String, String)],
    config_dir: &std::path::Path,
    srv: &server::Server,
) -> Result<Vec<GrowthRow>, String> {
    let email = "admin@growth.bench.test";
    server::create_admin(
        &cfg.binary,
        config_dir,
        env,
        email,
        PASSWORD,
        "Bench growth",
    )
    .await?;
    let (_, org, token) = login(http, email).await?;
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "DELETE FROM leads WHERE organization_id = $1",
        [org.into()],
    ))
    .await
    .map_err(|e| e.to_string())?;
    // A run on a reused database deletes the last run's million: without a vacuum their dead
    // index entries made the 10k list 4x slower than the 1M one.
    db.execute_unprepared("VACUUM ANALYZE leads")
        .await
        .map_err(|e| e.to_string())?;
    let last = cfg.growth.iter().copied().max().unwrap_or(0);
    let mut have = 0i64;
    let mut out = Vec::new();
    let conns = cfg.connections.iter().copied().min().unwrap_or(16);
    for &n in &cfg.growth {
        let bar = seed::bar((n - have).max(0) as u64, "growth leads");
        let set = seed::LeadSet {
            org,
            tag: "growth",
            total: last,
            spacing_secs: 20.0,
        };
        seed::leads(db, &set, have + 1, n, &bar).await?;
        bar.finish();
        have = have.max(n);
        seed::analyze(db).await?;
        let list_token = token.clone();
        let h = http.clone();
        let c = call(move |w, _| {
            let (h, token) = (h.clone(), list_token.clone());
            async move {
                h.status(w, "/api/v1/leads?status=new&limit=50", &token)
                    .await
            }
        });
        srv.reset_peak();
        println!("bench: list leads with {n} leads in one organization");
        let f = drive(cfg, conns, &[200], &c).await;
        println!("  p50 {:.2} ms, p99 {:.2} ms", f.p50_ms, f.p99_ms);
        println!("bench: export the {n} leads as CSV");
        let export =
            crate::exports::run(srv, &token, "/api/v1/leads/export?sort=-created_at").await?;
        if export.rows != n as u64 {
            return Err(format!("the export of {n} leads gave {} rows", export.rows));
        }
        println!(
            "  {:.0} rows/s, {:.1} MiB in {:.1} s, first byte {:.0} ms, peak RSS {:.1} MiB",
            export.rows_per_sec,
            export.bytes as f64 / 1048576.0,
            export.secs,
            export.first_byte_ms,
            export.peak_rss_mib
        );
        out.push(GrowthRow {
            leads: n,
            connections: conns,
            list: f,
            export,
        });
    }
    Ok(out)
}

async fn flood_run(
    cfg: &Config,
    ctx: &Arc<Ctx>,
    rows: &[Row],
    srv: &server::Server,
) -> FloodReport {
    let conns = cfg.connections.iter().copied().min().unwrap_or(16);
    let find = |name: &str| {
        rows.iter()
            .find(|r| r.scenario == name && r.connections == conns)
            .map(|r| r.api.clone())
    };
    let baseline = find("get lead by id");
    let capacity = find("login")
        .map(|f| f.statuses.get(&200).copied().unwrap_or(0) as f64 / cfg.secs as f64)
        .unwrap_or(10.0);
    let rate = (capacity * 2.0).max(2.0);
    println!(
        "bench: login flood at {rate:.0}/s (twice the measured {capacity:.0}/s) during get lead"
    );
    let (get, _, _) = scenario(ctx, "get lead by id");
    let flood_ctx = ctx.clone();
    srv.reset_peak();
    let flood = tokio::spawn(load::open_loop(
        rate,
        cfg.duration(),
        FLOOD_IN_FLIGHT,
        move |i| {
            let c = flood_ctx.clone();
            async move {
                let org = &c.orgs[i as usize % c.orgs.len()];
                let body = json!({"email": org.email, "password": PASSWORD});
                c.flood
                    .send_any("POST", "/api/v1/auth/login", &body)
                    .await
                    .map(|r| r.status)
            }
        },
    ));
    let g = get.clone();
    let during = load::closed_loop(conns, cfg.duration(), &[200], move |w, i| g(w, i))
        .await
        .figures();
    let logins = flood.await.ok();
    FloodReport {
        connections: conns,
        login_capacity_per_sec: capacity,
        flood_rate_per_sec: rate,
        get_lead_baseline: baseline,
        get_lead_during: during,
        logins: logins.as_ref().map(|l| l.all.figures()),
        logins_by_status: logins
            .as_ref()
            .map(|l| l.by_status.iter().map(|(s, o)| (*s, o.figures())).collect())
            .unwrap_or_default(),
        not_sent: logins.map(|l| l.not_sent).unwrap_or(0),
        connections_opened: ctx.flood.pool.opened(),
        peak_rss_mib: srv.peak_mib(),
    }
}
