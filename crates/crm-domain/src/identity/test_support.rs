//! Mocks and fakes shared by the identity service tests.

use super::codes::OneTimeCode;
use super::email::EmailAddress;
use super::model::{PersonName, Role, RoleId, User, UserStatus};
use super::password::PasswordHash;
use super::ports::*;
use crate::activity::{MockActivityRepository, NewActivity};
use crate::kernel::context::Actor;
use crate::kernel::error::StoreError;
use crate::kernel::ids::{OrganizationId, OutboxId, UserId};
use crate::kernel::uow::{FakeTx, Tx, TxManager};
use crate::mail::{MailTemplates, MockOutboxRepository, OutgoingMail};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const CODE: &str = "123456";
pub const NEW_REFRESH: &str = "rt-new";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// What a test inspects after the service ran.
#[derive(Clone, Default)]
pub struct Probe {
    pub committed: Arc<AtomicBool>,
    pub begins: Arc<AtomicUsize>,
    pub audit: Arc<Mutex<Vec<NewActivity>>>,
    pub mails: Arc<Mutex<Vec<OutgoingMail>>>,
}

impl Probe {
    pub fn committed(&self) -> bool {
        self.committed.load(Ordering::SeqCst)
    }
    pub fn begins(&self) -> usize {
        self.begins.load(Ordering::SeqCst)
    }
    pub fn audit(&self) -> Vec<NewActivity> {
        self.audit.lock().unwrap().clone()
    }
    pub fn mails(&self) -> Vec<OutgoingMail> {
        self.mails.lock().unwrap().clone()
    }
}

struct CountingTxManager(Probe);

#[async_trait]
impl TxManager for CountingTxManager {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        self.0.begins.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(FakeTx {
            committed: self.0.committed.clone(),
        }))
    }
}

pub struct FakeSecrets;
impl SecretHasher for FakeSecrets {
    fn hash(&self, secret: &str) -> SecretHash {
        SecretHash::new(format!("H[{secret}]"))
    }
}

pub fn hashed(secret: &str) -> SecretHash {
    FakeSecrets.hash(secret)
}

struct FakeGenerator;
impl SecretGenerator for FakeGenerator {
    fn six_digit_code(&self) -> OneTimeCode {
        OneTimeCode::parse(CODE).unwrap()
    }
    fn refresh_token(&self) -> String {
        NEW_REFRESH.into()
    }
}

struct FakeTokens;
impl TokenIssuer for FakeTokens {
    fn issue(
        &self,
        user: &User,
        session: super::model::FamilyId,
        _now: DateTime<Utc>,
    ) -> Result<AccessToken, TokenError> {
        Ok(AccessToken {
            token: format!("at:{}:{session}", user.id),
            expires_in: 900,
        })
    }
}

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

struct FakeTemplates;
impl MailTemplates for FakeTemplates {
    fn verification_code(&self, to: &str, _name: &str, code: &str, minutes: u32) -> OutgoingMail {
        mail(to, "verification", code, minutes)
    }
    fn password_reset_code(&self, to: &str, _name: &str, code: &str, minutes: u32) -> OutgoingMail {
        mail(to, "password_reset", code, minutes)
    }
    fn invitation(
        &self,
        to: &str,
        _name: &str,
        organization: &str,
        code: &str,
        minutes: u32,
    ) -> OutgoingMail {
        mail(to, &format!("invitation to {organization}"), code, minutes)
    }
}

fn mail(to: &str, subject: &str, code: &str, minutes: u32) -> OutgoingMail {
    OutgoingMail {
        to: to.into(),
        subject: subject.into(),
        text: format!("{code} valid {minutes} min"),
        html: None,
    }
}

/// Every port as a strict mock (an unexpected call fails the test), except the audit log and
/// the outbox, which accept anything and keep it for inspection.
pub struct Env {
    pub organizations: MockOrganizationRepository,
    pub users: MockUserRepository,
    pub roles: MockRoleRepository,
    pub departments: MockDepartmentRepository,
    pub designations: MockDesignationRepository,
    pub codes: MockVerificationCodeRepository,
    pub refresh_tokens: MockRefreshTokenRepository,
    pub activities: MockActivityRepository,
    pub outbox: MockOutboxRepository,
    pub passwords: MockPasswordHasher,
    pub probe: Probe,
}

impl Env {
    pub fn new() -> Self {
        let probe = Probe::default();
        let mut activities = MockActivityRepository::new();
        let audit = probe.audit.clone();
        activities.expect_record().returning(move |_, e| {
            audit.lock().unwrap().push(e);
            Ok(())
        });
        let mut outbox = MockOutboxRepository::new();
        let mails = probe.mails.clone();
        outbox.expect_enqueue().returning(move |_, _, m| {
            mails.lock().unwrap().push(m);
            Ok(OutboxId::new())
        });
        Self {
            organizations: MockOrganizationRepository::new(),
            users: MockUserRepository::new(),
            roles: MockRoleRepository::new(),
            departments: MockDepartmentRepository::new(),
            designations: MockDesignationRepository::new(),
            codes: MockVerificationCodeRepository::new(),
            refresh_tokens: MockRefreshTokenRepository::new(),
            activities,
            outbox,
            passwords: MockPasswordHasher::new(),
            probe,
        }
    }

    pub fn build(self) -> (IdentityPorts, Probe) {
        let probe = self.probe.clone();
        let ports = IdentityPorts {
            tx: Arc::new(CountingTxManager(self.probe)),
            organizations: Arc::new(self.organizations),
            users: Arc::new(self.users),
            roles: Arc::new(self.roles),
            departments: Arc::new(self.departments),
            designations: Arc::new(self.designations),
            codes: Arc::new(self.codes),
            refresh_tokens: Arc::new(self.refresh_tokens),
            activities: Arc::new(self.activities),
            outbox: Arc::new(self.outbox),
            mail: Arc::new(FakeTemplates),
            passwords: Arc::new(self.passwords),
            secrets: Arc::new(FakeSecrets),
            generator: Arc::new(FakeGenerator),
            tokens: Arc::new(FakeTokens),
            clock: Arc::new(FixedClock(now())),
        };
        (ports, probe)
    }
}

pub fn user(org: OrganizationId, email: &str, status: UserStatus) -> User {
    let t = now() - chrono::Duration::days(3);
    User {
        id: UserId::new(),
        organization_id: org,
        name: PersonName::parse("Ann Lee").unwrap(),
        email: EmailAddress::parse(email).unwrap(),
        password_hash: (status != UserStatus::Invited)
            .then(|| PasswordHash::new("$argon2id$stored")),
        status,
        department_id: None,
        designation_id: None,
        tokens_valid_after: None,
        last_login_at: None,
        created_at: t,
        updated_at: t,
        version: 3,
    }
}

pub fn actor(org: OrganizationId, perms: &[&str]) -> Actor {
    Actor::new(UserId::new(), org, perms.iter().map(|s| s.to_string()))
}

pub fn role(org: OrganizationId, name: &str, system: bool, perms: &[&str]) -> Role {
    let t = now() - chrono::Duration::days(3);
    Role {
        id: RoleId::new(),
        organization_id: org,
        name: name.into(),
        description: None,
        permissions: perms.iter().map(|s| s.to_string()).collect(),
        is_system: system,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

pub fn matches(
    check: PasswordCheck,
) -> impl Fn(&super::password::PlainPassword, &PasswordHash) -> Result<PasswordCheck, HashError> {
    move |_, _| Ok(check)
}
