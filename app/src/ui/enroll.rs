//! Enrolling the device once: server address, agency, user name and password.

use dioxus::prelude::*;

use super::state::{use_app, Screen};
use crate::device::sync_client;

#[component]
pub fn Enroll() -> Element {
    let ctx = use_app();
    let mut server = use_signal(|| "http://127.0.0.1:8080".to_string());
    let mut agency = use_signal(|| "demo".to_string());
    let mut username = use_signal(String::new);
    let mut password = use_signal(String::new);
    let mut message = use_signal(|| None::<String>);
    let enroll = move |_| {
        let result = ctx.with(|store| {
            sync_client::enroll(
                store,
                &server(),
                &agency(),
                &username(),
                &password(),
                "field tablet",
            )
        });
        match result {
            Some(Ok(_)) => {
                message.set(None);
                ctx.changed();
                ctx.go(Screen::WorkList);
            }
            Some(Err(e)) => message.set(Some(e.to_string())),
            None => message.set(Some("the device store is not open".into())),
        }
    };
    rsx! {
        main {
            h1 { "Milkshed — enroll this device" }
            p { "Once enrolled, the device works offline and syncs whenever it has a signal." }
            label { "Server address" }
            input { id: "server", class: "wide", initial_value: "{server}", oninput: move |e| server.set(e.value()) }
            label { "Agency" }
            input { id: "agency", class: "wide", initial_value: "{agency}", oninput: move |e| agency.set(e.value()) }
            label { "User name" }
            input { id: "username", class: "wide", initial_value: "{username}", oninput: move |e| username.set(e.value()) }
            label { "Password" }
            input { id: "password", class: "wide", r#type: "password", initial_value: "{password}", oninput: move |e| password.set(e.value()) }
            if let Some(m) = message() {
                div { class: "error", "{m}" }
            }
            div { class: "row",
                button { id: "enroll", class: "big primary", onclick: enroll, "Enroll this device" }
            }
        }
    }
}

/// Signing in on an enrolled device, with or without a connection.
#[component]
pub fn SignIn() -> Element {
    let ctx = use_app();
    let mut password = use_signal(String::new);
    let mut message = use_signal(|| None::<String>);
    let who = ctx
        .with(|s| sync_client::enrollment(s).ok())
        .flatten()
        .map(|e| format!("{} ({})", e.user_name, e.agency))
        .unwrap_or_default();
    let sign_in = move |_| match ctx
        .with(|s| crate::device::session::sign_in(s, &password(), chrono::Utc::now()))
    {
        Some(Ok(true)) => ctx.go(Screen::WorkList),
        Some(Ok(false)) => message.set(Some("Wrong password.".into())),
        Some(Err(e)) => message.set(Some(e.to_string())),
        None => message.set(Some("the device store is not open".into())),
    };
    rsx! {
        main {
            h1 { "Milkshed — sign in" }
            p { "{who}" }
            label { "Password" }
            input { id: "password", class: "wide", r#type: "password", initial_value: "{password}", oninput: move |e| password.set(e.value()) }
            if let Some(m) = message() {
                div { class: "error", "{m}" }
            }
            button { id: "sign-in", class: "big primary", onclick: sign_in, "Sign in" }
        }
    }
}
