//! JSON request bodies of the CoWIN v1, v2 and admin APIs: the bytes are read the way the
//! handlers read them (`ApiJson`: field-naming errors) into the wire type, then converted into
//! domain types. The first byte picks the body type.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, json)) = data.split_first() else {
        return;
    };
    sehat_api::fuzzing::request_body(kind, json);
});
