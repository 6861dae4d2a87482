//! Signing keys: generated on first run into the data directory when absent (mode 0600), or read
//! from a configured path. Never committed (the data directory is git-ignored).

use anyhow::Context;
use rand::RngCore;
use std::path::{Path, PathBuf};

/// Key material the server signs and hashes with.
pub struct Keys {
    /// The HS256 secret of the API tokens (JWT).
    pub jwt_secret: Vec<u8>,
    /// Where it came from.
    pub jwt_path: PathBuf,
    /// The key that hashes mobiles, photo-ID numbers and OTPs. Losing it makes stored hashes
    /// unmatchable: back it up with the database.
    pub identity_secret: Vec<u8>,
    /// The key that seals (encrypts) mobiles and photo-ID numbers at rest. Losing it makes the
    /// sealed values unreadable (lookups still work): back it up apart from the database.
    pub sealing_secret: Vec<u8>,
}

impl Keys {
    /// The identity key: hashing and sealing of identifiers.
    pub fn identity(&self) -> anyhow::Result<sehat_domain::identity::IdentityKey> {
        sehat_domain::identity::IdentityKey::new(self.identity_secret.clone())
            .and_then(|key| key.with_sealing_key(&self.sealing_secret))
            .map_err(anyhow::Error::msg)
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("jwt_path", &self.jwt_path)
            .finish_non_exhaustive()
    }
}

/// Loads the keys, generating what is missing.
pub fn load_or_generate(
    data_dir: &Path,
    jwt_key_path: Option<&Path>,
    identity_key_path: Option<&Path>,
    sealing_key_path: Option<&Path>,
) -> anyhow::Result<Keys> {
    let (jwt_secret, jwt_path) =
        secret(data_dir, jwt_key_path, "jwt-hs256.key", "JWT signing key")?;
    let (identity_secret, _) = secret(
        data_dir,
        identity_key_path,
        "identity-hmac.key",
        "identity hashing key",
    )?;
    let (sealing_secret, _) = secret(
        data_dir,
        sealing_key_path,
        "identifier-seal.key",
        "identifier encryption key",
    )?;
    Ok(Keys {
        jwt_secret,
        jwt_path,
        identity_secret,
        sealing_secret,
    })
}

/// Reads a secret from `given`, or from `data_dir/file`, generating it there when absent.
fn secret(
    data_dir: &Path,
    given: Option<&Path>,
    file: &str,
    what: &str,
) -> anyhow::Result<(Vec<u8>, PathBuf)> {
    let path = given.map_or_else(|| data_dir.join(file), Path::to_path_buf);
    if !path.exists() {
        anyhow::ensure!(
            given.is_none(),
            "the {what} file {} does not exist",
            path.display()
        );
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let mut secret = [0_u8; 32];
        rand::rng().fill_bytes(&mut secret);
        write_private(&path, hex(&secret).as_bytes())?;
        tracing::info!(path = %path.display(), "generated a new {what}");
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let bytes = text.trim().as_bytes().to_vec();
    anyhow::ensure!(
        bytes.len() >= 32,
        "the {what} in {} is shorter than 32 bytes",
        path.display()
    );
    Ok((bytes, path))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a new file readable by its owner only.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_generated_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(dir.path(), None, None, None).unwrap();
        let second = load_or_generate(dir.path(), None, None, None).unwrap();
        assert_eq!(first.jwt_secret, second.jwt_secret);
        assert_eq!(first.identity_secret, second.identity_secret);
        assert_ne!(first.jwt_secret, first.identity_secret);
        assert_ne!(first.identity_secret, first.sealing_secret);
        assert_eq!(first.sealing_secret, second.sealing_secret);
        assert_eq!(first.jwt_secret.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first.jwt_path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            load_or_generate(
                dir.path(),
                Some(&dir.path().join("missing.key")),
                None,
                None
            )
            .is_err()
        );
    }
}
