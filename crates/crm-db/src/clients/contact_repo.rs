use crate::clients::interaction_repo as interaction;
use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::touch_where;
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::{ClientId, Contact, ContactId, PrimaryContacts};
use crm_domain::{OrganizationId, StoreError, Txn};
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseTransaction, QueryOrder, QuerySelect, UpdateMany};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub is_primary: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::stored::stored_record!(Contact, "contact" {
    id, organization_id, client_id, name, email, phone, title, is_primary, created_at,
    updated_at, version,
});

crate::rows::tenanted!([ClientId, CreatedAt]);

impl Stored for Entity {
    type Record = Contact;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Name, Column::Email, Column::Phone]);

    fn row(c: &Contact) -> Result<ActiveModel, StoreError> {
        to_row(c)
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
        let unlink = |u: UpdateMany<_>| u.col_expr(I::ContactId, Expr::value(None::<uuid::Uuid>));
        touch_where::<interaction::Entity>(db, org, I::ContactId.eq(id), unlink).await
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
        if !rows.is_empty() {
            let ids = rows.iter().map(|r| r.id);
            let clear = |u: UpdateMany<_>| u.col_expr(Column::IsPrimary, Expr::value(false));
            touch_where::<Entity>(db, org, Column::Id.is_in(ids), clear).await?;
        }
        rows.into_iter().map(Contact::try_from).collect()
    }
}
