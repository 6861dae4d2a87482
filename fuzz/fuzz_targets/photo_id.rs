//! Photo-ID validators (`beneficiary.rs`): every document type against any number. An accepted
//! number is normalised, masked to its last four characters, and accepted again as normalised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sehat_domain::beneficiary::{PhotoId, verhoeff_valid};

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(number) = std::str::from_utf8(rest) else {
        return;
    };
    // Types 0 and 14 are out of range; they must be refused, not panic.
    let type_id = i64::from(kind % 15);
    let _ = verhoeff_valid(number);
    if let Ok(id) = PhotoId::parse(type_id, number) {
        assert!((1..=13).contains(&type_id));
        assert_eq!(id.type_id(), type_id);
        let again = PhotoId::parse(type_id, id.expose()).expect("a normalised number parses");
        assert_eq!(again, id);
        let masked = id.masked();
        assert!(masked.ends_with(&id.last4()));
        if id.expose().chars().count() > 4 {
            assert!(!masked.contains(id.expose()), "the mask hides the number");
            assert!(!format!("{id:?}").contains(id.expose()), "Debug masks it");
        }
    }
});
