//! `GET /reports/recruitment?job_posting_id=`: per pipeline stage, how many applications
//! reached it and how many days they spent in it, read from the stage history.
//!
//! - `count`: the applications that entered the stage at least once, whether still in it or
//!   moved on (a stage entered twice counts the application once).
//! - `average_days`: over the applications that *left* the stage, the mean of the days each
//!   spent in it (all its stays there summed, measured between the history entries that
//!   entered and left it). Applications still in the stage are not counted: their stay is
//!   not over, and counting it "up to now" would make the figure drift with the clock and
//!   grow without end for the final stages. So a stage nobody has left yet (and every final
//!   stage, which is never left) is `null`. Exact: seconds summed in SQL, the mean rounded
//!   half up to hundredths of a day once ([`Days::ratio_half_up`]).
//! - Every stage is listed, in pipeline order, with `count` 0 when none reached it.

use super::applications::ApplicationStage;
use super::ports::StageTotals;
use super::postings::JobPostingId;
use crate::days::Days;
use serde::{Deserialize, Serialize};

/// `GET /reports/recruitment` query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct RecruitmentReportQuery {
    /// One posting's applications; every posting's when absent.
    #[cfg_attr(feature = "openapi", param(value_type = Option<uuid::Uuid>))]
    pub job_posting_id: Option<JobPostingId>,
}

/// One stage of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageReport {
    pub stage: ApplicationStage,
    /// Applications that reached the stage, whether still in it or moved on.
    pub count: i64,
    /// The mean days spent in the stage by the applications that left it (2 decimals);
    /// `null` when none has left it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>, example = 3.5))]
    pub average_days: Option<Days>,
}

/// `GET /reports/recruitment`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"stages": [
    {"stage": "applied", "count": 12, "average_days": 2.5},
    {"stage": "screening", "count": 8, "average_days": 4},
    {"stage": "interview", "count": 5, "average_days": 6.25},
    {"stage": "offer", "count": 2, "average_days": 3},
    {"stage": "hired", "count": 1, "average_days": null},
    {"stage": "rejected", "count": 6, "average_days": null},
    {"stage": "withdrawn", "count": 0, "average_days": null}
]})))]
pub struct RecruitmentReport {
    /// Every stage, in pipeline order.
    pub stages: Vec<StageReport>,
}

const SECONDS_PER_DAY: i128 = 86_400;

/// The report of the history's sums (stages never entered are left out of `totals`).
pub fn report_of(totals: &[StageTotals]) -> RecruitmentReport {
    let stages = ApplicationStage::ALL
        .iter()
        .map(|stage| {
            let t = totals.iter().find(|t| t.stage == *stage);
            StageReport {
                stage: *stage,
                count: t.map_or(0, |t| t.applications),
                average_days: t.filter(|t| t.left > 0).map(|t| {
                    Days::ratio_half_up(
                        i128::from(t.seconds) * 100,
                        i128::from(t.left) * SECONDS_PER_DAY,
                    )
                }),
            }
        })
        .collect();
    RecruitmentReport { stages }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn totals(stage: ApplicationStage, applications: i64, left: i64, seconds: i64) -> StageTotals {
        StageTotals {
            stage,
            applications,
            left,
            seconds,
        }
    }

    #[test]
    fn every_stage_in_pipeline_order_with_exact_means() {
        const DAY: i64 = 86_400;
        let r = report_of(&[
            // 3 reached `applied`, 2 left it after 10 and 4 days.
            totals(ApplicationStage::Applied, 3, 2, 14 * DAY),
            // 1 left `screening` after a day and a third (1.333… → 1.33).
            totals(ApplicationStage::Screening, 2, 1, DAY + DAY / 3),
            totals(ApplicationStage::Hired, 1, 0, 0),
        ]);
        let got: Vec<(ApplicationStage, i64, Option<Days>)> = r
            .stages
            .iter()
            .map(|s| (s.stage, s.count, s.average_days))
            .collect();
        assert_eq!(
            got,
            vec![
                (ApplicationStage::Applied, 3, Some(Days::whole(7))),
                (
                    ApplicationStage::Screening,
                    2,
                    Some(Days::from_hundredths(133))
                ),
                (ApplicationStage::Interview, 0, None),
                (ApplicationStage::Offer, 0, None),
                (ApplicationStage::Hired, 1, None),
                (ApplicationStage::Rejected, 0, None),
                (ApplicationStage::Withdrawn, 0, None),
            ]
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["stages"][1]["average_days"], serde_json::json!(1.33));
        assert_eq!(json["stages"][4]["average_days"], serde_json::Value::Null);
    }

    #[test]
    fn half_a_hundredth_rounds_up() {
        // 0.005 of a day = 432 seconds: rounds to 0.01.
        let r = report_of(&[totals(ApplicationStage::Offer, 1, 1, 432)]);
        assert_eq!(r.stages[3].average_days, Some(Days::from_hundredths(1)));
        let r = report_of(&[totals(ApplicationStage::Offer, 1, 1, 431)]);
        assert_eq!(r.stages[3].average_days, Some(Days::ZERO));
    }

    proptest! {
        /// The mean is the exact ratio rounded once: within half a hundredth of it, and
        /// never negative.
        #[test]
        fn the_mean_is_the_rounded_exact_ratio(
            left in 1i64..10_000,
            seconds in 0i64..(10_000i64 * 86_400 * 365),
        ) {
            let r = report_of(&[totals(ApplicationStage::Interview, left, left, seconds)]);
            let mean = r.stages[2].average_days.unwrap().hundredths();
            prop_assert!(mean >= 0);
            // |mean/100 − seconds/(left·86400)| ≤ 1/200, in integers.
            let exact_num = i128::from(seconds) * 100;
            let den = i128::from(left) * 86_400;
            let diff = (i128::from(mean) * den - exact_num).abs();
            prop_assert!(diff * 2 <= den);
        }
    }
}
