//! sea-orm adapters of the training ports: programs, sessions, enrollments (with the
//! `TrainingStore` queries).

mod enrollments;
mod programs;
mod sessions;

pub use enrollments::Entity as Enrollments;
pub use programs::Entity as Programs;
pub use sessions::Entity as Sessions;
