//! The JSON-LD context documents compiled into the crate, and the contexts they form, processed once.
//!
//! Verifiers bundle these documents and never fetch a context at run time (certificates.md, "The
//! credential"). A document's `@context` must be one of the lists below, exactly; anything else is
//! refused before any JSON-LD processing, so no input can make the processor load a document.

use std::collections::HashMap;
use std::sync::LazyLock;

use json_ld::syntax::TryFromJson;
use json_ld::{BlankIdBuf, IriBuf};
use json_ld::{Process, RemoteDocument};

/// `https://www.w3.org/2018/credentials/v1`: the W3C Verifiable Credentials context.
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// `https://w3id.org/security/v1`.
pub const SECURITY_V1: &str = "https://w3id.org/security/v1";
/// `https://w3id.org/security/v2`: the context of the proof options (jsonld-signatures v6).
pub const SECURITY_V2: &str = "https://w3id.org/security/v2";
/// CoWIN's vaccination namespace, the one sehat issues when the certificate has no v2 field.
pub const COWIN_VACCINATION_V1: &str = "https://cowin.gov.in/credentials/vaccination/v1";
/// CoWIN's second namespace, which adds `dob`, `icd11Code` and `prophylaxis`.
pub const COWIN_VACCINATION_V2: &str = "https://cowin.gov.in/credentials/vaccination/v2";
/// DIVOC's default namespace URL (same terms as CoWIN's v1); accepted, never issued.
pub const DIVOC_VACCINATION_V1: &str = "https://divoc.dev/credentials/vaccination/v1";
/// DIVOC's default v2 namespace URL (same terms as CoWIN's v2); accepted, never issued.
pub const DIVOC_VACCINATION_V2: &str = "https://divoc.dev/credentials/vaccination/v2";

const CREDENTIALS_V1_DOC: &str = include_str!("../contexts/credentials-v1.jsonld");
const SECURITY_V1_DOC: &str = include_str!("../contexts/security-v1.jsonld");
const SECURITY_V2_DOC: &str = include_str!("../contexts/security-v2.jsonld");
const VACCINATION_V1_DOC: &str = include_str!("../contexts/vaccination-v1.jsonld");
const VACCINATION_V2_DOC: &str = include_str!("../contexts/vaccination-v2.jsonld");

/// The processed active context of one accepted `@context` value.
pub(crate) type ActiveContext = json_ld::Context<IriBuf, BlankIdBuf>;

/// Every accepted top-level `@context`, with its active context processed once.
pub(crate) struct Contexts {
    accepted: Vec<(serde_json::Value, ActiveContext)>,
}

impl std::fmt::Debug for Contexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contexts")
            .field(
                "accepted",
                &self.accepted.iter().map(|(c, _)| c).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Built on first use; the bundled documents are fixed, so a failure is a bug in this crate.
pub(crate) static CONTEXTS: LazyLock<Contexts> =
    LazyLock::new(|| Contexts::build().expect("the bundled JSON-LD contexts process"));

impl Contexts {
    /// The active context for a document whose `@context` is `context`, if it is one sehat knows.
    pub(crate) fn active(&self, context: &serde_json::Value) -> Option<&ActiveContext> {
        self.accepted
            .iter()
            .find(|(accepted, _)| accepted == context)
            .map(|(_, active)| active)
    }

    fn build() -> Result<Self, String> {
        let loader = loader()?;
        let mut lists: Vec<serde_json::Value> = [
            COWIN_VACCINATION_V1,
            COWIN_VACCINATION_V2,
            DIVOC_VACCINATION_V1,
            DIVOC_VACCINATION_V2,
        ]
        .iter()
        .map(|namespace| serde_json::json!([CREDENTIALS_V1, namespace]))
        .collect();
        lists.push(serde_json::Value::String(SECURITY_V2.to_owned()));
        let mut accepted = Vec::with_capacity(lists.len());
        for list in lists {
            let active = process(&list, &loader)?;
            accepted.push((list, active));
        }
        Ok(Self { accepted })
    }
}

fn loader() -> Result<HashMap<IriBuf, RemoteDocument>, String> {
    let documents = [
        (CREDENTIALS_V1, CREDENTIALS_V1_DOC),
        (SECURITY_V1, SECURITY_V1_DOC),
        (SECURITY_V2, SECURITY_V2_DOC),
        (COWIN_VACCINATION_V1, VACCINATION_V1_DOC),
        (DIVOC_VACCINATION_V1, VACCINATION_V1_DOC),
        (COWIN_VACCINATION_V2, VACCINATION_V2_DOC),
        (DIVOC_VACCINATION_V2, VACCINATION_V2_DOC),
    ];
    let mut loader = HashMap::new();
    for (url, text) in documents {
        let iri = IriBuf::new(url.to_owned()).map_err(|e| format!("{url}: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{url}: {e}"))?;
        let json = json_syntax::Value::from_serde_json(json);
        loader.insert(iri.clone(), RemoteDocument::new(Some(iri), None, json));
    }
    Ok(loader)
}

fn process(
    context: &serde_json::Value,
    loader: &HashMap<IriBuf, RemoteDocument>,
) -> Result<ActiveContext, String> {
    let json = json_syntax::Value::from_serde_json(context.clone());
    let syntax = json_ld::syntax::context::Context::try_from_json(json)
        .map_err(|e| format!("{context}: {e}"))?;
    let processed = futures_executor::block_on(syntax.process_full(
        &mut (),
        &ActiveContext::new(None),
        loader,
        None,
        json_ld::context_processing::Options::default(),
        (),
    ))
    .map_err(|e| format!("{context}: {e}"))?;
    Ok(processed.into_processed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_context_processes() {
        assert!(CONTEXTS.active(&serde_json::json!(SECURITY_V2)).is_some());
        assert!(
            CONTEXTS
                .active(&serde_json::json!([CREDENTIALS_V1, COWIN_VACCINATION_V1]))
                .is_some()
        );
        assert!(
            CONTEXTS
                .active(&serde_json::json!([CREDENTIALS_V1]))
                .is_none()
        );
    }

    #[test]
    fn processed_contexts_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>(_: &T) {}
        shared(&*CONTEXTS);
    }
}
