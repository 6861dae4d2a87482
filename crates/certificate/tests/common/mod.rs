//! Sample facts shared by the integration tests.

use sehat_certificate::{Address, VaccinationFacts};

fn address() -> Address {
    Address {
        street_address: "12, MG Road".into(),
        street_address2: String::new(),
        district: "Bengaluru Urban".into(),
        city: "Bengaluru".into(),
        address_region: "Karnataka".into(),
        address_country: "IN".into(),
        postal_code: "560001".into(),
    }
}

/// A first dose without v2 fields (CoWIN's v1 namespace).
pub fn facts() -> VaccinationFacts {
    VaccinationFacts {
        certificate_id: "900000002".into(),
        ref_id: "98765432109876".into(),
        name: "Ravi Shankar".into(),
        gender: "Male".into(),
        age: "41".into(),
        dob: None,
        nationality: "Indian".into(),
        address: address(),
        vaccine: "COVAXIN".into(),
        manufacturer: "Bharat Biotech".into(),
        batch: "BB2026X".into(),
        dose: 1,
        total_doses: 2,
        date: "2026-03-02T08:15:00Z".into(),
        effective_start: "2026-03-02".into(),
        effective_until: "2027-03-02".into(),
        vaccinator_name: "Meena K".into(),
        facility_name: "UPHC Shivajinagar".into(),
        facility_address: address(),
        icd11_code: None,
        prophylaxis: None,
        issuance_date: "2026-03-02T08:20:00Z".into(),
        base_url: "https://sehat.example.org".into(),
        info_url: "https://sehat.example.org/learn/900000002".into(),
        feedback_url: "https://sehat.example.org/feedback/900000002".into(),
    }
}

/// A second dose with the v2 fields (CoWIN's v2 namespace).
#[allow(dead_code)]
pub fn facts_v2() -> VaccinationFacts {
    VaccinationFacts {
        certificate_id: "900000003".into(),
        dose: 2,
        dob: Some("1985-01-20".into()),
        icd11_code: Some("XM1NL1".into()),
        prophylaxis: Some("COVID-19 vaccine, inactivated virus".into()),
        ..facts()
    }
}
