//! Checks of what a body names that every module makes the same way: an owner the caller may
//! assign, a client the caller may see. Each files its refusal in the request's [`Errors`].

use crate::clients::Client;
use crate::clients::ClientId;
use crate::clients::requirements::ClientsRead;
use crate::identity::UserRepository;
use crate::kernel::input::{Errors, not_found};
use crate::kernel::records::Records;
use crate::kernel::scope::{Requirement, within};
use crate::{Actor, DomainError, FieldError, Scope, UserId};

/// Checks the owner of a record the caller writes under `P` with `scope`: under `:own` only
/// the caller itself (`422 not_allowed` on `owner_id`), and always a user of the organization
/// (`422 not_found`).
pub async fn check_owner<P: Requirement>(
    users: &dyn UserRepository,
    actor: &Actor,
    scope: Scope,
    owner: UserId,
    errors: &mut Errors,
) -> Result<(), DomainError> {
    if scope == Scope::Own && owner != actor.user_id {
        errors.push(FieldError::new(
            "owner_id",
            "not_allowed",
            format!(
                "assigning a record to another owner needs the {}:write permission",
                P::RESOURCE
            ),
        ));
    } else if owner != actor.user_id {
        let found = users.get(actor.organization_id, owner).await;
        errors.reference("owner_id", "user", found)?;
    }
    Ok(())
}

/// The client `id` when it is a client of the organization the caller may see (all clients
/// with `clients:read`, its own with `clients:read:own`); `None` after filing `not_found`
/// under `field` otherwise.
pub async fn visible_client(
    clients: &dyn Records<Client>,
    actor: &Actor,
    id: ClientId,
    field: &str,
    errors: &mut Errors,
) -> Result<Option<Client>, DomainError> {
    let Some(scope) = actor.scope(ClientsRead::RESOURCE, ClientsRead::ACTION) else {
        errors.push(not_found(field, "client"));
        return Ok(None);
    };
    let found = clients.get(actor.organization_id, id).await;
    Ok(match errors.reference(field, "client", found)? {
        Some(c) if within(actor, scope, c.owner_id) => Some(c),
        Some(_) => {
            errors.push(not_found(field, "client"));
            None
        }
        None => None,
    })
}
