//! The leave balance engine (contract section 8, balances and ledger) as one pure,
//! replayable computation: [`balance`] and [`ledger`] are functions of the leave type's
//! [`LeavePolicy`], the person's hire date, the stored ledger rows (adjustments), the
//! person's requests and a date. No job has to run for an answer to be right, any date past
//! or future can be asked, and the same inputs always give the same answer in any order.
//! The balance is the ledger summed: both come from one replay of the years, oldest first.
//!
//! For each leave year (the calendar year) from the hire year on:
//! - **entitlement** (`upfront`): the year's `allowance_days` on 1 January; in the hire year
//!   the allowance × the days of the year from the hire date on (inclusive) ÷ the days of the
//!   year, rounded once to the nearest half day (never above the allowance), dated the hire
//!   date; hired on 1 January, the allowance itself;
//! - **accrual** (`monthly`): a twelfth on the first of each month; the accrued total after
//!   `m` months is allowance × m ÷ 12 rounded half up to hundredths *as a total*, and each
//!   month's row is the difference of two totals (so twelve months sum to the allowance
//!   exactly, and no month's rounding adds up);
//! - **carry forward** on 1 January: what the previous year left unused (the sum of its
//!   ledger rows: pending requests are not taken), never below 0, capped by
//!   `carry_forward_max_days`; the hire year carries nothing in;
//! - **carry forward expiry** `carry_forward_expiry_days` after 1 January (1 January + N
//!   days: with 90, the carried days are usable through 31 March and lapse on 1 April): the
//!   carried days that approved requests dated before that day did not use lapse. Carried
//!   days are used first: the days taken before the lapse draw on them before the year's
//!   own days (what lapses is the carried days less the days taken before the lapse, never
//!   below 0). No expiry (`None`), or one past 31 December, means they do not lapse within
//!   the year (what is left of them is then unused days of the year, capped again);
//! - **adjustment**: signed days with a date (`POST /leave-adjustments`), counted in the
//!   leave year of their date from that date on;
//! - **taken**: the days of approved requests, dated their first date in the year.
//!
//! `GET /leave-balances?as_of=` is then, for the leave year of `as_of`: `entitled` = the
//! entitlement and accrual rows dated up to `as_of`; `carried_forward` = the carried days
//! less what has lapsed by `as_of` (once lapsed, only the part requests used remains);
//! `adjustments` = the adjustment rows dated up to `as_of`; `taken` = the approved requests
//! of the year whatever their dates (future ones included); `pending` = the pending ones;
//! `available` = entitled + carried_forward + adjustments − taken − pending.
//!
//! Decided here, where the contract is silent:
//! - the leave year is the calendar year (`allowance_days` is "per calendar year");
//! - a request spanning two years takes each year's working days from that year's balance
//!   ([`crate::leave::counting`] splits it into [`YearPart`]s); a part that starts before the
//!   lapse may use carried days for all its days;
//! - `monthly` for a person hired mid-month: the hire month's twelfth is credited on the
//!   hire date when the hire date is on or before the 15th, else accrual starts on the first
//!   of the next month. Crediting every hire month would give a whole month for a day's
//!   work, crediting none would take a month from someone hired on the 2nd; the 15th keeps
//!   the first year within half a month of the day-prorated `upfront` entitlement, the
//!   payroll convention;
//! - no entitlement before the hire date; years before the hire year accrue nothing and
//!   carry nothing;
//! - only `adjustment` rows of the stored ledger are inputs; rows of the derived kinds (a
//!   job's materialised copy) are recomputed, and passing them in changes nothing;
//! - a pending request of a past year does not lower what that year carries forward (it is
//!   not taken until approved; when approved, the carry follows);
//! - a pending request does not use carried days until it is approved: in the balance, a
//!   pending request dated before the lapse does not keep them from lapsing (the balance
//!   shows the facts; the request check reads the pending ones as approved);
//! - `allow_negative_days` is a number of days `available` may go below 0 after a request
//!   ([`check_request`]): the new request must fit as of its own date (a monthly accrual due
//!   by then counts; a request dated in the past is read as of today, or the end of its
//!   year) and, when carried days lapse later that year, as of the lapse too;
//! - the engine knows no termination: accrual runs as long as the policy is asked.

use super::counting::YearPart;
use super::{LeaveRequestId, LeaveStatus, days_in_year, leave_year, year_end, year_start};
use crate::days::Days;
use chrono::{Datelike, NaiveDate};
use crm_domain::DomainError;
use crm_domain::kernel::input::invalid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a leave type grants its yearly allowance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Accrual {
    /// The year's allowance on 1 January (prorated in the hire year).
    Upfront,
    /// A twelfth on the first of each month.
    Monthly,
}

/// What the balance engine reads of a leave type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LeavePolicy {
    /// Per calendar year, 0 or more.
    pub allowance_days: Days,
    pub accrual: Accrual,
    /// The most days carried from one year into the next (0: none).
    pub carry_forward_max_days: Days,
    /// Days after 1 January when carried days lapse; `None`: not within the year.
    pub carry_forward_expiry_days: Option<u32>,
    /// How far below 0 `available` may go after a request.
    pub allow_negative_days: Days,
}

/// The kind of a ledger row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Entitlement,
    Accrual,
    CarryForward,
    CarryForwardExpiry,
    Taken,
    Adjustment,
}

/// One row of `GET /leave-ledger`: days in (positive) or out (negative) on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LedgerRow {
    pub date: NaiveDate,
    pub kind: LedgerKind,
    pub days: Days,
    pub leave_request_id: Option<LeaveRequestId>,
}

impl LedgerRow {
    /// An adjustment: the one kind of row that is an input.
    pub fn adjustment(date: NaiveDate, days: Days) -> Self {
        Self {
            date,
            kind: LedgerKind::Adjustment,
            days,
            leave_request_id: None,
        }
    }
}

/// What the engine reads of a leave request: its state and its days per leave year.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestFacts {
    pub id: LeaveRequestId,
    pub status: LeaveStatus,
    /// From [`crate::leave::counting::parts`], when the request was made.
    pub parts: Vec<YearPart>,
}

/// One leave type's balance as of a date (`GET /leave-balances`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Balance {
    pub entitled: Days,
    pub carried_forward: Days,
    pub adjustments: Days,
    pub taken: Days,
    pub pending: Days,
    pub available: Days,
}

/// The balance of the leave year of `as_of`, as of `as_of`.
pub fn balance(
    policy: &LeavePolicy,
    hire_date: NaiveDate,
    ledger_rows: &[LedgerRow],
    requests: &[RequestFacts],
    as_of: NaiveDate,
) -> Balance {
    let inputs = Inputs::new(ledger_rows, requests);
    let year = Replay::new(policy, hire_date, &inputs).year(leave_year(as_of));
    year.balance(as_of)
}

/// The ledger rows dated from `from` to `to` inclusive, by date (then kind, request, days),
/// derived as [`balance`] derives its figures.
pub fn ledger(
    policy: &LeavePolicy,
    hire_date: NaiveDate,
    ledger_rows: &[LedgerRow],
    requests: &[RequestFacts],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<LedgerRow> {
    if to < from {
        return Vec::new();
    }
    let inputs = Inputs::new(ledger_rows, requests);
    let mut replay = Replay::new(policy, hire_date, &inputs);
    let mut rows: Vec<LedgerRow> = (leave_year(from)..=leave_year(to))
        .flat_map(|y| replay.year(y).rows)
        .filter(|r| r.date >= from && r.date <= to)
        .collect();
    rows.sort_by_key(|r| (r.date, r.kind, r.leave_request_id, r.days));
    rows
}

/// Whether a new request with `parts` fits: for each leave year it touches, `available`
/// stays at or above −`allow_negative_days` as of the later of `today` and the part's date
/// (within the part's year), and as of the lapse of carried days when that comes later in
/// the year. It is read as if the new request and every pending one were approved (what
/// would be left once they all are): pending days then draw on the carried days as taken
/// ones do. Otherwise `422 days insufficient_balance`. `requests` are the person's other
/// requests of this leave type.
pub fn check_request(
    policy: &LeavePolicy,
    hire_date: NaiveDate,
    ledger_rows: &[LedgerRow],
    requests: &[RequestFacts],
    parts: &[YearPart],
    today: NaiveDate,
) -> Result<(), DomainError> {
    let mut all: Vec<RequestFacts> = requests
        .iter()
        .map(|r| RequestFacts {
            status: match r.status {
                LeaveStatus::Pending => LeaveStatus::Approved,
                s => s,
            },
            ..r.clone()
        })
        .collect();
    all.push(RequestFacts {
        id: LeaveRequestId(uuid::Uuid::nil()),
        status: LeaveStatus::Approved,
        parts: parts.to_vec(),
    });
    let inputs = Inputs::new(ledger_rows, &all);
    let mut replay = Replay::new(policy, hire_date, &inputs);
    let floor = -policy.allow_negative_days;
    for part in parts {
        let year = replay.year(part.year());
        let on = today.max(part.date).min(year_end(part.year()));
        let mut dates = vec![on];
        if let Some(lapse) = year.lapse
            && lapse > on
        {
            dates.push(lapse);
        }
        for d in dates {
            let available = year.balance(d).available;
            if available < floor {
                return Err(invalid(
                    "days",
                    "insufficient_balance",
                    format!(
                        "{} days requested in {}, {} available as of {d}",
                        part.days,
                        part.year(),
                        available + part.days
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The inputs by leave year.
struct Inputs<'a> {
    adjustments: BTreeMap<i32, Vec<&'a LedgerRow>>,
    /// (request, part) of pending and approved requests.
    parts: BTreeMap<i32, Vec<(&'a RequestFacts, &'a YearPart)>>,
}

impl<'a> Inputs<'a> {
    fn new(ledger_rows: &'a [LedgerRow], requests: &'a [RequestFacts]) -> Self {
        let mut adjustments: BTreeMap<i32, Vec<&LedgerRow>> = BTreeMap::new();
        for r in ledger_rows
            .iter()
            .filter(|r| r.kind == LedgerKind::Adjustment)
        {
            adjustments.entry(leave_year(r.date)).or_default().push(r);
        }
        let mut parts: BTreeMap<i32, Vec<_>> = BTreeMap::new();
        for r in requests.iter().filter(|r| r.status.holds_days()) {
            for p in &r.parts {
                parts.entry(p.year()).or_default().push((r, p));
            }
        }
        Self { adjustments, parts }
    }
}

/// Walks the years from the hire year on, carrying each year's unused days into the next.
struct Replay<'a> {
    policy: &'a LeavePolicy,
    hire_date: NaiveDate,
    inputs: &'a Inputs<'a>,
    /// The next year to compute, and what it carries in.
    next: i32,
    carry_in: Days,
}

impl<'a> Replay<'a> {
    fn new(policy: &'a LeavePolicy, hire_date: NaiveDate, inputs: &'a Inputs<'a>) -> Self {
        Self {
            policy,
            hire_date,
            inputs,
            next: leave_year(hire_date),
            carry_in: Days::ZERO,
        }
    }

    /// The year `y` (years are replayed in order; asking again for a year already passed
    /// replays from the hire year).
    fn year(&mut self, y: i32) -> Year {
        if y < self.next {
            self.next = leave_year(self.hire_date);
            self.carry_in = Days::ZERO;
        }
        while self.next < y {
            let unused: Days = self
                .build(self.next, self.carry_in)
                .rows
                .iter()
                .map(|r| r.days)
                .sum();
            self.carry_in = unused
                .max(Days::ZERO)
                .min(self.policy.carry_forward_max_days.max(Days::ZERO));
            self.next += 1;
        }
        if y < leave_year(self.hire_date) {
            return self.build(y, Days::ZERO);
        }
        self.build(y, self.carry_in)
    }

    /// Every ledger row of year `y`, given what it carries in.
    fn build(&self, y: i32, carry_in: Days) -> Year {
        let mut rows = self.grants(y);
        let mut pending = Days::ZERO;
        let mut taken = Days::ZERO;
        let mut lapse = None;
        let parts = self
            .inputs
            .parts
            .get(&y)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (request, part) in parts {
            match request.status {
                LeaveStatus::Approved => {
                    taken += part.days;
                    rows.push(LedgerRow {
                        date: part.date,
                        kind: LedgerKind::Taken,
                        days: -part.days,
                        leave_request_id: Some(request.id),
                    });
                }
                LeaveStatus::Pending => pending += part.days,
                LeaveStatus::Rejected | LeaveStatus::Cancelled => {}
            }
        }
        if carry_in > Days::ZERO {
            let jan_1 = year_start(y);
            rows.push(LedgerRow {
                date: jan_1,
                kind: LedgerKind::CarryForward,
                days: carry_in,
                leave_request_id: None,
            });
            let expiry = self
                .policy
                .carry_forward_expiry_days
                .and_then(|n| jan_1.checked_add_days(chrono::Days::new(u64::from(n))))
                .filter(|d| d.year() == y);
            if let Some(on) = expiry {
                lapse = Some(on);
                // Used first: the days taken before the lapse draw on the carried days.
                let used: Days = parts
                    .iter()
                    .filter(|(r, p)| r.status == LeaveStatus::Approved && p.date < on)
                    .map(|(_, p)| p.days)
                    .sum::<Days>()
                    .min(carry_in);
                let expired = carry_in - used;
                if expired > Days::ZERO {
                    rows.push(LedgerRow {
                        date: on,
                        kind: LedgerKind::CarryForwardExpiry,
                        days: -expired,
                        leave_request_id: None,
                    });
                }
            }
        }
        if let Some(adjustments) = self.inputs.adjustments.get(&y) {
            rows.extend(
                adjustments
                    .iter()
                    .map(|r| LedgerRow::adjustment(r.date, r.days)),
            );
        }
        Year {
            rows,
            taken,
            pending,
            lapse,
        }
    }

    /// The entitlement or accrual rows of year `y`.
    fn grants(&self, y: i32) -> Vec<LedgerRow> {
        let hire_year = leave_year(self.hire_date);
        let allowance = i128::from(self.policy.allowance_days.hundredths());
        if y < hire_year {
            return Vec::new();
        }
        let row = |date, kind, days| LedgerRow {
            date,
            kind,
            days,
            leave_request_id: None,
        };
        match self.policy.accrual {
            Accrual::Upfront => {
                let (date, days) = if y == hire_year && self.hire_date != year_start(y) {
                    let from_hire = (year_end(y) - self.hire_date).num_days() + 1;
                    let share = Days::ratio_nearest_half(
                        allowance * i128::from(from_hire),
                        i128::from(days_in_year(y)),
                    );
                    // Never more than a whole year's allowance (rounding up to the half
                    // day could pass an allowance that is not a multiple of it).
                    (self.hire_date, share.min(self.policy.allowance_days))
                } else {
                    (year_start(y), self.policy.allowance_days)
                };
                if days.is_zero() {
                    Vec::new()
                } else {
                    vec![row(date, LedgerKind::Entitlement, days)]
                }
            }
            Accrual::Monthly => {
                let mut rows = Vec::new();
                let mut total = Days::ZERO;
                let mut months = 0i128;
                for month in 1..=12u32 {
                    let first = NaiveDate::from_ymd_opt(y, month, 1).unwrap_or(year_start(y));
                    let on = if y > hire_year || month > self.hire_date.month() {
                        first
                    } else if month == self.hire_date.month() && self.hire_date.day() <= 15 {
                        self.hire_date
                    } else {
                        continue;
                    };
                    months += 1;
                    let next = Days::ratio_half_up(allowance * months, 12);
                    if next != total {
                        rows.push(row(on, LedgerKind::Accrual, next - total));
                    }
                    total = next;
                }
                rows
            }
        }
    }
}

/// One leave year replayed: all its rows, and what its requests hold.
struct Year {
    rows: Vec<LedgerRow>,
    /// Approved and pending days of the year, whatever their dates.
    taken: Days,
    pending: Days,
    /// When its carried days lapse, if within the year.
    lapse: Option<NaiveDate>,
}

impl Year {
    fn balance(&self, as_of: NaiveDate) -> Balance {
        let sum = |kinds: &[LedgerKind]| -> Days {
            self.rows
                .iter()
                .filter(|r| r.date <= as_of && kinds.contains(&r.kind))
                .map(|r| r.days)
                .sum()
        };
        let entitled = sum(&[LedgerKind::Entitlement, LedgerKind::Accrual]);
        let carried_forward = sum(&[LedgerKind::CarryForward, LedgerKind::CarryForwardExpiry]);
        let adjustments = sum(&[LedgerKind::Adjustment]);
        Balance {
            entitled,
            carried_forward,
            adjustments,
            taken: self.taken,
            pending: self.pending,
            available: entitled + carried_forward + adjustments - self.taken - self.pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn d(s: &str) -> Days {
        Days::parse(s).unwrap()
    }

    fn policy(allowance: &str, accrual: Accrual) -> LeavePolicy {
        LeavePolicy {
            allowance_days: d(allowance),
            accrual,
            carry_forward_max_days: Days::ZERO,
            carry_forward_expiry_days: None,
            allow_negative_days: Days::ZERO,
        }
    }

    fn request(status: LeaveStatus, start: &str, days: &str) -> RequestFacts {
        RequestFacts {
            id: LeaveRequestId::new(),
            status,
            parts: vec![YearPart {
                date: date(start),
                days: d(days),
            }],
        }
    }

    fn approved(start: &str, days: &str) -> RequestFacts {
        request(LeaveStatus::Approved, start, days)
    }

    fn pending(start: &str, days: &str) -> RequestFacts {
        request(LeaveStatus::Pending, start, days)
    }

    fn at(
        p: &LeavePolicy,
        hire: &str,
        adj: &[LedgerRow],
        reqs: &[RequestFacts],
        as_of: &str,
    ) -> Balance {
        balance(p, date(hire), adj, reqs, date(as_of))
    }

    fn kinds(rows: &[LedgerRow]) -> Vec<(String, LedgerKind, String)> {
        rows.iter()
            .map(|r| (r.date.to_string(), r.kind, r.days.to_string()))
            .collect()
    }

    #[test]
    fn upfront_prorates_the_hire_year_to_the_half_day() {
        let p = policy("20", Accrual::Upfront);
        // 275 of 365 days from 1 April: 15.07 → 15.
        assert_eq!(
            at(&p, "2026-04-01", &[], &[], "2026-12-31").entitled,
            d("15")
        );
        // 184 of 365 from 1 July: 10.08 → 10.
        assert_eq!(
            at(&p, "2026-07-01", &[], &[], "2026-07-01").entitled,
            d("10")
        );
        // A leap year: 292 of 366 days from 15 March, 25 × 292 / 366 = 19.95 → 20.
        let p25 = policy("25", Accrual::Upfront);
        assert_eq!(
            at(&p25, "2024-03-15", &[], &[], "2024-06-01").entitled,
            d("20")
        );
        // A quarter exactly rounds up: 21.25 × 73 / 365 = 4.25 → 4.5.
        let odd = policy("21.25", Accrual::Upfront);
        assert_eq!(
            at(&odd, "2026-10-20", &[], &[], "2026-10-20").entitled,
            d("4.5")
        );
        // Hired on 1 January: the whole allowance, not rounded.
        assert_eq!(
            at(&odd, "2026-01-01", &[], &[], "2026-01-01").entitled,
            d("21.25")
        );
        // Before the hire date nothing; the year after, the whole allowance on 1 January.
        assert_eq!(
            at(&p, "2026-04-01", &[], &[], "2026-03-31").entitled,
            Days::ZERO
        );
        assert_eq!(
            at(&p, "2026-04-01", &[], &[], "2025-06-01").entitled,
            Days::ZERO
        );
        assert_eq!(
            at(&p, "2026-04-01", &[], &[], "2027-01-01").entitled,
            d("20")
        );
        // Hired on 31 December: 20 / 365 = 0.05 → nothing.
        assert_eq!(
            at(&p, "2026-12-31", &[], &[], "2026-12-31").entitled,
            Days::ZERO
        );
        assert_eq!(
            kinds(&ledger(
                &p,
                date("2026-04-01"),
                &[],
                &[],
                date("2026-01-01"),
                date("2027-12-31")
            )),
            [
                ("2026-04-01".into(), LedgerKind::Entitlement, "15".into()),
                ("2027-01-01".into(), LedgerKind::Entitlement, "20".into()),
            ]
        );
    }

    #[test]
    fn monthly_accrues_twelfths_rounded_as_a_total() {
        let p = policy("20", Accrual::Monthly);
        let hire = "2020-06-01";
        // 5 months by 10 May: 20 × 5 / 12 = 8.333… → 8.33.
        assert_eq!(at(&p, hire, &[], &[], "2026-05-10").entitled, d("8.33"));
        assert_eq!(at(&p, hire, &[], &[], "2026-01-01").entitled, d("1.67"));
        assert_eq!(at(&p, hire, &[], &[], "2026-02-28").entitled, d("3.33"));
        assert_eq!(at(&p, hire, &[], &[], "2026-12-01").entitled, d("20"));
        // Rows are differences of rounded totals: never all the same, and summing to 20.
        let rows = ledger(
            &p,
            date(hire),
            &[],
            &[],
            date("2026-01-01"),
            date("2026-12-31"),
        );
        assert_eq!(rows.len(), 12);
        assert!(
            rows.iter()
                .all(|r| r.kind == LedgerKind::Accrual && r.date.day() == 1)
        );
        assert_eq!(
            rows[..5]
                .iter()
                .map(|r| r.days.to_string())
                .collect::<Vec<_>>(),
            ["1.67", "1.66", "1.67", "1.67", "1.66"]
        );
        assert_eq!(rows.iter().map(|r| r.days).sum::<Days>(), d("20"));
        // A twelfth rounded per month would give 1.67 × 12 = 20.04: never.
    }

    #[test]
    fn monthly_hire_month_counts_when_hired_by_the_15th() {
        let p = policy("24", Accrual::Monthly);
        // Hired 10 March: March's twelfth on the hire date.
        assert_eq!(
            at(&p, "2026-03-10", &[], &[], "2026-03-09").entitled,
            Days::ZERO
        );
        assert_eq!(
            at(&p, "2026-03-10", &[], &[], "2026-03-10").entitled,
            d("2")
        );
        assert_eq!(
            at(&p, "2026-03-10", &[], &[], "2026-12-31").entitled,
            d("20")
        );
        // Hired 15 March: still March.
        assert_eq!(
            at(&p, "2026-03-15", &[], &[], "2026-03-31").entitled,
            d("2")
        );
        // Hired 16 March: from 1 April.
        assert_eq!(
            at(&p, "2026-03-16", &[], &[], "2026-03-31").entitled,
            Days::ZERO
        );
        assert_eq!(
            at(&p, "2026-03-16", &[], &[], "2026-04-01").entitled,
            d("2")
        );
        assert_eq!(
            at(&p, "2026-03-16", &[], &[], "2026-12-31").entitled,
            d("18")
        );
        // Hired 20 December: nothing that year, a full twelfth on 1 January.
        assert_eq!(
            at(&p, "2026-12-20", &[], &[], "2026-12-31").entitled,
            Days::ZERO
        );
        assert_eq!(
            at(&p, "2026-12-20", &[], &[], "2027-01-01").entitled,
            d("2")
        );
    }

    fn carrying() -> LeavePolicy {
        LeavePolicy {
            carry_forward_max_days: d("5"),
            carry_forward_expiry_days: Some(90),
            ..policy("20", Accrual::Upfront)
        }
    }

    #[test]
    fn carry_forward_is_capped_used_first_and_lapses() {
        let p = carrying();
        let hire = "2020-01-01";
        // 2025: 12 of 20 taken, 8 unused → 5 carried (the cap).
        let mut reqs = vec![approved("2025-05-04", "12")];
        assert_eq!(
            at(&p, hire, &[], &reqs, "2026-01-01").carried_forward,
            d("5")
        );
        // 2026: 3 days in February use 3 of the 5; 4 in June come after the lapse.
        reqs.push(approved("2026-02-02", "3"));
        reqs.push(approved("2026-06-08", "4"));
        let before = at(&p, hire, &[], &reqs, "2026-03-31");
        assert_eq!(
            before,
            Balance {
                entitled: d("20"),
                carried_forward: d("5"),
                adjustments: Days::ZERO,
                taken: d("7"),
                pending: Days::ZERO,
                available: d("18"),
            }
        );
        // 1 April (1 January + 90 days): the 2 unused carried days lapse.
        let after = at(&p, hire, &[], &reqs, "2026-04-01");
        assert_eq!(after.carried_forward, d("3"));
        assert_eq!(after.available, d("16"));
        assert_eq!(
            kinds(&ledger(
                &p,
                date(hire),
                &[],
                &reqs,
                date("2026-01-01"),
                date("2026-12-31")
            )),
            [
                ("2026-01-01".into(), LedgerKind::Entitlement, "20".into()),
                ("2026-01-01".into(), LedgerKind::CarryForward, "5".into()),
                ("2026-02-02".into(), LedgerKind::Taken, "-3".into()),
                (
                    "2026-04-01".into(),
                    LedgerKind::CarryForwardExpiry,
                    "-2".into()
                ),
                ("2026-06-08".into(), LedgerKind::Taken, "-4".into()),
            ]
        );
        // 7 days taken before the lapse use all 5 carried days: nothing lapses.
        let early = vec![approved("2025-05-04", "12"), approved("2026-03-02", "7")];
        let b = at(&p, hire, &[], &early, "2026-12-31");
        assert_eq!((b.carried_forward, b.available), (d("5"), d("18")));
        // 2026 leaves 18 unused; 2027 carries the cap, 5.
        assert_eq!(
            at(&p, hire, &[], &early, "2027-01-01").carried_forward,
            d("5")
        );
        // A year that overdrew carries nothing (never a negative carry).
        let over = vec![approved("2025-05-04", "23")];
        assert_eq!(
            at(&p, hire, &[], &over, "2026-01-02").carried_forward,
            Days::ZERO
        );
        // No cap, no carry.
        let none = policy("20", Accrual::Upfront);
        assert_eq!(
            at(&none, hire, &[], &[], "2026-01-02").carried_forward,
            Days::ZERO
        );
        // No expiry: the carried days stay the whole year.
        let forever = LeavePolicy {
            carry_forward_expiry_days: None,
            ..p
        };
        assert_eq!(
            at(&forever, hire, &[], &[], "2026-12-31").carried_forward,
            d("5")
        );
        // An expiry of 0 days: they lapse on the day they come.
        let at_once = LeavePolicy {
            carry_forward_expiry_days: Some(0),
            ..p
        };
        assert_eq!(
            at(&at_once, hire, &[], &[], "2026-01-01").carried_forward,
            Days::ZERO
        );
        // The hire year carries nothing in.
        assert_eq!(
            at(&p, "2026-01-01", &[], &[], "2026-01-02").carried_forward,
            Days::ZERO
        );
    }

    #[test]
    fn pending_requests_hold_days_but_are_not_taken() {
        let p = carrying();
        let reqs = vec![pending("2025-11-02", "10"), pending("2026-02-02", "2")];
        // The pending 2025 request does not lower the carry: 20 unused → 5.
        let b = at(&p, "2020-01-01", &[], &reqs, "2026-03-01");
        assert_eq!(
            (b.carried_forward, b.pending, b.taken),
            (d("5"), d("2"), Days::ZERO)
        );
        assert_eq!(b.available, d("23"));
        // Pending days do not use the carried days: they lapse.
        assert_eq!(
            at(&p, "2020-01-01", &[], &reqs, "2026-04-01").carried_forward,
            Days::ZERO
        );
        // Rejected and cancelled requests count for nothing.
        let gone = vec![
            request(LeaveStatus::Rejected, "2026-02-02", "3"),
            request(LeaveStatus::Cancelled, "2026-02-09", "3"),
        ];
        assert_eq!(
            at(&p, "2020-01-01", &[], &gone, "2026-03-01"),
            at(&p, "2020-01-01", &[], &[], "2026-03-01")
        );
    }

    #[test]
    fn taken_counts_the_whole_year_whatever_the_dates() {
        let p = policy("20", Accrual::Upfront);
        let reqs = vec![approved("2026-08-03", "5"), approved("2025-08-04", "2")];
        let b = at(&p, "2020-01-01", &[], &reqs, "2026-01-15");
        assert_eq!((b.taken, b.available), (d("5"), d("15")));
    }

    #[test]
    fn adjustments_count_from_their_date_in_their_year() {
        let p = carrying();
        let adj = [
            LedgerRow::adjustment(date("2025-12-01"), d("-1.5")),
            LedgerRow::adjustment(date("2026-03-01"), d("2")),
            LedgerRow::adjustment(date("2026-06-01"), d("-0.5")),
        ];
        let hire = "2020-01-01";
        assert_eq!(
            at(&p, hire, &adj, &[], "2026-02-28").adjustments,
            Days::ZERO
        );
        assert_eq!(at(&p, hire, &adj, &[], "2026-03-01").adjustments, d("2"));
        let b = at(&p, hire, &adj, &[], "2026-06-01");
        assert_eq!((b.adjustments, b.available), (d("1.5"), d("21.5")));
        // 2025: 20 − 1.5 unused, capped at 5 anyway.
        assert_eq!(b.carried_forward, Days::ZERO, "lapsed on 1 April");
        // A large negative adjustment in 2025 lowers the carry below the cap.
        let big = [LedgerRow::adjustment(date("2025-12-01"), d("-17"))];
        assert_eq!(
            at(&p, hire, &big, &[], "2026-01-01").carried_forward,
            d("3")
        );
    }

    #[test]
    fn a_balance_may_go_negative_and_the_request_check_allows_the_policy_s_margin() {
        let p = LeavePolicy {
            allow_negative_days: d("2"),
            ..policy("10", Accrual::Upfront)
        };
        let hire = date("2020-01-01");
        let today = date("2026-03-02");
        let reqs = vec![approved("2026-02-02", "9")];
        let part = |start: &str, days: &str| YearPart {
            date: date(start),
            days: d(days),
        };
        // 1 left; 3 days go 2 below 0: allowed.
        assert!(check_request(&p, hire, &[], &reqs, &[part("2026-05-04", "3")], today).is_ok());
        // 3.5 days go 2.5 below: 422 insufficient_balance.
        let Err(DomainError::Invalid(e)) =
            check_request(&p, hire, &[], &reqs, &[part("2026-05-04", "3.5")], today)
        else {
            panic!("expected 422")
        };
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("days", "insufficient_balance")
        );
        // The balance itself goes negative when more is approved (an adjustment took days).
        let adj = [LedgerRow::adjustment(date("2026-03-01"), d("-3"))];
        assert_eq!(balance(&p, hire, &adj, &reqs, today).available, d("-2"));
        // Pending requests count against a new one.
        let more = vec![approved("2026-02-02", "9"), pending("2026-04-06", "2")];
        assert!(check_request(&p, hire, &[], &more, &[part("2026-05-04", "1.5")], today).is_err());
        assert!(check_request(&p, hire, &[], &more, &[part("2026-05-04", "1")], today).is_ok());
    }

    #[test]
    fn the_request_check_reads_the_balance_on_the_leave_s_date_and_at_the_lapse() {
        let monthly = policy("12", Accrual::Monthly);
        let hire = date("2020-01-01");
        let part = |start: &str, days: &str| YearPart {
            date: date(start),
            days: d(days),
        };
        // On 10 March, 3 days are accrued; by 1 June, 6: a 5-day leave in June fits.
        let today = date("2026-03-10");
        assert!(check_request(&monthly, hire, &[], &[], &[part("2026-06-01", "5")], today).is_ok());
        assert!(
            check_request(&monthly, hire, &[], &[], &[part("2026-03-16", "5")], today).is_err()
        );
        // Carried days pay for leave before the lapse only: with 5 carried and 20 of the
        // year, a 24-day leave in February fits, but with 8 already booked for June
        // (after the lapse) the year runs short once the unused carry lapses on 1 April.
        let p = carrying();
        let last_year = vec![approved("2025-05-04", "12")];
        let today = date("2026-01-05");
        assert!(
            check_request(
                &p,
                hire,
                &[],
                &last_year,
                &[part("2026-02-02", "24")],
                today
            )
            .is_ok()
        );
        let mut booked = last_year.clone();
        booked.push(approved("2026-06-01", "8"));
        assert!(check_request(&p, hire, &[], &booked, &[part("2026-02-02", "14")], today).is_ok());
        assert!(check_request(&p, hire, &[], &booked, &[part("2026-06-15", "14")], today).is_err());
        // Each year of a request across new year is checked against its own year.
        let two = [part("2026-12-28", "3"), part("2027-01-01", "2")];
        assert!(
            check_request(&policy("2", Accrual::Upfront), hire, &[], &[], &two, today).is_err()
        );
        assert!(check_request(&policy("3", Accrual::Upfront), hire, &[], &[], &two, today).is_ok());
    }

    #[test]
    fn a_request_across_new_year_takes_from_both_years() {
        let p = policy("20", Accrual::Upfront);
        let r = RequestFacts {
            id: LeaveRequestId::new(),
            status: LeaveStatus::Approved,
            parts: vec![
                YearPart {
                    date: date("2025-12-24"),
                    days: d("5"),
                },
                YearPart {
                    date: date("2026-01-01"),
                    days: d("1"),
                },
            ],
        };
        let reqs = [r.clone()];
        assert_eq!(at(&p, "2020-01-01", &[], &reqs, "2025-12-31").taken, d("5"));
        assert_eq!(at(&p, "2020-01-01", &[], &reqs, "2026-01-01").taken, d("1"));
        let rows = ledger(
            &p,
            date("2020-01-01"),
            &[],
            &reqs,
            date("2025-12-01"),
            date("2026-01-31"),
        );
        let taken: Vec<_> = rows
            .iter()
            .filter(|r| r.kind == LedgerKind::Taken)
            .collect();
        assert_eq!(taken.len(), 2);
        assert!(taken.iter().all(|t| t.leave_request_id == Some(r.id)));
    }

    // ---- property tests over generated people, policies and histories ----

    fn any_days(lo: i64, hi: i64) -> impl Strategy<Value = Days> {
        (lo..=hi).prop_map(Days::from_hundredths)
    }

    fn any_policy() -> impl Strategy<Value = LeavePolicy> {
        (
            any_days(0, 3000),
            prop::bool::ANY,
            any_days(0, 1000),
            prop::option::of(0u32..400),
            any_days(0, 500),
        )
            .prop_map(|(allowance, monthly, cap, expiry, negative)| LeavePolicy {
                allowance_days: allowance,
                accrual: if monthly {
                    Accrual::Monthly
                } else {
                    Accrual::Upfront
                },
                carry_forward_max_days: cap,
                carry_forward_expiry_days: expiry,
                allow_negative_days: negative,
            })
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0u64..(6 * 366)).prop_map(|n| date("2022-01-01") + chrono::Days::new(n))
    }

    fn any_status() -> impl Strategy<Value = LeaveStatus> {
        prop::sample::select(LeaveStatus::ALL.to_vec())
    }

    fn any_request() -> impl Strategy<Value = RequestFacts> {
        (
            any_status(),
            any_date(),
            1i64..=40,
            prop::bool::ANY,
            1i64..=5,
        )
            .prop_map(|(status, start, len, across, next_len)| {
                let mut parts = vec![YearPart {
                    date: start,
                    days: Days::from_hundredths(len * 50),
                }];
                if across {
                    parts.push(YearPart {
                        date: year_start(start.year() + 1),
                        days: Days::whole(next_len),
                    });
                }
                RequestFacts {
                    id: LeaveRequestId::new(),
                    status,
                    parts,
                }
            })
    }

    fn any_history() -> impl Strategy<Value = (Vec<LedgerRow>, Vec<RequestFacts>)> {
        (
            prop::collection::vec(
                (any_date(), any_days(-1000, 1000)).prop_map(|(d, n)| LedgerRow::adjustment(d, n)),
                0..6,
            ),
            prop::collection::vec(any_request(), 0..12),
        )
    }

    fn case() -> impl Strategy<
        Value = (
            LeavePolicy,
            NaiveDate,
            Vec<LedgerRow>,
            Vec<RequestFacts>,
            NaiveDate,
        ),
    > {
        (any_policy(), any_date(), any_history(), any_date())
            .prop_map(|(p, hire, (adj, reqs), as_of)| (p, hire, adj, reqs, as_of))
    }

    /// The carried days by an independent model: buckets drained request by request.
    fn carried_model(
        p: &LeavePolicy,
        hire: NaiveDate,
        adj: &[LedgerRow],
        reqs: &[RequestFacts],
        year: i32,
    ) -> Days {
        if year <= hire.year() {
            return Days::ZERO;
        }
        let prev = year - 1;
        let end = year_end(prev);
        let b = balance(p, hire, adj, reqs, end);
        let unused = b.available + b.pending;
        unused.max(Days::ZERO).min(p.carry_forward_max_days)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn a_year_s_balance_is_the_sum_of_its_ledger((p, hire, adj, reqs, as_of) in case()) {
            let y = as_of.year();
            let b = balance(&p, hire, &adj, &reqs, as_of);
            prop_assert_eq!(b.available, b.entitled + b.carried_forward + b.adjustments - b.taken - b.pending);
            // Every row of the year up to as_of, plus the approved leave dated after it.
            let rows = ledger(&p, hire, &adj, &reqs, year_start(y), year_end(y));
            let to_date: Days = rows.iter().filter(|r| r.date <= as_of).map(|r| r.days).sum();
            let later_taken: Days = rows
                .iter()
                .filter(|r| r.date > as_of && r.kind == LedgerKind::Taken)
                .map(|r| r.days)
                .sum();
            prop_assert_eq!(b.available + b.pending, to_date + later_taken);
            // At the year's end: the whole year's ledger.
            let end = balance(&p, hire, &adj, &reqs, year_end(y));
            prop_assert_eq!(end.available + end.pending, rows.iter().map(|r| r.days).sum::<Days>());
            // Each figure is the sum of its kinds.
            let of = |k: &[LedgerKind]| -> Days {
                rows.iter().filter(|r| r.date <= as_of && k.contains(&r.kind)).map(|r| r.days).sum()
            };
            prop_assert_eq!(b.entitled, of(&[LedgerKind::Entitlement, LedgerKind::Accrual]));
            prop_assert_eq!(b.carried_forward, of(&[LedgerKind::CarryForward, LedgerKind::CarryForwardExpiry]));
            prop_assert_eq!(b.adjustments, of(&[LedgerKind::Adjustment]));
            prop_assert_eq!(-b.taken, rows.iter().filter(|r| r.kind == LedgerKind::Taken).map(|r| r.days).sum::<Days>());
        }

        #[test]
        fn accrual_never_falls_within_a_year((p, hire, adj, reqs, as_of) in case(), later in 0u64..366) {
            let then = (as_of + chrono::Days::new(later)).min(year_end(as_of.year()));
            let a = balance(&p, hire, &adj, &reqs, as_of);
            let b = balance(&p, hire, &adj, &reqs, then);
            prop_assert!(a.entitled <= b.entitled);
            prop_assert!(b.entitled <= p.allowance_days);
            prop_assert!(a.entitled >= Days::ZERO);
            // Taken and pending do not depend on the date within the year.
            prop_assert_eq!((a.taken, a.pending), (b.taken, b.pending));
        }

        #[test]
        fn a_full_year_grants_the_allowance_exactly(p in any_policy(), hire in any_date()) {
            let next = hire.year() + 1;
            prop_assert_eq!(balance(&p, hire, &[], &[], year_end(next)).entitled, p.allowance_days);
            let monthly = LeavePolicy { accrual: Accrual::Monthly, ..p };
            // After m months: allowance × m / 12, rounded half up as a total.
            for m in 1..=12u32 {
                let on = NaiveDate::from_ymd_opt(next, m, 1).unwrap();
                let expected = Days::ratio_half_up(i128::from(p.allowance_days.hundredths()) * i128::from(m), 12);
                prop_assert_eq!(balance(&monthly, hire, &[], &[], on).entitled, expected);
            }
        }

        #[test]
        fn rejected_and_cancelled_requests_change_nothing(
            (p, hire, adj, reqs, as_of) in case(),
            extra in prop::collection::vec(any_request(), 1..5),
        ) {
            let mut more = reqs.clone();
            for mut r in extra {
                if r.status.holds_days() {
                    r.status = LeaveStatus::Rejected;
                }
                more.push(r);
            }
            prop_assert_eq!(balance(&p, hire, &adj, &more, as_of), balance(&p, hire, &adj, &reqs, as_of));
            let (from, to) = (year_start(as_of.year() - 1), year_end(as_of.year()));
            prop_assert_eq!(ledger(&p, hire, &adj, &more, from, to), ledger(&p, hire, &adj, &reqs, from, to));
        }

        #[test]
        fn carry_forward_stays_within_its_cap((p, hire, adj, reqs, as_of) in case()) {
            let b = balance(&p, hire, &adj, &reqs, as_of);
            prop_assert!(b.carried_forward >= Days::ZERO);
            prop_assert!(b.carried_forward <= p.carry_forward_max_days);
            let rows = ledger(&p, hire, &adj, &reqs, year_start(as_of.year()), year_end(as_of.year()));
            let carried: Days = rows.iter().filter(|r| r.kind == LedgerKind::CarryForward).map(|r| r.days).sum();
            prop_assert_eq!(carried, carried_model(&p, hire, &adj, &reqs, as_of.year()));
            // What lapses is what approved leave before the lapse did not use.
            let expired: Days = rows.iter().filter(|r| r.kind == LedgerKind::CarryForwardExpiry).map(|r| -r.days).sum();
            prop_assert!(expired >= Days::ZERO && expired <= carried);
            if let Some(lapse) = rows.iter().find(|r| r.kind == LedgerKind::CarryForwardExpiry).map(|r| r.date) {
                let used: Days = rows.iter().filter(|r| r.kind == LedgerKind::Taken && r.date < lapse).map(|r| -r.days).sum();
                prop_assert_eq!(expired, carried - used.min(carried));
            }
        }

        #[test]
        fn replaying_gives_the_same_answer_in_any_order((p, hire, adj, reqs, as_of) in case()) {
            let first = balance(&p, hire, &adj, &reqs, as_of);
            prop_assert_eq!(balance(&p, hire, &adj, &reqs, as_of), first);
            let (mut adj2, mut reqs2) = (adj.clone(), reqs.clone());
            adj2.reverse();
            reqs2.reverse();
            prop_assert_eq!(balance(&p, hire, &adj2, &reqs2, as_of), first);
            let (from, to) = (year_start(hire.year()), year_end(as_of.year()));
            prop_assert_eq!(ledger(&p, hire, &adj2, &reqs2, from, to), ledger(&p, hire, &adj, &reqs, from, to));
        }

        #[test]
        fn a_materialised_ledger_fed_back_changes_nothing((p, hire, adj, reqs, as_of) in case()) {
            // A job that stored every derived row: the answer is still the pure one.
            let stored = ledger(&p, hire, &adj, &reqs, year_start(hire.year().min(as_of.year()) - 1), year_end(as_of.year()));
            prop_assert_eq!(balance(&p, hire, &stored, &reqs, as_of), balance(&p, hire, &adj, &reqs, as_of));
        }

        #[test]
        fn a_ledger_range_is_the_slice_of_a_wider_one((p, hire, adj, reqs, as_of) in case(), len in 0u64..500) {
            let to = as_of + chrono::Days::new(len);
            let wide = ledger(&p, hire, &adj, &reqs, year_start(2020), year_end(2030));
            let narrow = ledger(&p, hire, &adj, &reqs, as_of, to);
            let slice: Vec<_> = wide.into_iter().filter(|r| r.date >= as_of && r.date <= to).collect();
            prop_assert_eq!(narrow, slice);
        }

        #[test]
        fn an_accepted_request_keeps_available_within_the_margin(
            (p, hire, adj, reqs, today) in case(),
            new in any_request(),
        ) {
            let parts = new.parts.clone();
            if check_request(&p, hire, &adj, &reqs, &parts, today).is_ok() {
                // Read as the check reads it: every pending request approved.
                let mut all: Vec<_> = reqs.iter().cloned().map(|mut r| {
                    if r.status == LeaveStatus::Pending { r.status = LeaveStatus::Approved; }
                    r
                }).collect();
                all.push(RequestFacts { status: LeaveStatus::Approved, ..new });
                for part in &parts {
                    let on = today.max(part.date).min(year_end(part.year()));
                    prop_assert!(balance(&p, hire, &adj, &all, on).available >= -p.allow_negative_days);
                }
            }
        }
    }
}
