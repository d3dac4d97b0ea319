//! Exact arithmetic for ratings: every figure is a ratio of integers, never a binary float,
//! and rounding happens only where the MMSR rounds (see [`crate::policy`]).

use num_rational::Ratio;
use num_traits::{Signed, Zero};

/// An exact rational number (numerator and denominator in `i128`).
pub type Exact = Ratio<i128>;

/// An exact value from a whole number.
pub fn whole(n: i128) -> Exact {
    Exact::from_integer(n)
}

/// Rounds half up (towards +∞ on an exact half): `floor(x + 1/2)`.
///
/// The MMSR's only explicit half rule (Enforcement Part II, seed 004 L899–903: fractions of .5
/// or more go up) and its percent table (12.5 → 13 at L7901) both round half up.
pub fn round_half_up(x: &Exact) -> i128 {
    (x + Exact::new(1, 2)).floor().to_integer()
}

/// Writes `x` as a decimal with at most `places` digits after the point; a value that does not
/// end within them is truncated and marked with `…` (e.g. `91.3888…`).
pub fn to_decimal_string(x: &Exact, places: u32) -> String {
    let negative = x.is_negative();
    let x = x.abs();
    let int_part = x.trunc().to_integer();
    let mut frac = x.fract();
    let mut digits = String::new();
    for _ in 0..places {
        if frac.is_zero() {
            break;
        }
        frac *= whole(10);
        let d = frac.trunc().to_integer();
        digits.push(char::from(b'0' + u8::try_from(d).unwrap_or(0)));
        frac = frac.fract();
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&int_part.to_string());
    if !digits.is_empty() {
        out.push('.');
        out.push_str(&digits);
    }
    if !frac.is_zero() {
        out.push('…');
    }
    out
}

/// Parses a plain decimal string (`"45"`, `"44.6"`, `"-3.25"`) exactly.
pub fn parse_decimal(s: &str) -> Option<Exact> {
    let s = s.trim();
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_s, frac_s) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_s.is_empty() && frac_s.is_empty() {
        return None;
    }
    if !int_s.chars().all(|c| c.is_ascii_digit()) || !frac_s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if int_s.len() + frac_s.len() > 30 {
        return None;
    }
    let int_v: i128 = if int_s.is_empty() {
        0
    } else {
        int_s.parse().ok()?
    };
    let frac_v: i128 = if frac_s.is_empty() {
        0
    } else {
        frac_s.parse().ok()?
    };
    let scale = 10i128.checked_pow(u32::try_from(frac_s.len()).ok()?)?;
    let v = Exact::new(int_v.checked_mul(scale)?.checked_add(frac_v)?, scale);
    Some(if negative { -v } else { v })
}

/// Reads a JSON number exactly as it was written: integers directly, decimals through their
/// shortest round-trip text (`44.6` stays 446/10, not the nearest binary double).
pub fn from_json_number(n: &serde_json::Number) -> Option<Exact> {
    if let Some(i) = n.as_i64() {
        return Some(whole(i128::from(i)));
    }
    if let Some(u) = n.as_u64() {
        return Some(whole(i128::from(u)));
    }
    let f = n.as_f64()?;
    if !f.is_finite() {
        return None;
    }
    parse_decimal(&format!("{f}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_rounds_up() {
        assert_eq!(round_half_up(&Exact::new(905, 10)), 91);
        assert_eq!(round_half_up(&Exact::new(9046, 100)), 90);
        assert_eq!(round_half_up(&Exact::new(125, 10)), 13);
        assert_eq!(round_half_up(&whole(0)), 0);
    }

    #[test]
    fn decimal_strings_are_exact_or_marked() {
        assert_eq!(to_decimal_string(&Exact::new(9134, 100), 4), "91.34");
        assert_eq!(
            to_decimal_string(&(whole(100) - Exact::new(3255, 378)), 4),
            "91.3888…"
        );
        assert_eq!(to_decimal_string(&whole(92), 4), "92");
    }

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(parse_decimal("44.6"), Some(Exact::new(446, 10)));
        assert_eq!(parse_decimal("-3.25"), Some(Exact::new(-13, 4)));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal("."), None);
        let n: serde_json::Number = serde_json::from_str("0.35").unwrap();
        assert_eq!(from_json_number(&n), Some(Exact::new(35, 100)));
    }
}
