//! The order of cards in a status column, and moves (contract section 7: `position` is the
//! task's place in its status column, 0 = first; a `PATCH` of `status` and/or `position`
//! moves the card there, the other cards keep their relative order, and a place past the
//! end puts it last; how the order is stored is the server's own).
//!
//! Stored as a gapped integer `rank` per task: a column is its tasks by `(rank, id)`. A move
//! gives the moved card a rank between its new neighbours (the midpoint), or [`GAP`] beyond
//! the first or last card, so it writes one row. Only when two neighbours have no integer
//! between them is the target column renumbered (`GAP`, `2·GAP`, …), inside the move's
//! transaction: after a renumbering, at least `log2(GAP)` = 10 moves into the same spot fit
//! before the next. The source column needs nothing: removing a card keeps the others'
//! order. `position` is computed on reading (the card's index in its column).
//!
//! The service locks the target column's rows (or the project) in the move's transaction
//! and checks `If-Match`, so two concurrent moves never read the same neighbours.

use crate::tasks::TaskId;

/// The distance between the ranks of neighbouring cards after a renumbering, and between the
/// first or last card and a card put before or after it.
pub const GAP: i64 = 1024;

/// Where a moved card goes: its rank, and when the column had to be renumbered, the new rank
/// of every card of the target column (the moved card included), in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub rank: i64,
    /// Empty unless the column was renumbered; then write every `(task, rank)` that changed.
    pub renumbered: Vec<(TaskId, i64)>,
}

/// Sorts a column's `(task, rank)` pairs into board order: by rank, ties by id (ranks can
/// only tie in data written outside these rules, and the order stays stable even then).
pub fn sort_column(column: &mut [(TaskId, i64)]) {
    column.sort_unstable_by_key(|&(id, rank)| (rank, id));
}

/// Each task of a column with its `position` (0 = first), in board order.
pub fn positions(column: &[(TaskId, i64)]) -> Vec<(TaskId, i64)> {
    let mut c = column.to_vec();
    sort_column(&mut c);
    c.into_iter()
        .zip(0i64..)
        .map(|((id, _), pos)| (id, pos))
        .collect()
}

/// Places `card` at `position` of the target column (`column`: its current `(task, rank)`
/// pairs in any order; the card itself may be among them when it moves inside its column).
/// A position past the end puts it last. New tasks are placed the same way (last when no
/// position is sent).
pub fn place(column: &[(TaskId, i64)], card: TaskId, position: i64) -> Placement {
    place_with_gap(column, card, position, GAP)
}

fn place_with_gap(column: &[(TaskId, i64)], card: TaskId, position: i64, gap: i64) -> Placement {
    let mut others: Vec<(TaskId, i64)> = column
        .iter()
        .copied()
        .filter(|(id, _)| *id != card)
        .collect();
    sort_column(&mut others);
    let pos = usize::try_from(position.max(0))
        .unwrap_or(usize::MAX)
        .min(others.len());
    let prev = pos.checked_sub(1).and_then(|i| others.get(i)).map(|c| c.1);
    let next = others.get(pos).map(|c| c.1);
    let rank = match (prev, next) {
        (None, None) => Some(gap),
        (Some(p), None) => p.checked_add(gap),
        (None, Some(n)) => n.checked_sub(gap),
        (Some(p), Some(n)) => {
            let (p, n) = (i128::from(p), i128::from(n));
            if n - p >= 2 {
                i64::try_from(p + (n - p) / 2).ok()
            } else {
                None
            }
        }
    };
    match rank {
        Some(rank) => Placement {
            rank,
            renumbered: Vec::new(),
        },
        None => {
            others.insert(pos, (card, 0));
            let renumbered: Vec<(TaskId, i64)> = others
                .iter()
                .zip(1i64..)
                .map(|(&(id, _), i)| (id, i.saturating_mul(gap)))
                .collect();
            let rank = renumbered.get(pos).map_or(gap, |c| c.1);
            Placement { rank, renumbered }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn ids(n: usize) -> Vec<TaskId> {
        let mut v: Vec<TaskId> = (0..n).map(|_| TaskId::new()).collect();
        v.sort();
        v
    }

    fn order(column: &[(TaskId, i64)]) -> Vec<TaskId> {
        positions(column).into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn a_card_goes_between_its_neighbours_first_or_last() {
        let t = ids(4);
        let col = vec![(t[0], 1024), (t[1], 2048), (t[2], 3072)];
        assert_eq!(place(&col, t[3], 0).rank, 0);
        assert_eq!(place(&col, t[3], 1).rank, 1536);
        assert_eq!(place(&col, t[3], 3).rank, 4096);
        // past the end: last.
        assert_eq!(place(&col, t[3], 99).rank, 4096);
        // a negative place counts as the first (the API refuses it earlier).
        assert_eq!(place(&col, t[3], -5).rank, 0);
        // an empty column.
        assert_eq!(place(&[], t[3], 7).rank, GAP);
        // inside its own column: the card is not its own neighbour.
        let p = place(&col, t[0], 2);
        assert_eq!(p.rank, 4096);
        assert!(p.renumbered.is_empty());
        let p = place(&col, t[2], 0);
        assert_eq!(p.rank, 0);
    }

    #[test]
    fn a_column_without_room_is_renumbered_with_the_card_in_place() {
        let t = ids(4);
        let col = vec![(t[0], 5), (t[1], 6), (t[2], 7)];
        let p = place(&col, t[3], 2);
        assert_eq!(
            p.renumbered,
            vec![(t[0], 1024), (t[1], 2048), (t[3], 3072), (t[2], 4096)]
        );
        assert_eq!(p.rank, 3072);
    }

    #[test]
    fn ranks_never_overflow_at_the_ends() {
        let t = ids(2);
        let p = place(&[(t[0], i64::MAX - 1)], t[1], 1);
        assert_eq!(p.renumbered, vec![(t[0], GAP), (t[1], 2 * GAP)]);
        let p = place(&[(t[0], i64::MIN + 1)], t[1], 0);
        assert_eq!(p.renumbered, vec![(t[1], GAP), (t[0], 2 * GAP)]);
        let p = place(&[(t[0], i64::MIN)], t[1], 1);
        assert_eq!(p.rank, i64::MIN + GAP);
    }

    #[test]
    fn renumbering_is_occasional() {
        // The worst case: every move goes to the same spot (second place) of a 50-card column.
        let t = ids(51);
        let mut col: Vec<(TaskId, i64)> = t[..50]
            .iter()
            .zip(1i64..)
            .map(|(id, i)| (*id, i * GAP))
            .collect();
        let mut renumberings = 0;
        for round in 0..200 {
            let card = t[(round * 7) % 51];
            let p = place(&col, card, 1);
            if !p.renumbered.is_empty() {
                renumberings += 1;
                let new: HashMap<_, _> = p.renumbered.iter().copied().collect();
                col.retain(|(id, _)| *id != card);
                col.push((card, p.rank));
                for c in &mut col {
                    c.1 = new[&c.0];
                }
            } else {
                col.retain(|(id, _)| *id != card);
                col.push((card, p.rank));
            }
            assert_eq!(order(&col)[1], card);
        }
        assert!(
            renumberings <= 200 / 10,
            "{renumberings} renumberings in 200 moves"
        );
    }

    const STATUSES: usize = 5;

    #[derive(Clone, Debug)]
    struct Move {
        card: usize,
        status: usize,
        position: i64,
    }

    fn moves() -> impl Strategy<Value = Vec<Move>> {
        prop::collection::vec(
            (0usize..12, 0usize..STATUSES, -1i64..15).prop_map(|(card, status, position)| Move {
                card,
                status,
                position,
            }),
            0..120,
        )
    }

    proptest! {
        /// After any sequence of moves (a card not yet on the board is created by its first),
        /// every column's order equals that of a plain `Vec` per status with remove-and-insert.
        #[test]
        fn the_board_order_equals_a_vec_model(ms in moves(), gap in prop::sample::select(vec![1i64, 2, 3, 1024])) {
            let cards = ids(12);
            let mut model: Vec<Vec<TaskId>> = vec![Vec::new(); STATUSES];
            let mut stored: HashMap<TaskId, (usize, i64)> = HashMap::new();
            for m in ms {
                let card = cards[m.card];
                for col in &mut model {
                    col.retain(|c| *c != card);
                }
                let at = usize::try_from(m.position.max(0)).unwrap().min(model[m.status].len());
                model[m.status].insert(at, card);

                let column: Vec<(TaskId, i64)> = stored
                    .iter()
                    .filter(|(_, (s, _))| *s == m.status)
                    .map(|(id, (_, r))| (*id, *r))
                    .collect();
                let p = place_with_gap(&column, card, m.position, gap);
                stored.insert(card, (m.status, p.rank));
                for (id, r) in &p.renumbered {
                    let e = stored.get_mut(id).unwrap();
                    prop_assert_eq!(e.0, m.status, "a renumbering stays in the target column");
                    e.1 = *r;
                }
                for (s, expected) in model.iter().enumerate() {
                    let column: Vec<(TaskId, i64)> = stored
                        .iter()
                        .filter(|(_, (st, _))| *st == s)
                        .map(|(id, (_, r))| (*id, *r))
                        .collect();
                    prop_assert_eq!(&order(&column), expected);
                }
                let pos = positions(&model[m.status].iter().map(|id| (*id, stored[id].1)).collect::<Vec<_>>());
                prop_assert_eq!(pos.iter().find(|(id, _)| *id == card).map(|c| c.1), i64::try_from(at).ok());
            }
        }
    }
}
