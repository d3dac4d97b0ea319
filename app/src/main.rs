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
                        .with_inner_size(LogicalSize::new(900.0, 1100.0)),
                ),
            )
            .launch(milkshed_app::ui::App);
    }
    #[cfg(not(feature = "desktop"))]
    dioxus::launch(milkshed_app::ui::App);
}
