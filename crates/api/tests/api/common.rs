//! `TestApp`: the whole application in process, on a fresh database of each configured backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use sehat_api::http::auth::TokenKeys;
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
    pub state: AppState,
    pub db: TestDatabase,
    pub clock: Arc<FixedClock>,
}

pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub headers: axum::http::HeaderMap,
    /// The body as sent (PDFs and PNGs).
    pub bytes: bytes::Bytes,
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
        Self::with_notifier(backend, config, Arc::new(NoNotifier)).await
    }

    pub async fn with_notifier(
        backend: &str,
        config: ApiConfig,
        notifier: Arc<dyn sehat_api::notify::Notifier>,
    ) -> Self {
        let clock = Arc::new(FixedClock::new(datetime!(2026-03-01 04:00 UTC)));
        let db = TestDatabase::new(backend, clock.clone()).await;
        let gazetteer = Gazetteer::load(&db.store).await.expect("gazetteer");
        let state = AppState::new(
            Arc::new(db.store.clone()),
            Arc::new(gazetteer),
            clock.clone(),
            config,
            TokenKeys::new(&[9; 32], Duration::from_secs(900), Duration::from_secs(900)),
            IdentityKey::new(vec![5; 32]).expect("key"),
            notifier,
        );
        Self {
            app: sehat_api::app(state.clone()),
            state,
            db,
            clock,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        self.send_to(&self.app, request).await
    }

    pub async fn admin(&self, method: &str, uri: &str, body: Option<Value>) -> Reply {
        self.send(admin_request(method, uri, body)).await
    }

    /// A second node of the same deployment: its own pool on the same database, its own search
    /// cache and feed, the same keys and clock. Its writes reach this node only through the feed.
    pub async fn other_node(&self) -> axum::Router {
        let store = sehat_store::SqlStore::connect(
            &sehat_store::ConnectOptions::new(&self.db.url),
            self.clock.clone(),
        )
        .await
        .expect("second pool");
        let gazetteer = Gazetteer::load(&store).await.expect("gazetteer");
        let state = AppState::new(
            Arc::new(store),
            Arc::new(gazetteer),
            self.clock.clone(),
            (*self.state.config).clone(),
            TokenKeys::new(&[9; 32], Duration::from_secs(900), Duration::from_secs(900)),
            IdentityKey::new(vec![5; 32]).expect("key"),
            Arc::new(NoNotifier),
        );
        sehat_api::app(state)
    }

    /// Sends a request to a node (this one's router, or another node's).
    pub async fn send_to(&self, node: &axum::Router, request: Request<Body>) -> Reply {
        let response = node.clone().oneshot(request).await.expect("response");
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
            bytes,
        }
    }
}

/// An admin API request.
pub fn admin_request(method: &str, uri: &str, body: Option<Value>) -> Request<Body> {
    {
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
        request.body(body).expect("request")
    }
}

impl TestApp {
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

    /// A sandbox app: OTPs come back in the responses. In process, every request comes from
    /// one address, so the per-address OTP cap is off here (the security tests turn it on).
    pub async fn sandbox(backend: &str) -> Self {
        Self::with_config(
            backend,
            ApiConfig {
                admin_token: Some(ADMIN_TOKEN.into()),
                otp_delivery: sehat_api::notify::OtpDelivery::Sandbox,
                otp_policy: sehat_domain::identity::OtpPolicy {
                    per_address_per_hour: 0,
                    ..Default::default()
                },
                ..ApiConfig::default()
            },
        )
        .await
    }

    /// A JSON call with a bearer token (or none).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(method, uri, token, body, &[]).await
    }

    /// A JSON call with extra headers.
    pub async fn call_with(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    /// A partner API key issued through the admin API.
    pub async fn partner_key(&self, partner: &str) -> String {
        let issued = self
            .admin(
                "POST",
                &format!("/admin/v1/partners/{partner}/keys"),
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.json);
        issued.json["api_key"].as_str().expect("api_key").to_owned()
    }

    /// A guest token from `POST /api/v1/auth/guest/login`, under a new partner key.
    pub async fn guest(&self) -> String {
        let key = self.partner_key("test-partner").await;
        let reply = self
            .call_with(
                "POST",
                "/api/v1/auth/guest/login",
                None,
                Some(serde_json::json!({"user_name": "99999999999999999999"})),
                &[("x-api-key", &key)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        reply.json.as_str().expect("a bare token").to_owned()
    }

    /// A family token for a mobile through the sandbox OTP flow.
    pub async fn family(&self, mobile: &str) -> String {
        let sent = self
            .call(
                "POST",
                "/api/v1/auth/confirmMobileOTP",
                None,
                Some(serde_json::json!({"mobile": mobile})),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
        let body = serde_json::json!({"otp": sent.json["otp"], "txnId": sent.json["txnId"]});
        let confirmed = self
            .call("POST", "/api/v1/auth/mobileOTP", None, Some(body))
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.json);
        confirmed.json["token"].as_str().expect("token").to_owned()
    }

    /// A centre in Satara with one session on 2 March 2026 (the test clock's tomorrow) and the
    /// given slots `[(name, timings, capacity)]`, every seat for first doses (what v1 books);
    /// returns (centre id, slot ids).
    pub async fn centre_with_slots(
        &self,
        name: &str,
        min_age: u8,
        slots: &[(&str, &str, u32)],
    ) -> (i64, Vec<i64>) {
        let centre = self.admin("POST", "/admin/v1/centers", Some(serde_json::json!({
            "name": name, "district_id": 376, "pincode": "415501", "incharge_name": "Sunil Kumar",
            "incharge_mobile": "8765432109", "area": "Rural", "vaccines": ["COVISHIELD"]
        }))).await;
        assert_eq!(centre.status, StatusCode::CREATED, "{}", centre.json);
        let id = centre.json["center_id"].as_i64().expect("id");
        let total: u32 = slots.iter().map(|s| s.2).sum();
        let template: Vec<Value> = slots
            .iter()
            .map(|(n, t, c)| serde_json::json!({"name": n, "timings": t, "capacity": c}))
            .collect();
        let opened = self.admin("POST", &format!("/admin/v1/centers/{id}/sessions"), Some(serde_json::json!({
            "from": "2026-03-02", "to": "2026-03-02", "vaccine": "COVISHIELD", "min_age": min_age,
            "capacity_online": total, "capacity_walkin": 0, "capacity_dose1": total, "slots": template
        }))).await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.json);
        let ids = opened.json["sessions"][0]["slots"]
            .as_array()
            .expect("slots")
            .iter()
            .map(|s| s["slot_id"].as_i64().expect("slot"))
            .collect();
        (id, ids)
    }

    /// Serves the app on a real loopback port; returns its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = self
            .app
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    pub async fn teardown(self) {
        self.state.feed.close();
        // Let the feed's poller see the close before the database goes.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.db.teardown().await;
    }
}

pub const HEADER: &str = "State,District,Block,Pincode,Facilityname,InchargeName,Mobile,Lat,Lang,vaccinationtypeID,Startdate,Enddate,onlineAppointmentVaccancy,slots,Vaccancy";

/// The lowercase SHA-256 hex of an OTP, as v2 clients confirm it.
pub fn sha256_hex(code: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
