use super::model::LeadId;
use async_trait::async_trait;
use crm_domain::identity::EmailAddress;
use crm_domain::{OrganizationId, StoreError};

/// What leads store besides their `Records<Lead>`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LeadRepository: Send + Sync {
    /// The open lead (status neither `converted` nor `unqualified`) of `org` with this email,
    /// other than `except`; `None` when there is none.
    async fn find_open_by_email(
        &self,
        org: OrganizationId,
        email: &EmailAddress,
        except: Option<LeadId>,
    ) -> Result<Option<LeadId>, StoreError>;
}
