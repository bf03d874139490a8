//! Unit tests of key parsing and the key store.

use jsonwebtoken::{Algorithm, DecodingKey};

use super::pem::has_roca_fingerprint;
use super::prepared::key_bytes;
use super::*;

const ALL: AlgSet = AlgSet(0x0fff);
const RULES: KeySetRules = KeySetRules {
    allow_oct: false,
    max_keys: 100,
    allowed: Some(ALL),
};

#[test]
fn jwks_with_unusable_members_keeps_the_good_ones() {
    let jwks = br#"{"keys":[
        {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"good"},
        {"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA","kid":"pq"},
        {"kty":"EC","crv":"P-521","x":"AA","y":"AA","kid":"p521"},
        {"kty":"EC","crv":"secp256k1","x":"AA","y":"AA","kid":"k1"},
        {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":7},
        {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"x5c","x5c":"notarray"},
        {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"},
        {"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"},
        "not an object"
    ]}"#;
    let parsed = parse_jwks(jwks, RULES).unwrap();
    let kids: Vec<_> = parsed.keys.iter().map(|k| k.kid.as_deref()).collect();
    assert_eq!(kids, vec![Some("good"), Some("x5c")]);
    assert_eq!(parsed.skipped.len(), 7);
    assert!(
        parsed
            .skipped
            .iter()
            .any(|s| s.reason == "unsupported `kty`")
    );
    assert!(
        parsed
            .skipped
            .iter()
            .any(|s| s.reason == "unsupported EC curve")
    );
}

#[test]
fn a_null_or_numeric_kid_skips_the_key() {
    let jwks = br#"{"keys":[
        {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":null},
        {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":5}]}"#;
    let parsed = parse_jwks(jwks, RULES).unwrap();
    assert!(parsed.keys.is_empty());
    assert_eq!(parsed.skipped.len(), 2);
}

#[test]
fn keys_over_the_limit_are_reported_once() {
    let one = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let many = vec![one; 1000].join(",");
    let rules = KeySetRules {
        max_keys: 3,
        ..RULES
    };
    let parsed = parse_jwks(format!(r#"{{"keys":[{many}]}}"#).as_bytes(), rules).unwrap();
    assert!(parsed.keys.len() + parsed.skipped.len() <= 4);
    assert_eq!(parsed.skipped.last().unwrap().index, 3);
}

#[test]
fn not_a_jwks_is_an_error() {
    assert!(parse_jwks(b"[]", RULES).is_err());
    assert!(parse_jwks(b"{}", RULES).is_err());
    assert!(parse_jwks(br#"{"keys":[],"keys":[]}"#, RULES).is_err());
}

#[test]
fn duplicate_member_in_a_jwk_skips_that_key() {
    let jwks = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"AAAA"}]}"#;
    let parsed = parse_jwks(jwks, RULES).unwrap();
    assert!(parsed.keys.is_empty());
    assert_eq!(parsed.skipped.len(), 1);
}

#[test]
fn rsa_parameters_are_vetted() {
    let n = [0xffu8; 256];
    assert!(rsa_key(&n, &[1, 0, 1]).is_ok());
    assert!(rsa_key(&n[..128], &[1, 0, 1]).is_err(), "1024-bit modulus");
    assert!(rsa_key(&n, &[1]).is_err(), "e = 1");
    assert!(rsa_key(&n, &[2]).is_err(), "even e");
    let mut even = n;
    even[255] = 0xfe;
    assert!(rsa_key(&even, &[1, 0, 1]).is_err(), "even modulus");
}

#[test]
fn a_kid_shared_by_two_keys_of_one_type_is_ambiguous() {
    let a = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k"}"#;
    let b = r#"{"kty":"OKP","crv":"Ed25519","x":"AAqYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k"}"#;
    let ec = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k"}"#;
    let parsed = parse_jwks(format!(r#"{{"keys":[{a},{b}]}}"#).as_bytes(), RULES).unwrap();
    assert!(parsed.keys.is_empty());
    let parsed = parse_jwks(format!(r#"{{"keys":[{a},{a}]}}"#).as_bytes(), RULES).unwrap();
    assert_eq!(parsed.keys.len(), 1, "an exact repeat keeps one copy");
    let parsed = parse_jwks(format!(r#"{{"keys":[{a},{ec}]}}"#).as_bytes(), RULES).unwrap();
    assert_eq!(
        parsed.keys.len(),
        2,
        "one kid on keys of different types is fine"
    );
}

#[test]
fn secrets_beside_public_keys_are_skipped() {
    let rules = KeySetRules {
        allow_oct: true,
        ..RULES
    };
    let jwks = br#"{"keys":[
        {"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI","kid":"s"},
        {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"p"}]}"#;
    let parsed = parse_jwks(jwks, rules).unwrap();
    assert_eq!(parsed.keys.len(), 1);
    assert_eq!(parsed.keys[0].family, KeyFamily::Ed25519);
}

#[test]
fn rsa_material_is_read_unambiguously() {
    let n = [0xab; 256];
    let mut longer = n.to_vec();
    longer.push(1);
    let a = DecodingKey::from_rsa_raw_components(&n, &[1, 3]);
    let b = DecodingKey::from_rsa_raw_components(&longer, &[3]);
    assert_ne!(key_bytes(&a), key_bytes(&b));
}

#[test]
fn roca_fingerprint_is_detected() {
    // Residues of a fingerprinted modulus are what matters; build one by CRT-free search:
    // 65537^k mod every prime is in the subgroup by construction, so n = 65537 itself passes.
    assert!(has_roca_fingerprint(&[0x01, 0x00, 0x01]));
    assert!(!has_roca_fingerprint(&[0x01, 0x00, 0x03]));
    assert!(!has_roca_fingerprint(&[0xff; 256]));
}

#[test]
fn alg_set_is_exact() {
    let set: AlgSet = [Algorithm::RS256, Algorithm::EdDSA].into_iter().collect();
    assert!(set.contains(Algorithm::RS256));
    assert!(!set.contains(Algorithm::RS384));
    assert_eq!(set.iter().count(), 2);
    assert_eq!(parse_alg("rs256"), None);
    assert_eq!(parse_alg("none"), None);
    assert_eq!(parse_alg("EdDSA"), Some(Algorithm::EdDSA));
}
