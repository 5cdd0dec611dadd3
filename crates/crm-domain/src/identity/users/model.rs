//! A user, their status, the list fields and the inputs of `/users`.

use crate::activity::audit::Audited;
use crate::identity::email::EmailAddress;
use crate::identity::model::{DepartmentId, DesignationId, PersonName, RoleId};
use crate::identity::password::{PasswordHash, PlainPassword};
use crate::kernel::ids::{OrganizationId, UserId};
use crate::kernel::pagination::{FieldKind, FieldSpec, ListSpec};
use crate::kernel::rules::nullable;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::name_enum!(
    /// Where a user stands: `pending_verification` (registered, email not yet confirmed: may
    /// not sign in), `active`, `invited` (created by an admin without a password; activates by
    /// setting one with the mailed code) or `deactivated` (switched off by an admin: no
    /// sign-in, no refresh, live access tokens rejected).
    UserStatus, "status" {
        PendingVerification => "pending_verification",
        Active => "active",
        Invited => "invited",
        Deactivated => "deactivated",
    }
);

/// A person who signs in. Belongs to exactly one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub name: PersonName,
    pub email: EmailAddress,
    /// `None` for an invited user who has not chosen a password yet. Never serialized, so it
    /// cannot reach a response or an audit entry by accident.
    #[serde(skip)]
    pub password_hash: Option<PasswordHash>,
    pub status: UserStatus,
    pub department_id: Option<DepartmentId>,
    pub designation_id: Option<DesignationId>,
    /// Access tokens issued before this instant are dead (deactivation, password reset).
    pub tokens_valid_after: Option<DateTime<Utc>>,
    /// When the user last signed in (a login, or the email verification that opens a
    /// session); `None` before the first. Stamped without a new `version`: signing in is not
    /// a change of the resource.
    pub last_login_at: Option<DateTime<Utc>>,
    /// The record's id in the original Node.js server's database when it came from there
    /// (`crm import legacy`); `null` for records made here. Read-only.
    pub legacy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl User {
    /// Whether an access token issued at `issued_at` is still honoured for this user.
    ///
    /// Compared in whole seconds because a JWT `iat` carries no more: a token is dead when its
    /// second is before the stamp's second. The alternative (exact instants) would kill a
    /// token issued in the same second *after* a password reset; the price of this choice is
    /// that a token issued in the same second *before* the stamp survives, which deactivation
    /// does not care about (it also checks the status) and reset tolerates.
    pub fn accepts_token_issued_at(&self, issued_at: DateTime<Utc>) -> bool {
        self.status == UserStatus::Active
            && self
                .tokens_valid_after
                .is_none_or(|t| issued_at.timestamp() >= t.timestamp())
    }

    /// The copy to store after a change at `now`: one version later.
    pub(crate) fn touched(&self, now: DateTime<Utc>) -> Self {
        Self {
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// The audit log names users `user`; the password hash is not serialized, so it never
/// reaches an entry (password changes add a redacted `password` change of their own).
impl Audited for User {
    const ENTITY: &'static str = "user";
    fn entity_id(&self) -> Uuid {
        self.id.0
    }
}

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("created_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("updated_at", FieldKind::Timestamp)
        .range()
        .sort(),
    FieldSpec::new("name", FieldKind::Text).sort(),
    FieldSpec::new("email", FieldKind::Text).filter().sort(),
    FieldSpec::new("status", FieldKind::Text)
        .filter()
        .sort()
        .doc("`pending_verification`, `active`, `invited`, `deactivated`"),
    FieldSpec::new("department_id", FieldKind::Uuid).filter(),
    FieldSpec::new("designation_id", FieldKind::Uuid).filter(),
    // Users who never signed in match no range and sort first ascending.
    FieldSpec::new("last_login_at", FieldKind::Timestamp)
        .range()
        .sort()
        .nullable(),
];

/// `GET /users`: `q` searches name and email.
pub const USER_LIST_SPEC: ListSpec = ListSpec {
    fields: FIELDS,
    default_sort: "-created_at",
    searchable: true,
};

/// `POST /users`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Bo Chen",
    "email": "bo@acme.example",
    "role_ids": [
        "019bb138-11f4-78c9-a6ce-ab360512bd13"
    ],
    "department_id": "019bbbbb-b680-7ccd-8a14-876aeaff1a09",
    "designation_id": "019bbbc0-4a60-70f3-83e1-b258fd724452"
})))]
pub struct CreateUserInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line::<200>))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email))]
    pub email: String,
    /// With a password the user is active at once; without, invited by mail.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::opt_new_password))]
    pub password: Option<PlainPassword>,
    /// Absent: the `employee` role. Present (even empty): exactly these.
    pub role_ids: Option<Vec<RoleId>>,
    pub department_id: Option<DepartmentId>,
    pub designation_id: Option<DesignationId>,
}

/// `PATCH /users/{id}`; absent fields stay, `null` clears the nullable ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "Bo Chen-Martin",
    "designation_id": "019bbbc0-4a60-70f3-83e1-b258fd724452"
})))]
pub struct UserPatch {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::line_or_null::<200>))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::kernel::openapi::email_or_null))]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub department_id: Option<Option<DepartmentId>>,
    #[serde(default, deserialize_with = "nullable")]
    pub designation_id: Option<Option<DesignationId>>,
}

impl UserPatch {
    /// Only the name: what any user may change on their own profile.
    pub(crate) fn is_name_only(&self) -> bool {
        self.email.is_none() && self.department_id.is_none() && self.designation_id.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn user(status: UserStatus, tva: Option<DateTime<Utc>>) -> User {
        let now = Utc::now();
        User {
            id: UserId::new(),
            organization_id: OrganizationId::new(),
            name: PersonName::parse("Ann").unwrap(),
            email: EmailAddress::parse("ann@x.io").unwrap(),
            password_hash: Some(PasswordHash::new("$argon2id$x")),
            status,
            department_id: None,
            designation_id: None,
            tokens_valid_after: tva,
            last_login_at: None,
            legacy_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[test]
    fn status_round_trips_in_snake_case() {
        for s in [
            UserStatus::PendingVerification,
            UserStatus::Active,
            UserStatus::Invited,
            UserStatus::Deactivated,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
            assert_eq!(s.as_str().parse::<UserStatus>().unwrap(), s);
        }
        assert!("enabled".parse::<UserStatus>().is_err());
    }

    #[test]
    fn tokens_before_the_stamp_or_of_inactive_users_are_dead() {
        let stamp = DateTime::from_timestamp(1_800_000_000, 500_000_000).unwrap();
        let u = user(UserStatus::Active, Some(stamp));
        assert!(!u.accepts_token_issued_at(stamp - Duration::seconds(1)));
        // Whole seconds, as a JWT `iat` has them: the same second counts as after.
        assert!(u.accepts_token_issued_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap()));
        assert!(u.accepts_token_issued_at(stamp));
        assert!(user(UserStatus::Active, None).accepts_token_issued_at(stamp));
        assert!(!user(UserStatus::Deactivated, None).accepts_token_issued_at(stamp));
    }

    #[test]
    fn user_json_never_contains_the_hash() {
        let v = serde_json::to_value(user(UserStatus::Active, None)).unwrap();
        assert!(v.get("password_hash").is_none());
        assert_eq!(v["status"], "active");
        assert_eq!(v["email"], "ann@x.io");
    }
}
