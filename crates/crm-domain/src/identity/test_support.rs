//! Mocks and fakes shared by the identity service tests.

use super::IdentityPorts;
use super::codes::OneTimeCode;
use super::departments::Department;
use super::departments::MockDepartmentRepository;
use super::designations::Designation;
use super::email::EmailAddress;
use super::model::{PersonName, RoleId};
use super::organization::MockOrganizationRepository;
use super::password::PasswordHash;
use super::ports::*;
use super::roles::{MockRoleRepository, Role};
use super::users::{MockUserRepository, User, UserStatus};
use crate::activity::MockActivityRepository;
use crate::kernel::ids::{OrganizationId, OutboxId, UserId};
use crate::kernel::records::MockRecords;
pub use crate::kernel::testing::{FixedClock, actor, now};
use crate::mail::{MailTemplates, MockOutboxRepository, OutgoingMail};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

pub const CODE: &str = "123456";
pub const NEW_REFRESH: &str = "rt-new";

/// What a test inspects after the service ran: the kernel's probe (transactions, audit
/// entries) and the mails queued in the outbox.
#[derive(Clone, Default)]
pub struct Probe {
    pub kernel: crate::kernel::testing::Probe,
    pub mails: Arc<Mutex<Vec<OutgoingMail>>>,
}

impl std::ops::Deref for Probe {
    type Target = crate::kernel::testing::Probe;
    fn deref(&self) -> &Self::Target {
        &self.kernel
    }
}

impl Probe {
    pub fn mails(&self) -> Vec<OutgoingMail> {
        self.mails.lock().unwrap().clone()
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
    fn notification(&self, to: &str, _name: &str, title: &str, body: &str) -> OutgoingMail {
        mail(to, title, body, 0)
    }
    fn invoice(&self, to: &str, _org: &str, number: &str, summary: &[String]) -> OutgoingMail {
        mail(to, number, &summary.join("; "), 0)
    }
}

fn mail(to: &str, subject: &str, code: &str, minutes: u32) -> OutgoingMail {
    OutgoingMail {
        to: to.into(),
        subject: subject.into(),
        text: format!("{code} valid {minutes} min"),
        html: None,
        attachments: Vec::new(),
    }
}

/// Every port as a strict mock (an unexpected call fails the test), except the audit log and
/// the outbox, which accept anything and keep it for inspection.
pub struct Env {
    pub organizations: MockOrganizationRepository,
    pub users: MockUserRepository,
    pub roles: MockRoleRepository,
    pub departments: MockRecords<Department>,
    pub department_tree: MockDepartmentRepository,
    pub designations: MockRecords<Designation>,
    pub codes: MockVerificationCodeRepository,
    pub refresh_tokens: MockRefreshTokenRepository,
    pub activities: MockActivityRepository,
    pub outbox: MockOutboxRepository,
    pub passwords: MockPasswordHasher,
    pub files: crate::files::MockFileRepository,
    pub probe: Probe,
}

impl Env {
    pub fn new() -> Self {
        let probe = Probe::default();
        let activities = probe.kernel.activities();
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
            departments: MockRecords::new(),
            department_tree: MockDepartmentRepository::new(),
            designations: MockRecords::new(),
            codes: MockVerificationCodeRepository::new(),
            refresh_tokens: MockRefreshTokenRepository::new(),
            activities,
            outbox,
            passwords: MockPasswordHasher::new(),
            files: crate::files::MockFileRepository::new(),
            probe,
        }
    }

    pub fn build(self) -> (IdentityPorts, Probe) {
        let probe = self.probe.clone();
        let ports = IdentityPorts {
            tx: self.probe.kernel.tx_manager(),
            organizations: Arc::new(self.organizations),
            users: Arc::new(self.users),
            roles: Arc::new(self.roles),
            departments: Arc::new(self.departments),
            department_tree: Arc::new(self.department_tree),
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
            clock: Arc::new(FixedClock::default()),
            files: Arc::new(self.files),
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
        legacy_id: None,
        created_at: t,
        updated_at: t,
        version: 3,
    }
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
