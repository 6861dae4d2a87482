//! The date, time-slot and value parsers (`values.rs`, `schedule.rs`): no input panics, and
//! what a parser accepts survives a round trip through the forms sehat writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sehat_domain::beneficiary::{BirthYear, GenderId};
use sehat_domain::schedule::SlotTemplate;
use sehat_domain::values::{
    GeoPoint, Mobile, Name, Pincode, SlotTimings, format_cowin_date, parse_any_date,
    parse_cowin_date,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(date) = parse_cowin_date(text) {
        assert_eq!(parse_cowin_date(&format_cowin_date(date)), Ok(date));
    }
    if let Ok(date) = parse_any_date(text) {
        assert_eq!(parse_any_date(&format_cowin_date(date)), Ok(date));
    }
    if let Ok(window) = SlotTimings::parse(text) {
        assert!(window.start_minute() < window.end_minute());
        assert!(window.end_minute() <= 24 * 60);
        assert_eq!(SlotTimings::parse(&window.to_cowin_v2()), Ok(window));
        assert_eq!(SlotTimings::parse(&window.to_cowin_v1()), Ok(window));
    }
    if let Ok(slots) = SlotTemplate::parse_list(text) {
        assert!(!slots.is_empty());
        for slot in &slots {
            let again = format!("{} {}", slot.name, slot.timings.to_cowin_v2());
            assert_eq!(SlotTemplate::parse_list(&again), Ok(vec![slot.clone()]));
        }
    }
    if let Ok(pincode) = Pincode::parse(text) {
        assert_eq!(Pincode::parse(&pincode.to_string()), Ok(pincode));
    }
    if let Ok(mobile) = Mobile::parse(text) {
        assert_eq!(mobile.expose().len(), 10);
        assert_eq!(Mobile::parse(mobile.expose()).as_ref(), Ok(&mobile));
        assert!(!mobile.masked().contains(&mobile.expose()[..6]));
    }
    if let Ok(name) = Name::parse(text) {
        assert_eq!(Name::parse(name.as_str()).as_ref(), Ok(&name));
    }
    if let Some((lat, lon)) = text.split_once(',')
        && let Ok(point) = GeoPoint::parse(lat, lon)
    {
        assert!(point.distance_km(point).abs() < 1e-6);
    }
    if let Ok(year) = BirthYear::parse(text, 2026) {
        assert!((1900..=2026).contains(&year.get()));
    }
    if let Ok(gender) = GenderId::parse(text) {
        assert_eq!(GenderId::parse(gender.name()), Ok(gender));
    }
});
