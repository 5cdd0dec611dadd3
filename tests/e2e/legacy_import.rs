//! `crm import legacy` (contract section 10): a MariaDB database shaped like the Node.js
//! server's (tests/e2e/legacy/node_schema.sql, filled here with the awkward cases of
//! docs/legacy/NODE-MODELS.md) imported by the real binary into each backend.

use crate::backend_tests;
use crate::helpers::*;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

mod hr;
mod options;

const SCHEMA: &str = include_str!("legacy/node_schema.sql");
const OWNER_PASSWORD: &str = "legacy-pass-1";

// 23-character ids, as the Node.js server's generator makes them.
const R_SUPER: &str = "RsuperAdmin0000000000001";
const R_CLIENT: &str = "RclientRole000000000001";
const R_EMPLOYEE: &str = "RemployeeRole0000000001";
const R_SALES: &str = "RsalesExecutive00000001";
const R_SUB: &str = "RsubClientRole000000001";
const U_ACME: &str = "UacmeOwner0000000000001";
const U_GLOBEX: &str = "UglobexOwner00000000001";
const U_EMP: &str = "UacmeEmployee0000000001";
const U_SALES: &str = "UacmeSales0000000000001";
const U_SUB: &str = "UacmeSubClient000000001";
const U_SUPER: &str = "UplatformAdmin000000001";
const U_ORPHAN: &str = "UorphanEmployee00000001";
const U_BADMAIL: &str = "UbadEmail00000000000001";
const C_ACME: &str = "CacmeCustomer0000000001";
const C_GLOBEX: &str = "CglobexCustomer00000001";
const L_NEW: &str = "LacmeNew000000000000001";
const L_CONVERTED: &str = "LacmeConverted000000001";
const L_ORPHAN: &str = "LorphanLead000000000001";
const L_GLOBEX: &str = "LglobexLead000000000001";
const I_ACME: &str = "IacmeInvoice00000000001";
const I_SUB: &str = "IacmeSubInvoice00000001";
const I_ORPHAN: &str = "IorphanInvoice000000001";
const I_GLOBEX: &str = "IglobexInvoice000000001";

// ---- Work tables (branch legacy-work): Projects, Tasks, milestones. ----
const PR_ACME: &str = "PacmeProject00000000001";
const PR_GLOBEX: &str = "PglobexProject000000001";
const PR_ORPHAN: &str = "PorphanProject000000001";
const T_FIRST: &str = "TacmeFirst0000000000001";
const T_SECOND: &str = "TacmeSecond000000000001";
const T_ODD: &str = "TacmeOddStatus000000001";
const T_DONE: &str = "TacmeDone00000000000001";
const T_ORPHAN: &str = "TorphanTask000000000001";
const T_LEAD: &str = "TleadTask00000000000001";
const M_ACME: &str = "MacmeMilestone000000001";
const M_ORPHAN: &str = "MorphanMilestone0000001";
// ---- HR (branch legacy-work): holidays. ----
const H_HOLI: &str = "HacmeHoli00000000000001";
const H_DIWALI: &str = "HacmeDiwali000000000001";
const H_ORPHAN: &str = "HorphanHoliday000000001";
const LT_SICK: &str = "LTacmeSick000000000001";
const LT_GLOBEX: &str = "LTglobexCasual00000001";
const LT_ORPHAN: &str = "LTorphanType0000000001";
// ---- Documents (branch legacy-docs): quotations, proposals, notifications. ----
const Q_ACME: &str = "QacmeQuotation000000001";
const Q_RELATED: &str = "QacmeRelated00000000001";
const Q_LEAD: &str = "QacmeLeadOnly0000000001";
const Q_ORPHAN: &str = "QorphanClient0000000001";
const Q_NO_TENANT: &str = "QnoTenant00000000000001";
const SQ_ACME: &str = "SQacmeSales00000000001";
const SQ_GLOBEX: &str = "SQglobexSales000000001";
const PP_LEAD: &str = "PPacmeLead000000000001";
const PP_TITLE: &str = "PPglobexTitle000000001";
const PP_CLIENT: &str = "PPacmeClient0000000001";
const PP_ORPHAN: &str = "PPorphanLead0000000001";
const PP_NO_TENANT: &str = "PPnoTenant000000000001";
const NT_MANY: &str = "NTacmeMany000000000001";
const NT_READ: &str = "NTacmeRead000000000001";
const NT_OLD_READ: &str = "NTacmeOldRead000000001";
const NT_NO_TENANT: &str = "NTnoTenant000000000001";
const NT_NOBODY: &str = "NTacmeNobody0000000001";

/// A fresh source database `legacy_<uuid>` on the MariaDB of `CRM_TEST_MYSQL_URL`, filled.
struct LegacySource {
    admin: String,
    name: String,
    url: String,
}

impl LegacySource {
    /// `None` without `CRM_TEST_MYSQL_URL` (the old server's database is MySQL), except under
    /// `CRM_TEST_REQUIRE_ALL_BACKENDS=1`, where a missing source fails the test.
    async fn create() -> Option<LegacySource> {
        let Some(admin) = std::env::var("CRM_TEST_MYSQL_URL")
            .ok()
            .filter(|v| !v.is_empty())
        else {
            assert!(
                std::env::var("CRM_TEST_REQUIRE_ALL_BACKENDS").as_deref() != Ok("1"),
                "CRM_TEST_MYSQL_URL is not set but CRM_TEST_REQUIRE_ALL_BACKENDS=1: the legacy \
                 import tests need MySQL for the source"
            );
            return None;
        };
        let name = format!("legacy_{}", uuid::Uuid::now_v7().simple());
        let conn = Database::connect(&admin).await.unwrap();
        conn.execute_unprepared(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .await
        .unwrap();
        conn.close().await.ok();
        let url = with_database(&admin, &name);
        let db = Database::connect(&url).await.unwrap();
        // Comments first (they hold semicolons), then one statement per `;`.
        let ddl: String = SCHEMA
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for statement in ddl.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            db.execute_unprepared(statement).await.unwrap();
        }
        for statement in rows() {
            db.execute_unprepared(&statement).await.unwrap();
        }
        db.close().await.ok();
        Some(LegacySource { admin, name, url })
    }

    async fn execute(&self, sql: &str) {
        let db = Database::connect(&self.url).await.unwrap();
        db.execute_unprepared(sql).await.unwrap();
        db.close().await.ok();
    }

    async fn drop_db(self) {
        let conn = Database::connect(&self.admin).await.unwrap();
        let _ = conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .await;
        conn.close().await.ok();
    }
}

/// The rows, as the Node.js server would have left them: usernames in `created_by`, +05:30
/// wall-clock times, JSON stored as a JSON string, orphans.
fn rows() -> Vec<String> {
    let hash = bcrypt::hash(OWNER_PASSWORD, 12).unwrap();
    assert!(hash.starts_with("$2b$12$"));
    let other = bcrypt::hash("another-pass", 4).unwrap();
    let t = "'2024-03-05 10:15:00', '2024-03-06 09:00:00'";
    let mut v = vec![
        format!("INSERT INTO `Roles` (id, role_name, permissions, client_id, created_by, createdAt, updatedAt) VALUES
            ('{R_SUPER}', 'super-admin', NULL, NULL, NULL, {t}),
            ('{R_CLIENT}', 'client', '\"{{\\\\\"leads\\\\\": [\\\\\"view\\\\\"]}}\"', NULL, 'superadmin', {t}),
            ('{R_EMPLOYEE}', 'employee', '{{}}', '{U_ACME}', 'acme', {t}),
            ('{R_SALES}', 'Sales Executive', '{{}}', '{U_ACME}', 'acme', {t}),
            ('{R_SUB}', 'sub-client', NULL, '{U_ACME}', 'acme', {t})"),
        format!("INSERT INTO `Users` (id, username, password, email, role_id, firstName, lastName, phone, client_id, created_by, createdAt, updatedAt) VALUES
            ('{U_ACME}', 'acme', '{hash}', 'owner@acme.example', '{R_CLIENT}', 'Asha', 'Rao', '+91 98000 00001', NULL, 'superadmin', '2024-03-05 10:15:00', '2024-03-05 10:15:00'),
            ('{U_GLOBEX}', 'globex', '{other}', 'owner@globex.example', '{R_CLIENT}', NULL, NULL, NULL, NULL, 'superadmin', {t}),
            ('{U_EMP}', 'emp1', '{other}', 'emp1@acme.example', '{R_EMPLOYEE}', 'Emil', 'Park', NULL, '{U_ACME}', 'acme', {t}),
            ('{U_SALES}', 'sales1', '{other}', 'sales1@acme.example', '{R_SALES}', 'Sara', 'Lee', NULL, NULL, 'emp1', {t}),
            ('{U_SUB}', 'subco', '{other}', 'buyer@subco.example', '{R_SUB}', 'Sub', 'Co', NULL, '{U_ACME}', 'acme', {t}),
            ('{U_SUPER}', 'root', '{other}', 'root@platform.example', '{R_SUPER}', NULL, NULL, NULL, NULL, NULL, {t}),
            ('{U_ORPHAN}', 'ghost', '{other}', 'ghost@nowhere.example', '{R_EMPLOYEE}', NULL, NULL, NULL, 'NoSuchTenant00000000001', NULL, {t}),
            ('{U_BADMAIL}', 'badmail', '{other}', 'not-an-address', '{R_EMPLOYEE}', NULL, NULL, NULL, '{U_ACME}', 'acme', {t})"),
        format!("INSERT INTO `currencies` (id, currencyName, currencyIcon, currencyCode, createdAt, updatedAt) VALUES
            ('CurINR00000000000000001', 'Indian Rupee', '₹', 'INR', {t}),
            ('CurUSD00000000000000001', 'US Dollar', '$', 'USD', {t})"),
        format!("INSERT INTO `sources` (id, sourceName, description, client_id, createdAt, updatedAt) VALUES
            ('SrcWeb00000000000000001', 'Website', 'the site', '{U_ACME}', {t})"),
        format!("INSERT INTO `customers` (id, related_id, customerNumber, name, contact, email, tax_number, billing_address, created_by, createdAt, updatedAt) VALUES
            ('{C_ACME}', '{U_ACME}', 'CN#1', 'Initech Ltd', '+91 98000 00002', 'ap@initech.example', 'GST1', '\"{{\\\\\"street\\\\\": \\\\\"1 MG Road\\\\\", \\\\\"city\\\\\": \\\\\"Pune\\\\\"}}\"', 'acme', {t}),
            ('{C_GLOBEX}', '{U_GLOBEX}', 'CN#2', 'Hooli', '+1 555 0100', 'ap@hooli.example', 'T2', NULL, 'globex', {t})"),
        format!("INSERT INTO `Leads` (id, leadTitle, currency, leadValue, firstName, lastName, telephone, email, assigned, lead_members, source, status, client_id, created_by, createdAt, updatedAt) VALUES
            ('{L_NEW}', 'Website enquiry', 'CurINR00000000000000001', '1250.50', 'Jane', 'Prospect', '+91 98000 00003', 'jane@prospect.example', '{U_SALES}', '\"{{\\\\\"lead_members\\\\\": [\\\\\"{U_SALES}\\\\\"]}}\"', 'SrcWeb00000000000000001', 'new', '{U_ACME}', 'acme', '2024-03-05 10:15:00', '2024-03-05 10:15:00'),
            ('{L_CONVERTED}', 'Old deal', 'USD', '300', 'Old', 'Customer', NULL, 'old@customer.example', NULL, NULL, 'referral', 'converted', '{U_ACME}', 'emp1', {t}),
            ('{L_ORPHAN}', 'Lost one', NULL, NULL, 'No', 'Tenant', NULL, NULL, NULL, NULL, NULL, 'new', 'NoSuchTenant00000000001', 'nobody', {t}),
            ('{L_GLOBEX}', 'Globex lead', NULL, NULL, 'Gil', 'Bates', NULL, 'gil@example.com', NULL, NULL, NULL, 'qualified', '{U_GLOBEX}', 'globex', {t})"),
        // Items stored as a JSON string holding JSON; a discount the new totals do not know;
        // an object keyed by row; a client that does not exist.
        format!("INSERT INTO `invoices` (id, invoiceNumber, related_id, issueDate, dueDate, currency, project, client, items, discount, tax, total, client_id, created_by, createdAt, updatedAt) VALUES
            ('{I_ACME}', 'INV#7', 'P1', '2024-03-05 01:00:00', '2024-04-04 00:00:00', 'CurINR00000000000000001', '{PR_ACME}', '{C_ACME}', '\"[{{\\\\\"item\\\\\": \\\\\"Design\\\\\", \\\\\"quantity\\\\\": 2, \\\\\"price\\\\\": 100, \\\\\"tax\\\\\": 18}}]\"', 10, 18, 226, '{U_ACME}', 'acme', {t}),
            ('{I_SUB}', 'INV#8', 'P1', '2024-03-10 12:00:00', '2024-03-20 12:00:00', 'INR', 'P1', '{U_SUB}', '[{{\"description\": \"Hosting\", \"qty\": \"1\", \"rate\": 40}}]', 0, 0, 40, '{U_ACME}', 'emp1', {t}),
            ('{I_ORPHAN}', 'INV#9', 'P1', '2024-03-10 12:00:00', '2024-03-20 12:00:00', 'INR', 'P1', 'NoSuchClient00000000001', '[]', 0, 0, 0, '{U_ACME}', 'acme', {t}),
            ('{I_GLOBEX}', 'INV#10', 'P2', '2024-03-11 12:00:00', '2024-03-21 12:00:00', 'USD', 'P2', '{C_GLOBEX}', '{{\"0\": {{\"item\": \"Support\", \"quantity\": 3, \"price\": \"12.50\"}}}}', 0, 0, 37, '{U_GLOBEX}', 'globex', {t})"),
    ];
    // Sales and finance (branch legacy-sales).
    v.extend(sales_rows());
    // ---- Work tables (branch legacy-work): Projects, Tasks, milestones. ----
    // A project of each tenant and one of no tenant; members as the wrapper object; tasks
    // created one after the other (their board order), one of an unknown status, one of a
    // project that does not exist, one of a lead; a milestone with a cost, and an orphan.
    v.extend([
        format!("INSERT INTO `Projects` (id, project_name, startDate, endDate, project_members, project_category, project_description, client, currency, budget, estimatedmonths, estimatedhours, files, tag, status, client_id, created_by, createdAt, updatedAt) VALUES
            ('{PR_ACME}', 'Website relaunch', '2024-03-01 00:00:00', '2024-06-30 00:00:00', '\"{{\\\\\"project_members\\\\\": [\\\\\"{U_EMP}\\\\\", \\\\\"{U_SALES}\\\\\"]}}\"', 'Web', 'New site', '{C_ACME}', 'CurINR00000000000000001', 50000, '4', 120, NULL, NULL, 'In Progress', '{U_ACME}', 'emp1', {t}),
            ('{PR_GLOBEX}', 'Globex support', '2024-03-01 00:00:00', '2024-03-31 00:00:00', '[]', NULL, NULL, '{C_GLOBEX}', 'USD', 1000, NULL, NULL, NULL, NULL, 'completed', '{U_GLOBEX}', 'globex', {t}),
            ('{PR_ORPHAN}', 'Nobody', '2024-03-01 00:00:00', '2024-03-31 00:00:00', NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, 'NoSuchTenant00000000001', 'nobody', {t})"),
        format!("INSERT INTO `Tasks` (id, related_id, taskName, category, project, lead, startDate, dueDate, assignTo, status, priority, description, created_by, createdAt, updatedAt) VALUES
            ('{T_FIRST}', '{PR_ACME}', 'Site map', 'design', '{PR_ACME}', NULL, '2024-03-02 00:00:00', '2024-03-09 00:00:00', '[\"{U_EMP}\"]', 'Pending', 'High', 'Pages first', 'acme', '2024-03-07 10:00:00', '2024-03-07 10:00:00'),
            ('{T_SECOND}', '{PR_ACME}', 'Wireframes', NULL, '{PR_ACME}', NULL, '2024-03-02 00:00:00', '2024-03-12 00:00:00', NULL, 'pending', 'low', NULL, 'acme', '2024-03-07 11:00:00', '2024-03-07 11:00:00'),
            ('{T_ODD}', '{PR_ACME}', 'Copy', NULL, '{PR_ACME}', NULL, '2024-03-02 00:00:00', '2024-03-12 00:00:00', '{{\"assignTo\": [\"{U_SALES}\", \"{U_GLOBEX}\"]}}', 'Blocked', 'medium', NULL, 'acme', '2024-03-07 12:00:00', '2024-03-07 12:00:00'),
            ('{T_DONE}', '{PR_ACME}', 'Kick-off', NULL, '{PR_ACME}', NULL, '2024-03-01 00:00:00', '2024-03-01 00:00:00', NULL, 'Completed', 'medium', NULL, 'acme', '2024-03-07 13:00:00', '2024-03-07 13:00:00'),
            ('{T_ORPHAN}', 'NoSuchProject0000000001', 'Lost', NULL, 'NoSuchProject0000000001', NULL, '2024-03-01 00:00:00', '2024-03-01 00:00:00', NULL, 'pending', 'low', NULL, 'acme', {t}),
            ('{T_LEAD}', '{L_NEW}', 'Call Jane', NULL, NULL, '{L_NEW}', '2024-03-01 00:00:00', '2024-03-01 00:00:00', NULL, 'pending', 'low', NULL, 'acme', {t})"),
        format!("INSERT INTO `milestones` (id, related_id, milestone_title, milestone_status, milestone_cost, currency, milestone_summary, milestone_start_date, milestone_end_date, created_by, createdAt, updatedAt) VALUES
            ('{M_ACME}', '{PR_ACME}', 'Design signed off', 'Completed', '5000', 'INR', 'Sign-off by the client', '2024-03-01 00:00:00', '2024-03-15 00:00:00', 'acme', {t}),
            ('{M_ORPHAN}', 'NoSuchProject0000000001', 'Lost', 'pending', NULL, NULL, NULL, NULL, NULL, 'acme', {t})"),
    ]);
    // ---- HR (branch legacy-work): the employee's HR columns of `Users`. ----
    v.push(format!("UPDATE `Users` SET employeeId = 'EMP#7', joiningDate = '2023-01-10 00:00:00', address = '4 Park Street, Pune' WHERE id = '{U_EMP}'"));
    // One day, three days, no tenant.
    v.push(format!("INSERT INTO `holidays` (id, holiday_name, start_date, end_date, client_id, created_by, createdAt, updatedAt) VALUES
        ('{H_HOLI}', 'Holi', '2024-03-25 00:00:00', '2024-03-25 00:00:00', '{U_ACME}', 'acme', {t}),
        ('{H_DIWALI}', 'Diwali', '2024-10-31 00:00:00', '2024-11-02 00:00:00', '{U_ACME}', 'acme', {t}),
        ('{H_ORPHAN}', 'Nobody', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 'NoSuchTenant00000000001', NULL, {t})"));
    v.push(format!("INSERT INTO `LeaveTypes` (id, leaveType, daysPerYear, client_id, created_by, createdAt, updatedAt) VALUES
        ('{LT_SICK}', 'Sick leave', 12, '{U_ACME}', 'acme', {t}),
        ('{LT_GLOBEX}', 'Casual', 8, '{U_GLOBEX}', 'globex', {t}),
        ('{LT_ORPHAN}', 'Nobody', 1, 'NoSuchTenant00000000001', NULL, {t})"));
    // HR: departments, designations, leave, attendance (legacy_import/hr.rs).
    v.extend(hr::rows());
    v.extend(options::rows());
    v.extend(docs_rows());
    v.shrink_to_fit();
    v
}

/// Documents (branch legacy-docs): quotations of both old tables (a JSON-encoded string of
/// lines, an object keyed by row, a total that differs from its lines, one number in both
/// tables, a client found through `related_id`, a lead never converted, orphans), proposals
/// for a lead by id and by title, for a client, and orphans; notifications to several
/// recipients (one of another tenant) as a JSON-encoded string, read lately and long ago,
/// of no tenant and of nobody imported.
fn docs_rows() -> Vec<String> {
    let t = "'2024-03-05 10:15:00', '2024-03-06 09:00:00'";
    // Read two days ago, in the source's +05:30 wall-clock time.
    let lately = (chrono::Utc::now() + chrono::Duration::minutes(330) - chrono::Duration::days(2))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    vec![
        format!(
            r#"INSERT INTO `quotations` (id, quotationNumber, related_id, valid_till, currency, lead, client, items, discount, tax, total, created_by, createdAt, updatedAt) VALUES
            ('{Q_ACME}', 'QUO#1', '{D_ACME}', '2024-04-04 00:00:00', 'CurINR00000000000000001', NULL, '{C_ACME}', '"[{{\\"item\\": \\"Design\\", \\"quantity\\": 2, \\"price\\": 100, \\"tax\\": 18}}]"', 10, 18, 226, 'emp1', {t}),
            ('{Q_RELATED}', 'QUO#2', '{U_SUB}', '2099-12-31 00:00:00', 'INR', NULL, NULL, '{{"0": {{"description": "Hosting", "qty": "12", "rate": "40"}}}}', 0, 0, 480, 'acme', {t}),
            ('{Q_LEAD}', 'QUO#3', '{L_NEW}', '2099-12-31 00:00:00', 'INR', '{L_NEW}', NULL, '[{{"item": "Audit", "price": 5}}]', 0, 0, 5, 'acme', {t}),
            ('{Q_ORPHAN}', 'QUO#4', 'P1', '2099-12-31 00:00:00', 'INR', NULL, 'NoSuchClient00000000001', '[{{"item": "Audit", "price": 5}}]', 0, 0, 5, 'acme', {t}),
            ('{Q_NO_TENANT}', 'QUO#5', 'P1', '2099-12-31 00:00:00', 'INR', NULL, NULL, '[]', 0, 0, 0, 'nobody', {t})"#
        ),
        format!(
            r#"INSERT INTO `sales_quotations` (id, salesQuotationNumber, related_id, customer, issueDate, category, items, discount, tax, total, client_id, created_by, createdAt, updatedAt) VALUES
            ('{SQ_ACME}', 'QUO#1', '{U_ACME}', '{C_ACME}', '2024-03-10 12:00:00', 'services', '[{{"item": "Training", "quantity": 1, "price": 300}}]', 0, 0, 300, '{U_ACME}', 'acme', {t}),
            ('{SQ_GLOBEX}', 'QUO#2', '{U_GLOBEX}', '{C_GLOBEX}', '2024-03-11 12:00:00', 'services', '[{{"item": "Support", "quantity": 3, "price": "12.50"}}]', 0, 0, 37, '{U_GLOBEX}', 'globex', {t})"#
        ),
        format!(
            r#"INSERT INTO `proposals` (id, lead_title, valid_till, currency, description, items, discount, tax, total, created_by, createdAt, updatedAt) VALUES
            ('{PP_LEAD}', '{L_NEW}', '2099-12-31 00:00:00', 'CurINR00000000000000001', '## Website revamp\n\nTwo phases, then support.', '"[{{\\"item\\": \\"Phase 1\\", \\"price\\": 1000}}]"', 0, 0, 1000, 'sales1', {t}),
            ('{PP_TITLE}', 'globex lead', '2024-04-30 00:00:00', 'USD', 'Support for Globex', '[]', 0, 0, 0, 'globex', {t}),
            ('{PP_CLIENT}', '{C_ACME}', '2099-12-31 00:00:00', 'INR', 'Renewal', '[{{"item": "Renewal", "price": 50}}]', 5, 0, 45, 'acme', {t}),
            ('{PP_ORPHAN}', 'Nobody knows', '2099-12-31 00:00:00', 'INR', 'x', '[]', 0, 0, 0, 'acme', {t}),
            ('{PP_NO_TENANT}', 'NoSuchLead0000000000001', '2099-12-31 00:00:00', 'INR', 'x', '[]', 0, 0, 0, NULL, {t})"#
        ),
        format!(
            r#"INSERT INTO `Notifications` (id, related_id, users, title, message, description, `from`, notification_type, isRead, created_by, createdAt, updatedAt) VALUES
            ('{NT_MANY}', '{L_NEW}', '"[\\"{U_EMP}\\", \\"{U_SALES}\\", \\"{U_GLOBEX}\\"]"', 'Lead assigned', 'Jane needs a call', NULL, '{U_ACME}', 'normal', 0, 'acme', {t}),
            ('{NT_READ}', 'NothingAtAll00000000001', '["{U_ACME}"]', 'Reminder', 'Send the quotation', 'before Friday', 'emp1', 'reminder', 1, NULL, '2024-03-05 10:15:00', '{lately}'),
            ('{NT_OLD_READ}', '{C_ACME}', '["{U_ACME}"]', 'Old news', 'Seen long ago', NULL, 'emp1', 'normal', 1, 'acme', {t}),
            ('{NT_NO_TENANT}', 'x', '["{U_ORPHAN}"]', 'Lost', 'Lost', NULL, 'nobody', 'normal', 0, 'nobody', {t}),
            ('{NT_NOBODY}', 'x', '["NoSuchUser0000000000001"]', 'Lost', 'Lost', NULL, 'acme', 'normal', 0, 'acme', {t})"#
        ),
    ]
}

fn crm(db_url: &str, args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CRM_ENV", "test")
        .env("CRM_CONFIG_DIR", "/nonexistent-config-dir")
        .env("CRM__DATABASE__URL", db_url)
        .env("CRM__DATABASE__STARTUP_TIMEOUT_SECS", "5")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run crm")
}

async fn import(db_url: &str, from: &str, extra: &[&str], cwd: &Path) -> Output {
    let (db_url, from, cwd) = (db_url.to_string(), from.to_string(), cwd.to_path_buf());
    let mut args: Vec<String> = ["import", "legacy", "--from", from.as_str()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crm(&db_url, &args, &cwd)
    })
    .await
    .unwrap()
}

/// [`import`], which must succeed (its output in the failure's message).
async fn imported(db_url: &str, from: &str, extra: &[&str], cwd: &Path) -> Output {
    let o = import(db_url, from, extra, cwd).await;
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    o
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The summary's counts: `"leads <- Leads"` → `[created, updated, unchanged, skipped]`.
fn summary(o: &Output) -> HashMap<String, [u64; 4]> {
    stdout(o)
        .lines()
        .filter_map(|l| {
            let (label, rest) = l.split_once("  created ")?;
            let words: Vec<&str> = rest.split_whitespace().collect();
            let n = |i: usize| words.get(i).and_then(|w| w.parse().ok()).unwrap();
            // "N updated N unchanged N skipped N"
            Some((label.trim().to_string(), [n(0), n(2), n(4), n(6)]))
        })
        .collect()
}

/// The report's rows as `(table, legacy_id, reason)`.
fn report(path: &Path) -> Vec<(String, String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["table", "legacy_id", "reason"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

fn has(rows: &[(String, String, String)], table: &str, id: &str, words: &str) -> bool {
    rows.iter()
        .any(|(t, i, r)| t == table && i == id && r.contains(words))
}

async fn list(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let res = app.get_as(token, path).await;
    assert_eq!(res.status(), 200, "{path}");
    let body: Value = res.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

fn by_legacy<'a>(items: &'a [Value], id: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["legacy_id"] == id)
        .unwrap_or_else(|| panic!("no record with legacy_id {id} in {items:?}"))
}

backend_tests!(
    imports_the_node_database_once_and_updates_changes,
    |b| async move {
        let Some(source) = LegacySource::create().await else {
            return;
        };
        let db = TestDb::create(b).await;
        let dir = db.dir().clone();
        let report_path = dir.join("report.csv");
        let report_arg = report_path.to_str().unwrap().to_string();

        // A dry run reads, maps and writes everything, then rolls back.
        let dry = imported(
            &db.url,
            &source.url,
            &["--dry-run", "--report", &report_arg],
            &dir,
        )
        .await;
        assert!(
            stdout(&dry).contains("dry run: nothing was written"),
            "{}",
            stdout(&dry)
        );
        let dry_counts = summary(&dry);

        let first = imported(&db.url, &source.url, &["--report", &report_arg], &dir).await;
        assert!(
            stdout(&first).contains(&format!("report: {report_arg}")),
            "{}",
            stdout(&first)
        );
        let counts = summary(&first);
        // The dry run wrote nothing: the real run created the same records.
        assert_eq!(counts, dry_counts, "{}", stdout(&first));
        assert_eq!(
            counts["organizations <- Users"],
            [2, 0, 0, 0],
            "{}",
            stdout(&first)
        );
        // Owners, the employee, the sales user found through its creator; the super-admin, the
        // orphan and the bad address skipped.
        assert_eq!(counts["users <- Users"], [4, 0, 0, 3], "{}", stdout(&first));
        assert_eq!(counts["clients <- Users"], [1, 0, 0, 0]);
        assert_eq!(counts["clients <- customers"], [2, 0, 0, 0]);
        assert_eq!(counts["leads <- Leads"], [3, 0, 0, 1]);
        assert_eq!(counts["invoices <- invoices"], [3, 0, 0, 1]);

        let rows = report(&report_path);
        assert!(has(&rows, "Users", U_SUPER, "super-admin"), "{rows:?}");
        assert!(
            has(&rows, "Users", U_ORPHAN, "not a tenant owner"),
            "{rows:?}"
        );
        assert!(has(&rows, "Users", U_BADMAIL, "not an address"), "{rows:?}");
        assert!(has(&rows, "Users", U_SALES, "mapped to sales"), "{rows:?}");
        assert!(has(&rows, "Leads", L_ORPHAN, "no tenant"), "{rows:?}");
        assert!(
            has(&rows, "Leads", L_CONVERTED, "imported as qualified"),
            "{rows:?}"
        );
        assert!(
            has(&rows, "Leads", "", "column company_name not found"),
            "{rows:?}"
        );
        assert!(
            has(&rows, "invoices", I_ORPHAN, "was not imported"),
            "{rows:?}"
        );
        // 2 × 100.00 + 18 % = 236.00 against a stored 226 (after its discount of 10).
        assert!(
            has(&rows, "invoices", I_ACME, "difference is 1000"),
            "{rows:?}"
        );
        assert!(has(&rows, "invoices", I_ACME, "discount of 10"), "{rows:?}");

        let settings = test_settings(&db.url, db.dir(), &[]);
        let app = start_on(db, settings).await;
        // The bcrypt hash (cost 12) of the Node.js server signs the owner in.
        let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
        let me: Value = app
            .get_as(&owner.access, "/api/v1/auth/me")
            .await
            .json()
            .await
            .unwrap();
        assert!(
            me["roles"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == "admin"),
            "{me}"
        );
        let org: Value = app
            .get_as(&owner.access, "/api/v1/organization")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(org["legacy_id"], U_ACME);
        assert_eq!(org["timezone"], "Asia/Kolkata");

        let users = list(&app, &owner.access, "/api/v1/users?limit=200").await;
        assert_eq!(users.len(), 3, "{users:?}");
        // +05:30 wall-clock time: 10:15 IST is 04:45 UTC.
        let me_user = by_legacy(&users, U_ACME);
        assert!(
            me_user["created_at"]
                .as_str()
                .unwrap()
                .starts_with("2024-03-05T04:45:00"),
            "{me_user}"
        );
        by_legacy(&users, U_EMP);
        by_legacy(&users, U_SALES);

        let clients = list(&app, &owner.access, "/api/v1/clients?limit=200").await;
        assert_eq!(clients.len(), 2, "{clients:?}");
        let initech = by_legacy(&clients, C_ACME);
        assert_eq!(initech["address"], "1 MG Road\nPune");
        by_legacy(&clients, U_SUB);

        let leads = list(&app, &owner.access, "/api/v1/leads?limit=200").await;
        assert_eq!(leads.len(), 2, "{leads:?}");
        let jane = by_legacy(&leads, L_NEW);
        assert_eq!(jane["name"], "Jane Prospect");
        assert_eq!(jane["estimated_amount"], 125_050);
        assert_eq!(jane["currency"], "INR");
        assert_eq!(jane["source"], "Website");
        assert_eq!(jane["owner_id"], by_legacy(&users, U_SALES)["id"]);
        assert_eq!(by_legacy(&leads, L_CONVERTED)["status"], "qualified");

        let invoices = list(&app, &owner.access, "/api/v1/invoices?limit=200").await;
        assert_eq!(invoices.len(), 2, "{invoices:?}");
        let inv = by_legacy(&invoices, I_ACME);
        assert_eq!(inv["legacy_number"], "INV#7");
        assert!(inv["number"].is_null());
        assert_eq!(inv["status"], "issued");
        assert_eq!(inv["total"], 23_600);
        assert_eq!(inv["issue_date"], "2024-03-05");
        assert_eq!(inv["payment_terms_days"], 30);
        assert_eq!(inv["client_id"], initech["id"]);
        // Its project named by old id; another's `P1` names nothing and is reported.
        let projects = list(&app, &owner.access, "/api/v1/projects?limit=200").await;
        assert_eq!(inv["project_id"], by_legacy(&projects, PR_ACME)["id"]);
        assert!(
            by_legacy(&invoices, I_SUB)["project_id"].is_null(),
            "{invoices:?}"
        );
        // The PDF of a historic invoice prints its old number, not "Draft".
        let pdf = app
            .get_as(
                &owner.access,
                &format!("/api/v1/invoices/{}/pdf", inv["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(pdf.status(), 200);
        if let Some(text) = crate::finance::pdf_text(&pdf.bytes().await.unwrap()) {
            assert!(text.contains("INV#7") && !text.contains("Draft"), "{text}");
        }

        // Another tenant is another organization.
        let globex = app.login("owner@globex.example", "another-pass").await;
        assert_ne!(globex.organization_id, owner.organization_id);
        let gl = list(&app, &globex.access, "/api/v1/invoices?limit=200").await;
        assert_eq!(gl.len(), 1);
        assert_eq!(gl[0]["total"], 3_750);
        assert_eq!(gl[0]["currency"], "USD");

        // Again: nothing created twice, nothing changed.
        let second = imported(&app.db.url, &source.url, &["--report", &report_arg], &dir).await;
        let again = summary(&second);
        for (label, [created, updated, _, _]) in &again {
            assert_eq!((*created, *updated), (0, 0), "{label}: {}", stdout(&second));
        }
        assert_eq!(again["leads <- Leads"], [0, 0, 3, 1]);

        // A changed row is updated, one version on.
        source
        .execute(&format!("UPDATE `Leads` SET firstName = 'Janet', updatedAt = '2024-04-01 09:00:00' WHERE id = '{L_NEW}'"))
        .await;
        let third = imported(&app.db.url, &source.url, &["--report", &report_arg], &dir).await;
        assert_eq!(
            summary(&third)["leads <- Leads"],
            [0, 1, 2, 1],
            "{}",
            stdout(&third)
        );
        let leads = list(&app, &owner.access, "/api/v1/leads?limit=200").await;
        let janet = by_legacy(&leads, L_NEW);
        assert_eq!(janet["name"], "Janet Prospect");
        assert_eq!(janet["version"], 2);
        assert_eq!(janet["id"], jane["id"]);
        assert_eq!(
            list(&app, &owner.access, "/api/v1/leads?limit=200")
                .await
                .len(),
            2
        );

        // The default report lands in the current folder, its path printed.
        let fourth = imported(&app.db.url, &source.url, &[], &dir).await;
        let printed = stdout(&fourth);
        let line = printed.lines().find(|l| l.starts_with("report: ")).unwrap();
        assert!(line.contains("legacy-import-report-"), "{line}");

        app.stop().await;
        source.drop_db().await;
    }
);

backend_tests!(an_unreadable_source_fails_in_one_line, |b| async move {
    let db = TestDb::create(b).await;
    let dir = db.dir().clone();
    let o = import(&db.url, "mysql://root@127.0.0.1:1/nothing", &[], &dir).await;
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("source database"), "{err}");
    let o = import(&db.url, "postgres://somewhere/else", &[], &dir).await;
    assert!(!o.status.success());
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    db.drop_db().await;
});

// ---------------------------------------------------------------------------------------
// Sales and finance (issue 17, branch legacy-sales): pipelines and stages, deals, payments,
// expenses, contracts and notes, each with an orphan the report must list.

const P_ACME: &str = "PacmePipeline0000000001";
const P_GLOBEX: &str = "PglobexPipeline00000001";
const P_ORPHAN: &str = "PorphanPipeline00000001";
const S_DISCOVERY: &str = "SacmeDiscovery000000001";
const S_PROPOSAL: &str = "SacmeProposal0000000001";
const S_LEAD: &str = "SacmeLeadStage000000001";
const S_PITCH: &str = "SglobexPitch00000000001";
const S_ORPHAN: &str = "SorphanStage00000000001";
const D_ACME: &str = "DacmeDeal00000000000001";
const D_BY_NAME: &str = "DacmeByName000000000001";
const D_LOST_PIPELINE: &str = "DacmeLostPipeline000001";
const D_GLOBEX: &str = "DglobexDeal000000000001";
const D_ORPHAN: &str = "DorphanDeal000000000001";
const PAY_ACME: &str = "PYacmePayment0000000001";
const PAY_OVER: &str = "PYacmeOverpaid000000001";
const PAY_ORPHAN: &str = "PYorphanPayment00000001";
const E_ACME: &str = "EacmeExpense00000000001";
const E_ORPHAN: &str = "EorphanExpense000000001";
const E_NEGATIVE: &str = "EacmeNegative0000000001";
const K_OLD: &str = "KacmeOldContract0000001";
const K_ACTIVE: &str = "KacmeActiveContract0001";
const K_ORPHAN: &str = "KorphanContract00000001";
const N_CLIENT: &str = "NacmeClientNote00000001";
const N_LEAD: &str = "NacmeLeadNote0000000001";
const N_ORPHAN: &str = "NorphanNote000000000001";

/// The rows of the sales and finance tables.
fn sales_rows() -> Vec<String> {
    let t = "'2024-03-05 10:15:00', '2024-03-06 09:00:00'";
    vec![
        format!("INSERT INTO `pipelines` (id, pipeline_name, created_by, createdAt, updatedAt) VALUES
            ('{P_ACME}', 'Enterprise', 'acme', {t}),
            ('{P_GLOBEX}', 'Globex deals', 'globex', {t}),
            ('{P_ORPHAN}', 'Nobody at all', 'nobody', {t})"),
        // Stages in the order they were made; a lead stage; one of a pipeline that is gone.
        format!("INSERT INTO `stages` (id, stageType, stageName, pipeline, created_by, createdAt, updatedAt) VALUES
            ('{S_DISCOVERY}', 'deal', 'Discovery', '{P_ACME}', 'acme', '2024-03-05 10:16:00', '2024-03-05 10:16:00'),
            ('{S_PROPOSAL}', 'deal', 'Proposal', '{P_ACME}', 'acme', '2024-03-05 10:17:00', '2024-03-05 10:17:00'),
            ('{S_LEAD}', 'lead', 'Contacted', '{P_ACME}', 'acme', '2024-03-05 10:18:00', '2024-03-05 10:18:00'),
            ('{S_PITCH}', 'deal', 'Pitch', '{P_GLOBEX}', 'globex', {t}),
            ('{S_ORPHAN}', 'deal', 'Lost', 'NoSuchPipeline000000001', 'acme', {t})"),
        // By id; by name (any case); a pipeline that is gone; no tenant anywhere.
        format!("INSERT INTO `Deals` (id, leadTitle, dealName, pipeline, deal_stage, deal_price, currency, closed_date, deal_category, deal_agent, project, created_by, createdAt, updatedAt) VALUES
            ('{D_ACME}', '{L_NEW}', 'Website revamp', '{P_ACME}', '{S_PROPOSAL}', 1250.5, 'CurINR00000000000000001', '2024-06-30 00:00:00', 'web', '{U_SALES}', 'P1', 'acme', {t}),
            ('{D_BY_NAME}', 'Old deal', 'Support plan', 'enterprise', 'DISCOVERY', 300, 'USD', '2024-07-31 00:00:00', 'support', 'nobody', 'P1', 'emp1', {t}),
            ('{D_LOST_PIPELINE}', 'x', 'Stray', 'NoSuchPipeline000000001', 'Whatever', 10, 'INR', '2024-07-31 00:00:00', 'x', 'x', 'P1', 'acme', {t}),
            ('{D_GLOBEX}', 'x', 'Globex renewal', '{P_GLOBEX}', '{S_PITCH}', 99.99, 'USD', '2024-08-31 00:00:00', 'x', 'x', 'P2', 'globex', {t}),
            ('{D_ORPHAN}', 'nothing', 'Nobody', 'NoSuchPipeline000000001', 'x', 1, 'INR', '2024-07-31 00:00:00', 'x', 'x', 'P1', 'nobody', {t})"),
        // Part of an invoice; more than an invoice's balance; an invoice never imported.
        format!("INSERT INTO `Payments` (id, related_id, project, invoice, paidOn, amount, currency, transactionId, paymentMethod, receipt, remark, created_by, createdAt, updatedAt) VALUES
            ('{PAY_ACME}', 'P1', 'P1', '{I_ACME}', '2024-03-20 00:00:00', 100, 'CurINR00000000000000001', 'TXN-1', 'Bank Transfer', NULL, 'first half', 'acme', {t}),
            ('{PAY_OVER}', 'P1', 'P1', '{I_SUB}', '2024-03-21 00:00:00', 50, 'INR', 'TXN-2', 'barter', NULL, NULL, 'emp1', {t}),
            ('{PAY_ORPHAN}', 'P1', 'P1', '{I_ORPHAN}', '2024-03-21 00:00:00', 5, 'INR', 'TXN-3', 'cash', NULL, NULL, 'acme', {t})"),
        format!("INSERT INTO `expenses` (id, related_id, item, currency, price, purchase_date, project, description, bill, created_by, createdAt, updatedAt) VALUES
            ('{E_ACME}', 'P1', 'Taxi', 'CurINR00000000000000001', 450.75, '2024-03-07 00:00:00', 'website relaunch', 'to the airport', NULL, 'emp1', {t}),
            ('{E_ORPHAN}', 'P1', 'Lunch', 'INR', 20, '2024-03-07 00:00:00', 'P1', NULL, NULL, 'nobody', {t}),
            ('{E_NEGATIVE}', 'P1', 'Refund?', 'INR', -5, '2024-03-07 00:00:00', 'P1', NULL, NULL, 'acme', {t})"),
        // Two with one number (the old string-ordered numbering); one of a client never imported.
        format!("INSERT INTO `Contracts` (id, contract_number, subject, client, project, type, value, startDate, endDate, description, currency, phone, city, state, country, zipcode, address, notes, created_by, createdAt, updatedAt) VALUES
            ('{K_OLD}', 'CON#3', 'Support 2024', '{C_ACME}', 'P1', 'AMC', 120000, '2024-01-01 00:00:00', '2024-12-31 00:00:00', 'Business hours', 'CurINR00000000000000001', '1', 'Pune', 'MH', 'IN', '411001', '1 MG Road', 'renew?', 'acme', {t}),
            ('{K_ACTIVE}', 'CON#3', 'Support 2099', '{U_SUB}', 'P1', 'AMC', 5000, '2026-01-01 00:00:00', '2099-12-31 00:00:00', NULL, 'INR', '1', 'Pune', 'MH', 'IN', '411001', '1 MG Road', '', 'acme', '2024-03-05 10:20:00', '2024-03-06 09:00:00'),
            ('{K_ORPHAN}', 'CON#4', 'Ghost', 'NoSuchClient00000000001', 'P1', 'AMC', 1, '2024-01-01 00:00:00', '2024-12-31 00:00:00', NULL, 'INR', '1', 'x', 'x', 'x', 'x', 'x', 'x', 'acme', {t})"),
        format!("INSERT INTO `notes` (id, related_id, note_title, notetype, employees, description, created_by, createdAt, updatedAt) VALUES
            ('{N_CLIENT}', '{C_ACME}', 'Called', 'call', NULL, 'wants a quote', 'sales1', '2024-03-05 11:00:00', '2024-03-05 11:00:00'),
            ('{N_LEAD}', '{L_NEW}', 'Lead note', NULL, NULL, NULL, 'acme', {t}),
            ('{N_ORPHAN}', 'NothingAtAll00000000001', 'Lost note', NULL, NULL, NULL, 'acme', {t})"),
    ]
}

/// A source imported once into a fresh database of `b`, and the server on it.
struct Imported {
    source: LegacySource,
    app: TestApp,
    dir: std::path::PathBuf,
    report_arg: String,
    first: Output,
    rows: Vec<(String, String, String)>,
}

impl Imported {
    async fn new(b: Backend) -> Option<Imported> {
        Self::start(b, false).await.map(|(run, _)| run)
    }

    /// [`Imported::new`] after a dry run of the same import, whose output comes with it.
    async fn after_dry_run(b: Backend) -> Option<(Imported, Output)> {
        Self::start(b, true)
            .await
            .map(|(run, dry)| (run, dry.expect("a dry run was made")))
    }

    async fn start(b: Backend, dry_run: bool) -> Option<(Imported, Option<Output>)> {
        let source = LegacySource::create().await?;
        let db = TestDb::create(b).await;
        let dir = db.dir().clone();
        let report_path = dir.join("report.csv");
        let report_arg = report_path.to_str().unwrap().to_string();
        let dry = if dry_run {
            let args = ["--dry-run", "--report", report_arg.as_str()];
            Some(imported(&db.url, &source.url, &args, &dir).await)
        } else {
            None
        };
        let first = imported(&db.url, &source.url, &["--report", &report_arg], &dir).await;
        let rows = report(&report_path);
        let settings = test_settings(&db.url, db.dir(), &[]);
        let app = start_on(db, settings).await;
        let run = Imported {
            source,
            app,
            dir,
            report_arg,
            first,
            rows,
        };
        Some((run, dry))
    }

    /// Runs the import again on the same database.
    async fn again(&self) -> Output {
        imported(
            &self.app.db.url,
            &self.source.url,
            &["--report", &self.report_arg],
            &self.dir,
        )
        .await
    }

    async fn finish(self) {
        self.app.stop().await;
        self.source.drop_db().await;
    }
}

backend_tests!(imports_pipelines_and_their_deal_stages, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    let counts = summary(&run.first);
    assert_eq!(
        counts["pipelines <- pipelines"],
        [2, 0, 0, 1],
        "{}",
        stdout(&run.first)
    );
    assert_eq!(counts["pipeline_stages <- stages"], [3, 0, 0, 2]);
    assert!(has(rows, "pipelines", P_ORPHAN, "no tenant"), "{rows:?}");
    assert!(has(rows, "stages", S_LEAD, "a lead stage"), "{rows:?}");
    assert!(has(rows, "stages", S_ORPHAN, "not found"), "{rows:?}");

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let pipelines = list(app, &owner.access, "/api/v1/pipelines?limit=200").await;
    let enterprise = by_legacy(&pipelines, P_ACME).clone();
    assert_eq!(enterprise["name"], "Enterprise");
    assert_eq!(enterprise["is_default"], false);
    let stages = enterprise["stages"].as_array().unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Discovery", "Proposal"]);
    assert_eq!(stages[0]["legacy_id"], S_DISCOVERY);
    assert_eq!(stages[1]["legacy_id"], S_PROPOSAL);
    assert_eq!(stages[0]["probability"], 33);
    assert_eq!(stages[1]["probability"], 66);
    // The organization's own default pipeline is there too, with no legacy id.
    let default = pipelines.iter().find(|p| p["is_default"] == true).unwrap();
    assert!(default["legacy_id"].is_null(), "{default}");
    assert!(default["stages"][0]["legacy_id"].is_null(), "{default}");

    // Another tenant neither lists nor reads it.
    let globex = app.login("owner@globex.example", "another-pass").await;
    let theirs = list(app, &globex.access, "/api/v1/pipelines?limit=200").await;
    assert!(
        theirs.iter().all(|p| p["legacy_id"] != P_ACME),
        "{theirs:?}"
    );
    by_legacy(&theirs, P_GLOBEX);
    let path = format!("/api/v1/pipelines/{}", enterprise["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    // Again: nothing created; a renamed stage is updated in place.
    let again = summary(&run.again().await);
    assert_eq!(again["pipelines <- pipelines"], [0, 0, 2, 1]);
    assert_eq!(again["pipeline_stages <- stages"], [0, 0, 3, 2]);
    run.source
        .execute(&format!(
            "UPDATE `stages` SET stageName = 'Proposal sent', updatedAt = '2024-04-01 09:00:00' WHERE id = '{S_PROPOSAL}'"
        ))
        .await;
    let third = summary(&run.again().await);
    assert_eq!(third["pipelines <- pipelines"], [0, 1, 1, 1]);
    assert_eq!(third["pipeline_stages <- stages"], [0, 1, 2, 2]);
    let pipelines = list(app, &owner.access, "/api/v1/pipelines?limit=200").await;
    let renamed = by_legacy(&pipelines, P_ACME);
    assert_eq!(renamed["id"], enterprise["id"]);
    assert_eq!(renamed["version"], 2);
    assert_eq!(renamed["stages"][1]["name"], "Proposal sent");
    assert_eq!(renamed["stages"][1]["id"], stages[1]["id"]);
    run.finish().await;
});

backend_tests!(
    imports_deals_into_their_pipeline_and_stage,
    |b| async move {
        let Some(run) = Imported::new(b).await else {
            return;
        };
        let (app, rows) = (&run.app, &run.rows);
        let counts = summary(&run.first);
        assert_eq!(
            counts["deals <- Deals"],
            [4, 0, 0, 1],
            "{}",
            stdout(&run.first)
        );
        assert!(has(rows, "Deals", D_ORPHAN, "no tenant"), "{rows:?}");
        assert!(
            has(
                rows,
                "Deals",
                D_LOST_PIPELINE,
                "put in the default pipeline"
            ),
            "{rows:?}"
        );

        let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
        let pipelines = list(app, &owner.access, "/api/v1/pipelines?limit=200").await;
        let enterprise = by_legacy(&pipelines, P_ACME);
        let stage = |legacy: &str| {
            enterprise["stages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["legacy_id"] == legacy)
                .unwrap()["id"]
                .clone()
        };
        let users = list(app, &owner.access, "/api/v1/users?limit=200").await;
        let leads = list(app, &owner.access, "/api/v1/leads?limit=200").await;
        let deals = list(app, &owner.access, "/api/v1/deals?limit=200").await;
        assert_eq!(deals.len(), 3, "{deals:?}");
        // By id: pipeline, stage (and its probability), lead, agent; the price in paise.
        let revamp = by_legacy(&deals, D_ACME);
        assert_eq!(revamp["title"], "Website revamp");
        assert_eq!(revamp["pipeline_id"], enterprise["id"]);
        assert_eq!(revamp["stage_id"], stage(S_PROPOSAL));
        assert_eq!(revamp["probability"], 66);
        assert_eq!(revamp["amount"], 125_050);
        assert_eq!(revamp["currency"], "INR");
        assert_eq!(revamp["lead_id"], by_legacy(&leads, L_NEW)["id"]);
        assert_eq!(revamp["owner_id"], by_legacy(&users, U_SALES)["id"]);
        assert_eq!(revamp["expected_close_date"], "2024-06-30");
        assert_eq!(revamp["status"], "open");
        // By name, any case; owned by its creator when the agent is unknown.
        let support = by_legacy(&deals, D_BY_NAME);
        assert_eq!(support["pipeline_id"], enterprise["id"]);
        assert_eq!(support["stage_id"], stage(S_DISCOVERY));
        assert_eq!(support["amount"], 30_000);
        assert_eq!(support["owner_id"], by_legacy(&users, U_EMP)["id"]);
        assert!(support["lead_id"].is_null());
        // A pipeline that is gone: the organization's default pipeline, its first stage.
        let stray = by_legacy(&deals, D_LOST_PIPELINE);
        let default = pipelines.iter().find(|p| p["is_default"] == true).unwrap();
        assert_eq!(stray["pipeline_id"], default["id"]);
        assert_eq!(stray["stage_id"], default["stages"][0]["id"]);
        // Its stage history starts where it was imported.
        let path = format!("/api/v1/deals/{}", revamp["id"].as_str().unwrap());
        assert_eq!(app.get_as(&owner.access, &path).await.status(), 200);

        // Another tenant cannot see them.
        let globex = app.login("owner@globex.example", "another-pass").await;
        assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);
        let theirs = list(app, &globex.access, "/api/v1/deals?limit=200").await;
        assert_eq!(theirs.len(), 1, "{theirs:?}");
        assert_eq!(by_legacy(&theirs, D_GLOBEX)["amount"], 9_999);

        // Again: nothing created; a changed price updates the deal in place.
        assert_eq!(summary(&run.again().await)["deals <- Deals"], [0, 0, 4, 1]);
        run.source
        .execute(&format!(
            "UPDATE `Deals` SET deal_price = 2000, deal_stage = 'Discovery', updatedAt = '2024-04-01 09:00:00' WHERE id = '{D_ACME}'"
        ))
        .await;
        assert_eq!(summary(&run.again().await)["deals <- Deals"], [0, 1, 3, 1]);
        let deals = list(app, &owner.access, "/api/v1/deals?limit=200").await;
        let moved = by_legacy(&deals, D_ACME);
        assert_eq!(moved["id"], revamp["id"]);
        assert_eq!(moved["amount"], 200_000);
        assert_eq!(moved["stage_id"], stage(S_DISCOVERY));
        assert_eq!(moved["version"], 2);
        run.finish().await;
    }
);

backend_tests!(imports_payments_against_imported_invoices, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    let counts = summary(&run.first);
    assert_eq!(
        counts["payments <- Payments"],
        [2, 0, 0, 1],
        "{}",
        stdout(&run.first)
    );
    assert!(
        has(rows, "Payments", PAY_ORPHAN, "was not imported"),
        "{rows:?}"
    );
    assert!(
        has(rows, "Payments", PAY_OVER, "stays unapplied"),
        "{rows:?}"
    );
    assert!(
        has(rows, "Payments", PAY_OVER, "imported as other"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let invoices = list(app, &owner.access, "/api/v1/invoices?limit=200").await;
    let payments = list(app, &owner.access, "/api/v1/payments?limit=200").await;
    assert_eq!(payments.len(), 2, "{payments:?}");
    let first = by_legacy(&payments, PAY_ACME);
    let inv = by_legacy(&invoices, I_ACME);
    assert_eq!(first["amount"], 10_000);
    assert_eq!(first["currency"], "INR");
    assert_eq!(first["received_on"], "2024-03-20");
    assert_eq!(first["method"], "bank_transfer");
    assert_eq!(first["reference"], "TXN-1");
    assert_eq!(first["notes"], "first half");
    assert_eq!(first["client_id"], inv["client_id"]);
    assert_eq!(first["allocations"][0]["invoice_id"], inv["id"]);
    assert_eq!(first["allocated_amount"], 10_000);
    // The invoice is partly paid, as a payment recorded here makes it.
    assert_eq!(inv["amount_paid"], 10_000);
    assert_eq!(inv["balance_due"], 13_600);
    assert_eq!(inv["payment_status"], "partially_paid");
    // More than the balance: the invoice is paid, the rest unapplied.
    let over = by_legacy(&payments, PAY_OVER);
    assert_eq!(over["allocated_amount"], 4_000);
    assert_eq!(over["unapplied_amount"], 1_000);
    assert_eq!(over["method"], "other");
    assert_eq!(by_legacy(&invoices, I_SUB)["payment_status"], "paid");

    let globex = app.login("owner@globex.example", "another-pass").await;
    assert!(
        list(app, &globex.access, "/api/v1/payments?limit=200")
            .await
            .is_empty()
    );
    let path = format!("/api/v1/payments/{}", first["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    // Again: nothing created, the invoices not paid twice.
    let again = summary(&run.again().await);
    assert_eq!(again["payments <- Payments"], [0, 0, 2, 1]);
    assert_eq!(again["invoices <- invoices"], [0, 0, 3, 1]);
    let invoices = list(app, &owner.access, "/api/v1/invoices?limit=200").await;
    assert_eq!(by_legacy(&invoices, I_ACME)["amount_paid"], 10_000);
    run.finish().await;
});

backend_tests!(imports_expenses_as_approved_claims, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    let counts = summary(&run.first);
    assert_eq!(
        counts["expenses <- expenses"],
        [1, 0, 0, 2],
        "{}",
        stdout(&run.first)
    );
    assert!(has(rows, "expenses", E_ORPHAN, "no tenant"), "{rows:?}");
    assert!(
        has(rows, "expenses", E_NEGATIVE, "not an amount above 0"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let users = list(app, &owner.access, "/api/v1/users?limit=200").await;
    let expenses = list(app, &owner.access, "/api/v1/expenses?limit=200").await;
    assert_eq!(expenses.len(), 1, "{expenses:?}");
    let taxi = by_legacy(&expenses, E_ACME);
    assert_eq!(taxi["description"], "Taxi: to the airport");
    assert_eq!(taxi["amount"], 45_075);
    assert_eq!(taxi["currency"], "INR");
    assert_eq!(taxi["incurred_on"], "2024-03-07");
    assert_eq!(taxi["submitted_by"], by_legacy(&users, U_EMP)["id"]);
    assert_eq!(taxi["status"], "approved");
    assert_eq!(taxi["approved_amount"], 45_075);
    // Its project named by name, whatever the case.
    let projects = list(app, &owner.access, "/api/v1/projects?limit=200").await;
    assert_eq!(taxi["project_id"], by_legacy(&projects, PR_ACME)["id"]);

    let globex = app.login("owner@globex.example", "another-pass").await;
    assert!(
        list(app, &globex.access, "/api/v1/expenses?limit=200")
            .await
            .is_empty()
    );
    let path = format!("/api/v1/expenses/{}", taxi["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    assert_eq!(
        summary(&run.again().await)["expenses <- expenses"],
        [0, 0, 1, 2]
    );
    run.finish().await;
});

backend_tests!(imports_contracts_with_their_old_numbers, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    let counts = summary(&run.first);
    assert_eq!(
        counts["contracts <- Contracts"],
        [2, 0, 0, 1],
        "{}",
        stdout(&run.first)
    );
    assert!(
        has(rows, "Contracts", K_ORPHAN, "was not imported"),
        "{rows:?}"
    );
    assert!(
        has(rows, "Contracts", K_ACTIVE, "imported as CON#3/2"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let clients = list(app, &owner.access, "/api/v1/clients?limit=200").await;
    let contracts = list(app, &owner.access, "/api/v1/contracts?limit=200").await;
    assert_eq!(contracts.len(), 2, "{contracts:?}");
    let old = by_legacy(&contracts, K_OLD);
    assert_eq!(old["number"], "CON#3");
    assert_eq!(old["title"], "Support 2024");
    assert_eq!(old["client_id"], by_legacy(&clients, C_ACME)["id"]);
    assert_eq!(old["value"], 12_000_000);
    assert_eq!(old["start_date"], "2024-01-01");
    assert_eq!(old["end_date"], "2024-12-31");
    assert_eq!(old["status"], "expired");
    assert_eq!(old["auto_renew"], false);
    assert_eq!(
        old["description"],
        "Business hours\n\nType: AMC\n\nNotes: renew?"
    );
    let active = by_legacy(&contracts, K_ACTIVE);
    assert_eq!(active["number"], "CON#3/2");
    assert_eq!(active["status"], "active");
    assert_eq!(active["client_id"], by_legacy(&clients, U_SUB)["id"]);

    let globex = app.login("owner@globex.example", "another-pass").await;
    assert!(
        list(app, &globex.access, "/api/v1/contracts?limit=200")
            .await
            .is_empty()
    );
    let path = format!("/api/v1/contracts/{}", old["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    // Again: nothing created; the numbers stay.
    assert_eq!(
        summary(&run.again().await)["contracts <- Contracts"],
        [0, 0, 2, 1]
    );
    let contracts = list(app, &owner.access, "/api/v1/contracts?limit=200").await;
    assert_eq!(by_legacy(&contracts, K_ACTIVE)["number"], "CON#3/2");
    run.finish().await;
});

backend_tests!(imports_notes_on_clients_as_interactions, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    let counts = summary(&run.first);
    assert_eq!(
        counts["interactions <- notes"],
        [1, 0, 0, 2],
        "{}",
        stdout(&run.first)
    );
    assert!(has(rows, "notes", N_LEAD, "on a lead"), "{rows:?}");
    assert!(has(rows, "notes", N_ORPHAN, "was not imported"), "{rows:?}");

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let users = list(app, &owner.access, "/api/v1/users?limit=200").await;
    let clients = list(app, &owner.access, "/api/v1/clients?limit=200").await;
    let initech = by_legacy(&clients, C_ACME)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/clients/{initech}/interactions?limit=200");
    let notes = list(app, &owner.access, &path).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = by_legacy(&notes, N_CLIENT);
    assert_eq!(note["kind"], "note");
    assert_eq!(note["summary"], "Called\n\nwants a quote");
    assert_eq!(note["owner_id"], by_legacy(&users, U_SALES)["id"]);
    // 11:00 IST is 05:30 UTC.
    assert!(
        note["occurred_at"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-05T05:30:00"),
        "{note}"
    );

    let globex = app.login("owner@globex.example", "another-pass").await;
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    assert_eq!(
        summary(&run.again().await)["interactions <- notes"],
        [0, 0, 1, 2]
    );
    run.finish().await;
});

// ---- Work tables (branch legacy-work): Projects, Tasks, milestones. ----

/// The ids of a board column's tasks, in board order, each at its `position`.
async fn board_column(app: &TestApp, token: &str, project: &str, status: &str) -> Vec<String> {
    let res = app
        .get_as(token, &format!("/api/v1/projects/{project}/board"))
        .await;
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    let column = b["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == status)
        .unwrap_or_else(|| panic!("no column {status} in {b}"));
    let tasks = column["tasks"].as_array().unwrap();
    for (i, t) in tasks.iter().enumerate() {
        assert_eq!(t["position"], i, "{t}");
    }
    tasks
        .iter()
        .map(|t| t["legacy_id"].as_str().unwrap_or("").to_string())
        .collect()
}

backend_tests!(imports_projects_tasks_and_milestones_once, |b| async move {
    let Some((run, dry)) = Imported::after_dry_run(b).await else {
        return;
    };
    let (app, first) = (&run.app, &run.first);
    let counts = summary(first);
    let dry_counts = summary(&dry);
    for label in [
        "projects <- Projects",
        "tasks <- Tasks",
        "milestones <- milestones",
    ] {
        assert_eq!(counts[label], dry_counts[label], "{label}");
    }
    assert_eq!(
        counts["projects <- Projects"],
        [2, 0, 0, 1],
        "{}",
        stdout(first)
    );
    assert_eq!(counts["tasks <- Tasks"], [4, 0, 0, 2], "{}", stdout(first));
    assert_eq!(counts["milestones <- milestones"], [1, 0, 0, 1]);

    let rows = &run.rows;
    assert!(has(rows, "Projects", PR_ORPHAN, "no tenant"), "{rows:?}");
    assert!(has(rows, "Tasks", T_ORPHAN, "was not imported"), "{rows:?}");
    assert!(has(rows, "Tasks", T_LEAD, "a task of lead"), "{rows:?}");
    assert!(
        has(rows, "Tasks", T_ODD, "Blocked is unknown: imported as todo"),
        "{rows:?}"
    );
    assert!(
        has(rows, "Tasks", T_ODD, "not a user of the tenant"),
        "{rows:?}"
    );
    assert!(
        has(rows, "milestones", M_ORPHAN, "was not imported"),
        "{rows:?}"
    );
    assert!(
        has(rows, "milestones", M_ACME, "milestone_cost 5000"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let users = list(app, &owner.access, "/api/v1/users?limit=200").await;
    let emp = by_legacy(&users, U_EMP)["id"].clone();
    let sales = by_legacy(&users, U_SALES)["id"].clone();
    let clients = list(app, &owner.access, "/api/v1/clients?limit=200").await;

    let projects = list(app, &owner.access, "/api/v1/projects?limit=200").await;
    assert_eq!(projects.len(), 1, "{projects:?}");
    let p = by_legacy(&projects, PR_ACME);
    let pid = p["id"].as_str().unwrap().to_string();
    assert_eq!(p["name"], "Website relaunch");
    assert_eq!(p["description"], "New site");
    assert_eq!(p["client_id"], by_legacy(&clients, C_ACME)["id"]);
    // Managed by its creator (`created_by` holds the username).
    assert_eq!(p["owner_id"], emp);
    assert_eq!(p["status"], "active");
    assert_eq!(p["start_date"], "2024-03-01");
    assert_eq!(p["due_date"], "2024-06-30");
    assert_eq!(p["budget_amount"], 5_000_000);
    assert_eq!(p["budget_currency"], "INR");
    assert_eq!(p["budget_minutes"], 120 * 60);
    let members = app
        .get_as(&owner.access, &format!("/api/v1/projects/{pid}/members"))
        .await;
    assert_eq!(members.status(), 200);
    let members: Value = members.json().await.unwrap();
    let member_ids: Vec<&Value> = members
        .as_array()
        .or(members["data"].as_array())
        .unwrap()
        .iter()
        .map(|m| &m["user_id"])
        .collect();
    assert_eq!(member_ids.len(), 2, "{members}");
    assert!(member_ids.contains(&&emp) && member_ids.contains(&&sales));

    let tasks = list(
        app,
        &owner.access,
        &format!("/api/v1/tasks?project_id={pid}&limit=200"),
    )
    .await;
    assert_eq!(tasks.len(), 4, "{tasks:?}");
    let first_task = by_legacy(&tasks, T_FIRST);
    assert_eq!(first_task["title"], "Site map");
    assert_eq!(first_task["status"], "todo");
    assert_eq!(first_task["priority"], "high");
    assert_eq!(first_task["assignee_ids"], serde_json::json!([emp]));
    assert_eq!(first_task["labels"], serde_json::json!(["design"]));
    assert_eq!(first_task["due_date"], "2024-03-09");
    assert_eq!(
        by_legacy(&tasks, T_ODD)["assignee_ids"],
        serde_json::json!([sales])
    );
    let done = by_legacy(&tasks, T_DONE);
    assert_eq!(done["status"], "done");
    assert!(done["completed_at"].is_string(), "{done}");
    // Each column in the source's order, positions from 0.
    assert_eq!(
        board_column(app, &owner.access, &pid, "todo").await,
        [T_FIRST, T_SECOND, T_ODD]
    );
    assert_eq!(
        board_column(app, &owner.access, &pid, "done").await,
        [T_DONE]
    );

    let milestones = list(
        app,
        &owner.access,
        &format!("/api/v1/milestones?project_id={pid}&limit=200"),
    )
    .await;
    assert_eq!(milestones.len(), 1, "{milestones:?}");
    let m = by_legacy(&milestones, M_ACME);
    assert_eq!(m["title"], "Design signed off");
    assert_eq!(m["description"], "Sign-off by the client");
    assert_eq!(m["due_date"], "2024-03-15");
    assert_eq!(m["status"], "reached");

    // Another tenant sees its own project only, and not this one's records.
    let globex = app.login("owner@globex.example", "another-pass").await;
    let theirs = list(app, &globex.access, "/api/v1/projects?limit=200").await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["legacy_id"], PR_GLOBEX);
    assert_eq!(theirs[0]["status"], "completed");
    for path in [
        format!("/api/v1/projects/{pid}"),
        format!("/api/v1/tasks/{}", first_task["id"].as_str().unwrap()),
        format!("/api/v1/milestones/{}", m["id"].as_str().unwrap()),
    ] {
        assert_eq!(
            app.get_as(&globex.access, &path).await.status(),
            404,
            "{path}"
        );
    }
    assert!(
        list(app, &globex.access, "/api/v1/tasks?limit=200")
            .await
            .is_empty()
    );

    // Again: nothing created twice, nothing changed.
    let second = run.again().await;
    let again = summary(&second);
    assert_eq!(
        again["projects <- Projects"],
        [0, 0, 2, 1],
        "{}",
        stdout(&second)
    );
    assert_eq!(again["tasks <- Tasks"], [0, 0, 4, 2], "{}", stdout(&second));
    assert_eq!(again["milestones <- milestones"], [0, 0, 1, 1]);

    // A task done in the source since: updated, one version on, last of the done column.
    run.source
            .execute(&format!("UPDATE `Tasks` SET status = 'done', updatedAt = '2024-04-01 09:00:00' WHERE id = '{T_FIRST}'"))
            .await;
    let third = run.again().await;
    assert_eq!(
        summary(&third)["tasks <- Tasks"],
        [0, 1, 3, 2],
        "{}",
        stdout(&third)
    );
    let tasks = list(
        app,
        &owner.access,
        &format!("/api/v1/tasks?project_id={pid}&limit=200"),
    )
    .await;
    assert_eq!(tasks.len(), 4);
    let moved = by_legacy(&tasks, T_FIRST);
    assert_eq!(moved["id"], first_task["id"]);
    assert_eq!(moved["version"], 2);
    assert_eq!(
        board_column(app, &owner.access, &pid, "done").await,
        [T_DONE, T_FIRST]
    );
    assert_eq!(
        board_column(app, &owner.access, &pid, "todo").await,
        [T_SECOND, T_ODD]
    );

    run.finish().await;
});

// ---- HR (branch legacy-work): employees. ----

backend_tests!(imports_the_tenants_employees_once, |b| async move {
    let Some((run, dry)) = Imported::after_dry_run(b).await else {
        return;
    };
    let (app, first) = (&run.app, &run.first);
    let counts = summary(first);
    assert_eq!(
        counts["employees <- Users"],
        summary(&dry)["employees <- Users"]
    );
    // The employee; the orphan and the bad address were not imported as users.
    assert_eq!(
        counts["employees <- Users"],
        [1, 0, 0, 2],
        "{}",
        stdout(first)
    );
    let rows = &run.rows;
    assert!(
        has(rows, "Users", U_ORPHAN, "no employee without a user"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let users = list(app, &owner.access, "/api/v1/users?limit=200").await;
    let employees = list(app, &owner.access, "/api/v1/employees?limit=200").await;
    assert_eq!(employees.len(), 1, "{employees:?}");
    let e = by_legacy(&employees, U_EMP);
    assert_eq!(e["user_id"], by_legacy(&users, U_EMP)["id"]);
    assert_eq!(e["first_name"], "Emil");
    assert_eq!(e["last_name"], "Park");
    assert_eq!(e["email"], "emp1@acme.example");
    assert_eq!(e["hire_date"], "2023-01-10");
    assert_eq!(e["address"], "4 Park Street, Pune");
    assert_eq!(e["status"], "active");
    // This server's series, not the old global `EMP#` number.
    assert_eq!(e["employee_number"], "EMP-0001");
    assert!(e["work_schedule_id"].is_string(), "{e}");

    // Another tenant's HR sees none of them.
    let globex = app.login("owner@globex.example", "another-pass").await;
    assert!(
        list(app, &globex.access, "/api/v1/employees?limit=200")
            .await
            .is_empty()
    );
    let path = format!("/api/v1/employees/{}", e["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    // Again: nothing created twice; a changed row is updated, one version on.
    let second = run.again().await;
    assert_eq!(
        summary(&second)["employees <- Users"],
        [0, 0, 1, 2],
        "{}",
        stdout(&second)
    );
    run.source
        .execute(&format!("UPDATE `Users` SET lastName = 'Parker', updatedAt = '2024-04-01 09:00:00' WHERE id = '{U_EMP}'"))
        .await;
    let third = run.again().await;
    assert_eq!(summary(&third)["employees <- Users"], [0, 1, 0, 2]);
    let employees = list(app, &owner.access, "/api/v1/employees?limit=200").await;
    assert_eq!(employees.len(), 1);
    let e2 = by_legacy(&employees, U_EMP);
    assert_eq!(
        (&e2["id"], &e2["last_name"], &e2["version"]),
        (&e["id"], &"Parker".into(), &2.into())
    );
    assert_eq!(e2["employee_number"], "EMP-0001");

    run.finish().await;
});

// ---- HR (branch legacy-work): holidays. ----

backend_tests!(imports_the_tenants_holidays_one_per_date, |b| async move {
    let Some((run, dry)) = Imported::after_dry_run(b).await else {
        return;
    };
    let (app, first) = (&run.app, &run.first);
    let counts = summary(first);
    assert_eq!(
        counts["holidays <- holidays"],
        summary(&dry)["holidays <- holidays"]
    );
    // Days: one, three; the orphan skipped.
    assert_eq!(
        counts["holidays <- holidays"],
        [4, 0, 0, 1],
        "{}",
        stdout(first)
    );
    let rows = &run.rows;
    assert!(has(rows, "holidays", H_ORPHAN, "no tenant"), "{rows:?}");

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let mut days: Vec<(String, String, String)> =
        list(app, &owner.access, "/api/v1/holidays?year=2024&limit=200")
            .await
            .iter()
            .map(|h| {
                (
                    h["date"].as_str().unwrap().to_string(),
                    h["name"].as_str().unwrap().to_string(),
                    h["legacy_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    days.sort();
    let d = |date: &str, name: &str, id: String| (date.to_string(), name.to_string(), id);
    assert_eq!(
        days,
        [
            d("2024-03-25", "Holi", H_HOLI.to_string()),
            d("2024-10-31", "Diwali", H_DIWALI.to_string()),
            d("2024-11-01", "Diwali", format!("{H_DIWALI}:2024-11-01")),
            d("2024-11-02", "Diwali", format!("{H_DIWALI}:2024-11-02")),
        ]
    );
    let globex = app.login("owner@globex.example", "another-pass").await;
    assert!(
        list(app, &globex.access, "/api/v1/holidays?year=2024&limit=200")
            .await
            .is_empty()
    );

    let second = run.again().await;
    assert_eq!(
        summary(&second)["holidays <- holidays"],
        [0, 0, 4, 1],
        "{}",
        stdout(&second)
    );

    run.finish().await;
});

// ---- HR (branch legacy-work): leave types. ----

backend_tests!(imports_the_tenants_leave_types, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, first) = (&run.app, &run.first);
    assert_eq!(
        summary(first)["leave_types <- LeaveTypes"],
        [2, 0, 0, 1],
        "{}",
        stdout(first)
    );
    let rows = &run.rows;
    assert!(has(rows, "LeaveTypes", LT_ORPHAN, "no tenant"), "{rows:?}");

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let types = list(app, &owner.access, "/api/v1/leave-types?limit=200").await;
    let sick = by_legacy(&types, LT_SICK);
    assert_eq!(sick["name"], "Sick leave");
    assert_eq!(sick["code"], "SICK_LEAVE");
    assert_eq!(sick["allowance_days"], 12);
    assert_eq!(sick["accrual"], "upfront");
    assert!(
        types.iter().all(|t| t["legacy_id"] != LT_GLOBEX),
        "{types:?}"
    );
    let globex = app.login("owner@globex.example", "another-pass").await;
    let theirs = list(app, &globex.access, "/api/v1/leave-types?limit=200").await;
    assert_eq!(by_legacy(&theirs, LT_GLOBEX)["code"], "CASUAL");
    let path = format!("/api/v1/leave-types/{}", sick["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    let second = run.again().await;
    assert_eq!(
        summary(&second)["leave_types <- LeaveTypes"],
        [0, 0, 2, 1],
        "{}",
        stdout(&second)
    );

    run.finish().await;
});

// ---- Documents (branch legacy-docs): quotations, proposals, notifications. ----

backend_tests!(imports_quotations_of_both_old_tables, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    let counts = summary(&run.first);
    assert_eq!(
        counts["quotations <- quotations"],
        [2, 0, 0, 3],
        "{}",
        stdout(&run.first)
    );
    assert_eq!(counts["quotations <- sales_quotations"], [2, 0, 0, 0]);
    // 2 × 100.00 + 18 % = 236.00 against a stored 226 (after its discount of 10).
    assert!(
        has(rows, "quotations", Q_ACME, "difference is 1000"),
        "{rows:?}"
    );
    assert!(
        has(rows, "quotations", Q_ACME, "discount of 10"),
        "{rows:?}"
    );
    assert!(
        has(rows, "quotations", Q_LEAD, "has not been converted"),
        "{rows:?}"
    );
    assert!(has(rows, "quotations", Q_ORPHAN, "no client"), "{rows:?}");
    assert!(
        has(rows, "quotations", Q_NO_TENANT, "no tenant"),
        "{rows:?}"
    );
    assert!(
        has(rows, "sales_quotations", SQ_ACME, "imported as QUO#1/2"),
        "{rows:?}"
    );
    assert!(
        has(rows, "sales_quotations", "", "no currency column"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let quotations = list(app, &owner.access, "/api/v1/quotations?limit=200").await;
    assert_eq!(quotations.len(), 3, "{quotations:?}");
    let clients = list(app, &owner.access, "/api/v1/clients?limit=200").await;
    let deals = list(app, &owner.access, "/api/v1/deals?limit=200").await;
    let users = list(app, &owner.access, "/api/v1/users?limit=200").await;
    let q = by_legacy(&quotations, Q_ACME);
    // The old number is the number; the Q- series is untouched.
    assert_eq!(q["number"], "QUO#1");
    assert_eq!(q["total"], 23_600);
    assert_eq!(q["currency"], "INR");
    assert_eq!(q["client_id"], by_legacy(&clients, C_ACME)["id"]);
    assert_eq!(q["deal_id"], by_legacy(&deals, D_ACME)["id"]);
    assert_eq!(q["owner_id"], by_legacy(&users, U_EMP)["id"]);
    assert_eq!(q["issue_date"], "2024-03-05");
    assert_eq!(q["valid_until"], "2024-04-04");
    // Sent, and past its validity: it reads expired.
    assert_eq!(q["status"], "expired");
    let related = by_legacy(&quotations, Q_RELATED);
    assert_eq!(related["client_id"], by_legacy(&clients, U_SUB)["id"]);
    assert!(related["deal_id"].is_null());
    assert_eq!(related["status"], "sent");
    assert_eq!(related["items"][0]["description"], "Hosting");
    assert_eq!(related["total"], 48_000);
    let sales = by_legacy(&quotations, SQ_ACME);
    assert_eq!(sales["number"], "QUO#1/2");
    assert_eq!(sales["issue_date"], "2024-03-10");
    assert_eq!(sales["valid_until"], "2024-04-09");
    assert_eq!(sales["total"], 30_000);
    // A new quotation starts the organization's own series.
    let made = app
        .send_as(
            reqwest::Method::POST,
            &owner.access,
            "/api/v1/quotations",
            Some(&serde_json::json!({
                "client_id": by_legacy(&clients, C_ACME)["id"],
                "currency": "INR",
                "issue_date": "2026-01-15",
                "items": [{"description": "New", "quantity": "1", "unit_price": 100, "tax_rate": 0}]
            })),
        )
        .await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["number"], "Q-2026-0001");
    assert!(made["legacy_id"].is_null());
    let globex = app.login("owner@globex.example", "another-pass").await;
    let theirs = list(app, &globex.access, "/api/v1/quotations?limit=200").await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(by_legacy(&theirs, SQ_GLOBEX)["number"], "QUO#2");
    let path = format!("/api/v1/quotations/{}", q["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    // Again: nothing created; changed lines are taken by a quotation still sent.
    let again = summary(&run.again().await);
    assert_eq!(again["quotations <- quotations"], [0, 0, 2, 3]);
    assert_eq!(again["quotations <- sales_quotations"], [0, 0, 2, 0]);
    run.source
        .execute(&format!(
            "UPDATE `quotations` SET items = '[{{\"item\": \"Hosting\", \"qty\": 24, \"price\": 40}}]', updatedAt = '2024-04-01 09:00:00' WHERE id = '{Q_RELATED}'"
        ))
        .await;
    let third = summary(&run.again().await);
    assert_eq!(third["quotations <- quotations"], [0, 1, 1, 3]);
    let quotations = list(app, &owner.access, "/api/v1/quotations?limit=200").await;
    let related = by_legacy(&quotations, Q_RELATED);
    assert_eq!(related["total"], 96_000);
    assert_eq!(related["version"], 2);
    assert_eq!(related["number"], "QUO#2");
    assert_eq!(quotations.len(), 4);
    run.finish().await;
});

backend_tests!(imports_proposals_for_leads_and_clients, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    assert_eq!(
        summary(&run.first)["proposals <- proposals"],
        [3, 0, 0, 2],
        "{}",
        stdout(&run.first)
    );
    assert!(
        has(
            rows,
            "proposals",
            PP_ORPHAN,
            "names no imported lead or client"
        ),
        "{rows:?}"
    );
    assert!(
        has(rows, "proposals", PP_NO_TENANT, "no tenant"),
        "{rows:?}"
    );
    assert!(
        has(rows, "proposals", PP_CLIENT, "discount of 5"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let proposals = list(app, &owner.access, "/api/v1/proposals?limit=200").await;
    assert_eq!(proposals.len(), 2, "{proposals:?}");
    let leads = list(app, &owner.access, "/api/v1/leads?limit=200").await;
    let clients = list(app, &owner.access, "/api/v1/clients?limit=200").await;
    let users = list(app, &owner.access, "/api/v1/users?limit=200").await;
    let p = by_legacy(&proposals, PP_LEAD);
    assert_eq!(p["lead_id"], by_legacy(&leads, L_NEW)["id"]);
    assert!(p["client_id"].is_null());
    assert_eq!(p["title"], "Website revamp");
    assert_eq!(p["body"], "## Website revamp\n\nTwo phases, then support.");
    assert_eq!(p["total"], 100_000);
    assert_eq!(p["status"], "sent");
    assert_eq!(p["valid_until"], "2099-12-31");
    // Its creator was a username.
    assert_eq!(p["owner_id"], by_legacy(&users, U_SALES)["id"]);
    let c = by_legacy(&proposals, PP_CLIENT);
    assert_eq!(c["client_id"], by_legacy(&clients, C_ACME)["id"]);
    assert!(c["lead_id"].is_null());
    assert_eq!(c["total"], 5_000);
    let globex = app.login("owner@globex.example", "another-pass").await;
    let theirs = list(app, &globex.access, "/api/v1/proposals?limit=200").await;
    let gl_leads = list(app, &globex.access, "/api/v1/leads?limit=200").await;
    // Found by the old lead's title; past its validity it reads expired.
    let t = by_legacy(&theirs, PP_TITLE);
    assert_eq!(t["lead_id"], by_legacy(&gl_leads, L_GLOBEX)["id"]);
    assert_eq!(t["status"], "expired");
    assert_eq!(t["title"], "Support for Globex");
    let path = format!("/api/v1/proposals/{}", p["id"].as_str().unwrap());
    assert_eq!(app.get_as(&globex.access, &path).await.status(), 404);

    let again = summary(&run.again().await);
    assert_eq!(again["proposals <- proposals"], [0, 0, 3, 2]);
    run.finish().await;
});

backend_tests!(imports_notifications_one_per_recipient, |b| async move {
    let Some(run) = Imported::new(b).await else {
        return;
    };
    let (app, rows) = (&run.app, &run.rows);
    assert_eq!(
        summary(&run.first)["notifications <- Notifications"],
        [3, 0, 0, 3],
        "{}",
        stdout(&run.first)
    );
    assert!(
        has(
            rows,
            "Notifications",
            NT_MANY,
            &format!("recipient {U_GLOBEX} is not a user")
        ),
        "{rows:?}"
    );
    assert!(
        has(
            rows,
            "Notifications",
            &format!("{NT_OLD_READ}:{U_ACME}"),
            "more than 90 days ago"
        ),
        "{rows:?}"
    );
    assert!(
        has(rows, "Notifications", NT_NO_TENANT, "no tenant"),
        "{rows:?}"
    );
    assert!(
        has(rows, "Notifications", NT_NOBODY, "none of its recipients"),
        "{rows:?}"
    );

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let leads = list(app, &owner.access, "/api/v1/leads?limit=200").await;
    let jane = by_legacy(&leads, L_NEW)["id"].clone();
    // The server's own notifications (an overdue invoice, …) are there too.
    let imported = |items: Vec<Value>| -> Vec<Value> {
        items
            .into_iter()
            .filter(|n| !n["legacy_id"].is_null())
            .collect()
    };
    let mine = imported(list(app, &owner.access, "/api/v1/notifications?limit=200").await);
    assert_eq!(mine.len(), 1, "{mine:?}");
    let read = by_legacy(&mine, &format!("{NT_READ}:{U_ACME}"));
    assert_eq!(read["type"], "legacy.reminder");
    assert_eq!(read["title"], "Reminder");
    assert_eq!(read["body"], "Send the quotation\n\nbefore Friday");
    assert!(read["read_at"].is_string(), "{read}");
    // Its related_id names nothing imported: it names itself.
    assert_eq!(read["record_type"], "notification");
    assert_eq!(read["record_id"], read["id"]);
    assert!(
        read["created_at"]
            .as_str()
            .unwrap()
            .starts_with("2024-03-05T04:45:00")
    );
    for (email, who) in [
        ("emp1@acme.example", U_EMP),
        ("sales1@acme.example", U_SALES),
    ] {
        let session = app.login(email, "another-pass").await;
        let theirs = imported(
            list(
                app,
                &session.access,
                "/api/v1/notifications?unread=true&limit=200",
            )
            .await,
        );
        assert_eq!(theirs.len(), 1, "{email}: {theirs:?}");
        let n = by_legacy(&theirs, &format!("{NT_MANY}:{who}"));
        assert_eq!(n["type"], "legacy.notification");
        assert_eq!(n["title"], "Lead assigned");
        assert_eq!(n["record_type"], "lead");
        assert_eq!(n["record_id"], jane);
        assert!(n["read_at"].is_null());
    }
    let globex = app.login("owner@globex.example", "another-pass").await;
    assert!(
        imported(list(app, &globex.access, "/api/v1/notifications?limit=200").await).is_empty()
    );

    // Again: nothing created; the old flag read marks each copy read.
    let again = summary(&run.again().await);
    assert_eq!(again["notifications <- Notifications"], [0, 0, 3, 3]);
    run.source
        .execute(&format!(
            "UPDATE `Notifications` SET isRead = 1, updatedAt = '{}' WHERE id = '{NT_MANY}'",
            (chrono::Utc::now() + chrono::Duration::minutes(330)).format("%Y-%m-%d %H:%M:%S")
        ))
        .await;
    let third = summary(&run.again().await);
    assert_eq!(third["notifications <- Notifications"], [0, 2, 1, 3]);
    let emp = app.login("emp1@acme.example", "another-pass").await;
    let all = imported(list(app, &emp.access, "/api/v1/notifications?limit=200").await);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0]["read_at"].is_string(), "{all:?}");
    assert!(
        imported(
            list(
                app,
                &emp.access,
                "/api/v1/notifications?unread=true&limit=200"
            )
            .await
        )
        .is_empty()
    );
    run.finish().await;
});
