//! `/files`: uploads, metadata, downloads and the clean-up of blobs nothing refers to.

use super::model::{
    DESCRIPTION_MAX, FileId, FilePatch, RecordRef, StoredFile, UploadMeta, content_type,
    patched_name, sanitize_name,
};
use super::ports::{
    BlobRepository, BlobStore, ByteStream, FileRepository, FileVisibility, RecordAccess,
};
use super::upload::Upload;
use super::{FilesDelete, FilesRead, FilesWrite};
use crate::activity::{ActivityRepository, audit};
use crate::kernel::clock;
use crate::kernel::context::{Actor, Scope};
use crate::kernel::error::{DomainError, StoreError};
use crate::kernel::ids::OrganizationId;
use crate::kernel::input::Errors;
use crate::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page};
use crate::kernel::rules::check_version;
use crate::kernel::scope::{owner_filter, require, within};
use crate::kernel::text::optional_text;
use crate::kernel::uow::TxManager;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use uuid::Uuid;

/// Every port the file service uses.
#[derive(Clone)]
pub struct FilePorts {
    pub tx: Arc<dyn TxManager>,
    pub files: Arc<dyn FileRepository>,
    pub blobs: Arc<dyn BlobRepository>,
    pub store: Arc<dyn BlobStore>,
    pub activities: Arc<dyn ActivityRepository>,
}

#[derive(Clone, Copy, Debug)]
pub struct FileSettings {
    /// Largest upload, in bytes (`CRM__FILES__MAX_BYTES`).
    pub max_bytes: u64,
}

/// Files and their blobs. A file attached to a record follows that record: visible and
/// changeable only by whoever may read the record (`404` for everybody else); a file without
/// one follows `files:*` (`:own`: its uploader).
#[derive(Clone)]
pub struct FileService {
    p: FilePorts,
    settings: FileSettings,
    access: Arc<BTreeMap<&'static str, Arc<dyn RecordAccess>>>,
}

/// How long an unreferenced blob stays before the clean-up job deletes it (a deletion deletes
/// its blob at once; the job catches what a failure left).
const UNREFERENCED_GRACE_MINUTES: i64 = 5;
/// How long a temporary object may exist before it counts as abandoned.
const TEMPORARY_KEPT_HOURS: i64 = 6;

impl FileService {
    /// `access`: one entry per record type files may be attached to.
    pub fn new(
        p: FilePorts,
        settings: FileSettings,
        access: Vec<(&'static str, Arc<dyn RecordAccess>)>,
    ) -> Self {
        Self {
            p,
            settings,
            access: Arc::new(access.into_iter().collect()),
        }
    }

    /// The record types files may be attached to, sorted.
    pub fn record_types(&self) -> Vec<&'static str> {
        self.access.keys().copied().collect()
    }

    pub fn max_bytes(&self) -> u64 {
        self.settings.max_bytes
    }

    /// Whether `id` is a file of `org` (for `*_file_id` fields of other records).
    pub async fn exists(&self, org: OrganizationId, id: FileId) -> Result<bool, StoreError> {
        self.p.files.exists(org, id).await
    }

    /// `Ok` when the caller may see `file`, `404` otherwise.
    async fn visible(
        &self,
        actor: &Actor,
        scope: Scope,
        file: &StoredFile,
    ) -> Result<(), DomainError> {
        match file.record() {
            Some(r) => {
                let Some(access) = self.access.get(r.record_type.as_str()) else {
                    return Err(DomainError::NotFound);
                };
                match access.readable(actor, r.record_id).await {
                    Ok(()) => Ok(()),
                    Err(DomainError::Forbidden { .. }) => Err(DomainError::NotFound),
                    Err(e) => Err(e),
                }
            }
            None if within(actor, scope, file.uploaded_by) => Ok(()),
            None => Err(DomainError::NotFound),
        }
    }

    /// The record `record_type`/`record_id` name, checked: a known type (`422 record_type`),
    /// an id (`422 record_id`) of a record the caller may read (`422 record_id` otherwise).
    /// Both absent: no record.
    async fn attachment(
        &self,
        actor: &Actor,
        record_type: Option<&str>,
        record_id: Option<Uuid>,
        errors: &mut Errors,
    ) -> Result<Option<RecordRef>, DomainError> {
        if record_type.is_some_and(|t| !self.access.contains_key(t)) {
            let known = self.record_types().join(", ");
            errors.add("record_type", "invalid", format!("must be one of: {known}"));
            return Ok(None);
        }
        let (t, id) = match (record_type, record_id) {
            (None, None) => return Ok(None),
            (Some(_), None) => {
                errors.add("record_id", "required", "record_type needs a record_id");
                return Ok(None);
            }
            (None, Some(_)) => {
                errors.add("record_type", "required", "record_id needs a record_type");
                return Ok(None);
            }
            (Some(t), Some(id)) => (t, id),
        };
        let Some((name, access)) = self.access.get_key_value(t) else {
            return Ok(None);
        };
        match access.readable(actor, id).await {
            Ok(()) => Ok(Some(RecordRef {
                record_type: (*name).to_string(),
                record_id: id,
            })),
            Err(DomainError::NotFound | DomainError::Forbidden { .. }) => {
                errors.add("record_id", "not_found", format!("no such {t}"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Needs `files:write`; checked before a byte is stored.
    pub async fn start_upload(&self, actor: &Actor) -> Result<Upload, DomainError> {
        require::<FilesWrite>(actor)?;
        let writer = self.p.store.start().await?;
        Ok(Upload::new(writer, self.settings.max_bytes))
    }

    /// Stores a completed upload: checks the text parts (`422`, the upload discarded), takes a
    /// reference to the blob, moves the bytes to `<org>/<sha256>` (or discards them when the
    /// blob is already there), then writes the row and its audit entry in one transaction.
    /// `upload: None` (no file part) is `422` on `file`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn finish_upload(
        &self,
        actor: &Actor,
        upload: Option<Upload>,
        meta: UploadMeta,
    ) -> Result<StoredFile, DomainError> {
        let checked = self.check_upload(actor, upload.is_some(), &meta).await;
        let (upload, (name, description, record)) = match (upload, checked) {
            (Some(u), Ok(c)) => (u, c),
            (u, Err(e)) => {
                if let Some(u) = u {
                    u.abort().await;
                }
                return Err(e);
            }
            (None, Ok(_)) => {
                return Err(crate::kernel::input::invalid(
                    "file",
                    "required",
                    "a file part is required",
                ));
            }
        };
        let org = actor.organization_id;
        let size = i64::try_from(upload.size).unwrap_or(i64::MAX);
        let kind = content_type(upload.sniffed(), meta.client_type.as_deref());
        let sha256 = self.keep_blob(org, upload).await?;
        let now = clock::now();
        let file = StoredFile {
            id: FileId::new(),
            organization_id: org,
            name,
            content_type: kind,
            size,
            sha256: sha256.clone(),
            record_type: record.as_ref().map(|r| r.record_type.clone()),
            record_id: record.as_ref().map(|r| r.record_id),
            description,
            uploaded_by: actor.user_id,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if let Err(e) = self.insert(actor, &file).await {
            self.release(org, &sha256).await;
            return Err(e);
        }
        Ok(file)
    }

    /// A new temporary object for bytes another module keeps (an import's file); that
    /// module checks its own permission first.
    pub(crate) async fn start_blob(&self) -> Result<Upload, DomainError> {
        let writer = self.p.store.start().await?;
        Ok(Upload::new(writer, self.settings.max_bytes))
    }

    /// Stores a completed upload as a blob of `org` holding one reference (given back by
    /// [`Self::release_blob`]): completes the temporary object, takes the reference (in its
    /// own committed transaction), then moves the bytes to `<org>/<sha256>` or discards them
    /// when the blob is already there. The blob's sha256; on a failure nothing is kept.
    pub(crate) async fn keep_blob(
        &self,
        org: OrganizationId,
        mut upload: Upload,
    ) -> Result<String, DomainError> {
        let sha256 = upload.digest();
        let size = i64::try_from(upload.size).unwrap_or(i64::MAX);
        if let Err(e) = upload.writer.close().await {
            upload.abort().await;
            return Err(e.into());
        }
        if let Err(e) = self.hold(org, &sha256, size, clock::now()).await {
            upload.abort().await;
            return Err(e.into());
        }
        if let Err(e) = upload.writer.place(org, &sha256).await {
            self.release(org, &sha256).await;
            return Err(e.into());
        }
        Ok(sha256)
    }

    /// The bytes of a blob kept by [`Self::keep_blob`].
    pub(crate) async fn read_blob(
        &self,
        org: OrganizationId,
        sha256: &str,
    ) -> Result<ByteStream, StoreError> {
        self.p.store.read(org, sha256, None).await
    }

    /// Gives back the reference [`Self::keep_blob`] took; the blob goes with the last one.
    pub(crate) async fn release_blob(&self, org: OrganizationId, sha256: &str) {
        self.release(org, sha256).await;
    }

    async fn check_upload(
        &self,
        actor: &Actor,
        has_file: bool,
        meta: &UploadMeta,
    ) -> Result<(String, Option<String>, Option<RecordRef>), DomainError> {
        let mut errors = Errors::new();
        let name = if has_file {
            errors.value(
                "file",
                sanitize_name(meta.name.as_deref().unwrap_or_default()),
            )
        } else {
            errors.add("file", "required", "a file part is required");
            String::new()
        };
        let description = errors.value(
            "description",
            optional_text(
                meta.description.as_deref(),
                "description",
                DESCRIPTION_MAX,
                true,
            ),
        );
        // A part that is sent is held to its documented form: an empty `record_id` is not a
        // UUID, an empty `record_type` not one of the kinds; leaving the part out detaches.
        let record_type = meta.record_type.as_deref();
        let raw_id = meta.record_id.as_deref();
        let record_id = match raw_id.map(Uuid::parse_str) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                errors.add("record_id", "invalid", "must be a UUID");
                None
            }
        };
        let record = if raw_id.is_some() && record_id.is_none() {
            None
        } else {
            self.attachment(actor, record_type, record_id, &mut errors)
                .await?
        };
        errors.finish()?;
        Ok((name, description, record))
    }

    async fn hold(
        &self,
        org: OrganizationId,
        sha256: &str,
        size: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.p.tx.begin().await?;
        self.p.blobs.hold(&mut tx, org, sha256, size, now).await?;
        tx.commit().await
    }

    async fn insert(&self, actor: &Actor, file: &StoredFile) -> Result<(), DomainError> {
        let mut tx = self.p.tx.begin().await?;
        self.p.files.create(&mut tx, file).await?;
        self.p
            .activities
            .record(&mut tx, audit::created(actor, file))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives back a reference an upload took and could not use; best effort (the clean-up
    /// job finds what this misses only if the count reached zero, so failures are logged).
    async fn release(&self, org: OrganizationId, sha256: &str) {
        let released = async {
            let mut tx = self.p.tx.begin().await?;
            let left = self
                .p
                .blobs
                .release(&mut tx, org, sha256, clock::now())
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(left)
        }
        .await;
        match released {
            Ok(0) => {
                if let Err(e) = self.collect(org, sha256).await {
                    tracing::warn!(error = %e, "files: an unreferenced blob is left to the clean-up");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, sha256, "files: a blob reference could not be released")
            }
        }
    }

    /// Deletes the blob if nothing refers to it, holding its row's lock meanwhile: an upload
    /// of the same bytes waits for the lock and then stores them again.
    async fn collect(&self, org: OrganizationId, sha256: &str) -> Result<bool, StoreError> {
        let mut tx = self.p.tx.begin().await?;
        if !self.p.blobs.lock_unreferenced(&mut tx, org, sha256).await? {
            return Ok(false);
        }
        self.p.store.delete(org, sha256).await?;
        self.p.blobs.forget(&mut tx, org, sha256).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Needs `files:read`; `404` unless the caller may see the file.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: FileId) -> Result<StoredFile, DomainError> {
        let scope = require::<FilesRead>(actor)?;
        let file = self.p.files.get(actor.organization_id, id).await?;
        self.visible(actor, scope, &file).await?;
        Ok(file)
    }

    /// The bytes of `file` (obtained from [`Self::get`]), or of `range` of them.
    pub async fn content(
        &self,
        file: &StoredFile,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, DomainError> {
        Ok(self
            .p
            .store
            .read(file.organization_id, &file.sha256, range)
            .await?)
    }

    /// Needs `files:read`. Filtered by a record (`record_type` and `record_id`): that record's
    /// files when the caller may read it (none otherwise). Unfiltered: unattached files in the
    /// caller's scope and the files of record types the caller reads entirely.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<StoredFile>, DomainError> {
        let scope = require::<FilesRead>(actor)?;
        let eq = |field: &str| {
            query
                .filters
                .iter()
                .find(|f| f.field == field && f.op == FilterOp::Eq)
                .map(|f| f.value.clone())
        };
        let org = actor.organization_id;
        if let (Some(FieldValue::Text(t)), Some(FieldValue::Uuid(id))) =
            (eq("record_type"), eq("record_id"))
        {
            // A record the caller cannot read, or of a type files are never attached to, has
            // no files to show.
            let mut errors = Errors::new();
            let record = self
                .attachment(actor, Some(&t), Some(id), &mut errors)
                .await?;
            if record.is_none() {
                return Ok(Page {
                    data: vec![],
                    next_cursor: None,
                    total: query.count.then_some(0),
                });
            }
            return Ok(self.p.files.list(org, None, query).await?);
        }
        let visible = FileVisibility {
            uploader: owner_filter(actor, scope),
            record_types: self
                .access
                .iter()
                .filter(|(_, a)| a.reads_all(actor))
                .map(|(t, _)| (*t).to_string())
                .collect(),
        };
        Ok(self.p.files.list(org, Some(visible), query).await?)
    }

    /// Needs `files:write` and sight of the file; `412` on a stale version; `422` per bad
    /// field (a record to attach to is checked as on upload).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: FileId,
        expected_version: Option<i64>,
        patch: FilePatch,
    ) -> Result<StoredFile, DomainError> {
        let scope = require::<FilesWrite>(actor)?;
        let org = actor.organization_id;
        let seen = self.p.files.get(org, id).await?;
        self.visible(actor, scope, &seen).await?;
        let mut errors = Errors::new();
        let moves = patch.record_type.is_some() || patch.record_id.is_some();
        let target = if moves {
            let t = match &patch.record_type {
                Some(t) => t.as_deref().map(str::trim).filter(|t| !t.is_empty()),
                None => seen.record_type.as_deref(),
            };
            let rid = patch.record_id.unwrap_or(seen.record_id);
            let t = t.map(str::to_string);
            self.attachment(actor, t.as_deref(), rid, &mut errors)
                .await?
        } else {
            seen.record()
        };
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.files.get_for_update(&mut tx, org, id).await?;
        if current.record() != seen.record() {
            // Moved by someone else since it was checked: answer as for what was checked.
            return Err(DomainError::NotFound);
        }
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let name = patch.name.as_deref().map(patched_name);
        errors.patch("name", &mut next.name, name);
        let description = patch
            .description
            .as_ref()
            .map(|d| optional_text(d.as_deref(), "description", DESCRIPTION_MAX, true));
        errors.patch("description", &mut next.description, description);
        errors.finish()?;
        next.record_type = target.as_ref().map(|r| r.record_type.clone());
        next.record_id = target.as_ref().map(|r| r.record_id);
        if next == current {
            return Ok(current);
        }
        let next = StoredFile {
            updated_at: clock::now(),
            version: current.version + 1,
            ..next
        };
        self.p.files.update(&mut tx, &next, current.version).await?;
        self.p
            .activities
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `files:delete` and sight of the file. The blob goes when no other file of the
    /// organization has the same bytes.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: FileId) -> Result<(), DomainError> {
        let scope = require::<FilesDelete>(actor)?;
        let org = actor.organization_id;
        let seen = self.p.files.get(org, id).await?;
        self.visible(actor, scope, &seen).await?;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.files.get_for_update(&mut tx, org, id).await?;
        self.p.files.delete(&mut tx, org, id).await?;
        let left = self
            .p
            .blobs
            .release(&mut tx, org, &current.sha256, clock::now())
            .await?;
        self.p
            .activities
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        if left == 0
            && let Err(e) = self.collect(org, &current.sha256).await
        {
            tracing::warn!(error = %e, "files: an unreferenced blob is left to the clean-up");
        }
        Ok(())
    }

    /// The clean-up: blobs unreferenced for a few minutes (a deletion whose blob removal
    /// failed) and temporary objects abandoned by a crash.
    pub async fn collect_garbage(&self, now: DateTime<Utc>) -> Result<String, StoreError> {
        let before = now - Duration::minutes(UNREFERENCED_GRACE_MINUTES);
        let mut blobs = 0;
        for (org, sha) in self.p.blobs.unreferenced(before, 1000).await? {
            if self.collect(org, &sha).await? {
                blobs += 1;
            }
        }
        let temps = self
            .p
            .store
            .remove_temporaries(now - Duration::hours(TEMPORARY_KEPT_HOURS))
            .await?;
        Ok(format!("{blobs} blobs, {temps} temporary objects removed"))
    }
}

/// The files clean-up as a scheduled job (every 15 minutes).
pub struct FileCleanupJob(pub FileService);

#[async_trait::async_trait]
impl crate::jobs::Job for FileCleanupJob {
    fn name(&self) -> &'static str {
        "files_cleanup"
    }

    fn period(&self) -> crate::jobs::Period {
        crate::jobs::Period::Minutes(15)
    }

    async fn run(&self, now: DateTime<Utc>) -> Result<String, DomainError> {
        Ok(self.0.collect_garbage(now).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{MockBlobRepository, MockFileRepository};
    use crate::kernel::ids::UserId;
    use crate::kernel::testing::{ORG, Probe, actor};
    use bytes::Bytes;
    use std::sync::Mutex;

    /// What the fake store saw: (event, detail).
    type Log = Arc<Mutex<Vec<String>>>;

    struct FakeStore(Log);
    struct FakeWriter(Log);

    #[async_trait::async_trait]
    impl BlobStore for FakeStore {
        async fn start(&self) -> Result<Box<dyn super::super::BlobWriter>, StoreError> {
            self.0.lock().unwrap().push("start".into());
            Ok(Box::new(FakeWriter(self.0.clone())))
        }
        async fn read(
            &self,
            _: OrganizationId,
            _: &str,
            _: Option<Range<u64>>,
        ) -> Result<ByteStream, StoreError> {
            Err(StoreError::NotFound)
        }
        async fn delete(&self, _: OrganizationId, sha: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().push(format!("delete {sha}"));
            Ok(())
        }
        async fn remove_temporaries(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
            Ok(0)
        }
    }

    #[async_trait::async_trait]
    impl super::super::BlobWriter for FakeWriter {
        async fn write(&mut self, c: Bytes) -> Result<(), StoreError> {
            self.0.lock().unwrap().push(format!("write {}", c.len()));
            Ok(())
        }
        async fn close(&mut self) -> Result<(), StoreError> {
            self.0.lock().unwrap().push("close".into());
            Ok(())
        }
        async fn place(self: Box<Self>, _: OrganizationId, sha: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().push(format!("place {sha}"));
            Ok(())
        }
        async fn abort(self: Box<Self>) {
            self.0.lock().unwrap().push("abort".into());
        }
    }

    struct Leads(UserId);

    #[async_trait::async_trait]
    impl RecordAccess for Leads {
        async fn readable(&self, actor: &Actor, id: Uuid) -> Result<(), DomainError> {
            // The record `id` belongs to user `id` in this fake: `:own` readers see their own.
            if actor.can_all("leads", "read") || (id == self.0.0 && actor.user_id == self.0) {
                Ok(())
            } else {
                Err(DomainError::NotFound)
            }
        }
        fn reads_all(&self, actor: &Actor) -> bool {
            actor.can_all("leads", "read")
        }
    }

    fn service(
        files: MockFileRepository,
        blobs: MockBlobRepository,
        owner: UserId,
    ) -> (FileService, Probe, Log) {
        let probe = Probe::default();
        let log: Log = Arc::default();
        let ports = FilePorts {
            tx: probe.tx_manager(),
            files: Arc::new(files),
            blobs: Arc::new(blobs),
            store: Arc::new(FakeStore(log.clone())),
            activities: Arc::new(probe.activities()),
        };
        let access: Arc<dyn RecordAccess> = Arc::new(Leads(owner));
        let s = FileService::new(
            ports,
            FileSettings { max_bytes: 10 },
            vec![("lead", access)],
        );
        (s, probe, log)
    }

    fn meta(record: Option<Uuid>) -> UploadMeta {
        UploadMeta {
            name: Some("a.txt".into()),
            client_type: Some("text/plain".into()),
            record_type: record.map(|_| "lead".into()),
            record_id: record.map(|r| r.to_string()),
            description: None,
        }
    }

    #[tokio::test]
    async fn over_the_limit_the_upload_is_aborted_before_anything_is_counted() {
        let (svc, probe, log) = service(
            MockFileRepository::new(),
            MockBlobRepository::new(),
            UserId::new(),
        );
        let a = actor(ORG, &["files:write"]);
        let u = svc.start_upload(&a).await.unwrap();
        let u = u.write(Bytes::from_static(b"12345678")).await.unwrap();
        let err = u.write(Bytes::from_static(b"abc")).await.err();
        assert_eq!(err, Some(crate::files::UploadError::TooLarge(10)));
        assert_eq!(*log.lock().unwrap(), ["start", "write 8", "abort"]);
        assert_eq!(probe.begins(), 0);
        // Reading is not uploading.
        let reader = actor(ORG, &["files:read"]);
        assert!(matches!(
            svc.start_upload(&reader).await,
            Err(DomainError::Forbidden { .. })
        ));
    }

    #[tokio::test]
    async fn an_upload_holds_the_blob_before_placing_it_then_writes_row_and_audit() {
        let order: Log = Arc::default();
        let mut blobs = MockBlobRepository::new();
        let o = order.clone();
        blobs
            .expect_hold()
            .times(1)
            .returning(move |_, org, _, size, _| {
                assert_eq!((org, size), (ORG, 3));
                o.lock().unwrap().push("hold".into());
                Ok(())
            });
        let mut files = MockFileRepository::new();
        files
            .expect_create()
            .withf(|_, f| f.content_type == "text/plain" && f.record_type.is_none())
            .times(1)
            .returning(|_, _| Ok(()));
        let (svc, probe, log) = service(files, blobs, UserId::new());
        let a = actor(ORG, &["files:write"]);
        let u = svc.start_upload(&a).await.unwrap();
        let u = u.write(Bytes::from_static(b"abc")).await.unwrap();
        let f = svc.finish_upload(&a, Some(u), meta(None)).await.unwrap();
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let log = log.lock().unwrap().clone();
        assert_eq!(
            log,
            [
                "start",
                "write 3",
                "close",
                format!("place {}", f.sha256).as_str()
            ]
        );
        assert_eq!(*order.lock().unwrap(), ["hold"]);
        assert_eq!(
            probe.begins(),
            2,
            "the hold commits before the bytes are placed"
        );
        let audit = probe.audit();
        assert_eq!((audit[0].entity_type, audit[0].action), ("file", "created"));
    }

    #[tokio::test]
    async fn attaching_needs_sight_of_the_record_and_a_refusal_discards_the_upload() {
        let owner = UserId::new();
        let (svc, probe, log) =
            service(MockFileRepository::new(), MockBlobRepository::new(), owner);
        let seller = actor(ORG, &["files:write:own", "leads:read:own"]);
        let u = svc.start_upload(&seller).await.unwrap();
        let someone_elses = Uuid::now_v7();
        let Err(DomainError::Invalid(errors)) = svc
            .finish_upload(&seller, Some(u), meta(Some(someone_elses)))
            .await
        else {
            panic!("expected 422")
        };
        assert_eq!(errors[0].field, "record_id");
        assert_eq!(*log.lock().unwrap(), ["start", "abort"]);
        assert_eq!(probe.begins(), 0);
        let mut bad = meta(None);
        bad.record_type = Some("spaceship".into());
        bad.record_id = Some(Uuid::now_v7().to_string());
        let u = svc.start_upload(&seller).await.unwrap();
        let Err(DomainError::Invalid(errors)) = svc.finish_upload(&seller, Some(u), bad).await
        else {
            panic!("expected 422")
        };
        assert_eq!(errors[0].field, "record_type");
    }

    fn stored(uploaded_by: UserId, record: Option<Uuid>) -> StoredFile {
        let now = crate::kernel::testing::now();
        StoredFile {
            id: FileId::new(),
            organization_id: ORG,
            name: "a.txt".into(),
            content_type: "text/plain".into(),
            size: 3,
            sha256: "abc".into(),
            record_type: record.map(|_| "lead".into()),
            record_id: record,
            description: None,
            uploaded_by,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[tokio::test]
    async fn visibility_follows_the_record_or_the_uploader() {
        let me = actor(ORG, &["files:read:own"]);
        let someone = UserId::new();
        let loose = stored(someone, None);
        let on_theirs = stored(me.user_id, Some(Uuid::now_v7()));
        let on_mine = stored(someone, Some(me.user_id.0));
        let all = [loose.clone(), on_theirs.clone(), on_mine.clone()];
        let mut files = MockFileRepository::new();
        files.expect_get().returning(move |_, id| {
            all.iter()
                .find(|f| f.id == id)
                .cloned()
                .ok_or(StoreError::NotFound)
        });
        let mut me_leads = me.clone();
        me_leads = Actor::new(
            me_leads.user_id,
            ORG,
            ["files:read:own".to_string(), "leads:read:own".to_string()],
        );
        let (svc, _, _) = service(files, MockBlobRepository::new(), me_leads.user_id);
        // Someone else's unattached file: not under `:own`.
        assert_eq!(
            svc.get(&me_leads, loose.id).await,
            Err(DomainError::NotFound)
        );
        // My upload on a lead I cannot read: hidden from me too.
        assert_eq!(
            svc.get(&me_leads, on_theirs.id).await,
            Err(DomainError::NotFound)
        );
        // Someone's file on my lead: visible.
        assert!(svc.get(&me_leads, on_mine.id).await.is_ok());
    }

    #[tokio::test]
    async fn deleting_the_last_file_of_a_blob_collects_it_after_the_commit() {
        let file = stored(UserId::new(), None);
        let id = file.id;
        let mut files = MockFileRepository::new();
        let f = file.clone();
        files.expect_get().returning(move |_, _| Ok(f.clone()));
        let f = file.clone();
        files
            .expect_get_for_update()
            .returning(move |_, _, _| Ok(f.clone()));
        files.expect_delete().times(1).returning(|_, _, _| Ok(()));
        let mut blobs = MockBlobRepository::new();
        blobs
            .expect_release()
            .times(1)
            .returning(|_, _, _, _| Ok(0));
        blobs
            .expect_lock_unreferenced()
            .times(1)
            .returning(|_, _, _| Ok(true));
        blobs.expect_forget().times(1).returning(|_, _, _| Ok(()));
        let (svc, probe, log) = service(files, blobs, UserId::new());
        svc.delete(&actor(ORG, &["files:delete"]), id)
            .await
            .unwrap();
        assert_eq!(*log.lock().unwrap(), ["delete abc"]);
        assert_eq!(probe.begins(), 2, "the deletion, then the collection");
        assert_eq!(probe.audit()[0].action, "deleted");
    }
}
