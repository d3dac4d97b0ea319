//! The device's capabilities, each behind one small interface, with the desktop
//! implementation and the Android and iOS ones as far as Dioxus 0.7 and wry allow (what each
//! mobile one does, and what could not be verified here, is in ARCHITECTURE.md, "Platform
//! edges"). Screens call `device` and `platform`; nothing else touches the operating system.
//!
//! - [`data_dir`]: where the device store lives.
//! - [`camera`]: the webview's own `<input type=file accept=image/* capture>`, read through
//!   Dioxus's `FileData` on a desktop and through the page's bridge on Android and iOS.
//! - [`location`]: a GPS fix through the webview's geolocation.
//! - [`share`]: hands a file (the producer's report) to the system.
//! - background sync and the app's lifecycle: [`lifecycle`].

pub mod camera;
mod data_dir;
pub mod lifecycle;
pub mod location;
pub mod share;

pub use data_dir::{data_dir, ensure_dir};
