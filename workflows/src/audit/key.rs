//! The key tree heads are signed with: an Ed25519 key kept in a file beside the server (made on
//! first use, readable by its owner only), its public half recorded in the database so anyone can
//! check a head. Several instances share one file, so every head is signed by the same key.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// A signing key and its public identity.
#[derive(Clone)]
pub struct AuditKey {
    signing: SigningKey,
    /// The public key, hex.
    pub public_key: String,
    /// The first 16 hex digits of the public key's SHA-256: how a head names its key.
    pub key_id: String,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl AuditKey {
    /// Reads the key in `path` (64 hex digits, the Ed25519 seed), or makes one there (mode 0600)
    /// when the file does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_seed_hex(text.trim())
                .with_context(|| format!("reading the audit signing key {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let seed: [u8; 32] = rand::random();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(hex::encode(seed).as_bytes())?;
                        file.sync_all()?;
                        tracing::info!(path = %path.display(), "made a new audit signing key");
                        Ok(Self::from_seed(seed))
                    }
                    // Another process made it meanwhile: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(e).with_context(|| {
                        format!("making the audit signing key {}", path.display())
                    }),
                }
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn from_seed_hex(text: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(text).context("not hex")?;
        let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("not a 32-byte Ed25519 seed");
        };
        Ok(Self::from_seed(seed))
    }

    fn from_seed(seed: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        Self {
            signing,
            public_key: hex::encode(public),
            key_id: key_id(&public),
        }
    }

    /// The signature of `checkpoint`, hex.
    pub fn sign(&self, checkpoint: &str) -> String {
        hex::encode(self.signing.sign(checkpoint.as_bytes()).to_bytes())
    }
}

fn key_id(public: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public)[..8])
}

/// The text a tree head's signature covers: the log's name, the size, the root and the time, one a
/// line (after the checkpoints of transparency logs).
///
/// ```
/// # use tinjau_workflows::audit::key::checkpoint;
/// let at = chrono::DateTime::parse_from_rfc3339("2026-03-14T02:00:00Z").unwrap().to_utc();
/// assert_eq!(checkpoint(7, "ab", at), "tinjau-audit\n7\nab\n2026-03-14T02:00:00.000000Z\n");
/// ```
pub fn checkpoint(tree_size: i64, root_hex: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "tinjau-audit\n{tree_size}\n{root_hex}\n{}\n",
        at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    )
}

/// Whether `signature_hex` is the signature of `checkpoint` by `public_hex`.
pub fn verify(public_hex: &str, checkpoint: &str, signature_hex: &str) -> bool {
    let Ok(Ok(public)) = hex::decode(public_hex).map(|b| <[u8; 32]>::try_from(b.as_slice())) else {
        return false;
    };
    let Ok(Ok(signature)) = hex::decode(signature_hex).map(|b| <[u8; 64]>::try_from(b.as_slice()))
    else {
        return false;
    };
    VerifyingKey::from_bytes(&public).is_ok_and(|key| {
        key.verify(checkpoint.as_bytes(), &Signature::from_bytes(&signature))
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_read_back_and_its_signatures_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.key");
        let made = AuditKey::load_or_create(&path).unwrap();
        let again = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(made.public_key, again.public_key);
        assert_eq!(made.key_id.len(), 16);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = "tinjau-audit\n3\nabc\n2026-01-01T00:00:00.000000Z\n";
        let signature = made.sign(text);
        assert!(verify(&made.public_key, text, &signature));
        assert!(!verify(
            &made.public_key,
            &text.replace('3', "4"),
            &signature
        ));
        assert!(!verify(&made.public_key, text, &"0".repeat(128)));
        assert!(!verify("zz", text, &signature));
        std::fs::write(&path, "not a key").unwrap();
        assert!(AuditKey::load_or_create(&path).is_err());
    }
}
