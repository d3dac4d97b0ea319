//! Launches the Milkshed field app.

fn main() {
    #[cfg(feature = "desktop")]
    {
        use dioxus::desktop::{Config, LogicalSize, WindowBuilder};
        dioxus::LaunchBuilder::desktop()
            .with_cfg(
                Config::new().with_menu(None).with_window(
                    WindowBuilder::new()
                        .with_title("Milkshed")
                        // a phone's size first; resizable to a tablet's or a desktop's
                        .with_inner_size(LogicalSize::new(390.0, 844.0))
                        .with_min_inner_size(LogicalSize::new(320.0, 480.0))
                        .with_resizable(true),
                ),
            )
            .launch(milkshed_app::ui::App);
    }
    #[cfg(not(feature = "desktop"))]
    dioxus::launch(milkshed_app::ui::App);
}
