//! Old references "by id or by name" (docs/legacy/NODE-MODELS.md: the link columns are free
//! text, an id or a label as the frontend sent it), resolved in what the run wrote: the
//! departments, designations and projects of each tenant.

use crate::report::Report;
use crm_domain::OrganizationId;
use std::collections::HashMap;

/// Records of one kind by old id and by name, per organization.
#[derive(Default)]
pub(crate) struct Names {
    /// Old id → the record here.
    by_id: HashMap<(OrganizationId, String), uuid::Uuid>,
    /// Lower-cased name → the record here (the first row of that name).
    by_name: HashMap<(OrganizationId, String), uuid::Uuid>,
}

impl Names {
    pub fn add(&mut self, org: OrganizationId, legacy: &str, name: &str, id: uuid::Uuid) {
        self.by_id.insert((org, legacy.to_string()), id);
        self.by_name
            .entry((org, name.trim().to_lowercase()))
            .or_insert(id);
    }

    /// The record an old id or name stands for in `org`.
    pub fn find(&self, org: OrganizationId, raw: &str) -> Option<uuid::Uuid> {
        self.by_id
            .get(&(org, raw.to_string()))
            .or_else(|| self.by_name.get(&(org, raw.trim().to_lowercase())))
            .copied()
    }

    /// As [`Self::find`] for the `column` of a row of `source`; a value that names nothing
    /// is reported (the link is left empty).
    pub fn resolve(
        &self,
        report: &mut Report,
        source: &str,
        legacy: &str,
        column: &str,
        org: OrganizationId,
        raw: Option<&str>,
    ) -> Option<uuid::Uuid> {
        let raw = raw?;
        let found = self.find(org, raw);
        if found.is_none() {
            report.note(
                source,
                legacy,
                format!("{column} {raw:?} names no imported {column} of the tenant: left empty"),
            );
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_found_by_old_id_or_by_name_in_its_organization() {
        let (a, b) = (
            OrganizationId(uuid::Uuid::now_v7()),
            OrganizationId(uuid::Uuid::now_v7()),
        );
        let (sales, ops) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let mut names = Names::default();
        names.add(a, "D1", "Sales", sales);
        names.add(a, "D2", "sales", ops);
        assert_eq!(names.find(a, "D1"), Some(sales));
        assert_eq!(names.find(a, "D2"), Some(ops));
        // The first row of a name answers for the name.
        assert_eq!(names.find(a, " SALES "), Some(sales));
        assert_eq!(names.find(b, "D1"), None);
        assert_eq!(names.find(a, "Marketing"), None);
    }
}
