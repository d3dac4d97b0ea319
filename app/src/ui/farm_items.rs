//! The farm items screen: the FORM 2359a items grouped as on the form, one tap to mark a
//! violation, the debit shown, and the running Total Debits with the item caps applied.

use dioxus::prelude::*;
use milkshed_shared::catalog::{Catalog, Form, DEFAULT_CATALOG};
use milkshed_shared::rating::raw_milk::farm_total_debits;

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; background: #fff; color: #000; margin: 0; }
header { background: #0b3d2e; color: #fff; padding: 16px; font-size: 22px; font-weight: 700;
         display: flex; justify-content: space-between; position: sticky; top: 0; }
ul { list-style: none; margin: 0; padding: 8px; }
li button { width: 100%; min-height: 56px; margin: 4px 0; font-size: 18px; text-align: left;
            border: 2px solid #000; border-radius: 8px; background: #fff; padding: 8px 12px; }
li button.violated { background: #b00020; color: #fff; border-color: #b00020; }
.weight { float: right; font-weight: 700; }
"#;

/// The next points of a column on a tap: not violated → each allowed weight → not violated
/// (the water supply cycles minor 2, major 5).
fn next_points(allowed: &[u32], current: u32) -> u32 {
    match allowed.iter().position(|p| *p == current) {
        None => allowed.first().copied().unwrap_or(0),
        Some(i) => allowed.get(i + 1).copied().unwrap_or(0),
    }
}

fn farm_form() -> Option<&'static Form> {
    Catalog::builtin(DEFAULT_CATALOG).ok().map(|c| &c.farm)
}

/// The root component.
#[component]
pub fn App() -> Element {
    let Some(form) = farm_form() else {
        return rsx! { p { "The item catalog could not be loaded." } };
    };
    let mut points = use_signal(|| vec![0u32; form.columns.len()]);
    let total = farm_total_debits(form, &points.read());
    let violated = points.read().iter().filter(|p| **p > 0).count();
    rsx! {
        style { {STYLE} }
        header {
            span { "Milkshed — dairy farm items" }
            span { id: "total", "{violated} violated · {total} debits" }
        }
        ul {
            for (i, col) in form.columns.iter().enumerate() {
                li { key: "{col.col}",
                    button {
                        class: if points.read()[i] > 0 { "violated" } else { "" },
                        onclick: move |_| {
                            let allowed = col.allowed_points();
                            let mut p = points.write();
                            p[i] = next_points(&allowed, p[i]);
                        },
                        "{col.key} — {col.label}"
                        span { class: "weight",
                            if points.read()[i] > 0 { "−{points.read()[i]}" } else { "{col.allowed_points().iter().map(u32::to_string).collect::<Vec<_>>().join(\"/\")}" }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn water_supply_cycles_minor_major_off() {
        assert_eq!(next_points(&[2, 5], 0), 2);
        assert_eq!(next_points(&[2, 5], 2), 5);
        assert_eq!(next_points(&[2, 5], 5), 0);
        assert_eq!(next_points(&[3], 0), 3);
        assert_eq!(next_points(&[3], 3), 0);
    }
}
