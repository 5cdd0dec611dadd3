//! `GET /clients/{id}/summary` and `GET /clients/{id}/timeline`.

use super::model::{ClientSummary, OpenDeals, TimelineItem, TrackingScope, Visibility};
use crate::SalesPorts;
use crate::deals::{DealStatus, MoneyTotal};
use crate::quotations::QuotationStatus;
use crate::requirements::{DealsRead, QuotationsRead};
use crm_domain::clients::ClientId;
use crm_domain::clients::requirements::ClientsRead;
use crm_domain::kernel::pagination::{FieldKind, FieldSpec, ListQuery, ListSpec, Page};
use crm_domain::kernel::scope::{Requirement, require, within};
use crm_domain::{Actor, DomainError, Scope};
use std::collections::BTreeMap;

const TIMELINE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("occurred_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("kind", FieldKind::Text).filter().one_of(&[
        "interaction",
        "deal",
        "quotation",
        "invoice",
        "payment",
        "credit_note",
        "project",
        "activity",
    ]),
];

/// `GET /clients/{id}/timeline`: newest first; filter `kind` (`interaction`, `deal`,
/// `quotation`, `invoice`, `payment`, `credit_note`, `project`, `activity`); range
/// `occurred_at_from/_to`.
pub const TIMELINE_LIST_SPEC: ListSpec = ListSpec {
    fields: TIMELINE_FIELDS,
    default_sort: "-occurred_at",
    searchable: false,
};

fn visibility<P: Requirement>(actor: &Actor) -> Visibility {
    match actor.scope(P::RESOURCE, P::ACTION) {
        Some(Scope::All) => Visibility::All,
        Some(Scope::Own) => Visibility::Own(actor.user_id),
        None => Visibility::Hidden,
    }
}

fn sorted(mut totals: Vec<MoneyTotal>) -> Vec<MoneyTotal> {
    totals.sort_by(|a, b| a.currency.code().cmp(b.currency.code()));
    totals
}

/// A client's summary and timeline.
#[derive(Clone)]
pub struct TrackingService {
    p: SalesPorts,
}

impl TrackingService {
    pub fn new(ports: SalesPorts) -> Self {
        Self { p: ports }
    }

    /// The client (`404` unless the caller may read it) and what the caller may see of its
    /// records: deals and quotations per their `:read` scope, interactions with the client,
    /// audit entries (the client's, and those of the deals and quotations shown) with
    /// `activities:read`.
    async fn scope(
        &self,
        actor: &Actor,
        id: ClientId,
    ) -> Result<(crm_domain::clients::Client, TrackingScope), DomainError> {
        let scope = require::<ClientsRead>(actor)?;
        let client = self.p.clients.get(actor.organization_id, id).await?;
        if !within(actor, scope, client.owner_id) {
            return Err(DomainError::NotFound);
        }
        let ts = TrackingScope {
            interactions: true,
            deals: visibility::<DealsRead>(actor),
            quotations: visibility::<QuotationsRead>(actor),
            activities: actor.can_all("activities", "read"),
            invoices: actor.can_all("invoices", "read"),
            payments: actor.can_all("payments", "read"),
            credit_notes: actor.can_all("credit_notes", "read"),
            projects: match actor.scope("projects", "read") {
                Some(Scope::All) => Visibility::All,
                Some(Scope::Own) => Visibility::Own(actor.user_id),
                None => Visibility::Hidden,
            },
        };
        Ok((client, ts))
    }

    /// Open deal count and value per currency, won value per currency, the last
    /// interaction's time and the number of quotations per status (as of today), computed by
    /// the store. Needs `clients:read` (`:own`: only the caller's clients); deals and
    /// quotations the caller may not read are left out of the figures.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn summary(&self, actor: &Actor, id: ClientId) -> Result<ClientSummary, DomainError> {
        let (client, scope) = self.scope(actor, id).await?;
        let figures = self
            .p
            .tracking
            .summary(actor.organization_id, id, &scope, self.p.today())
            .await?;
        let mut open = OpenDeals::default();
        let mut won_count = 0;
        let mut won = Vec::new();
        for f in figures.deals {
            let total = MoneyTotal {
                currency: f.currency,
                amount: f.amount,
            };
            match f.status {
                DealStatus::Open => {
                    open.count += f.count;
                    open.totals.push(total);
                }
                DealStatus::Won => {
                    won_count += f.count;
                    won.push(total);
                }
                DealStatus::Lost => {}
            }
        }
        open.totals = sorted(open.totals);
        let mut by_status: BTreeMap<QuotationStatus, u64> =
            QuotationStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for (s, n) in figures.quotations {
            *by_status.entry(s).or_default() += n;
        }
        Ok(ClientSummary {
            client_id: id,
            lifecycle: client.lifecycle,
            open_deals: open,
            won_count,
            won_totals: sorted(won),
            last_interaction_at: figures.last_interaction_at,
            quotations_by_status: by_status,
        })
    }

    /// The client's interactions, deals, quotations and audit entries, newest first,
    /// cursor-paginated ([`TIMELINE_LIST_SPEC`]). Needs `clients:read` as [`Self::summary`],
    /// which also decides what it includes. An unknown `kind` filter is `422` (the list spec).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn timeline(
        &self,
        actor: &Actor,
        id: ClientId,
        query: &ListQuery,
    ) -> Result<Page<TimelineItem>, DomainError> {
        let (_, scope) = self.scope(actor, id).await?;
        Ok(self
            .p
            .tracking
            .timeline(actor.organization_id, id, &scope, query, self.p.today())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use crate::tracking::{ClientFigures, DealFigure};
    use crm_domain::{Currency, StoreError, UserId};

    #[tokio::test]
    async fn the_summary_assembles_the_stores_figures() {
        let mut env = Env::new();
        let a = actor(ORG, &["clients:read", "deals:read:own", "quotations:read"]);
        let c = client(ORG, UserId::new());
        let cid = c.id;
        env.clients
            .expect_get()
            .returning(move |_, _| Ok(c.clone()));
        let uid = a.user_id;
        let usd = Currency::parse("USD").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        env.tracking
            .expect_summary()
            .withf(move |o, c, s, _| {
                *o == ORG
                    && *c == cid
                    && s.deals == Visibility::Own(uid)
                    && s.quotations == Visibility::All
                    && !s.activities
            })
            .returning(move |_, _, _, _| {
                Ok(ClientFigures {
                    deals: vec![
                        DealFigure {
                            status: DealStatus::Open,
                            currency: usd,
                            count: 2,
                            amount: 300,
                        },
                        DealFigure {
                            status: DealStatus::Open,
                            currency: eur,
                            count: 1,
                            amount: 50,
                        },
                        DealFigure {
                            status: DealStatus::Won,
                            currency: usd,
                            count: 1,
                            amount: 900,
                        },
                        DealFigure {
                            status: DealStatus::Lost,
                            currency: usd,
                            count: 4,
                            amount: 1,
                        },
                    ],
                    last_interaction_at: None,
                    quotations: vec![(QuotationStatus::Expired, 2)],
                })
            });
        let (ports, _) = env.build();
        let svc = TrackingService::new(ports);
        let s = svc.summary(&a, cid).await.unwrap();
        assert_eq!(s.open_deals.count, 3);
        let codes: Vec<_> = s
            .open_deals
            .totals
            .iter()
            .map(|t| t.currency.code())
            .collect();
        assert_eq!(codes, ["EUR", "USD"]);
        assert_eq!((s.won_count, s.won_totals[0].amount), (1, 900));
        assert_eq!(s.quotations_by_status.len(), 5);
        assert_eq!(s.quotations_by_status[&QuotationStatus::Expired], 2);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["quotations_by_status"]["draft"], 0);
    }

    #[tokio::test]
    async fn clients_outside_the_scope_are_404_and_kinds_are_checked() {
        let mut env = Env::new();
        let own = actor(ORG, &["clients:read:own"]);
        let theirs = client(ORG, UserId::new());
        let tid = theirs.id;
        env.clients.expect_get().returning(move |_, id| {
            if id == tid {
                Ok(theirs.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
        let (ports, _) = env.build();
        let svc = TrackingService::new(ports);
        assert_eq!(svc.summary(&own, tid).await, Err(DomainError::NotFound));
        let all = actor(ORG, &["clients:read"]);
        assert_eq!(
            svc.summary(&all, ClientId::new()).await,
            Err(DomainError::NotFound)
        );
        // An unknown kind never reaches the service: the list spec refuses it.
        let params = vec![("kind".to_string(), "order".to_string())];
        let e = ListQuery::parse(&TIMELINE_LIST_SPEC, &params).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("kind", "invalid")
        );
        assert!(matches!(
            svc.summary(&actor(ORG, &[]), tid).await,
            Err(DomainError::Forbidden { .. })
        ));
    }
}
