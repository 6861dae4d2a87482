//! The error answers that come from what every route shares — the JSON, path and query
//! extractors, the body limit, the deadline, bearer tokens and the database — added to each
//! operation of the OpenAPI document in one place, so that a handler's `#[utoipa::path]` lists
//! the answers of its own logic and the document still lists every answer a route can give.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

/// Routes answered from memory, before any extractor, token or database.
const FROM_MEMORY: [&str; 2] = ["/healthz", "/metrics"];

/// Adds the shared error answers to every operation that does not list them already.
pub fn add(doc: &mut OpenApi) {
    for (path, item) in &mut doc.paths.paths {
        if FROM_MEMORY.contains(&path.as_str()) {
            continue;
        }
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_to(operation);
        }
    }
}

fn add_to(operation: &mut Operation) {
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let body_types: Vec<String> = match &operation.request_body {
        Some(RefOr::T(body)) => body.content.keys().cloned().collect(),
        Some(RefOr::Ref(_)) => vec!["application/json".to_owned()],
        None => Vec::new(),
    };
    let has_security = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    if has_parameters || !body_types.is_empty() {
        insert(
            operation,
            "400",
            "a parameter or the body is malformed (`SEHAT0400`; `field` names it)",
        );
    }
    if has_security {
        insert(
            operation,
            "401",
            "no token, or a wrong or expired one (`SEHAT0401`)",
        );
    }
    if !body_types.is_empty() {
        insert(
            operation,
            "413",
            "the body is larger than allowed (`SEHAT0413`)",
        );
    }
    if body_types.iter().any(|t| t == "application/json") {
        insert(
            operation,
            "415",
            "the body is not `application/json` (`SEHAT0415`)",
        );
    }
    insert(
        operation,
        "408",
        "the request took longer than allowed (`SEHAT0408`)",
    );
    insert(
        operation,
        "503",
        "the database is unavailable; retry shortly (`SEHAT0503`)",
    );
}

fn insert(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                    )
                    .build(),
            )
        });
}
