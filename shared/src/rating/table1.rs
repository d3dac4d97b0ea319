//! TABLE 1 — the minimum number of farms to rate in a BTU or attached supply, the random
//! selection of those farms, and the 40 % producer rule (MMSR Section B, seed 004 L206–280).
//!
//! Selection is reproducible: the seed is an argument, recorded with the rating visit, so the
//! same seed over the same producer list draws the same farms.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::exact::Exact;

/// TABLE 1 (L212–241): `(from, to, farms to rate)`; up to 24 farms all are rated.
const TABLE_1: &[(u32, u32, u32)] = &[
    (25, 54, 25),
    (55, 59, 26),
    (60, 64, 27),
    (65, 71, 28),
    (72, 78, 29),
    (79, 86, 30),
    (87, 94, 31),
    (95, 105, 32),
    (106, 116, 33),
    (117, 130, 34),
    (131, 147, 35),
    (148, 167, 36),
    (168, 191, 37),
    (192, 222, 38),
    (223, 262, 39),
    (263, 316, 40),
    (317, 394, 41),
    (395, 514, 42),
    (515, 725, 43),
    (726, 1192, 44),
    (1193, 5000, 50),
    (5001, 10000, 100),
];

/// The minimum number of farms to rate in a BTU of `farms` farms (TABLE 1, L212–246): all of
/// them up to 25, then the table's row. `None` above 10,000 farms, which TABLE 1 does not
/// cover (§f A19), and for an empty BTU.
pub fn min_farms_to_rate(farms: u32) -> Option<u32> {
    if farms == 0 {
        return None;
    }
    if farms < 25 {
        return Some(farms);
    }
    TABLE_1
        .iter()
        .find(|(from, to, _)| (*from..=*to).contains(&farms))
        .map(|(_, _, n)| *n)
}

/// The selection method (L258–275).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Shuffled name cards drawn in order (L262–264); the draws after the first `n` are the
    /// replacements, in order (L254–257).
    Shuffle,
    /// A fixed interval over the complete list with a random first farm (L266–275).
    Interval,
}

/// A reproducible draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub method: Method,
    pub seed: u64,
    /// Indexes into the producer list of the farms to rate, in drawing order.
    pub selected: Vec<usize>,
    /// Replacements, in drawing order (shuffle only; the interval method draws again).
    pub replacements: Vec<usize>,
    /// Interval method: `farms / to_rate` exactly, and the random start in `[0, interval)`.
    pub interval: Option<(Exact, Exact)>,
}

/// Draws `to_rate` of `farms` producers with the given seed.
pub fn select(farms: usize, to_rate: usize, method: Method, seed: u64) -> Selection {
    let to_rate = to_rate.min(farms);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match method {
        Method::Shuffle => {
            let mut order: Vec<usize> = (0..farms).collect();
            order.shuffle(&mut rng);
            let replacements = order.split_off(to_rate);
            Selection {
                method,
                seed,
                selected: order,
                replacements,
                interval: None,
            }
        }
        Method::Interval => {
            if to_rate == 0 {
                return Selection {
                    method,
                    seed,
                    selected: Vec::new(),
                    replacements: Vec::new(),
                    interval: None,
                };
            }
            // start = s / n with s uniform in [0, N): a random point of the first interval
            // N / n; the i-th farm is floor((s + i·N) / n) (policy::FRACTIONAL_INTERVAL).
            let n = to_rate as u128;
            let big_n = farms as u128;
            let s = rng.gen_range(0..farms) as u128;
            let selected = (0..n)
                .map(|i| ((s + i * big_n) / n) as usize)
                .collect::<Vec<_>>();
            Selection {
                method,
                seed,
                selected,
                replacements: Vec::new(),
                interval: Some((
                    Exact::new(farms as i128, to_rate as i128),
                    Exact::new(s as i128, to_rate as i128),
                )),
            }
        }
    }
}

/// The producers who must become a separate BTU before the first drawing: each supplying 40 %
/// or more of the BTU's volume, when the BTU has five or more producers (L277–280,
/// [`crate::policy::FORTY_PERCENT_SINGLE_PASS`]). Indexes into `daily_pounds`.
pub fn forty_percent_producers(daily_pounds: &[u64]) -> Vec<usize> {
    if daily_pounds.len() < 5 {
        return Vec::new();
    }
    let total: u128 = daily_pounds.iter().map(|p| u128::from(*p)).sum();
    if total == 0 {
        return Vec::new();
    }
    daily_pounds
        .iter()
        .enumerate()
        .filter(|(_, p)| u128::from(**p) * 100 >= total * 40)
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// e.7 TABLE 1 boundaries and the seed's examples (280 → 40; H #1 314 → 40; Clean Milk
    /// 120 → 34; ABC 10 → 10).
    #[test]
    fn table1_rows() {
        for (n, expected) in [
            (1, Some(1)),
            (10, Some(10)),
            (24, Some(24)),
            (25, Some(25)),
            (54, Some(25)),
            (55, Some(26)),
            (120, Some(34)),
            (280, Some(40)),
            (314, Some(40)),
            (1192, Some(44)),
            (1193, Some(50)),
            (10000, Some(100)),
            (10001, None),
            (0, None),
        ] {
            assert_eq!(min_farms_to_rate(n), expected, "{n} farms");
        }
    }

    /// L271–275: 280 farms, 40 to rate → every 7th farm from a random start.
    #[test]
    fn interval_280_takes_every_seventh() {
        for seed in 0..20 {
            let s = select(280, 40, Method::Interval, seed);
            assert_eq!(s.selected.len(), 40);
            assert!(s.selected[0] < 7);
            for w in s.selected.windows(2) {
                assert_eq!(w[1] - w[0], 7);
            }
            assert_eq!(s.interval.unwrap().0, Exact::from_integer(7));
        }
    }

    #[test]
    fn fractional_interval_spans_the_list_without_repeats() {
        let s = select(300, 40, Method::Interval, 9);
        let mut v = s.selected.clone();
        v.dedup();
        assert_eq!(v.len(), 40);
        assert!(v.iter().all(|i| *i < 300));
        assert!(*v.last().unwrap() >= 292, "reaches the end of the list");
    }

    #[test]
    fn shuffle_is_reproducible_and_complete() {
        let a = select(120, 34, Method::Shuffle, 2012);
        let b = select(120, 34, Method::Shuffle, 2012);
        assert_eq!(a, b);
        assert_eq!(a.selected.len(), 34);
        assert_eq!(a.replacements.len(), 86);
        let mut all: Vec<usize> = a.selected.iter().chain(&a.replacements).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..120).collect::<Vec<_>>());
        assert_ne!(a.selected, select(120, 34, Method::Shuffle, 2013).selected);
    }

    /// e.13 the 40 % producer rule.
    #[test]
    fn forty_percent_vectors() {
        assert_eq!(
            forty_percent_producers(&[4000, 1500, 1500, 1500, 1500]),
            [0]
        );
        assert!(forty_percent_producers(&[3999, 1501, 1500, 1500, 1500]).is_empty());
        assert!(forty_percent_producers(&[7000, 1000, 1000, 1000]).is_empty());
        assert_eq!(
            forty_percent_producers(&[4000, 4000, 1000, 500, 500]),
            [0, 1]
        );
    }
}
