//! sea-orm adapters of the recruitment ports: job postings, candidates, applications with
//! their stage history, interviews with their interviewers and feedback, offers.

mod applications;
mod candidates;
mod interviews;
mod offers;
mod postings;

/// `Records<JobPosting>`.
pub type SqlJobPostingRepository = crate::SqlRecords<postings::Entity>;
/// `Records<Candidate>` and `CandidateStore`.
pub type SqlCandidateRepository = crate::SqlRecords<candidates::Entity>;
/// `Records<Application>` and `ApplicationStore`.
pub type SqlApplicationRepository = crate::SqlRecords<applications::Entity>;
/// `Records<Interview>` and `InterviewStore`.
pub type SqlInterviewRepository = crate::SqlRecords<interviews::Entity>;
pub use offers::SqlOfferRepository;
