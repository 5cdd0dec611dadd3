//! `crm import legacy`: the command around `crm-legacy`'s run. The target is the server's own
//! database (`CRM__DATABASE__URL`), migrated first as `serve` does; the summary goes to
//! standard output, progress bars to standard error (only on a terminal), and a failure is
//! one line on standard error with a non-zero exit (`main_with`).

use crate::cli::ImportAction;
use crate::settings::Settings;
use crm_legacy::source::one_line;
use crm_legacy::{Options, Progress, Source, Step, Target};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

pub async fn run(settings: &Settings, action: ImportAction) -> Result<(), String> {
    let ImportAction::Legacy {
        from,
        dry_run,
        report,
        source_offset,
    } = action;
    let source = Source::connect(&from).await.map_err(|e| e.to_string())?;
    let db = crate::migrated_database(settings).await?;
    let bars = Bars::default();
    let mut options = Options::new(dry_run);
    if let Some(secs) = source_offset {
        options.source_offset_secs = secs;
    }
    let outcome = crm_legacy::run(&source, &Target::new(&db), options, &bars)
        .await
        // One line whatever the driver's message holds: the reason is the whole of stderr.
        .map_err(|e| format!("import failed, nothing was written: {}", one_line(&e)))?;
    let path = report.unwrap_or_else(|| {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        PathBuf::from(format!("legacy-import-report-{stamp}.csv"))
    });
    let file = std::fs::File::create(&path)
        .map_err(|e| format!("cannot write the report {}: {e}", path.display()))?;
    outcome
        .write_csv(std::io::BufWriter::new(file))
        .map_err(|e| format!("cannot write the report {}: {e}", path.display()))?;
    print!("{}", outcome.summary());
    if dry_run {
        println!("dry run: nothing was written");
    }
    println!(
        "report: {} ({} lines)",
        path.display(),
        outcome.findings.len()
    );
    Ok(())
}

/// One progress bar per table on standard error, hidden when it is not a terminal (a script
/// or a test reads the summary without the bars' escape codes).
#[derive(Default)]
struct Bars {
    current: Mutex<Option<ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, step: Step, rows: u64) {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(rows), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:<28} {wide_bar} {pos}/{len} {elapsed}")
        {
            bar.set_style(style);
        }
        bar.set_prefix(format!("{} <- {}", step.target, step.source));
        if let Ok(mut current) = self.current.lock() {
            *current = Some(bar);
        }
    }

    fn advance(&self) {
        if let Ok(current) = self.current.lock()
            && let Some(bar) = current.as_ref()
        {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Ok(mut current) = self.current.lock()
            && let Some(bar) = current.take()
        {
            bar.finish();
        }
    }
}
