//! The run: read, map and write every table in one transaction of the target database.

mod clients;
mod identity;
mod invoices;
mod leads;
// Sales and finance (issue 17): pipelines, deals, payments, expenses, contracts, notes.
mod contracts;
mod deals;
mod expenses;
mod notes;
mod payments;
mod pipelines;
// The work tables (issue 17: projects, tasks, milestones).
mod milestones;
mod projects;
mod tasks;
// HR (issue 17): the org chart, employees, holidays, leave, attendance.
mod attendances;
mod employees;
mod holidays;
mod leave_types;
mod leaves;
mod names;
mod org_chart;
mod people;
// Documents (issue 17): quotations, proposals, notifications.
mod notifications;
mod proposals;
mod quotations;

use crate::report::{Outcome, Report, Step};
use crate::rules;
use crate::source::{Row, Source, SourceError, Table};
use chrono::{DateTime, Utc};
use crm_db::legacy::{LegacyIds, LegacyTable, legacy_ids};
use crm_db::{Database, SqlOrganizationRepository, SqlRoleRepository, SqlUserRepository};
use crm_domain::kernel::uow::TxManager;
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use std::collections::HashMap;

/// The Node.js server ran in India (its times are +05:30): organizations start in its zone
/// and currency, which their admins can change; a row whose currency is unknown is in it.
pub(crate) const TIME_ZONE: &str = "Asia/Kolkata";
pub(crate) const CURRENCY: &str = "INR";

/// The reason a row of a table with a tenant column is not imported when it has none.
pub(crate) const NO_TENANT: &str =
    "no tenant: neither client_id nor created_by names a user of an imported tenant";

/// Why a run failed: nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("writing {what} failed: {error}")]
    Target { what: String, error: StoreError },
}

fn target_err(what: impl Into<String>) -> impl FnOnce(StoreError) -> ImportError {
    let what = what.into();
    move |error| ImportError::Target { what, error }
}

/// How a run goes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Read, map and write everything, then roll the transaction back.
    pub dry_run: bool,
    /// The offset of the source's `DATETIME` wall-clock times, east of UTC.
    pub source_offset_secs: i32,
}

impl Options {
    pub fn new(dry_run: bool) -> Self {
        Self {
            dry_run,
            source_offset_secs: rules::SOURCE_OFFSET_SECS,
        }
    }
}

/// Told how far each table has got (the CLI draws a progress bar per table).
pub trait Progress: Sync {
    fn start(&self, step: Step, rows: u64);
    fn advance(&self);
    fn finish(&self);
}

/// The database written to, through the repositories the server uses.
pub struct Target {
    tx: crm_db::SqlTxManager,
    organizations: SqlOrganizationRepository,
    users: SqlUserRepository,
    roles: SqlRoleRepository,
    clients: crm_db::clients::SqlClientRepository,
    leads: crm_db::sales::SqlLeadRepository,
    invoices: crm_db::finance::SqlInvoiceRepository,
    // Sales and finance.
    pipelines: crm_db::SqlPipelineRepository,
    deals: crm_db::sales::SqlDealRepository,
    payments: crm_db::finance::SqlPaymentRepository,
    expenses: crm_db::finance::SqlExpenseRepository,
    contracts: crm_db::finance::SqlContractRepository,
    interactions: crm_db::clients::SqlInteractionRepository,
    // The work tables.
    projects: crm_db::projects::SqlProjectRepository,
    tasks: crm_db::projects::SqlTaskRepository,
    milestones: crm_db::projects::SqlMilestoneRepository,
    // HR.
    counters: crm_db::SqlDocumentCounterRepository,
    schedules: crm_db::hr::SqlWorkScheduleRepository,
    employees: crm_db::hr::SqlEmployeeRepository,
    holidays: crm_db::hr::SqlHolidayRepository,
    leave_types: crm_db::hr::SqlLeaveTypeRepository,
    departments: crm_db::identity::SqlDepartmentRepository,
    designations: crm_db::identity::SqlDesignationRepository,
    leave_requests: crm_db::hr::SqlLeaveRequestRepository,
    leave_store: crm_db::hr::SqlLeaveStore,
    attendance: crm_db::hr::SqlAttendanceRepository,
    // Documents.
    quotations: crm_db::SqlQuotationRepository,
    proposals: crm_db::finance::SqlProposalRepository,
}

impl Target {
    pub fn new(db: &Database) -> Self {
        let conn = &db.conn;
        Self {
            tx: db.tx_manager(),
            organizations: SqlOrganizationRepository::new(conn.clone()),
            users: SqlUserRepository::new(conn.clone()),
            roles: SqlRoleRepository::new(conn.clone()),
            clients: crm_db::clients::SqlClientRepository::new(conn.clone()),
            leads: crm_db::sales::SqlLeadRepository::new(conn.clone()),
            invoices: crm_db::finance::SqlInvoiceRepository::new(conn.clone()),
            // Sales and finance.
            pipelines: crm_db::SqlPipelineRepository::new(conn.clone()),
            deals: crm_db::sales::SqlDealRepository::new(conn.clone()),
            payments: crm_db::finance::SqlPaymentRepository::new(conn.clone()),
            expenses: crm_db::finance::SqlExpenseRepository::new(conn.clone()),
            contracts: crm_db::finance::SqlContractRepository::new(conn.clone()),
            interactions: crm_db::clients::SqlInteractionRepository::new(conn.clone()),
            // The work tables.
            projects: crm_db::projects::SqlProjectRepository::new(conn.clone()),
            tasks: crm_db::projects::SqlTaskRepository::new(conn.clone()),
            milestones: crm_db::projects::SqlMilestoneRepository::new(conn.clone()),
            // HR.
            counters: crm_db::SqlDocumentCounterRepository::new(conn.clone()),
            schedules: crm_db::hr::SqlWorkScheduleRepository::new(conn.clone()),
            employees: crm_db::hr::SqlEmployeeRepository::new(conn.clone()),
            holidays: crm_db::hr::SqlHolidayRepository::new(conn.clone()),
            leave_types: crm_db::hr::SqlLeaveTypeRepository::new(conn.clone()),
            departments: crm_db::identity::SqlDepartmentRepository::new(conn.clone()),
            designations: crm_db::identity::SqlDesignationRepository::new(conn.clone()),
            leave_requests: crm_db::hr::SqlLeaveRequestRepository::new(conn.clone()),
            leave_store: crm_db::hr::SqlLeaveStore::new(conn.clone()),
            attendance: crm_db::hr::SqlAttendanceRepository::new(conn.clone()),
            // Documents.
            quotations: crm_db::SqlQuotationRepository::new(conn.clone()),
            proposals: crm_db::finance::SqlProposalRepository::new(conn.clone()),
        }
    }
}

/// Legacy id → organization and id here of one table's imported records.
pub(crate) type ByLegacyId = HashMap<String, (OrganizationId, uuid::Uuid)>;

/// A tenant of the source as an organization here.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tenant {
    pub org: OrganizationId,
    /// The tenant owner's user: the owner of records whose own owner cannot be found.
    pub owner: UserId,
}

/// What the steps learn and the later ones use.
pub(crate) struct Ctx<'a> {
    pub target: &'a Target,
    pub tx: Txn,
    pub report: Report,
    pub options: Options,
    pub progress: &'a dyn Progress,
    pub now: DateTime<Utc>,
    /// Records imported by an earlier run, per table.
    pub known: HashMap<LegacyTable, LegacyIds>,
    /// Tenant owner's legacy user id → its organization.
    pub tenants: HashMap<String, Tenant>,
    /// Organization → its tenant owner's legacy user id (the way back from `tenants`).
    pub owners: HashMap<OrganizationId, String>,
    /// Legacy user id → the user here.
    pub users: HashMap<String, (OrganizationId, UserId)>,
    /// Legacy user id → the tenant (owner's legacy id) the user belongs to, for every
    /// `Users` row whose tenant is known (sub-clients included).
    pub user_tenants: HashMap<String, String>,
    /// Username → legacy user id (`created_by` holds usernames).
    pub usernames: HashMap<String, String>,
    /// `currencies.id` → its code (other tables' `currency` may hold either).
    pub currencies: HashMap<String, String>,
    /// The roles of each organization by name.
    pub roles: HashMap<(OrganizationId, String), crm_domain::identity::RoleId>,
    /// The `Users` rows, which the clients step reads again for sub-clients.
    pub source_users: Option<identity::SourceUsers>,
    /// The pipelines written by this run, by organization and legacy id: the deals step
    /// resolves their pipeline and stage by id or by name.
    pub pipelines: HashMap<(OrganizationId, String), crm_sales::pipelines::Pipeline>,
    /// The departments and designations of the tenants, by old id and by name: the
    /// employees step resolves the `Users` columns of those names in them.
    pub departments: names::Names,
    pub designations: names::Names,
    /// The tenants' projects by old id and name: invoices and expenses name theirs.
    pub projects: names::Names,
    /// The work schedules read so far (leave days and punches are counted by them).
    pub schedules: HashMap<crm_hr::work_schedules::WorkScheduleId, crm_hr::schedule::Schedule>,
    /// `(organization, lower-cased old leaveType word)` → the leave type it became.
    pub leave_types: HashMap<(OrganizationId, String), crm_hr::leave::LeaveTypeId>,
}

impl Ctx<'_> {
    /// The id here of the record of `table` imported from `legacy_id` in `org`, if any.
    pub fn known(
        &self,
        table: LegacyTable,
        org: OrganizationId,
        legacy_id: &str,
    ) -> Option<uuid::Uuid> {
        self.known
            .get(&table)?
            .get(&(org, legacy_id.to_string()))
            .copied()
    }

    pub fn remember(
        &mut self,
        table: LegacyTable,
        org: OrganizationId,
        legacy_id: &str,
        id: uuid::Uuid,
    ) {
        self.known
            .entry(table)
            .or_default()
            .insert((org, legacy_id.to_string()), id);
    }

    /// Legacy id → organization and id here of the imported records of `table`: the old ids
    /// are unique across tenants, so a row naming one finds its organization through it.
    pub fn by_legacy_id(
        &self,
        table: LegacyTable,
    ) -> HashMap<String, (OrganizationId, uuid::Uuid)> {
        self.known
            .get(&table)
            .map(|ids| {
                ids.iter()
                    .map(|((org, legacy), id)| (legacy.clone(), (*org, *id)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The tenant whose organization is `org`.
    pub fn tenant_in(&self, org: OrganizationId) -> Option<Tenant> {
        self.tenants.get(self.owners.get(&org)?).copied()
    }

    /// A row's tenant: the one [`Self::tenant_of`] finds, else the organization of the first
    /// imported record `refs` name (`(that table's records, the row's value)`).
    pub fn tenant_or_by(&self, row: &Row, refs: &[(&ByLegacyId, Option<&str>)]) -> Option<Tenant> {
        self.tenant_of(row).map(|(_, t)| t).or_else(|| {
            let (org, _) = refs.iter().find_map(|(ids, raw)| ids.get((*raw)?))?;
            self.tenant_in(*org)
        })
    }

    /// A currency column, or [`CURRENCY`] when it names none (reported for `source`'s row).
    pub fn currency_or_default(
        &mut self,
        source: &str,
        legacy: &str,
        raw: Option<&str>,
    ) -> Result<crm_domain::Currency, ImportError> {
        if let Some(c) = self.currency(raw) {
            return Ok(c);
        }
        self.report.note(
            source,
            legacy,
            format!(
                "currency {:?} is unknown: {CURRENCY} assumed",
                raw.unwrap_or("")
            ),
        );
        default_currency()
    }

    /// A wall-clock `DATETIME` of the source as an instant.
    pub fn instant(&self, raw: Option<&str>) -> Option<DateTime<Utc>> {
        rules::source_instant(raw?, self.options.source_offset_secs)
    }

    /// A row's `createdAt` and `updatedAt`, `now` for what is missing or unreadable.
    pub fn stamps(&self, row: &Row) -> (DateTime<Utc>, DateTime<Utc>) {
        let created = self.instant(row.get("createdAt")).unwrap_or(self.now);
        let updated = self.instant(row.get("updatedAt")).unwrap_or(created);
        (created, updated.max(created))
    }

    /// The tenant of a row: its `client_id` when that is a tenant owner (or a user of one),
    /// else the tenant of the user named by its `created_by`.
    pub fn tenant_of(&self, row: &Row) -> Option<(String, Tenant)> {
        let by_client = row.get("client_id").and_then(|c| self.tenant_of_user(c));
        by_client.or_else(|| {
            let creator = self.usernames.get(row.get("created_by")?)?;
            self.tenant_of_user(creator)
        })
    }

    /// The tenant a legacy user id belongs to (the owner's own id for an owner).
    pub fn tenant_of_user(&self, legacy_user: &str) -> Option<(String, Tenant)> {
        let owner = self
            .user_tenants
            .get(legacy_user)
            .map(String::as_str)
            .unwrap_or(legacy_user);
        self.tenants.get(owner).map(|t| (owner.to_string(), *t))
    }

    /// The user here of a legacy user id or username, when it belongs to `org`.
    pub fn user_in(&self, org: OrganizationId, id_or_username: Option<&str>) -> Option<UserId> {
        let key = id_or_username?;
        let legacy = if self.users.contains_key(key) {
            key
        } else {
            self.usernames.get(key)?.as_str()
        };
        self.users
            .get(legacy)
            .filter(|(o, _)| *o == org)
            .map(|(_, u)| *u)
    }

    /// A currency column: a code (`INR`) or the id of a `currencies` row.
    pub fn currency(&self, raw: Option<&str>) -> Option<crm_domain::Currency> {
        let raw = raw?;
        let code = self.currencies.get(raw).map(String::as_str).unwrap_or(raw);
        crm_domain::Currency::parse(&code.to_ascii_uppercase()).ok()
    }

    /// Counts one row and moves the progress bar.
    pub fn done(&mut self, step: Step, outcome: Outcome) {
        self.report.counted(step, outcome);
        self.progress.advance();
    }

    /// Skips one row and moves the progress bar.
    pub fn skip(&mut self, step: Step, legacy_id: &str, reason: impl Into<String>) {
        self.report.skip(step, legacy_id, reason);
        self.progress.advance();
    }
}

/// [`CURRENCY`].
pub(crate) fn default_currency() -> Result<crm_domain::Currency, ImportError> {
    crm_domain::Currency::parse(CURRENCY).map_err(|e| ImportError::Target {
        what: "the default currency".into(),
        error: StoreError::Unexpected(e.to_string()),
    })
}

/// The rows of `step`'s source table with `columns` (see [`read`]), the step opened in the
/// report and its progress bar started at one tick per row.
pub(crate) async fn step_rows(
    source: &Source,
    ctx: &mut Ctx<'_>,
    step: Step,
    columns: &[&str],
) -> Result<Vec<Row>, ImportError> {
    let rows = read(source, &mut ctx.report, step.source, columns)
        .await?
        .map(|t| t.rows)
        .unwrap_or_default();
    ctx.report.step(step);
    ctx.progress.start(step, rows.len() as u64);
    Ok(rows)
}

/// The first of `base`, `base<sep>2`, `base<sep>3`, … (each at most `max` characters) that
/// no record of `org` in `table` has in `column`: an old number or code kept where this
/// server wants it unique per organization. Looked up on the run's transaction, so the
/// records of earlier runs and of this one count.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn first_free(
    ctx: &mut Ctx<'_>,
    org: OrganizationId,
    table: &'static str,
    column: &'static str,
    base: &str,
    sep: char,
    max: usize,
) -> Result<String, ImportError> {
    let mut k = 1;
    loop {
        let candidate = rules::numbered(base, k, sep, max);
        if !crm_db::legacy::value_taken(&mut ctx.tx, table, org, column, &candidate)
            .await
            .map_err(target_err(format!("a {table} {column} lookup")))?
        {
            return Ok(candidate);
        }
        k += 1;
    }
}

/// Reads `name` with the `wanted` columns; a missing table or column is a finding of the
/// report, not a failure. `None` when the table is absent.
pub(crate) async fn read(
    source: &Source,
    report: &mut Report,
    name: &'static str,
    wanted: &[&str],
) -> Result<Option<Table>, ImportError> {
    let Some(table) = source.table(name, wanted).await? else {
        report.note(
            name,
            "",
            "table not found in the source database; nothing imported from it",
        );
        return Ok(None);
    };
    for column in wanted {
        if !table.has(column) {
            report.note(
                name,
                "",
                format!("column {column} not found; read as empty"),
            );
        }
    }
    Ok(Some(table))
}

/// Runs the import: every step in one transaction, committed unless `dry_run`.
pub async fn run(
    source: &Source,
    target: &Target,
    options: Options,
    progress: &dyn Progress,
) -> Result<Report, ImportError> {
    let mut tx = target
        .tx
        .begin()
        .await
        .map_err(target_err("the transaction"))?;
    let mut known = HashMap::new();
    for table in LegacyTable::ALL {
        let ids = legacy_ids(&mut tx, table)
            .await
            .map_err(target_err("reading imported ids"))?;
        known.insert(table, ids);
    }
    let mut ctx = Ctx {
        target,
        tx,
        report: Report::default(),
        options,
        progress,
        now: crm_domain::kernel::clock::now(),
        known,
        tenants: HashMap::new(),
        owners: HashMap::new(),
        users: HashMap::new(),
        user_tenants: HashMap::new(),
        usernames: HashMap::new(),
        currencies: HashMap::new(),
        roles: HashMap::new(),
        source_users: None,
        pipelines: HashMap::new(),
        departments: names::Names::default(),
        designations: names::Names::default(),
        projects: names::Names::default(),
        schedules: HashMap::new(),
        leave_types: HashMap::new(),
    };
    if let Some(currencies) = source.table("currencies", &["id", "currencyCode"]).await? {
        for row in &currencies.rows {
            if let Some(code) = row.get("currencyCode") {
                ctx.currencies
                    .insert(row.id().to_string(), code.to_string());
            }
        }
    }
    identity::import(source, &mut ctx).await?;
    clients::import(source, &mut ctx).await?;
    leads::import(source, &mut ctx).await?;
    // The work tables before the invoices and expenses that name their project.
    projects::import(source, &mut ctx).await?;
    tasks::import(source, &mut ctx).await?;
    milestones::import(source, &mut ctx).await?;
    invoices::import(source, &mut ctx).await?;
    // Sales and finance.
    pipelines::import(source, &mut ctx).await?;
    deals::import(source, &mut ctx).await?;
    payments::import(source, &mut ctx).await?;
    expenses::import(source, &mut ctx).await?;
    contracts::import(source, &mut ctx).await?;
    notes::import(source, &mut ctx).await?;
    // HR: the org chart before the employees who are in it; holidays and leave types
    // before the leave counted by them.
    org_chart::import(source, &mut ctx).await?;
    employees::import(source, &mut ctx).await?;
    holidays::import(source, &mut ctx).await?;
    leave_types::import(source, &mut ctx).await?;
    leaves::import(source, &mut ctx).await?;
    attendances::import(source, &mut ctx).await?;
    // Documents (notifications last: they name records of every other step).
    quotations::import(source, &mut ctx).await?;
    proposals::import(source, &mut ctx).await?;
    notifications::import(source, &mut ctx).await?;
    // What no step reads: listed, so nothing is left behind unsaid.
    for (table, rows) in source.unasked().await? {
        if rows > 0 {
            ctx.report.note(
                &table,
                "",
                format!(
                    "{rows} rows not imported: this server has no place for this table's records"
                ),
            );
        }
    }
    let Ctx { tx, report, .. } = ctx;
    if options.dry_run {
        // Dropping the transaction rolls it back.
        drop(tx);
    } else {
        tx.commit().await.map_err(target_err("the commit"))?;
    }
    Ok(report)
}

/// Creates the record `build(None)` of `org` imported from `legacy_id`, or, when an earlier
/// run imported it, rebuilds it from the stored one (`build(Some(stored))`) and stores it one
/// version on if anything changed; `build` sets `updated_at` to the source's `updated`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn upsert<T, R>(
    ctx: &mut Ctx<'_>,
    records: &R,
    table: LegacyTable,
    step: Step,
    org: OrganizationId,
    legacy_id: &str,
    updated: DateTime<Utc>,
    build: impl FnOnce(Option<&T>) -> T,
) -> Result<T, ImportError>
where
    T: crm_domain::kernel::records::Record,
    T::Id: From<uuid::Uuid>,
    R: crm_domain::kernel::records::Records<T>,
{
    let what = || format!("{} {legacy_id}", step.source);
    match ctx.known(table, org, legacy_id) {
        Some(id) => {
            let stored = records
                .get_for_update(&mut ctx.tx, org, T::Id::from(id))
                .await
                .map_err(target_err(what()))?;
            let next = build(Some(&stored));
            if next == stored {
                ctx.done(step, Outcome::Unchanged);
                return Ok(stored);
            }
            let next = next.touched(updated);
            records
                .update(&mut ctx.tx, &next, stored.version())
                .await
                .map_err(target_err(what()))?;
            ctx.done(step, Outcome::Updated);
            Ok(next)
        }
        None => {
            let record = build(None);
            records
                .create(&mut ctx.tx, &record)
                .await
                .map_err(target_err(what()))?;
            ctx.remember(table, org, legacy_id, record.id().into());
            ctx.done(step, Outcome::Created);
            Ok(record)
        }
    }
}
