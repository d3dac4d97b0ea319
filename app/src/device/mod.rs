//! The app core, with no UI: the on-device store and the photo pipeline. Tests and benches
//! drive it directly; the screens call it and show what it returns.

pub mod photos;
pub mod report;
pub mod session;
pub mod store;
pub mod sync_client;
pub mod work;

pub use photos::{process_photo, PhotoError, ProcessedPhoto};
pub use store::{InspectionSummary, Store, StoreError};
