//! The fast form of the resilience suites (resilience/README.md), run through the real binary:
//! contention with retries on hot slots, SIGKILL rounds under booking load, and resource abuse
//! while citizens search, on SQLite and,
//! when `SEHAT_TEST_POSTGRES_URL` is set, on PostgreSQL (the PostgreSQL-server kill uses a
//! private throwaway cluster when `initdb` exists, and is skipped with a message otherwise).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::process::Command;

#[test]
fn the_fast_resilience_suites_hold_every_gate() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = sehat_store::testing::postgres_url();
    let mut command = Command::new(env!("CARGO_BIN_EXE_sehat"));
    command
        .args(["resilience", "all", "--fast", "--database"])
        .arg(if postgres.is_some() { "both" } else { "sqlite" })
        .arg("--dir")
        .arg(dir.path())
        .env("SEHAT__LOG__FILTER", "warn")
        .env_remove("RUST_LOG");
    if let Some(url) = &postgres {
        command.env("SEHAT_RESILIENCE_POSTGRES_URL", url);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "sehat resilience failed:\n{stderr}"
    );

    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.path().join(name)).unwrap()).unwrap()
    };
    let contention = read("contention.json");
    assert_eq!(contention["gates_hold"], true, "{stderr}");
    let runs = contention["runs"].as_array().unwrap();
    assert_eq!(runs.len(), if postgres.is_some() { 2 } else { 1 });
    for run in runs {
        assert!(run["requests"].as_u64().unwrap() >= 500, "{run}");
        let gates = run["gates"].as_array().unwrap();
        assert_eq!(gates.len(), 7, "{gates:?}");
        assert!(gates.iter().all(|g| g["ok"] == true), "{gates:?}");
        let retries = &gates[4]["detail"];
        assert!(retries["compared"].as_u64().unwrap() > 50, "{retries}");
        assert!(
            retries["after_dropped_connection"].as_u64().unwrap() > 0,
            "{retries}"
        );
    }

    let abuse = read("abuse.json");
    assert_eq!(abuse["gates_hold"], true, "{stderr}");
    let runs = abuse["runs"].as_array().unwrap();
    assert_eq!(runs.len(), if postgres.is_some() { 2 } else { 1 });
    for run in runs {
        let gates = run["gates"].as_array().unwrap();
        assert!(gates.len() >= 25, "{gates:?}");
        assert!(gates.iter().all(|g| g["ok"] == true), "{gates:?}");
        let phases = run["phases"].as_array().unwrap();
        assert_eq!(phases.len(), 6, "{phases:?}");
        assert!(
            phases
                .iter()
                .all(|p| p["citizens"]["answered"].as_u64().unwrap() > 0)
        );
    }

    let crash = read("crash.json");
    assert_eq!(crash["gates_hold"], true, "{stderr}");
    let runs = crash["runs"].as_array().unwrap();
    // On PostgreSQL the fast form kills a private PostgreSQL server when it can make one, and
    // sehat serve otherwise.
    assert_eq!(runs.len(), 1 + usize::from(postgres.is_some()), "{stderr}");
    for run in runs {
        assert_eq!(run["rounds"].as_array().unwrap().len(), 3, "{run}");
        assert!(run["acknowledged"].as_u64().unwrap() > 0, "{run}");
        let gates = run["gates"].as_array().unwrap();
        assert!(gates.iter().all(|g| g["ok"] == true), "{gates:?}");
        // The outbox's messages went through the suite's gateway, retries included.
        let outbox = gates
            .iter()
            .find(|g| {
                g["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("outbox: 0 jobs lost")
            })
            .unwrap();
        assert!(outbox["detail"]["jobs"].as_u64().unwrap() > 0, "{outbox}");
        assert!(
            outbox["detail"]["gateway_503s"].as_u64().unwrap() > 0,
            "{outbox}"
        );
    }
}
