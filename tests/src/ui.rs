//! Driving the field app's real window like a person: xdotool taps and types and draws at the
//! places the screen's elements really are, `import` takes screenshots, and the app's test
//! driver (feature `test-hooks`, `app/src/test_hooks.rs`) answers what the screen shows —
//! element boxes, text, values — so no test depends on pixel positions of a layout.
//!
//! Each [`Display`] runs Xvfb with a session bus of its own, on which the desktop portal
//! (`xdg-desktop-portal-gtk`) shows the file chooser that the camera button opens on a
//! desktop; [`App::choose_files`] answers it.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{app_binary, workspace_root, Display};

/// A phone's window (CSS px): the size every screen is driven at first.
pub const PHONE: (u32, u32) = (390, 844);
/// A tablet held upright, and on its side.
pub const TABLET_PORTRAIT: (u32, u32) = (768, 1024);
pub const TABLET_LANDSCAPE: (u32, u32) = (1024, 768);

/// The smallest tap target (CSS px, each way).
pub const MIN_TARGET: f64 = 48.0;

/// Whether `cond` came true within `limit`.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// Panics with `what` unless `cond` comes true within `limit`.
pub fn wait_for(what: &str, limit: Duration, cond: impl FnMut() -> bool) {
    assert!(wait_until(limit, cond), "timed out waiting for {what}");
}

/// The app, running in a window on a display, with its test driver.
pub struct App<'d> {
    display: &'d Display,
    child: Child,
    driver: PathBuf,
    next: Cell<u64>,
    size: Cell<(u32, u32)>,
    _driver_dir: tempfile::TempDir,
}

impl<'d> App<'d> {
    /// Launches the app on `display` with its store in `data`, and waits until its first screen
    /// answers. `env` is added to the app's environment.
    pub fn launch(display: &'d Display, data: &Path, env: &[(&str, &Path)]) -> App<'d> {
        let driver_dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(app_binary());
        cmd.env("DISPLAY", display.name())
            .env("DBUS_SESSION_BUS_ADDRESS", display.bus())
            .env("XDG_CURRENT_DESKTOP", "GNOME")
            .env("MILKSHED_DATA_DIR", data)
            .env("MILKSHED_TEST_DRIVER", driver_dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let app = App {
            display,
            child: cmd.spawn().unwrap(),
            driver: driver_dir.path().to_path_buf(),
            next: Cell::new(0),
            size: Cell::new(PHONE),
            _driver_dir: driver_dir,
        };
        // the first answer comes once the webview runs the app: a slow machine takes a while
        let ready = app.eval_within(
            "return document.readyState === 'complete' && !!document.querySelector('main, .error');",
            Duration::from_secs(120),
        );
        assert!(ready.is_ok(), "the app never answered: {ready:?}");
        app.wait_for_selector("main", Duration::from_secs(60));
        app
    }

    /// Evaluates `js` (a function body: `return` gives the answer) in the webview.
    pub fn eval(&self, js: &str) -> Value {
        match self.eval_within(js, Duration::from_secs(30)) {
            Ok(v) => v,
            Err(e) => panic!("{e}\nscript: {js}"),
        }
    }

    fn eval_within(&self, js: &str, limit: Duration) -> Result<Value, String> {
        // Dioxus now and then answers an evaluation with "eval has already ran" (its handle was
        // recycled before the answer was read): the scripts only read, so ask again
        let mut answer = self.eval_once(js, limit);
        for _ in 0..3 {
            match &answer {
                Err(e) if e.contains("already ran") => answer = self.eval_once(js, limit),
                _ => break,
            }
        }
        answer
    }

    fn eval_once(&self, js: &str, limit: Duration) -> Result<Value, String> {
        let n = self.next.get();
        self.next.set(n + 1);
        let aside = self.driver.join(format!("{n}.tmp"));
        std::fs::write(&aside, js).unwrap();
        std::fs::rename(&aside, self.driver.join(format!("{n}.js"))).unwrap();
        let answer = self.driver.join(format!("{n}.json"));
        if !wait_until(limit, || answer.exists()) {
            return Err(format!(
                "the app did not answer script {n} within {limit:?}"
            ));
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&answer).unwrap()).unwrap();
        match v.get("ok") {
            Some(ok) => Ok(ok.clone()),
            None => Err(format!("script {n} failed: {}", v["error"])),
        }
    }

    /// Whether an element matches `selector` now.
    pub fn exists(&self, selector: &str) -> bool {
        self.eval(&format!(
            "return !!document.querySelector({});",
            js_str(selector)
        ))
        .as_bool()
        .unwrap_or(false)
    }

    pub fn wait_for_selector(&self, selector: &str, limit: Duration) {
        wait_for(selector, limit, || self.exists(selector));
    }

    /// The element's box on screen (x, y, width, height), scrolled to the middle of the window.
    fn box_of(&self, selector: &str) -> Option<(f64, f64, f64, f64)> {
        let v = self.eval(&format!(
            "const e = document.querySelector({}); if (!e) return null;
             e.scrollIntoView({{block: 'center', inline: 'center'}});
             const r = e.getBoundingClientRect();
             return [r.x + window.screenX, r.y + window.screenY, r.width, r.height];",
            js_str(selector)
        ));
        let a = v.as_array()?;
        Some((
            a[0].as_f64()?,
            a[1].as_f64()?,
            a[2].as_f64()?,
            a[3].as_f64()?,
        ))
    }

    /// The middle of the element on screen (scrolled into view).
    pub fn point_in(&self, selector: &str) -> (i64, i64) {
        self.wait_for_selector(selector, Duration::from_secs(20));
        let (x, y, w, h) = self
            .box_of(selector)
            .unwrap_or_else(|| panic!("{selector} is not on screen"));
        ((x + w / 2.0) as i64, (y + h / 2.0) as i64)
    }

    /// A tap (a click) in the middle of the element.
    pub fn tap(&self, selector: &str) {
        let (x, y) = self.point_in(selector);
        self.click_at(x, y);
        settle();
    }

    /// A click at a point of the screen, without waiting for the webview.
    pub fn click_at(&self, x: i64, y: i64) {
        self.display
            .xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    }

    /// Taps the first element matching `selector` whose text holds `text`.
    pub fn tap_text(&self, selector: &str, text: &str) {
        self.mark(selector, text);
        self.tap("[data-driven]");
    }

    fn mark(&self, selector: &str, text: &str) {
        let js = format!(
            "document.querySelectorAll('[data-driven]').forEach(e => e.removeAttribute('data-driven'));
             const e = [...document.querySelectorAll({})].find(e => e.innerText.includes({}));
             if (!e) return false; e.setAttribute('data-driven', '1'); return true;",
            js_str(selector),
            js_str(text)
        );
        wait_for(
            &format!("{selector} holding {text:?}"),
            Duration::from_secs(20),
            || self.eval(&js).as_bool().unwrap_or(false),
        );
    }

    /// Types `text` into the field as a person would (tap, select all, type), and types it again
    /// while the field does not hold it: a webview busy drawing drops keystrokes. Then Tab, so
    /// that the field's change is committed.
    pub fn fill(&self, selector: &str, text: &str) {
        for _ in 0..4 {
            self.tap(selector);
            self.display.xdotool(&["key", "ctrl+a", "BackSpace"]);
            self.display.xdotool(&["type", "--delay", "80", text]);
            settle();
            if self.value(selector) == text {
                self.display.xdotool(&["key", "Tab"]);
                settle();
                return;
            }
        }
        panic!(
            "{selector} never held {text:?} (it holds {:?})",
            self.value(selector)
        );
    }

    /// The value of a form field.
    pub fn value(&self, selector: &str) -> String {
        self.eval(&format!(
            "const e = document.querySelector({}); return e ? e.value : null;",
            js_str(selector)
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The text of an element ("" when there is none).
    pub fn text(&self, selector: &str) -> String {
        self.eval(&format!(
            "const e = document.querySelector({}); return e ? e.innerText : '';",
            js_str(selector)
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// A stroke drawn with the pointer across the element, through `points` given as fractions
    /// of its width and height.
    pub fn draw(&self, selector: &str, points: &[(f64, f64)]) {
        self.wait_for_selector(selector, Duration::from_secs(20));
        let (x, y, w, h) = self.box_of(selector).unwrap();
        let at = |(fx, fy): (f64, f64)| {
            (
                ((x + w * fx) as i64).to_string(),
                ((y + h * fy) as i64).to_string(),
            )
        };
        let (sx, sy) = at(points[0]);
        // a pause after the press, so the pad has its pointerdown before the first move, and a
        // move halfway between each two points: a webview busy drawing may coalesce a move
        let mut args: Vec<String> = vec![
            "mousemove".into(),
            sx,
            sy,
            "mousedown".into(),
            "1".into(),
            "sleep".into(),
            "0.1".into(),
        ];
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            for p in [((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0), b] {
                let (px, py) = at(p);
                args.extend(["mousemove".into(), px, py, "sleep".into(), "0.05".into()]);
            }
        }
        args.extend(["mouseup".into(), "1".into()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.display.xdotool(&refs);
        settle();
    }

    /// Answers the file chooser a camera button opened (the desktop portal's, or the webview's
    /// own for the bridged camera): goes to `dir` and chooses every photo in it. The photos'
    /// names must not share a first letter (the chooser would complete the common start into
    /// its location field), and `dir` must hold more than one.
    pub fn choose_files(&self, dir: &Path) {
        wait_for("the file chooser", Duration::from_secs(60), || {
            self.chooser_open()
        });
        std::thread::sleep(Duration::from_secs(1));
        let folder = format!("{}/", dir.display());
        self.display.xdotool(&["key", "ctrl+l"]);
        std::thread::sleep(Duration::from_millis(500));
        // all at once: the chooser completes names as they are typed, and a completion
        // arriving between two keystrokes mangles the path
        self.display.xdotool(&["type", "--delay", "0", &folder]);
        std::thread::sleep(Duration::from_millis(1200));
        // into the folder, then every file in it
        self.display.xdotool(&["key", "Return"]);
        std::thread::sleep(Duration::from_millis(1500));
        self.display.xdotool(&["key", "ctrl+a"]);
        std::thread::sleep(Duration::from_millis(300));
        self.display.xdotool(&["key", "Return"]);
        if !wait_until(Duration::from_secs(20), || !self.chooser_open()) {
            self.screenshot("chooser-stuck");
            panic!("the file chooser did not close (target/ui-screens/chooser-stuck.png)");
        }
    }

    /// Whether a window other than the app's is open and big enough to be a dialog.
    fn chooser_open(&self) -> bool {
        let name = self.display.name();
        let run = |args: &[&str]| {
            Command::new("xdotool")
                .args(args)
                .env("DISPLAY", &name)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
                .unwrap_or_default()
        };
        run(&["search", "--onlyvisible", "--class", "."])
            .lines()
            .filter(|id| run(&["getwindowname", id]).trim() != "Milkshed")
            .any(|id| {
                run(&["getwindowgeometry", id])
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("Geometry: ").map(str::to_string))
                    .and_then(|g| g.split('x').next().and_then(|w| w.parse::<u32>().ok()))
                    .is_some_and(|w| w >= 300)
            })
    }

    /// Resizes the window (CSS px; the display's scale is 1).
    pub fn resize(&self, (w, h): (u32, u32)) {
        let name = self.display.name();
        let out = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "^Milkshed$"])
            .env("DISPLAY", &name)
            .output()
            .unwrap();
        let id = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(!id.is_empty(), "the app's window");
        self.display
            .xdotool(&["windowsize", &id, &w.to_string(), &h.to_string()]);
        wait_for(
            &format!("the window at {w} × {h}"),
            Duration::from_secs(20),
            || {
                self.eval("return [window.innerWidth, window.innerHeight];")
                    == serde_json::json!([w, h])
            },
        );
        self.size.set((w, h));
        settle();
    }

    /// Every element a finger can tap that is on the page and smaller than 48 × 48 CSS px, as
    /// `tag#id.class "text" w×h`.
    pub fn small_targets(&self) -> Vec<String> {
        let v = self.eval(&format!(
            "const min = {MIN_TARGET};
             const seen = [...document.querySelectorAll('button, a[href], select, textarea, input:not([type=hidden]):not([type=file]), label.camera, [role=button]')];
             return seen.filter(e => {{
                 const r = e.getBoundingClientRect();
                 const style = getComputedStyle(e);
                 return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && (r.width < min || r.height < min);
             }}).map(e => {{
                 const r = e.getBoundingClientRect();
                 return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
                     + ' \"' + (e.innerText || e.placeholder || '').slice(0, 30) + '\" ' + Math.round(r.width) + '×' + Math.round(r.height);
             }});"
        ));
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fails unless every tap target of the screen is at least 48 × 48.
    pub fn assert_tap_targets(&self, screen: &str) {
        let small = self.small_targets();
        assert!(
            small.is_empty(),
            "on {screen}, tap targets under {MIN_TARGET} × {MIN_TARGET} px: {small:#?}"
        );
    }

    /// A screenshot of the window, into `target/ui-screens/` (and `docs/screens/` when
    /// `MILKSHED_UPDATE_SCREENS=1`).
    pub fn screenshot(&self, name: &str) {
        settle();
        let (w, h) = self.size.get();
        let dir = workspace_root().join("target/ui-screens");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let ok = Command::new("import")
            .args([
                "-window",
                "root",
                "-crop",
                &format!("{w}x{h}+0+0"),
                "+repage",
            ])
            .arg(&path)
            .env("DISPLAY", self.display.name())
            .status()
            .expect("imagemagick's import is needed")
            .success();
        assert!(ok, "screenshot {name}");
        if std::env::var("MILKSHED_UPDATE_SCREENS").as_deref() == Ok("1") {
            let docs = workspace_root().join("docs/screens");
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::copy(&path, docs.join(format!("{name}.png"))).unwrap();
        }
    }
}

impl Drop for App<'_> {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Time for the webview to draw after an input event.
pub fn settle() {
    std::thread::sleep(Duration::from_millis(400));
}

/// A JavaScript string literal of `s`.
fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}
