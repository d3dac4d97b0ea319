//! A GPS fix through the webview's geolocation (`navigator.geolocation`, which WKWebView and
//! Android's WebView back with the device's location services once the app holds the location
//! permission of `Dioxus.toml`). A refusal, a timeout or a webview without geolocation is an
//! answer too — "no fix" with its reason — and never blocks the work.

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use milkshed_shared::document::{GpsFix, LocationMoment, LocationRecord};

/// How long a fix may take before the inspection goes on without one.
pub const FIX_TIMEOUT: Duration = Duration::from_secs(8);

/// The script: resolves to `{lat, lon, accuracy}` or `{error}`, within `ms` milliseconds
/// whatever the webview does.
fn script(ms: u128) -> String {
    format!(
        r#"return await new Promise((done) => {{
  const give_up = setTimeout(() => done({{ error: "no fix within {secs} s" }}), {ms} + 500);
  if (!navigator.geolocation) {{ clearTimeout(give_up); done({{ error: "this device offers no location" }}); return; }}
  navigator.geolocation.getCurrentPosition(
    (p) => {{ clearTimeout(give_up); done({{ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy }}); }},
    (e) => {{ clearTimeout(give_up); done({{ error: e.code === 1 ? "location permission refused" : e.code === 3 ? "no fix within {secs} s" : ("no fix: " + (e.message || e.code)) }}); }},
    {{ enableHighAccuracy: true, timeout: {ms}, maximumAge: 60000 }});
}});"#,
        secs = ms / 1000
    )
}

/// What the webview answered, as a record of `moment`.
pub fn record_of(
    moment: LocationMoment,
    answer: &serde_json::Value,
    at: DateTime<FixedOffset>,
) -> LocationRecord {
    let coord = |k: &str| {
        answer[k]
            .as_f64()
            .filter(|v| v.is_finite())
            .map(|v| format!("{v:.6}"))
    };
    let fix = match (coord("lat"), coord("lon")) {
        (Some(lat), Some(lon)) => Some(GpsFix {
            lat,
            lon,
            accuracy_m: answer["accuracy"]
                .as_f64()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| format!("{v:.0}")),
        }),
        _ => None,
    };
    let no_fix = match &fix {
        Some(_) => String::new(),
        None => answer["error"]
            .as_str()
            .unwrap_or("no fix")
            .chars()
            .take(200)
            .collect(),
    };
    LocationRecord {
        moment,
        at,
        fix,
        no_fix,
    }
}

/// Asks the webview for a fix; always answers, within [`FIX_TIMEOUT`] and a little.
pub async fn current(
    moment: LocationMoment,
    now: impl Fn() -> DateTime<FixedOffset>,
) -> LocationRecord {
    let answer = dioxus::document::eval(&script(FIX_TIMEOUT.as_millis()))
        .join::<serde_json::Value>()
        .await
        .unwrap_or_else(|e| serde_json::json!({ "error": format!("no fix: {e}") }));
    record_of(moment, &answer, now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-12-01T09:00:00-06:00").unwrap()
    }

    #[test]
    fn a_fix_is_kept_as_decimal_degrees_text() {
        let r = record_of(
            LocationMoment::Started,
            &serde_json::json!({ "lat": 43.0731, "lon": -89.4012, "accuracy": 11.6 }),
            at(),
        );
        let fix = r.fix.unwrap();
        assert_eq!(
            (fix.lat.as_str(), fix.lon.as_str()),
            ("43.073100", "-89.401200")
        );
        assert_eq!(fix.accuracy_m.as_deref(), Some("12"));
        assert!(r.no_fix.is_empty());
    }

    #[test]
    fn a_refusal_or_garbage_is_no_fix_with_its_reason() {
        let refused = record_of(
            LocationMoment::Signed,
            &serde_json::json!({ "error": "location permission refused" }),
            at(),
        );
        assert_eq!(refused.fix, None);
        assert_eq!(refused.no_fix, "location permission refused");
        let garbage = record_of(
            LocationMoment::Signed,
            &serde_json::json!({ "lat": "x" }),
            at(),
        );
        assert_eq!(garbage.fix, None);
        assert_eq!(garbage.no_fix, "no fix");
        assert!(script(8000).contains("timeout: 8000"));
    }
}
