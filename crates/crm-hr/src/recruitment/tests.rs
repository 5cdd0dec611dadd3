//! Unit tests of the recruitment services with mocked ports: every port is a strict mock (an
//! unexpected call fails the test), the audit log keeps its entries, the clock is stopped.

use super::applications::{
    Application, ApplicationId, ApplicationInput, ApplicationService, ApplicationStage, HireInput,
    MoveInput, StageMove, StageMoveId,
};
use super::candidates::{Candidate, CandidateId, CandidateInput, CandidateService};
use super::interviews::{
    Feedback, FeedbackInput, Interview, InterviewId, InterviewInput, InterviewMode,
    InterviewService, InterviewStatus, Recommendation, scheduled_for,
};
use super::offers::{Offer, OfferId, OfferService, OfferStatus};
use super::ports::{MockApplicationStore, MockCandidateStore, MockInterviewStore, StageTotals};
use super::postings::{JobPosting, JobPostingId, PostingStatus};
use crate::employees::{Employee, EmploymentType};
use crate::holidays::Holiday;
use crate::ports::{HrPorts, MockEmployeeStore, MockHolidayStore, MockScheduleStore};
use crate::work_schedules::WorkSchedule;
use chrono::{DateTime, Duration, Utc};
use crm_domain::activity::NewActivity;
use crm_domain::files::MockFileRepository;
use crm_domain::identity::{
    Department, Designation, EmailAddress, MockOrganizationRepository, MockUserRepository,
    Organization,
};
use crm_domain::kernel::numbering::MockDocumentCounterRepository;
use crm_domain::kernel::records::MockRecords;
use crm_domain::kernel::testing::{FixedClock, ORG, Probe, actor, now};
use crm_domain::{Actor, Currency, DomainError, StoreError, UserId};
use std::sync::{Arc, Mutex};

/// Every port of [`HrPorts`] as a strict mock, but the audit log (kept by the probe) and the
/// clock (stopped at [`now`]).
struct Env {
    users: MockUserRepository,
    organizations: MockOrganizationRepository,
    departments: MockRecords<Department>,
    designations: MockRecords<Designation>,
    counters: MockDocumentCounterRepository,
    employees: MockRecords<Employee>,
    employee_store: MockEmployeeStore,
    schedules: MockRecords<WorkSchedule>,
    schedule_store: MockScheduleStore,
    holidays: MockRecords<Holiday>,
    holiday_store: MockHolidayStore,
    files: MockFileRepository,
    job_postings: MockRecords<JobPosting>,
    candidates: MockRecords<Candidate>,
    candidate_store: MockCandidateStore,
    applications: MockRecords<Application>,
    application_store: MockApplicationStore,
    interviews: MockRecords<Interview>,
    interview_store: MockInterviewStore,
    offers: MockRecords<Offer>,
    probe: Probe,
}

impl Env {
    fn new() -> Self {
        Self {
            users: MockUserRepository::new(),
            organizations: MockOrganizationRepository::new(),
            departments: MockRecords::new(),
            designations: MockRecords::new(),
            counters: MockDocumentCounterRepository::new(),
            employees: MockRecords::new(),
            employee_store: MockEmployeeStore::new(),
            schedules: MockRecords::new(),
            schedule_store: MockScheduleStore::new(),
            holidays: MockRecords::new(),
            holiday_store: MockHolidayStore::new(),
            files: MockFileRepository::new(),
            job_postings: MockRecords::new(),
            candidates: MockRecords::new(),
            candidate_store: MockCandidateStore::new(),
            applications: MockRecords::new(),
            application_store: MockApplicationStore::new(),
            interviews: MockRecords::new(),
            interview_store: MockInterviewStore::new(),
            offers: MockRecords::new(),
            probe: Probe::default(),
        }
    }

    /// The organization of the tests, in UTC.
    fn with_org(mut self) -> Self {
        let mut org = Organization::new("Org".into(), usd(), now());
        org.id = ORG;
        self.organizations
            .expect_get()
            .returning(move |_| Ok(org.clone()));
        self
    }

    fn build(self) -> (HrPorts, Probe) {
        let probe = self.probe.clone();
        let ports = HrPorts {
            tx: probe.tx_manager(),
            activities: Arc::new(probe.activities()),
            organizations: Arc::new(self.organizations),
            users: Arc::new(self.users),
            clock: Arc::new(FixedClock::default()),
            departments: Arc::new(self.departments),
            designations: Arc::new(self.designations),
            counters: Arc::new(self.counters),
            employees: Arc::new(self.employees),
            employee_store: Arc::new(self.employee_store),
            schedules: Arc::new(self.schedules),
            schedule_store: Arc::new(self.schedule_store),
            holidays: Arc::new(self.holidays),
            holiday_store: Arc::new(self.holiday_store),
            files: Arc::new(self.files),
            job_postings: Arc::new(self.job_postings),
            candidates: Arc::new(self.candidates),
            candidate_store: Arc::new(self.candidate_store),
            applications: Arc::new(self.applications),
            application_store: Arc::new(self.application_store),
            interviews: Arc::new(self.interviews),
            interview_store: Arc::new(self.interview_store),
            offers: Arc::new(self.offers),
            ..crate::test_support::blank_ports(&probe)
        };
        (ports, probe)
    }
}

const HR: &[&str] = &[
    "job_postings:read",
    "job_postings:write",
    "candidates:read",
    "candidates:write",
    "applications:read",
    "applications:write",
    "applications:delete",
    "interviews:read",
    "interviews:write",
    "offers:read",
    "offers:write",
    "employees:write",
];

fn hr() -> Actor {
    actor(ORG, HR)
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn posting(status: PostingStatus, openings: i64) -> JobPosting {
    JobPosting {
        id: JobPostingId::new(),
        organization_id: ORG,
        title: "Engineer".into(),
        department_id: None,
        designation_id: None,
        location: None,
        employment_type: EmploymentType::Contract,
        openings,
        description: None,
        status,
        closes_on: None,
        salary_min: None,
        salary_max: None,
        salary_currency: None,
        hiring_manager_id: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn candidate(name: &str, email: &str) -> Candidate {
    Candidate {
        id: CandidateId::new(),
        organization_id: ORG,
        name: name.into(),
        email: EmailAddress::parse(email).unwrap(),
        phone: Some("+1 555 0100".into()),
        source: None,
        resume_file_id: None,
        notes: None,
        tags: Vec::new(),
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn application(p: &JobPosting, c: &Candidate, stage: ApplicationStage) -> Application {
    Application {
        id: ApplicationId::new(),
        organization_id: ORG,
        job_posting_id: p.id,
        candidate_id: c.id,
        stage,
        rating: None,
        source: None,
        cover_letter: None,
        rejection_reason: None,
        stage_changed_at: now() - Duration::days(3),
        employee_id: None,
        created_at: now() - Duration::days(3),
        updated_at: now() - Duration::days(3),
        version: 1,
    }
}

fn conflict_code<T: std::fmt::Debug>(
    r: Result<T, DomainError>,
) -> (&'static str, Option<uuid::Uuid>) {
    match r {
        Err(DomainError::Conflict {
            code, existing_id, ..
        }) => (code, existing_id),
        other => panic!("expected 409, got {other:?}"),
    }
}

fn fields<T: std::fmt::Debug>(r: Result<T, DomainError>) -> Vec<(String, String)> {
    match r {
        Err(DomainError::Invalid(e)) => e.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

fn actions(probe: &Probe) -> Vec<(&'static str, &'static str)> {
    probe
        .audit()
        .iter()
        .map(|e| (e.entity_type, e.event_verb.unwrap_or(e.action)))
        .collect()
}

/// `get` and `get_for_update` of `records` answer `record` by id, `NotFound` otherwise.
macro_rules! stored {
    ($records:expr, $record:expr) => {{
        let r = $record.clone();
        $records.expect_get().returning(move |o, id| {
            if o == ORG && id == r.id {
                Ok(r.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
        let r = $record.clone();
        $records.expect_get_for_update().returning(move |_, o, id| {
            if o == ORG && id == r.id {
                Ok(r.clone())
            } else {
                Err(StoreError::NotFound)
            }
        });
    }};
}

#[tokio::test]
async fn a_duplicate_email_is_learnt_from_the_insert_and_names_the_winner() {
    let mut env = Env::new().with_org();
    let winner = CandidateId::new();
    env.candidates.expect_create().times(1).returning(|_, _| {
        Err(StoreError::Conflict {
            constraint: "ux_candidates_email".into(),
        })
    });
    env.candidate_store
        .expect_find_by_email()
        .withf(|o, e, _| *o == ORG && e.as_str() == "ada@example.com")
        .times(1)
        .returning(move |_, _, _| Ok(Some(winner)));
    let (ports, probe) = env.build();
    let r = CandidateService::new(ports)
        .create(
            &hr(),
            CandidateInput {
                name: "Ada".into(),
                email: " ADA@Example.com".into(),
                ..CandidateInput::default()
            },
        )
        .await;
    assert_eq!(conflict_code(r), ("candidate-duplicate", Some(winner.0)));
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn only_an_open_posting_takes_applications_and_the_history_starts_with_the_create() {
    for status in [
        PostingStatus::Draft,
        PostingStatus::OnHold,
        PostingStatus::Closed,
    ] {
        let mut env = Env::new().with_org();
        let p = posting(status, 1);
        let c = candidate("Ada Lovelace", "ada@example.com");
        stored!(env.job_postings, p);
        stored!(env.candidates, c);
        let (ports, probe) = env.build();
        let r = ApplicationService::new(ports)
            .create(
                &hr(),
                ApplicationInput {
                    job_posting_id: p.id,
                    candidate_id: c.id,
                    stage: None,
                    rating: None,
                    source: None,
                    cover_letter: None,
                },
            )
            .await;
        assert_eq!(conflict_code(r).0, "job-posting-not-open", "{status}");
        assert!(!probe.committed());
    }

    let mut env = Env::new().with_org();
    let p = posting(PostingStatus::Open, 1);
    let c = candidate("Ada Lovelace", "ada@example.com");
    stored!(env.job_postings, p);
    stored!(env.candidates, c);
    env.applications
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    let entered: Arc<Mutex<Vec<StageMove>>> = Arc::default();
    let seen = entered.clone();
    env.application_store
        .expect_enter_stage()
        .times(1)
        .returning(move |_, e| {
            seen.lock().unwrap().push(e.clone());
            Ok(())
        });
    let (ports, probe) = env.build();
    let a = ApplicationService::new(ports)
        .create(
            &hr(),
            ApplicationInput {
                job_posting_id: p.id,
                candidate_id: c.id,
                stage: Some(ApplicationStage::Screening),
                rating: Some(5),
                source: None,
                cover_letter: None,
            },
        )
        .await
        .unwrap();
    let first = entered.lock().unwrap()[0].clone();
    assert_eq!(
        (
            first.application_id,
            first.from_stage,
            first.to_stage,
            first.moved_at
        ),
        (a.id, None, ApplicationStage::Screening, now())
    );
    assert_eq!(first.job_posting_id, p.id);
    assert!(probe.committed());
    assert_eq!(actions(&probe), [("application", "created")]);
}

#[tokio::test]
async fn a_second_application_of_a_candidate_names_the_first() {
    let mut env = Env::new().with_org();
    let p = posting(PostingStatus::Open, 1);
    let c = candidate("Ada Lovelace", "ada@example.com");
    let first = ApplicationId::new();
    stored!(env.job_postings, p);
    stored!(env.candidates, c);
    env.applications.expect_create().returning(|_, _| {
        Err(StoreError::Conflict {
            constraint: "ux_applications_candidate".into(),
        })
    });
    env.application_store
        .expect_find()
        .times(1)
        .returning(move |_, _, _| Ok(Some(first)));
    let (ports, probe) = env.build();
    let r = ApplicationService::new(ports)
        .create(
            &hr(),
            ApplicationInput {
                job_posting_id: p.id,
                candidate_id: c.id,
                stage: None,
                rating: None,
                source: None,
                cover_letter: None,
            },
        )
        .await;
    assert_eq!(conflict_code(r), ("application-exists", Some(first.0)));
    assert!(!probe.committed());
}

/// An open history row of `a`, entered `days` ago.
fn open_row(a: &Application, days: i64) -> StageMove {
    StageMove {
        id: StageMoveId::new(),
        organization_id: ORG,
        application_id: a.id,
        job_posting_id: a.job_posting_id,
        from_stage: None,
        to_stage: a.stage,
        moved_by: None,
        moved_at: now() - Duration::days(days),
        reason: None,
        left_at: None,
    }
}

#[tokio::test]
async fn a_move_closes_the_stage_it_leaves_with_the_time_spent_there() {
    let mut env = Env::new().with_org();
    let p = posting(PostingStatus::Open, 1);
    let c = candidate("Ada Lovelace", "ada@example.com");
    let a = application(&p, &c, ApplicationStage::Screening);
    let open = open_row(&a, 3);
    stored!(env.applications, a);
    let row = open.clone();
    env.application_store
        .expect_current_stage()
        .returning(move |_, _, _| Ok(Some(row.clone())));
    let closed_id = open.id;
    env.application_store
        .expect_leave_stage()
        .withf(move |_, o, id, at, secs| {
            *o == ORG && *id == closed_id && *at == now() && *secs == 3 * 86_400
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    env.application_store
        .expect_enter_stage()
        .withf(|_, e| {
            e.from_stage == Some(ApplicationStage::Screening)
                && e.to_stage == ApplicationStage::Rejected
                && e.reason.as_deref() == Some("Too junior")
        })
        .times(1)
        .returning(|_, _| Ok(()));
    env.applications
        .expect_update()
        .withf(|_, next, v| *v == 1 && next.version == 2)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let moved = ApplicationService::new(ports)
        .move_to(
            &hr(),
            a.id,
            Some(1),
            MoveInput {
                stage: ApplicationStage::Rejected,
                reason: Some(" Too junior ".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.stage, ApplicationStage::Rejected);
    assert_eq!(moved.rejection_reason.as_deref(), Some("Too junior"));
    assert_eq!(moved.stage_changed_at, now());
    assert_eq!(actions(&probe), [("application", "stage_changed")]);
    assert!(probe.committed());
}

#[tokio::test]
async fn final_stages_and_moves_to_hired_write_nothing() {
    for (stage, to) in [
        (ApplicationStage::Hired, ApplicationStage::Offer),
        (ApplicationStage::Rejected, ApplicationStage::Applied),
        (ApplicationStage::Withdrawn, ApplicationStage::Withdrawn),
        (ApplicationStage::Interview, ApplicationStage::Hired),
        (ApplicationStage::Interview, ApplicationStage::Interview),
    ] {
        let mut env = Env::new().with_org();
        let p = posting(PostingStatus::Open, 1);
        let c = candidate("Ada Lovelace", "ada@example.com");
        let a = application(&p, &c, stage);
        stored!(env.applications, a);
        let (ports, probe) = env.build();
        let r = ApplicationService::new(ports)
            .move_to(
                &hr(),
                a.id,
                None,
                MoveInput {
                    stage: to,
                    reason: None,
                },
            )
            .await;
        match (stage, to) {
            (ApplicationStage::Interview, ApplicationStage::Hired) => {
                assert_eq!(fields(r), [("stage".into(), "hire_required".into())])
            }
            (ApplicationStage::Interview, _) => assert_eq!(r.unwrap(), a, "unchanged"),
            _ => assert_eq!(conflict_code(r).0, "application-closed", "{stage} → {to}"),
        }
        assert!(!probe.committed());
        assert!(probe.audit().is_empty());
    }
}

/// An environment for the hire of `a` (of posting `p`, candidate `c`) with `hires` already
/// made: the employee's checks and number, the locks.
fn hire_env(p: &JobPosting, c: &Candidate, a: &Application, hires: i64) -> Env {
    let mut env = Env::new().with_org();
    stored!(env.job_postings, p);
    stored!(env.candidates, c);
    stored!(env.applications, a);
    let schedule = WorkSchedule::standard(ORG, chrono_tz::Tz::UTC, now());
    env.schedule_store
        .expect_default_of()
        .returning(move |_| Ok(Some(schedule.clone())));
    env.counters
        .expect_next()
        .times(1)
        .returning(|_, _, _, _| Ok(7));
    env.application_store
        .expect_hires()
        .times(1)
        .returning(move |_, _, _| Ok(hires));
    env
}

fn hire_input() -> HireInput {
    HireInput {
        hire_date: "2026-04-01".into(),
        department_id: None,
        designation_id: None,
    }
}

#[tokio::test]
async fn a_hire_makes_the_employee_and_closes_the_posting_it_fills_in_one_transaction() {
    let p = posting(PostingStatus::Open, 2);
    let c = candidate("Ada King Lovelace", "Ada@Example.com");
    let a = application(&p, &c, ApplicationStage::Offer);
    let mut env = hire_env(&p, &c, &a, 1);
    env.employees
        .expect_create()
        .withf(|_, e| {
            e.first_name == "Ada King"
                && e.last_name == "Lovelace"
                && e.employee_number == "EMP-0007"
                && e.email.as_ref().map(EmailAddress::as_str) == Some("ada@example.com")
                && e.employment_type == EmploymentType::Contract
        })
        .times(1)
        .returning(|_, _| Ok(()));
    env.application_store
        .expect_current_stage()
        .returning(|_, _, _| Ok(None));
    env.application_store
        .expect_enter_stage()
        .withf(|_, e| e.to_stage == ApplicationStage::Hired)
        .times(1)
        .returning(|_, _| Ok(()));
    env.applications
        .expect_update()
        .withf(|_, next, _| next.stage == ApplicationStage::Hired && next.employee_id.is_some())
        .times(1)
        .returning(|_, _, _| Ok(()));
    env.job_postings
        .expect_update()
        .withf(|_, next, v| next.status == PostingStatus::Closed && *v == 1)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let hire = ApplicationService::new(ports)
        .hire(&hr(), a.id, None, hire_input())
        .await
        .unwrap();
    assert_eq!(hire.application.employee_id, Some(hire.employee.id));
    assert_eq!(hire.employee.employee_number, "EMP-0007");
    assert_eq!(
        actions(&probe),
        [
            ("employee", "created"),
            ("application", "hired"),
            ("employee", "hired"),
            ("job_posting", "closed"),
        ]
    );
    assert!(probe.committed());
    assert_eq!(probe.begins(), 1, "one transaction");
}

#[tokio::test]
async fn a_filled_posting_takes_no_hire_and_nothing_is_written() {
    let p = posting(PostingStatus::Closed, 2);
    let c = candidate("Grace Hopper", "grace@example.com");
    let a = application(&p, &c, ApplicationStage::Interview);
    let env = hire_env(&p, &c, &a, 2);
    let (ports, probe) = env.build();
    let r = ApplicationService::new(ports)
        .hire(&hr(), a.id, None, hire_input())
        .await;
    assert_eq!(conflict_code(r).0, "job-posting-filled");
    assert!(!probe.committed());
    assert!(probe.audit().is_empty());
}

#[tokio::test]
async fn a_hire_needs_employees_write() {
    let (ports, probe) = Env::new().build();
    let recruiter = actor(ORG, &["applications:read", "applications:write"]);
    let r = ApplicationService::new(ports)
        .hire(&recruiter, ApplicationId::new(), None, hire_input())
        .await;
    assert!(matches!(r, Err(DomainError::Forbidden { .. })), "{r:?}");
    assert_eq!(probe.begins(), 0);
}

fn interview(a: &Application, interviewers: Vec<UserId>) -> InterviewInput {
    InterviewInput {
        application_id: a.id,
        round: None,
        starts_at: "2026-03-10T10:00:00+01:00".into(),
        ends_at: "2026-03-10T11:00:00+01:00".into(),
        mode: InterviewMode::Video,
        location: None,
        interviewer_ids: interviewers,
        status: None,
    }
}

#[tokio::test]
async fn a_busy_interviewer_is_refused_after_the_interviewers_are_locked_in_id_order() {
    let mut env = Env::new().with_org();
    let p = posting(PostingStatus::Open, 1);
    let c = candidate("Ada Lovelace", "ada@example.com");
    let a = application(&p, &c, ApplicationStage::Interview);
    stored!(env.applications, a);
    let (u1, u2) = (UserId::new(), UserId::new());
    let mut sorted = vec![u2, u1];
    sorted.sort();
    env.interview_store
        .expect_users_of()
        .returning(|_, users| Ok(users.to_vec()));
    let expected = sorted.clone();
    env.interview_store
        .expect_lock_users()
        .withf(move |_, o, users| *o == ORG && users == expected.as_slice())
        .times(1)
        .returning(|_, _, _| Ok(()));
    let other = InterviewId::new();
    env.interview_store
        .expect_overlapping()
        .withf(|_, _, _, s, e, _| {
            s.to_rfc3339() == "2026-03-10T09:00:00+00:00"
                && e.to_rfc3339() == "2026-03-10T10:00:00+00:00"
        })
        .times(1)
        .returning(move |_, _, _, _, _, _| Ok(Some((other, u1))));
    let (ports, probe) = env.build();
    let r = InterviewService::new(ports)
        .create(&hr(), interview(&a, vec![u2, u1, u2]))
        .await;
    assert_eq!(conflict_code(r), ("interviewer-busy", Some(other.0)));
    assert!(!probe.committed());
}

#[tokio::test]
async fn a_scheduled_interview_tells_each_interviewer() {
    let mut env = Env::new().with_org();
    let p = posting(PostingStatus::Open, 1);
    let c = candidate("Ada Lovelace", "ada@example.com");
    let a = application(&p, &c, ApplicationStage::Interview);
    stored!(env.applications, a);
    let (u1, u2) = (UserId::new(), UserId::new());
    env.interview_store
        .expect_users_of()
        .returning(|_, users| Ok(users.to_vec()));
    env.interview_store
        .expect_lock_users()
        .returning(|_, _, _| Ok(()));
    env.interview_store
        .expect_overlapping()
        .returning(|_, _, _, _, _, _| Ok(None));
    env.interviews
        .expect_create()
        .times(1)
        .returning(|_, _| Ok(()));
    env.interview_store
        .expect_set_interviewers()
        .withf(move |_, _, _, users| users == [u1, u2])
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let (ports, probe) = env.build();
    InterviewService::new(ports)
        .create(&hr(), interview(&a, vec![u1, u2]))
        .await
        .unwrap();
    let audit = probe.audit();
    assert_eq!(
        actions(&probe),
        [("interview", "created"), ("interview", "scheduled")]
    );
    assert_eq!(scheduled_for(&audit[1]), [u1, u2]);
    assert!(
        scheduled_for(&audit[0]).is_empty(),
        "only the scheduled entry tells"
    );
}

#[tokio::test]
async fn an_interview_of_a_final_application_is_refused() {
    let mut env = Env::new().with_org();
    let p = posting(PostingStatus::Open, 1);
    let c = candidate("Ada Lovelace", "ada@example.com");
    let a = application(&p, &c, ApplicationStage::Withdrawn);
    stored!(env.applications, a);
    let (ports, probe) = env.build();
    let r = InterviewService::new(ports)
        .create(&hr(), interview(&a, Vec::new()))
        .await;
    assert_eq!(conflict_code(r).0, "application-closed");
    assert!(!probe.committed());
}

fn stored_interview(interviewers: Vec<UserId>, status: InterviewStatus) -> Interview {
    let t: DateTime<Utc> = "2026-03-10T09:00:00Z".parse().unwrap();
    Interview {
        id: InterviewId::new(),
        organization_id: ORG,
        application_id: ApplicationId::new(),
        round: 1,
        starts_at: t,
        ends_at: t + Duration::hours(1),
        mode: InterviewMode::Onsite,
        location: None,
        interviewer_ids: interviewers,
        status,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

fn feedback() -> FeedbackInput {
    FeedbackInput {
        rating: 4,
        recommendation: Recommendation::Yes,
        notes: None,
    }
}

#[tokio::test]
async fn feedback_comes_from_a_listed_interviewer_once() {
    let me = actor(ORG, &["interviews:read:own"]);
    let colleague = actor(ORG, &["interviews:read"]);
    let i = stored_interview(vec![me.user_id], InterviewStatus::Completed);

    // Not listed, though a reader of every interview: 403.
    let mut env = Env::new();
    stored!(env.interviews, i);
    let (ports, _) = env.build();
    let r = InterviewService::new(ports)
        .add_feedback(&colleague, i.id, feedback())
        .await;
    assert!(
        matches!(
            r,
            Err(DomainError::Forbidden {
                code: "not-an-interviewer",
                ..
            })
        ),
        "{r:?}"
    );

    // Listed: once; the unique key refuses the second.
    let mut env = Env::new();
    stored!(env.interviews, i);
    let given: Arc<Mutex<Vec<Feedback>>> = Arc::default();
    let keep = given.clone();
    env.interview_store
        .expect_add_feedback()
        .returning(move |_, _, f| {
            let mut g = keep.lock().unwrap();
            if g.iter().any(|x| x.interviewer_id == f.interviewer_id) {
                return Err(StoreError::Conflict {
                    constraint: "ux_interview_feedback_once".into(),
                });
            }
            g.push(f.clone());
            Ok(())
        });
    let (ports, probe) = env.build();
    let s = InterviewService::new(ports);
    let f = s.add_feedback(&me, i.id, feedback()).await.unwrap();
    assert_eq!(f.interviewer_id, me.user_id);
    assert_eq!(actions(&probe), [("interview", "feedback_added")]);
    let again = s.add_feedback(&me, i.id, feedback()).await;
    assert_eq!(conflict_code(again).0, "feedback-given");

    // A cancelled interview takes none; a bad rating is 422 first.
    let cancelled = stored_interview(vec![me.user_id], InterviewStatus::Cancelled);
    let mut env = Env::new();
    stored!(env.interviews, cancelled);
    let (ports, _) = env.build();
    let s = InterviewService::new(ports);
    let bad = FeedbackInput {
        rating: 0,
        ..feedback()
    };
    assert_eq!(
        fields(s.add_feedback(&me, cancelled.id, bad).await),
        [("rating".into(), "out_of_range".into())]
    );
    assert_eq!(
        conflict_code(s.add_feedback(&me, cancelled.id, feedback()).await).0,
        "interview-cancelled"
    );
}

#[tokio::test]
async fn an_interviewer_under_own_reaches_only_their_interviews() {
    let me = actor(ORG, &["interviews:read:own"]);
    let theirs = stored_interview(vec![UserId::new()], InterviewStatus::Scheduled);
    let mut env = Env::new();
    stored!(env.interviews, theirs);
    let me_id = me.user_id;
    env.interviews
        .expect_list()
        .withf(move |_, _, scope| *scope == Some(me_id))
        .times(1)
        .returning(|_, _, _| {
            Ok(crm_domain::Page {
                data: Vec::new(),
                next_cursor: None,
                total: None,
            })
        });
    let (ports, _) = env.build();
    let s = InterviewService::new(ports);
    assert_eq!(s.get(&me, theirs.id).await, Err(DomainError::NotFound));
    assert_eq!(s.feedback(&me, theirs.id).await, Err(DomainError::NotFound));
    let q = crm_domain::ListQuery::parse(&super::interviews::INTERVIEW_LIST_SPEC, &[]).unwrap();
    s.list(&me, &q).await.unwrap();
}

fn offer(status: OfferStatus, expires_in_days: Option<i64>) -> Offer {
    Offer {
        id: OfferId::new(),
        organization_id: ORG,
        application_id: ApplicationId::new(),
        salary_amount: 100,
        salary_currency: usd(),
        start_date: None,
        expires_on: expires_in_days.map(|d| now().date_naive() + Duration::days(d)),
        status,
        sent_at: None,
        decided_at: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

#[tokio::test]
async fn offers_expire_on_the_organizations_today_without_a_write() {
    // A sent offer past its expiry reads expired and cannot be accepted; it can be withdrawn.
    let o = offer(OfferStatus::Sent, Some(-1));
    let mut env = Env::new().with_org();
    stored!(env.offers, o);
    env.offers
        .expect_update()
        .withf(|_, next, _| next.status == OfferStatus::Withdrawn && next.decided_at == Some(now()))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (ports, probe) = env.build();
    let s = OfferService::new(ports);
    assert_eq!(
        s.get(&hr(), o.id).await.unwrap().status,
        OfferStatus::Expired
    );
    assert_eq!(
        conflict_code(s.accept(&hr(), o.id, None).await).0,
        "offer-status"
    );
    let w = s.withdraw(&hr(), o.id, Some(1)).await.unwrap();
    assert_eq!(w.status, OfferStatus::Withdrawn);
    assert_eq!(actions(&probe), [("offer", "withdrawn")]);

    // A draft whose expiry has passed is not sent.
    let late = offer(OfferStatus::Draft, Some(-1));
    let mut env = Env::new().with_org();
    stored!(env.offers, late);
    let (ports, probe) = env.build();
    let r = OfferService::new(ports).send(&hr(), late.id, None).await;
    assert_eq!(conflict_code(r).0, "offer-expired");
    assert!(!probe.committed());
}

#[tokio::test]
async fn only_a_draft_offer_is_edited_or_deleted() {
    for status in [
        OfferStatus::Sent,
        OfferStatus::Accepted,
        OfferStatus::Withdrawn,
    ] {
        let o = offer(status, None);
        let mut env = Env::new().with_org();
        stored!(env.offers, o);
        let (ports, probe) = env.build();
        let s = OfferService::new(ports);
        let r = s
            .update(
                &hr(),
                o.id,
                None,
                super::offers::OfferPatch {
                    salary_amount: Some(5),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(conflict_code(r).0, "offer-not-draft");
        let hr_delete = actor(ORG, &["offers:delete"]);
        assert_eq!(
            conflict_code(s.delete(&hr_delete, o.id).await).0,
            "offer-not-draft"
        );
        assert!(!probe.committed());
    }
}

#[tokio::test]
async fn the_report_reads_the_stores_sums() {
    let mut env = Env::new();
    let p = JobPostingId::new();
    env.application_store
        .expect_stage_totals()
        .withf(move |o, posting| *o == ORG && *posting == Some(p))
        .times(1)
        .returning(|_, _| {
            Ok(vec![StageTotals {
                stage: ApplicationStage::Applied,
                applications: 4,
                left: 2,
                seconds: 3 * 86_400,
            }])
        });
    let (ports, _) = env.build();
    let s = ApplicationService::new(ports);
    let r = s.report(&hr(), Some(p)).await.unwrap();
    assert_eq!(r.stages.len(), ApplicationStage::ALL.len());
    assert_eq!(r.stages[0].count, 4);
    assert_eq!(
        r.stages[0].average_days,
        Some(crate::days::Days::from_hundredths(150))
    );
    let employee = actor(ORG, &["interviews:read:own"]);
    assert!(matches!(
        s.report(&employee, None).await,
        Err(DomainError::Forbidden { .. })
    ));
}

#[test]
fn the_scheduled_rule_reads_its_own_entries_only() {
    let u = UserId::new();
    let entry = |entity: &'static str, action: &'static str| NewActivity {
        organization_id: ORG,
        actor_id: None,
        entity_type: entity,
        entity_id: uuid::Uuid::now_v7(),
        action,
        changes: Vec::new(),
        data: Some(serde_json::json!({"notify_ids": [u], "interviewer_ids": [u]})),
        event_verb: None,
    };
    assert_eq!(scheduled_for(&entry("interview", "scheduled")), [u]);
    assert!(scheduled_for(&entry("interview", "updated")).is_empty());
    assert!(scheduled_for(&entry("task", "scheduled")).is_empty());
    assert_eq!(
        super::interview_scheduled(&entry("interview", "scheduled")),
        [u]
    );
}
