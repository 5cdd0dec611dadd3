//! The messages and calendar part of `make bench` (issue 16), in the first organization: one
//! plain user (the `employee` role, so neither list can fall back to "everything in the
//! organization") who is a member of 1,000 group conversations with unread messages and an
//! attendee of 500 recurring events, among many conversations and events of other people.
//!
//! Conversations, members and messages are written as the server writes them
//! (`crm-db/src/messages/`): group conversations without a `unique_key`, message ids UUIDv7
//! in time order within a conversation (the seeded ones in the past, so a sent message's id is
//! above them, as the server's id rule needs), `last_message_id`/`last_activity_at` of the
//! last message, read marks on a message id (the nil UUID when nothing is read). Events go
//! through the API: the domain computes their `series_until` and reminder fields.

use crate::scenarios::Http;
use crate::seed::query_uuids;
use crate::seed::{count, exec};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The bench user's conversations, and the messages in each (a third by them).
pub const CONVERSATIONS: i64 = 1_000;
pub const MESSAGES_PER_CONVERSATION: i64 = 20;
/// The bench user's read mark: after this many messages of each conversation.
const READ_UP_TO: i64 = 10;
/// Conversations of other people in the organization, with fewer messages each.
pub const OTHER_CONVERSATIONS: i64 = 20_000;
const OTHER_MESSAGES: i64 = 5;
/// Recurring events the bench user attends, and single events of other people.
pub const EVENTS: i64 = 500;
pub const OTHER_EVENTS: i64 = 1_000;
/// The conversation list's page in the scenario.
pub const LIST_LIMIT: usize = 50;
const TAG: &str = "collab";

fn email(tag: &str) -> String {
    format!("{TAG}@{tag}.bench.test")
}

/// Whether the first organization holds this data set already.
pub async fn already_seeded(db: &DatabaseConnection, org: Uuid) -> Result<bool, String> {
    let mine = count(
        db,
        "SELECT count(*) FROM conversation_members cm JOIN users u ON u.id = cm.user_id \
         WHERE cm.organization_id = $1 AND u.email = $2",
        vec![org.into(), email("org0").into()],
    )
    .await?;
    let events = count(
        db,
        "SELECT count(*) FROM calendar_events WHERE organization_id = $1 AND title LIKE 'Collab %'",
        vec![org.into()],
    )
    .await?;
    Ok(mine == CONVERSATIONS && events == EVENTS + OTHER_EVENTS)
}

/// Removes an earlier, different data set of this module.
pub async fn clear(db: &DatabaseConnection, org: Uuid) -> Result<(), String> {
    for sql in [
        "DELETE FROM conversations WHERE organization_id = $1 AND title LIKE 'Collab %'",
        "DELETE FROM calendar_events WHERE organization_id = $1 AND title LIKE 'Collab %'",
        "DELETE FROM users WHERE organization_id = $1 AND email = 'collab@org0.bench.test'",
    ] {
        exec(db, sql, vec![org.into()]).await?;
    }
    Ok(())
}

/// The bench user (the admin's password hash, the `employee` role), the conversations with
/// their members and messages, then the events through the API (as the admin, who organizes
/// them).
pub async fn seed(
    db: &DatabaseConnection,
    http: &Http,
    admin_token: &str,
    org: Uuid,
    admin: Uuid,
) -> Result<(), String> {
    exec(
        db,
        "INSERT INTO users (id, created_at, updated_at, version, organization_id, name, email, \
         password_hash, status) \
         VALUES (bench_uuid7(now()), now(), now(), 1, $1, 'Collab user', $2, \
         (SELECT password_hash FROM users WHERE id = $3), 'active')",
        vec![org.into(), email("org0").into(), admin.into()],
    )
    .await?;
    exec(
        db,
        "INSERT INTO user_roles (organization_id, user_id, role_id) \
         SELECT $1, u.id, r.id FROM users u, roles r \
         WHERE u.organization_id = $1 AND u.email = $2 \
         AND r.organization_id = $1 AND r.name = 'employee'",
        vec![org.into(), email("org0").into()],
    )
    .await?;
    let user = query_uuids(
        db,
        "SELECT id FROM users WHERE organization_id = $1 AND email = $2",
        vec![org.into(), email("org0").into()],
    )
    .await?
    .first()
    .copied()
    .ok_or("the collab user was not written")?;
    conversations(db, org, user).await?;
    events(db, http, admin_token, org, user).await?;
    db.execute_unprepared(
        "VACUUM ANALYZE conversations, conversation_members, messages, calendar_events, \
         calendar_event_attendees, calendar_event_overrides",
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// `n` group conversations titled `Collab <kind> <g>`, each a minute apart and ending now,
/// with `per` messages a second apart from the members in turn; `mine`: the bench user is the
/// first member, with a read mark after `READ_UP_TO` messages.
async fn conversations(db: &DatabaseConnection, org: Uuid, user: Uuid) -> Result<(), String> {
    for (kind, n, per) in [
        ("other", OTHER_CONVERSATIONS, OTHER_MESSAGES),
        ("mine", CONVERSATIONS, MESSAGES_PER_CONVERSATION),
    ] {
        let mine = kind == "mine";
        exec(
            db,
            "INSERT INTO conversations (id, created_at, updated_at, version, organization_id, \
             kind, title, record_type, record_id, unique_key, created_by, last_message_id, \
             last_activity_at) \
             SELECT bench_uuid7(t), t, t, 1, $1, 'group', 'Collab ' || $2 || ' ' || g, NULL, \
             NULL, NULL, $3, NULL, t \
             FROM (SELECT g, now() - interval '1 day' - make_interval(mins => ($4::bigint - g)::int) \
                   AS t FROM generate_series(1, $4::bigint) g) s",
            vec![org.into(), kind.into(), user.into(), n.into()],
        )
        .await?;
        // Members: the bench user (for `mine`) and two or three plain users of the seed.
        exec(
            db,
            "WITH o AS (SELECT array_agg(id ORDER BY id) AS a FROM users \
                        WHERE organization_id = $1 AND email LIKE 'user%'), \
             c AS (SELECT id, created_at, \
                          row_number() OVER (ORDER BY created_at, id) AS g \
                   FROM conversations WHERE organization_id = $1 AND title LIKE 'Collab ' || $2 || ' %') \
             INSERT INTO conversation_members (conversation_id, user_id, organization_id, \
             joined_at, last_read_message_id) \
             SELECT DISTINCT ON (c.id, m.u) c.id, m.u, $1, c.created_at, \
             '00000000-0000-0000-0000-000000000000'::uuid \
             FROM c, o, LATERAL (VALUES \
               (CASE WHEN $3 THEN $4::uuid ELSE o.a[1 + ((c.g * 3) % cardinality(o.a))::int] END), \
               (o.a[1 + ((c.g * 7 + 1) % cardinality(o.a))::int]), \
               (o.a[1 + ((c.g * 13 + 2) % cardinality(o.a))::int])) m(u)",
            vec![org.into(), kind.into(), mine.into(), user.into()],
        )
        .await?;
        // Messages from the members in turn (ordered by user id), a second apart.
        exec(
            db,
            "WITH mem AS (SELECT conversation_id, user_id, \
                   row_number() OVER (PARTITION BY conversation_id ORDER BY user_id) - 1 AS k, \
                   count(*) OVER (PARTITION BY conversation_id) AS n \
                 FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id \
                 WHERE c.organization_id = $1 AND c.title LIKE 'Collab ' || $2 || ' %') \
             INSERT INTO messages (id, organization_id, conversation_id, author_id, body, \
             file_ids, client_message_id, created_at, edited_at, deleted) \
             SELECT bench_uuid7(t), $1, c.id, mem.user_id, 'Bench message ' || j, '[]', NULL, t, \
             NULL, false \
             FROM conversations c, \
               LATERAL (SELECT j, c.created_at + make_interval(secs => j) AS t \
                        FROM generate_series(1, $3::bigint) j) s, mem \
             WHERE c.organization_id = $1 AND c.title LIKE 'Collab ' || $2 || ' %' \
               AND mem.conversation_id = c.id AND mem.k = j % mem.n",
            vec![org.into(), kind.into(), per.into()],
        )
        .await?;
        exec(
            db,
            "UPDATE conversations c SET last_message_id = l.id, last_activity_at = l.created_at \
             FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, created_at \
                   FROM messages WHERE organization_id = $1 \
                   ORDER BY conversation_id, id DESC) l \
             WHERE c.id = l.conversation_id AND c.organization_id = $1 \
               AND c.title LIKE 'Collab ' || $2 || ' %'",
            vec![org.into(), kind.into()],
        )
        .await?;
    }
    // The bench user's read mark: their conversations' message number READ_UP_TO.
    exec(
        db,
        "UPDATE conversation_members cm SET last_read_message_id = r.id \
         FROM (SELECT conversation_id, id, \
                      row_number() OVER (PARTITION BY conversation_id ORDER BY id) AS n \
               FROM messages WHERE organization_id = $1) r \
         WHERE cm.organization_id = $1 AND cm.user_id = $2 \
           AND r.conversation_id = cm.conversation_id AND r.n = $3",
        vec![org.into(), user.into(), READ_UP_TO.into()],
    )
    .await?;
    Ok(())
}

/// A recurrence of the mix: weekly on two days, every other day, the 31st (skipping short
/// months), a weekly series with a count, the first Monday of the month; each in a zone of its
/// own, so the expansion crosses daylight-saving changes.
fn recurrence(i: i64) -> (&'static str, &'static str) {
    match i % 5 {
        0 => ("FREQ=WEEKLY;BYDAY=MO,WE", "Europe/Berlin"),
        1 => ("FREQ=DAILY;INTERVAL=2", "America/New_York"),
        2 => ("FREQ=MONTHLY;BYMONTHDAY=31", "Asia/Kolkata"),
        3 => ("FREQ=WEEKLY;COUNT=400", "UTC"),
        _ => ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1", "Europe/London"),
    }
}

async fn events(
    db: &DatabaseConnection,
    http: &Http,
    token: &str,
    org: Uuid,
    user: Uuid,
) -> Result<(), String> {
    let others = query_uuids(
        db,
        "SELECT id FROM users WHERE organization_id = $1 AND email LIKE 'user%' \
         ORDER BY id LIMIT 50",
        vec![org.into()],
    )
    .await?;
    let other = |i: i64| others[i as usize % others.len().max(1)];
    let today = Utc::now().date_naive();
    let bar = crate::seed::bar((EVENTS + OTHER_EVENTS) as u64, "calendar events");
    for i in 0..EVENTS {
        let (rule, zone) = recurrence(i);
        // Series begun over the last year, at a half hour between 08:00 and 17:30 UTC.
        let day = today - Duration::days(365 - (i * 7) % 365);
        let start = day.and_hms_opt(8 + (i % 10) as u32, 30 * (i % 2) as u32, 0);
        let start = start.map(|s| s.and_utc()).ok_or("bad start")?;
        let body = json!({
            "title": format!("Collab series {i}"),
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + Duration::minutes(30 + 15 * (i % 3))).to_rfc3339(),
            "time_zone": zone,
            "recurrence": rule,
            "attendee_ids": [user, other(i)],
            "reminder_minutes": [10],
        });
        http.json("POST", "/api/v1/calendar/events", Some(token), Some(&body))
            .await?;
        bar.inc(1);
    }
    for i in 0..OTHER_EVENTS {
        let day = today - Duration::days(180) + Duration::days(i % 360);
        let start = day
            .and_hms_opt(9 + (i % 8) as u32, 0, 0)
            .map(|s| s.and_utc())
            .ok_or("bad start")?;
        let body = json!({
            "title": format!("Collab other {i}"),
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + Duration::hours(1)).to_rfc3339(),
            "attendee_ids": [other(i), other(i + 1)],
        });
        http.json("POST", "/api/v1/calendar/events", Some(token), Some(&body))
            .await?;
        bar.inc(1);
    }
    bar.finish();
    Ok(())
}

/// The current month: `[first day, first day of the next month)`.
pub fn month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today.with_day(1).unwrap_or(today);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (first, next)
}

/// What the scenarios need: the bench user, their token, their conversations and the month.
#[derive(Default)]
pub struct Sample {
    pub user: Uuid,
    pub token: String,
    pub conversations: Vec<Uuid>,
    pub from: String,
    pub to: String,
    /// The occurrences of the month the bench user sees (checked against every answer).
    pub occurrences: usize,
    pub unread_total: i64,
}

impl Sample {
    pub fn conversation(&self, w: usize, i: u64) -> Uuid {
        let n = self.conversations.len();
        self.conversations[(w * 7919 + (i as usize) * 104_729) % n]
    }
}

pub async fn sample(db: &DatabaseConnection, http: &Http, org: Uuid) -> Result<Sample, String> {
    let (user, _, token) = crate::scenarios::login(http, &email("org0")).await?;
    let conversations = query_uuids(
        db,
        "SELECT conversation_id FROM conversation_members \
         WHERE organization_id = $1 AND user_id = $2 ORDER BY conversation_id",
        vec![org.into(), user.into()],
    )
    .await?;
    let (from, to) = month(Utc::now().date_naive());
    let (from, to) = (format!("{from}T00:00:00Z"), format!("{to}T00:00:00Z"));
    let v = http
        .json(
            "GET",
            &format!("/api/v1/calendar/occurrences?from={from}&to={to}"),
            Some(&token),
            None,
        )
        .await?;
    let occurrences = v
        .get("data")
        .and_then(|d| d.as_array())
        .map_or(0, |a| a.len());
    let unread_total = count(
        db,
        "SELECT count(*) FROM conversation_members cm JOIN messages m \
           ON m.organization_id = cm.organization_id AND m.conversation_id = cm.conversation_id \
          AND m.id > cm.last_read_message_id \
         WHERE cm.organization_id = $1 AND cm.user_id = $2 AND m.author_id <> $2",
        vec![org.into(), user.into()],
    )
    .await?;
    Ok(Sample {
        user,
        token,
        conversations,
        from,
        to,
        occurrences,
        unread_total,
    })
}

/// The data set the messages and calendar scenarios ran on.
#[derive(Clone, Debug, Serialize)]
pub struct CollabReport {
    pub conversations: i64,
    pub other_conversations: i64,
    pub messages_per_conversation: i64,
    pub unread_total: i64,
    pub events: i64,
    pub other_events: i64,
    pub month: String,
    pub occurrences: usize,
}

impl CollabReport {
    pub fn of(s: &Sample) -> Self {
        Self {
            conversations: s.conversations.len() as i64,
            other_conversations: OTHER_CONVERSATIONS,
            messages_per_conversation: MESSAGES_PER_CONVERSATION,
            unread_total: s.unread_total,
            events: EVENTS,
            other_events: OTHER_EVENTS,
            month: s.from.get(..7).unwrap_or_default().to_string(),
            occurrences: s.occurrences,
        }
    }

    pub fn markdown(&self) -> String {
        format!(
            "\n### Messages and calendar (issue 16)\n\nOne user of the first organization with \
             the `employee` role: a member of {} group conversations ({} messages each, {} of \
             them unread in all) among {} conversations of other people, and an attendee of \
             {} recurring events (weekly on two days in Berlin, every other day in New York, \
             the 31st in Kolkata, a weekly series with a count in UTC, the first Monday in \
             London) among {} single events of others; their month {} holds {} occurrences. \
             The conversation list is its first page of {}, each with members, last message \
             and unread count; send message writes into the user's conversations, \
             notifying the two other members.\n",
            self.conversations,
            self.messages_per_conversation,
            self.unread_total,
            self.other_conversations,
            self.events,
            self.other_events,
            self.month,
            self.occurrences,
            LIST_LIMIT,
        )
    }
}
