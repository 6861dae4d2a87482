//! The issuer's Ed25519 keys on disk, their rotation, and the `did:web` document that publishes
//! them.
//!
//! A directory holds one file per key (`<id>.key`, the 32-byte seed in hex, mode 0600, created
//! once and never rewritten) and `keys.json`, the list of ids with their creation time and
//! state, replaced whole through a temporary file. One key is `active` (it signs); keys rotated
//! out are `verifying-only` (certificates they signed still verify); `retired` keys verify
//! nothing.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

const STATE_FILE: &str = "keys.json";

/// Why the key ring could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the directory failed.
    #[error("key directory {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key file or the state file is not what this module writes.
    #[error("key directory: {0}")]
    Corrupt(String),
    /// No key has that id.
    #[error("no key {0}")]
    UnknownKey(String),
    /// The active key is the only signer: rotate first.
    #[error("key {0} is the active signer; rotate before retiring it")]
    RetiringSigner(String),
}

/// What a key may still do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyState {
    /// Signs new certificates (exactly one key) and verifies.
    Active,
    /// Verifies certificates it signed before a rotation.
    VerifyingOnly,
    /// Verifies nothing.
    Retired,
}

impl KeyState {
    /// Whether certificates signed by a key in this state verify.
    pub fn verifies(self) -> bool {
        matches!(self, Self::Active | Self::VerifyingOnly)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateEntry {
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    created: OffsetDateTime,
    state: KeyState,
}

#[derive(Debug, Serialize, Deserialize)]
struct StateFile {
    keys: Vec<StateEntry>,
}

/// One key of the ring as listed: its id, creation time, state and public half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Short id: the first 8 hex digits of SHA-256 of the public key; the DID fragment.
    pub id: String,
    /// When it was generated.
    pub created: OffsetDateTime,
    /// What it may do.
    pub state: KeyState,
    /// The public key.
    pub public_key: VerifyingKey,
}

struct Key {
    info: KeyInfo,
    secret: SigningKey,
}

/// The issuer's keys, loaded from their directory.
pub struct KeyRing {
    dir: PathBuf,
    keys: Vec<Key>,
    /// Held in memory only (nothing is written): [`KeyRing::ephemeral`].
    ephemeral: bool,
}

impl std::fmt::Debug for KeyRing {
    /// Lists ids and states; never a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("dir", &self.dir)
            .field(
                "keys",
                &self
                    .keys
                    .iter()
                    .map(|k| (&k.info.id, k.info.state))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The short id of a public key.
pub fn key_id(public_key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public_key.as_bytes())[..4])
}

impl KeyRing {
    /// Opens the ring in `dir`, creating the directory and a first active key on first run.
    pub fn open_or_create(dir: impl AsRef<Path>) -> Result<Self, KeyError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|source| KeyError::Io {
            path: dir.clone(),
            source,
        })?;
        let state_path = dir.join(STATE_FILE);
        let mut ring = Self {
            dir,
            keys: Vec::new(),
            ephemeral: false,
        };
        match fs::read(&state_path) {
            Ok(bytes) => {
                let state: StateFile = serde_json::from_slice(&bytes)
                    .map_err(|e| KeyError::Corrupt(format!("{STATE_FILE}: {e}")))?;
                for entry in state.keys {
                    let secret = ring.read_secret(&entry.id)?;
                    ring.keys.push(Key {
                        info: KeyInfo {
                            id: entry.id,
                            created: entry.created,
                            state: entry.state,
                            public_key: secret.verifying_key(),
                        },
                        secret,
                    });
                }
                if ring.active().is_none() {
                    return Err(KeyError::Corrupt(format!("{STATE_FILE}: no active key")));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                ring.add_key()?;
                // Nodes starting together on one shared, empty directory: the first ring
                // written wins, and the others read it instead of keeping a key of their own.
                if !ring.save_first()? {
                    let (id, _) = ring.signer();
                    let _ = fs::remove_file(ring.secret_path(id));
                    return Self::open_or_create(&ring.dir);
                }
            }
            Err(source) => {
                return Err(KeyError::Io {
                    path: state_path,
                    source,
                });
            }
        }
        Ok(ring)
    }

    /// A ring with one fresh key held in memory only, for tests and for a server not yet given
    /// the deployment's keys: what it signs verifies nowhere else, and nothing is written.
    pub fn ephemeral() -> Self {
        let mut ring = Self {
            dir: PathBuf::new(),
            keys: Vec::new(),
            ephemeral: true,
        };
        // Writing is skipped for an ephemeral ring, so adding a key cannot fail.
        let _ = ring.add_key();
        ring
    }

    /// Generates a new key that becomes the signer; the previous signer keeps verifying.
    pub fn rotate(&mut self) -> Result<KeyInfo, KeyError> {
        for key in &mut self.keys {
            if key.info.state == KeyState::Active {
                key.info.state = KeyState::VerifyingOnly;
            }
        }
        let info = self.add_key()?;
        self.save()?;
        Ok(info)
    }

    /// Stops a key from verifying. The active signer cannot be retired.
    pub fn retire(&mut self, id: &str) -> Result<(), KeyError> {
        let key = self
            .keys
            .iter_mut()
            .find(|k| k.info.id == id)
            .ok_or_else(|| KeyError::UnknownKey(id.to_owned()))?;
        if key.info.state == KeyState::Active {
            return Err(KeyError::RetiringSigner(id.to_owned()));
        }
        key.info.state = KeyState::Retired;
        self.save()
    }

    /// Every key, oldest first.
    pub fn list(&self) -> Vec<KeyInfo> {
        self.keys.iter().map(|k| k.info.clone()).collect()
    }

    /// The active key's id and its signing half.
    pub fn signer(&self) -> (&str, &SigningKey) {
        // `open_or_create` refuses a ring without an active key and `rotate` always leaves one.
        let key = self
            .active()
            .or_else(|| self.keys.last())
            .expect("a key ring always has a key");
        (key.info.id.as_str(), &key.secret)
    }

    /// The public key that a proof's `verificationMethod` (`<did>#<id>`, or a bare id) names,
    /// if that key still verifies.
    pub fn verifying_key(&self, verification_method: &str) -> Option<VerifyingKey> {
        let id = verification_method
            .rsplit_once('#')
            .map_or(verification_method, |(_, fragment)| fragment);
        self.keys
            .iter()
            .find(|k| k.info.id == id && k.info.state.verifies())
            .map(|k| k.info.public_key)
    }

    fn active(&self) -> Option<&Key> {
        self.keys.iter().find(|k| k.info.state == KeyState::Active)
    }

    fn add_key(&mut self) -> Result<KeyInfo, KeyError> {
        let seed: [u8; 32] = rand::random();
        let secret = SigningKey::from_bytes(&seed);
        let public_key = secret.verifying_key();
        let id = key_id(&public_key);
        if self.keys.iter().any(|k| k.info.id == id) {
            return Err(KeyError::Corrupt(format!("key id {id} collides")));
        }
        if !self.ephemeral {
            self.write_secret(&id, &seed)?;
        }
        let info = KeyInfo {
            id,
            created: OffsetDateTime::now_utc(),
            state: KeyState::Active,
            public_key,
        };
        self.keys.push(Key {
            info: info.clone(),
            secret,
        });
        Ok(info)
    }

    fn secret_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.key"))
    }

    fn write_secret(&self, id: &str, seed: &[u8; 32]) -> Result<(), KeyError> {
        let path = self.secret_path(id);
        let io = |source| KeyError::Io {
            path: path.clone(),
            source,
        };
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(io)?;
        file.write_all(hex::encode(seed).as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }

    fn read_secret(&self, id: &str) -> Result<SigningKey, KeyError> {
        let path = self.secret_path(id);
        let text = fs::read_to_string(&path).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed)
            .map_err(|_| KeyError::Corrupt(format!("{id}.key is not a 32-byte hex seed")))?;
        let secret = SigningKey::from_bytes(&seed);
        if key_id(&secret.verifying_key()) != id {
            return Err(KeyError::Corrupt(format!("{id}.key holds another key")));
        }
        Ok(secret)
    }

    /// Writes the state file of a new ring unless one appeared meanwhile (`false` then): the
    /// file is linked into place, which fails when it exists.
    fn save_first(&self) -> Result<bool, KeyError> {
        let tmp = self.dir.join(format!(
            "{STATE_FILE}.{}.{}.new",
            std::process::id(),
            hex::encode(rand::random::<[u8; 4]>())
        ));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| KeyError::Io { path, source }
        };
        fs::write(&tmp, self.state_bytes()?).map_err(io(&tmp))?;
        let target = self.dir.join(STATE_FILE);
        let linked = fs::hard_link(&tmp, &target);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(source) => Err(KeyError::Io {
                path: target,
                source,
            }),
        }
    }

    fn state_bytes(&self) -> Result<Vec<u8>, KeyError> {
        let state = StateFile {
            keys: self
                .keys
                .iter()
                .map(|k| StateEntry {
                    id: k.info.id.clone(),
                    created: k.info.created,
                    state: k.info.state,
                })
                .collect(),
        };
        serde_json::to_vec_pretty(&state)
            .map_err(|e| KeyError::Corrupt(format!("{STATE_FILE}: {e}")))
    }

    fn save(&self) -> Result<(), KeyError> {
        if self.ephemeral {
            return Ok(());
        }
        let bytes = self.state_bytes()?;
        let tmp = self
            .dir
            .join(format!("{STATE_FILE}.{}.tmp", std::process::id()));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| KeyError::Io { path, source }
        };
        fs::write(&tmp, bytes).map_err(io(&tmp))?;
        let target = self.dir.join(STATE_FILE);
        fs::rename(&tmp, &target).map_err(io(&target))
    }
}

/// `did:web:<host>`, with a port's colon percent-encoded (`did:web:localhost%3A8080`).
pub fn did_web(host: &str) -> String {
    format!("did:web:{}", host.replace(':', "%3A"))
}

/// The DID document of `did` (served at `/.well-known/did.json` for `did:web`): every key that
/// still verifies, as `Ed25519VerificationKey2018`, each an assertion method.
pub fn did_document(did: &str, ring: &KeyRing) -> Value {
    let live: Vec<&KeyInfo> = ring
        .keys
        .iter()
        .map(|k| &k.info)
        .filter(|info| info.state.verifies())
        .collect();
    let methods: Vec<Value> = live
        .iter()
        .map(|info| {
            json!({
                "id": format!("{did}#{}", info.id),
                "type": "Ed25519VerificationKey2018",
                "controller": did,
                "publicKeyBase58": bs58::encode(info.public_key.as_bytes()).into_string(),
            })
        })
        .collect();
    let assertion: Vec<String> = live
        .iter()
        .map(|info| format!("{did}#{}", info.id))
        .collect();
    json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/ed25519-2018/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": assertion,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nodes_starting_together_on_an_empty_directory_share_one_key() {
        let dir = tempfile::tempdir().expect("dir");
        let rings: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let path = dir.path().to_path_buf();
                    scope.spawn(move || {
                        let ring = KeyRing::open_or_create(&path).expect("ring");
                        ring.signer().0.to_owned()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        assert!(rings.iter().all(|id| *id == rings[0]), "{rings:?}");
        let reopened = KeyRing::open_or_create(dir.path()).expect("ring");
        assert_eq!(reopened.list().len(), 1);
        assert_eq!(reopened.signer().0, rings[0]);
    }

    #[test]
    fn a_port_colon_is_percent_encoded() {
        assert_eq!(did_web("example.org"), "did:web:example.org");
        assert_eq!(did_web("localhost:8080"), "did:web:localhost%3A8080");
    }

    #[test]
    fn the_first_run_creates_one_active_key_and_the_second_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open_or_create(dir.path()).unwrap();
        let keys = ring.list();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].state, KeyState::Active);
        assert_eq!(keys[0].id.len(), 8);
        let again = KeyRing::open_or_create(dir.path()).unwrap();
        assert_eq!(again.list(), keys);
        assert_eq!(again.signer().1.to_bytes(), ring.signer().1.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = fs::metadata(dir.path().join(format!("{}.key", keys[0].id))).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn rotation_keeps_the_old_key_verifying_and_retiring_stops_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut ring = KeyRing::open_or_create(dir.path()).unwrap();
        let first = ring.signer().0.to_owned();
        let second = ring.rotate().unwrap();
        assert_eq!(ring.signer().0, second.id);
        assert!(ring.verifying_key(&format!("did:web:x#{first}")).is_some());
        assert!(matches!(
            ring.retire(&second.id),
            Err(KeyError::RetiringSigner(_))
        ));
        ring.retire(&first).unwrap();
        assert!(ring.verifying_key(&first).is_none());
        let reopened = KeyRing::open_or_create(dir.path()).unwrap();
        assert_eq!(reopened.list(), ring.list());
        let doc = did_document("did:web:x", &reopened);
        assert_eq!(
            doc["assertionMethod"],
            json!([format!("did:web:x#{}", second.id)])
        );
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::open_or_create(dir.path()).unwrap();
        let seed = hex::encode(ring.signer().1.to_bytes());
        assert!(!format!("{ring:?}").contains(&seed));
    }
}
