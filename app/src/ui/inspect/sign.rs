//! A signature drawn with a finger, a stylus or a mouse: Pointer Events on an SVG pad with
//! `touch-action: none` (the page does not scroll under the finger), kept as SVG path data in
//! CSS pixels of the pad, cleared and redrawn at will before it is kept.

use dioxus::prelude::*;

/// One pad and its buttons. `on_sign` gets the drawn path; the pad empties after it.
#[component]
pub fn SignaturePad(
    id: String,
    prompt: String,
    action: String,
    on_sign: EventHandler<String>,
) -> Element {
    let mut strokes = use_signal(String::new);
    let mut drawing = use_signal(|| false);
    let drawn = !strokes().is_empty();
    rsx! {
        p { "{prompt}" }
        svg {
            class: "pad",
            id: "{id}",
            onpointerdown: move |e: PointerEvent| {
                e.prevent_default();
                let p = e.element_coordinates();
                drawing.set(true);
                strokes.with_mut(|s| s.push_str(&format!("M{:.0} {:.0} ", p.x, p.y)));
            },
            onpointermove: move |e: PointerEvent| {
                if drawing() {
                    let p = e.element_coordinates();
                    strokes.with_mut(|s| s.push_str(&format!("L{:.0} {:.0} ", p.x, p.y)));
                }
            },
            onpointerup: move |_| drawing.set(false),
            onpointercancel: move |_| drawing.set(false),
            onpointerleave: move |_| drawing.set(false),
            path { d: "{strokes}", stroke: "black", stroke_width: "3", fill: "none", stroke_linecap: "round" }
        }
        div { class: "row",
            button { id: "{id}-clear", class: "big", disabled: !drawn, onclick: move |_| strokes.set(String::new()), "Clear" }
            button {
                id: "{id}-done",
                class: "big primary",
                disabled: !drawn,
                onclick: move |_| {
                    on_sign.call(strokes());
                    strokes.set(String::new());
                },
                "{action}"
            }
        }
    }
}
