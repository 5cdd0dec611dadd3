//! `/clients` with sub-clients, contacts and interactions: the clients module's routes and
//! their OpenAPI operations. Handlers answer the domain records themselves.

#[allow(clippy::module_inception)] // `routes::clients::clients`: the module and its main resource
mod clients;
mod contacts;
mod interactions;

use crate::access::Routes;
use crate::export::list_of;
use crate::problem::ApiError;
use crate::routes::perms;
use actix_web::web;
use crm_domain::ListQuery;
use crm_domain::kernel::pagination::ListSpec;

type Query = web::Query<Vec<(String, String)>>;

fn parse(spec: &ListSpec, q: &Query) -> Result<ListQuery, ApiError> {
    ListQuery::parse(spec, q).map_err(ApiError::validation)
}

/// The module's routes, in the order they are matched.
pub fn routes(r: Routes) -> Routes {
    r.get("/clients", clients::list)
        .export::<perms::ClientsRead, _>(
            "/clients/export",
            "clients",
            &crm_domain::clients::CLIENT_LIST_SPEC,
            list_of!(clients.clients),
        )
        .post("/clients", clients::create)
        .get("/clients/{id}", clients::get)
        .patch("/clients/{id}", clients::update)
        .delete("/clients/{id}", clients::delete)
        .get("/clients/{id}/sub-clients", clients::sub_clients)
        .get("/clients/{id}/contacts", contacts::list_contacts)
        .export::<perms::ClientsRead, _>(
            "/clients/{id}/contacts/export",
            "contacts",
            &crm_domain::clients::CONTACT_LIST_SPEC,
            |c, q| {
                Box::pin(async move {
                    let client = crm_domain::clients::ClientId(c.parent()?);
                    c.state.clients.contacts.list(&c.actor, client, q).await
                })
            },
        )
        .post("/clients/{id}/contacts", contacts::create_contact)
        // Every contact of the organization, whatever its client (contract section 10).
        .export::<perms::ClientsRead, _>(
            "/contacts/export",
            "contacts",
            &crm_domain::clients::ALL_CONTACTS_LIST_SPEC,
            |c, q| Box::pin(c.state.clients.contacts.list_all(&c.actor, q)),
        )
        .get("/clients/{id}/contacts/{contact_id}", contacts::get_contact)
        .patch(
            "/clients/{id}/contacts/{contact_id}",
            contacts::update_contact,
        )
        .delete(
            "/clients/{id}/contacts/{contact_id}",
            contacts::delete_contact,
        )
        .get(
            "/clients/{id}/interactions",
            interactions::list_interactions,
        )
        .post(
            "/clients/{id}/interactions",
            interactions::create_interaction,
        )
        .get(
            "/clients/{id}/interactions/{interaction_id}",
            interactions::get_interaction,
        )
        .patch(
            "/clients/{id}/interactions/{interaction_id}",
            interactions::update_interaction,
        )
        .delete(
            "/clients/{id}/interactions/{interaction_id}",
            interactions::delete_interaction,
        )
}

/// The module's operations, nested under `/api/v1` by [`crate::openapi::ApiDoc`].
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    clients::list,
    clients::create,
    clients::get,
    clients::update,
    clients::delete,
    clients::sub_clients,
    contacts::list_contacts,
    contacts::create_contact,
    contacts::get_contact,
    contacts::update_contact,
    contacts::delete_contact,
    contacts::export_all_contacts,
    interactions::list_interactions,
    interactions::create_interaction,
    interactions::get_interaction,
    interactions::update_interaction,
    interactions::delete_interaction,
))]
pub struct Api;

/// The five handlers of a record that belongs to a client (`/clients/{id}/<records>` and
/// `/clients/{id}/<records>/{<record>_id}`): contacts and interactions. A create answers
/// `404` for a client the caller cannot reach before it looks at the body.
macro_rules! client_records {
    (
        service: $svc:ident, handlers: [$list:ident, $create:ident, $get:ident, $update:ident, $delete:ident],
        id: $id:ident, record: $rec:ty, input: $input:ty, patch: $patch:ty,
        spec: $spec:expr, search: $search:literal,
        collection: $coll:tt, item: $item:tt, item_id: $item_id:tt,
        create_doc: $create_doc:tt, what: $what:tt, got: $got:tt, updated: $updated:tt,
    ) => {
        use crate::access::Auth;
        use crate::app::AppState;
        use crate::http::{Body, IfMatch, created, no_content, ok_etag};
        use crate::problem::ApiError;
        use crate::routes::dto::PageDto;
        use crate::routes::perms::{ClientsDelete, ClientsRead, ClientsWrite};
        use actix_web::{HttpResponse, web};
        use crm_domain::clients::ClientId;
        use uuid::Uuid;

        crate::list_params::list_params! {
            /// The query parameters of the list.
            ListParams = $spec, search = $search;
        }

        #[utoipa::path(get, path = $coll, tag = "clients",
            params(("id" = Uuid, Path), ListParams),
            responses((status = 200, description = "One page", body = PageDto<$rec>)))]
        pub async fn $list(
            auth: Auth<ClientsRead>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            query: super::Query,
        ) -> Result<HttpResponse, ApiError> {
            let q = super::parse(&$spec, &query)?;
            let page = state.clients.$svc.list(&auth.actor, ClientId(*id), &q).await?;
            Ok(HttpResponse::Ok().json(PageDto::from_page(page, |r| r)))
        }

        #[doc = $create_doc]
        #[utoipa::path(post, path = $coll, tag = "clients", request_body = $input,
            params(("id" = Uuid, Path)),
            responses((status = 201, description = "Created", body = $rec)))]
        pub async fn $create(
            auth: Auth<ClientsWrite>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            body: Body<$input>,
        ) -> Result<HttpResponse, ApiError> {
            let client = ClientId(*id);
            // The client before the body: another organization's client answers 404 whatever
            // the body holds, even a body that does not parse (which `Body` reports here).
            state.clients.clients.get(&auth.actor, client).await?;
            let r = state.clients.$svc.create(&auth.actor, client, body.parse()?).await?;
            let location = format!("/api/v1/clients/{}/{}/{}", r.client_id, $what, r.id);
            Ok(created(location, r.version, &r))
        }

        #[utoipa::path(get, path = $item, tag = "clients",
            params(("id" = Uuid, Path), ($item_id = Uuid, Path)),
            responses((status = 200, description = $got, body = $rec)))]
        pub async fn $get(
            auth: Auth<ClientsRead>,
            state: web::Data<AppState>,
            path: web::Path<(Uuid, Uuid)>,
        ) -> Result<HttpResponse, ApiError> {
            let (client, id) = path.into_inner();
            let r = state.clients.$svc.get(&auth.actor, ClientId(client), $id(id)).await?;
            Ok(ok_etag(r.version, &r))
        }

        #[utoipa::path(patch, path = $item, tag = "clients", request_body = $patch,
            params(("id" = Uuid, Path), ($item_id = Uuid, Path), ("If-Match" = Option<String>, Header)),
            responses((status = 200, description = $updated, body = $rec)))]
        pub async fn $update(
            auth: Auth<ClientsWrite>,
            state: web::Data<AppState>,
            path: web::Path<(Uuid, Uuid)>,
            if_match: IfMatch,
            body: Body<$patch>,
        ) -> Result<HttpResponse, ApiError> {
            let (client, id) = path.into_inner();
            let (actor, client, id) = (&auth.actor, ClientId(client), $id(id));
            let r = state.clients.$svc.update(actor, client, id, if_match.0, body.parse()?).await?;
            Ok(ok_etag(r.version, &r))
        }

        #[utoipa::path(delete, path = $item, tag = "clients",
            params(("id" = Uuid, Path), ($item_id = Uuid, Path)),
            responses((status = 204, description = "Deleted")))]
        pub async fn $delete(
            auth: Auth<ClientsDelete>,
            state: web::Data<AppState>,
            path: web::Path<(Uuid, Uuid)>,
        ) -> Result<HttpResponse, ApiError> {
            let (client, id) = path.into_inner();
            state.clients.$svc.delete(&auth.actor, ClientId(client), $id(id)).await?;
            Ok(no_content())
        }
    };
}
use client_records;
