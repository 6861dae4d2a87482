//! Operational endpoints, middleware and the OpenAPI document.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use sehat_store::testing::{backends, postgres_url};
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
        assert_eq!(
            app.send(get("/healthz")).await.json,
            json!({"status": "ok"})
        );
        assert_eq!(
            app.send(get("/readyz")).await.json,
            json!({"status": "ready"})
        );
        // The home page is the web app's, and links to the API docs.
        let home = app.send(get("/")).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(
            home.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = home.json.as_str().unwrap();
        assert!(page.contains("· sehat</title>") && page.contains(r#"href="/docs""#));
        app.admin("GET", "/admin/v1/centers", None).await;
        let metrics = app.send(get("/metrics")).await;
        assert_eq!(metrics.status, StatusCode::OK);
        let text = metrics.json.as_str().unwrap().to_owned();
        assert!(
            text.contains(
                r#"http_requests_total{method="GET",route="/admin/v1/centers",status="200"}"#
            ),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket"),
            "{text}"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_clients() {
    let app = TestApp::new("sqlite").await;
    let reply = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    let id = reply
        .headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let given = Request::get("/healthz")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.send(given).await.headers.get("x-request-id").unwrap(),
        "abc-123"
    );
    app.teardown().await;
}

#[tokio::test]
async fn oversized_and_unknown_requests_get_json_errors() {
    let app = TestApp::new("sqlite").await;
    let huge = format!(
        r#"{{"name": "{}", "district_id": 376, "pincode": "415501"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let request = Request::post("/admin/v1/centers")
        .header("authorization", format!("Bearer {}", common::ADMIN_TOKEN))
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(
        (reply.status, reply.json["errorCode"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("SEHAT0413"))
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let request = Request::post("/admin/v1/centers")
        .header("authorization", format!("Bearer {}", common::ADMIN_TOKEN))
        .header("content-type", "application/json")
        .body(Body::from(deep))
        .unwrap();
    assert_eq!(
        app.send(request).await.status,
        StatusCode::BAD_REQUEST,
        "deep JSON is refused, not recursed"
    );
    let reply = app
        .send(Request::get("/no/such/route").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        (reply.status, reply.json["errorCode"].as_str()),
        (StatusCode::NOT_FOUND, Some("SEHAT0404"))
    );
    app.teardown().await;
}

#[tokio::test]
async fn the_openapi_document_is_served_and_matches_the_snapshot() {
    let app = TestApp::new("sqlite").await;
    let reply = app
        .send(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json,
        serde_json::to_value(sehat_api::openapi()).unwrap()
    );
    for path in [
        "/admin/v1/centers",
        "/admin/v1/facilities/upload",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(reply.json["paths"][path].is_object(), "{path} missing");
    }
    insta::assert_json_snapshot!("openapi", reply.json);
    let docs = app
        .send(Request::get("/docs/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(docs.status, StatusCode::OK);
    let page = docs.json.as_str().unwrap();
    assert!(
        page.contains("swagger-ui") && !page.contains("cdn."),
        "the docs page is served from the binary"
    );
    app.teardown().await;
}

/// A database outage answers 503 with a clear body, and the server recovers by itself.
#[tokio::test]
async fn a_database_outage_gives_503_and_recovers() {
    // Needs a server whose connections can be cut; SQLite is in-process.
    let Some(url) = postgres_url() else { return };
    let app = TestApp::new("postgres").await;
    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let cut = |allow: bool| {
        let sql = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}");
        let admin = admin.clone();
        let name = name.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await
                .unwrap();
            if !allow {
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                )
                .bind(&name)
                .execute(&admin)
                .await
                .unwrap();
            }
        }
    };
    cut(false).await;
    let ready = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let reply = app.admin("GET", "/admin/v1/centers", None).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.json
    );
    assert_eq!(reply.json["errorCode"], "SEHAT0503");
    cut(true).await;
    let mut recovered = false;
    for _ in 0..50 {
        if app.admin("GET", "/admin/v1/centers", None).await.status == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "the server recovers once the database is back");
    admin.close().await;
    app.teardown().await;
}

#[tokio::test]
async fn a_request_past_its_deadline_gets_408_with_a_json_body() {
    let config = sehat_api::ApiConfig {
        admin_token: Some(common::ADMIN_TOKEN.into()),
        request_timeout: std::time::Duration::from_millis(100),
        ..sehat_api::ApiConfig::default()
    };
    let app = TestApp::with_config("sqlite", config).await;
    // A client that sends headers and then never finishes its body.
    let stalled = futures_util::stream::pending::<Result<bytes::Bytes, std::io::Error>>();
    let request = Request::post("/admin/v1/centers")
        .header("authorization", format!("Bearer {}", common::ADMIN_TOKEN))
        .header("content-type", "application/json")
        .body(Body::from_stream(stalled))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(reply.json["errorCode"], "SEHAT0408");
    app.teardown().await;
}

#[test]
fn every_error_answer_in_the_document_has_the_error_body_and_no_schema_name_is_shared() {
    let doc = serde_json::to_value(sehat_api::openapi()).unwrap();
    let mut errors = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                // An all-or-nothing upload with bad rows answers with its report of row errors.
                if path == "/admin/v1/facilities/upload" && status == "422" {
                    continue;
                }
                // DIVOC's revocation check answers "not revoked" with 404 and its own body.
                if path == "/divoc/api/v1/certificate/revoked" && status == "404" {
                    continue;
                }
                errors += 1;
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    json!("#/components/schemas/ErrorBody"),
                    "{method} {path} {status}"
                );
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
    assert!(errors > 100, "{errors} error answers");
    // Two wire types of one name would leave one of them out of the document (v1 and v2 both
    // have a `CancelBody`): the v2 request bodies are referenced under their own names.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "CancelBody",
        "V2CancelBody",
        "ScheduleBody",
        "V2ScheduleBody",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
    assert_eq!(
        doc["paths"]["/api/v2/appointment/cancel"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        json!("#/components/schemas/V2CancelBody")
    );
}
