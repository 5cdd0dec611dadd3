//! `CRM__DATABASE__READ_URL`: a `GET` or `HEAD` request reads its lists from the replica
//! (`crm_db::replica` says which reads go there and why the others do not).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, web};

/// The replica's pool, when one is configured.
#[derive(Clone, Default)]
pub struct ReadReplica(pub Option<crm_db::replica::Replica>);

pub async fn read_replica(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    let replica = safe
        .then(|| req.app_data::<web::Data<ReadReplica>>())
        .flatten()
        .and_then(|r| r.0.clone());
    crm_db::replica::reading_lists_from(replica, next.call(req)).await
}
