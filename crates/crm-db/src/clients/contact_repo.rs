use crate::clients::interaction_repo as interaction;
use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::records::{SqlRecords, Stored};
use crate::rows::touch_where;
use crate::tx::sql;
use async_trait::async_trait;
use crm_domain::clients::{ClientId, Contact, ContactId, ContactRepository};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
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
impl ContactRepository for SqlRecords<Entity> {
    /// Served by `ix_contacts_org_created` (organization, created_at, id) for the default
    /// order, `ix_contacts_org_client_created` under a `client_id` filter; under `:own` the
    /// owner's clients are a subquery on `ix_clients_org_owner`.
    async fn list_in_org(
        &self,
        org: OrganizationId,
        query: &ListQuery,
        owner: Option<UserId>,
    ) -> Result<Page<Contact>, StoreError> {
        use super::client_repo::{Column as C, Entity as Clients};
        use sea_orm::sea_query::Query;
        let mut base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        if let Some(owner) = owner {
            let owned = Query::select()
                .column(C::Id)
                .from(Clients)
                .and_where(C::OrganizationId.eq(org.0))
                .and_where(C::OwnerId.eq(owner.0))
                .to_owned();
            base = base.filter(Column::ClientId.in_subquery(owned));
        }
        keyset::page_as(self.db(), base, query, &Entity::LIST).await
    }

    async fn clear_primary(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        client: ClientId,
        except: Option<ContactId>,
    ) -> Result<Vec<Contact>, StoreError> {
        let db = sql(tx.as_mut())?;
        let mut contact_repo = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::ClientId.eq(client.0))
            .filter(Column::IsPrimary.eq(true));
        if let Some(keep) = except {
            contact_repo = contact_repo.filter(Column::Id.ne(keep.0));
        }
        let rows = contact_repo
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
