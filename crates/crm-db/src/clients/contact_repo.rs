use crate::entities::contact::{self, ActiveModel, Column, Entity};
use crate::entities::interaction;
use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::{ClientId, Contact, ContactId, PrimaryContacts};
use crm_domain::identity::EmailAddress;
use crm_domain::kernel::clock;
use crm_domain::{OrganizationId, StoreError, Txn};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

impl TryFrom<contact::Model> for Contact {
    type Error = StoreError;
    fn try_from(m: contact::Model) -> Result<Self, StoreError> {
        Ok(Contact {
            id: ContactId(m.id),
            organization_id: OrganizationId(m.organization_id),
            client_id: ClientId(m.client_id),
            email: match &m.email {
                Some(e) => Some(EmailAddress::parse(e).map_err(|e| corrupt("contact", m.id, e))?),
                None => None,
            },
            name: m.name,
            phone: m.phone,
            title: m.title,
            is_primary: m.is_primary,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

crate::rows::tenanted!(contact: [ClientId, CreatedAt]);

impl Stored for Entity {
    type Record = Contact;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Name, Column::Email, Column::Phone]);

    fn row(c: &Contact) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(c.id.0),
            created_at: Set(c.created_at),
            updated_at: Set(c.updated_at),
            version: Set(db_version(c.version)?),
            organization_id: Set(c.organization_id.0),
            client_id: Set(c.client_id.0),
            name: Set(c.name.clone()),
            email: Set(c.email.as_ref().map(|e| e.as_str().to_string())),
            phone: Set(c.phone.clone()),
            title: Set(c.title.clone()),
            is_primary: Set(c.is_primary),
        })
    }

    fn scoped(select: Select<Entity>, client: ClientId) -> Select<Entity> {
        select.filter(Column::ClientId.eq(client.0))
    }

    /// `interactions.contact_id` has no foreign key: unlink them here, one version each.
    async fn before_delete(
        db: &DatabaseTransaction,
        org: OrganizationId,
        id: uuid::Uuid,
    ) -> Result<(), StoreError> {
        use interaction::Column as I;
        interaction::Entity::update_many()
            .col_expr(I::ContactId, Expr::value(Option::<uuid::Uuid>::None))
            .col_expr(I::UpdatedAt, Expr::value(clock::now()))
            .col_expr(I::Version, Expr::col(I::Version).add(1))
            .filter(I::OrganizationId.eq(org.0))
            .filter(I::ContactId.eq(id))
            .exec(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}

#[async_trait]
impl PrimaryContacts for SqlRecords<Entity> {
    async fn clear_primary(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        client: ClientId,
        except: Option<ContactId>,
    ) -> Result<Vec<Contact>, StoreError> {
        let db = sql(tx.as_mut())?;
        let mut primaries = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ClientId.eq(client.0))
            .filter(Column::IsPrimary.eq(true));
        if let Some(keep) = except {
            primaries = primaries.filter(Column::Id.ne(keep.0));
        }
        let rows = primaries
            .order_by_asc(Column::Id)
            .lock_exclusive()
            .all(db)
            .await
            .map_err(store_err)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
        Entity::update_many()
            .col_expr(Column::IsPrimary, Expr::value(false))
            .col_expr(Column::UpdatedAt, Expr::value(clock::now()))
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.is_in(ids))
            .exec(db)
            .await
            .map_err(store_err)?;
        rows.into_iter().map(Contact::try_from).collect()
    }
}
