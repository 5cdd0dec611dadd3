use super::model::{Lead, LeadId};
use async_trait::async_trait;
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};

/// Leads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LeadRepository: Send + Sync {
    /// Inserts `lead`. `Conflict` when the lead is open and another open lead of the
    /// organization has the same email (a unique key, so concurrent inserts cannot both win).
    async fn create(&self, tx: &mut Txn, lead: &Lead) -> Result<(), StoreError>;

    /// The lead `id` of `org`; `NotFound` when missing or of another organization.
    async fn get(&self, org: OrganizationId, id: LeadId) -> Result<Lead, StoreError>;

    /// The lead `id` of `org`, read inside `tx` and held until it ends, so a concurrent writer
    /// of the lead waits for this one; `NotFound` when missing or of another organization.
    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: LeadId,
    ) -> Result<Lead, StoreError>;

    /// The open lead (status neither `converted` nor `unqualified`) of `org` with this email,
    /// other than `except`; `None` when there is none.
    async fn find_open_by_email(
        &self,
        org: OrganizationId,
        email: &EmailAddress,
        except: Option<LeadId>,
    ) -> Result<Option<LeadId>, StoreError>;

    /// One page of the leads of `org`; with `owner = Some(u)` only those owned by `u`.
    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Lead>, StoreError>;

    /// Stores `lead` where the stored version is `expected_version`: `Stale`, `NotFound`, or
    /// `Conflict` on a duplicate open email as for [`Self::create`].
    async fn update(
        &self,
        tx: &mut Txn,
        lead: &Lead,
        expected_version: i64,
    ) -> Result<(), StoreError>;

    /// `NotFound` when missing.
    async fn delete(&self, tx: &mut Txn, org: OrganizationId, id: LeadId)
    -> Result<(), StoreError>;
}
