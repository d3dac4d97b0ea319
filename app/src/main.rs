//! Launches the Milkshed field app.

fn main() {
    dioxus::launch(milkshed_app::ui::App);
}
