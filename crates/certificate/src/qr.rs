//! The QR payload in DIVOC's packing (certificates.md, "The QR code"): a ZIP archive with one
//! DEFLATE entry `certificate.json`, handed to the QR encoder as a "binary string" that it
//! UTF-8-encodes; readers map code points back to bytes. WHO's `B64:` + base64(zip) is read too.

use std::io::{Cursor, Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::proof::VerifyError;

/// The single entry of the archive.
pub const ENTRY_NAME: &str = "certificate.json";
/// The largest certificate accepted when unzipping (a QR code holds under 3 KB; this bounds a
/// zip bomb).
const MAX_CERTIFICATE_BYTES: u64 = 64 * 1024;

/// Why a credential could not be packed.
#[derive(Debug, thiserror::Error)]
#[error("zip: {0}")]
pub struct PackError(String);

/// The bytes to put in a byte-mode QR code for `signed`: the zip as a binary string, UTF-8
/// encoded (every byte ≥ 0x80 becomes two bytes), exactly as DIVOC's QR library writes it.
pub fn qr_payload(signed: &Value) -> Result<Vec<u8>, PackError> {
    let json = serde_json::to_vec(signed).map_err(|e| PackError(e.to_string()))?;
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    writer
        .start_file(ENTRY_NAME, options)
        .map_err(|e| PackError(e.to_string()))?;
    writer
        .write_all(&json)
        .map_err(|e| PackError(e.to_string()))?;
    let zip = writer
        .finish()
        .map_err(|e| PackError(e.to_string()))?
        .into_inner();
    Ok(zip
        .iter()
        .map(|&byte| char::from(byte))
        .collect::<String>()
        .into_bytes())
}

/// The credential in a scanned QR code's text: DIVOC's binary-string zip, or `B64:` + base64(zip).
pub fn read_qr_payload(text: &str) -> Result<Value, VerifyError> {
    let zip = match text.strip_prefix("B64:") {
        Some(b64) => STANDARD
            .decode(b64.trim())
            .map_err(|_| VerifyError::Malformed("B64: payload is not base64".into()))?,
        None => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| VerifyError::Malformed("QR text is not a binary string".into()))?,
    };
    let mut archive = ZipArchive::new(Cursor::new(zip))
        .map_err(|e| VerifyError::Malformed(format!("QR payload is not a zip: {e}")))?;
    let entry = archive
        .by_name(ENTRY_NAME)
        .map_err(|_| VerifyError::Malformed(format!("zip has no {ENTRY_NAME}")))?;
    let mut json = Vec::new();
    entry
        .take(MAX_CERTIFICATE_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| VerifyError::Malformed(format!("unzip: {e}")))?;
    if json.len() as u64 > MAX_CERTIFICATE_BYTES {
        return Err(VerifyError::Malformed("certificate is too large".into()));
    }
    serde_json::from_slice(&json)
        .map_err(|e| VerifyError::Malformed(format!("{ENTRY_NAME} is not JSON: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_reads_back_from_its_text_and_as_b64() {
        let doc = serde_json::json!({"name": "Ānanya", "dose": 1});
        let payload = qr_payload(&doc).unwrap();
        let text = String::from_utf8(payload).unwrap();
        // Zip bytes ≥ 0x80 arrive as two-byte characters, so the text is longer than the zip.
        let zip: Vec<u8> = text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert_eq!(read_qr_payload(&text).unwrap(), doc);
        let b64 = format!("B64:{}", STANDARD.encode(&zip));
        assert_eq!(read_qr_payload(&b64).unwrap(), doc);
    }

    #[test]
    fn text_that_is_not_a_binary_string_is_refused() {
        assert!(matches!(
            read_qr_payload("PK\u{263a}"),
            Err(VerifyError::Malformed(_))
        ));
        assert!(matches!(
            read_qr_payload("hello"),
            Err(VerifyError::Malformed(_))
        ));
    }
}
