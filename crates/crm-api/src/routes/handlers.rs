//! The handlers of a record's plain operations, one line each under the `#[utoipa::path]`
//! (and doc) written for it, for every module whose domain types are its response bodies
//! (sales, finance): `service` is the `state.<module>.<service>` path, `id` the record's id
//! type, `location` the collection a created record's `Location` is under.
//!
//! - `list name(Permission, SPEC)`: one page;
//! - `create name(Permission, Input)`: `201` with `Location` and `ETag`;
//! - `get name(Permission)`, `update name(Permission, Patch)`: the record with its `ETag`;
//! - `delete name(Permission)`: `204`;
//! - `change name(Permission, method)`: a state change (`If-Match`, no body), the record
//!   with its `ETag`.
macro_rules! handlers {
    (service: $module:ident . $svc:ident, id: $id:ident, location: $loc:literal;
     $($(#[$m:meta])* $kind:ident $name:ident ($($arg:tt)*);)*) => {
        $($crate::routes::handlers::handlers!(@one $module $svc $id $loc [$(#[$m])*] $kind $name ($($arg)*));)*
    };
    (@one $module:ident $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] list $name:ident ($p:ty, $spec:expr)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            query: web::Query<Vec<(String, String)>>,
        ) -> Result<HttpResponse, ApiError> {
            let q = crm_domain::ListQuery::parse(&$spec, &query).map_err(ApiError::validation)?;
            let page = state.$module.$svc.list(&auth.actor, &q).await?;
            Ok(HttpResponse::Ok().json(PageDto::from_page(page, |r| r)))
        }
    };
    (@one $module:ident $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] create $name:ident ($p:ty, $input:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            body: Body<$input>,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.$module.$svc.create(&auth.actor, body.parse()?).await?;
            Ok(created(format!("{}/{}", $loc, r.id), r.version, &r))
        }
    };
    (@one $module:ident $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] get $name:ident ($p:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.$module.$svc.get(&auth.actor, $id(*id)).await?;
            Ok(ok_etag(r.version, &r))
        }
    };
    (@one $module:ident $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] update $name:ident ($p:ty, $patch:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            if_match: IfMatch,
            body: Body<$patch>,
        ) -> Result<HttpResponse, ApiError> {
            let patch = body.parse()?;
            let r = state.$module.$svc.update(&auth.actor, $id(*id), if_match.0, patch).await?;
            Ok(ok_etag(r.version, &r))
        }
    };
    (@one $module:ident $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] delete $name:ident ($p:ty)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            state.$module.$svc.delete(&auth.actor, $id(*id)).await?;
            Ok(no_content())
        }
    };
    (@one $module:ident $svc:ident $id:ident $loc:literal [$(#[$m:meta])*] change $name:ident ($p:ty, $method:ident)) => {
        $(#[$m])*
        pub async fn $name(
            auth: Auth<$p>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            if_match: IfMatch,
        ) -> Result<HttpResponse, ApiError> {
            let r = state.$module.$svc.$method(&auth.actor, $id(*id), if_match.0).await?;
            Ok(ok_etag(r.version, &r))
        }
    };
}
pub(crate) use handlers;
