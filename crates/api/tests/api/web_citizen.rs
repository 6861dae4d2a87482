//! The web app's citizen pages over HTTP: languages, caching, CSRF on every form, sessions that
//! are the APIs' tokens (and an admin's web session that is not), page weight, and another
//! family's documents. The same journeys run in a real browser in the cli crate's tests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use crate::common::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use sehat_store::testing::backends;

/// The shared browser bound to one app.
struct Browser<'a> {
    app: &'a TestApp,
    inner: crate::web_common::Browser,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            inner: crate::web_common::Browser::default(),
        }
    }

    async fn get(&mut self, uri: &str) -> crate::common::Reply {
        self.inner.get(self.app, uri).await
    }

    async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> crate::common::Reply {
        self.inner.post(self.app, uri, form, None).await
    }

    /// The CSRF token the forms of a page carry.
    async fn csrf(&mut self, page: &str) -> String {
        let html = self.get(page).await;
        text(&html)
            .split(r#"name="_csrf" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a form with its CSRF token")
            .to_owned()
    }

    /// Logs in by OTP as the family of `mobile` (sandbox: the OTP is on the page).
    async fn log_in(&mut self, mobile: &str) {
        let csrf = self.csrf("/login").await;
        let sent = self
            .post(
                "/login",
                &[("_csrf", &csrf), ("mobile", mobile), ("next", "")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", text(&sent));
        let page = text(&sent);
        let attr = |name: &str| {
            page.split(&format!(r#"{name}=""#))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .to_owned()
        };
        let (otp, txn) = (attr("data-sandbox-otp"), attr(r#"name="txn" value"#));
        let done = self
            .post(
                "/login/otp",
                &[("_csrf", &csrf), ("txn", &txn), ("otp", &otp), ("next", "")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", text(&done));
        assert_eq!(done.headers["location"], "/family");
    }

    fn has_cookie(&self, name: &str) -> bool {
        self.inner.has_cookie(name)
    }
}

fn text(reply: &crate::common::Reply) -> String {
    String::from_utf8_lossy(&reply.bytes).into_owned()
}

async fn sandbox() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for backend in backends() {
        apps.push(TestApp::sandbox(backend).await);
    }
    apps
}

#[tokio::test]
async fn pages_speak_the_visitors_language_and_only_pages_without_personal_data_are_cached() {
    let app = TestApp::sandbox("sqlite").await;
    let mut browser = Browser::new(&app);
    // The first answer sets the CSRF cookie, so it is this browser's alone.
    let first = browser.get("/").await;
    assert_eq!(first.headers["cache-control"], "private, no-store");
    assert!(browser.has_cookie("sehat_csrf"));
    let home = browser.get("/").await;
    assert_eq!(home.headers["cache-control"], "public, max-age=300");
    assert!(text(&home).contains(r#"<html lang="en-IN">"#));
    assert!(
        home.headers["vary"]
            .to_str()
            .unwrap()
            .contains("Accept-Language")
    );

    let hindi = app
        .send(
            Request::get("/")
                .header(header::ACCEPT_LANGUAGE, "hi-IN,hi;q=0.9,en;q=0.8")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let page = text(&hindi);
    assert!(page.contains(r#"<html lang="hi-IN">"#), "{page}");
    assert!(page.contains("केंद्र खोजें"));
    assert!(!page.contains("⟦missing⟧"));

    // The switch keeps the choice in a cookie, over the browser's own languages.
    let switched = browser.get("/?lang=hi").await;
    assert!(text(&switched).contains(r#"<html lang="hi-IN">"#));
    assert!(browser.has_cookie("sehat_lang"));
    assert!(text(&browser.get("/find?pincode=415501").await).contains(r#"<html lang="hi-IN">"#));

    // The family page is personal: never stored.
    browser.log_in("9876512345").await;
    let family = browser.get("/family").await;
    assert_eq!(family.status, StatusCode::OK);
    assert_eq!(family.headers["cache-control"], "private, no-store");
    app.teardown().await;
}

#[tokio::test]
async fn every_form_needs_its_csrf_token_and_a_refused_one_changes_nothing() {
    for app in sandbox().await {
        let mut browser = Browser::new(&app);
        browser.log_in("9876512346").await;
        let csrf = browser.csrf("/family").await;
        let member = [
            ("name", "Kamala Devi"),
            ("birth_year", "1970"),
            ("gender_id", "2"),
            ("photo_id_type", "6"),
            ("photo_id_number", "ABCPK1234Q"),
            ("consent", "V1"),
        ];
        let without = browser.post("/family/add", &member).await;
        assert_eq!(without.status, StatusCode::FORBIDDEN);
        let mut forged = member.to_vec();
        forged.push((
            "_csrf",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ));
        assert_eq!(
            browser.post("/family/add", &forged).await.status,
            StatusCode::FORBIDDEN
        );
        // Another browser's token is not this browser's.
        let mut other = Browser::new(&app);
        let theirs = other.csrf("/login").await;
        assert_ne!(theirs, csrf);
        let mut stolen = member.to_vec();
        stolen.push(("_csrf", &theirs));
        assert_eq!(
            browser.post("/family/add", &stolen).await.status,
            StatusCode::FORBIDDEN
        );
        let page = text(&browser.get("/family").await);
        assert!(!page.contains("Kamala Devi"), "nothing was added");

        let mut good = member.to_vec();
        good.push(("_csrf", &csrf));
        let added = browser.post("/family/add", &good).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", text(&added));
        assert!(text(&browser.get("/family").await).contains("Kamala Devi"));

        // The same rules as the API: the same photo ID again is refused, in words.
        let again = browser.post("/family/add", &good).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(
            text(&again).contains("already registered"),
            "{}",
            text(&again)
        );
        app.teardown().await;
    }
}

#[tokio::test]
async fn a_session_is_the_apis_token_logout_revokes_it_and_an_admins_is_no_api_token() {
    let app = TestApp::sandbox("sqlite").await;
    let mut browser = Browser::new(&app);
    // No session: the family page sends the visitor to the login, and back afterwards.
    let away = browser.get("/family").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    assert_eq!(away.headers["location"], "/login?next=%2Ffamily");
    browser.log_in("9876512347").await;
    let token = browser.inner.cookies["sehat_citizen"].clone();
    // The cookie is HttpOnly and SameSite=Lax.
    let csrf = browser.csrf("/family").await;
    let api = app
        .call(
            "GET",
            "/api/v2/appointment/beneficiaries",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        api.status,
        StatusCode::OK,
        "the session is the family's API token"
    );
    let out = browser.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.has_cookie("sehat_citizen"));
    let api = app
        .call(
            "GET",
            "/api/v2/appointment/beneficiaries",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "logout revoked it");
    // A stolen cookie after logout opens nothing.
    browser.inner.cookies.insert("sehat_citizen".into(), token);
    assert_eq!(browser.get("/family").await.status, StatusCode::SEE_OTHER);

    // An administrator's web session never acts as an API token.
    let admin = app
        .state
        .tokens
        .admin_session(
            sehat_domain::clock::Clock::now(&*app.clock).unix_timestamp(),
            "any",
        )
        .unwrap();
    for uri in ["/api/v2/appointment/beneficiaries", "/admin/v1/centers"] {
        let reply = app.call("GET", uri, Some(&admin), None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    app.teardown().await;
}

#[tokio::test]
async fn a_citizen_page_weighs_under_60_kb_compressed_with_its_style_and_script() {
    let app = TestApp::sandbox("sqlite").await;
    let gzip = |uri: &str| {
        Request::get(uri)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap()
    };
    let home = app.send(gzip("/")).await;
    assert_eq!(home.headers["content-encoding"], "gzip");
    let page = home.bytes.len();
    let html = text(
        &app.send(Request::get("/").body(Body::empty()).unwrap())
            .await,
    );
    let asset = |kind: &str| {
        html.split("/static/app-")
            .skip(1)
            .find(|rest| rest.split('"').next().unwrap().ends_with(kind))
            .map(|rest| format!("/static/app-{}", rest.split('"').next().unwrap()))
            .unwrap()
    };
    let mut total = page;
    for uri in [asset(".css"), asset(".js")] {
        let reply = app.send(gzip(&uri)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(
            reply.headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        total += reply.bytes.len();
    }
    assert!(
        total < 60 * 1024,
        "the home page with its assets: {total} bytes"
    );
    app.teardown().await;
}

#[tokio::test]
async fn another_familys_documents_are_not_found() {
    let app = TestApp::sandbox("sqlite").await;
    let mut theirs = Browser::new(&app);
    theirs.log_in("9876512348").await;
    let csrf = theirs.csrf("/family").await;
    theirs
        .post(
            "/family/add",
            &[
                ("_csrf", &csrf),
                ("name", "Gopal Rao"),
                ("birth_year", "1960"),
                ("gender_id", "1"),
                ("photo_id_type", "6"),
                ("photo_id_number", "ABCPG1234Q"),
                ("consent", "V1"),
            ],
        )
        .await;
    let page = text(&theirs.get("/family").await);
    let reference = page
        .split(r#"<h2 id="m-"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let mut mine = Browser::new(&app);
    mine.log_in("9876512349").await;
    let other = mine.get(&format!("/certificate/{reference}")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let slip = mine
        .get("/appointment/3fa85f64-5717-4562-b3fc-2c963f66afa6/slip")
        .await;
    assert_eq!(slip.status, StatusCode::NOT_FOUND);
    let bad = mine.get("/appointment/not-an-id/slip").await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    app.teardown().await;
}
