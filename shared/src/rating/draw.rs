//! The population and the random draw of an IMS rating of a BTU or attached supply, fixed so
//! that no one can draw again until the draw suits (MMSR Section B.2, seed 004 L206–280):
//!
//! - the producer list the draw is made from, compared with the list of sixty days before
//!   (L250–254);
//! - "immediately prior to the initial random drawing", each producer with 40 % or more of the
//!   volume of a BTU of five producers or more becomes a separate BTU (L276–279) — so
//!   [`population`] splits before [`draw`] counts or draws anything;
//! - the TABLE 1 sample size of what remains (L212–246);
//! - the seed is chosen by the agency's server when the rating is opened and only its
//!   [`commitment`] is published; the farms are announced one day's work at a time (L255–257)
//!   and the seed itself when the rating closes, so anyone can recompute the draw
//!   ([`verify`]) and see that the farms announced day by day are the ones fixed at the start;
//! - replacements "also selected at random" (L254–255), in an order fixed by the same seed.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::table1::{self, Method};
use crate::document::sha256_hex;

/// One producer of a BTU's producer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Producer {
    pub farm_id: String,
    pub name: String,
    /// Pounds of milk sold daily, as the registry holds it (the 40 % rule weighs with it).
    pub daily_pounds: u64,
}

/// The producers a draw is made from, after the 40 % rule (L276–279).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Population {
    /// The BTU's producers that remain, in the order of the list the draw runs over (by farm
    /// id, so the same list always gives the same order).
    pub remaining: Vec<Producer>,
    /// Producers with 40 % or more of the volume: each a separate BTU, rated on its own.
    pub separated: Vec<Producer>,
}

impl Population {
    /// TABLE 1's minimum number of farms to rate of what remains (L212–246); 0 when nothing
    /// remains.
    pub fn to_rate(&self) -> usize {
        table1::min_farms_to_rate(self.remaining.len() as u32).unwrap_or(0) as usize
    }
}

/// Applies the 40 % rule to a producer list before anything is drawn (L276–279,
/// [`table1::forty_percent_producers`]).
pub fn population(list: &[Producer]) -> Population {
    let mut list = list.to_vec();
    list.sort_by(|a, b| a.farm_id.cmp(&b.farm_id));
    list.dedup_by(|a, b| a.farm_id == b.farm_id);
    let pounds: Vec<u64> = list.iter().map(|p| p.daily_pounds).collect();
    let split: BTreeSet<usize> = table1::forty_percent_producers(&pounds)
        .into_iter()
        .collect();
    let (separated, remaining): (Vec<_>, Vec<_>) = list
        .into_iter()
        .enumerate()
        .partition(|(i, _)| split.contains(i));
    Population {
        remaining: remaining.into_iter().map(|(_, p)| p).collect(),
        separated: separated.into_iter().map(|(_, p)| p).collect(),
    }
}

/// How the producer list changed since the list of sixty days before (L252–254): an
/// "appreciable shifting of producers" is for the rating officer to judge; this shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shifting {
    pub joined: Vec<String>,
    pub left: Vec<String>,
}

impl Shifting {
    /// The share of the earlier list that changed (joined + left over its length), in whole
    /// percent, rounded down; 0 without an earlier list.
    pub fn percent(&self, earlier_len: usize) -> u32 {
        if earlier_len == 0 {
            return 0;
        }
        ((self.joined.len() + self.left.len()) * 100 / earlier_len) as u32
    }
}

/// The farms that joined and left between the list of sixty days before and the current one.
pub fn shifting(current: &[Producer], sixty_days_before: &[String]) -> Shifting {
    let now: BTreeSet<&str> = current.iter().map(|p| p.farm_id.as_str()).collect();
    let then: BTreeSet<&str> = sixty_days_before.iter().map(String::as_str).collect();
    Shifting {
        joined: now.difference(&then).map(|s| s.to_string()).collect(),
        left: then.difference(&now).map(|s| s.to_string()).collect(),
    }
}

/// How far back the producer list is compared (L253).
pub const COMPARISON_DAYS: u64 = 60;

/// The published commitment to a rating's seed: SHA-256 over the rating's id and the seed, so
/// the seed cannot be changed after the rating was opened without the change showing.
pub fn commitment(rating_id: &str, seed: u64) -> String {
    sha256_hex(format!("milkshed-ims-draw-v1|{rating_id}|{seed}").as_bytes())
}

/// The fixed draw of a rating: which farms, in the order they are announced, and the
/// replacements in the order they are taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    pub method: DrawMethod,
    pub to_rate: usize,
    /// Farm ids of the farms to rate, in the order they are announced day by day. With the
    /// interval method the farms are the list's every n-th; the order they are announced in is
    /// itself random, so the next day's farms cannot be told from the interval.
    pub announce: Vec<String>,
    /// Farm ids of the other producers, in the random order replacements are taken.
    pub replacements: Vec<String>,
    /// Interval method: the interval and the random start, as exact fractions ("7", "3/40").
    pub interval: Option<(String, String)>,
}

/// The selection method of L258–275, as the record names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawMethod {
    /// Shuffled cards (L260–264).
    Shuffle,
    /// Every n-th of the complete list from a random start (L266–275).
    Interval,
}

impl DrawMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            DrawMethod::Shuffle => "shuffle",
            DrawMethod::Interval => "interval",
        }
    }

    pub fn parse(s: &str) -> Option<DrawMethod> {
        [DrawMethod::Shuffle, DrawMethod::Interval]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    pub fn describe(self) -> &'static str {
        match self {
            DrawMethod::Shuffle => "cards shuffled and drawn (MMSR L260-264)",
            DrawMethod::Interval => {
                "every n-th farm of the complete list from a random start (MMSR L266-275)"
            }
        }
    }

    fn table1(self) -> Method {
        match self {
            DrawMethod::Shuffle => Method::Shuffle,
            DrawMethod::Interval => Method::Interval,
        }
    }
}

/// A second stream of the seed, for what the interval method leaves to chance (the order of
/// announcement and of replacements).
fn side_stream(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(1);
    rng
}

/// Draws the farms of `population` with `seed` (TABLE 1 size, L212–275). The same population
/// and seed always give the same draw.
pub fn draw(population: &Population, method: DrawMethod, seed: u64) -> Draw {
    let farms = &population.remaining;
    let to_rate = population.to_rate();
    let s = table1::select(farms.len(), to_rate, method.table1(), seed);
    let id = |i: &usize| farms[*i].farm_id.clone();
    match method {
        DrawMethod::Shuffle => Draw {
            method,
            to_rate,
            announce: s.selected.iter().map(id).collect(),
            replacements: s.replacements.iter().map(id).collect(),
            interval: None,
        },
        DrawMethod::Interval => {
            let mut rng = side_stream(seed);
            let mut announce: Vec<String> = s.selected.iter().map(id).collect();
            announce.shuffle(&mut rng);
            let chosen: BTreeSet<usize> = s.selected.iter().copied().collect();
            let mut replacements: Vec<String> = (0..farms.len())
                .filter(|i| !chosen.contains(i))
                .map(|i| id(&i))
                .collect();
            replacements.shuffle(&mut rng);
            Draw {
                method,
                to_rate,
                announce,
                replacements,
                interval: s
                    .interval
                    .map(|(n, start)| (n.to_string(), start.to_string())),
            }
        }
    }
}

/// Whether a revealed seed is the one committed to, and gives the draw recorded.
pub fn verify(
    rating_id: &str,
    seed: u64,
    committed: &str,
    population: &Population,
    recorded: &Draw,
) -> bool {
    commitment(rating_id, seed) == committed && draw(population, recorded.method, seed) == *recorded
}

/// One day's announcement: the farms to visit that day (L255–257).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub on: NaiveDate,
    pub farms: Vec<String>,
}

/// A replacement of a drawn farm that cannot be visited, with the reason (L254–255).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    pub replaced: String,
    pub by: String,
    pub reason: String,
    pub on: NaiveDate,
}

/// Why a day or a replacement cannot be announced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("every farm of the draw was announced already")]
    AllAnnounced,
    #[error("a day's list has at least one farm")]
    EmptyDay,
    #[error("today's farms were announced already (one day's work at a time, MMSR L255-257)")]
    DayAlreadyAnnounced,
    #[error("farm {0} is not among the farms announced for rating")]
    NotAnnounced(String),
    #[error("farm {0} was replaced already")]
    AlreadyReplaced(String),
    #[error("no producer is left to replace it with")]
    NoReplacementLeft,
    #[error(
        "a replacement needs its reason (random selections are deviated from only in emergencies, MMSR L254)"
    )]
    NoReason,
}

/// The farms announced so far, replacements applied.
pub fn announced(days: &[Day], replacements: &[Replacement]) -> Vec<String> {
    let mut out: Vec<String> = days.iter().flat_map(|d| d.farms.clone()).collect();
    for r in replacements {
        if let Some(f) = out.iter_mut().find(|f| **f == r.replaced) {
            f.clone_from(&r.by);
        }
    }
    out
}

/// The next day's announcement of up to `farms` farms, on `on` (one a day: a second list on
/// the same day is refused).
pub fn next_day(draw: &Draw, days: &[Day], on: NaiveDate, farms: usize) -> Result<Day, DrawError> {
    if farms == 0 {
        return Err(DrawError::EmptyDay);
    }
    if days.iter().any(|d| d.on == on) {
        return Err(DrawError::DayAlreadyAnnounced);
    }
    let so_far: usize = days.iter().map(|d| d.farms.len()).sum();
    if so_far >= draw.announce.len() {
        return Err(DrawError::AllAnnounced);
    }
    Ok(Day {
        on,
        farms: draw
            .announce
            .iter()
            .skip(so_far)
            .take(farms)
            .cloned()
            .collect(),
    })
}

/// The replacement of an announced farm: the next producer of the replacement order that is
/// neither announced nor used already.
pub fn replace(
    draw: &Draw,
    days: &[Day],
    replacements: &[Replacement],
    farm: &str,
    reason: &str,
    on: NaiveDate,
) -> Result<Replacement, DrawError> {
    if reason.trim().is_empty() {
        return Err(DrawError::NoReason);
    }
    if replacements.iter().any(|r| r.replaced == farm) {
        return Err(DrawError::AlreadyReplaced(farm.to_string()));
    }
    let now = announced(days, replacements);
    if !now.iter().any(|f| f == farm) {
        return Err(DrawError::NotAnnounced(farm.to_string()));
    }
    let used: BTreeSet<&str> = replacements.iter().map(|r| r.by.as_str()).collect();
    let by = draw
        .replacements
        .iter()
        .find(|f| !used.contains(f.as_str()) && !now.contains(f))
        .ok_or(DrawError::NoReplacementLeft)?;
    Ok(Replacement {
        replaced: farm.to_string(),
        by: by.clone(),
        reason: reason.trim().to_string(),
        on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(pounds: &[u64]) -> Vec<Producer> {
        pounds
            .iter()
            .enumerate()
            .map(|(i, p)| Producer {
                farm_id: format!("farm-{i:04}"),
                name: format!("Farm {i}"),
                daily_pounds: *p,
            })
            .collect()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// L276–279: the 40 % producer is taken out before TABLE 1 counts the BTU and before the
    /// draw, so it can never be drawn as one of the BTU's farms.
    #[test]
    fn the_forty_percent_split_comes_before_the_draw() {
        let mut pounds = vec![1000; 30];
        pounds[7] = 30_000; // more than 40 % of 59,000
        let p = population(&list(&pounds));
        assert_eq!(p.separated.len(), 1);
        assert_eq!(p.separated[0].farm_id, "farm-0007");
        assert_eq!(p.remaining.len(), 29);
        assert_eq!(p.to_rate(), 25, "TABLE 1 of the 29 that remain");
        for seed in 0..50 {
            let d = draw(&p, DrawMethod::Shuffle, seed);
            assert!(!d.announce.contains(&"farm-0007".to_string()));
            assert!(!d.replacements.contains(&"farm-0007".to_string()));
        }
        // fewer than five producers: no split (L277)
        assert!(population(&list(&[9000, 100, 100, 100]))
            .separated
            .is_empty());
    }

    /// L271–275: 280 farms → 40 to rate, every 7th from a random start; announced in a random
    /// order so tomorrow's farms cannot be read off the interval.
    #[test]
    fn the_seeds_interval_example_280_farms_every_seventh() {
        let p = population(&list(&[1000; 280]));
        let d = draw(&p, DrawMethod::Interval, 11);
        assert_eq!(d.to_rate, 40);
        assert_eq!(d.interval.as_ref().unwrap().0, "7");
        let mut idx: Vec<usize> = d.announce.iter().map(|f| f[5..].parse().unwrap()).collect();
        idx.sort_unstable();
        assert!(idx[0] < 7);
        assert!(idx.windows(2).all(|w| w[1] - w[0] == 7));
        let in_list_order: Vec<String> = idx.iter().map(|i| format!("farm-{i:04}")).collect();
        assert_ne!(d.announce, in_list_order, "announced in a random order");
        assert_eq!(d.replacements.len(), 240);
    }

    #[test]
    fn the_commitment_binds_the_seed_and_the_draw() {
        let p = population(&list(&[1000; 120]));
        let d = draw(&p, DrawMethod::Shuffle, 2012);
        let c = commitment("r-1", 2012);
        assert!(verify("r-1", 2012, &c, &p, &d));
        assert!(!verify("r-1", 2013, &c, &p, &d), "another seed");
        assert!(!verify("r-2", 2012, &c, &p, &d), "another rating");
        let other = draw(&p, DrawMethod::Shuffle, 2013);
        assert!(!verify("r-1", 2012, &c, &p, &other), "another draw");
        assert_eq!(d, draw(&p, DrawMethod::Shuffle, 2012), "reproducible");
    }

    /// L255–257: one day's work at a time; every farm announced once, in the draw's order.
    #[test]
    fn days_announce_the_draw_in_order_once() {
        let p = population(&list(&[1000; 40]));
        let d = draw(&p, DrawMethod::Shuffle, 5);
        let mut days = Vec::new();
        let d1 = next_day(&d, &days, day("2026-05-04"), 10).unwrap();
        assert_eq!(d1.farms, d.announce[..10]);
        days.push(d1);
        assert_eq!(
            next_day(&d, &days, day("2026-05-04"), 5),
            Err(DrawError::DayAlreadyAnnounced)
        );
        assert_eq!(
            next_day(&d, &days, day("2026-05-05"), 0),
            Err(DrawError::EmptyDay)
        );
        let d2 = next_day(&d, &days, day("2026-05-05"), 100).unwrap();
        assert_eq!(d2.farms.len(), 15, "the rest of the 25");
        days.push(d2);
        assert_eq!(
            next_day(&d, &days, day("2026-05-06"), 1),
            Err(DrawError::AllAnnounced)
        );
        assert_eq!(announced(&days, &[]), d.announce);
    }

    #[test]
    fn replacements_are_random_in_a_fixed_order_and_need_a_reason() {
        let p = population(&list(&[1000; 40]));
        let d = draw(&p, DrawMethod::Shuffle, 5);
        let days = vec![next_day(&d, &[], day("2026-05-04"), 25).unwrap()];
        let first = &d.announce[0];
        assert_eq!(
            replace(&d, &days, &[], first, " ", day("2026-05-04")),
            Err(DrawError::NoReason)
        );
        let r1 = replace(&d, &days, &[], first, "barn fire", day("2026-05-04")).unwrap();
        assert_eq!(r1.by, d.replacements[0]);
        let reps = vec![r1.clone()];
        assert_eq!(
            replace(&d, &days, &reps, first, "again", day("2026-05-04")),
            Err(DrawError::AlreadyReplaced(first.clone()))
        );
        let r2 = replace(&d, &days, &reps, &d.announce[1], "sold", day("2026-05-05")).unwrap();
        assert_eq!(r2.by, d.replacements[1]);
        assert_eq!(
            replace(&d, &days, &reps, "farm-9999", "x", day("2026-05-05")),
            Err(DrawError::NotAnnounced("farm-9999".into()))
        );
        let now = announced(&days, &[r1, r2]);
        assert_eq!(now[0], d.replacements[0]);
        assert_eq!(now.len(), 25);
    }

    #[test]
    fn shifting_shows_who_joined_and_left() {
        let now = list(&[1, 1, 1]);
        let s = shifting(&now, &["farm-0001".into(), "farm-0009".into()]);
        assert_eq!(s.joined, ["farm-0000", "farm-0002"]);
        assert_eq!(s.left, ["farm-0009"]);
        assert_eq!(s.percent(2), 150);
    }
}
