//! The loop of a job that acts on each due record of each organization.

use crate::kernel::error::DomainError;
use crate::kernel::ids::OrganizationId;
use std::fmt::Display;

/// Runs `act` on each `(organization, record)` of `due`, one after the other, and counts
/// those it acted on (`Ok(true)`). A failure is logged and the others go on: the record is
/// still due, so the next poll tries it again.
pub async fn act_on_each<I, F, Fut>(what: &str, due: &[(OrganizationId, I)], act: F) -> usize
where
    I: Copy + Display,
    F: Fn(OrganizationId, I) -> Fut,
    Fut: Future<Output = Result<bool, DomainError>>,
{
    let mut acted = 0;
    for (org, id) in due {
        match act(*org, *id).await {
            Ok(true) => acted += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(org = %org, record = %id, error = %e, "{what} not done; retried next poll");
            }
        }
    }
    acted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_what_it_acted_on_and_goes_on_after_a_failure() {
        let org = crate::kernel::testing::ORG;
        let due = [(org, 1u32), (org, 2), (org, 3), (org, 4)];
        let n = act_on_each("test", &due, |_, id| async move {
            match id {
                2 => Err(DomainError::Unavailable("down".into())),
                3 => Ok(false),
                _ => Ok(true),
            }
        })
        .await;
        assert_eq!(n, 2);
    }
}
