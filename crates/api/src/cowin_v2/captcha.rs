//! Captchas on v2 booking: `getRecaptcha` issues one for the token's mobile (the image from
//! [`sehat_render::captcha_image`]), and `schedule` and `reschedule` check the typed answer
//! when the deployment demands it. Only a keyed hash of the answer is stored, for 5 minutes and
//! one use.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::BeneficiaryToken;
use axum::Json;
use axum::extract::State;
use rand::Rng;
use sehat_domain::{DomainError, Rule};
use sehat_render::captcha_image;
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// How many characters a captcha has unless the caller has a reason to ask for another length.
pub const DEFAULT_LEN: usize = 5;

/// How long a captcha may be answered, in milliseconds.
const CAPTCHA_TTL_MS: i64 = 5 * 60 * 1000;

/// A fresh captcha: the SVG to show and the answer expected back (kept out of `Debug`).
pub struct Captcha {
    /// The image, a complete `<svg>` document in the shape of CoWIN's `getRecaptcha` sample.
    pub svg: String,
    answer: String,
}

impl std::fmt::Debug for Captcha {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captcha")
            .field("svg_bytes", &self.svg.len())
            .finish_non_exhaustive()
    }
}

impl Captcha {
    /// A new captcha with `len` characters ([`DEFAULT_LEN`] unless there is a reason for another
    /// length; `len` is clamped to `1..=MAX_LEN` of [`captcha_image`]) from an alphabet without
    /// look-alikes (no 0/O, 1/I/l, etc.), drawn with random jitter, rotation, colour and noise,
    /// using the given RNG.
    pub fn generate(rng: &mut impl Rng, len: usize) -> Self {
        let image = captcha_image::draw(rng, len);
        Self {
            svg: image.svg,
            answer: image.text,
        }
    }

    /// The expected answer (uppercase).
    pub fn answer(&self) -> &str {
        &self.answer
    }
}

/// Whether a typed answer matches (case-insensitive, surrounding whitespace ignored), compared in
/// constant time for answers of the same length. An empty answer never matches.
pub fn answer_matches(expected: &str, typed: &str) -> bool {
    let expected = expected.trim().to_ascii_uppercase();
    let typed = typed.trim().to_ascii_uppercase();
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(typed.as_bytes()))
}

/// `{"captcha":"<svg…>"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaptchaReply {
    /// An SVG image of the text to type back as `captcha` when booking.
    captcha: String,
    /// The answer, in sandbox mode only (as OTPs are), so that test clients can book.
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
}

/// A fresh captcha for the token's mobile: its answer, valid 5 minutes and once, is what
/// `schedule` checks when the deployment demands captchas (`public_api.captcha_required`).
#[utoipa::path(post, path = "/api/v2/auth/getRecaptcha", tag = "cowin-v2",
    security(("token" = [])),
    responses((status = 200, body = CaptchaReply), (status = 401, body = ErrorBody)))]
pub(super) async fn get_recaptcha(
    auth: BeneficiaryToken,
    State(state): State<AppState>,
) -> Result<Json<CaptchaReply>, ApiError> {
    let captcha = Captcha::generate(&mut rand::rng(), DEFAULT_LEN);
    let hash = state.identity.captcha_hash(&auth.account, captcha.answer());
    state
        .store
        .put_captcha(
            &auth.account,
            &hash,
            state.clock.now_millis() + CAPTCHA_TTL_MS,
        )
        .await?;
    let sandbox = state.config.otp_delivery == crate::notify::OtpDelivery::Sandbox;
    Ok(Json(CaptchaReply {
        answer: sandbox.then(|| captcha.answer().to_owned()),
        captcha: captcha.svg,
    }))
}

/// Checks (and uses up) the account's captcha when the deployment demands one. A retry of a
/// request already made (same `Idempotency-Key`) replays its first answer instead, unchecked.
pub(super) async fn check_captcha(
    state: &AppState,
    auth: &BeneficiaryToken,
    key: Option<&sehat_domain::store::IdempotencyKey>,
    typed: Option<&str>,
) -> Result<(), ApiError> {
    if !state.config.captcha_required {
        return Ok(());
    }
    if let Some(key) = key
        && state.store.idempotency_key_seen(key).await?
    {
        return Ok(());
    }
    let typed = typed.map(str::trim).filter(|t| !t.is_empty());
    let stored = state.store.take_captcha(&auth.account).await?;
    let ok = match (typed, stored) {
        (Some(t), Some(s)) => bool::from(
            state
                .identity
                .captcha_hash(&auth.account, t)
                .as_bytes()
                .ct_eq(s.as_bytes()),
        ),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::Rule(Rule::CaptchaInvalid).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use sehat_render::captcha_image::MAX_LEN;

    fn captcha(seed: u64, len: usize) -> Captcha {
        Captcha::generate(&mut StdRng::seed_from_u64(seed), len)
    }

    #[test]
    fn svg_is_well_formed_with_the_sample_root_attributes() {
        for seed in 0..50 {
            let captcha = captcha(seed, DEFAULT_LEN);
            let doc = roxmltree::Document::parse(&captcha.svg).expect("well-formed XML");
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert_eq!(
                root.tag_name().namespace(),
                Some("http://www.w3.org/2000/svg")
            );
            assert_eq!(root.attribute("width"), Some("150"));
            assert_eq!(root.attribute("height"), Some("50"));
            assert_eq!(root.attribute("viewBox"), Some("0,0,150,50"));
            let paths: Vec<_> = root.children().filter(|n| n.is_element()).collect();
            assert!(paths.iter().all(|n| n.tag_name().name() == "path"));
            assert!(
                paths
                    .iter()
                    .all(|n| n.attribute("d").is_some_and(|d| !d.is_empty()))
            );
            let filled = paths
                .iter()
                .filter(|n| n.attribute("fill") != Some("none"))
                .count();
            assert_eq!(filled, DEFAULT_LEN, "one filled path per character");
            assert!(paths.len() > filled, "noise curves are drawn too");
        }
    }

    #[test]
    fn svg_does_not_give_the_answer_away() {
        for seed in 0..200 {
            let captcha = captcha(seed, DEFAULT_LEN);
            let svg = captcha.svg.to_ascii_uppercase();
            assert!(!svg.contains("<TEXT"), "seed {seed}");
            assert!(
                !svg.contains(captcha.answer()),
                "seed {seed}: {}",
                captcha.answer()
            );
        }
    }

    #[test]
    fn svg_stays_small() {
        for seed in 0..200 {
            assert!(captcha(seed, DEFAULT_LEN).svg.len() < 12_000, "seed {seed}");
            assert!(captcha(seed, MAX_LEN).svg.len() < 15_000, "seed {seed}");
        }
    }

    #[test]
    fn length_is_clamped_to_what_fits() {
        assert_eq!(captcha(1, 0).answer().len(), 1);
        assert_eq!(captcha(1, 100).answer().len(), MAX_LEN);
    }

    #[test]
    fn captchas_from_different_seeds_differ() {
        let (a, b) = (captcha(1, DEFAULT_LEN), captcha(2, DEFAULT_LEN));
        assert_ne!(a.svg, b.svg);
        assert_ne!(a.answer(), b.answer());
    }

    #[test]
    fn the_same_seed_draws_the_same_captcha() {
        let (a, b) = (captcha(7, DEFAULT_LEN), captcha(7, DEFAULT_LEN));
        assert_eq!(a.svg, b.svg);
        assert_eq!(a.answer(), b.answer());
    }

    #[test]
    fn answer_matches_ignores_case_and_surrounding_whitespace() {
        assert!(answer_matches("AB3K7", "AB3K7"));
        assert!(answer_matches("AB3K7", "ab3k7"));
        assert!(answer_matches("AB3K7", "  aB3k7\n"));
        assert!(answer_matches(" ab3k7 ", "AB3K7"));
    }

    #[test]
    fn answer_matches_rejects_wrong_and_empty_answers() {
        assert!(!answer_matches("AB3K7", "AB3K8"));
        assert!(!answer_matches("AB3K7", "AB3K"));
        assert!(!answer_matches("AB3K7", "AB3K77"));
        assert!(!answer_matches("AB3K7", "A B3K7"));
        assert!(!answer_matches("AB3K7", ""));
        assert!(!answer_matches("AB3K7", "   "));
        assert!(!answer_matches("", ""));
    }

    #[test]
    fn a_generated_answer_matches_itself_typed_in_lowercase() {
        let captcha = captcha(5, DEFAULT_LEN);
        assert!(answer_matches(
            captcha.answer(),
            &captcha.answer().to_lowercase()
        ));
    }
}
