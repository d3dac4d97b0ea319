//! The sanitation compliance ratings of the MMSR (Sections B and C) and the rules around them.
//!
//! Every rating has one shape (MMSR seed 004 L386–389, L769–771): each rated line's Total
//! Debits times its volume in 100-lb units (cwt), summed, divided by the rated volume, taken
//! from 100. Rating functions take validated input and cannot fail.

pub mod combined;
pub mod draw;
pub mod enforcement;
pub mod gates;
pub mod inspection;
pub mod lab;
pub mod plant;
pub mod raw_milk;
pub mod report;
pub mod table1;

/// A mark in a debit column of a rating form: the column (index into the form's columns) and
/// the points it carries (the column weight, or 2/5 for the water supply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub column: usize,
    pub points: u32,
}

/// The points each column carries for one rated line, each column counted once
/// ([`crate::policy::column_points`]).
pub(crate) fn column_points(columns: usize, marks: &[Mark]) -> Vec<u32> {
    let mut points = vec![0u32; columns];
    for m in marks {
        if let Some(p) = points.get_mut(m.column) {
            *p = crate::policy::column_points([*p, m.points]).unwrap_or(*p);
        }
    }
    points
}
