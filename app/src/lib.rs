//! The Milkshed field app. For now a desktop shell over the rating engine: a sanitarian marks
//! FORM 2359a items of a farm and sees the Total Debits the 2359k will carry. The offline
//! store, photos, sync and the full workflows come with their issues.

pub mod device;
pub mod platform;
pub mod ui;
