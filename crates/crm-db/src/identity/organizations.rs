use crate::entities::organization::{self, ActiveModel, Column, Entity};
use crate::error::store_err;
use crate::rows::{corrupt, db_version, locked, stale_or_missing};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::identity::Organization;
use crm_domain::identity::{EmailAddress, OrganizationRepository};
use crm_domain::{Currency, OrganizationId, StoreError, Txn};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

#[derive(Clone)]
pub struct SqlOrganizationRepository {
    db: DatabaseConnection,
}

impl SqlOrganizationRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl TryFrom<organization::Model> for Organization {
    type Error = StoreError;
    fn try_from(m: organization::Model) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("organization", m.id, e);
        let email = match &m.email {
            Some(e) => Some(EmailAddress::parse(e).map_err(|e| bad(&e))?),
            None => None,
        };
        let default_currency = Currency::parse(&m.default_currency).map_err(|e| bad(&e))?;
        Ok(Organization {
            id: OrganizationId(m.id),
            name: m.name,
            legal_name: m.legal_name,
            tax_id: m.tax_id,
            email,
            phone: m.phone,
            website: m.website,
            address: m.address,
            default_currency,
            timezone: m.timezone,
            logo_file_id: m.logo_file_id,
            legacy_id: m.legacy_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

/// The profile columns and the new version, without `id` and `created_at`.
fn changes(org: &Organization) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        updated_at: Set(org.updated_at),
        version: Set(db_version(org.version)?),
        name: Set(org.name.clone()),
        legal_name: Set(org.legal_name.clone()),
        tax_id: Set(org.tax_id.clone()),
        email: Set(org.email.as_ref().map(|e| e.as_str().to_string())),
        phone: Set(org.phone.clone()),
        website: Set(org.website.clone()),
        address: Set(org.address.clone()),
        default_currency: Set(org.default_currency.code().to_string()),
        timezone: Set(org.timezone.clone()),
        logo_file_id: Set(org.logo_file_id),
        // Only ever set (by the importer, on creation), never cleared, so a row without one
        // leaves the column out: the writer then also works on a schema migrated only part of
        // the way (the migration tests create organizations before later migrations run).
        legacy_id: match &org.legacy_id {
            Some(id) => Set(Some(id.clone())),
            None => sea_orm::ActiveValue::NotSet,
        },
        ..Default::default()
    })
}

#[async_trait]
impl OrganizationRepository for SqlOrganizationRepository {
    async fn create(&self, tx: &mut Txn, org: &Organization) -> Result<(), StoreError> {
        let mut row = changes(org)?;
        row.id = Set(org.id.0);
        row.created_at = Set(org.created_at);
        Entity::insert(row)
            .exec_without_returning(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn get(&self, id: OrganizationId) -> Result<Organization, StoreError> {
        Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Organization>, StoreError> {
        Entity::find()
            .filter(Column::Name.eq(name))
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await
            .map_err(store_err)?
            .into_iter()
            // MySQL collations compare case- and trailing-space-insensitively: keep exact matches.
            .find(|m| m.name == name)
            .map(Organization::try_from)
            .transpose()
    }

    async fn update(
        &self,
        tx: &mut Txn,
        org: &Organization,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let res = Entity::update_many()
            .set(changes(org)?)
            .filter(Column::Id.eq(org.id.0))
            .filter(Column::Version.eq(db_version(expected_version)?))
            .exec(db)
            .await
            .map_err(store_err)?;
        if res.rows_affected == 0 {
            return Err(stale_or_missing(db, Entity::find_by_id(org.id.0)).await);
        }
        Ok(())
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        id: OrganizationId,
    ) -> Result<Organization, StoreError> {
        locked(sql(tx.as_mut())?, Entity::find_by_id(id.0))
            .await?
            .try_into()
    }
}
