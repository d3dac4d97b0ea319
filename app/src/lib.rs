//! The Milkshed field app: offline inspections for sanitarians, hauler/sampler evaluators and
//! rating officers. `device` is the store and everything that talks to the server, `platform`
//! the device's capabilities, `ui` the screens.

pub mod device;
pub mod platform;
#[cfg(feature = "test-hooks")]
pub mod test_hooks;
pub mod ui;
