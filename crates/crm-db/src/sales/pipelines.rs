use super::{
    children_of, delete_children, delete_row, one, unreferenced, update_at_version, with_children,
};
use crate::entities::pipeline::{self, ActiveModel, Column, Entity};
use crate::entities::pipeline_stage;
use crate::error::store_err;
use crate::keyset::{self, ListColumns};
use crate::rows::{db_version, locked};
use crate::sales::deals as deal;
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::{OrganizationId, StoreError, Txn};
use crm_sales::pipelines::{Pipeline, PipelineId, PipelineRepository, Stage, StageId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Select, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[derive(Clone)]
pub struct SqlPipelineRepository {
    db: DatabaseConnection,
}

impl SqlPipelineRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn assemble(
    m: pipeline::Model,
    stages: Vec<pipeline_stage::Model>,
) -> Result<Pipeline, StoreError> {
    if stages.is_empty() {
        return Err(crate::rows::corrupt("pipelines", m.id, "no stages"));
    }
    let mut stages: Vec<Stage> = stages
        .into_iter()
        .map(|s| Stage {
            id: StageId(s.id),
            name: s.name,
            position: s.position,
            probability: s.probability,
            legacy_id: s.legacy_id,
        })
        .collect();
    stages.sort_by_key(|s| s.position);
    Ok(Pipeline {
        id: PipelineId(m.id),
        organization_id: OrganizationId(m.organization_id),
        name: m.name,
        is_default: m.is_default,
        stages,
        legacy_id: m.legacy_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: i64::from(m.version),
    })
}

fn row(p: &Pipeline) -> Result<ActiveModel, StoreError> {
    Ok(ActiveModel {
        id: Set(p.id.0),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(db_version(p.version)?),
        organization_id: Set(p.organization_id.0),
        name: Set(p.name.clone()),
        is_default: Set(p.is_default),
        default_key: Set(p.is_default.then_some(p.organization_id.0)),
        legacy_id: Set(p.legacy_id.clone()),
    })
}

fn stage_row(p: &Pipeline, s: &Stage) -> pipeline_stage::ActiveModel {
    pipeline_stage::ActiveModel {
        id: Set(s.id.0),
        organization_id: Set(p.organization_id.0),
        pipeline_id: Set(p.id.0),
        name: Set(s.name.clone()),
        position: Set(s.position),
        probability: Set(s.probability),
        legacy_id: Set(s.legacy_id.clone()),
    }
}

fn in_org(org: OrganizationId, id: PipelineId) -> Select<Entity> {
    super::in_org(org, id.0)
}

fn default_of(org: OrganizationId) -> Select<Entity> {
    Entity::find()
        .filter(Column::OrganizationId.eq(org.0))
        .filter(Column::DefaultKey.eq(org.0))
}

/// The stages of `pipelines` (all of `org`), grouped by pipeline.
async fn stages_of<C: ConnectionTrait>(
    db: &C,
    org: OrganizationId,
    pipelines: &[Uuid],
) -> Result<HashMap<Uuid, Vec<pipeline_stage::Model>>, StoreError> {
    use pipeline_stage::Column as S;
    let columns = (S::OrganizationId, S::PipelineId, S::Position);
    children_of::<pipeline_stage::Entity, _>(db, columns, |s| s.pipeline_id, org, pipelines).await
}

async fn with_stages<C: ConnectionTrait>(
    db: &C,
    m: pipeline::Model,
) -> Result<Pipeline, StoreError> {
    let org = OrganizationId(m.organization_id);
    let mut stages = stages_of(db, org, &[m.id]).await?;
    let s = stages.remove(&m.id).unwrap_or_default();
    assemble(m, s)
}

async fn insert<C: ConnectionTrait>(db: &C, p: &Pipeline) -> Result<(), StoreError> {
    Entity::insert(row(p)?)
        .exec_without_returning(db)
        .await
        .map_err(store_err)?;
    pipeline_stage::Entity::insert_many(p.stages.iter().map(|s| stage_row(p, s)))
        .exec_without_returning(db)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// The pipeline `id` of `org` with its stages, read on `db`.
async fn pipeline_of(
    db: &impl ConnectionTrait,
    org: OrganizationId,
    id: PipelineId,
) -> Result<Pipeline, StoreError> {
    with_stages(db, one(db, in_org(org, id)).await?).await
}

#[async_trait]
impl PipelineRepository for SqlPipelineRepository {
    async fn create(&self, tx: &mut Txn, pipeline: &Pipeline) -> Result<(), StoreError> {
        insert(sql(tx.as_mut())?, pipeline).await
    }

    async fn get(&self, org: OrganizationId, id: PipelineId) -> Result<Pipeline, StoreError> {
        pipeline_of(&self.db, org, id).await
    }

    async fn get_for_update(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PipelineId,
    ) -> Result<Pipeline, StoreError> {
        let db = sql(tx.as_mut())?;
        let m = locked(db, in_org(org, id)).await?;
        with_stages(db, m).await
    }

    async fn get_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PipelineId,
    ) -> Result<Pipeline, StoreError> {
        pipeline_of(sql(tx.as_mut())?, org, id).await
    }

    async fn get_default(&self, org: OrganizationId) -> Result<Option<Pipeline>, StoreError> {
        match default_of(org).one(&self.db).await.map_err(store_err)? {
            Some(m) => Ok(Some(with_stages(&self.db, m).await?)),
            None => Ok(None),
        }
    }

    async fn ensure_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        candidate: &Pipeline,
    ) -> Result<(Pipeline, bool), StoreError> {
        let db = sql(tx.as_mut())?;
        // Insert first, read only when that fails: the write comes first in the transaction
        // (on SQLite it then waits for the write lock instead of failing on a stale read
        // snapshot), and the insert runs in a savepoint, because on PostgreSQL a failed
        // statement would otherwise abort the whole transaction.
        let savepoint = db.begin().await.map_err(store_err)?;
        match insert(&savepoint, candidate).await {
            Ok(()) => {
                savepoint.commit().await.map_err(store_err)?;
                Ok((candidate.clone(), true))
            }
            Err(StoreError::Conflict { .. }) => {
                savepoint.rollback().await.map_err(store_err)?;
                // Another transaction created it first; a locking read sees its committed
                // row even under MySQL's repeatable read.
                let m = default_of(org)
                    .lock_shared()
                    .one(db)
                    .await
                    .map_err(store_err)?
                    .ok_or_else(|| {
                        StoreError::Unexpected("default pipeline conflict without a default".into())
                    })?;
                Ok((with_stages(db, m).await?, false))
            }
            Err(e) => Err(e),
        }
    }

    async fn list(
        &self,
        org: OrganizationId,
        query: &ListQuery,
    ) -> Result<Page<Pipeline>, StoreError> {
        let cols = ListColumns::<Entity>::search(&[Column::Name]);
        let base = Entity::find().filter(Column::OrganizationId.eq(org.0));
        let page = keyset::page(&self.db, base, query, &cols).await?;
        let ids: Vec<Uuid> = page.data.iter().map(|m| m.id).collect();
        let stages = stages_of(&self.db, org, &ids).await?;
        with_children(page, stages, |m| m.id, assemble)
    }

    async fn update(
        &self,
        tx: &mut Txn,
        p: &Pipeline,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let org = p.organization_id;
        let update = Entity::update_many()
            .col_expr(Column::Name, Expr::value(p.name.clone()))
            .col_expr(Column::IsDefault, Expr::value(p.is_default))
            .col_expr(
                Column::DefaultKey,
                Expr::value(p.is_default.then_some(org.0)),
            )
            .col_expr(Column::LegacyId, Expr::value(p.legacy_id.clone()))
            .col_expr(Column::UpdatedAt, Expr::value(p.updated_at))
            .col_expr(Column::Version, Expr::value(db_version(p.version)?));
        update_at_version(db, update, org, p.id.0, expected_version).await?;
        let stored: HashSet<Uuid> = stages_of(db, org, &[p.id.0])
            .await?
            .remove(&p.id.0)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.id)
            .collect();
        let kept: HashSet<Uuid> = p.stages.iter().map(|s| s.id.0).collect();
        let removed: Vec<Uuid> = stored.difference(&kept).copied().collect();
        if !removed.is_empty() {
            let in_use = deal::Entity::find()
                .filter(deal::Column::OrganizationId.eq(org.0))
                .filter(deal::Column::StageId.is_in(removed.iter().copied()))
                .count(db)
                .await
                .map_err(store_err)?;
            if in_use > 0 {
                return Err(StoreError::Conflict {
                    constraint: "deals.stage_id".into(),
                });
            }
            pipeline_stage::Entity::delete_many()
                .filter(pipeline_stage::Column::OrganizationId.eq(org.0))
                .filter(pipeline_stage::Column::Id.is_in(removed))
                .exec(db)
                .await
                .map_err(super::delete_err)?;
        }
        for s in &p.stages {
            if stored.contains(&s.id.0) {
                pipeline_stage::Entity::update_many()
                    .col_expr(pipeline_stage::Column::Name, Expr::value(s.name.clone()))
                    .col_expr(pipeline_stage::Column::Position, Expr::value(s.position))
                    .col_expr(
                        pipeline_stage::Column::Probability,
                        Expr::value(s.probability),
                    )
                    .col_expr(
                        pipeline_stage::Column::LegacyId,
                        Expr::value(s.legacy_id.clone()),
                    )
                    .filter(pipeline_stage::Column::Id.eq(s.id.0))
                    .filter(pipeline_stage::Column::OrganizationId.eq(org.0))
                    .exec(db)
                    .await
                    .map_err(store_err)?;
            } else {
                pipeline_stage::Entity::insert(stage_row(p, s))
                    .exec_without_returning(db)
                    .await
                    .map_err(store_err)?;
            }
        }
        Ok(())
    }

    async fn clear_default(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        now: DateTime<Utc>,
    ) -> Result<Option<(PipelineId, i64)>, StoreError> {
        let db = sql(tx.as_mut())?;
        let Some(current) = default_of(org)
            .lock_exclusive()
            .one(db)
            .await
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        Entity::update_many()
            .col_expr(Column::IsDefault, Expr::value(false))
            .col_expr(Column::DefaultKey, Expr::value(Option::<Uuid>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .col_expr(Column::Version, Expr::col(Column::Version).add(1))
            .filter(Column::Id.eq(current.id))
            .filter(Column::OrganizationId.eq(org.0))
            .exec(db)
            .await
            .map_err(store_err)?;
        Ok(Some((PipelineId(current.id), i64::from(current.version))))
    }

    async fn delete(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        id: PipelineId,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let deals = deal::Entity::find()
            .filter(deal::Column::OrganizationId.eq(org.0))
            .filter(deal::Column::PipelineId.eq(id.0));
        unreferenced(db, deals, "deals.pipeline_id").await?;
        delete_row::<Entity>(db, org, id.0).await?;
        let (org_column, parent) = (
            pipeline_stage::Column::OrganizationId,
            pipeline_stage::Column::PipelineId,
        );
        delete_children::<pipeline_stage::Entity>(db, org_column, parent, org, id.0).await
    }
}
