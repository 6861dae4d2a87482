//! URDNA2015 canonical N-Quads of a JSON-LD document, as jsonld.js produces them for
//! jsonld-signatures v6: json-ld expands the document to RDF, rdf-canon canonicalises it.

use json_ld::expansion::{Action, Expand, Policy};
use json_ld::rdf::RdfDirection;
use json_ld::rdf_types::{self, LiteralType, generator};
use json_ld::{BlankIdBuf, IriBuf, RdfQuads};

use crate::contexts::CONTEXTS;

/// Why a document has no canonical form here.
#[derive(Debug, thiserror::Error)]
pub enum CanonError {
    /// The document is not a JSON object.
    #[error("not a JSON object")]
    NotAnObject,
    /// Its `@context` is not one of the bundled lists (nothing is ever fetched).
    #[error("unknown @context {0}")]
    UnknownContext(String),
    /// JSON-LD expansion refused it, e.g. a key that the context does not define (such a key
    /// would be dropped from what is signed, so sehat refuses it instead).
    #[error("JSON-LD expansion: {0}")]
    Expansion(String),
    /// An IRI or literal that RDF does not allow.
    #[error("RDF: {0}")]
    Rdf(String),
    /// URDNA2015 failed.
    #[error("URDNA2015: {0}")]
    Canonicalisation(String),
}

/// The canonical N-Quads (URDNA2015, no base IRI) of `doc`, whose `@context` must be a bundled one.
pub fn canonical_nquads(doc: &serde_json::Value) -> Result<String, CanonError> {
    let object = doc.as_object().ok_or(CanonError::NotAnObject)?;
    let context = object
        .get("@context")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let active = CONTEXTS
        .active(&context)
        .ok_or_else(|| CanonError::UnknownContext(context.to_string()))?;
    // The top-level @context is already processed into `active`; expanding the rest from it is
    // what the expansion algorithm does after processing it, without loading a document per call.
    let mut body = object.clone();
    body.remove("@context");
    let json = json_syntax::Value::from_serde_json(serde_json::Value::Object(body));
    let options = json_ld::expansion::Options {
        policy: Policy {
            invalid: Action::Reject,
            vocab: Action::Keep,
            allow_undefined: false,
        },
        ..Default::default()
    };
    let loader = json_ld::NoLoader;
    let mut expanded = futures_executor::block_on(json.expand_full(
        &mut (),
        active.clone(),
        None,
        &loader,
        options,
        (),
    ))
    .map_err(|e| CanonError::Expansion(e.to_string()))?;
    let mut blanks = generator::Blank::new();
    expanded.relabel_and_canonicalize_with(&mut (), &mut blanks);
    let mut quads = Vec::new();
    for rdf_types::Quad(s, p, o, g) in
        expanded.rdf_quads_full(&mut (), &mut blanks, None::<RdfDirection>, false)
    {
        let subject = subject_of(&s)?;
        let predicate = named_node(iri_of(&p)?)?;
        let object = term(&o)?;
        let graph = match g {
            None => oxrdf::GraphName::DefaultGraph,
            Some(g) => match subject_of(g)? {
                oxrdf::Subject::NamedNode(n) => oxrdf::GraphName::NamedNode(n),
                oxrdf::Subject::BlankNode(b) => oxrdf::GraphName::BlankNode(b),
                #[allow(unreachable_patterns)]
                _ => return Err(CanonError::Rdf("graph name".into())),
            },
        };
        quads.push(oxrdf::Quad::new(subject, predicate, object, graph));
    }
    rdf_canon::canonicalize_quads(&quads).map_err(|e| CanonError::Canonicalisation(e.to_string()))
}

type Id = rdf_types::Id<IriBuf, BlankIdBuf>;

fn iri_of(id: &Id) -> Result<&IriBuf, CanonError> {
    match id {
        rdf_types::Id::Iri(iri) => Ok(iri),
        rdf_types::Id::Blank(b) => Err(CanonError::Rdf(format!("blank node {b} as predicate"))),
    }
}

fn named_node(iri: &IriBuf) -> Result<oxrdf::NamedNode, CanonError> {
    oxrdf::NamedNode::new(iri.as_str()).map_err(|e| CanonError::Rdf(e.to_string()))
}

fn blank_node(b: &BlankIdBuf) -> Result<oxrdf::BlankNode, CanonError> {
    oxrdf::BlankNode::new(b.suffix()).map_err(|e| CanonError::Rdf(e.to_string()))
}

fn subject_of(id: &Id) -> Result<oxrdf::Subject, CanonError> {
    Ok(match id {
        rdf_types::Id::Iri(iri) => named_node(iri)?.into(),
        rdf_types::Id::Blank(b) => blank_node(b)?.into(),
    })
}

fn term(value: &rdf_types::Term<Id, rdf_types::Literal>) -> Result<oxrdf::Term, CanonError> {
    Ok(match value {
        rdf_types::Term::Id(id) => match subject_of(id)? {
            oxrdf::Subject::NamedNode(n) => n.into(),
            oxrdf::Subject::BlankNode(b) => b.into(),
            #[allow(unreachable_patterns)]
            _ => return Err(CanonError::Rdf("object".into())),
        },
        rdf_types::Term::Literal(literal) => match &literal.type_ {
            LiteralType::Any(datatype) => {
                oxrdf::Literal::new_typed_literal(literal.value.as_str(), named_node(datatype)?)
                    .into()
            }
            LiteralType::LangString(tag) => {
                oxrdf::Literal::new_language_tagged_literal(literal.value.as_str(), tag.as_str())
                    .map_err(|e| CanonError::Rdf(e.to_string()))?
                    .into()
            }
        },
    })
}
