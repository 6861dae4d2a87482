//! `TestApp`: the whole application in process, on a fresh database of each configured backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly
#![allow(dead_code)] // each test binary uses part of the helpers

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use sehat_api::auth::TokenKeys;
use sehat_api::notify::NoNotifier;
use sehat_api::{ApiConfig, AppState};
use sehat_domain::clock::FixedClock;
use sehat_domain::gazetteer::Gazetteer;
use sehat_domain::identity::IdentityKey;
use sehat_store::testing::TestDatabase;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;
use tower::ServiceExt;

pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct TestApp {
    pub app: axum::Router,
    pub db: TestDatabase,
    pub clock: Arc<FixedClock>,
}

pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub headers: axum::http::HeaderMap,
}

impl TestApp {
    pub async fn new(backend: &str) -> Self {
        Self::with_config(
            backend,
            ApiConfig {
                admin_token: Some(ADMIN_TOKEN.into()),
                ..ApiConfig::default()
            },
        )
        .await
    }

    pub async fn with_config(backend: &str, config: ApiConfig) -> Self {
        let clock = Arc::new(FixedClock::new(datetime!(2026-03-01 04:00 UTC)));
        let db = TestDatabase::new(backend, clock.clone()).await;
        let gazetteer = Gazetteer::load(&db.store).await.expect("gazetteer");
        let state = AppState {
            store: Arc::new(db.store.clone()),
            gazetteer: Arc::new(gazetteer),
            clock: clock.clone(),
            config: Arc::new(config),
            tokens: Arc::new(TokenKeys::new(
                &[9; 32],
                Duration::from_secs(900),
                Duration::from_secs(900),
            )),
            identity: Arc::new(IdentityKey::new(vec![5; 32]).expect("key")),
            notifier: Arc::new(NoNotifier),
        };
        Self {
            app: sehat_api::app(state),
            db,
            clock,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            status,
            json,
            headers,
        }
    }

    pub async fn admin(&self, method: &str, uri: &str, body: Option<Value>) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"));
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    /// A real multipart/form-data upload with one file part.
    pub async fn upload(&self, query: &str, part: Option<(&str, &str, &str, &[u8])>) -> Reply {
        let boundary = "----sehat-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            )
            .as_bytes(),
        );
        if let Some((field, file_name, content_type, contents)) = part {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(contents);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let request = Request::builder()
            .method("POST")
            .uri(format!("/admin/v1/facilities/upload{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    pub async fn teardown(self) {
        self.db.teardown().await;
    }
}

pub const HEADER: &str = "State,District,Block,Pincode,Facilityname,InchargeName,Mobile,Lat,Lang,vaccinationtypeID,Startdate,Enddate,onlineAppointmentVaccancy,slots,Vaccancy";
