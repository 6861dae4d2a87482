//! What the web app's tests share: a browser that keeps cookies and posts forms (with or
//! without their CSRF token, urlencoded or multipart), and readers of the pages it gets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Reply, TestApp};
use axum::body::Body;
use axum::http::{Request, header};
use std::collections::BTreeMap;

/// A browser: its cookies, sent back with every request.
#[derive(Default)]
pub(crate) struct Browser {
    pub(crate) cookies: BTreeMap<String, String>,
}

impl Browser {
    fn keep(&mut self, reply: &Reply) {
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let expired = attributes.to_ascii_lowercase().contains("max-age=0");
            if expired || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn get(&mut self, app: &TestApp, uri: &str) -> Reply {
        let request = Request::builder()
            .uri(uri)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let reply = app.send(request).await;
        self.keep(&reply);
        reply
    }

    /// A form POST, with the page's CSRF token unless `csrf` is false.
    pub(crate) async fn post(
        &mut self,
        app: &TestApp,
        uri: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> Reply {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        if let Some(token) = csrf {
            body.append_pair("_csrf", token);
        }
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let request = Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, self.cookie_header())
            .body(Body::from(body.finish()))
            .unwrap();
        let reply = app.send(request).await;
        self.keep(&reply);
        reply
    }
}

pub(crate) fn html(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.bytes).into_owned()
}

/// The value of the first `marker"…"` in a page (`name="_csrf" value=`).
pub(crate) fn attribute(page: &str, marker: &str) -> String {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {page}"))
        + marker.len();
    let rest = &page[start..];
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    rest[..rest.find('"').unwrap()].to_owned()
}

pub(crate) fn csrf(page: &str) -> String {
    attribute(page, "name=\"_csrf\" value=")
}

pub(crate) fn location(reply: &Reply) -> String {
    reply.headers[header::LOCATION].to_str().unwrap().to_owned()
}

impl Browser {
    /// Whether the browser holds the cookie `name`.
    pub(crate) fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    /// A `multipart/form-data` POST of one file (`file`), the CSRF token in the
    /// `x-csrf-token` header as the page's script sends it (none when `csrf` is `None`).
    pub(crate) async fn upload(
        &mut self,
        app: &TestApp,
        uri: &str,
        file: (&str, &str, &[u8]),
        csrf: Option<&str>,
    ) -> Reply {
        let (name, content_type, bytes) = file;
        let boundary = "sehat-test-boundary-7d3c";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut request = Request::builder()
            .method("POST")
            .uri(uri)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, self.cookie_header());
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        let reply = app.send(request.body(Body::from(body)).unwrap()).await;
        self.keep(&reply);
        reply
    }
}
