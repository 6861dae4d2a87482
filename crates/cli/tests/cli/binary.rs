//! The real `sehat` binary, started as a user would, on port 0 with its own database file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) const TOKEN: &str = "binary-test-token";

pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    /// The rest of sehat's standard output (console-delivered SMS texts).
    stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
    pub(crate) dir: tempfile::TempDir,
}

impl Server {
    /// Starts `sehat serve --demo` on a fresh SQLite file with a small demo dataset.
    fn start(extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("sehat.db").display());
        Self::start_on(dir, &db, &[("SEHAT__DEMO__CENTERS", "60")], extra_env, &[])
    }

    pub(crate) fn start_on(
        dir: tempfile::TempDir,
        db: &str,
        env: &[(&str, &str)],
        extra_env: &[(&str, &str)],
        args: &[&str],
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sehat"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                db,
                "--demo",
                "--admin-token",
                TOKEN,
            ])
            .args(args)
            .envs(env.iter().copied())
            .env("SEHAT__KEYS__DATA_DIR", dir.path().join("data"))
            // Everything sehat logs, at the most talkative level, for the PII scan.
            .env("RUST_LOG", "debug")
            .envs(extra_env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = stdout.next().expect("an announcement").unwrap();
        let base = line
            .strip_prefix("sehat listening on ")
            .expect("listening line")
            .to_owned();
        Self {
            child,
            base,
            stdout,
            dir,
        }
    }

    /// What the server has logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Stops it (SIGTERM) and hands back its directory: database, keys and log stay.
    fn stop_keeping_dir(mut self) -> (std::process::ExitStatus, tempfile::TempDir) {
        let status = self.terminate();
        (status, self.dir)
    }

    pub(crate) fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill().unwrap();
        panic!("sehat did not stop on SIGTERM");
    }
}

/// Guest login with the demo partner key on file, as the guides do.
async fn guest_login_status(base: &str, dir: &std::path::Path) -> u16 {
    let key = std::fs::read_to_string(dir.join("data/demo-partner.key")).unwrap();
    reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/guest/login"))
        .header("x-api-key", key.trim())
        .json(&serde_json::json!({"user_name": "guide"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `serve --demo --reset` starts the demo over (no centre created since survives), stops
/// without an audit-sealing error, and the demo partner key on file always belongs to the
/// database: after the reset, and after the database file is deleted, guest login still works.
#[tokio::test]
async fn the_demo_resets_and_its_partner_key_follows_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("sehat.db").display());
    let small = [("SEHAT__DEMO__CENTERS", "20")];
    let server = Server::start_on(dir, &db, &small, &[], &[]);
    assert_eq!(
        guest_login_status(&server.base, server.dir.path()).await,
        200
    );
    let created = reqwest::Client::new()
        .post(format!("{}/admin/v1/centers", server.base))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"name": "Reset Probe Clinic", "district_id": 376, "pincode": "415501"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let (status, dir) = server.stop_keeping_dir();
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(status.success(), "{status}: {log}");
    assert!(!log.contains("sealing the audit log failed"), "{log}");

    let server = Server::start_on(dir, &db, &small, &[], &["--reset"]);
    assert_eq!(
        guest_login_status(&server.base, server.dir.path()).await,
        200
    );
    let found: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/admin/v1/centers?name=Reset%20Probe&limit=5",
            server.base
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        found["centers"],
        serde_json::json!([]),
        "the reset emptied the database"
    );
    let (status, dir) = server.stop_keeping_dir();
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(status.success(), "{status}: {log}");

    for file in ["sehat.db", "sehat.db-wal", "sehat.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(file));
    }
    let server = Server::start_on(dir, &db, &small, &[], &[]);
    assert_eq!(
        guest_login_status(&server.base, server.dir.path()).await,
        200
    );
    assert!(server.stop().success());
}

#[tokio::test]
async fn serve_demo_answers_the_admin_api_and_accepts_a_multipart_upload() {
    let server = Server::start(&[]);
    let http = reqwest::Client::new();
    let ready = http
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    let centres: serde_json::Value = http
        .get(format!("{}/admin/v1/centers?limit=500", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = centres["centers"].as_array().unwrap();
    assert_eq!(list.len(), 60, "the demo dataset is there");
    let id = list[0]["center_id"].as_i64().unwrap();
    let sessions: serde_json::Value = http
        .get(format!("{}/admin/v1/centers/{id}/sessions", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        sessions["sessions"].as_array().unwrap().len(),
        14,
        "two weeks of sessions from today"
    );

    // Dates ahead of today wherever the test runs (a start date may not be in the past).
    let (start, end) = (days_ahead(30), days_ahead(31));
    let csv = format!(
        "State,District,Block,Pincode,Facilityname,InchargeName,Mobile,Lat,Lang,vaccinationtypeID,Startdate,Enddate,onlineAppointmentVaccancy,slots,Vaccancy\n\
               Maharashtra,Pune,,411005,Kamla Nehru Hospital,,,,,COVAXIN,{start},{end},50,10AM-1PM,60\n"
    );
    let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
        .file_name("facilities.csv")
        .mime_str("text/csv")
        .unwrap();
    let reply = http
        .post(format!("{}/admin/v1/facilities/upload", server.base))
        .bearer_auth(TOKEN)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let report: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(
        (
            report["centers_created"].as_u64(),
            report["sessions_created"].as_u64()
        ),
        (Some(1), Some(2)),
        "{report}"
    );

    let part = reqwest::multipart::Part::bytes(b"a,b\n1,2\n".to_vec())
        .file_name("facilities.txt")
        .mime_str("text/plain")
        .unwrap();
    let reply = http
        .post(format!("{}/admin/v1/facilities/upload", server.base))
        .bearer_auth(TOKEN)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    assert_eq!(
        reply.json::<serde_json::Value>().await.unwrap()["errorCode"],
        "USRRES0003"
    );

    assert!(server.stop().success(), "SIGTERM stops sehat cleanly");
}

#[test]
fn help_lists_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_sehat"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for command in ["serve", "migrate", "import", "seed-demo"] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_sehat"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--database",
        "--demo",
        "--otp-delivery",
        "--admin-token",
    ] {
        assert!(text.contains(flag), "{flag} missing from serve --help");
    }
}

#[test]
fn the_same_seed_gives_the_same_demo_data_and_import_reports_rows() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sehat"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let db = |n: &str| format!("sqlite://{}", dir.path().join(n).display());
    let a = run(&[
        "seed-demo",
        "--database",
        &db("a.db"),
        "--seed",
        "7",
        "--centers",
        "25",
    ]);
    let b = run(&[
        "seed-demo",
        "--database",
        &db("b.db"),
        "--seed",
        "7",
        "--centers",
        "25",
    ]);
    assert_eq!(a, b);
    assert_eq!(a["centers_created"], 25);
    let again = run(&[
        "seed-demo",
        "--database",
        &db("a.db"),
        "--seed",
        "7",
        "--centers",
        "25",
    ]);
    assert_eq!(again["centers_created"], 0, "seeding twice changes nothing");
    assert_eq!(again["sessions_updated"], 0);

    let file = dir.path().join("f.csv");
    let (start, end) = (days_ahead(30), days_ahead(32));
    std::fs::write(&file, format!("State,District,Block,Pincode,Facilityname,InchargeName,Mobile,Lat,Lang,vaccinationtypeID,Startdate,Enddate,onlineAppointmentVaccancy,slots,Vaccancy\n\
        21,363,,411005,Sassoon Hospital,,,,,COVISHIELD,{start},{end},30,9AM-11AM,40\n")).unwrap();
    let report = run(&[
        "import",
        "facilities",
        file.to_str().unwrap(),
        "--database",
        &db("a.db"),
    ]);
    assert_eq!(
        (report["rows"].as_u64(), report["slots_created"].as_u64()),
        (Some(1), Some(3))
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Name,Place\nx,y\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sehat"))
        .args([
            "import",
            "facilities",
            bad.to_str().unwrap(),
            "--database",
            &db("a.db"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("USRRES0005"));
}

/// Runs a guide's script against `serve --demo --otp-delivery sandbox` on every configured
/// backend; returns each run's standard output.
async fn run_guide(script: &str) -> Vec<String> {
    let mut outputs = Vec::new();
    for backend in sehat_store::testing::backends() {
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(sehat_domain::clock::SystemClock);
        let (db, pg) = if backend == "postgres" {
            // A fresh database (migrated, master data loaded, no centres): serve --demo seeds it.
            let test_db = sehat_store::testing::TestDatabase::new(backend, clock).await;
            test_db.store.close().await;
            (test_db.url.clone(), Some(test_db))
        } else {
            (
                format!("sqlite://{}", dir.path().join("guide.db").display()),
                None,
            )
        };
        let server = Server::start_on(dir, &db, &[], &[], &["--otp-delivery", "sandbox"]);
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scripts")
            .join(script);
        let api_key =
            std::fs::read_to_string(server.dir.path().join("data/demo-partner.key")).unwrap();
        let out = Command::new("bash")
            .arg(&script)
            .current_dir(server.dir.path())
            .env("BASE", &server.base)
            .env("API_KEY", api_key.trim())
            .env("ADMIN_TOKEN", TOKEN)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{backend}: the guide failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = server.log();
        assert!(
            log.contains("sehat::access"),
            "{backend}: the log was captured"
        );
        let leaks = sehat_api::http::telemetry::personal_data_in(&log, &stdout);
        assert!(
            leaks.is_empty(),
            "{backend}: {} logged {leaks:?}",
            script.display()
        );
        assert!(server.stop().success());
        if let Some(test_db) = pg {
            test_db.teardown().await;
        }
        outputs.push(stdout);
    }
    outputs
}

/// The partner guide (`docs/partner-guide.md`) runs as written against `serve --demo
/// --otp-delivery sandbox`, on SQLite and on PostgreSQL when configured.
#[tokio::test]
async fn the_partner_guide_runs_as_written() {
    for stdout in run_guide("partner-guide.sh").await {
        assert!(
            stdout.contains("cancel: 204") && stdout.contains("partner guide: done"),
            "{stdout}"
        );
        assert!(
            stdout.contains("\"people\":[\"Apparao\"]"),
            "one of the two remains booked: {stdout}"
        );
    }
}

/// The CoWIN v2 guide (`docs/cowin-v2-guide.md`) runs as written: a booking app finds a centre
/// by district, pincode and location, follows the feed, logs in, books, downloads the slip and
/// cancels, on SQLite and on PostgreSQL when configured.
#[tokio::test]
async fn the_cowin_v2_guide_runs_as_written() {
    for stdout in run_guide("cowin-v2-guide.sh").await {
        for expected in [
            "\"district_name\":\"Pune\"",
            "unchanged: 304",
            "event: availability",
            "isNewAccount: Y",
            "\"available_capacity_dose1\":",
            "slip: %PDF-",
            "cancel: 204",
            "cowin v2 guide: done",
        ] {
            assert!(stdout.contains(expected), "{expected} in:\n{stdout}");
        }
    }
}

/// The vaccination guide (`docs/vaccination-guide.md`) runs as written: an administrator posts
/// a vaccinator, a citizen books today, the vaccinator records dose 1, the citizen downloads the
/// certificate, it verifies, a correction revokes it; on SQLite and on PostgreSQL when configured.
#[tokio::test]
async fn the_vaccination_guide_runs_as_written() {
    for stdout in run_guide("vaccination-guide.sh").await {
        for expected in [
            "\"active\":true",
            "again: 409",
            "\"vaccination_status\":\"Partially Vaccinated\"",
            "certificate: %PDF-",
            "\"proof\":\"Ed25519Signature2018\"",
            "\"status\":\"VALID\"",
            "{\"pdf\":\"VALID\"}",
            "\"status\":\"REVOKED\"",
            "divoc revoked: 200",
            "vaccination guide: done",
        ] {
            assert!(stdout.contains(expected), "{expected} in:\n{stdout}");
        }
    }
}

/// With `--otp-delivery console` the SMS text goes to standard output (the mobile masked) and the
/// API response carries no OTP.
#[tokio::test]
async fn console_delivery_prints_the_sms_and_keeps_the_otp_out_of_the_response() {
    let mut server = Server::start(&[("SEHAT__OTP__DELIVERY", "console")]);
    let http = reqwest::Client::new();
    let sent: serde_json::Value = http
        .post(format!("{}/api/v1/auth/confirmMobileOTP", server.base))
        .json(&serde_json::json!({"mobile": "9876543210"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(sent.get("otp").is_none(), "{sent}");
    let sms = server.stdout.next().unwrap().unwrap();
    assert!(sms.starts_with("SMS to *****3210: "), "{sms}");
    let code: String = sms["SMS to *****3210: ".len()..].chars().take(6).collect();
    let token = http
        .post(format!("{}/api/v1/auth/mobileOTP", server.base))
        .json(&serde_json::json!({"otp": code, "txnId": sent["txnId"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    assert!(server.stop().success());
}

/// The benchmark's CI tier, briefly, on SQLite and (when configured) PostgreSQL, so that it
/// never rots (two rounds: each must start from the same state as the first): it must run end to end from the one command and every correctness gate must
/// hold. Its timings are not judged here (BENCHMARKS.md reports them).
#[test]
fn the_benchmark_runs_its_ci_tier_and_every_gate_holds() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = sehat_store::testing::postgres_url();
    let mut command = Command::new(env!("CARGO_BIN_EXE_sehat"));
    command.args([
        "bench",
        "--tier",
        "ci",
        "--database",
        if postgres.is_some() { "both" } else { "sqlite" },
        // The gates, not the timings, are what this test checks: the shortest runs do.
        "--seconds",
        "0.5",
        "--rounds",
        "1",
        "--connections",
        "16",
        "--rush-attempts",
        "1500",
        "--dir",
    ]);
    command.arg(dir.path());
    if let Some(url) = &postgres {
        command.env("SEHAT_BENCH_POSTGRES_URL", url);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "sehat bench failed:\n{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report-ci.json")).unwrap()).unwrap();
    assert_eq!(report["gates_hold"], true, "{stderr}");
    let databases = report["databases"].as_array().unwrap();
    assert_eq!(databases.len(), if postgres.is_some() { 2 } else { 1 });
    for db in databases {
        let gates = db["gates"].as_array().unwrap();
        assert!(
            gates.len() >= 8,
            "every booking scenario is audited: {gates:?}"
        );
        assert!(gates.iter().all(|g| g["ok"] == true), "{gates:?}");
        let scenarios = &db["scenarios"];
        for name in [
            "search",
            "bot_polling",
            "booking_spread",
            "booking_rush",
            "mixed_rush",
            "registration",
        ] {
            assert!(scenarios[name].is_object(), "{name} missing");
        }
        assert_eq!(scenarios["search"]["read_your_writes"]["fresh"], 20);
        let rush = &scenarios["booking_rush"]["rounds"][0];
        assert_eq!(
            rush["hot_slots"]["run"]["result"]["done"], 1000,
            "10 hot slots x 100 seats"
        );
        assert_eq!(
            rush["single_slot"]["run"]["result"]["done"], 1000,
            "one slot of 1,000 seats"
        );
        assert!(
            scenarios["registration"]["registrations_per_second"]
                .as_f64()
                .unwrap()
                > 0.0
        );
    }
}

/// The date `days` from today (UTC), as `YYYY-MM-DD`.
fn days_ahead(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// Suite 3's limits across processes: two `sehat serve` processes on one PostgreSQL database
/// (sharing their keys, as nodes behind a load balancer do) count one mobile's resend gap and one
/// address's OTP cap together, and a token logged out on one is refused by the other.
#[tokio::test]
async fn two_processes_on_one_postgresql_share_the_otp_limits_and_the_revocations() {
    if sehat_store::testing::postgres_url().is_none() {
        return;
    }
    let clock = std::sync::Arc::new(sehat_domain::clock::SystemClock);
    let db = sehat_store::testing::TestDatabase::new("postgres", clock).await;
    db.store.close().await;
    let keys = tempfile::tempdir().unwrap();
    let keys_dir = keys.path().join("data").display().to_string();
    let env = [
        ("SEHAT__DEMO__CENTERS", "20"),
        ("SEHAT__OTP__PER_ADDRESS_PER_HOUR", "4"),
    ];
    let shared = [("SEHAT__KEYS__DATA_DIR", keys_dir.as_str())];
    let sandbox = ["--otp-delivery", "sandbox"];
    // One after the other: the first seeds the demo data and makes the keys.
    let start = || {
        Server::start_on(
            tempfile::tempdir().unwrap(),
            &db.url,
            &env,
            &shared,
            &sandbox,
        )
    };
    let a = start();
    let b = start();
    let http = reqwest::Client::new();
    let otp = |server: &Server, mobile: &str| {
        http.post(format!("{}/api/v1/auth/confirmMobileOTP", server.base))
            .json(&serde_json::json!({ "mobile": mobile }))
            .send()
    };
    let first = otp(&a, "9876500101").await.unwrap();
    assert_eq!(first.status(), 200);
    let sent: serde_json::Value = first.json().await.unwrap();
    // The same mobile at once on the other process: inside the resend gap.
    let again = otp(&b, "9876500101").await.unwrap();
    assert_eq!(again.status(), 429, "the resend gap holds across processes");
    assert!(again.headers().contains_key("retry-after"));
    assert_eq!(otp(&b, "9876500102").await.unwrap().status(), 200);
    assert_eq!(otp(&a, "9876500103").await.unwrap().status(), 200);
    // Four requests from this address so far, on two processes: the fifth is over the cap on
    // either.
    for server in [&b, &a] {
        let over = otp(server, "9876500104").await.unwrap();
        assert_eq!(over.status(), 429, "the address cap holds across processes");
        assert!(over.headers().contains_key("retry-after"));
    }

    // A token from one process, logged out on the other, is refused by both.
    let login: serde_json::Value = http
        .post(format!("{}/api/v1/auth/mobileOTP", a.base))
        .json(&serde_json::json!({"otp": sent["otp"], "txnId": sent["txnId"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let family = |server: &Server| {
        http.get(format!(
            "{}/api/v1/appointment/linkedBeneficiaries",
            server.base
        ))
        .bearer_auth(&token)
        .send()
    };
    assert_eq!(family(&b).await.unwrap().status(), 200);
    let out = http
        .post(format!("{}/api/v2/auth/logout", b.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success(), "{}", out.status());
    assert_eq!(family(&a).await.unwrap().status(), 401);
    assert_eq!(family(&b).await.unwrap().status(), 401);

    for server in [a, b] {
        let leaks = sehat_api::http::telemetry::personal_data_in(&server.log(), "");
        assert!(leaks.is_empty(), "{leaks:?}");
        assert!(server.stop().success());
    }
    db.teardown().await;
}
