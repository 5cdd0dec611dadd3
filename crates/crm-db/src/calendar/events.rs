//! `calendar_events` (a `Stored` record: `SqlRecords<Entity>` is its
//! `Records<CalendarEvent>`, its scope the viewer who organizes or attends) and
//! `calendar_event_attendees`, with the queries of `CalendarStore`.

use crate::entities::user;
use crate::error::store_err;
use crate::keyset::ListColumns;
use crate::records::{SqlRecords, Stored};
use crate::rows::{corrupt, db_version};
use crate::tx::sql;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_calendar::events::{Attendee, AttendeeResponse, CalendarEvent, CalendarEventId};
use crm_calendar::occurrences::Override;
use crm_calendar::ports::CalendarStore;
use crm_calendar::reminders::{DueReminder, Told};
use crm_domain::{OrganizationId, StoreError, Txn, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{Condition, ConnectionTrait, DbBackend, QueryOrder, QuerySelect, QueryTrait};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub organization_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub all_day: bool,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub time_zone: Option<String>,
    pub recurrence: Option<String>,
    pub exdates: Json,
    pub attendee_ids: Json,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub reminder_minutes: Json,
    pub organizer_id: Uuid,
    pub series_until: Option<DateTimeUtc>,
    /// When the reminder job next looks at the event (not part of the record).
    pub next_reminder_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::rows::tenanted!([CreatedAt, OrganizerId]);

pub(crate) mod attendees {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_event_attendees")]
    pub struct Model {
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub response: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod overrides {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_event_overrides")]
    pub struct Model {
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub recurrence_id: DateTimeUtc,
        pub title: String,
        pub description: Option<String>,
        pub location: Option<String>,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn override_of(m: overrides::Model) -> Override {
    Override {
        event_id: CalendarEventId(m.event_id),
        recurrence_id: m.recurrence_id,
        title: m.title,
        description: m.description,
        location: m.location,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
    }
}

fn override_rows(org: OrganizationId, event: CalendarEventId) -> Select<overrides::Entity> {
    overrides::Entity::find()
        .filter(overrides::Column::OrganizationId.eq(org.0))
        .filter(overrides::Column::EventId.eq(event.0))
}

fn ids_json(ids: &[UserId]) -> Json {
    serde_json::Value::from(ids.iter().map(|u| u.0.to_string()).collect::<Vec<_>>())
}

fn instants_json(ts: &[DateTime<Utc>]) -> Json {
    serde_json::Value::from(
        ts.iter()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .collect::<Vec<_>>(),
    )
}

impl TryFrom<Model> for CalendarEvent {
    type Error = StoreError;
    fn try_from(m: Model) -> Result<Self, StoreError> {
        let bad = |e: &dyn std::fmt::Display| corrupt("calendar_events", m.id, e);
        let attendees: Vec<Uuid> = serde_json::from_value(m.attendee_ids).map_err(|e| bad(&e))?;
        Ok(CalendarEvent {
            id: CalendarEventId(m.id),
            organization_id: OrganizationId(m.organization_id),
            title: m.title,
            description: m.description,
            location: m.location,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            all_day: m.all_day,
            start_date: m.start_date,
            end_date: m.end_date,
            time_zone: m.time_zone,
            recurrence: m.recurrence,
            exdates: serde_json::from_value(m.exdates).map_err(|e| bad(&e))?,
            attendee_ids: attendees.into_iter().map(UserId).collect(),
            record_type: m.record_type,
            record_id: m.record_id,
            reminder_minutes: serde_json::from_value(m.reminder_minutes).map_err(|e| bad(&e))?,
            organizer_id: UserId(m.organizer_id),
            series_until: m.series_until,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: i64::from(m.version),
        })
    }
}

/// The events `user` organizes or attends.
fn involving(user: Uuid) -> Condition {
    Condition::any().add(Column::OrganizerId.eq(user)).add(
        Column::Id.in_subquery(
            Query::select()
                .column(attendees::Column::EventId)
                .from(attendees::Entity)
                .and_where(attendees::Column::UserId.eq(user))
                .to_owned(),
        ),
    )
}

impl Stored for Entity {
    type Record = CalendarEvent;
    const LIST: ListColumns<'static, Entity> =
        ListColumns::search(&[Column::Title, Column::Description, Column::Location]);

    fn row(e: &CalendarEvent) -> Result<ActiveModel, StoreError> {
        Ok(ActiveModel {
            id: Set(e.id.0),
            created_at: Set(e.created_at),
            updated_at: Set(e.updated_at),
            version: Set(db_version(e.version)?),
            organization_id: Set(e.organization_id.0),
            title: Set(e.title.clone()),
            description: Set(e.description.clone()),
            location: Set(e.location.clone()),
            starts_at: Set(e.starts_at),
            ends_at: Set(e.ends_at),
            all_day: Set(e.all_day),
            start_date: Set(e.start_date),
            end_date: Set(e.end_date),
            time_zone: Set(e.time_zone.clone()),
            recurrence: Set(e.recurrence.clone()),
            exdates: Set(instants_json(&e.exdates)),
            attendee_ids: Set(ids_json(&e.attendee_ids)),
            record_type: Set(e.record_type.clone()),
            record_id: Set(e.record_id),
            reminder_minutes: Set(serde_json::Value::from(e.reminder_minutes.clone())),
            organizer_id: Set(e.organizer_id.0),
            series_until: Set(e.series_until),
            next_reminder_at: Set(e.reminder_check_at()),
        })
    }

    /// The events the viewer organizes or attends (callers without `calendar_events:read`).
    fn scoped(select: Select<Entity>, viewer: Option<UserId>) -> Select<Entity> {
        match viewer {
            None => select,
            Some(u) => select.filter(involving(u.0)),
        }
    }
}

fn attendee_of(m: attendees::Model) -> Result<Attendee, StoreError> {
    Ok(Attendee {
        user_id: UserId(m.user_id),
        response: m
            .response
            .parse::<AttendeeResponse>()
            .map_err(|e| corrupt("calendar_event_attendees", m.event_id, e))?,
    })
}

fn attendee_rows(org: OrganizationId, event: CalendarEventId) -> Select<attendees::Entity> {
    attendees::Entity::find()
        .filter(attendees::Column::OrganizationId.eq(org.0))
        .filter(attendees::Column::EventId.eq(event.0))
}

#[async_trait]
impl CalendarStore for SqlRecords<Entity> {
    async fn existing_users(
        &self,
        org: OrganizationId,
        ids: &[UserId],
    ) -> Result<Vec<UserId>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<Uuid> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::OrganizationId.eq(org.0))
            .filter(user::Column::Id.is_in(ids.iter().map(|u| u.0)))
            .into_tuple()
            .all(self.db())
            .await
            .map_err(store_err)?;
        Ok(found.into_iter().map(UserId).collect())
    }

    async fn attendees(
        &self,
        org: OrganizationId,
        event: CalendarEventId,
    ) -> Result<Vec<Attendee>, StoreError> {
        attendee_rows(org, event)
            .order_by_asc(attendees::Column::CreatedAt)
            .order_by_asc(attendees::Column::UserId)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(attendee_of)
            .collect()
    }

    async fn set_attendees(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        ids: &[UserId],
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let keep: Vec<Uuid> = ids.iter().map(|u| u.0).collect();
        attendees::Entity::delete_many()
            .filter(attendees::Column::OrganizationId.eq(org.0))
            .filter(attendees::Column::EventId.eq(event.0))
            .filter(attendees::Column::UserId.is_not_in(keep.clone()))
            .exec(db)
            .await
            .map_err(store_err)?;
        let present: Vec<Uuid> = attendee_rows(org, event)
            .select_only()
            .column(attendees::Column::UserId)
            .into_tuple()
            .all(db)
            .await
            .map_err(store_err)?;
        let now = crm_domain::kernel::clock::now();
        let new: Vec<attendees::ActiveModel> = keep
            .iter()
            .filter(|u| !present.contains(u))
            .map(|u| attendees::ActiveModel {
                organization_id: Set(org.0),
                event_id: Set(event.0),
                user_id: Set(*u),
                response: Set(AttendeeResponse::NeedsAction.as_str().to_string()),
                created_at: Set(now),
            })
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        attendees::Entity::insert_many(new)
            .exec_without_returning(db)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn set_response(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        user: UserId,
        response: AttendeeResponse,
    ) -> Result<AttendeeResponse, StoreError> {
        let db = sql(tx.as_mut())?;
        let row = attendee_rows(org, event)
            .filter(attendees::Column::UserId.eq(user.0))
            .one(db)
            .await
            .map_err(store_err)?
            .ok_or(StoreError::NotFound)?;
        let before = attendee_of(row)?.response;
        if before != response {
            attendees::Entity::update_many()
                .col_expr(attendees::Column::Response, Expr::value(response.as_str()))
                .filter(attendees::Column::OrganizationId.eq(org.0))
                .filter(attendees::Column::EventId.eq(event.0))
                .filter(attendees::Column::UserId.eq(user.0))
                .exec(db)
                .await
                .map_err(store_err)?;
        }
        Ok(before)
    }

    async fn overrides(
        &self,
        org: OrganizationId,
        events: &[CalendarEventId],
    ) -> Result<Vec<Override>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        Ok(overrides::Entity::find()
            .filter(overrides::Column::OrganizationId.eq(org.0))
            .filter(overrides::Column::EventId.is_in(events.iter().map(|e| e.0)))
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(override_of)
            .collect())
    }

    async fn override_in_tx(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        recurrence_id: DateTime<Utc>,
    ) -> Result<Option<Override>, StoreError> {
        Ok(override_rows(org, event)
            .filter(overrides::Column::RecurrenceId.eq(recurrence_id))
            .one(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?
            .map(override_of))
    }

    async fn put_override(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        o: &Override,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        let created: Option<DateTime<Utc>> = override_rows(org, o.event_id)
            .select_only()
            .column(overrides::Column::CreatedAt)
            .filter(overrides::Column::RecurrenceId.eq(o.recurrence_id))
            .into_tuple()
            .one(db)
            .await
            .map_err(store_err)?;
        overrides::Entity::delete_many()
            .filter(overrides::Column::OrganizationId.eq(org.0))
            .filter(overrides::Column::EventId.eq(o.event_id.0))
            .filter(overrides::Column::RecurrenceId.eq(o.recurrence_id))
            .exec(db)
            .await
            .map_err(store_err)?;
        overrides::Entity::insert(overrides::ActiveModel {
            organization_id: Set(org.0),
            event_id: Set(o.event_id.0),
            recurrence_id: Set(o.recurrence_id),
            title: Set(o.title.clone()),
            description: Set(o.description.clone()),
            location: Set(o.location.clone()),
            starts_at: Set(o.starts_at),
            ends_at: Set(o.ends_at),
            created_at: Set(created.unwrap_or(now)),
            updated_at: Set(now),
        })
        .exec_without_returning(db)
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn remove_override(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        event: CalendarEventId,
        recurrence_id: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        overrides::Entity::delete_many()
            .filter(overrides::Column::OrganizationId.eq(org.0))
            .filter(overrides::Column::EventId.eq(event.0))
            .filter(overrides::Column::RecurrenceId.eq(recurrence_id))
            .exec(sql(tx.as_mut())?)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn hand_over(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        from: CalendarEventId,
        to: CalendarEventId,
        since: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let db = sql(tx.as_mut())?;
        overrides::Entity::update_many()
            .col_expr(overrides::Column::EventId, Expr::value(to.0))
            .filter(overrides::Column::OrganizationId.eq(org.0))
            .filter(overrides::Column::EventId.eq(from.0))
            .filter(overrides::Column::RecurrenceId.gte(since))
            .exec(db)
            .await
            .map_err(store_err)?;
        let rows: Vec<attendees::ActiveModel> = attendee_rows(org, from)
            .all(db)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|a| attendees::ActiveModel {
                organization_id: Set(a.organization_id),
                event_id: Set(to.0),
                user_id: Set(a.user_id),
                response: Set(a.response),
                created_at: Set(a.created_at),
            })
            .collect();
        if !rows.is_empty() {
            attendees::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await
                .map_err(store_err)?;
        }
        Ok(())
    }

    async fn in_range(
        &self,
        org: OrganizationId,
        viewer: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEvent>, StoreError> {
        let mut select = Entity::find()
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::StartsAt.lt(to))
            .filter(
                Condition::any()
                    .add(Column::SeriesUntil.is_null())
                    .add(Column::SeriesUntil.gt(from)),
            );
        if let Some(u) = viewer {
            select = select.filter(involving(u.0));
        }
        select
            .order_by_asc(Column::StartsAt)
            .order_by_asc(Column::Id)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(CalendarEvent::try_from)
            .collect()
    }

    async fn reminder_candidates(
        &self,
        now: DateTime<Utc>,
        after: Option<CalendarEventId>,
        limit: u64,
    ) -> Result<Vec<CalendarEvent>, StoreError> {
        // Across organizations: the job is the system's, each event is then handled in its
        // own organization. `ix_calendar_events_next_reminder` holds what has come.
        let mut select = Entity::find().filter(Column::NextReminderAt.lte(now));
        if let Some(a) = after {
            select = select.filter(Column::Id.gt(a.0));
        }
        select
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(CalendarEvent::try_from)
            .collect()
    }

    async fn reminder_checked(
        &self,
        org: OrganizationId,
        id: CalendarEventId,
        version: i64,
        next: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        Entity::update_many()
            .col_expr(Column::NextReminderAt, Expr::value(next))
            .filter(Column::OrganizationId.eq(org.0))
            .filter(Column::Id.eq(id.0))
            .filter(Column::Version.eq(db_version(version)?))
            .exec(self.db())
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn reminded(
        &self,
        org: OrganizationId,
        events: &[CalendarEventId],
        since: DateTime<Utc>,
    ) -> Result<Vec<Told>, StoreError> {
        Ok(sent::Entity::find()
            .filter(sent::Column::OrganizationId.eq(org.0))
            .filter(sent::Column::EventId.is_in(events.iter().map(|e| e.0)))
            .filter(sent::Column::CreatedAt.gte(since))
            .all(self.db())
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|m| Told {
                event_id: CalendarEventId(m.event_id),
                recurrence_id: m.recurrence_id,
                minutes: m.minutes,
                user_id: UserId(m.user_id),
            })
            .collect())
    }

    async fn mark_reminded(
        &self,
        tx: &mut Txn,
        org: OrganizationId,
        r: &DueReminder,
        users: &[UserId],
        now: DateTime<Utc>,
    ) -> Result<Vec<UserId>, StoreError> {
        let db = sql(tx.as_mut())?;
        let backend = db.get_database_backend();
        let mut marked = Vec::with_capacity(users.len());
        for u in users {
            let row = sent::ActiveModel {
                organization_id: Set(org.0),
                event_id: Set(r.event_id.0),
                recurrence_id: Set(r.recurrence_id),
                minutes: Set(r.minutes),
                user_id: Set(u.0),
                created_at: Set(now),
            };
            // Insert or skip on the unique key: the rows affected say whether this
            // transaction marked it (a concurrent one waits on the key, then skips).
            // MariaDB reports a skipped `ON DUPLICATE KEY UPDATE` as a found row, so it
            // takes `INSERT IGNORE`.
            let statement = if backend == DbBackend::MySql {
                let mut s = backend.build(&sent::Entity::insert(row).into_query());
                s.sql = s.sql.replacen("INSERT ", "INSERT IGNORE ", 1);
                s
            } else {
                backend.build(
                    &sent::Entity::insert(row)
                        .on_conflict(OnConflict::new().do_nothing().to_owned())
                        .into_query(),
                )
            };
            let done = db.execute_raw(statement).await.map_err(store_err)?;
            if done.rows_affected() == 1 {
                marked.push(*u);
            }
        }
        Ok(marked)
    }
}

/// `calendar_reminders_sent`: one row per reminder told, keyed by organization, event,
/// occurrence (original start), minutes and user.
pub(crate) mod sent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_reminders_sent")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub recurrence_id: DateTimeUtc,
        #[sea_orm(primary_key, auto_increment = false)]
        pub minutes: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
