//! Measures the certificate: file size with Latin-only and with three Indic scripts, render
//! time per PDF, and the QR version of a 1.5 KB payload. `cargo run --release -p sehat-render
//! --example figures`.

// A measuring tool run by hand: its output is the report.
#![allow(clippy::print_stdout)]

use sehat_render::qr::QrMatrix;
use sehat_render::{Certificate, DoseLine, Person, certificate_pdf, read_qr_pdf};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Bytes like a ZIP file's: every value, no pattern.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let payload: Vec<u8> = (0..1_536)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    let doses = [
        dose("Dose 1 of 2", "24 Sep 2021", "Kavita Sharma"),
        dose("Dose 2 of 2", "17 Dec 2021", "Kavita Sharma"),
    ];
    let indic_doses = [
        dose("Dose 1 of 2", "24 Sep 2021", "रमेश कुमार"),
        dose("Dose 2 of 2", "17 Dec 2021", "முருகன் செல்வம்"),
    ];
    let latin = certificate("Sunita Devi", &payload, &doses);
    let indic = certificate("सुनीता देवी · অমিত দাস", &payload, &indic_doses);

    for (label, c) in [
        ("Latin only", &latin),
        ("Devanagari, Bengali, Tamil", &indic),
    ] {
        let pdf = certificate_pdf(c)?;
        let rounds = 50;
        let start = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(certificate_pdf(std::hint::black_box(c))?);
        }
        let per_pdf = start.elapsed() / rounds;
        let start = Instant::now();
        let read = read_qr_pdf(&pdf)?;
        let read_time = start.elapsed();
        assert_eq!(read, payload);
        println!(
            "{label}: {} bytes, {per_pdf:?} per PDF, read_qr_pdf {read_time:?}",
            pdf.len()
        );
    }
    for bytes in [1_000, 1_426, 1_427, 1_500, 1_536, 2_000, 2_331] {
        let matrix = QrMatrix::encode_bytes(&payload.repeat(2)[..bytes]).ok_or("too long")?;
        println!(
            "{bytes} bytes: QR version {} ({} modules)",
            matrix.version(),
            matrix.width()
        );
    }
    Ok(())
}

fn dose<'a>(dose: &'a str, date: &'a str, by: &'a str) -> DoseLine<'a> {
    DoseLine {
        dose,
        vaccine: "COVISHIELD",
        manufacturer: "Serum Institute of India Pvt. Ltd.",
        batch: "4121Z025",
        date,
        vaccinated_by: by,
        centre: "PHC Mehrauli",
        centre_address: "Near Qutub Minar, Mehrauli-Badarpur Road, South West Delhi, Delhi 110030",
    }
}

fn certificate<'a>(name: &'a str, payload: &'a [u8], doses: &'a [DoseLine<'a>]) -> Certificate<'a> {
    Certificate {
        title: "Certificate for COVID-19 Vaccination",
        issuer: "Ministry of Health & Family Welfare, Government of India",
        certificate_id: "84753627184",
        issued_on: "18 Dec 2021",
        beneficiary: Person {
            name,
            age: "42",
            gender: "Female",
            id_label: "ID Verified",
            masked_id: "Aadhaar # XXXXXXXX1234",
            reference_id: "12345678901234",
        },
        doses,
        qr_payload: payload,
        verify: "Scan the QR code with the verifier app to check that this certificate is genuine.",
        footer: "Issued under the national COVID-19 vaccination programme.",
    }
}
