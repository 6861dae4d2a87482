//! The web app in a real browser: Debian's headless Chromium, driven by Playwright
//! (`tests/browser/journeys.cjs`) against the real binary, on SQLite and on PostgreSQL, in
//! English and Hindi. Every page visited is checked for console errors, untranslated messages and
//! axe-core's serious or critical violations, and photographed into
//! `target/browser-screenshots/<backend>/`.
//!
//! Playwright and axe-core are installed from npm into `target/browser-npm` on first use; Chromium
//! and the Noto fonts (for Hindi) come from Debian's packages, installed here when missing and
//! this runs as root. Without Node or Chromium the test is SKIPPED outside CI and fails under CI.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use crate::binary::{Server, TOKEN};
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Debian's Chromium and the Noto fonts, installed when missing (as root, with apt).
fn chromium() -> bool {
    let fonts = Path::new("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf");
    if Path::new(CHROMIUM).exists() && fonts.exists() {
        return true;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if root && have("apt-get") {
        eprintln!("installing chromium and fonts-noto-core from Debian's packages");
        let _ = Command::new("sh")
            .args([
                "-c",
                "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core) >/dev/null 2>&1",
            ])
            .status();
    }
    Path::new(CHROMIUM).exists()
}

/// The directory with Playwright and axe-core installed, or `None` (SKIPPED) outside CI.
fn harness() -> Option<PathBuf> {
    let ready = have("node") && have("npm") && chromium();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but node, npm or chromium is missing: the browser tests cannot run"
        );
        eprintln!("SKIPPED: node, npm or chromium missing; the browser tests did not run");
        return None;
    }
    let dir = repo().join("target/browser-npm");
    std::fs::create_dir_all(&dir).unwrap();
    let wanted = std::fs::read(repo().join("crates/cli/tests/browser/package.json")).unwrap();
    let installed = dir
        .join("node_modules/playwright-core/package.json")
        .exists()
        && dir.join("node_modules/axe-core/axe.min.js").exists()
        && std::fs::read(dir.join("package.json")).is_ok_and(|have| have == wanted);
    if !installed {
        std::fs::write(dir.join("package.json"), &wanted).unwrap();
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "npm install of playwright-core and axe-core failed"
        );
    }
    Some(dir)
}

#[tokio::test]
async fn the_web_app_works_in_a_real_browser_in_english_and_hindi() {
    let Some(npm) = harness() else { return };
    for backend in sehat_store::testing::backends() {
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(sehat_domain::clock::SystemClock);
        let (db, pg) = if backend == "postgres" {
            let test_db = sehat_store::testing::TestDatabase::new(backend, clock).await;
            test_db.store.close().await;
            (test_db.url.clone(), Some(test_db))
        } else {
            (
                format!("sqlite://{}", dir.path().join("web.db").display()),
                None,
            )
        };
        let server = Server::start_on(
            dir,
            &db,
            &[("SEHAT__DEMO__CENTERS", "100")],
            &[],
            &["--otp-delivery", "sandbox"],
        );
        let shots = repo().join("target/browser-screenshots").join(backend);
        let out = Command::new("node")
            .arg(repo().join("crates/cli/tests/browser/journeys.cjs"))
            .args([server.base.as_str(), TOKEN])
            .arg(&shots)
            .arg("en,hi")
            .env("NODE_PATH", npm.join("node_modules"))
            .env("CHROMIUM", CHROMIUM)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{backend}: a browser journey failed:\n{stdout}\n{}\n(screenshots in {})",
            String::from_utf8_lossy(&out.stderr),
            shots.display()
        );
        let leaks = sehat_api::http::telemetry::personal_data_in(&server.log(), &stdout);
        assert!(leaks.is_empty(), "{backend}: the server logged {leaks:?}");
        assert!(server.stop().success());
        if let Some(pg) = pg {
            pg.teardown().await;
        }
    }
}
