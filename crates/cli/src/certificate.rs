//! `sehat certificate-key list|rotate|retire` and `sehat certificate verify FILE`: the
//! certificate signing keys in their directory, and offline verification of a certificate
//! (its JSON, a PNG of its QR code, or its PDF) with this deployment's keys.

use crate::config::Config;
use anyhow::Context;
use sehat_api::certificates::{Issuer, VerifyStatus};
use sehat_certificate::KeyRing;
use std::io::Write;
use std::path::Path;

/// The deployment's key ring (made, with a first key, when absent).
pub fn open_ring(config: &Config) -> anyhow::Result<KeyRing> {
    let dir = config.keys.certificate_keys_dir();
    KeyRing::open_or_create(&dir)
        .with_context(|| format!("opening the certificate keys in {}", dir.display()))
}

/// The issuer of this deployment: its keys and public URL.
pub fn issuer(config: &Config) -> anyhow::Result<Issuer> {
    Ok(Issuer::new(open_ring(config)?, &config.server.public_url()))
}

fn print_ring(ring: &KeyRing) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "id\tstate\tcreated")?;
    for key in ring.list() {
        let state = serde_json::to_value(key.state)?;
        let created = key
            .created
            .format(&time::format_description::well_known::Rfc3339)?;
        writeln!(
            out,
            "{}\t{}\t{created}",
            key.id,
            state.as_str().unwrap_or("")
        )?;
    }
    Ok(())
}

/// `certificate-key list`.
pub fn list_keys(config: &Config) -> anyhow::Result<()> {
    print_ring(&open_ring(config)?)
}

/// `certificate-key rotate`.
pub fn rotate_key(config: &Config) -> anyhow::Result<()> {
    let mut ring = open_ring(config)?;
    let new = ring.rotate().context("rotating the certificate key")?;
    tracing::info!(key = %new.id, "certificate key rotated: restart the servers to sign with it");
    print_ring(&ring)
}

/// `certificate-key retire ID`.
pub fn retire_key(config: &Config, id: &str) -> anyhow::Result<()> {
    let mut ring = open_ring(config)?;
    ring.retire(id)
        .with_context(|| format!("retiring certificate key {id}"))?;
    print_ring(&ring)
}

/// `certificate verify FILE`: prints the verification as JSON; fails unless it is valid.
pub fn verify_file(config: &Config, file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let keys = config.keys.certificate_keys_dir();
    // Verifying never makes keys: without this deployment's keys nothing can be checked.
    anyhow::ensure!(
        keys.join("keys.json").exists(),
        "no certificate keys in {} (run this where the server's data directory is, or set keys.certificate_keys_dir)",
        keys.display()
    );
    let issuer = issuer(config)?;
    let verification = if bytes.starts_with(b"%PDF") {
        issuer.verify_scanned(sehat_render::read_qr_pdf(&bytes))
    } else if bytes.starts_with(b"\x89PNG") {
        issuer.verify_scanned(sehat_render::read_qr_png(&bytes))
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(document) => issuer.verify_document(&document),
            Err(e) => sehat_api::certificates::issuer::Verification {
                reason: Some(format!("not JSON, PNG or PDF: {e}")),
                ..Default::default()
            },
        }
    };
    let status = verification.status;
    let report = serde_json::json!({
        "valid": status == VerifyStatus::Valid,
        "status": status,
        "certificateId": verification.certificate_id,
        "name": verification.name,
        "dose": verification.dose,
        "totalDoses": verification.total_doses,
        "vaccine": verification.vaccine,
        "date": verification.date,
        "reason": verification.reason,
    });
    writeln!(std::io::stdout().lock(), "{report:#}")?;
    if status == VerifyStatus::Valid {
        Ok(())
    } else {
        anyhow::bail!("the certificate is not valid: {}", status.describe())
    }
}
