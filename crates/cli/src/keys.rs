//! Signing keys: generated on first run into the data directory when absent (mode 0600), or read
//! from a configured path. Never committed (the data directory is git-ignored).

use anyhow::Context;
use rand::RngCore;
use std::path::{Path, PathBuf};

/// Key material the server signs with.
pub struct Keys {
    /// The HS256 secret of the API tokens (JWT).
    pub jwt_secret: Vec<u8>,
    /// Where it came from.
    pub jwt_path: PathBuf,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("jwt_path", &self.jwt_path)
            .finish_non_exhaustive()
    }
}

/// Loads the keys, generating what is missing.
pub fn load_or_generate(data_dir: &Path, jwt_key_path: Option<&Path>) -> anyhow::Result<Keys> {
    let jwt_path = match jwt_key_path {
        Some(p) => p.to_path_buf(),
        None => data_dir.join("jwt-hs256.key"),
    };
    if !jwt_path.exists() {
        anyhow::ensure!(
            jwt_key_path.is_none(),
            "the JWT key file {} does not exist",
            jwt_path.display()
        );
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let mut secret = [0_u8; 32];
        rand::rng().fill_bytes(&mut secret);
        write_private(&jwt_path, hex(&secret).as_bytes())?;
        tracing::info!(path = %jwt_path.display(), "generated a new JWT signing key");
    }
    let text = std::fs::read_to_string(&jwt_path)
        .with_context(|| format!("reading {}", jwt_path.display()))?;
    let jwt_secret = text.trim().as_bytes().to_vec();
    anyhow::ensure!(
        jwt_secret.len() >= 32,
        "the JWT key in {} is shorter than 32 bytes",
        jwt_path.display()
    );
    Ok(Keys {
        jwt_secret,
        jwt_path,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
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
        let first = load_or_generate(dir.path(), None).unwrap();
        let second = load_or_generate(dir.path(), None).unwrap();
        assert_eq!(first.jwt_secret, second.jwt_secret);
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
        assert!(load_or_generate(dir.path(), Some(&dir.path().join("missing.key"))).is_err());
    }
}
