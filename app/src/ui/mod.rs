//! The app's screens.

mod farm_items;

pub use farm_items::App;
