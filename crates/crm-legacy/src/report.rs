//! What a run did: per table, the records created, updated and skipped (the summary printed on
//! standard output), and one line per row or column that could not be taken as it was, with
//! the reason (the CSV report `table,legacy_id,reason`).

use std::collections::BTreeMap;
use std::io::Write;

/// One line of the CSV report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The source table.
    pub table: String,
    /// The source row's id; empty for a finding about a whole table or column.
    pub legacy_id: String,
    pub reason: String,
}

/// One table of this database filled from one table of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    pub source: &'static str,
    pub target: &'static str,
}

/// The counts of one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    /// Rows read and left as they were: already imported and unchanged.
    pub unchanged: u64,
    pub skipped: u64,
}

/// Everything a run reports.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Steps in the order they ran.
    order: Vec<Step>,
    counts: BTreeMap<Step, Counts>,
    pub findings: Vec<Finding>,
}

/// What happened to one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Report {
    fn entry(&mut self, step: Step) -> &mut Counts {
        if !self.counts.contains_key(&step) {
            self.order.push(step);
        }
        self.counts.entry(step).or_default()
    }

    /// Registers `step`, so it appears in the summary even when it had no rows.
    pub fn step(&mut self, step: Step) {
        self.entry(step);
    }

    pub fn counted(&mut self, step: Step, outcome: Outcome) {
        let c = self.entry(step);
        match outcome {
            Outcome::Created => c.created += 1,
            Outcome::Updated => c.updated += 1,
            Outcome::Unchanged => c.unchanged += 1,
        }
    }

    /// A source row that was not imported, and why.
    pub fn skip(&mut self, step: Step, legacy_id: &str, reason: impl Into<String>) {
        self.entry(step).skipped += 1;
        self.note(step.source, legacy_id, reason);
    }

    /// Something worth knowing about a row that was imported anyway (a recomputed total, a
    /// reference that did not resolve), or about a whole table (`legacy_id` empty).
    pub fn note(&mut self, source: &str, legacy_id: &str, reason: impl Into<String>) {
        self.findings.push(Finding {
            table: source.to_string(),
            legacy_id: legacy_id.to_string(),
            reason: reason.into(),
        });
    }

    pub fn counts(&self, step: Step) -> Counts {
        self.counts.get(&step).copied().unwrap_or_default()
    }

    /// The summary: one line per step, `target <- source  created N  updated N  unchanged N
    /// skipped N`.
    pub fn summary(&self) -> String {
        let label = |s: &Step| format!("{} <- {}", s.target, s.source);
        let width = self.order.iter().map(|s| label(s).len()).max().unwrap_or(0);
        let mut out = String::new();
        for step in &self.order {
            let c = self.counts(*step);
            out.push_str(&format!(
                "{:<width$}  created {}  updated {}  unchanged {}  skipped {}\n",
                label(step),
                c.created,
                c.updated,
                c.unchanged,
                c.skipped
            ));
        }
        out
    }

    /// The findings as CSV with the header `table,legacy_id,reason`.
    pub fn write_csv(&self, out: impl Write) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["table", "legacy_id", "reason"])?;
        for f in &self.findings {
            w.write_record([&f.table, &f.legacy_id, &f.reason])?;
        }
        w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_steps_in_run_order_and_the_csv_quotes_reasons() {
        let users = Step {
            source: "Users",
            target: "users",
        };
        let leads = Step {
            source: "Leads",
            target: "leads",
        };
        let mut r = Report::default();
        r.step(users);
        r.counted(users, Outcome::Created);
        r.skip(leads, "abc", "owner, \"x\", not found");
        r.counted(leads, Outcome::Unchanged);
        assert_eq!(
            r.summary(),
            "users <- Users  created 1  updated 0  unchanged 0  skipped 0\n\
             leads <- Leads  created 0  updated 0  unchanged 1  skipped 1\n"
        );
        let mut csv = Vec::new();
        r.write_csv(&mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "table,legacy_id,reason\nLeads,abc,\"owner, \"\"x\"\", not found\"\n"
        );
    }
}
