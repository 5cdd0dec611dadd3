//! A client's summary and timeline, computed in SQL: `GROUP BY` for the figures, one
//! keyset-paginated `UNION ALL` over interactions, deals, quotations and audit entries (of the
//! client and of its deals and quotations) for the timeline.

use super::{count, count_star, get, sum_i64};
use crate::clients::interaction_repo as interaction;
use crate::entities::{activity, quotation};
use crate::error::store_err;
use crate::keyset::to_value;
use crate::sales::deals as deal;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::clients::ClientId;
use crm_domain::kernel::pagination::{FieldValue, FilterOp, ListQuery, Page, SortDir};
use crm_domain::{OrganizationId, StoreError};
use crm_sales::deals::DealStatus;
use crm_sales::quotations::QuotationStatus;
use crm_sales::tracking::{
    ClientFigures, ClientTrackingRepository, DealFigure, TimelineItem, TimelineKind, TrackingScope,
    Visibility,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

#[derive(Clone)]
pub struct SqlClientTrackingRepository {
    db: DatabaseConnection,
}

impl SqlClientTrackingRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The owner condition a visibility puts on `owner_col`; `None` when nothing is visible.
fn visible<C: ColumnTrait>(v: Visibility, owner_col: C) -> Option<Condition> {
    match v {
        Visibility::Hidden => None,
        Visibility::All => Some(Condition::all()),
        Visibility::Own(u) => Some(Condition::all().add(owner_col.eq(u.0))),
    }
}

/// The projects `v` lets the caller see: all, or under `:own` those they manage or belong to.
fn project_visible(v: Visibility) -> Option<Condition> {
    use crate::projects::{ProjectColumn as P, project_members as m};
    match v {
        Visibility::Hidden => None,
        Visibility::All => Some(Condition::all()),
        Visibility::Own(u) => Some(
            Condition::any().add(P::OwnerId.eq(u.0)).add(
                P::Id.in_subquery(
                    Query::select()
                        .column(m::Column::ProjectId)
                        .from(m::Entity)
                        .and_where(m::Column::UserId.eq(u.0))
                        .to_owned(),
                ),
            ),
        ),
    }
}

/// A quotation's status as read on `today`: sent and past `valid_until` is `expired`.
fn quotation_status(today: NaiveDate) -> Expr {
    Expr::case(
        Condition::all()
            .add(quotation::Column::Status.eq(QuotationStatus::Sent.as_str()))
            .add(quotation::Column::ValidUntil.lt(today)),
        Expr::val(QuotationStatus::Expired.as_str()),
    )
    .finally(Expr::col(quotation::Column::Status))
    .into()
}

/// The timeline's columns, in order. `subject_type` / `subject_id` name the record an entry is
/// about: the row itself, or for an audit entry the client, deal or quotation it records.
const COLUMNS: [&str; 10] = [
    "kind",
    "id",
    "occurred_at",
    "title",
    "sub",
    "amount",
    "currency",
    "actor_id",
    "subject_type",
    "subject_id",
];

/// One branch of the timeline's `UNION ALL`: the ten columns from `table`.
#[allow(clippy::too_many_arguments)]
fn branch<T: sea_orm::sea_query::IntoTableRef>(
    kind: TimelineKind,
    table: T,
    id: Expr,
    occurred_at: Expr,
    title: Expr,
    sub: Expr,
    amount: Expr,
    currency: Expr,
    actor: Expr,
    subject: (Expr, Expr),
    cond: Condition,
) -> SelectStatement {
    Query::select()
        .expr_as(Expr::val(kind.as_str()), "kind")
        .expr_as(id, "id")
        .expr_as(occurred_at, "occurred_at")
        .expr_as(title, "title")
        .expr_as(sub, "sub")
        .expr_as(amount, "amount")
        .expr_as(currency, "currency")
        .expr_as(actor, "actor_id")
        .expr_as(subject.0, "subject_type")
        .expr_as(subject.1, "subject_id")
        .from(table)
        .cond_where(cond)
        .to_owned()
}

/// The branch's own row as its subject.
fn itself(kind: TimelineKind, id: Expr) -> (Expr, Expr) {
    (Expr::val(kind.as_str()), id)
}

/// The audit entries of the client's `entity_type` records (given by their `(id,
/// organization_id, client_id, owner_id)` columns) that `v` lets the caller see; `None` when
/// it hides them all.
fn activities_of_client_records<C>(
    org: OrganizationId,
    client: ClientId,
    entity_type: &str,
    v: Visibility,
    (id, org_col, client_col, owner_col): (C, C, C, C),
) -> Option<SelectStatement>
where
    C: ColumnTrait + sea_orm::IdenStatic,
{
    let own = visible(v, owner_col)?;
    let ids = Query::select()
        .column(id)
        .from(id.entity_name())
        .cond_where(
            Condition::all()
                .add(org_col.eq(org.0))
                .add(client_col.eq(client.0))
                .add(own),
        )
        .to_owned();
    Some(activities_of(org, entity_type, |c| c.in_subquery(ids)))
}

/// The audit entries of the `entity_type` records that `which` picks by `entity_id`.
fn activities_of(
    org: OrganizationId,
    entity_type: &str,
    which: impl FnOnce(activity::Column) -> sea_orm::sea_query::SimpleExpr,
) -> SelectStatement {
    use activity::Column as C;
    branch(
        TimelineKind::Activity,
        activity::Entity,
        Expr::col(C::Id),
        Expr::col(C::CreatedAt),
        Expr::col(C::Action),
        Expr::col(C::Action),
        no_amount(),
        no_text(),
        Expr::col(C::ActorId),
        (Expr::col(C::EntityType), Expr::col(C::EntityId)),
        Condition::all()
            .add(C::OrganizationId.eq(org.0))
            .add(C::EntityType.eq(entity_type))
            .add(which(C::EntityId)),
    )
}

fn no_amount() -> Expr {
    Expr::val(Option::<i64>::None)
}

fn no_text() -> Expr {
    Expr::val(Option::<String>::None)
}

/// The branches the caller may see, narrowed to `kinds` when the query filters by kind.
fn branches(
    org: OrganizationId,
    client: ClientId,
    scope: &TrackingScope,
    kinds: &[TimelineKind],
    today: NaiveDate,
) -> Vec<SelectStatement> {
    let wanted = |k: TimelineKind| kinds.is_empty() || kinds.contains(&k);
    let mut out = Vec::new();
    if scope.interactions && wanted(TimelineKind::Interaction) {
        use interaction::Column as C;
        out.push(branch(
            TimelineKind::Interaction,
            interaction::Entity,
            Expr::col(C::Id),
            Expr::col(C::OccurredAt),
            Expr::col(C::Summary),
            Expr::col(C::Kind),
            no_amount(),
            no_text(),
            Expr::col(C::OwnerId),
            itself(TimelineKind::Interaction, Expr::col(C::Id)),
            Condition::all()
                .add(C::OrganizationId.eq(org.0))
                .add(C::ClientId.eq(client.0)),
        ));
    }
    if wanted(TimelineKind::Deal)
        && let Some(own) = visible(scope.deals, deal::Column::OwnerId)
    {
        use deal::Column as C;
        out.push(branch(
            TimelineKind::Deal,
            deal::Entity,
            Expr::col(C::Id),
            Expr::col(C::CreatedAt),
            Expr::col(C::Title),
            Expr::col(C::Status),
            Expr::col(C::Amount),
            Expr::col(C::Currency),
            Expr::col(C::OwnerId),
            itself(TimelineKind::Deal, Expr::col(C::Id)),
            Condition::all()
                .add(C::OrganizationId.eq(org.0))
                .add(C::ClientId.eq(client.0))
                .add(own),
        ));
    }
    if wanted(TimelineKind::Quotation)
        && let Some(own) = visible(scope.quotations, quotation::Column::OwnerId)
    {
        use quotation::Column as C;
        out.push(branch(
            TimelineKind::Quotation,
            quotation::Entity,
            Expr::col(C::Id),
            Expr::col(C::CreatedAt),
            Expr::col(C::Number),
            quotation_status(today),
            Expr::col(C::Total),
            Expr::col(C::Currency),
            Expr::col(C::OwnerId),
            itself(TimelineKind::Quotation, Expr::col(C::Id)),
            Condition::all()
                .add(C::OrganizationId.eq(org.0))
                .add(C::ClientId.eq(client.0))
                .add(own),
        ));
    }
    if scope.invoices && wanted(TimelineKind::Invoice) {
        use crate::finance::invoice_entity::{Column as C, Entity};
        let number = Func::coalesce([Expr::col(C::Number), Expr::val("draft")]);
        out.push(branch(
            TimelineKind::Invoice,
            Entity,
            Expr::col(C::Id),
            Expr::col(C::CreatedAt),
            number.into(),
            Expr::col(C::Status),
            Expr::col(C::Total),
            Expr::col(C::Currency),
            Expr::col(C::CreatedBy),
            itself(TimelineKind::Invoice, Expr::col(C::Id)),
            Condition::all()
                .add(C::OrganizationId.eq(org.0))
                .add(C::ClientId.eq(client.0)),
        ));
    }
    if scope.payments && wanted(TimelineKind::Payment) {
        use crate::finance::payment_entity::{Column as C, Entity};
        let title = Func::coalesce([Expr::col(C::Reference), Expr::col(C::Method)]);
        out.push(branch(
            TimelineKind::Payment,
            Entity,
            Expr::col(C::Id),
            Expr::col(C::CreatedAt),
            title.into(),
            Expr::col(C::Method),
            Expr::col(C::Amount),
            Expr::col(C::Currency),
            Expr::col(C::CreatedBy),
            itself(TimelineKind::Payment, Expr::col(C::Id)),
            Condition::all()
                .add(C::OrganizationId.eq(org.0))
                .add(C::ClientId.eq(client.0)),
        ));
    }
    if scope.credit_notes && wanted(TimelineKind::CreditNote) {
        use crate::finance::credit_note_entity::{Column as C, Entity};
        out.push(branch(
            TimelineKind::CreditNote,
            Entity,
            Expr::col(C::Id),
            Expr::col(C::CreatedAt),
            Expr::col(C::Number),
            Expr::col(C::Number),
            Expr::col(C::Total),
            Expr::col(C::Currency),
            Expr::col(C::CreatedBy),
            itself(TimelineKind::CreditNote, Expr::col(C::Id)),
            Condition::all()
                .add(C::OrganizationId.eq(org.0))
                .add(C::ClientId.eq(client.0)),
        ));
    }
    if wanted(TimelineKind::Project)
        && let Some(own) = project_visible(scope.projects)
    {
        use crate::projects::{ProjectColumn as C, ProjectEntity};
        out.push(branch(
            TimelineKind::Project,
            ProjectEntity,
            Expr::col(C::Id),
            Expr::col(C::CreatedAt),
            Expr::col(C::Name),
            Expr::col(C::Status),
            Expr::col(C::BudgetAmount),
            Expr::col(C::BudgetCurrency),
            Expr::col(C::OwnerId),
            itself(TimelineKind::Project, Expr::col(C::Id)),
            Condition::all()
                .add(C::OrganizationId.eq(org.0))
                .add(C::ClientId.eq(client.0))
                .add(own),
        ));
    }
    if scope.activities && wanted(TimelineKind::Activity) {
        out.push(activities_of(org, "client", |c| c.eq(client.0)));
        // The audit entries of the client's deals and quotations the caller may see (served
        // by `ix_activities_org_entity`, the ids by `ix_deals_org_client` and
        // `ix_quotations_org_client`).
        use {deal::Column as D, quotation::Column as Q};
        let deals = (D::Id, D::OrganizationId, D::ClientId, D::OwnerId);
        out.extend(activities_of_client_records(
            org,
            client,
            "deal",
            scope.deals,
            deals,
        ));
        let quotations = (Q::Id, Q::OrganizationId, Q::ClientId, Q::OwnerId);
        out.extend(activities_of_client_records(
            org,
            client,
            "quotation",
            scope.quotations,
            quotations,
        ));
        if let Some(own) = project_visible(scope.projects) {
            use crate::projects::{ProjectColumn as P, ProjectEntity};
            let ids = Query::select()
                .column(P::Id)
                .from(ProjectEntity)
                .cond_where(
                    Condition::all()
                        .add(P::OrganizationId.eq(org.0))
                        .add(P::ClientId.eq(client.0))
                        .add(own),
                )
                .to_owned();
            out.push(activities_of(org, "project", |c| c.in_subquery(ids)));
        }
    }
    out
}

fn item(r: &sea_orm::QueryResult) -> Result<TimelineItem, StoreError> {
    let kind: String = get(r, "kind")?;
    let kind = kind
        .parse::<TimelineKind>()
        .ok()
        .ok_or_else(|| StoreError::Unexpected(format!("timeline kind {kind}")))?;
    let sub: String = get(r, "sub")?;
    let amount: Option<i64> = get(r, "amount")?;
    let currency: Option<String> = get(r, "currency")?;
    let actor: Option<Uuid> = get(r, "actor_id")?;
    let data = match kind {
        TimelineKind::Interaction => json!({ "kind": sub, "owner_id": actor }),
        TimelineKind::Deal => {
            json!({ "status": sub, "amount": amount, "currency": currency, "owner_id": actor })
        }
        TimelineKind::Quotation => {
            json!({ "status": sub, "total": amount, "currency": currency, "owner_id": actor })
        }
        TimelineKind::Invoice => {
            json!({ "status": sub, "total": amount, "currency": currency, "created_by": actor })
        }
        TimelineKind::Payment => {
            json!({ "method": sub, "amount": amount, "currency": currency, "created_by": actor })
        }
        TimelineKind::CreditNote => {
            json!({ "total": amount, "currency": currency, "created_by": actor })
        }
        TimelineKind::Project => json!({
            "status": sub,
            "budget_amount": amount,
            "budget_currency": currency,
            "owner_id": actor,
        }),
        TimelineKind::Activity => json!({
            "action": sub,
            "actor_id": actor,
            "entity_type": get::<String>(r, "subject_type")?,
            "entity_id": get::<Uuid>(r, "subject_id")?,
        }),
    };
    Ok(TimelineItem {
        kind,
        id: get(r, "id")?,
        occurred_at: get::<DateTime<Utc>>(r, "occurred_at")?,
        title: get(r, "title")?,
        data,
    })
}

#[async_trait]
impl ClientTrackingRepository for SqlClientTrackingRepository {
    async fn summary(
        &self,
        org: OrganizationId,
        client: ClientId,
        scope: &TrackingScope,
        today: NaiveDate,
    ) -> Result<ClientFigures, StoreError> {
        let backend = self.db.get_database_backend();
        let mut figures = ClientFigures::default();

        if let Some(own) = visible(scope.deals, deal::Column::OwnerId) {
            let q = Query::select()
                .column(deal::Column::Status)
                .column(deal::Column::Currency)
                .expr_as(count_star(), "n")
                .expr_as(sum_i64(backend, Expr::col(deal::Column::Amount)), "amount")
                .from(deal::Entity)
                .cond_where(
                    Condition::all()
                        .add(deal::Column::OrganizationId.eq(org.0))
                        .add(deal::Column::ClientId.eq(client.0))
                        .add(own),
                )
                .group_by_col(deal::Column::Status)
                .group_by_col(deal::Column::Currency)
                .to_owned();
            for r in self.db.query_all(&q).await.map_err(store_err)? {
                let status: String = get(&r, "status")?;
                let code: String = get(&r, "currency")?;
                let Some(status) = status.parse::<DealStatus>().ok() else {
                    return Err(StoreError::Unexpected(format!("deal status {status}")));
                };
                figures.deals.push(DealFigure {
                    status,
                    currency: super::currency(&code, "deals", client)?,
                    count: count(get(&r, "n")?),
                    amount: get(&r, "amount")?,
                });
            }
        }

        if scope.interactions {
            figures.last_interaction_at = interaction::Entity::find()
                .select_only()
                .column(interaction::Column::OccurredAt)
                .filter(interaction::Column::OrganizationId.eq(org.0))
                .filter(interaction::Column::ClientId.eq(client.0))
                .order_by_desc(interaction::Column::OccurredAt)
                .limit(1)
                .into_tuple::<DateTime<Utc>>()
                .one(&self.db)
                .await
                .map_err(store_err)?;
        }

        if let Some(own) = visible(scope.quotations, quotation::Column::OwnerId) {
            // Per stored status: how many, and how many of them are past valid_until (a sent
            // one past it reads as expired).
            let past = Expr::case(quotation::Column::ValidUntil.lt(today), Expr::val(1))
                .finally(Expr::val(0));
            let q = Query::select()
                .column(quotation::Column::Status)
                .expr_as(count_star(), "n")
                .expr_as(sum_i64(backend, past.into()), "past")
                .from(quotation::Entity)
                .cond_where(
                    Condition::all()
                        .add(quotation::Column::OrganizationId.eq(org.0))
                        .add(quotation::Column::ClientId.eq(client.0))
                        .add(own),
                )
                .group_by_col(quotation::Column::Status)
                .to_owned();
            for r in self.db.query_all(&q).await.map_err(store_err)? {
                let raw: String = get(&r, "status")?;
                let status = raw
                    .parse::<QuotationStatus>()
                    .ok()
                    .ok_or_else(|| StoreError::Unexpected(format!("quotation status {raw}")))?;
                let n = count(get(&r, "n")?);
                let past = Ord::min(count(get(&r, "past")?), n);
                if status == QuotationStatus::Sent {
                    figures.quotations.push((QuotationStatus::Sent, n - past));
                    figures.quotations.push((QuotationStatus::Expired, past));
                } else {
                    figures.quotations.push((status, n));
                }
            }
        }
        Ok(figures)
    }

    async fn timeline(
        &self,
        org: OrganizationId,
        client: ClientId,
        scope: &TrackingScope,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Page<TimelineItem>, StoreError> {
        // Filters: `kind` chooses branches; `occurred_at` ranges apply to the union.
        let mut kinds = Vec::new();
        let mut outer = Condition::all();
        let at = || Expr::col("occurred_at");
        for f in &query.filters {
            match (f.field, f.op, &f.value) {
                ("kind", FilterOp::Eq, FieldValue::Text(k)) => match k.parse::<TimelineKind>().ok()
                {
                    Some(k) => kinds.push(k),
                    None => {
                        return Ok(Page {
                            data: vec![],
                            next_cursor: None,
                            total: query.count.then_some(0),
                        });
                    }
                },
                ("occurred_at", FilterOp::Gte, v) => outer = outer.add(at().gte(to_value(v))),
                ("occurred_at", FilterOp::Lte, v) => outer = outer.add(at().lte(to_value(v))),
                (field, _, _) => {
                    return Err(StoreError::Unexpected(format!(
                        "timeline filter {field} unsupported"
                    )));
                }
            }
        }
        let mut parts = branches(org, client, scope, &kinds, today).into_iter();
        let Some(mut union) = parts.next() else {
            return Ok(Page {
                data: vec![],
                next_cursor: None,
                total: query.count.then_some(0),
            });
        };
        for p in parts {
            union.union(UnionType::All, p);
        }

        let total = if query.count {
            let q = Query::select()
                .expr_as(count_star(), "n")
                .from_subquery(union.clone(), "t")
                .cond_where(outer.clone())
                .to_owned();
            let n: i64 = match self.db.query_one(&q).await.map_err(store_err)? {
                Some(r) => get(&r, "n")?,
                None => 0,
            };
            Some(count(n))
        } else {
            None
        };

        let dir = query.sort.first().map(|k| k.dir).unwrap_or(SortDir::Desc);
        let mut cond = outer;
        if let Some(c) = &query.cursor {
            let (t, id) = (
                c.keys
                    .first()
                    .map(to_value)
                    .unwrap_or(sea_orm::Value::String(None)),
                c.id,
            );
            let id_col = || Expr::col("id");
            cond = cond.add(match dir {
                SortDir::Desc => Condition::any()
                    .add(at().lt(t.clone()))
                    .add(Condition::all().add(at().eq(t)).add(id_col().lt(id))),
                SortDir::Asc => Condition::any()
                    .add(at().gt(t.clone()))
                    .add(Condition::all().add(at().eq(t)).add(id_col().gt(id))),
            });
        }
        let order = match dir {
            SortDir::Desc => Order::Desc,
            SortDir::Asc => Order::Asc,
        };
        let limit = u64::from(query.limit.get());
        let mut q = Query::select();
        for c in COLUMNS {
            q.column(c);
        }
        q.from_subquery(union, "t")
            .cond_where(cond)
            .order_by("occurred_at", order.clone())
            .order_by("id", order)
            .limit(limit + 1);
        let rows = self.db.query_all(&q).await.map_err(store_err)?;
        let mut data = rows.iter().map(item).collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if data.len() as u64 > limit {
            data.truncate(limit as usize);
            data.last().map(|last| {
                query.cursor_after(vec![FieldValue::Timestamp(last.occurred_at)], last.id)
            })
        } else {
            None
        };
        Ok(Page {
            data,
            next_cursor,
            total,
        })
    }
}
