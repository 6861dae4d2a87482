//! `/verify` in the web app: a certificate checked by its PDF, by a picture of its QR code and by
//! the QR code's pasted text says VALID with the person's name and dose; a changed one INVALID;
//! a corrected (revoked) one REVOKED; a form without a file or text says what to do; a form
//! without its CSRF token is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::TestApp;
use crate::vaccination::{book, centre, download, person, vaccinate, vaccinator};
use crate::web_common::{Browser, attribute, csrf, html};
use axum::http::StatusCode;
use sehat_store::testing::backends;
use serde_json::{Value, json};

/// The verdict a page gives: `data-verdict`, or "" when it gives none.
fn verdict(page: &str) -> String {
    if page.contains("data-verdict=") {
        attribute(page, "data-verdict=")
    } else {
        String::new()
    }
}

/// A phone's photo of the QR code in `png`: grey, saved as a JPEG at quality 80.
fn photo(png_bytes: &[u8]) -> Vec<u8> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    let channels = frame.color_type.samples();
    let grey: Vec<u8> = buffer[..frame.buffer_size()]
        .chunks(channels)
        .map(|p| p[0])
        .collect();
    let mut jpeg = Vec::new();
    let (w, h) = (
        u16::try_from(frame.width).unwrap(),
        u16::try_from(frame.height).unwrap(),
    );
    jpeg_encoder::Encoder::new(&mut jpeg, 80)
        .encode(&grey, w, h, jpeg_encoder::ColorType::Luma)
        .unwrap();
    jpeg
}

/// What a QR scanner reads off the code of `credential`: DIVOC's zip as a binary string.
fn scanned_text(credential: &Value) -> String {
    String::from_utf8(sehat_certificate::qr_payload(credential).unwrap()).unwrap()
}

#[tokio::test]
async fn a_certificate_is_checked_by_its_pdf_its_picture_and_its_text_and_revoked_ones_say_so() {
    for backend in backends() {
        let app = TestApp::sandbox(backend).await;
        let (centre_id, session, _) = centre(&app, "PHC Wai").await;
        let family = app.family("9876501234").await;
        let asha = person(&app, &family, "Asha Patil", "ABCPE1234F").await;
        let booked = book(&app, &family, &session, &asha, 1).await;
        assert_eq!(booked.0, StatusCode::OK, "{}", booked.1);
        app.clock.advance(time::Duration::days(1));
        let family = app.family("9876501234").await;
        let desk = vaccinator(&app, centre_id, "9812345678").await;
        let given = vaccinate(&app, &desk, centre_id, &asha, 1).await;
        assert_eq!(given.0, StatusCode::OK, "{}", given.1);
        let pdf = download(&app, &family, &asha, "application/pdf")
            .await
            .bytes;
        let png = download(&app, &family, &asha, "image/png").await.bytes;
        let credential: Value = serde_json::from_slice(
            &download(&app, &family, &asha, "application/vc+ld+json")
                .await
                .bytes,
        )
        .unwrap();

        let mut anyone = Browser::default();
        let form = anyone.get(&app, "/verify").await;
        assert_eq!(form.status, StatusCode::OK);
        let token = csrf(&html(&form));
        assert!(
            html(&form).contains("data-camera hidden"),
            "the camera waits for the script"
        );

        // The PDF, and a picture of the QR code.
        let jpeg = photo(&png);
        for (name, kind, bytes) in [
            ("certificate.pdf", "application/pdf", &pdf[..]),
            ("qr.png", "image/png", &png[..]),
            ("photo.jpg", "image/jpeg", &jpeg[..]),
        ] {
            let checked = anyone
                .upload(&app, "/verify/file", (name, kind, bytes), Some(&token))
                .await;
            let page = html(&checked);
            assert_eq!(checked.status, StatusCode::OK, "{page}");
            assert_eq!(verdict(&page), "VALID", "{name}: {page}");
            assert!(
                page.contains("Asha Patil") && page.contains("Dose 1 of 2"),
                "{page}"
            );
            assert!(page.contains("COVISHIELD"), "{page}");
            assert_eq!(checked.headers["cache-control"], "private, no-store");
        }

        // The QR code's text, pasted; then the same credential changed after signing.
        let text = scanned_text(&credential);
        let pasted = anyone
            .post(&app, "/verify/text", &[("qr", &text)], Some(&token))
            .await;
        assert_eq!(verdict(&html(&pasted)), "VALID", "{}", html(&pasted));
        let mut forged = credential.clone();
        forged["credentialSubject"]["name"] = json!("Someone Else");
        let changed = anyone
            .post(
                &app,
                "/verify/text",
                &[("qr", &scanned_text(&forged))],
                Some(&token),
            )
            .await;
        let page = html(&changed);
        assert_eq!(verdict(&page), "INVALID", "{page}");
        assert!(page.contains("changed after it was signed"), "{page}");
        assert!(
            !page.contains("Someone Else"),
            "an invalid certificate's name is not shown"
        );

        // Not a certificate at all; nothing chosen; no CSRF token.
        let junk = anyone
            .upload(
                &app,
                "/verify/file",
                ("x.png", "image/png", b"not a picture"),
                Some(&token),
            )
            .await;
        assert_eq!(verdict(&html(&junk)), "INVALID");
        assert!(
            html(&junk).contains("no certificate could be read"),
            "an unreadable picture is not called a fake: {}",
            html(&junk)
        );
        let empty = anyone
            .post(&app, "/verify/text", &[("qr", "  ")], Some(&token))
            .await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        assert!(html(&empty).contains("Paste the text of the QR code first."));
        let forged_form = anyone
            .upload(
                &app,
                "/verify/file",
                ("certificate.pdf", "application/pdf", &pdf),
                None,
            )
            .await;
        assert_eq!(forged_form.status, StatusCode::FORBIDDEN);
        assert_eq!(verdict(&html(&forged_form)), "");
        // The language switch on an answer leads back to the form.
        let back = anyone.get(&app, "/verify/file?lang=hi").await;
        assert_eq!(crate::web_common::location(&back), "/verify");

        // A correction revokes the certificate: its old PDF now says REVOKED, in Hindi too.
        let certificate_id = given.1["certificate_id"].as_str().unwrap();
        let corrected = app
            .admin(
                "POST",
                &format!("/admin/v1/certificates/{certificate_id}/correct"),
                Some(json!({"name": "Asha S. Patil"})),
            )
            .await;
        assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.json);
        let hindi = anyone.get(&app, "/verify?lang=hi").await;
        let token = csrf(&html(&hindi));
        let revoked = anyone
            .upload(
                &app,
                "/verify/file",
                ("certificate.pdf", "application/pdf", &pdf),
                Some(&token),
            )
            .await;
        let page = html(&revoked);
        assert_eq!(verdict(&page), "REVOKED", "{page}");
        assert!(page.contains("रद्द प्रमाणपत्र"), "{page}");
        assert!(!page.contains("⟦missing⟧"), "{page}");
        app.teardown().await;
    }
}
