//! Strict base64url (RFC 7515 §2): no padding, URL-safe alphabet only, canonical trailing bits.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Decodes strict base64url.
pub(crate) fn decode(input: impl AsRef<[u8]>) -> Result<Vec<u8>, base64::DecodeError> {
    STRICT.decode(input)
}

/// Encodes base64url without padding.
pub(crate) fn encode(input: impl AsRef<[u8]>) -> String {
    STRICT.encode(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_padding_standard_alphabet_and_non_canonical_bits() {
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert!(decode("YQ==").is_err(), "padding");
        assert!(decode("+/+/").is_err(), "standard alphabet");
        assert!(decode("YR").is_err(), "non-canonical trailing bits");
        assert!(decode("Y").is_err(), "impossible length");
        assert!(decode("Y Q").is_err(), "space");
        assert_eq!(decode("").unwrap(), b"");
    }
}
