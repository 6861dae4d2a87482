//! Attacks on the API, on both databases: forged and revoked tokens, partner keys, OTP abuse,
//! another family's objects (the routes generated from `/openapi.json`), extra privileged fields
//! in every request body, identifiers at rest, the audit chain, and the security headers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use crate::common;

use axum::http::StatusCode;
use common::{ADMIN_TOKEN, TestApp};
use sehat_api::ApiConfig;
use sehat_domain::identity::OtpPolicy;
use sehat_store::testing::backends;
use serde_json::{Value, json};

/// What an attacker's failed request must leave alone: bookings, seats, people, audit records.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM appointment_beneficiaries WHERE status = 'ACTIVE'",
        "SELECT COALESCE(SUM(booked), 0) FROM slots",
        "SELECT COALESCE(SUM(updated_at), 0) FROM appointments",
        "SELECT COUNT(*) FROM beneficiaries WHERE deleted_at IS NULL",
        "SELECT COALESCE(SUM(updated_at), 0) FROM beneficiaries",
        "SELECT COUNT(*) FROM audit_log WHERE action <> 'personal-data.read'",
        "SELECT COUNT(*) FROM immunizations",
        "SELECT COUNT(*) FROM certificates WHERE revoked_at IS NULL",
        "SELECT COUNT(*) FROM walkins",
        "SELECT COALESCE(SUM(walkin_booked), 0) FROM sessions",
    ] {
        out.push(app.db.number(sql).await);
    }
    out
}

fn b64url(bytes: &[u8]) -> String {
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0_u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(table[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut bits, mut n, mut out) = (0_u32, 0, Vec::new());
    for c in payload.bytes() {
        bits = bits << 6 | table.iter().position(|t| *t == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    serde_json::from_slice(&out).unwrap()
}

fn sign(claims: &Value, alg: jsonwebtoken::Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn status_with(app: &TestApp, token: &str) -> StatusCode {
    app.call("GET", "/api/v1/appointment", Some(token), None)
        .await
        .status
}

#[tokio::test]
async fn forged_expired_and_logged_out_tokens_are_refused_on_every_node() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let token = app.family("9876500001").await;
        assert_eq!(status_with(&app, &token).await, StatusCode::OK);
        let claims = claims_of(&token);

        // alg none: the same claims, no signature.
        let none = format!(
            "{}.{}.",
            b64url(br#"{"alg":"none","typ":"JWT"}"#),
            token.split('.').nth(1).unwrap()
        );
        // The right secret under another algorithm; the right algorithm under another key.
        let hs512 = sign(&claims, jsonwebtoken::Algorithm::HS512, &[9; 32]);
        let other_key = sign(&claims, jsonwebtoken::Algorithm::HS256, &[8; 32]);
        // The right key and algorithm, but expired, or with the role raised.
        let mut old = claims.clone();
        old["exp"] = json!(claims["iat"].as_i64().unwrap() - 1);
        let expired = sign(&old, jsonwebtoken::Algorithm::HS256, &[9; 32]);
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 3, 'A');
        for (what, forged) in [
            ("alg none", none),
            ("HS512", hs512),
            ("another key", other_key),
            ("expired", expired),
            ("tampered signature", tampered),
        ] {
            let reply = app
                .call("GET", "/api/v1/appointment", Some(&forged), None)
                .await;
            assert_eq!(
                (reply.status, reply.json["errorCode"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("SEHAT0401")),
                "{backend}: {what}"
            );
        }

        // Logout on this node: refused here and on another node of the deployment.
        let other = app.other_node().await;
        let on_other = |t: &str| {
            axum::http::Request::builder()
                .uri("/api/v1/appointment")
                .header("authorization", format!("Bearer {t}"))
                .body(axum::body::Body::empty())
                .unwrap()
        };
        assert_eq!(
            app.send_to(&other, on_other(&token)).await.status,
            StatusCode::OK
        );
        let out = app
            .call("POST", "/api/v2/auth/logout", Some(&token), None)
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{backend}");
        assert_eq!(status_with(&app, &token).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.send_to(&other, on_other(&token)).await.status,
            StatusCode::UNAUTHORIZED,
            "{backend}: logged out on every node"
        );
        let again = app
            .call("POST", "/api/v2/auth/logout", Some(&token), None)
            .await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED);
        // A new login works (after the resend gap).
        app.clock.advance(time::Duration::seconds(31));
        let fresh = app.family("9876500001").await;
        assert_eq!(status_with(&app, &fresh).await, StatusCode::OK);
        app.teardown().await;
    }
}

#[tokio::test]
async fn guest_login_needs_a_partner_key_that_rotates_with_grace_and_revokes_at_once() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let login = |key: Option<String>| {
            let app = &app;
            async move {
                let headers: Vec<(&str, &str)> = match &key {
                    Some(k) => vec![("x-api-key", k.as_str())],
                    None => vec![],
                };
                app.call_with(
                    "POST",
                    "/api/v1/auth/guest/login",
                    None,
                    Some(json!({"user_name": "acme-app"})),
                    &headers,
                )
                .await
            }
        };
        for bad in [
            None,
            Some("nonsense".to_owned()),
            Some(format!("sehat_{}_{}", "0".repeat(16), "0".repeat(64))),
        ] {
            let reply = login(bad).await;
            assert_eq!(
                (reply.status, reply.json["errorCode"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("USRAUT0008")),
                "{backend}"
            );
        }
        let first = app.partner_key("acme").await;
        let reply = login(Some(first.clone())).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let guest = reply.json.as_str().unwrap().to_owned();
        assert_eq!(claims_of(&guest)["sub"], "partner:acme");
        let states = "/api/v1/admin/location/states";
        assert_eq!(
            app.call("GET", states, Some(&guest), None).await.status,
            StatusCode::OK
        );

        // Rotation: a new key; the first keeps working for the 60-second grace, then stops.
        let rotated = app
            .admin(
                "POST",
                "/admin/v1/partners/acme/keys",
                Some(json!({"previous_keys_valid_for_seconds": 60})),
            )
            .await;
        assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.json);
        let second = rotated.json["api_key"].as_str().unwrap().to_owned();
        assert_eq!(login(Some(first.clone())).await.status, StatusCode::OK);
        app.clock.advance(time::Duration::seconds(61));
        assert_eq!(
            login(Some(first.clone())).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.call("GET", states, Some(&guest), None).await.status,
            StatusCode::UNAUTHORIZED,
            "{backend}: tokens of a retired key stop too"
        );
        let listed = app.admin("GET", "/admin/v1/partners/acme/keys", None).await;
        let listed_text = listed.json.to_string();
        assert_eq!(listed.json.as_array().unwrap().len(), 2);
        assert!(
            !listed_text.contains(&second[30..]),
            "secrets are never listed"
        );

        // Revocation: at once, login and tokens.
        let guest2 = login(Some(second.clone()))
            .await
            .json
            .as_str()
            .unwrap()
            .to_owned();
        let key_id = second.split('_').nth(1).unwrap().to_owned();
        let revoked = app
            .admin(
                "DELETE",
                &format!("/admin/v1/partners/acme/keys/{key_id}"),
                None,
            )
            .await;
        assert_eq!(
            (revoked.status, revoked.json["active"].as_bool()),
            (StatusCode::OK, Some(false))
        );
        assert_eq!(
            login(Some(second.clone())).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.call("GET", states, Some(&guest2), None).await.status,
            StatusCode::UNAUTHORIZED
        );
        let elsewhere = app
            .admin(
                "DELETE",
                &format!("/admin/v1/partners/other/keys/{key_id}"),
                None,
            )
            .await;
        assert_eq!(
            elsewhere.status,
            StatusCode::NOT_FOUND,
            "another partner's key"
        );
        let no_admin = app
            .call("POST", "/admin/v1/partners/acme/keys", Some(&guest2), None)
            .await;
        assert_eq!(
            no_admin.status,
            StatusCode::UNAUTHORIZED,
            "admin routes need the admin token"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn otp_abuse_is_capped_per_transaction_per_mobile_and_per_address() {
    for backend in backends() {
        let app = TestApp::with_config(
            backend,
            ApiConfig {
                admin_token: Some(ADMIN_TOKEN.into()),
                otp_delivery: sehat_api::notify::OtpDelivery::Sandbox,
                otp_policy: OtpPolicy {
                    per_address_per_hour: 7,
                    ..OtpPolicy::default()
                },
                ..ApiConfig::default()
            },
        )
        .await;
        let send = |mobile: &'static str| {
            app.call(
                "POST",
                "/api/v2/auth/public/generateOTP",
                None,
                Some(json!({"mobile": mobile})),
            )
        };
        // Parallel guesses: 20 at once at one transaction; at most 3 are even checked.
        let sent = send("9876500011").await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.json);
        let (otp, txn) = (
            sent.json["otp"].as_str().unwrap().to_owned(),
            sent.json["txnId"].as_str().unwrap().to_owned(),
        );
        let wrong = format!("{:06}", (otp.parse::<u32>().unwrap() + 1) % 1_000_000);
        let guesses = (0..20).map(|_| {
            app.call(
                "POST",
                "/api/v2/auth/public/confirmOTP",
                None,
                Some(json!({"otp": wrong, "txnId": txn})),
            )
        });
        let replies = futures_util::future::join_all(guesses).await;
        let checked = replies
            .iter()
            .filter(|r| r.json["errorCode"] == "USRAUT0002")
            .count();
        assert_eq!(checked, 3, "{backend}: exactly the cap is checked");
        assert!(replies.iter().all(|r| r.status == StatusCode::BAD_REQUEST));
        let right = app
            .call(
                "POST",
                "/api/v2/auth/public/confirmOTP",
                None,
                Some(json!({"otp": otp, "txnId": txn})),
            )
            .await;
        assert_eq!(
            right.json["errorCode"], "USRAUT0004",
            "{backend}: the right code, too late"
        );

        // Reuse and expiry.
        let sent = send("9876500012").await;
        let body = json!({"otp": sent.json["otp"], "txnId": sent.json["txnId"]});
        let ok = app
            .call(
                "POST",
                "/api/v2/auth/public/confirmOTP",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK);
        let reused = app
            .call("POST", "/api/v2/auth/public/confirmOTP", None, Some(body))
            .await;
        assert_eq!(reused.json["errorCode"], "USRAUT0003", "{backend}: reused");
        let sent = send("9876500013").await;
        app.clock.advance(time::Duration::minutes(4));
        let late = app
            .call(
                "POST",
                "/api/v2/auth/public/confirmOTP",
                None,
                Some(json!({"otp": sent.json["otp"], "txnId": sent.json["txnId"]})),
            )
            .await;
        assert_eq!(late.json["errorCode"], "USRAUT0003", "{backend}: expired");

        // Per mobile: the 30-second gap, with Retry-After. A registered and an unknown mobile
        // get answers of the same shape.
        let again = send("9876500013").await;
        assert_eq!(
            again.status,
            StatusCode::OK,
            "4 minutes later: {}",
            again.json
        );
        let too_soon = send("9876500013").await;
        assert_eq!(
            (too_soon.status, too_soon.json["errorCode"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("USRAUT0005"))
        );
        assert!(too_soon.headers.contains_key("retry-after"));
        let registered = send("9876500011").await; // has an account since its first OTP
        let unknown = send("9876500099").await;
        let shape = |v: &Value| {
            v.as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(shape(&registered.json), shape(&unknown.json), "{backend}");
        assert_eq!(registered.status, unknown.status);

        // Per address: the 8th code asked for this hour from one address is refused, whatever
        // the mobile, with Retry-After; counted in the database, so another node agrees.
        let fresh = send("9876500098").await;
        assert_eq!(
            (fresh.status, fresh.json["errorCode"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("USRAUT0005")),
            "{backend}: {}",
            fresh.json
        );
        let wait: i64 = fresh.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3600).contains(&wait), "{wait}");
        let other = app.other_node().await;
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v2/auth/public/generateOTP")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(r#"{"mobile":"9876500097"}"#))
            .unwrap();
        assert_eq!(
            app.send_to(&other, request).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{backend}: the cap holds across nodes"
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn identifiers_are_sealed_at_rest_and_never_stored_in_clear() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let guest = app.guest().await;
        let added = app
            .call("POST", "/api/v1/registration/beneficiary/add", Some(&guest), Some(json!({
                "name": "Sealed Person", "birth_year": "1980", "gender": "Male", "mobile_number": "8796561403",
                "photo_id_type": 1, "photo_id_number": "999941057058", "consent": "Y"})))
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.json);
        let mobile_sealed = app
            .db
            .text("SELECT mobile_sealed FROM accounts")
            .await
            .expect("sealed mobile");
        let (hash, photo_sealed) = (
            app.db
                .text("SELECT mobile_hash FROM accounts")
                .await
                .unwrap(),
            app.db
                .text("SELECT photo_id_sealed FROM beneficiaries")
                .await
                .expect("sealed id"),
        );
        let photo_hash = app
            .db
            .text("SELECT photo_id_hash FROM beneficiaries")
            .await
            .unwrap();
        let key = &app.state.identity;
        let sealed = sehat_domain::identity::Sealed::from_stored;
        assert_eq!(
            key.open("mobile", &hash, &sealed(mobile_sealed.clone()))
                .as_deref(),
            Some("8796561403")
        );
        assert_eq!(
            key.open("photo-id", &photo_hash, &sealed(photo_sealed.clone()))
                .as_deref(),
            Some("999941057058")
        );
        // No column of any table holds either number in clear.
        for (table, columns) in [
            (
                "accounts",
                "mobile_hash || mobile_last4 || COALESCE(mobile_sealed, '')",
            ),
            ("otp_requests", "mobile_hash || mobile_last4 || code_hash"),
            (
                "beneficiaries",
                "name || photo_id_hash || photo_id_last4 || COALESCE(photo_id_sealed, '') || address",
            ),
            (
                "audit_log",
                "actor || origin || action || subject || detail",
            ),
        ] {
            for clear in ["8796561403", "999941057058"] {
                let n = app
                    .db
                    .number(&format!(
                        "SELECT COUNT(*) FROM {table} WHERE {columns} LIKE '%{clear}%'"
                    ))
                    .await;
                assert_eq!(n, 0, "{backend}: {clear} in {table}");
            }
        }
        // Masked in the answers.
        let token = app.family("8796561403").await;
        let people = app
            .call(
                "GET",
                "/api/v1/appointment/linkedBeneficiaries",
                Some(&token),
                None,
            )
            .await;
        let text = people.json.to_string();
        assert!(
            text.contains("*****1403") && !text.contains("8796561403"),
            "{text}"
        );
        assert!(!text.contains("999941057058"), "{text}");
        app.teardown().await;
    }
}

#[tokio::test]
async fn the_audit_log_chains_bookings_and_admin_changes_and_shows_tampering() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre, slots) = app
            .centre_with_slots("Audit PHC", 18, &[("Morning", "09:00-11:00", 5)])
            .await;
        let guest = app.guest().await;
        let added = app
            .call("POST", "/api/v1/registration/beneficiary/add", Some(&guest), Some(json!({
                "name": "Audited", "birth_year": "1980", "gender": "Male", "mobile_number": "8796561404",
                "photo_id_type": 1, "photo_id_number": "999941057058", "consent": "Y"})))
            .await;
        let person = added.json["beneficiary_reference_id"].as_i64().unwrap();
        let token = app.family("8796561404").await;
        let booked = app
            .call("POST", "/api/v1/appointment/scheduleAppointment", Some(&token), Some(json!({
                "center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [person]})))
            .await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
        let number = booked.json["appointment_confirmation_no"].as_i64().unwrap();
        let cancel = app
            .call(
                "POST",
                "/api/v1/appointment/cancel",
                Some(&token),
                Some(json!({"appointment_confirmation_no": number})),
            )
            .await;
        assert_eq!(cancel.status, StatusCode::NO_CONTENT);

        let chain = sehat_domain::audit::AuditChain::new(app.state.identity.as_ref().clone());
        let report = sehat_domain::audit::verify(app.state.store.as_ref(), &chain)
            .await
            .unwrap();
        assert_eq!(report.broken, None, "{backend}");
        let actions: Vec<String> = app
            .state
            .store
            .audit_records(0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r.record.actor.split(':').next().unwrap(),
                    r.record.action,
                    r.record.subject.split(':').next().unwrap()
                )
            })
            .collect();
        for expected in [
            "admin center.create center",
            "admin sessions.open center",
            "admin partner-key.issue partner",
            "partner beneficiary.register beneficiary",
            "account appointment.book appointment",
            "account appointment.cancel appointment",
        ] {
            assert!(
                actions.iter().any(|a| a == expected),
                "{backend}: {expected} in {actions:?}"
            );
        }
        assert_eq!(report.checked as usize, actions.len());

        // Append-only: the database refuses changing or removing a sealed record.
        assert!(
            app.db
                .execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
                .await
                .is_err()
        );
        assert!(
            app.db
                .execute("DELETE FROM audit_log WHERE seq = 2")
                .await
                .is_err()
        );
        // Someone with the power to drop the guard changes a record: verify names it.
        let drop_guard = if backend == "sqlite" {
            "DROP TRIGGER audit_log_no_rewrite"
        } else {
            "DROP TRIGGER audit_log_append_only ON audit_log"
        };
        app.db.execute(drop_guard).await.unwrap();
        app.db
            .execute("UPDATE audit_log SET origin = '203.0.113.9' WHERE seq = 3")
            .await
            .unwrap();
        let report = sehat_domain::audit::verify(app.state.store.as_ref(), &chain)
            .await
            .unwrap();
        assert_eq!(report.broken.map(|b| b.0), Some(3), "{backend}");
        app.teardown().await;
    }
}

#[tokio::test]
async fn answers_carry_security_headers_and_cors_allows_only_configured_origins() {
    for backend in backends() {
        let app = TestApp::with_config(
            backend,
            ApiConfig {
                admin_token: Some(ADMIN_TOKEN.into()),
                cors_allowed_origins: vec!["https://app.example.org".into()],
                ..ApiConfig::default()
            },
        )
        .await;
        let reply = app
            .call("GET", "/api/v2/admin/location/states", None, None)
            .await;
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            (
                "content-security-policy",
                "default-src 'none'; frame-ancestors 'none'",
            ),
        ] {
            assert_eq!(reply.headers[name], value, "{backend}: {name}");
        }
        assert!(reply.headers.contains_key("strict-transport-security"));
        let error = app.call("GET", "/api/v1/appointment", None, None).await;
        assert_eq!(error.headers["cache-control"], "no-store");
        assert_eq!(error.headers["x-frame-options"], "DENY");

        let preflight = |origin: &str| {
            axum::http::Request::builder()
                .method("OPTIONS")
                .uri("/api/v2/appointment/schedule")
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                )
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let allowed = app.send(preflight("https://app.example.org")).await;
        assert_eq!(
            allowed
                .headers
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some("https://app.example.org"),
            "{backend}"
        );
        assert!(
            !allowed
                .headers
                .contains_key("access-control-allow-credentials")
        );
        let denied = app.send(preflight("https://evil.example")).await;
        assert!(
            !denied.headers.contains_key("access-control-allow-origin"),
            "{backend}"
        );
        app.teardown().await;
    }
}

/// Names of fields and parameters that point at a family's objects.
fn names_an_object(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["beneficiar", "appointment", "reference_id"]
        .iter()
        .any(|n| name.contains(n))
}

/// One operation of the served document.
struct Operation {
    method: String,
    path: String,
    query: Vec<String>,
    body: Option<Value>,
    security: Vec<String>,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                query: params
                    .iter()
                    .filter(|p| p["in"] == "query")
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect(),
                body: op["requestBody"]["content"]["application/json"]["schema"]
                    .as_object()
                    .map(|_| {
                        resolve(
                            doc,
                            &op["requestBody"]["content"]["application/json"]["schema"],
                        )
                        .clone()
                    }),
                security: op["security"]
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .flat_map(|x| x.as_object().unwrap().keys().cloned())
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
    out
}

/// The objects of family B, and the values that make a request about them valid.
struct Victim {
    token: String,
    values: serde_json::Map<String, Value>,
}

impl Victim {
    fn value(&self, op: &Operation, name: &str, schema: &Value) -> Value {
        let v2 = op.path.starts_with("/api/v2/");
        let v = self
            .values
            .get(&format!("{}:{name}", op.path))
            .or_else(|| {
                self.values
                    .get(&format!("{}:{name}", if v2 { "v2" } else { "v1" }))
            })
            .or_else(|| self.values.get(name))
            .unwrap_or_else(|| panic!("no value for {name} of {} {}", op.method, op.path))
            .clone();
        // The v2 API writes ids as strings.
        match (
            &v,
            schema["type"].as_str(),
            schema["items"]["type"].as_str(),
        ) {
            (Value::Number(n), Some("string"), _) => json!(n.to_string()),
            (Value::Array(items), Some("array"), Some("string")) => {
                json!(
                    items
                        .iter()
                        .map(|i| i.to_string().trim_matches('"').to_owned())
                        .collect::<Vec<_>>()
                )
            }
            _ => v,
        }
    }

    fn body(&self, doc: &Value, op: &Operation) -> Option<Value> {
        let schema = op.body.as_ref()?;
        let mut body = serde_json::Map::new();
        for (name, prop) in schema["properties"].as_object().unwrap() {
            let required = schema["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!(name)));
            if required || names_an_object(name) {
                body.insert(name.clone(), self.value(op, name, resolve(doc, prop)));
            }
        }
        Some(Value::Object(body))
    }

    fn uri(&self, op: &Operation) -> String {
        let query: Vec<String> = op
            .query
            .iter()
            .map(|q| {
                format!(
                    "{q}={}",
                    self.value(op, q, &json!({"type": "string"}))
                        .as_str()
                        .map_or_else(|| self.value(op, q, &json!({})).to_string(), str::to_owned)
                )
            })
            .collect();
        if query.is_empty() {
            op.path.clone()
        } else {
            format!("{}?{}", op.path, query.join("&"))
        }
    }
}

/// Every route of the served document that takes an identifier of a family's object: mobile A's
/// token asking for mobile B's object gets 404 (or 403) and changes nothing, while B's own
/// token with the same request reaches the object (2xx, or a 409 of the booking rules), which
/// shows that the request itself was valid.
#[tokio::test]
async fn one_family_never_reads_or_changes_another_familys_objects_on_any_route() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let doc = app.call("GET", "/openapi.json", None, None).await.json;
        let (centre, slots) = app
            .centre_with_slots(
                "Bola PHC",
                18,
                &[("Morning", "09:00-11:00", 10), ("Noon", "11:00-13:00", 10)],
            )
            .await;
        let sessions = app
            .admin(
                "GET",
                &format!("/admin/v1/centers/{centre}/sessions?from=2026-03-02&to=2026-03-02"),
                None,
            )
            .await;
        let session_id = sessions.json["sessions"][0]["session_id"].clone();
        assert!(session_id.is_string(), "{}", sessions.json);
        let guest = app.guest().await;
        let mut people = Vec::new();
        for (i, (mobile, id)) in [
            ("8796561405", "MNREGA300001"),
            ("8796561405", "MNREGA300002"),
            ("8796561406", "MNREGA300003"),
            ("8796561405", "MNREGA300004"),
        ]
        .iter()
        .enumerate()
        {
            let added = app
                .call("POST", "/api/v1/registration/beneficiary/add", Some(&guest), Some(json!({
                    "name": format!("Person {i}"), "birth_year": "1980", "gender": "Female", "mobile_number": mobile,
                    "photo_id_type": 4, "photo_id_number": id, "consent": "Y"})))
                .await;
            assert_eq!(added.status, StatusCode::OK, "{}", added.json);
            people.push(added.json["beneficiary_reference_id"].as_i64().unwrap());
        }
        // B's fourth person is vaccinated today at this centre (a walk-in), by B's centre's
        // vaccinator; another centre's vaccinator plays the attacker on the vaccinator routes.
        let today = app
            .admin(
                "POST",
                &format!("/admin/v1/centers/{centre}/sessions"),
                Some(json!({
            "from": "2026-03-01", "to": "2026-03-01", "vaccine": "COVISHIELD", "min_age": 18,
            "capacity_online": 10, "capacity_walkin": 5, "capacity_dose1": 10,
            "slots": [{"name": "Evening", "timings": "17:00-19:00", "capacity": 10}]})),
            )
            .await;
        assert_eq!(today.status, StatusCode::CREATED, "{}", today.json);
        let victim_desk = crate::vaccination::vaccinator(&app, centre, "8796561501").await;
        let (elsewhere, _) = app
            .centre_with_slots("Other PHC", 18, &[("Morning", "09:00-11:00", 10)])
            .await;
        let attacker_desk = crate::vaccination::vaccinator(&app, elsewhere, "8796561502").await;
        let seated = app
            .call(
                "POST",
                "/api/v2/vaccinator/onspots/schedule",
                Some(&victim_desk),
                Some(
                    json!({"center_id": centre, "beneficiary_reference_id": people[3], "dose": 1}),
                ),
            )
            .await;
        assert_eq!(seated.status, StatusCode::OK, "{}", seated.json);
        let given = app
            .call("POST", "/api/v2/vaccinator/beneficiaries/vaccinate", Some(&victim_desk),
                Some(json!({"beneficiary_reference_id": people[3], "center_id": centre, "vaccine": "COVISHIELD",
                    "vaccine_batch": "AB123", "dose": 1})))
            .await;
        assert_eq!(given.status, StatusCode::OK, "{}", given.json);
        let victim_token = app.family("8796561405").await;
        let attacker = app.family("8796561406").await;
        let booked = app
            .call("POST", "/api/v1/appointment/scheduleAppointment", Some(&victim_token), Some(json!({
                "center_id": centre, "date": "02-03-2026", "slot_id": slots[0], "beneficiaries": [people[0]]})))
            .await;
        assert_eq!(booked.status, StatusCode::OK, "{}", booked.json);
        let appointment = booked.json["appointment_confirmation_no"].as_i64().unwrap();
        // v2 names the same appointment by its UUID.
        let listed = app
            .call(
                "GET",
                "/api/v2/appointment/beneficiaries",
                Some(&victim_token),
                None,
            )
            .await;
        let appointment_uuid = listed.json["beneficiaries"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|b| b["appointments"].as_array().unwrap().clone())
            .next()
            .unwrap()["appointment_id"]
            .clone();
        assert!(
            uuid::Uuid::parse_str(appointment_uuid.as_str().unwrap()).is_ok(),
            "{appointment_uuid}"
        );
        let values = json!({
            "beneficiary_reference_id": people[1], "beneficiaries": [people[1]],
            "beneficiariesToCancel": [people[0]],
            "/api/v1/appointment/rescheduleAppointment:beneficiaries": [people[0]],
            "/api/v1/appointment/cancel:beneficiaries": [people[0]],
            // v1 moved the appointment to the noon slot: v2 moves it back.
            "/api/v2/appointment/reschedule:slot": "09:00AM-11:00AM",
            "appointment_confirmation_no": appointment, "appointment_id": appointment_uuid,
            "center_id": centre, "date": "02-03-2026", "slot_id": slots[1],
            "session_id": session_id, "slot": "11:00AM-01:00PM", "v2:beneficiaries": [people[1]], "dose": 1,
            "name": "Person 1", "birth_year": "1980", "gender": "Female", "mobile_number": "8796561405",
            "photo_id_type": 4, "photo_id_number": "MNREGA300002", "consent": "Y",
            // The vaccinated person, on the certificate and vaccinator routes.
            "/api/v2/registration/certificate/download:beneficiary_reference_id": people[3],
            "/api/v2/registration/certificate/public/download:beneficiary_reference_id": people[3],
            "/api/v2/vaccinator/certificate/download:beneficiary_reference_id": people[3],
            "/api/v2/vaccinator/beneficiaries/vaccinate:beneficiary_reference_id": people[3],
            "/api/v2/vaccinator/onspots/schedule:beneficiary_reference_id": people[3],
            "vaccine": "COVISHIELD", "vaccine_batch": "AB123",
        });
        let victim = Victim {
            token: victim_token,
            values: values.as_object().unwrap().clone(),
        };
        // Creation routes take no object: an identifier there is refused as input. The desk's
        // searches find anyone by design (a person walks in anywhere; identifiers come masked).
        let creates = [
            "/api/v1/registration/beneficiary/add",
            "/api/v2/vaccinator/beneficiaries/findByReferenceId",
        ];
        let mut targeted: Vec<Operation> = operations(&doc)
            .into_iter()
            .filter(|op| op.security.iter().any(|s| s == "token"))
            .filter(|op| !creates.contains(&op.path.as_str()))
            .filter(|op| {
                op.query.iter().any(|q| names_an_object(q))
                    || op.body.as_ref().is_some_and(|b| {
                        b["properties"]
                            .as_object()
                            .unwrap()
                            .keys()
                            .any(|k| names_an_object(k))
                    })
            })
            .collect();
        // Reads first, then changes in the order a family makes them.
        let order = |op: &Operation| {
            [
                "GET",
                "update",
                "schedule",
                "Schedule",
                "reschedule",
                "Reschedule",
                "cancel",
                "delete",
            ]
            .iter()
            .position(|w| op.method == *w || op.path.contains(w))
            .unwrap_or(9)
        };
        targeted.sort_by_key(order);
        let paths: Vec<&str> = targeted.iter().map(|o| o.path.as_str()).collect();
        for expected in [
            "/api/v1/registration/beneficiary",
            "/api/v1/registration/beneficiary/update",
            "/api/v1/registration/beneficiary/delete",
            "/api/v1/appointment/scheduleAppointment",
            "/api/v1/appointment/rescheduleAppointment",
            "/api/v1/appointment/cancel",
            "/api/v2/appointment/schedule",
            "/api/v2/appointment/reschedule",
            "/api/v2/appointment/cancel",
            "/api/v2/appointment/appointmentslip/download",
            "/api/v2/registration/beneficiary/delete",
            "/api/v2/registration/certificate/download",
            "/api/v2/registration/certificate/public/download",
            "/api/v2/vaccinator/certificate/download",
            "/api/v2/vaccinator/beneficiaries/vaccinate",
            "/api/v2/vaccinator/onspots/schedule",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} is found in the document: {paths:?}"
            );
        }
        for op in &targeted {
            let uri = victim.uri(op);
            let body = victim.body(&doc, op);
            let before = fingerprint(&app).await;
            // On the vaccinator routes the parties are vaccinators: B's centre's and another's.
            let desk = op.path.starts_with("/api/v2/vaccinator/");
            let (attacker, own_token) = if desk {
                (&attacker_desk, &victim_desk)
            } else {
                (&attacker, &victim.token)
            };
            let stolen = app
                .call(&op.method, &uri, Some(attacker), body.clone())
                .await;
            assert!(
                matches!(stolen.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{backend}: A asked {} {uri} {body:?} about B's object: {} {}",
                op.method,
                stolen.status,
                stolen.json
            );
            assert_eq!(
                fingerprint(&app).await,
                before,
                "{backend}: {} {uri} changed something",
                op.method
            );
            let own = app
                .call(&op.method, &uri, Some(own_token), body.clone())
                .await;
            assert!(
                own.status.is_success() || own.status == StatusCode::CONFLICT,
                "{backend}: B's own {} {uri} {body:?} must reach the object: {} {}",
                op.method,
                own.status,
                own.json
            );
        }
        app.teardown().await;
    }
}

/// A placeholder of the schema's type, enough for the body to parse.
fn placeholder(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    match schema["type"].as_str() {
        Some("string") => json!("x"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ if schema["properties"].is_object() => {
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            Value::Object(
                schema["properties"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| required.contains(&json!(k)))
                    .map(|(k, v)| (k.clone(), placeholder(doc, v)))
                    .collect(),
            )
        }
        _ => json!("x"),
    }
}

/// Every request body of the served document refuses fields it does not define: the schema
/// says so (`additionalProperties: false`), and a body carrying `status`, `booked` or `role`
/// first is answered 400 naming that field, and changes nothing.
#[tokio::test]
async fn every_request_body_refuses_extra_privileged_fields() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let doc = app.call("GET", "/openapi.json", None, None).await.json;
        let token = app.family("8796561407").await;
        let guest = app.guest().await;
        let (desk_centre, _) = app
            .centre_with_slots("Desk PHC", 18, &[("Morning", "09:00-11:00", 10)])
            .await;
        let desk = crate::vaccination::vaccinator(&app, desk_centre, "8796561503").await;
        // A certificate to verify is any JSON document a verifier was handed (its fields are the
        // credential's, checked by its proof): those two bodies are open by nature.
        let open_documents = [
            "/api/v2/certificate/verify",
            "/divoc/api/v1/certificate/revoked",
        ];
        let with_body: Vec<Operation> = operations(&doc)
            .into_iter()
            .filter(|op| op.body.is_some() && !open_documents.contains(&op.path.as_str()))
            .collect();
        assert!(with_body.len() >= 20, "{}", with_body.len());
        for op in &with_body {
            let schema = op.body.as_ref().unwrap();
            assert_eq!(
                schema["additionalProperties"], false,
                "{} {} accepts unknown fields",
                op.method, op.path
            );
            let auth = if op.security.iter().any(|s| s == "admin_token") {
                Some(ADMIN_TOKEN.to_owned())
            } else if op.path.contains("/registration/beneficiary/add") {
                Some(guest.clone())
            } else if op.path.starts_with("/api/v2/vaccinator/") {
                Some(desk.clone())
            } else if op.security.iter().any(|s| s == "token") {
                Some(token.clone())
            } else {
                None
            };
            let base = placeholder(&doc, schema);
            let uri = op
                .path
                .replace("{center_id}", "1")
                .replace("{partner}", "acme");
            for field in ["status", "booked", "role"] {
                // The privileged field comes first, so a parser that reads in order meets it
                // before any other field.
                let rest = base.to_string();
                let text = if rest == "{}" {
                    format!("{{\"{field}\":\"ADMIN\"}}")
                } else {
                    format!("{{\"{field}\":\"ADMIN\",{}", &rest[1..])
                };
                let before = fingerprint(&app).await;
                let mut request = axum::http::Request::builder()
                    .method(op.method.as_str())
                    .uri(&uri)
                    .header("content-type", "application/json");
                if let Some(t) = &auth {
                    request = request.header("authorization", format!("Bearer {t}"));
                }
                let reply = app
                    .send(request.body(axum::body::Body::from(text.clone())).unwrap())
                    .await;
                assert_eq!(
                    (reply.status, reply.json["field"].as_str()),
                    (StatusCode::BAD_REQUEST, Some(field)),
                    "{backend}: {} {} {text}: {}",
                    op.method,
                    op.path,
                    reply.json
                );
                assert_eq!(fingerprint(&app).await, before);
            }
        }
        app.teardown().await;
    }
}
