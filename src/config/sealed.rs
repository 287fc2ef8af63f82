//! Bot tokens at rest: sealed with ChaCha20-Poly1305 (ring) under
//! `HIGHLIGHTS_TOKEN_KEY`, the workspace id bound in as associated data, so a
//! token copied to another workspace's row does not open. A sealed token reads
//! `v1.<key id>.<base64url of nonce, ciphertext and tag>`; the key id (the
//! start of the key's SHA-256) says which key opens it, so a second key
//! (`HIGHLIGHTS_TOKEN_KEY_PREVIOUS`) keeps opening old rows while they are
//! sealed again under the new one.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::Secret;

/// A 32-byte key that seals and opens tokens.
#[derive(Clone)]
pub struct TokenKey {
    id: String,
    key: std::sync::Arc<LessSafeKey>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl PartialEq for TokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl TokenKey {
    /// Reads a key written in base64 (standard or URL-safe, e.g. the output
    /// of `openssl rand -base64 32`); it must decode to exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = [&STANDARD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or("is not base64: generate one with `openssl rand -base64 32`")?;
        if bytes.len() != 32 {
            return Err(format!(
                "must decode to 32 bytes, not {}: generate one with `openssl rand -base64 32`",
                bytes.len()
            ));
        }
        let digest =
            ring::digest::digest(&ring::digest::SHA256, &[b"highlights token key\0".as_slice(), &bytes].concat());
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| "is not a ChaCha20-Poly1305 key")?;
        Ok(Self { id: hex::encode(&digest.as_ref()[..4]), key: std::sync::Arc::new(LessSafeKey::new(key)) })
    }

    /// The key's id, as written in what it sealed (not secret: a hash prefix).
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The keys in use: the current one seals, both open.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenKeys {
    /// Seals every token written from now on.
    pub current: TokenKey,
    /// Still opens tokens sealed before a rotation.
    pub previous: Option<TokenKey>,
}

/// A sealed token that no key in use opens: written under another key, for
/// another workspace, or altered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a stored bot token cannot be opened ({0}): was HIGHLIGHTS_TOKEN_KEY changed without HIGHLIGHTS_TOKEN_KEY_PREVIOUS?")]
pub struct Unopenable(&'static str);

const VERSION: &str = "v1";

impl TokenKeys {
    /// Seals `token` for `workspace` under the current key.
    pub fn seal(&self, workspace: &str, token: &Secret) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("the system's random source works");
        let mut sealed = token.expose().as_bytes().to_vec();
        self.current
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(workspace.as_bytes()), &mut sealed)
            .expect("a bot token is far below ChaCha20-Poly1305's length limit");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}.{}.{}", self.current.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`seal`](Self::seal) wrote for `workspace`.
    pub fn open(&self, workspace: &str, sealed: &str) -> Result<Secret, Unopenable> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(VERSION), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Unopenable("not a sealed token"));
        };
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == key_id)
            .ok_or(Unopenable("sealed under a key not configured"))?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| Unopenable("not base64"))?;
        if bytes.len() < NONCE_LEN {
            return Err(Unopenable("too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unopenable("bad nonce"))?;
        let mut buffer = ciphertext.to_vec();
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(workspace.as_bytes()), &mut buffer)
            .map_err(|_| Unopenable("it does not authenticate"))?;
        String::from_utf8(plain.to_vec()).map(Secret::new).map_err(|_| Unopenable("not text"))
    }

    /// Whether `sealed` was sealed under an older key (and should be sealed again).
    pub fn is_stale(&self, sealed: &str) -> bool {
        sealed.split('.').nth(1) != Some(self.current.id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> TokenKey {
        TokenKey::from_base64(&STANDARD.encode([byte; 32])).expect("a valid key")
    }

    #[test]
    fn a_sealed_token_opens_for_its_workspace_only_and_hides_the_token() {
        let keys = TokenKeys { current: key(1), previous: None };
        let token = Secret::new("xoxb-1-2-secret");
        let sealed = keys.seal("T0001", &token);
        assert!(!sealed.contains("secret"), "{sealed}");
        assert_eq!(keys.open("T0001", &sealed), Ok(token.clone()));
        assert!(keys.open("T0002", &sealed).is_err(), "bound to its workspace");
        assert_ne!(keys.seal("T0001", &token), sealed, "a fresh nonce each time");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.open("T0001", &altered).is_err(), "altered text does not open");
        assert!(keys.open("T0001", "xoxb-plain").is_err());
    }

    #[test]
    fn after_a_rotation_the_previous_key_still_opens_and_marks_the_row_stale() {
        let old = TokenKeys { current: key(1), previous: None };
        let sealed = old.seal("T0001", &Secret::new("xoxb-old"));
        let rotated = TokenKeys { current: key(2), previous: Some(key(1)) };
        assert_eq!(rotated.open("T0001", &sealed), Ok(Secret::new("xoxb-old")));
        assert!(rotated.is_stale(&sealed));
        let resealed = rotated.seal("T0001", &Secret::new("xoxb-old"));
        assert!(!rotated.is_stale(&resealed));
        let without_old = TokenKeys { current: key(2), previous: None };
        assert!(without_old.open("T0001", &sealed).is_err(), "the old key is needed for old rows");
        assert_eq!(without_old.open("T0001", &resealed), Ok(Secret::new("xoxb-old")));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(TokenKey::from_base64("not base64 !").is_err());
        assert!(TokenKey::from_base64(&STANDARD.encode([1u8; 16])).expect_err("16 bytes").contains("32 bytes"));
        assert!(TokenKey::from_base64(&URL_SAFE_NO_PAD.encode([7u8; 32])).is_ok());
        assert_ne!(key(1).id(), key(2).id());
    }
}
