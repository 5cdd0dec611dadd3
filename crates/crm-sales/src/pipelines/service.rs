//! `/pipelines`.

use super::model::{
    MAX_STAGES, Pipeline, PipelineId, PipelineInput, PipelinePatch, STAGE_NAME_MAX, Stage, StageId,
};
use crate::SalesPorts;
use crate::common::{probability, required_text};
use crate::requirements::{PipelinesDelete, PipelinesRead, PipelinesWrite};
use crm_domain::activity::audit;
use crm_domain::kernel::input::Errors;
use crm_domain::kernel::pagination::{ListQuery, Page};
use crm_domain::kernel::rules::check_version;
use crm_domain::kernel::scope::require_all;
use crm_domain::kernel::uow::Txn;
use crm_domain::{Actor, DomainError, StoreError, ValueError};
use std::collections::HashSet;

fn stages_from(
    raw: &[(Option<StageId>, &str, i32)],
    existing: Option<&Pipeline>,
    errors: &mut Errors,
) -> Vec<Stage> {
    if raw.is_empty() {
        errors.add("stages", "required", "a pipeline needs at least one stage");
    } else if raw.len() > MAX_STAGES {
        errors.add(
            "stages",
            "too_many",
            format!("a pipeline has at most {MAX_STAGES} stages"),
        );
    }
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, (id, name, prob)) in raw.iter().enumerate() {
        let field = |f: &str| format!("stages[{i}].{f}");
        let name = errors.value(
            &field("name"),
            required_text(name, "stage name", STAGE_NAME_MAX),
        );
        // A refused name is empty, and not compared.
        if !name.is_empty() && !names.insert(name.to_lowercase()) {
            errors.add(
                &field("name"),
                "duplicate",
                "stage names must differ within a pipeline",
            );
        }
        let probability = errors.value(&field("probability"), probability(*prob));
        let id = match id {
            None => StageId::new(),
            Some(id) if existing.is_none_or(|p| p.stage(*id).is_none()) => {
                errors.add(&field("id"), "not_found", "no such stage in this pipeline");
                *id
            }
            Some(id) if !ids.insert(*id) => {
                errors.add(&field("id"), "duplicate", "a stage appears twice");
                *id
            }
            Some(id) => *id,
        };
        // A stage kept keeps the id it was imported with.
        let legacy_id = existing
            .and_then(|p| p.stage(id))
            .and_then(|s| s.legacy_id.clone());
        out.push(Stage {
            id,
            name,
            position: i32::try_from(i).unwrap_or(i32::MAX),
            probability,
            legacy_id,
        });
    }
    out
}

fn in_use(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict { .. } => DomainError::conflict(
            "pipeline-in-use",
            "deals are still in this pipeline or in a stage being removed",
        ),
        other => other.into(),
    }
}

fn name(raw: &str) -> Result<String, ValueError> {
    required_text(raw, "name", STAGE_NAME_MAX)
}

/// Pipelines and their stages.
#[derive(Clone)]
pub struct PipelineService {
    p: SalesPorts,
}

impl PipelineService {
    /// The audit entry (and event) of the previous default losing its flag, with the
    /// pipeline as read after the change.
    async fn default_moved(
        &self,
        tx: &mut Txn,
        actor: &Actor,
        previous: PipelineId,
        version_before: i64,
    ) -> Result<(), DomainError> {
        let after = self
            .p
            .pipelines
            .get_in_tx(tx, actor.organization_id, previous)
            .await?;
        let before = Pipeline {
            is_default: true,
            version: version_before,
            ..after.clone()
        };
        self.p
            .record(tx, audit::updated(actor, &before, &after))
            .await
    }

    pub fn new(ports: SalesPorts) -> Self {
        Self { p: ports }
    }

    /// Needs `pipelines:read`. The default pipeline is created first if the organization has
    /// none yet, so every organization lists at least one.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn list(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<Page<Pipeline>, DomainError> {
        require_all::<PipelinesRead>(actor)?;
        self.p
            .default_pipeline(actor.organization_id, Some(actor.user_id))
            .await?;
        Ok(self.p.pipelines.list(actor.organization_id, query).await?)
    }

    /// Needs `pipelines:read`; `404` when missing or of another organization.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn get(&self, actor: &Actor, id: PipelineId) -> Result<Pipeline, DomainError> {
        require_all::<PipelinesRead>(actor)?;
        Ok(self.p.pipelines.get(actor.organization_id, id).await?)
    }

    /// The organization's default pipeline (created on first need); needs `pipelines:read`.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn default_pipeline(&self, actor: &Actor) -> Result<Pipeline, DomainError> {
        require_all::<PipelinesRead>(actor)?;
        self.p
            .default_pipeline(actor.organization_id, Some(actor.user_id))
            .await
    }

    /// Needs `pipelines:write`. `422` per bad field (`name`, `stages`, `stages[i].name`,
    /// `stages[i].probability`).
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id))]
    pub async fn create(
        &self,
        actor: &Actor,
        input: PipelineInput,
    ) -> Result<Pipeline, DomainError> {
        require_all::<PipelinesWrite>(actor)?;
        let org = actor.organization_id;
        let mut errors = Errors::new();
        let name = errors.value("name", name(&input.name));
        let raw: Vec<_> = input
            .stages
            .iter()
            .map(|s| (None, s.name.as_str(), s.probability))
            .collect();
        let stages = stages_from(&raw, None, &mut errors);
        errors.finish()?;
        // The organization starts with its default pipeline, whatever it creates first.
        self.p.default_pipeline(org, Some(actor.user_id)).await?;
        let now = self.p.now();
        let pipeline = Pipeline {
            id: PipelineId::new(),
            organization_id: org,
            name,
            is_default: input.is_default,
            stages,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.p.tx.begin().await?;
        if pipeline.is_default
            && let Some((previous, version)) =
                self.p.pipelines.clear_default(&mut tx, org, now).await?
        {
            self.default_moved(&mut tx, actor, previous, version)
                .await?;
        }
        self.p.pipelines.create(&mut tx, &pipeline).await?;
        self.p
            .record(&mut tx, audit::created(actor, &pipeline))
            .await?;
        tx.commit().await?;
        Ok(pipeline)
    }

    /// Needs `pipelines:write`. `412` on a stale version; `422` per bad field (`is_default:
    /// false` on the default is `is_default` / `required`); `409 pipeline-in-use` when a
    /// removed stage still has deals.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: PipelineId,
        expected_version: Option<i64>,
        patch: PipelinePatch,
    ) -> Result<Pipeline, DomainError> {
        require_all::<PipelinesWrite>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.pipelines.get_for_update(&mut tx, org, id).await?;
        check_version(expected_version, current.version)?;
        let mut next = current.clone();
        let mut errors = Errors::new();
        errors.patch("name", &mut next.name, patch.name.as_deref().map(name));
        match patch.is_default {
            Some(false) if current.is_default => errors.add(
                "is_default",
                "required",
                "an organization always has a default pipeline: make another one the default",
            ),
            Some(v) => next.is_default = v,
            None => {}
        }
        if let Some(stages) = &patch.stages {
            let raw: Vec<_> = stages
                .iter()
                .map(|s| (s.id, s.name.as_str(), s.probability))
                .collect();
            next.stages = stages_from(&raw, Some(&current), &mut errors);
        }
        errors.finish()?;
        if next == current {
            return Ok(current);
        }
        let now = self.p.now();
        let next = Pipeline {
            updated_at: now,
            version: current.version + 1,
            ..next
        };
        if next.is_default
            && !current.is_default
            && let Some((previous, version)) =
                self.p.pipelines.clear_default(&mut tx, org, now).await?
        {
            self.default_moved(&mut tx, actor, previous, version)
                .await?;
        }
        self.p
            .pipelines
            .update(&mut tx, &next, current.version)
            .await
            .map_err(in_use)?;
        self.p
            .record(&mut tx, audit::updated(actor, &current, &next))
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Needs `pipelines:delete`. `409 pipeline-is-default` for the default pipeline,
    /// `409 pipeline-in-use` while deals refer to it.
    #[tracing::instrument(skip_all, fields(org = %actor.organization_id, id = %id))]
    pub async fn delete(&self, actor: &Actor, id: PipelineId) -> Result<(), DomainError> {
        require_all::<PipelinesDelete>(actor)?;
        let org = actor.organization_id;
        let mut tx = self.p.tx.begin().await?;
        let current = self.p.pipelines.get_for_update(&mut tx, org, id).await?;
        if current.is_default {
            return Err(DomainError::conflict(
                "pipeline-is-default",
                "the default pipeline cannot be deleted: make another one the default first",
            ));
        }
        self.p
            .pipelines
            .delete(&mut tx, org, id)
            .await
            .map_err(in_use)?;
        self.p
            .record(&mut tx, audit::deleted(actor, &current))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Field errors of a list of stages, for tests.
#[cfg(test)]
fn stage_errors(
    raw: &[(Option<StageId>, &str, i32)],
    existing: Option<&Pipeline>,
) -> Vec<crm_domain::FieldError> {
    let mut e = Errors::default();
    stages_from(raw, existing, &mut e);
    match e.finish() {
        Err(DomainError::Invalid(list)) => list,
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipelines::StageInput;
    use crate::test_support::*;

    #[test]
    fn stages_are_validated_and_positioned_in_order() {
        let mut e = Errors::default();
        let s = stages_from(&[(None, "A", 10), (None, " B ", 50)], None, &mut e);
        assert!(e.is_empty());
        assert_eq!(
            s.iter()
                .map(|s| (s.name.as_str(), s.position, s.probability))
                .collect::<Vec<_>>(),
            [("A", 0, 10), ("B", 1, 50)]
        );
        let fields: Vec<String> =
            stage_errors(&[(None, "A", 101), (None, "a", 5), (None, "", 0)], None)
                .into_iter()
                .map(|f| f.field)
                .collect();
        assert_eq!(
            fields,
            ["stages[0].probability", "stages[1].name", "stages[2].name"]
        );
        assert_eq!(stage_errors(&[], None)[0].field, "stages");
        let foreign = stage_errors(&[(Some(StageId::new()), "A", 1)], None);
        assert_eq!(foreign[0].code, "not_found");
    }

    #[tokio::test]
    async fn the_default_pipeline_is_created_once_on_first_need() {
        let mut env = Env::new();
        env.pipelines
            .expect_get_default()
            .times(1)
            .returning(|_| Ok(None));
        env.pipelines
            .expect_ensure_default()
            .times(1)
            .returning(|_, _, c| {
                assert!(c.is_default);
                let names: Vec<_> = c
                    .stages
                    .iter()
                    .map(|s| (s.name.as_str(), s.probability))
                    .collect();
                assert_eq!(
                    names,
                    [("Qualification", 10), ("Proposal", 40), ("Negotiation", 70)]
                );
                Ok((c.clone(), true))
            });
        let (ports, probe) = env.build();
        let svc = PipelineService::new(ports);
        let a = actor(ORG, &["pipelines:read"]);
        let p = svc.default_pipeline(&a).await.unwrap();
        assert_eq!(p.first_stage().unwrap().name, "Qualification");
        assert!(probe.committed());
        assert_eq!(probe.audit()[0].entity_type, "pipeline");
    }

    #[tokio::test]
    async fn the_default_flag_moves_and_cannot_be_dropped() {
        let mut env = Env::new();
        let current = pipeline(ORG, false);
        let default = pipeline(ORG, true);
        let (cid, did) = (current.id, default.id);
        let (c2, d2) = (current.clone(), default.clone());
        env.pipelines
            .expect_get_for_update()
            .returning(move |_, _, id| {
                if id == cid {
                    Ok(c2.clone())
                } else if id == did {
                    Ok(d2.clone())
                } else {
                    Err(StoreError::NotFound)
                }
            });
        env.pipelines
            .expect_clear_default()
            .times(1)
            .returning(move |_, _, _| Ok(Some((did, 1))));
        let cleared = Pipeline {
            is_default: false,
            version: 2,
            ..default.clone()
        };
        env.pipelines
            .expect_get_in_tx()
            .withf(move |_, _, id| *id == did)
            .times(1)
            .returning(move |_, _, _| Ok(cleared.clone()));
        env.pipelines
            .expect_update()
            .withf(move |_, p, v| p.id == cid && p.is_default && p.version == 2 && *v == 1)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let (ports, probe) = env.build();
        let svc = PipelineService::new(ports);
        let a = actor(ORG, &["pipelines:write", "pipelines:delete"]);
        let patch = PipelinePatch {
            is_default: Some(true),
            ..Default::default()
        };
        let p = svc.update(&a, cid, Some(1), patch).await.unwrap();
        assert!(p.is_default);
        assert!(probe.committed());
        let audit = probe.audit();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].entity_id, did.0);
        assert_eq!(audit[0].changes.len(), 1, "{:?}", audit[0].changes);
        assert_eq!(audit[0].changes[0].field, "is_default");
        assert_eq!(audit[0].data.as_ref().unwrap()["is_default"], false);

        let drop = PipelinePatch {
            is_default: Some(false),
            ..Default::default()
        };
        let Err(DomainError::Invalid(e)) = svc.update(&a, did, None, drop).await else {
            panic!("expected 422")
        };
        assert_eq!(e[0].field, "is_default");
        assert!(matches!(
            svc.delete(&a, did).await,
            Err(DomainError::Conflict {
                code: "pipeline-is-default",
                ..
            })
        ));
        assert_eq!(
            svc.update(&a, cid, Some(7), PipelinePatch::default()).await,
            Err(DomainError::Stale)
        );
    }

    #[tokio::test]
    async fn pipelines_need_permissions() {
        let (ports, _) = Env::new().build();
        let svc = PipelineService::new(ports);
        let input = PipelineInput {
            name: "X".into(),
            is_default: false,
            stages: vec![StageInput {
                name: "A".into(),
                probability: 5,
            }],
        };
        assert!(matches!(
            svc.create(&actor(ORG, &["pipelines:read"]), input).await,
            Err(DomainError::Forbidden { .. })
        ));
    }
}
