//! The payment state of an invoice, derived from its rows, never stored by hand (contract
//! section 6): `amount_paid` is the sum of its allocations, `amount_credited` of its credit
//! notes, and everything else follows from them and the total.

use chrono::NaiveDate;

crm_domain::name_enum!(
    /// `payment_status` of an invoice.
    PaymentStatus, "payment_status" {
        Unpaid => "unpaid",
        PartiallyPaid => "partially_paid",
        Paid => "paid",
    }
);

/// An invoice's amounts in minor units of its currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    pub total: i64,
    /// Allocations of payments to the invoice.
    pub paid: i64,
    /// Credit notes against the invoice.
    pub credited: i64,
}

impl Balance {
    /// `total − paid − credited`. The writing transactions keep it at or above zero (an
    /// allocation or credit note is at most the balance due at that moment).
    pub fn due(&self) -> i64 {
        self.total - self.paid - self.credited
    }

    /// Paid once nothing is due, by payments, credit notes or both; partly paid once anything
    /// has been paid or credited.
    pub fn status(&self) -> PaymentStatus {
        if self.due() <= 0 {
            PaymentStatus::Paid
        } else if self.paid > 0 || self.credited > 0 {
            PaymentStatus::PartiallyPaid
        } else {
            PaymentStatus::Unpaid
        }
    }

    /// Overdue: issued, something still due, and the due date before `today` (the
    /// organization's date, in its time zone).
    pub fn is_overdue(&self, issued: bool, due_date: NaiveDate, today: NaiveDate) -> bool {
        issued && self.due() > 0 && due_date < today
    }

    /// Whether `amount` more (an allocation or a credit note) fits what is still due.
    pub fn takes(&self, amount: i64) -> bool {
        amount > 0 && amount <= self.due()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn status_follows_payments_and_credit_notes() {
        let b = |paid, credited| Balance {
            total: 10_000,
            paid,
            credited,
        };
        assert_eq!(b(0, 0).status(), PaymentStatus::Unpaid);
        assert_eq!(b(2_500, 0).status(), PaymentStatus::PartiallyPaid);
        assert_eq!(b(0, 100).status(), PaymentStatus::PartiallyPaid);
        assert_eq!(b(7_000, 3_000).status(), PaymentStatus::Paid);
        assert_eq!(b(7_000, 3_000).due(), 0);
        assert!(b(7_000, 2_000).takes(1_000));
        assert!(!b(7_000, 2_000).takes(1_001));
        assert!(!b(0, 0).takes(0));
    }

    #[test]
    fn overdue_only_when_issued_unpaid_and_past_due() {
        let open = Balance {
            total: 500,
            paid: 0,
            credited: 0,
        };
        let (due, today) = (d("2026-12-01"), d("2026-12-02"));
        assert!(open.is_overdue(true, due, today));
        assert!(!open.is_overdue(true, due, due));
        assert!(!open.is_overdue(false, due, today));
        let paid = Balance { paid: 500, ..open };
        assert!(!paid.is_overdue(true, due, today));
    }

    proptest! {
        #[test]
        fn a_balance_is_paid_exactly_when_nothing_is_due(
            total in 0i64..10_000_000, paid_share in 0u32..=100, credited_share in 0u32..=100,
        ) {
            let paid = total * i64::from(paid_share) / 100;
            let credited = (total - paid) * i64::from(credited_share) / 100;
            let b = Balance { total, paid, credited };
            prop_assert_eq!(b.due() + b.paid + b.credited, b.total);
            prop_assert!(b.due() >= 0);
            prop_assert_eq!(b.status() == PaymentStatus::Paid, b.due() == 0);
            prop_assert_eq!(
                b.status() == PaymentStatus::Unpaid,
                b.due() > 0 && paid == 0 && credited == 0
            );
            // Whatever fits, once taken, leaves the balance at or above zero.
            let more = b.due();
            prop_assert_eq!(b.takes(more), more > 0);
        }
    }
}
