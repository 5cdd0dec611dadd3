//! sea-orm adapters of the projects ports: projects with their members, tasks with their
//! assignees, dependencies and board, milestones, time entries.

mod milestones;
// `projects::projects`: the `projects` table of the projects module.
#[allow(clippy::module_inception)]
mod projects;
mod tasks;
mod time_entries;

/// `Records<Project>` and `ProjectStore`.
pub type SqlProjectRepository = crate::SqlRecords<projects::Entity>;
/// `Records<Milestone>`.
pub type SqlMilestoneRepository = crate::SqlRecords<milestones::Entity>;
/// `Records<TimeEntry>` and `TimeStore`.
pub type SqlTimeEntryRepository = crate::SqlRecords<time_entries::Entity>;
/// The tables the client timeline reads.
pub(crate) use projects::{
    Column as ProjectColumn, Entity as ProjectEntity, members as project_members,
};
pub use tasks::SqlTaskRepository;

use crm_domain::TxManager;
use crm_domain::activity::ActivityRepository;
use crm_domain::clients::Client;
use crm_domain::identity::{Clock, OrganizationRepository, UserRepository};
use crm_domain::kernel::records::Records;
use crm_projects::ports::ProjectPorts;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What the projects ports share with the other modules.
pub struct Shared {
    pub tx: Arc<dyn TxManager>,
    pub clients: Arc<dyn Records<Client>>,
    pub organizations: Arc<dyn OrganizationRepository>,
    pub users: Arc<dyn UserRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    pub clock: Arc<dyn Clock>,
}

/// The ports of the projects services on `db`, as the server (`crm-api`'s `app.rs`) and the
/// integration tests wire them.
pub fn ports(db: &DatabaseConnection, shared: Shared) -> ProjectPorts {
    let tasks = Arc::new(SqlTaskRepository::new(db.clone()));
    let projects = Arc::new(SqlProjectRepository::new(db.clone()));
    let time = Arc::new(SqlTimeEntryRepository::new(db.clone()));
    ProjectPorts {
        tx: shared.tx,
        activities: shared.activities,
        organizations: shared.organizations,
        users: shared.users,
        clients: shared.clients,
        clock: shared.clock,
        projects: projects.clone(),
        project_store: projects,
        tasks: tasks.clone(),
        task_store: tasks.clone(),
        graph: tasks,
        milestones: Arc::new(SqlMilestoneRepository::new(db.clone())),
        time_entries: time.clone(),
        time_store: time,
    }
}
