//! The HR tables of `crm import legacy`: Departments, Designations, Leaves, Attendances
//! (issue 17), on top of the employees, holidays and leave types of the main source.

use super::*;
use crate::backend_tests;

const D_SALES: &str = "DacmeSales0000000000001";
const D_ORPHAN: &str = "DorphanDept000000000001";
const G_DEV: &str = "GacmeDeveloper000000001";
const LV_SICK: &str = "LVacmeSick000000000001";
const LV_HALF: &str = "LVacmeHalfDay000000001";
const LV_REJECTED: &str = "LVacmeRejected00000001";
const LV_OVERLAP: &str = "LVacmeOverlap000000001";
const LV_WEEKEND: &str = "LVacmeWeekend000000001";
const LV_ORPHAN: &str = "LVorphanPerson00000001";
const LV_NOT_EMPLOYEE: &str = "LVnotAnEmployee0000001";
const A_DAY: &str = "AacmeDay00000000000001";
const A_NIGHT: &str = "AacmeNight000000000001";
const A_OVERLAP: &str = "AacmeOverlap0000000001";
const A_ORPHAN: &str = "AorphanPerson000000001";

/// The old server's HR rows: its tables as `node_schema.sql` makes them.
pub(super) fn rows() -> Vec<String> {
    let t = "'2024-03-05 10:15:00', '2024-03-06 09:00:00'";
    // Filed after the rows they collide with, though their ids sort first.
    let later = "'2024-03-07 10:15:00', '2024-03-07 10:15:00'";
    vec![
        // The employee's department by old id, designation by name (another case).
        format!("UPDATE `Users` SET department = '{D_SALES}', designation = 'developer' WHERE id = '{U_EMP}'"),
        format!("INSERT INTO `Departments` (id, branch, department_name, client_id, created_by, createdAt, updatedAt) VALUES
            ('{D_SALES}', 'BranchPune0000000000001', 'Sales', '{U_ACME}', 'acme', {t}),
            ('{D_ORPHAN}', 'BranchPune0000000000001', 'Nobody', 'NoSuchTenant00000000001', NULL, {t})"),
        format!("INSERT INTO `Designations` (id, branch, designation_name, client_id, created_by, createdAt, updatedAt) VALUES
            ('{G_DEV}', 'BranchPune0000000000001', 'Developer', '{U_ACME}', 'acme', {t})"),
        // Holi (25 March 2024, a Monday) is a holiday of the source: the sick leave from
        // Monday to Wednesday takes two days. A half day; a rejected day inside the sick
        // leave (holds nothing); an approved day inside it (refused); a weekend; no person;
        // a user who is no employee.
        format!("INSERT INTO `Leaves` (id, employeeId, startDate, endDate, leaveType, reason, status, remarks, isHalfDay, created_by, createdAt, updatedAt) VALUES
            ('{LV_SICK}', '{U_EMP}', '2024-03-25', '2024-03-27', 'sick', 'Flu', 'approved', 'Get well', 0, 'emp1', {t}),
            ('{LV_HALF}', '{U_EMP}', '2024-04-02', '2024-04-02', 'casual', 'Bank', 'pending', NULL, 1, 'emp1', {t}),
            ('{LV_REJECTED}', '{U_EMP}', '2024-03-26', '2024-03-26', 'other', 'Trip', 'rejected', 'Busy week', 0, 'emp1', {t}),
            ('{LV_OVERLAP}', '{U_EMP}', '2024-03-26', '2024-03-26', 'annual', 'Again', 'approved', NULL, 0, 'emp1', {later}),
            ('{LV_WEEKEND}', '{U_EMP}', '2024-03-30', '2024-03-31', 'annual', 'Weekend', 'pending', NULL, 0, 'emp1', {t}),
            ('{LV_ORPHAN}', '{U_ORPHAN}', '2024-03-26', '2024-03-26', 'sick', 'x', 'pending', NULL, 0, NULL, {t}),
            ('{LV_NOT_EMPLOYEE}', '{U_SALES}', '2024-03-26', '2024-03-26', 'sick', 'x', 'pending', NULL, 0, 'sales1', {t})"),
        // A day shift and a night shift in Pune; a punch inside the day shift; no person.
        format!("INSERT INTO `Attendances` (id, employee, date, startTime, endTime, late, halfDay, created_by, createdAt, updatedAt) VALUES
            ('{A_DAY}', '{U_EMP}', '2024-03-05', '09:30:00', '18:00:00', 'yes', 0, 'emp1', {t}),
            ('{A_NIGHT}', '{U_EMP}', '2024-03-06', '22:00:00', '06:00:00', NULL, 0, 'emp1', {t}),
            ('{A_OVERLAP}', '{U_EMP}', '2024-03-05', '17:00:00', '19:00:00', NULL, 0, 'emp1', {later}),
            ('{A_ORPHAN}', '{U_ORPHAN}', '2024-03-05', '09:00:00', '17:00:00', NULL, 0, NULL, {t})"),
    ]
}

backend_tests!(imports_departments_leave_and_attendance, |b| async move {
    let Some((run, dry)) = Imported::after_dry_run(b).await else {
        return;
    };
    let (app, first) = (&run.app, &run.first);
    let counts = summary(first);
    for table in [
        "departments <- Departments",
        "designations <- Designations",
        "leave_requests <- Leaves",
        "attendance_records <- Attendances",
    ] {
        assert_eq!(counts[table], summary(&dry)[table], "{table}");
    }
    assert_eq!(counts["departments <- Departments"], [1, 0, 0, 1]);
    assert_eq!(counts["designations <- Designations"], [1, 0, 0, 0]);
    assert_eq!(
        counts["leave_requests <- Leaves"],
        [3, 0, 0, 4],
        "{}",
        stdout(first)
    );
    assert_eq!(counts["attendance_records <- Attendances"], [2, 0, 0, 2]);
    let rows = &run.rows;
    for (table, id, words) in [
        ("Departments", D_ORPHAN, "no tenant"),
        ("Leaves", LV_OVERLAP, "overlaps the person's leave request"),
        ("Leaves", LV_WEEKEND, "no working day"),
        ("Leaves", LV_ORPHAN, "names no imported user"),
        ("Leaves", LV_NOT_EMPLOYEE, "is not an employee here"),
        ("Leaves", "", "made CASUAL_LEAVE"),
        (
            "Attendances",
            A_OVERLAP,
            "shares time with the person's punch",
        ),
        ("Attendances", A_ORPHAN, "names no imported user"),
    ] {
        assert!(
            has(rows, table, id, words),
            "{table} {id} {words}: {rows:?}"
        );
    }

    let owner = app.login("owner@acme.example", OWNER_PASSWORD).await;
    let departments = list(app, &owner.access, "/api/v1/departments?limit=200").await;
    let sales = by_legacy(&departments, D_SALES);
    assert_eq!(sales["name"], "Sales");
    let designations = list(app, &owner.access, "/api/v1/designations?limit=200").await;
    let dev = by_legacy(&designations, G_DEV);
    assert_eq!(dev["title"], "Developer");
    // The employee's department by old id, designation by name.
    let employees = list(app, &owner.access, "/api/v1/employees?limit=200").await;
    let emp = by_legacy(&employees, U_EMP);
    assert_eq!(emp["department_id"], sales["id"]);
    assert_eq!(emp["designation_id"], dev["id"]);

    let types = list(app, &owner.access, "/api/v1/leave-types?limit=200").await;
    let type_of = |id: &Value| {
        types
            .iter()
            .find(|t| t["id"] == *id)
            .map(|t| t["code"].as_str().unwrap().to_string())
            .unwrap()
    };
    let requests = list(app, &owner.access, "/api/v1/leave-requests?limit=200").await;
    assert_eq!(requests.len(), 3, "{requests:?}");
    let sick = by_legacy(&requests, LV_SICK);
    // The imported "Sick leave" type; Holi not counted.
    assert_eq!(type_of(&sick["leave_type_id"]), "SICK_LEAVE");
    assert_eq!(sick["employee_id"], emp["id"]);
    assert_eq!(sick["days"], 2);
    assert_eq!(sick["status"], "approved");
    assert_eq!(sick["decision_note"], "Get well");
    assert_eq!(sick["reason"], "Flu");
    let half = by_legacy(&requests, LV_HALF);
    assert_eq!(type_of(&half["leave_type_id"]), "CASUAL_LEAVE");
    assert_eq!(
        (&half["days"], &half["half_day"]),
        (&0.5.into(), &"am".into())
    );
    assert_eq!(half["status"], "pending");
    let rejected = by_legacy(&requests, LV_REJECTED);
    assert_eq!(type_of(&rejected["leave_type_id"]), "OTHER_LEAVE");
    assert_eq!(rejected["status"], "rejected");
    // The approved leave holds its days in the balance.
    let path = format!(
        "/api/v1/leave-balances?employee_id={}&as_of=2024-12-31",
        emp["id"].as_str().unwrap()
    );
    let res = app.get_as(&owner.access, &path).await;
    assert_eq!(res.status(), 200);
    let balances: Value = res.json().await.unwrap();
    let sick_balance = balances["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["leave_type_id"] == sick["leave_type_id"])
        .cloned()
        .unwrap_or_else(|| panic!("{balances}"));
    assert_eq!(sick_balance["taken"], 2, "{sick_balance}");

    let punches = list(app, &owner.access, "/api/v1/attendance?limit=200").await;
    assert_eq!(punches.len(), 2, "{punches:?}");
    let day = by_legacy(&punches, A_DAY);
    // 09:30 and 18:00 in Asia/Kolkata, the organization's schedule zone.
    assert_eq!(day["check_in_at"], "2024-03-05T04:00:00Z");
    assert_eq!(day["check_out_at"], "2024-03-05T12:30:00Z");
    assert_eq!(day["source"], "hr");
    let night = by_legacy(&punches, A_NIGHT);
    assert_eq!(night["check_in_at"], "2024-03-06T16:30:00Z");
    assert_eq!(night["check_out_at"], "2024-03-07T00:30:00Z");

    // Another tenant sees none of it.
    let globex = app.login("owner@globex.example", "another-pass").await;
    for path in [
        "/api/v1/departments?limit=200",
        "/api/v1/leave-requests?limit=200",
        "/api/v1/attendance?limit=200",
    ] {
        assert!(list(app, &globex.access, path).await.is_empty(), "{path}");
    }

    // Again: nothing twice; a changed row is updated.
    let second = run.again().await;
    let again = summary(&second);
    assert_eq!(again["departments <- Departments"], [0, 0, 1, 1]);
    assert_eq!(again["designations <- Designations"], [0, 0, 1, 0]);
    assert_eq!(
        again["leave_requests <- Leaves"],
        [0, 0, 3, 4],
        "{}",
        stdout(&second)
    );
    assert_eq!(again["attendance_records <- Attendances"], [0, 0, 2, 2]);
    run.source
        .execute(&format!("UPDATE `Attendances` SET endTime = '18:30:00', updatedAt = '2024-04-01 09:00:00' WHERE id = '{A_DAY}'"))
        .await;
    let third = run.again().await;
    assert_eq!(
        summary(&third)["attendance_records <- Attendances"],
        [0, 1, 1, 2]
    );
    let punches = list(app, &owner.access, "/api/v1/attendance?limit=200").await;
    let day2 = by_legacy(&punches, A_DAY);
    assert_eq!(
        (&day2["id"], &day2["check_out_at"], &day2["version"]),
        (&day["id"], &"2024-03-05T13:00:00Z".into(), &2.into())
    );
    assert_eq!(
        list(app, &owner.access, "/api/v1/leave-types?limit=200")
            .await
            .len(),
        types.len(),
        "no leave type made twice"
    );

    run.finish().await;
});
