//! Passwords and tokens.
//!
//! Passwords are hashed with Argon2id (the crate's defaults: 19 MiB, 2 passes), salted
//! per password. Tokens and API keys are 256 random bits, shown once at creation and
//! stored only as their SHA-256: a fast hash is enough for secrets that cannot be guessed,
//! and lets a request's credential be found with one indexed lookup.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// What a token is for; the prefix makes a leaked secret recognisable (for secret
/// scanners and people alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A web session from a username and password login.
    Session,
    /// A long-lived token for a technician's phone.
    Device,
    /// An API consumer's key.
    ApiKey,
}

impl TokenKind {
    /// Storage key.
    pub fn key(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Device => "device",
            TokenKind::ApiKey => "api_key",
        }
    }

    /// Parses a storage key.
    pub fn from_key(key: &str) -> Option<TokenKind> {
        match key {
            "session" => Some(TokenKind::Session),
            "device" => Some(TokenKind::Device),
            "api_key" => Some(TokenKind::ApiKey),
            _ => None,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "aws_",
            TokenKind::Device => "awd_",
            TokenKind::ApiKey => "awk_",
        }
    }
}

/// A new random token of the given kind.
pub fn new_token(kind: TokenKind) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes))
}

/// A new random password for generated accounts: 16 characters from an alphabet without
/// look-alikes (about 90 bits).
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with Argon2id and a fresh salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored hash. With no stored hash (unknown user, or a
/// technician who only has device tokens) it still spends the time of one verification,
/// so response times do not tell whether an account exists.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let dummy = dummy_hash();
    let (hash, real) = match stored {
        Some(hash) => (hash, true),
        None => (dummy.as_str(), false),
    };
    let verified = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    verified && real
}

fn dummy_hash() -> String {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("not a real password").unwrap_or_default())
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() -> Result<(), argon2::password_hash::Error> {
        let hash = hash_password("青稞 2030!")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("青稞 2030!", Some(&hash)));
        assert!(!verify_password("青稞 2031!", Some(&hash)));
        assert!(!verify_password("not a real password", None));
        assert!(!verify_password("x", Some("garbage")));
        Ok(())
    }

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = new_token(TokenKind::Device);
        let b = new_token(TokenKind::Device);
        assert_ne!(a, b);
        assert!(a.starts_with("awd_"));
        assert_eq!(a.len(), 4 + 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(new_password().len(), 16);
    }
}
