//! Access declarations: every handler states who may call it in its first argument, and routes
//! can only be registered through [`Routes`], which refuses (at compile time) a handler whose
//! first argument is not an access declaration. So no route can exist without a declared rule.
//!
//! - [`Public`]: anyone (health, sign-up, login…);
//! - [`SignedIn`]: any authenticated caller (e.g. `GET /auth/me`);
//! - [`Auth<P>`]: a caller holding permission `P` in its all-records or `:own` form; the
//!   service narrows `:own` callers to their own records (`404` for others).

use crate::auth::Authenticated;
use crate::problem::ApiError;
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpRequest, Resource, Responder, web};
use crm_domain::identity::FamilyId;
use crm_domain::{Actor, DomainError, Scope};
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    SignedIn,
    Permission {
        resource: &'static str,
        action: &'static str,
    },
}

impl Access {
    pub fn describe(&self) -> String {
        match self {
            Access::Public => "public".into(),
            Access::SignedIn => "any signed-in user".into(),
            Access::Permission { resource, action } => format!("{resource}:{action}"),
        }
    }
}

/// A permission a route requires, as a type so it can sit in a handler's signature; the
/// domain crate that owns the resource declares it.
pub use crm_domain::kernel::scope::Requirement;

/// An access declaration usable as a handler's first argument.
pub trait Declared: FromRequest {
    fn access() -> Access;
}

/// Anyone may call the route.
pub struct Public;

impl FromRequest for Public {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Public))
    }
}

impl Declared for Public {
    fn access() -> Access {
        Access::Public
    }
}

/// Any authenticated caller, with its sign-in session.
pub struct SignedIn {
    pub actor: Actor,
    pub session: Option<FamilyId>,
}

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Authenticated::from_request(req, payload);
        Box::pin(async move {
            let a = fut.await?;
            Ok(SignedIn {
                actor: a.actor,
                session: a.session,
            })
        })
    }
}

impl Declared for SignedIn {
    fn access() -> Access {
        Access::SignedIn
    }
}

/// A caller holding `P` (all records or `:own`).
pub struct Auth<P: Requirement> {
    pub actor: Actor,
    pub scope: Scope,
    _p: PhantomData<P>,
}

impl<P: Requirement> FromRequest for Auth<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Authenticated::from_request(req, payload);
        Box::pin(async move {
            let actor = fut.await?.actor;
            match actor.scope(P::RESOURCE, P::ACTION) {
                Some(scope) => Ok(Auth {
                    actor,
                    scope,
                    _p: PhantomData,
                }),
                None => Err(DomainError::forbidden(format!(
                    "{}:{} is required",
                    P::RESOURCE,
                    P::ACTION
                ))
                .into()),
            }
        })
    }
}

impl<P: Requirement> Declared for Auth<P> {
    fn access() -> Access {
        Access::Permission {
            resource: P::RESOURCE,
            action: P::ACTION,
        }
    }
}

/// Implemented for handler argument tuples whose first element is an access declaration.
pub trait Guarded {
    fn access() -> Access;
}

macro_rules! guarded_tuples {
    ($( ($($rest:ident),*) ),*) => {
        $(
            impl<A: Declared, $($rest,)*> Guarded for (A, $($rest,)*) {
                fn access() -> Access {
                    A::access()
                }
            }
        )*
    };
}

guarded_tuples!(
    (),
    (B),
    (B, C),
    (B, C, D),
    (B, C, D, E),
    (B, C, D, E, F),
    (B, C, D, E, F, G)
);

/// One registered route, for documentation and for tests that walk every route.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
    pub access: Access,
    /// A CSV export of the list at the path without `/export` (`Routes::export`); its
    /// OpenAPI operation is derived from the list's (`openapi::Exports`).
    pub csv_export: bool,
}

/// Collects routes per path (so a wrong method answers 405 with `Allow`) and records each
/// route's access rule.
#[derive(Default)]
pub struct Routes {
    prefix: String,
    resources: Vec<(String, Resource)>,
    table: Vec<RouteInfo>,
}

impl Routes {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_string(),
            ..Self::default()
        }
    }

    fn add<F, Args>(mut self, method: Method, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.table.push(RouteInfo {
            method: method.clone(),
            path: format!("{}{}", self.prefix, path),
            access: Args::access(),
            csv_export: false,
        });
        let route = web::method(method).to(handler);
        match self.resources.iter_mut().find(|(p, _)| p == path) {
            Some((_, res)) => {
                let r = std::mem::replace(res, web::resource(path));
                *res = r.route(route);
            }
            None => self
                .resources
                .push((path.to_string(), web::resource(path).route(route))),
        }
        self
    }

    pub fn get<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    pub fn post<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    pub fn put<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PUT, path, handler)
    }

    pub fn patch<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PATCH, path, handler)
    }

    pub fn delete<F, Args>(self, path: &str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::DELETE, path, handler)
    }

    /// Marks the route added last as a CSV export (see `crate::export`).
    pub(crate) fn mark_export(mut self) -> Self {
        if let Some(last) = self.table.last_mut() {
            last.csv_export = true;
        }
        self
    }

    /// Registers every resource; returns the route table.
    pub fn register(self, cfg: &mut web::ServiceConfig) -> Vec<RouteInfo> {
        for (_, res) in self.resources {
            cfg.service(res);
        }
        self.table
    }

    pub fn table(&self) -> &[RouteInfo] {
        &self.table
    }
}
