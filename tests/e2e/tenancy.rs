//! Every route against a second organization (404) and a caller without the permission (403).

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::*;
use crm_api::access::Access;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The resource a route is about: `/api/v1/users/{id}/roles` → `users`.
fn resource_of(path: &str) -> &str {
    path.trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or_default()
}

/// The identity resources with list (or single-document) routes.
const IDENTITY_LISTS: &[&str] = &[
    "organization",
    "users",
    "roles",
    "permissions",
    "departments",
    "designations",
    "activities",
];

/// One row of the route table, with the method as the HTTP client spells it.
struct Route {
    method: Method,
    path: String,
    access: Access,
}

fn route_table() -> Vec<Route> {
    crm_api::routes::api_routes()
        .table()
        .iter()
        .map(|r| Route {
            method: Method::from_bytes(r.method.as_str().as_bytes()).unwrap(),
            path: r.path.clone(),
            access: r.access,
        })
        .collect()
}

/// Every remaining `{param}` of `path` replaced by an id that exists nowhere.
fn any_ids(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(&rest[..start]);
        out.push_str(&uuid::Uuid::now_v7().to_string());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A minimal body that gets past JSON parsing for the route's method.
fn minimal_body(method: &Method, path: &str) -> Option<Value> {
    if *method == Method::GET || *method == Method::DELETE {
        None
    } else if path.ends_with("/roles") && *method == Method::PUT {
        Some(json!({"role_ids": []}))
    } else {
        Some(json!({}))
    }
}

/// Organization A's records, one per kind with an id route.
struct Records {
    ids: HashMap<String, String>,
    /// Where each record is read, for the records that nest under another.
    nested: HashMap<String, String>,
    /// Records that only fill paths (no route reads one alone): webhook deliveries.
    path_only: HashMap<String, String>,
}

/// The kinds of record `path` needs, one per `{param}`: `{id}` is the resource the path
/// starts with, `{contact_id}` a contact (`contacts`), and so on.
fn kinds_of(path: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e).unwrap();
        let param = &rest[start + 1..end];
        kinds.push(if param == "id" {
            resource_of(path).to_string()
        } else {
            format!("{}s", param.trim_end_matches("_id"))
        });
        rest = &rest[end + 1..];
    }
    kinds
}

impl Records {
    async fn create(app: &TestApp, admin: &Session) -> Records {
        let user = app.user_with_roles(admin, &["employee"]).await;
        let role = create_as(
            app,
            &admin.access,
            "/api/v1/roles",
            json!({"name": "a-private-role", "permissions": ["users:read"]}),
        )
        .await;
        let dept = create_as(
            app,
            &admin.access,
            "/api/v1/departments",
            json!({"name": "A Department", "head_user_id": user.user_id}),
        )
        .await;
        let desig = create_as(
            app,
            &admin.access,
            "/api/v1/designations",
            json!({"title": "A Title", "department_id": dept["id"]}),
        )
        .await;
        // Section 4 of the contract: sales and clients.
        let client = create_as(
            app,
            &admin.access,
            "/api/v1/clients",
            json!({"name": "A Client", "kind": "company"}),
        )
        .await;
        let lead = create_as(
            app,
            &admin.access,
            "/api/v1/leads",
            json!({"name": "A Lead", "email": "lead@a.example"}),
        )
        .await;
        let pipeline = create_as(
            app,
            &admin.access,
            "/api/v1/pipelines",
            json!({"name": "A Pipeline", "stages": [{"name": "Only", "probability": 50}]}),
        )
        .await;
        let deal = create_as(
            app,
            &admin.access,
            "/api/v1/deals",
            json!({"title": "A Deal", "client_id": client["id"], "pipeline_id": pipeline["id"], "amount": 1000, "currency": "USD"}),
        )
        .await;
        let quotation = create_as(
            app,
            &admin.access,
            "/api/v1/quotations",
            json!({"client_id": client["id"], "currency": "USD", "items": [{"description": "x", "quantity": 1, "unit_price": 100}]}),
        )
        .await;
        // Section 6: a draft invoice (version 1), and a credit note and a payment with an
        // allocation against issued invoices of their own.
        let invoice_of = |amount: i64| json!({"client_id": client["id"], "currency": "USD", "items": [{"description": "x", "quantity": 1, "unit_price": amount}]});
        let invoice = create_as(app, &admin.access, "/api/v1/invoices", invoice_of(1000)).await;
        let mut issued = Vec::new();
        for _ in 0..2 {
            let i = create_as(app, &admin.access, "/api/v1/invoices", invoice_of(1000)).await;
            let path = format!("/api/v1/invoices/{}/issue", i["id"].as_str().unwrap());
            let res = app.send_as(Method::POST, &admin.access, &path, None).await;
            issued.push(expect_json(res, 200).await);
        }
        let credit_note = create_as(
            app,
            &admin.access,
            &format!("/api/v1/invoices/{}/credit-notes", issued[0]["id"].as_str().unwrap()),
            json!({"reason": "r", "items": [{"description": "c", "quantity": 1, "unit_price": 100}]}),
        )
        .await;
        let payment = create_as(
            app,
            &admin.access,
            "/api/v1/payments",
            json!({"client_id": client["id"], "amount": 500, "currency": "USD", "method": "cash",
                   "allocations": [{"invoice_id": issued[1]["id"], "amount": 500}]}),
        )
        .await;
        let recurring = create_as(
            app,
            &admin.access,
            "/api/v1/recurring-invoices",
            json!({"client_id": client["id"], "frequency": "monthly", "start_date": "2099-01-01",
                   "items": [{"description": "x", "quantity": 1, "unit_price": 100}]}),
        )
        .await;
        let contract = create_as(
            app,
            &admin.access,
            "/api/v1/contracts",
            json!({"client_id": client["id"], "title": "Support", "start_date": "2026-01-01",
                   "end_date": "2026-12-31"}),
        )
        .await;
        // A proposal names a lead or a client, so its documented example alone cannot make one.
        let proposal = create_as(
            app,
            &admin.access,
            "/api/v1/proposals",
            json!({"client_id": client["id"], "title": "A Proposal"}),
        )
        .await;
        // Section 7: a project with a member, two tasks (one waiting for the other) and a
        // milestone.
        let project = create_as(
            app,
            &admin.access,
            "/api/v1/projects",
            json!({"name": "A Project", "code": "A-1"}),
        )
        .await;
        let members = format!(
            "/api/v1/projects/{}/members",
            project["id"].as_str().unwrap()
        );
        create_as(
            app,
            &admin.access,
            &members,
            json!({"user_id": user.user_id, "role": "member"}),
        )
        .await;
        let milestone = create_as(
            app,
            &admin.access,
            "/api/v1/milestones",
            json!({"project_id": project["id"], "title": "A Milestone"}),
        )
        .await;
        let task_of = |title: &str| {
            json!({"project_id": project["id"], "title": title, "milestone_id": milestone["id"],
                   "assignee_ids": [user.user_id]})
        };
        let task = create_as(app, &admin.access, "/api/v1/tasks", task_of("A Task")).await;
        let first = create_as(app, &admin.access, "/api/v1/tasks", task_of("A First Task")).await;
        create_as(
            app,
            &admin.access,
            &format!(
                "/api/v1/tasks/{}/dependencies",
                task["id"].as_str().unwrap()
            ),
            json!({"depends_on_id": first["id"]}),
        )
        .await;
        // Time on the project: a logged entry of A's user.
        let time_entry = create_as(
            app,
            &admin.access,
            "/api/v1/time-entries",
            json!({"project_id": project["id"], "task_id": task["id"], "minutes": 30,
                   "user_id": user.user_id}),
        )
        .await;
        // Section 8, recruitment: an open posting, a candidate and their application, an
        // interview of it with A's user, a draft offer.
        let posting = create_as(
            app,
            &admin.access,
            "/api/v1/job-postings",
            json!({"title": "A Posting", "status": "open"}),
        )
        .await;
        let candidate = create_as(
            app,
            &admin.access,
            "/api/v1/candidates",
            json!({"name": "A Candidate", "email": "candidate@a.example"}),
        )
        .await;
        let application = create_as(
            app,
            &admin.access,
            "/api/v1/applications",
            json!({"job_posting_id": posting["id"], "candidate_id": candidate["id"]}),
        )
        .await;
        let interview = create_as(
            app,
            &admin.access,
            "/api/v1/interviews",
            json!({"application_id": application["id"], "starts_at": "2030-01-01T10:00:00Z",
                   "ends_at": "2030-01-01T11:00:00Z", "mode": "video",
                   "interviewer_ids": [user.user_id]}),
        )
        .await;
        let offer = create_as(
            app,
            &admin.access,
            "/api/v1/offers",
            json!({"application_id": application["id"], "salary_amount": 100,
                   "salary_currency": "USD"}),
        )
        .await;
        // Section 8, training: a program, a session of it, an employee enrolled there.
        let trainee = create_as(
            app,
            &admin.access,
            "/api/v1/employees",
            json!({"first_name": "A", "last_name": "Trainee", "hire_date": "2026-01-05"}),
        )
        .await;
        let training_program = create_as(
            app,
            &admin.access,
            "/api/v1/training-programs",
            json!({"title": "A Program", "validity_months": 12}),
        )
        .await;
        let training_session = create_as(
            app,
            &admin.access,
            "/api/v1/training-sessions",
            json!({"program_id": training_program["id"], "starts_at": "2026-03-10T09:00:00Z",
                   "ends_at": "2026-03-10T17:00:00Z", "capacity": 10}),
        )
        .await;
        let training_enrollment = create_as(
            app,
            &admin.access,
            &format!(
                "/api/v1/training-sessions/{}/enrollments",
                training_session["id"].as_str().unwrap()
            ),
            json!({"employee_id": trainee["id"]}),
        )
        .await;
        // Section 8, attendance: a punch of that employee written by HR.
        let attendance = create_as(
            app,
            &admin.access,
            "/api/v1/attendance",
            json!({"employee_id": trainee["id"], "check_in_at": "2026-03-10T09:00:00Z",
                   "check_out_at": "2026-03-10T17:00:00Z"}),
        )
        .await;
        // Section 8, leave: a type and a request of the trainee.
        let leave_type = create_as(
            app,
            &admin.access,
            "/api/v1/leave-types",
            json!({"name": "Annual", "code": "AL", "allowance_days": 20, "accrual": "upfront"}),
        )
        .await;
        let leave_request = create_as(
            app,
            &admin.access,
            "/api/v1/leave-requests",
            json!({"employee_id": trainee["id"], "leave_type_id": leave_type["id"],
                   "start_date": "2030-03-04", "end_date": "2030-03-05"}),
        )
        .await;
        // Section 5: files.
        let file = crate::files::upload(app, &admin.access, "a.txt", b"A's file").await;
        // Section 10: an import, walked once it has finished.
        let started =
            crate::imports::import(app, &admin.access, "leads", "name\nA's row\n", &[]).await;
        let import =
            crate::imports::finished(app, &admin.access, started["id"].as_str().unwrap()).await;
        // Section 9: a group of A's admin and user, with a message.
        let conversation = create_as(
            app,
            &admin.access,
            "/api/v1/conversations",
            json!({"kind": "group", "title": "A's team", "member_ids": [user.user_id]}),
        )
        .await;
        let message = create_as(
            app,
            &admin.access,
            &format!(
                "/api/v1/conversations/{}/messages",
                conversation["id"].as_str().unwrap()
            ),
            json!({"body": "A's words"}),
        )
        .await;
        let mut ids = HashMap::new();
        for (res, v) in [
            ("files", &file),
            ("clients", &client),
            ("leads", &lead),
            ("pipelines", &pipeline),
            ("deals", &deal),
            ("quotations", &quotation),
            ("invoices", &invoice),
            ("credit-notes", &credit_note),
            ("payments", &payment),
            ("recurring-invoices", &recurring),
            ("contracts", &contract),
            ("proposals", &proposal),
            ("projects", &project),
            ("tasks", &task),
            ("milestones", &milestone),
            ("time-entries", &time_entry),
            ("job-postings", &posting),
            ("candidates", &candidate),
            ("applications", &application),
            ("interviews", &interview),
            ("offers", &offer),
            ("training-programs", &training_program),
            ("training-sessions", &training_session),
            ("training-enrollments", &training_enrollment),
            ("attendance", &attendance),
            ("leave-types", &leave_type),
            ("leave-requests", &leave_request),
        ] {
            ids.insert(res.into(), v["id"].as_str().unwrap().to_string());
        }
        ids.insert("users".into(), user.user_id.clone());
        ids.insert("roles".into(), role["id"].as_str().unwrap().to_string());
        ids.insert(
            "departments".into(),
            dept["id"].as_str().unwrap().to_string(),
        );
        ids.insert(
            "designations".into(),
            desig["id"].as_str().unwrap().to_string(),
        );
        let client_path = format!("/api/v1/clients/{}", ids["clients"]);
        let contact = create_as(
            app,
            &admin.access,
            &format!("{client_path}/contacts"),
            json!({"name": "A Contact"}),
        )
        .await;
        let interaction = create_as(
            app,
            &admin.access,
            &format!("{client_path}/interactions"),
            json!({"kind": "call", "summary": "A call"}),
        )
        .await;
        let mut nested = HashMap::new();
        for (res, v) in [("contacts", &contact), ("interactions", &interaction)] {
            let id = v["id"].as_str().unwrap().to_string();
            nested.insert(res.into(), format!("{client_path}/{res}/{id}"));
            ids.insert(res.into(), id);
        }
        // Section 9: a calendar event of A's admin with A's user attending (its routes are
        // `/calendar/events/{id}…`, so its kind is `calendar`).
        let event = create_as(
            app,
            &admin.access,
            "/api/v1/calendar/events",
            json!({"title": "A Meeting", "starts_at": "2027-03-01T09:00:00Z", "ends_at": "2027-03-01T10:00:00Z", "attendee_ids": [user.user_id]}),
        )
        .await;
        let event_id = event["id"].as_str().unwrap().to_string();
        nested.insert(
            "calendar".into(),
            format!("/api/v1/calendar/events/{event_id}"),
        );
        ids.insert("calendar".into(), event_id);
        // A notification of A's user: a lead given to them by A's admin.
        create_as(
            app,
            &admin.access,
            "/api/v1/leads",
            json!({"name": "Their Lead", "email": "their@a.example", "owner_id": user.user_id}),
        )
        .await;
        let mine = expect_json(app.get_as(&user.access, "/api/v1/notifications").await, 200).await;
        ids.insert(
            "notifications".into(),
            mine["data"][0]["id"].as_str().unwrap().to_string(),
        );
        // Section 5: a webhook (its creation is its first event, delivered to it) and that
        // delivery.
        let hook = create_as(
            app,
            &admin.access,
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}),
        )
        .await;
        let hook_id = hook["id"].as_str().unwrap().to_string();
        ids.insert("webhooks".into(), hook_id.clone());
        let mut delivery = None;
        for _ in 0..100 {
            let page = expect_json(
                app.get_as(
                    &admin.access,
                    &format!("/api/v1/webhooks/{hook_id}/deliveries"),
                )
                .await,
                200,
            )
            .await;
            if let Some(d) = page["data"][0]["id"].as_str() {
                delivery = Some(d.to_string());
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let mut path_only = HashMap::new();
        path_only.insert(
            "allocations".into(),
            payment["allocations"][0]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        // `{depends_on_id}` is filled from the kind `depends_ons`: the task A's task waits for.
        path_only.insert(
            "depends_ons".into(),
            first["id"].as_str().unwrap().to_string(),
        );
        // `{recurrence_id}` (an occurrence's original start) is filled from the kind
        // `recurrences`: the start of A's calendar event.
        path_only.insert("recurrences".into(), "2027-03-01T09:00:00Z".into());
        // `{feed_id}`: an iCalendar feed of A's admin (a feed has no route of its own to read).
        let feed = create_as(
            app,
            &admin.access,
            "/api/v1/calendar/feeds",
            json!({"scope": "mine"}),
        )
        .await;
        path_only.insert("feeds".into(), feed["id"].as_str().unwrap().to_string());
        // `{delivery_id}` is filled from the kind `deliverys`.
        path_only.insert(
            "deliverys".into(),
            delivery.expect("the webhook's first delivery"),
        );
        // A conversation has no version and a message no route of its own: they fill paths
        // (their own e2e tests show them unchanged).
        // An import moves its own version on as its rows go in (its e2e tests show it
        // unchanged by others): it fills paths.
        for (kind, v) in [
            ("conversations", &conversation),
            ("messages", &message),
            ("imports", &import),
        ] {
            path_only.insert(kind.into(), v["id"].as_str().unwrap().to_string());
        }
        Records {
            ids,
            nested,
            path_only,
        }
    }

    /// `path` with every `{param}` replaced by A's record of that kind: `{id}` by the
    /// resource the path starts with, `{contact_id}` by the contact, and so on. A route whose
    /// record has no fixture here fails the test, so a new module cannot be walked with ids
    /// that exist nowhere (which would prove nothing about tenancy).
    fn fill(&self, path: &str) -> String {
        self.try_fill(path).unwrap_or_else(|kind| {
            panic!("no fixture for {kind} (route {path}): add one to Records::create")
        })
    }

    /// As [`Self::fill`], or the first kind without a record.
    fn try_fill(&self, path: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = path;
        for kind in kinds_of(path) {
            let start = rest.find('{').unwrap();
            let end = rest[start..].find('}').map(|e| start + e).unwrap();
            let id = self
                .ids
                .get(&kind)
                .or_else(|| self.path_only.get(&kind))
                .ok_or(kind)?;
            out.push_str(&rest[..start]);
            out.push_str(id);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A record of each kind an id route needs that no fixture above made, created by POSTing
    /// its collection the request example of the OpenAPI document with the references (`*_id`
    /// fields) left out: a plain resource needs no fixture of its own, and its documented
    /// example is shown to create a record. One that does not must have a fixture.
    async fn create_documented(&mut self, app: &TestApp, admin: &Session, routes: &[Route]) {
        let doc = expect_json(app.get("/api/v1/openapi.json").await, 200).await;
        for r in routes {
            for kind in kinds_of(&r.path) {
                if self.ids.contains_key(&kind) || self.path_only.contains_key(&kind) {
                    continue;
                }
                let suffix = format!("/{kind}");
                let Some(collection) = routes
                    .iter()
                    .find(|c| c.method == Method::POST && c.path.ends_with(&suffix))
                else {
                    continue;
                };
                let body = &doc["paths"][&collection.path]["post"]["requestBody"];
                let schema = &body["content"]["application/json"]["schema"];
                let example = match schema["$ref"].as_str() {
                    Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
                    None => schema,
                }["example"]
                    .clone();
                let Value::Object(mut example) = example else {
                    continue;
                };
                example.retain(|field, _| !field.ends_with("_id"));
                let Ok(url) = self.try_fill(&collection.path) else {
                    continue;
                };
                let res = app
                    .send_as(
                        Method::POST,
                        &admin.access,
                        &url,
                        Some(&Value::Object(example)),
                    )
                    .await;
                let status = res.status().as_u16();
                let text = res.text().await.unwrap();
                assert_eq!(
                    status, 201,
                    "no fixture for {kind}, and POST {url} with its documented example (references \
                     left out) answered {text}: add one to Records::create"
                );
                let id = serde_json::from_str::<Value>(&text).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                if collection.path.contains('{') {
                    self.nested.insert(kind.clone(), format!("{url}/{id}"));
                }
                self.ids.insert(kind, id);
            }
        }
    }

    /// Each record still exists, unchanged (version 1), for A's admin.
    async fn assert_untouched(&self, app: &TestApp, admin: &Session) {
        for (res, id) in &self.ids {
            // A notification has no version; the user's own list shows it is still there.
            if *res == "notifications" {
                continue;
            }
            let path = self
                .nested
                .get(res)
                .cloned()
                .unwrap_or_else(|| format!("/api/v1/{res}/{id}"));
            let got = expect_json(app.get_as(&admin.access, &path).await, 200).await;
            assert_eq!(got["version"], 1, "{res} {id} changed: {got}");
        }
        let me = expect_json(
            app.get_as(
                &admin.access,
                &format!("/api/v1/users/{}/roles", self.ids["users"]),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(me["roles"][0]["name"], "employee", "{me}");
    }
}

backend_tests!(
    second_organization_and_missing_permissions,
    |b| async move {
        // The webhook fixture's url is on loopback.
        let app = spawn_app_with(b, &[("CRM__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")]).await;
        let a = app.register_admin("Tenant A").await;
        let bb = app.register_admin("Tenant B").await;
        assert_ne!(a.organization_id, bb.organization_id);
        let routes = route_table();
        let mut records = Records::create(&app, &a).await;
        records.create_documented(&app, &a, &routes).await;
        // Every route with an id, filled with A's records (a route without a fixture fails).
        // A public route's path holds its credential (a calendar feed's token answers whoever
        // holds it): `calendar_feeds.rs` tests those.
        let id_routes: Vec<_> = routes
            .iter()
            .filter(|r| r.path.contains('{') && !matches!(r.access, Access::Public))
            .collect();
        assert!(id_routes.len() >= 40, "{} id routes", id_routes.len());

        // B's admin, with A's ids: 404 on every route with an id.
        let mut wrong = Vec::new();
        for r in &id_routes {
            let path = records.fill(&r.path);
            let body = minimal_body(&r.method, &r.path);
            let res = app
                .send_as(r.method.clone(), &bb.access, &path, body.as_ref())
                .await;
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            if status != 404 {
                wrong.push(format!("{} {path} -> {status} {text}", r.method));
                continue;
            }
            // Indistinguishable from an id that exists nowhere.
            let missing = any_ids(&r.path);
            let res = app
                .send_as(r.method.clone(), &bb.access, &missing, body.as_ref())
                .await;
            let status = res.status().as_u16();
            let other = res.text().await.unwrap();
            let (x, y): (Value, Value) = (
                serde_json::from_str(&text).unwrap_or_default(),
                serde_json::from_str(&other).unwrap_or_default(),
            );
            if status != 404 || ["type", "title", "detail"].iter().any(|k| x[k] != y[k]) {
                wrong.push(format!(
                    "{} {path}: another organization's record {text} vs no record {status} {other}",
                    r.method
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "routes not answering 404 to another organization:\n{}",
            wrong.join("\n")
        );
        records.assert_untouched(&app, &a).await;

        // A user of A without any role: 403 on every route that needs a permission, whatever
        // the body (`{}` is not a valid create body: the permission check must come first).
        let nobody = app.user_with_roles(&a, &[]).await;
        let mut wrong = Vec::new();
        let mut checked = 0;
        for r in &routes {
            if !matches!(r.access, Access::Permission { .. }) {
                continue;
            }
            checked += 1;
            let path = records.fill(&r.path);
            let body = minimal_body(&r.method, &r.path);
            let res = app
                .send_as(r.method.clone(), &nobody.access, &path, body.as_ref())
                .await;
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            if status != 403 {
                wrong.push(format!(
                    "{} {path} ({}) -> {status} {text}",
                    r.method,
                    r.access.describe()
                ));
            }
        }
        assert!(checked >= 25, "only {checked} permission routes");
        let forbidden_wrong = wrong;
        // No list of B ever names A's records.
        let mut a_ids: Vec<String> = records.ids.values().cloned().collect();
        a_ids.push(a.user_id.clone());
        a_ids.push(a.organization_id.clone());
        a_ids.push(nobody.user_id.clone());
        for r in &routes {
            if r.method != Method::GET
                || r.path.contains('{')
                || !matches!(r.access, Access::Permission { .. })
            {
                continue;
            }
            // A CSV export takes no `limit`: it answers every row.
            let url = if r.path.ends_with("/export") {
                r.path.clone()
            } else {
                format!("{}?limit=200", r.path)
            };
            let res = app.get_as(&bb.access, &url).await;
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            if !IDENTITY_LISTS.contains(&resource_of(&r.path))
                && !r.path.ends_with("/export")
                && status != 200
            {
                // Another module's route that wants more than `limit` (required filters…).
                continue;
            }
            assert_eq!(status, 200, "{} as B: {text}", r.path);
            for id in &a_ids {
                assert!(
                    !text.contains(id.as_str()),
                    "{} as B shows A's {id}",
                    r.path
                );
            }
        }
        // …while B's own lists are not empty (so the checks above looked at something).
        let users = expect_json(app.get_as(&bb.access, "/api/v1/users").await, 200).await;
        assert_eq!(users["data"].as_array().unwrap().len(), 1);
        assert_eq!(users["data"][0]["id"], bb.user_id.as_str());
        let acts = expect_json(
            app.get_as(&bb.access, "/api/v1/activities?limit=200").await,
            200,
        )
        .await;
        let acts = acts["data"].as_array().unwrap();
        assert!(!acts.is_empty());
        assert!(
            acts.iter()
                .all(|x| x["organization_id"] == bb.organization_id.as_str())
        );
        // A's admin sees A's activities, including the records created above.
        let a_acts = app
            .get_as(&a.access, "/api/v1/activities?limit=200")
            .await
            .text()
            .await
            .unwrap();
        assert!(a_acts.contains(&records.ids["departments"]));
        records.assert_untouched(&app, &a).await;
        app.stop().await;
        assert!(
            forbidden_wrong.is_empty(),
            "routes not answering 403 to a caller without the permission:\n{}",
            forbidden_wrong.join("\n")
        );
    }
);
