//! `Departments` and `Designations` → the departments and designations of their tenant
//! (`client_id`): `department_name` and `designation_name` are the name and the title. The old
//! rows also name a `branch`, which has no home here (no branches): it is not kept. The
//! employees step then finds a person's department and designation (the `Users` columns of
//! those names) by old id, or else by name, in what these steps wrote (`names::Names`).

use super::{Ctx, ImportError, upsert};
use super::{NO_TENANT, step_rows};
use crate::report::Step;
use crate::rules::clip;
use crate::source::{Row, Source};
use crm_db::legacy::LegacyTable;
use crm_domain::identity::{
    DEPARTMENT_NAME_MAX, DESIGNATION_TITLE_MAX, Department, DepartmentId, Designation,
    DesignationId,
};

pub(crate) const DEPARTMENTS: Step = Step {
    source: "Departments",
    target: "departments",
};

pub(crate) const DESIGNATIONS: Step = Step {
    source: "Designations",
    target: "designations",
};

const COLUMNS_DEPARTMENTS: &[&str] = &[
    "id",
    "department_name",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

const COLUMNS_DESIGNATIONS: &[&str] = &[
    "id",
    "designation_name",
    "client_id",
    "created_by",
    "createdAt",
    "updatedAt",
];

pub(crate) async fn import(source: &Source, ctx: &mut Ctx<'_>) -> Result<(), ImportError> {
    let rows = step_rows(source, ctx, DEPARTMENTS, COLUMNS_DEPARTMENTS).await?;
    for row in &rows {
        department(ctx, row).await?;
    }
    ctx.progress.finish();

    let rows = step_rows(source, ctx, DESIGNATIONS, COLUMNS_DESIGNATIONS).await?;
    for row in &rows {
        designation(ctx, row).await?;
    }
    ctx.progress.finish();
    Ok(())
}

async fn department(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        ctx.skip(DEPARTMENTS, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let name = clip(
        row.get("department_name").unwrap_or(&legacy),
        DEPARTMENT_NAME_MAX,
    );
    let (created, updated) = ctx.stamps(row);
    let build = |stored: Option<&Department>| match stored {
        Some(s) => Department {
            name: name.clone(),
            updated_at: updated,
            ..s.clone()
        },
        None => Department {
            id: DepartmentId::new(),
            organization_id: org,
            name: name.clone(),
            code: None,
            parent_id: None,
            head_user_id: None,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        },
    };
    let records = ctx.target.departments.clone();
    let d = upsert(
        ctx,
        &records,
        LegacyTable::Departments,
        DEPARTMENTS,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    ctx.departments.add(org, &legacy, &d.name, d.id.0);
    Ok(())
}

async fn designation(ctx: &mut Ctx<'_>, row: &Row) -> Result<(), ImportError> {
    let legacy = row.id().to_string();
    let Some((_, tenant)) = ctx.tenant_of(row) else {
        ctx.skip(DESIGNATIONS, &legacy, NO_TENANT);
        return Ok(());
    };
    let org = tenant.org;
    let title = clip(
        row.get("designation_name").unwrap_or(&legacy),
        DESIGNATION_TITLE_MAX,
    );
    let (created, updated) = ctx.stamps(row);
    let build = |stored: Option<&Designation>| match stored {
        Some(s) => Designation {
            title: title.clone(),
            updated_at: updated,
            ..s.clone()
        },
        None => Designation {
            id: DesignationId::new(),
            organization_id: org,
            title: title.clone(),
            department_id: None,
            level: None,
            legacy_id: Some(legacy.clone()),
            created_at: created,
            updated_at: updated,
            version: 1,
        },
    };
    let records = ctx.target.designations.clone();
    let d = upsert(
        ctx,
        &records,
        LegacyTable::Designations,
        DESIGNATIONS,
        org,
        &legacy,
        updated,
        build,
    )
    .await?;
    ctx.designations.add(org, &legacy, &d.title, d.id.0);
    Ok(())
}
