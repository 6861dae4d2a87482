//! The unsigned vaccination credential, in the shape of certificates.md ("The credential").

use serde_json::{Map, Value, json};

use crate::contexts::{COWIN_VACCINATION_V1, COWIN_VACCINATION_V2, CREDENTIALS_V1};

/// A postal address, each part already formatted (empty when unknown, as DIVOC writes them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// `streetAddress`.
    pub street_address: String,
    /// `streetAddress2`.
    pub street_address2: String,
    /// `district`.
    pub district: String,
    /// `city`.
    pub city: String,
    /// `addressRegion`: the state.
    pub address_region: String,
    /// `addressCountry`, e.g. `IN`.
    pub address_country: String,
    /// `postalCode`.
    pub postal_code: String,
}

impl Address {
    fn to_json(&self) -> Value {
        json!({
            "streetAddress": self.street_address,
            "streetAddress2": self.street_address2,
            "district": self.district,
            "city": self.city,
            "addressRegion": self.address_region,
            "addressCountry": self.address_country,
            "postalCode": self.postal_code,
        })
    }
}

/// Everything a certificate states about one dose, already formatted by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaccinationFacts {
    /// `evidence[0].certificateId`; also names the evidence (`<base_url>/vaccine/<id>`).
    pub certificate_id: String,
    /// `credentialSubject.refId`: the beneficiary reference id.
    pub ref_id: String,
    /// `credentialSubject.name`.
    pub name: String,
    /// `credentialSubject.gender`.
    pub gender: String,
    /// `credentialSubject.age`, a string as DIVOC writes it.
    pub age: String,
    /// `credentialSubject.dob` (yyyy-mm-dd); present only in the v2 namespace.
    pub dob: Option<String>,
    /// `credentialSubject.nationality`.
    pub nationality: String,
    /// `credentialSubject.address`.
    pub address: Address,
    /// `evidence[0].vaccine`.
    pub vaccine: String,
    /// `evidence[0].manufacturer`.
    pub manufacturer: String,
    /// `evidence[0].batch`.
    pub batch: String,
    /// `evidence[0].dose`.
    pub dose: u8,
    /// `evidence[0].totalDoses`.
    pub total_doses: u8,
    /// `evidence[0].date`: the dose's date-time, RFC 3339 UTC.
    pub date: String,
    /// `evidence[0].effectiveStart` (yyyy-mm-dd).
    pub effective_start: String,
    /// `evidence[0].effectiveUntil` (yyyy-mm-dd).
    pub effective_until: String,
    /// `evidence[0].verifier.name`: the vaccinator.
    pub vaccinator_name: String,
    /// `evidence[0].facility.name`.
    pub facility_name: String,
    /// `evidence[0].facility.address`.
    pub facility_address: Address,
    /// `evidence[0].icd11Code`, e.g. `XM9QW8`; v2 namespace.
    pub icd11_code: Option<String>,
    /// `evidence[0].prophylaxis`; v2 namespace.
    pub prophylaxis: Option<String>,
    /// `issuanceDate`, RFC 3339 UTC.
    pub issuance_date: String,
    /// The issuer's public site, e.g. `https://sehat.example.org`: the credential's `issuer` and
    /// the base of `evidence[0].id` (`<base_url>/vaccine/<certificate_id>`).
    pub base_url: String,
    /// `evidence[0].infoUrl`.
    pub info_url: String,
    /// `evidence[0].feedbackUrl`.
    pub feedback_url: String,
}

impl VaccinationFacts {
    /// Whether the credential needs CoWIN's v2 namespace (it has a v2-only field).
    fn needs_v2(&self) -> bool {
        self.dob.is_some() || self.icd11_code.is_some() || self.prophylaxis.is_some()
    }
}

/// The unsigned credential for `facts`, issued by `issuer` (a `did:web:…`).
///
/// The subject is named `<issuer>:<refId>` (DIVOC's fallback, an absolute IRI) and the evidence
/// `<base_url>/vaccine/<certificateId>`: relative ids would leave fields unsigned.
pub fn credential(facts: &VaccinationFacts, issuer: &str) -> Value {
    let namespace = if facts.needs_v2() {
        COWIN_VACCINATION_V2
    } else {
        COWIN_VACCINATION_V1
    };
    let base = facts.base_url.trim_end_matches('/');
    let mut subject = Map::new();
    subject.insert("type".into(), json!("Person"));
    subject.insert(
        "id".into(),
        json!(format!("{issuer}:{}", percent_encode(&facts.ref_id))),
    );
    subject.insert("refId".into(), json!(facts.ref_id));
    subject.insert("name".into(), json!(facts.name));
    subject.insert("gender".into(), json!(facts.gender));
    subject.insert("age".into(), json!(facts.age));
    if let Some(dob) = &facts.dob {
        subject.insert("dob".into(), json!(dob));
    }
    subject.insert("nationality".into(), json!(facts.nationality));
    subject.insert("address".into(), facts.address.to_json());

    let mut evidence = Map::new();
    evidence.insert(
        "id".into(),
        json!(format!(
            "{base}/vaccine/{}",
            percent_encode(&facts.certificate_id)
        )),
    );
    evidence.insert("infoUrl".into(), json!(facts.info_url));
    evidence.insert("feedbackUrl".into(), json!(facts.feedback_url));
    evidence.insert("certificateId".into(), json!(facts.certificate_id));
    evidence.insert("type".into(), json!(["Vaccination"]));
    evidence.insert("batch".into(), json!(facts.batch));
    evidence.insert("vaccine".into(), json!(facts.vaccine));
    evidence.insert("manufacturer".into(), json!(facts.manufacturer));
    if let Some(code) = &facts.icd11_code {
        evidence.insert("icd11Code".into(), json!(code));
    }
    if let Some(prophylaxis) = &facts.prophylaxis {
        evidence.insert("prophylaxis".into(), json!(prophylaxis));
    }
    evidence.insert("date".into(), json!(facts.date));
    evidence.insert("effectiveStart".into(), json!(facts.effective_start));
    evidence.insert("effectiveUntil".into(), json!(facts.effective_until));
    evidence.insert("dose".into(), json!(facts.dose));
    evidence.insert("totalDoses".into(), json!(facts.total_doses));
    evidence.insert("verifier".into(), json!({ "name": facts.vaccinator_name }));
    evidence.insert(
        "facility".into(),
        json!({ "name": facts.facility_name, "address": facts.facility_address.to_json() }),
    );

    json!({
        "@context": [CREDENTIALS_V1, namespace],
        "type": ["VerifiableCredential", "ProofOfVaccinationCredential"],
        "credentialSubject": subject,
        "issuer": format!("{base}/"),
        "issuanceDate": facts.issuance_date,
        "evidence": [evidence],
        "nonTransferable": "true",
    })
}

/// Percent-encodes everything but unreserved characters, so an id part cannot make the IRI
/// invalid or relative.
fn percent_encode(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for byte in part.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_absolute_even_for_odd_reference_ids() {
        let facts = VaccinationFacts {
            ref_id: "12 34/5".into(),
            certificate_id: "99".into(),
            base_url: "https://sehat.example.org/".into(),
            ..Default::default()
        };
        let c = credential(&facts, "did:web:sehat.example.org");
        assert_eq!(
            c["credentialSubject"]["id"],
            "did:web:sehat.example.org:12%2034%2F5"
        );
        assert_eq!(
            c["evidence"][0]["id"],
            "https://sehat.example.org/vaccine/99"
        );
        assert_eq!(c["issuer"], "https://sehat.example.org/");
        assert_eq!(c["@context"][1], COWIN_VACCINATION_V1);
    }

    #[test]
    fn a_date_of_birth_selects_the_v2_namespace() {
        let facts = VaccinationFacts {
            dob: Some("1987-04-21".into()),
            ..Default::default()
        };
        assert_eq!(
            credential(&facts, "did:web:x")["@context"][1],
            COWIN_VACCINATION_V2
        );
    }
}
