//! `POST /imports`, `GET /imports/{id}`, `GET /imports`, and the job that writes the rows.

use super::cells::Columns;
use super::csv::{CsvError, CsvRecords};
use super::model::{
    Import, ImportForm, ImportId, ImportResource, ImportStatus, MAX_ERRORS, OnDuplicate, RowError,
};
use super::ports::{ImportQueue, ImportTarget, PendingKeys, Planned, RowWrite};
use super::upload::ImportUpload;
use crate::activity::{ActivityRepository, change_entry};
use crate::files::FileService;
use crate::identity::{UserRepository, UserStatus};
use crate::jobs::{Job, Period};
use crate::kernel::clock;
use crate::kernel::context::Actor;
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::OrganizationId;
use crate::kernel::input::Errors;
use crate::kernel::pagination::{ListQuery, Page};
use crate::kernel::records::{Crud, Records};
use crate::kernel::uow::TxManager;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Every port the import service uses.
#[derive(Clone)]
pub struct ImportPorts {
    pub tx: Arc<dyn TxManager>,
    pub imports: Arc<dyn Records<Import>>,
    pub queue: Arc<dyn ImportQueue>,
    pub activities: Arc<dyn ActivityRepository>,
    /// The creator's permissions, read again when the rows are written.
    pub users: Arc<dyn UserRepository>,
}

#[derive(Clone, Copy, Debug)]
pub struct ImportSettings {
    /// Rows written per transaction (`CRM__IMPORTS__BATCH_ROWS`, default 500).
    pub batch_rows: usize,
    /// How long a worker holds an import between two batches before another instance may
    /// take it over (`CRM__IMPORTS__LEASE_SECS`, default 60).
    pub lease: Duration,
}

/// Wakes this instance's scheduler, so a new import starts now rather than at the next poll.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Imports of CSV files (contract section 10): the upload is stored and answered `202`; the
/// scheduler's [`ImportJob`] writes the rows, a batch per transaction.
#[derive(Clone)]
pub struct ImportService {
    p: ImportPorts,
    files: FileService,
    targets: Arc<HashMap<ImportResource, Arc<dyn ImportTarget>>>,
    settings: ImportSettings,
    wake: Wake,
}

/// A form that passed [`ImportService::start`]'s checks: resource, mapping, `on_duplicate`,
/// `dry_run`.
type Checked = (
    ImportResource,
    BTreeMap<String, Option<String>>,
    OnDuplicate,
    bool,
);

/// How many due imports one poll looks at.
const DUE_PER_POLL: u64 = 20;

impl ImportService {
    pub fn new(
        p: ImportPorts,
        files: FileService,
        targets: Vec<(ImportResource, Arc<dyn ImportTarget>)>,
        settings: ImportSettings,
        wake: Wake,
    ) -> Self {
        Self {
            p,
            files,
            targets: Arc::new(targets.into_iter().collect()),
            settings: ImportSettings {
                batch_rows: settings.batch_rows.max(1),
                ..settings
            },
            wake,
        }
    }

    fn crud(&self) -> Crud<'_, Import> {
        Crud::new(&*self.p.tx, &*self.p.imports, &*self.p.activities)
    }

    /// A new upload of an import's file, streamed to storage (any signed-in caller; the
    /// resource's permission is checked once the form is read).
    pub async fn start_upload(&self) -> Result<ImportUpload, DomainError> {
        Ok(ImportUpload::new(self.files.start_blob().await?))
    }

    /// Checks the form and the file, stores the import `queued` with its `import.created`
    /// entry and wakes the scheduler. `403` without the resource's write permission; `422`
    /// per bad part: `file` (missing, not UTF-8 CSV, empty, a column that is no field),
    /// `resource`, `mapping` (not a JSON object of texts or nulls, a column the file lacks,
    /// a field the resource lacks), `on_duplicate`, `dry_run`. On any refusal the upload is
    /// discarded.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn start(
        &self,
        actor: &Actor,
        upload: Option<ImportUpload>,
        form: ImportForm,
    ) -> Result<Import, DomainError> {
        let mut upload = upload;
        let checked = self.check(actor, upload.as_mut(), &form);
        let (upload, (resource, mapping, on_duplicate, dry_run)) = match (upload, checked) {
            (Some(u), Ok(c)) => (u, c),
            (u, Err(e)) => {
                if let Some(u) = u {
                    u.abort().await;
                }
                return Err(e);
            }
            (None, Ok(_)) => {
                return Err(DomainError::invalid(
                    "file",
                    "required",
                    "a file part is required",
                ));
            }
        };
        let org = actor.organization_id;
        let rows = i64::try_from(upload.rows).unwrap_or(i64::MAX);
        let sha256 = self.files.keep_blob(org, upload.upload).await?;
        let kept = sha256.clone();
        let now = clock::now();
        let import = Import {
            id: ImportId::new(),
            organization_id: org,
            created_by: actor.user_id,
            resource,
            status: ImportStatus::Queued,
            on_duplicate,
            dry_run,
            mapping,
            total_rows: rows,
            processed_rows: 0,
            created: 0,
            updated: 0,
            skipped: 0,
            failed_rows: 0,
            errors: Vec::new(),
            sha256,
            lease_until: None,
            finished_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        match self.crud().create(actor, import).await {
            Ok(import) => {
                (self.wake)();
                Ok(import)
            }
            Err(e) => {
                self.files.release_blob(org, &kept).await;
                Err(e)
            }
        }
    }

    /// The checks of [`Self::start`]: the form's parts and the file's header.
    fn check(
        &self,
        actor: &Actor,
        upload: Option<&mut ImportUpload>,
        form: &ImportForm,
    ) -> Result<Checked, DomainError> {
        let mut errors = Errors::new();
        let resource = match form.resource.as_deref() {
            None => {
                errors.add("resource", "required", "the resource part is required");
                None
            }
            Some(r) => errors.take("resource", r.parse::<ImportResource>()),
        };
        let target = resource.and_then(|r| self.targets.get(&r));
        if let Some(t) = target {
            t.authorize(actor)?;
        }
        let mut mapping_read = true;
        let mapping = match form.mapping.as_deref() {
            None => BTreeMap::new(),
            Some(m) => match serde_json::from_str::<BTreeMap<String, Option<String>>>(m) {
                Ok(m) => m,
                Err(_) => {
                    // Columns are not held to a mapping that could not be read.
                    mapping_read = false;
                    errors.add(
                        "mapping",
                        "invalid",
                        "must be a JSON object of {\"csv column\": \"field\" or null}",
                    );
                    BTreeMap::new()
                }
            },
        };
        let on_duplicate = errors.value(
            "on_duplicate",
            form.on_duplicate
                .as_deref()
                .map_or(Ok(OnDuplicate::Skip), str::parse),
        );
        let dry_run = match form.dry_run.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                errors.add("dry_run", "invalid", "must be true or false");
                false
            }
        };
        match upload {
            None => errors.add("file", "required", "a file part is required"),
            Some(upload) => {
                upload.end();
                match (&upload.error, &upload.header) {
                    (Some(e), _) => errors.add("file", "invalid", e.to_string()),
                    (None, None) => errors.add(
                        "file",
                        "empty",
                        "the file is empty: its first row must name the columns",
                    ),
                    (None, Some(header)) => {
                        if let Some(t) = target
                            && mapping_read
                            && let Err(refused) = Columns::resolve(header, &mapping, &t.fields())
                        {
                            refused.into_iter().for_each(|e| errors.push(e));
                        }
                    }
                }
            }
        }
        errors.finish()?;
        let Some(resource) = resource else {
            return Err(DomainError::invalid(
                "resource",
                "required",
                "the resource part is required",
            ));
        };
        Ok((resource, mapping, on_duplicate, dry_run))
    }

    /// The caller's own import; `404` for anyone else's and other organizations'.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: ImportId) -> Result<Import, DomainError> {
        let found = self.p.imports.get(actor.organization_id, id).await?;
        if found.created_by != actor.user_id {
            return Err(DomainError::NotFound);
        }
        Ok(found)
    }

    /// The caller's imports.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Import>, DomainError> {
        let org = actor.organization_id;
        Ok(self.p.imports.list(org, query, actor.user_id).await?)
    }

    /// Takes and runs every import due at `now`, one after the other; a description of what
    /// was done, for the log.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        let mut done = Vec::new();
        for (org, id) in self.p.queue.due(now, DUE_PER_POLL).await? {
            let at = clock::now();
            match self
                .p
                .queue
                .claim(org, id, at, at + self.settings.lease)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(org = %org, import = %id, error = %e, "import not claimed");
                    continue;
                }
            }
            match self.run(org, id).await {
                Ok(i) => done.push(format!("{id}: {:?} {} rows", i.status, i.processed_rows)),
                // Left `running`: its lease runs out and a later poll (here or on another
                // instance) goes on after its last committed batch.
                Err(e) => {
                    tracing::warn!(org = %org, import = %id, error = %e, "import stopped; resumed when its lease runs out")
                }
            }
        }
        Ok(done.join("; "))
    }

    /// Runs a claimed import from its last committed batch to its end.
    async fn run(&self, org: OrganizationId, id: ImportId) -> Result<Import, DomainError> {
        let mut import = self.p.imports.get(org, id).await?;
        let Some(actor) = self.creator(&import).await? else {
            return self
                .fail(
                    import,
                    "the user who started the import is no longer active",
                )
                .await;
        };
        let Some(target) = self.targets.get(&import.resource).cloned() else {
            return self.fail(import, "the resource cannot be imported").await;
        };
        if let Err(e) = target.authorize(&actor) {
            return self.fail(import, &e.to_string()).await;
        }
        let mut stream = match self.files.read_blob(org, &import.sha256).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return self.fail(import, "the file is gone").await,
            Err(e) => return Err(e.into()),
        };
        // The rows already committed are read again and passed over: the stored file is read
        // from its start, which costs parsing, never a second write.
        let skip = u64::try_from(import.processed_rows).unwrap_or(0);
        let mut csv = CsvRecords::new();
        let mut header = None;
        let mut columns = None;
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        let mut pending = PendingKeys::new();
        let batch = self.settings.batch_rows;
        loop {
            let next = stream.next().await;
            let (bytes, end) = match next {
                Some(Ok(b)) => (b, false),
                Some(Err(e)) => return Err(e.into()),
                None => (Bytes::new(), true),
            };
            if !end && bytes.is_empty() {
                continue;
            }
            let read = csv.feed::<CsvError>(&bytes, |n, cells| {
                if n == 1 {
                    header = Some(cells);
                } else if n - 1 > skip {
                    rows.push((n, cells));
                }
                Ok(())
            });
            if let Err(e) = read {
                return self.fail(import, &e.to_string()).await;
            }
            if columns.is_none()
                && let Some(h) = &header
            {
                match Columns::resolve(h, &import.mapping, &target.fields()) {
                    Ok(c) => columns = Some(c),
                    Err(e) => {
                        let why: Vec<_> = e.into_iter().map(|e| e.message).collect();
                        return self.fail(import, &why.join("; ")).await;
                    }
                }
            }
            while let Some(cols) = &columns
                && (rows.len() >= batch || (end && !rows.is_empty()))
            {
                let take: Vec<_> = rows.drain(..rows.len().min(batch)).collect();
                self.batch(&actor, &*target, cols, &mut import, take, &mut pending)
                    .await?;
            }
            if end {
                break;
            }
        }
        self.finish(import, ImportStatus::Completed, None).await
    }

    /// The creator as an actor with the permissions they hold now; `None` once they are gone
    /// or not active.
    async fn creator(&self, import: &Import) -> Result<Option<Actor>, DomainError> {
        match self
            .p
            .users
            .get_with_roles(import.organization_id, import.created_by, None)
            .await
        {
            Ok(caller) if caller.user.status == UserStatus::Active => Ok(Some(caller.actor())),
            Ok(_) | Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes one batch, trying it once more when it failed for a reason other than its rows
    /// (a concurrent create of the same key spoils a PostgreSQL transaction: the second try
    /// finds the duplicate when it checks the row). A dry run is not tried again at once.
    async fn batch(
        &self,
        actor: &Actor,
        target: &dyn ImportTarget,
        columns: &Columns,
        import: &mut Import,
        rows: Vec<(u64, Vec<String>)>,
        pending: &mut PendingKeys,
    ) -> Result<(), DomainError> {
        // A dry run writes no record, so nothing of its own can spoil its transaction; and
        // its keys outlive its batches, so a second try would find its own rows duplicates.
        let retry = !import.dry_run;
        match self
            .try_batch(actor, target, columns, import, rows.clone(), pending)
            .await
        {
            Err(e) if retry && !is_taken_over(&e) => {
                tracing::info!(import = %import.id, error = %e, "import batch failed; trying it again");
                self.try_batch(actor, target, columns, import, rows, pending)
                    .await
            }
            other => other,
        }
    }

    async fn try_batch(
        &self,
        actor: &Actor,
        target: &dyn ImportTarget,
        columns: &Columns,
        import: &mut Import,
        rows: Vec<(u64, Vec<String>)>,
        pending: &mut PendingKeys,
    ) -> Result<(), DomainError> {
        // A dry run writes nothing, so its keys must stay known for the whole file; a real
        // batch's keys are in the database once it commits.
        if !import.dry_run {
            pending.clear();
        }
        let mut tally = Tally::default();
        let n = rows.len();
        let mut writes: Vec<(u64, bool, Box<dyn RowWrite>)> = Vec::new();
        for (row, cells) in rows {
            let planned = match columns.row(cells) {
                Ok(fields) => {
                    target
                        .plan(actor, fields, import.on_duplicate, pending)
                        .await
                }
                Err(e) => Err(DomainError::Invalid(vec![e])),
            };
            match planned {
                Ok(Planned::Create(w)) => writes.push((row, false, w)),
                Ok(Planned::Update(w)) => writes.push((row, true, w)),
                Ok(Planned::Skip) => tally.skipped += 1,
                Err(e) => tally.refuse(row, e)?,
            }
        }
        let mut tx = self.p.tx.begin().await?;
        for (row, update, write) in writes {
            let written = if import.dry_run {
                Ok(())
            } else {
                write.write(&mut tx, actor).await
            };
            match written {
                Ok(()) if update => tally.updated += 1,
                Ok(()) => tally.created += 1,
                Err(e) => tally.refuse(row, e)?,
            }
        }
        let mut errors = import.errors.clone();
        let room = MAX_ERRORS.saturating_sub(errors.len());
        errors.extend(tally.errors.into_iter().take(room));
        let now = clock::now();
        let next = Import {
            status: ImportStatus::Running,
            processed_rows: import.processed_rows + count(n),
            created: import.created + tally.created,
            updated: import.updated + tally.updated,
            skipped: import.skipped + tally.skipped,
            failed_rows: import.failed_rows + tally.failed,
            errors,
            lease_until: Some(now + self.settings.lease),
            updated_at: now,
            version: import.version + 1,
            ..import.clone()
        };
        // Versioned: a worker that took the import over (its lease ran out here) moved the
        // version on, so this batch rolls back and this worker stops.
        match self.p.imports.update(&mut tx, &next, import.version).await {
            Ok(()) => {}
            Err(StoreError::Stale) => return Err(taken_over()),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        *import = next;
        Ok(())
    }

    async fn fail(&self, import: Import, why: &str) -> Result<Import, DomainError> {
        let row = u64::try_from(import.processed_rows).unwrap_or(0) + 2;
        let error = RowError {
            row,
            field: None,
            message: format!("the import stopped: {why}"),
        };
        self.finish(import, ImportStatus::Failed, Some(error)).await
    }

    /// Ends the import (its `import.completed` or `import.failed` entry in the same
    /// transaction) and gives its file back.
    async fn finish(
        &self,
        import: Import,
        status: ImportStatus,
        error: Option<RowError>,
    ) -> Result<Import, DomainError> {
        let now = clock::now();
        let mut errors = import.errors.clone();
        if let Some(e) = error
            && errors.len() < MAX_ERRORS
        {
            errors.push(e);
        }
        let next = Import {
            status,
            errors,
            lease_until: None,
            finished_at: Some(now),
            updated_at: now,
            version: import.version + 1,
            ..import.clone()
        };
        let action = if status == ImportStatus::Failed {
            "failed"
        } else {
            "completed"
        };
        let mut tx = self.p.tx.begin().await?;
        match self.p.imports.update(&mut tx, &next, import.version).await {
            Ok(()) => {}
            Err(StoreError::Stale) => return Err(taken_over()),
            Err(e) => return Err(e.into()),
        }
        let entry = change_entry(
            import.organization_id,
            Some(import.created_by),
            "import",
            import.id.0,
            action,
            Some(&import),
            Some(&next),
        );
        self.p.activities.record(&mut tx, entry).await?;
        tx.commit().await?;
        self.files
            .release_blob(next.organization_id, &next.sha256)
            .await;
        Ok(next)
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn taken_over() -> DomainError {
    DomainError::conflict(
        "import-taken-over",
        "another worker took the import over after this one's lease ran out",
    )
}

fn is_taken_over(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::Conflict {
            code: "import-taken-over",
            ..
        }
    )
}

/// A batch's counts and row errors.
#[derive(Default)]
struct Tally {
    created: i64,
    updated: i64,
    skipped: i64,
    failed: i64,
    errors: Vec<RowError>,
}

impl Tally {
    /// Counts `e` as the refusal of `row` when it is one (what the route answers `4xx`);
    /// anything else (the database unavailable, a bug) fails the batch.
    fn refuse(&mut self, row: u64, e: DomainError) -> Result<(), DomainError> {
        let one = |field: Option<String>, message: String| RowError {
            row,
            field,
            message,
        };
        match e {
            DomainError::Invalid(fields) => {
                let whole_row = |f: &str| f == "row" || f == "body";
                self.errors.extend(fields.into_iter().map(|f| {
                    let field = (!whole_row(&f.field)).then_some(f.field);
                    one(field, f.message)
                }));
            }
            DomainError::Conflict { message, .. }
            | DomainError::BadRequest { message, .. }
            | DomainError::Forbidden { message, .. } => self.errors.push(one(None, message)),
            DomainError::NotFound => self.errors.push(one(
                None,
                "the record the row refers to was not found".into(),
            )),
            e => return Err(e),
        }
        self.failed += 1;
        Ok(())
    }
}

/// The scheduler's job: every poll, the imports that are queued or whose worker stopped.
pub struct ImportJob(pub ImportService);

#[async_trait]
impl Job for ImportJob {
    fn name(&self) -> &'static str {
        "imports"
    }

    fn period(&self) -> Period {
        Period::EveryPoll
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        self.0.run_due(now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{
        BlobStore, BlobWriter, ByteStream, FilePorts, FileSettings, MockBlobRepository,
        MockFileRepository,
    };
    use crate::identity::Caller;
    use crate::identity::MockUserRepository;
    use crate::identity::test_support::{role, user};
    use crate::imports::ports::MockImportQueue;
    use crate::kernel::records::MockRecords;
    use crate::kernel::testing::{ORG, Probe, actor};
    use crate::kernel::uow::Txn;
    use serde_json::{Map, Value};
    use std::sync::Mutex;

    type Blobs = Arc<Mutex<HashMap<String, Vec<u8>>>>;

    /// Storage in memory, read back in chunks of 5 bytes (records cross chunks).
    struct MemStore(Blobs);
    struct MemWriter(Blobs, Vec<u8>);

    #[async_trait]
    impl BlobStore for MemStore {
        async fn start(&self) -> Result<Box<dyn BlobWriter>, StoreError> {
            Ok(Box::new(MemWriter(self.0.clone(), Vec::new())))
        }
        async fn read(
            &self,
            _: OrganizationId,
            sha: &str,
            _: Option<std::ops::Range<u64>>,
        ) -> Result<ByteStream, StoreError> {
            let bytes = self.0.lock().unwrap().get(sha).cloned();
            let bytes = bytes.ok_or(StoreError::NotFound)?;
            let chunks: Vec<Result<Bytes, StoreError>> = bytes
                .chunks(5)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            Ok(Box::pin(futures_util::stream::iter(chunks)))
        }
        async fn delete(&self, _: OrganizationId, sha: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().remove(sha);
            Ok(())
        }
        async fn remove_temporaries(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
            Ok(0)
        }
    }

    #[async_trait]
    impl BlobWriter for MemWriter {
        async fn write(&mut self, c: Bytes) -> Result<(), StoreError> {
            self.1.extend_from_slice(&c);
            Ok(())
        }
        async fn close(&mut self) -> Result<(), StoreError> {
            Ok(())
        }
        async fn place(self: Box<Self>, _: OrganizationId, sha: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().insert(sha.to_string(), self.1);
            Ok(())
        }
        async fn abort(self: Box<Self>) {}
    }

    /// Names written, in order.
    type Written = Arc<Mutex<Vec<String>>>;

    /// A resource whose rows are a `name`: `DUP` is a duplicate, `BAD` refused on `name`.
    struct Names {
        written: Written,
        planned: Written,
    }

    struct WriteName(Written, String);

    #[async_trait]
    impl RowWrite for WriteName {
        async fn write(self: Box<Self>, _: &mut Txn, _: &Actor) -> Result<(), DomainError> {
            self.0.lock().unwrap().push(self.1);
            Ok(())
        }
    }

    #[async_trait]
    impl ImportTarget for Names {
        fn authorize(&self, actor: &Actor) -> Result<(), DomainError> {
            crate::kernel::rules::require(actor, "leads", "write").map(|_| ())
        }
        fn fields(&self) -> Vec<crate::imports::Field> {
            vec![("name".into(), crate::imports::CellKind::Text)]
        }
        async fn plan(
            &self,
            _: &Actor,
            row: Map<String, Value>,
            _: OnDuplicate,
            _: &mut PendingKeys,
        ) -> Result<Planned, DomainError> {
            let name = row["name"].as_str().unwrap_or_default().to_string();
            self.planned.lock().unwrap().push(name.clone());
            match name.as_str() {
                "DUP" => Ok(Planned::Skip),
                "BAD" => Err(DomainError::invalid("name", "invalid", "bad name")),
                _ => Ok(Planned::Create(Box::new(WriteName(
                    self.written.clone(),
                    name,
                )))),
            }
        }
    }

    struct World {
        svc: ImportService,
        probe: Probe,
        blobs: Blobs,
        written: Written,
        planned: Written,
        stored: Arc<Mutex<Option<Import>>>,
    }

    /// An import service over fakes; the import's row lives in `stored`, updated only at the
    /// version it was read at (`stale`: never, as when another worker took it over).
    fn world(stale: bool) -> World {
        let probe = Probe::default();
        let blobs: Blobs = Arc::default();
        let mut refs = MockBlobRepository::new();
        refs.expect_hold().returning(|_, _, _, _, _| Ok(()));
        refs.expect_release().returning(|_, _, _, _| Ok(1));
        let files = FileService::new(
            FilePorts {
                tx: probe.tx_manager(),
                files: Arc::new(MockFileRepository::new()),
                blobs: Arc::new(refs),
                store: Arc::new(MemStore(blobs.clone())),
                activities: Arc::new(probe.activities()),
            },
            FileSettings { max_bytes: 1 << 20 },
            Vec::new(),
        );
        let stored: Arc<Mutex<Option<Import>>> = Arc::default();
        let mut records = MockRecords::<Import>::new();
        let s = stored.clone();
        records.expect_create().returning(move |_, i| {
            *s.lock().unwrap() = Some(i.clone());
            Ok(())
        });
        let s = stored.clone();
        records
            .expect_get()
            .returning(move |_, _| s.lock().unwrap().clone().ok_or(StoreError::NotFound));
        let s = stored.clone();
        records.expect_update().returning(move |_, next, expected| {
            let mut s = s.lock().unwrap();
            match s.as_mut() {
                Some(cur) if cur.version == expected && !stale => {
                    *cur = next.clone();
                    Ok(())
                }
                _ => Err(StoreError::Stale),
            }
        });
        let mut queue = MockImportQueue::new();
        let s = stored.clone();
        queue.expect_due().returning(move |_, _| {
            Ok(s.lock()
                .unwrap()
                .iter()
                .map(|i| (i.organization_id, i.id))
                .collect())
        });
        let s = stored.clone();
        queue.expect_claim().returning(move |_, _, _, lease| {
            let mut s = s.lock().unwrap();
            let i = s.as_mut().unwrap();
            i.status = ImportStatus::Running;
            i.lease_until = Some(lease);
            i.version += 1;
            Ok(true)
        });
        let mut users = MockUserRepository::new();
        users.expect_get_with_roles().returning(|org, id, _| {
            let mut u = user(org, "ann@x.example", UserStatus::Active);
            u.id = id;
            Ok(Caller {
                user: u,
                roles: vec![role(org, "sales", false, &["leads:write"])],
                session_open: true,
            })
        });
        let (written, planned): (Written, Written) = Default::default();
        let target: Arc<dyn ImportTarget> = Arc::new(Names {
            written: written.clone(),
            planned: planned.clone(),
        });
        let svc = ImportService::new(
            ImportPorts {
                tx: probe.tx_manager(),
                imports: Arc::new(records),
                queue: Arc::new(queue),
                activities: Arc::new(probe.activities()),
                users: Arc::new(users),
            },
            files,
            vec![(ImportResource::Leads, target)],
            ImportSettings {
                batch_rows: 2,
                lease: Duration::seconds(60),
            },
            Arc::new(|| {}),
        );
        World {
            svc,
            probe,
            blobs,
            written,
            planned,
            stored,
        }
    }

    fn form() -> ImportForm {
        ImportForm {
            resource: Some("leads".into()),
            ..ImportForm::default()
        }
    }

    async fn upload(w: &World, csv: &str) -> ImportUpload {
        let u = w.svc.start_upload().await.unwrap();
        u.write(Bytes::copy_from_slice(csv.as_bytes()))
            .await
            .unwrap()
    }

    const CSV: &str = "name\nA\nB\nDUP\nBAD\nE\n";

    fn names(w: &Written) -> Vec<String> {
        w.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn rows_go_in_batch_by_batch_with_their_counts_and_errors() {
        let w = world(false);
        let a = actor(ORG, &["leads:write"]);
        let started = w
            .svc
            .start(&a, Some(upload(&w, CSV).await), form())
            .await
            .unwrap();
        assert_eq!(
            (started.status, started.total_rows),
            (ImportStatus::Queued, 5)
        );
        assert_eq!(w.blobs.lock().unwrap().len(), 1, "the file is stored");
        w.svc.run_due(clock::now()).await.unwrap();
        let done = w.stored.lock().unwrap().clone().unwrap();
        assert_eq!(done.status, ImportStatus::Completed);
        assert_eq!(
            (
                done.processed_rows,
                done.created,
                done.skipped,
                done.failed_rows
            ),
            (5, 3, 1, 1)
        );
        assert_eq!(
            done.errors,
            [RowError {
                row: 5,
                field: Some("name".into()),
                message: "bad name".into()
            }]
        );
        assert_eq!(names(&w.written), ["A", "B", "E"]);
        // The file's blob reference, the import, three batches of at most two rows, the end,
        // the blob reference given back.
        assert_eq!(w.probe.begins(), 1 + 1 + 3 + 1 + 1);
        let actions: Vec<_> = w.probe.audit().iter().map(|e| e.action).collect();
        assert_eq!(actions, ["created", "completed"]);
    }

    #[tokio::test]
    async fn a_resumed_import_passes_over_its_committed_rows() {
        let w = world(false);
        let a = actor(ORG, &["leads:write"]);
        w.svc
            .start(&a, Some(upload(&w, CSV).await), form())
            .await
            .unwrap();
        // A worker stopped after the first batch: its rows are in, its lease ran out.
        if let Some(i) = w.stored.lock().unwrap().as_mut() {
            i.processed_rows = 2;
            i.created = 2;
        }
        w.svc.run_due(clock::now()).await.unwrap();
        assert_eq!(names(&w.planned), ["DUP", "BAD", "E"]);
        let done = w.stored.lock().unwrap().clone().unwrap();
        assert_eq!((done.processed_rows, done.created), (5, 3));
    }

    #[tokio::test]
    async fn a_worker_whose_import_was_taken_over_commits_nothing() {
        let w = world(true);
        let a = actor(ORG, &["leads:write"]);
        w.svc
            .start(&a, Some(upload(&w, CSV).await), form())
            .await
            .unwrap();
        let begins = w.probe.begins();
        w.svc.run_due(clock::now()).await.unwrap();
        let after = w.stored.lock().unwrap().clone().unwrap();
        assert_eq!(
            (after.status, after.processed_rows),
            (ImportStatus::Running, 0)
        );
        // Its first batch checked and rolled back once, without a retry (another worker owns
        // the import now), and nothing after it.
        assert_eq!(w.probe.begins(), begins + 1);
        assert_eq!(names(&w.planned), ["A", "B"]);
    }

    #[tokio::test]
    async fn an_upload_is_refused_whole_for_a_column_that_is_no_field() {
        let w = world(false);
        let a = actor(ORG, &["leads:write"]);
        let e = w
            .svc
            .start(&a, Some(upload(&w, "name,colour\nA,red\n").await), form())
            .await
            .unwrap_err();
        let DomainError::Invalid(fields) = e else {
            panic!("{e:?}")
        };
        assert_eq!(
            (fields[0].field.as_str(), fields[0].code.as_str()),
            ("file", "unknown_column")
        );
        assert!(w.blobs.lock().unwrap().is_empty());
        assert_eq!(w.probe.begins(), 0);
        // Without the resource's permission: 403 before the file is looked at.
        let reader = actor(ORG, &["leads:read"]);
        let e = w
            .svc
            .start(&reader, Some(upload(&w, CSV).await), form())
            .await;
        assert!(matches!(e, Err(DomainError::Forbidden { .. })));
    }
}
