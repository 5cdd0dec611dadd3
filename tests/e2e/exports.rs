//! CSV exports (contract section 10): `GET /{list}/export` answers the list's rows, with its
//! filters, sort, tenancy, `:own` scope and permission, as RFC 4180 CSV read back here with
//! the `csv` crate; text cells that a spreadsheet would run as formulas come back prefixed
//! with `'`.

use crate::backend_tests;
use crate::helpers::*;
use crate::identity_support::*;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// An export as read by a client: its status, content type and disposition, and the records.
struct Csv {
    content_type: String,
    disposition: String,
    /// `None` for a chunked body, as a streamed one is.
    length: Option<u64>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn column(&self, name: &str) -> Vec<String> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header));
        self.rows.iter().map(|r| r[i].clone()).collect()
    }
}

async fn export(app: &TestApp, token: &str, path: &str) -> Csv {
    let res = app.get_as(token, path).await;
    let status = res.status().as_u16();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let length = res.content_length();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    Csv {
        content_type,
        disposition,
        length,
        header,
        rows,
    }
}

/// The keys of a JSON object in the order the server wrote them.
fn ordered_keys(json: &str) -> Vec<String> {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(k) = m.next_key::<String>()? {
                        m.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::from_str::<Keys>(json).unwrap().0
}

/// Every id of a list walked page by page (`path` carries its own `?`).
async fn walk_ids(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let items = walk(app, token, &format!("{path}&limit=5")).await;
    items.iter().map(id).collect()
}

async fn lead(app: &TestApp, token: &str, body: Value) -> Value {
    create_as(app, token, "/api/v1/leads", body).await
}

backend_tests!(every_export_is_csv_with_the_list_header, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Exporters").await;
    let t = admin.access.as_str();
    let client = create_as(
        &app,
        t,
        "/api/v1/clients",
        json!({"name": "Acme, Inc.", "kind": "company", "tags": ["a", "b"],
               "address": "1 Main St\nOslo"}),
    )
    .await;
    let cid = id(&client);
    let contact = create_as(
        &app,
        t,
        &format!("/api/v1/clients/{cid}/contacts"),
        json!({"name": "Jo Contact", "is_primary": true}),
    )
    .await;
    let lead = lead(&app, t, json!({"name": "A Lead", "score": 40})).await;
    let deal = create_as(
        &app,
        t,
        "/api/v1/deals",
        json!({"title": "A Deal", "client_id": cid, "amount": 125050, "currency": "USD"}),
    )
    .await;
    let invoice = create_as(
        &app,
        t,
        "/api/v1/invoices",
        json!({"client_id": cid, "currency": "USD",
               "items": [{"description": "x", "quantity": 1, "unit_price": 1000}]}),
    )
    .await;
    let payment = create_as(
        &app,
        t,
        "/api/v1/payments",
        json!({"client_id": cid, "amount": 500, "currency": "USD", "method": "cash"}),
    )
    .await;
    let expense = create_as(
        &app,
        t,
        "/api/v1/expenses",
        json!({"description": "Train", "category": "travel", "amount": 4000}),
    )
    .await;
    let employee = create_as(
        &app,
        t,
        "/api/v1/employees",
        json!({"first_name": "Ann", "last_name": "Lee", "hire_date": "2026-01-05"}),
    )
    .await;
    let project = create_as(
        &app,
        t,
        "/api/v1/projects",
        json!({"name": "A Project", "code": "A-1"}),
    )
    .await;
    let entry = create_as(
        &app,
        t,
        "/api/v1/time-entries",
        json!({"project_id": project["id"], "work_date": "2026-03-10", "minutes": 30}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let contacts = format!("/api/v1/clients/{cid}/contacts");
    let cases = [
        ("leads", "/api/v1/leads".to_string(), &lead),
        ("clients", "/api/v1/clients".to_string(), &client),
        ("contacts", contacts, &contact),
        ("deals", "/api/v1/deals".to_string(), &deal),
        ("invoices", "/api/v1/invoices".to_string(), &invoice),
        ("payments", "/api/v1/payments".to_string(), &payment),
        ("expenses", "/api/v1/expenses".to_string(), &expense),
        ("employees", "/api/v1/employees".to_string(), &employee),
        ("time-entries", "/api/v1/time-entries".to_string(), &entry),
    ];
    for (name, list, record) in &cases {
        let csv = export(&app, t, &format!("{list}/export")).await;
        assert_eq!(csv.content_type, "text/csv; charset=utf-8", "{name}");
        assert_eq!(
            csv.disposition,
            format!("attachment; filename=\"{name}-{today}.csv\""),
            "{name}"
        );
        // The list item's fields, in the order the API writes them.
        let raw = app
            .get_as(t, &format!("{list}/{}", id(record)))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(csv.header, ordered_keys(&raw), "{name}");
        // One row per item of the list.
        let listed = walk_ids(&app, t, &format!("{list}?sort=created_at")).await;
        assert_eq!(csv.column("id"), listed, "{name}");
        assert!(listed.contains(&id(record)), "{name}");
    }
    // Cells: numbers as numbers, null empty, arrays and objects as compact JSON.
    let csv = export(&app, t, "/api/v1/clients/export").await;
    let row = |col: &str| csv.column(col)[0].clone();
    assert_eq!(row("name"), "Acme, Inc.");
    assert_eq!(row("tags"), r#"["a","b"]"#);
    assert_eq!(row("address"), "1 Main St\nOslo");
    assert_eq!(row("version"), "1");
    assert_eq!(row("parent_id"), "");
    let csv = export(&app, t, "/api/v1/deals/export").await;
    assert_eq!(csv.column("amount"), ["125050"]);
    let csv = export(&app, t, "/api/v1/invoices/export").await;
    let items: Value = serde_json::from_str(&csv.column("items")[0]).unwrap();
    assert_eq!(items, invoice["items"]);
    assert_eq!(csv.column("total"), [invoice["total"].to_string()]);
    let csv = export(&app, t, "/api/v1/clients/export?sort=name").await;
    assert_eq!(csv.rows.len(), 1);
    let csv = export(&app, t, &format!("/api/v1/clients/{cid}/contacts/export")).await;
    assert_eq!(csv.column("is_primary"), ["true"]);

    // An organization without rows: the header alone, the same as with rows, field for
    // field and in order, for every export.
    let other = app.register_admin("Empty").await;
    let o = other.access.as_str();
    for (name, list, _) in &cases {
        if *name == "contacts" {
            continue;
        }
        let empty = export(&app, o, &format!("{list}/export")).await;
        let full = export(&app, t, &format!("{list}/export")).await;
        assert!(empty.rows.is_empty() && !full.rows.is_empty(), "{name}");
        assert_eq!(empty.header, full.header, "{name}");
    }
    let full = export(&app, t, "/api/v1/contacts/export").await;
    assert_eq!(
        full.header,
        export(&app, o, "/api/v1/contacts/export").await.header
    );
    assert_eq!(full.column("id"), [id(&contact)]);
    assert_eq!(full.column("client_id"), [cid.as_str()]);
    let empty_client = create_as(
        &app,
        o,
        "/api/v1/clients",
        json!({"name": "No one", "kind": "company"}),
    )
    .await;
    let path = format!("/api/v1/clients/{}/contacts/export", id(&empty_client));
    let empty = export(&app, o, &path).await;
    assert!(empty.rows.is_empty());
    assert_eq!(empty.header, full.header);
    app.stop().await;
});

backend_tests!(
    every_contact_of_the_organization_as_the_caller_sees_them,
    |b| async move {
        let app = spawn_app(b).await;
        let a = app.register_admin("Contacts A").await;
        let bb = app.register_admin("Contacts B").await;
        let t = a.access.as_str();
        create_as(
        &app,
        t,
        "/api/v1/roles",
        json!({"name": "own clients", "permissions": ["clients:read:own", "clients:write:own"]}),
    )
    .await;
        let keeper = app.user_with_roles(&a, &["own clients"]).await;
        let nobody = app.user_with_roles(&a, &[]).await;
        let contact =
            |token: String, client: String, name: &'static str| {
                let app = &app;
                async move {
                    create_as(app, &token, &format!("/api/v1/clients/{client}/contacts"),
                json!({"name": name, "email": format!("{}@x.example", name.to_lowercase())}))
            .await
                }
            };
        let x = id(&create_as(
            &app,
            t,
            "/api/v1/clients",
            json!({"name": "X", "kind": "company"}),
        )
        .await);
        let y = id(&create_as(
            &app,
            &keeper.access,
            "/api/v1/clients",
            json!({"name": "Y", "kind": "company"}),
        )
        .await);
        let z = id(&create_as(
            &app,
            &bb.access,
            "/api/v1/clients",
            json!({"name": "Z", "kind": "company"}),
        )
        .await);
        let x1 = id(&contact(a.access.clone(), x.clone(), "Bea").await);
        let y1 = id(&contact(keeper.access.clone(), y.clone(), "Cid").await);
        let x2 = id(&contact(a.access.clone(), x.clone(), "Ann").await);
        let z1 = id(&contact(bb.access.clone(), z.clone(), "Dee").await);

        // Every contact of the organization, whatever its client; another organization's absent.
        let all = export(&app, t, "/api/v1/contacts/export").await;
        assert_eq!(all.column("id"), [x1.clone(), y1.clone(), x2.clone()]);
        assert_eq!(all.column("client_id"), [x.clone(), y.clone(), x.clone()]);
        assert_eq!(
            export(&app, &bb.access, "/api/v1/contacts/export")
                .await
                .column("id"),
            [z1.as_str()]
        );
        // The per-client list's filters and sort, and `client_id`.
        let by_name = export(&app, t, "/api/v1/contacts/export?sort=-name").await;
        assert_eq!(by_name.column("name"), ["Cid", "Bea", "Ann"]);
        let of_x = export(
            &app,
            t,
            &format!("/api/v1/contacts/export?client_id={x}&sort=name"),
        )
        .await;
        assert_eq!(of_x.column("id"), [x2.clone(), x1.clone()]);
        assert_eq!(
            of_x.column("id"),
            walk_ids(&app, t, &format!("/api/v1/clients/{x}/contacts?sort=name")).await
        );
        let q = export(&app, t, "/api/v1/contacts/export?q=CID@").await;
        assert_eq!(q.column("id"), [y1.as_str()]);
        let theirs = export(&app, t, &format!("/api/v1/contacts/export?client_id={z}")).await;
        assert!(theirs.rows.is_empty());
        // `clients:read:own`: the contacts of the caller's clients only, as each client's list.
        let mine = export(&app, &keeper.access, "/api/v1/contacts/export").await;
        assert_eq!(mine.column("id"), [y1.as_str()]);
        let of_x = export(
            &app,
            &keeper.access,
            &format!("/api/v1/contacts/export?client_id={x}"),
        )
        .await;
        assert!(of_x.rows.is_empty());
        assert_problem(
            app.get_as(&keeper.access, &format!("/api/v1/clients/{x}/contacts"))
                .await,
            404,
        )
        .await;
        // Without `clients:read`: 403; a bad filter: the list's 422.
        assert_problem(
            app.get_as(&nobody.access, "/api/v1/contacts/export").await,
            403,
        )
        .await;
        assert_problem(
            app.get_as(t, "/api/v1/contacts/export?client_id=nope")
                .await,
            422,
        )
        .await;
        assert_problem(app.get_as(t, "/api/v1/contacts/export?limit=5").await, 422).await;
        app.stop().await;
    }
);

backend_tests!(quoting_and_formulas_read_back, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Quoting").await;
    let t = admin.access.as_str();
    let names = ["Doe, \"Jo\"", "=SUM(A1)", "+1", "-2", "@x", "plain", "a=b"];
    for (i, n) in names.iter().enumerate() {
        lead(
            &app,
            t,
            json!({"name": n, "score": i, "company": "Co, \"Ltd\""}),
        )
        .await;
    }
    // A line break in a name, as stored data can hold (the API refuses one on input).
    let multi = lead(
        &app,
        t,
        json!({"name": "x", "score": 99, "company": "Co, \"Ltd\""}),
    )
    .await;
    db_exec(
        &app,
        "UPDATE leads SET name = ? WHERE id = ?",
        vec![
            "first line\r\nsecond, \"line\"".into(),
            uuid::Uuid::parse_str(&id(&multi)).unwrap().into(),
        ],
    )
    .await;
    let csv = export(&app, t, "/api/v1/leads/export?sort=score").await;
    assert_eq!(
        csv.column("name"),
        [
            "Doe, \"Jo\"",
            "'=SUM(A1)",
            "'+1",
            "'-2",
            "'@x",
            "plain",
            "a=b",
            "first line\r\nsecond, \"line\"",
        ]
    );
    assert_eq!(
        csv.column("score"),
        ["0", "1", "2", "3", "4", "5", "6", "99"]
    );
    let companies = csv.column("company");
    assert!(
        companies.iter().all(|c| c == "Co, \"Ltd\""),
        "{companies:?}"
    );
    assert!(csv.column("email").iter().all(String::is_empty));
    app.stop().await;
});

backend_tests!(filters_and_sort_are_the_lists, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Filters").await;
    let t = admin.access.as_str();
    for i in 0..14 {
        let status = ["new", "contacted", "qualified"][i % 3];
        let source = ["web", "referral"][i % 2];
        let company = if i % 4 == 0 { "Acme" } else { "Globex" };
        let l = lead(
            &app,
            t,
            json!({"name": format!("Lead {:02}", 14 - i), "source": source, "company": company,
                   "score": (i * 7) % 5}),
        )
        .await;
        // Some leads without an amount, which sorts as the lowest.
        if i % 5 != 0 {
            let res = app
                .send_as(
                    Method::PATCH,
                    t,
                    &format!("/api/v1/leads/{}", id(&l)),
                    Some(&json!({"estimated_amount": i * 1000, "currency": "USD"})),
                )
                .await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
        if status != "new" {
            let res = app
                .send_as(
                    Method::PATCH,
                    t,
                    &format!("/api/v1/leads/{}", id(&l)),
                    Some(&json!({"status": status})),
                )
                .await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
    }
    for query in [
        "sort=-created_at",
        "status=new&sort=-score,name",
        "q=acme&sort=name",
        "source=web&sort=estimated_amount",
        "estimated_amount_from=3000&estimated_amount_to=9000&sort=-estimated_amount",
        "status=qualified&source=referral",
    ] {
        let csv = export(&app, t, &format!("/api/v1/leads/export?{query}")).await;
        let listed = walk_ids(&app, t, &format!("/api/v1/leads?{query}")).await;
        assert!(!listed.is_empty(), "{query}");
        assert_eq!(csv.column("id"), listed, "{query}");
    }
    // The list's 422 for a bad filter or sort, field by field.
    for query in [
        "colour=red",
        "sort=colour",
        "owner_id=x",
        "created_at_from=yesterday",
        "estimated_amount_to=many",
    ] {
        let list =
            assert_problem(app.get_as(t, &format!("/api/v1/leads?{query}")).await, 422).await;
        let exp = assert_problem(
            app.get_as(t, &format!("/api/v1/leads/export?{query}"))
                .await,
            422,
        )
        .await;
        assert_eq!(exp["errors"], list["errors"], "{query}");
    }
    // An export walks every page itself: no paging or counting parameters.
    for query in ["limit=10", "cursor=abc", "count=true"] {
        let p = assert_problem(
            app.get_as(t, &format!("/api/v1/leads/export?{query}"))
                .await,
            422,
        )
        .await;
        let field = query.split('=').next().unwrap();
        assert!(has_field_error(&p, field), "{p}");
    }
    app.stop().await;
});

backend_tests!(tenancy_own_scope_and_permission, |b| async move {
    let app = spawn_app(b).await;
    let a = app.register_admin("Tenant A").await;
    let bb = app.register_admin("Tenant B").await;
    let seller = app.user_with_roles(&a, &["sales"]).await;
    let nobody = app.user_with_roles(&a, &[]).await;
    let a_lead = lead(&app, &a.access, json!({"name": "A's lead"})).await;
    let b_lead = lead(&app, &bb.access, json!({"name": "B's lead"})).await;
    let own = lead(&app, &seller.access, json!({"name": "Seller's lead"})).await;
    let a_client = create_as(
        &app,
        &a.access,
        "/api/v1/clients",
        json!({"name": "A Client", "kind": "company"}),
    )
    .await;

    let b_csv = export(&app, &bb.access, "/api/v1/leads/export").await;
    assert_eq!(b_csv.column("id"), [id(&b_lead)]);
    let a_csv = export(&app, &a.access, "/api/v1/leads/export?sort=created_at").await;
    assert_eq!(a_csv.column("id"), [id(&a_lead), id(&own)]);
    // `leads:read:own`: the seller's own leads only.
    let mine = export(&app, &seller.access, "/api/v1/leads/export").await;
    assert_eq!(mine.column("id"), [id(&own)]);
    // Without the list's permission: 403; another organization's client: 404.
    assert_problem(
        app.get_as(&nobody.access, "/api/v1/leads/export").await,
        403,
    )
    .await;
    let contacts = format!("/api/v1/clients/{}/contacts/export", id(&a_client));
    assert_problem(app.get_as(&bb.access, &contacts).await, 404).await;
    export(&app, &a.access, &contacts).await;
    app.stop().await;
});

backend_tests!(a_large_export_streams_every_row_once, |b| async move {
    let app = spawn_app(b).await;
    let admin = app.register_admin("Large").await;
    let t = admin.access.as_str();
    const N: usize = 3_000;
    let created: Vec<String> = futures_util::stream::iter(0..N)
        .map(|i| {
            let app = &app;
            async move {
                id(&lead(
                    app,
                    t,
                    json!({"name": format!("Lead {i:05}"), "score": i % 101}),
                )
                .await)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let csv = export(&app, t, "/api/v1/leads/export?sort=name").await;
    // Streamed: chunked, with no length known in advance.
    assert_eq!(csv.length, None);
    assert_eq!(csv.rows.len(), N);
    let ids = csv.column("id");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), N, "a row written twice");
    assert_eq!(unique, created.iter().collect::<HashSet<_>>());
    let names = csv.column("name");
    let expected: Vec<String> = (0..N).map(|i| format!("Lead {i:05}")).collect();
    assert_eq!(names, expected);
    app.stop().await;
});
