//! Fixed-size keys for the verified-token cache and the revocation stores, and their hasher.

use sha2::{Digest, Sha256};

/// A fixed-size key for a revocation question: the SHA-256 of the parts (each marked present or
/// absent, strings length-prefixed) and a number. No two different questions share one, and a
/// lookup allocates nothing.
pub(crate) fn digest(parts: &[Option<&str>], number: Option<i64>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        match part {
            Some(part) => {
                hasher.update([1]);
                hasher.update((part.len() as u64).to_be_bytes());
                hasher.update(part.as_bytes());
            }
            None => hasher.update([0]),
        }
    }
    match number {
        Some(number) => {
            hasher.update([1]);
            hasher.update(number.to_be_bytes());
        }
        None => hasher.update([0]),
    }
    hasher.finalize().into()
}

/// Hashes a SHA-256 digest by its first eight bytes. The digest is already uniform, and no
/// client can choose it (that would take a preimage), so SipHash's work on every cache
/// operation buys nothing.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
    }
}

/// moka's hasher for SHA-256 keys.
pub(crate) type DigestHash = std::hash::BuildHasherDefault<DigestHasher>;
