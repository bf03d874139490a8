//! JWK sets read key by key (RFC 7517): unusable keys are skipped with a reason, twins folded.

use std::sync::Arc;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::*;
use crate::b64;

#[derive(Deserialize)]
struct JwksDoc<'a> {
    #[serde(borrow)]
    keys: Vec<&'a RawValue>,
}

/// The members of a JWK this crate reads. Derived, so a duplicate of any of them is an error
/// (serde_json's `Value` would keep the last one silently).
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default, deserialize_with = "crate::de::present")]
    kid: Option<crate::de::Loose<String>>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    k: Option<String>,
    // Private members: their presence makes the key unusable here.
    #[serde(default)]
    d: Option<IgnoredAny>,
    #[serde(default)]
    p: Option<IgnoredAny>,
    #[serde(default)]
    q: Option<IgnoredAny>,
    #[serde(default)]
    dp: Option<IgnoredAny>,
    #[serde(default)]
    dq: Option<IgnoredAny>,
    #[serde(default)]
    qi: Option<IgnoredAny>,
    #[serde(default)]
    oth: Option<IgnoredAny>,
}

/// Just enough of a JWK to report its `kid` when the rest doesn't parse.
#[derive(Deserialize)]
struct KidOnly {
    #[serde(default)]
    kid: Option<String>,
}

/// The `kid` of a JWK for a report, when it is a string of reasonable length.
fn reported_kid(json: &str) -> Option<String> {
    serde_json::from_str::<KidOnly>(json)
        .ok()
        .and_then(|k| k.kid)
        .filter(|k| k.len() <= MAX_KID_LEN)
}

/// Just the `kid` and `kty` of a JWK, read leniently, for a key that did not parse.
#[derive(Deserialize)]
struct KidKty {
    #[serde(default)]
    kid: Option<crate::de::Loose<String>>,
    #[serde(default)]
    kty: Option<crate::de::Loose<String>>,
}

/// Skip reasons of keys declared for something else (or of a kind this crate never verifies
/// with): such a key sharing a signing key's `kid` is no rival to it.
fn declared_for_other_use(reason: &str) -> bool {
    matches!(
        reason,
        "`use` is not `sig`"
            | "`key_ops` does not include `verify`"
            | "unsupported `alg`"
            | "unsupported `kty`"
            | "unsupported EC curve"
            | "unsupported OKP curve"
            | "symmetric (`oct`) key in a public key set"
    )
}

/// The `kty` a key family is published under.
fn kty_of(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Rsa => "RSA",
        KeyFamily::P256 | KeyFamily::P384 => "EC",
        KeyFamily::Ed25519 => "OKP",
        KeyFamily::Hmac => "oct",
    }
}

/// Why a key with private members is skipped (a DPoP proof's `jwk` names it in its own words).
pub(crate) const PRIVATE_KEY_MATERIAL: &str = "holds private key material";

/// Parses a JWKS document (`{"keys": [...]}`) key by key.
///
/// Errors only when the document itself is not a JWKS; bad keys are skipped and reported. In
/// this order:
/// 1. every key is read on its own: one this crate can't or won't use (`use: enc`, `key_ops`
///    without `verify`, an unknown `kty`, private members, a weak RSA key, …) is skipped, and so
///    is one that no allowed algorithm can use;
///    a key that is malformed (rather than declared for another use) still claims its `kid` and
///    `kty` for the next rule: nobody can tell it is not a different signing key;
/// 2. keys that share a `kid` and a key family are one key when their material is the same (a
///    key published once per `alg` is usable with each of those algorithms); when it differs
///    the `kid` is ambiguous and all of them are skipped (RFC 7517 §4.5 lets a kid name keys of
///    *different* types, and those stay usable);
/// 3. `oct` keys in a set that also holds public keys are skipped, so no public key and secret
///    ever sit side by side for an algorithm-confusion attempt.
pub(crate) fn parse_jwks(json: &[u8], rules: KeySetRules) -> Result<ParsedKeys, &'static str> {
    if first_non_ws(json) != Some(b'{') {
        return Err("not a JSON object");
    }
    let doc: JwksDoc<'_> =
        serde_json::from_slice(json).map_err(|_| "not a JSON object with a `keys` array")?;
    let raw_keys = &doc.keys[..doc.keys.len().min(rules.max_keys)];
    let mut skipped = Vec::new();
    let mut keys = Vec::with_capacity(raw_keys.len());
    let mut rivals: Vec<(String, String)> = Vec::new();
    for (index, raw) in raw_keys.iter().enumerate() {
        match parse_jwk(raw.get(), rules) {
            Ok(key) => keys.push((index, key)),
            Err((kid, reason)) => {
                if !declared_for_other_use(reason)
                    && let Ok(KidKty {
                        kid: Some(crate::de::Loose::Ok(kid)),
                        kty: Some(crate::de::Loose::Ok(kty)),
                    }) = serde_json::from_str(raw.get())
                {
                    rivals.push((kid, kty));
                }
                skipped.push(SkippedKey { index, kid, reason });
            }
        }
    }
    if doc.keys.len() > rules.max_keys {
        // One entry for all of them: the report stays as small as the limit.
        skipped.push(SkippedKey {
            index: rules.max_keys,
            kid: None,
            reason: "this and every later key: over the key-count limit",
        });
    }
    let keys = keep_usable(keys, rules.allowed, &mut skipped);
    let mut keys = merge_twins(keys, &rivals, &mut skipped);
    if keys.iter().any(|(_, k)| k.family == KeyFamily::Hmac)
        && keys.iter().any(|(_, k)| k.family != KeyFamily::Hmac)
    {
        let (secrets, public): (Vec<_>, Vec<_>) = keys
            .into_iter()
            .partition(|(_, k)| k.family == KeyFamily::Hmac);
        keys = public;
        skipped.extend(secrets.into_iter().map(|(index, k)| SkippedKey {
            index,
            kid: k.kid.as_deref().map(str::to_owned),
            reason: "symmetric key in a set with public keys",
        }));
    }
    skipped.sort_by_key(|s| s.index);
    Ok(ParsedKeys {
        keys: keys.into_iter().map(|(_, k)| k).collect(),
        skipped,
    })
}

/// Folds the usable keys that share a `kid` (or lack one) and a family: the same material is one
/// key, usable with every algorithm its copies name (any allowed one when a copy names none);
/// different material under one `kid` (or a malformed key of the same `kty` there, one of
/// `rivals`) is ambiguous, and every copy is skipped. Kid-less keys with different material stay
/// apart (each is tried in turn).
fn merge_twins(
    keys: Vec<(usize, PreparedKey)>,
    rivals: &[(String, String)],
    skipped: &mut Vec<SkippedKey>,
) -> Vec<(usize, PreparedKey)> {
    let mut out: Vec<(usize, PreparedKey)> = Vec::with_capacity(keys.len());
    let mut ambiguous: Vec<(Arc<str>, KeyFamily)> = Vec::new();
    for (index, key) in keys {
        let twin = out.iter_mut().find(|(_, k)| {
            k.kid == key.kid && k.family == key.family && (k.kid.is_some() || k.same_material(&key))
        });
        match twin {
            None => out.push((index, key)),
            Some((_, kept)) if kept.same_material(&key) => {
                let algs = match (kept.algs, key.algs) {
                    (Some(mut a), Some(b)) => {
                        a.0 |= b.0;
                        Some(a)
                    }
                    _ => None,
                };
                *kept = PreparedKey::new(
                    kept.kid.clone(),
                    kept.family,
                    algs,
                    kept.key.clone(),
                    kept.secret_len,
                );
            }
            Some((_, kept)) => {
                if let Some(kid) = &kept.kid {
                    ambiguous.push((kid.clone(), kept.family));
                }
                skipped.push(SkippedKey {
                    index,
                    kid: key.kid.as_deref().map(str::to_owned),
                    reason: "kid shared with another key of the same type",
                });
            }
        }
    }
    out.retain(|(index, k)| {
        let shared = k.kid.as_ref().is_some_and(|kid| {
            ambiguous.iter().any(|(a, f)| a == kid && *f == k.family)
                || rivals
                    .iter()
                    .any(|(r, kty)| **r == **kid && kty == kty_of(k.family))
        });
        if shared {
            skipped.push(SkippedKey {
                index: *index,
                kid: k.kid.as_deref().map(str::to_owned),
                reason: "kid shared with another key of the same type",
            });
        }
        !shared
    });
    out
}

fn first_non_ws(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

pub(crate) type SkipReason = (Option<String>, &'static str);

/// Reads one JWK by the rules of a key set: what a key set would skip, this refuses, with the
/// reason.
pub(crate) fn parse_jwk(json: &str, rules: KeySetRules) -> Result<PreparedKey, SkipReason> {
    if first_non_ws(json.as_bytes()) != Some(b'{') {
        return Err((None, "not a JSON object"));
    }
    let jwk: RawJwk = match serde_json::from_str(json) {
        Ok(jwk) => jwk,
        Err(_) => {
            let kid = reported_kid(json);
            return Err((kid, "malformed member (wrong type or duplicate)"));
        }
    };
    let kid = match &jwk.kid {
        None => None,
        Some(crate::de::Loose::Ok(kid)) if kid.len() <= MAX_KID_LEN => Some(kid.clone()),
        Some(crate::de::Loose::Ok(_)) => return Err((None, "kid too long")),
        Some(crate::de::Loose::WrongType) => return Err((None, "kid is not a string")),
    };
    let skip = |reason: &'static str| Err((kid.clone(), reason));

    if !matches!(jwk.kty.as_str(), "RSA" | "EC" | "OKP" | "oct") {
        return skip("unsupported `kty`");
    }
    if let Some(u) = &jwk.use_
        && u != "sig"
    {
        return skip("`use` is not `sig`");
    }
    if let Some(ops) = &jwk.key_ops
        && !ops.iter().any(|op| op == "verify")
    {
        return skip("`key_ops` does not include `verify`");
    }
    let alg = match &jwk.alg {
        None => None,
        Some(name) => match parse_alg(name) {
            Some(alg) => Some(alg),
            None => return skip("unsupported `alg`"),
        },
    };
    let has_private = jwk.d.is_some()
        || jwk.p.is_some()
        || jwk.q.is_some()
        || jwk.dp.is_some()
        || jwk.dq.is_some()
        || jwk.qi.is_some()
        || jwk.oth.is_some();
    if has_private {
        return skip(PRIVATE_KEY_MATERIAL);
    }

    let (family, key, secret_len) = match jwk.kty.as_str() {
        "RSA" => {
            let (Some(n), Some(e)) = (&jwk.n, &jwk.e) else {
                return skip("RSA key without `n` or `e`");
            };
            let (Ok(n), Ok(e)) = (b64::decode(n), b64::decode(e)) else {
                return skip("RSA `n` or `e` is not base64url");
            };
            match rsa_key(&n, &e) {
                Ok(key) => (KeyFamily::Rsa, key, 0),
                Err(reason) => return skip(reason),
            }
        }
        "EC" => {
            let (family, size) = match jwk.crv.as_deref() {
                Some("P-256") => (KeyFamily::P256, 32),
                Some("P-384") => (KeyFamily::P384, 48),
                Some(_) => return skip("unsupported EC curve"),
                None => return skip("EC key without `crv`"),
            };
            let (Some(x), Some(y)) = (&jwk.x, &jwk.y) else {
                return skip("EC key without `x` or `y`");
            };
            let (Ok(x), Ok(y)) = (b64::decode(x), b64::decode(y)) else {
                return skip("EC `x` or `y` is not base64url");
            };
            if x.len() != size || y.len() != size {
                return skip("EC coordinates of the wrong length");
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (family, DecodingKey::from_ec_der(&point), 0)
        }
        "OKP" => {
            if jwk.crv.as_deref() != Some("Ed25519") {
                return skip("unsupported OKP curve");
            }
            let Some(x) = &jwk.x else {
                return skip("OKP key without `x`");
            };
            let Ok(x) = b64::decode(x) else {
                return skip("OKP `x` is not base64url");
            };
            if x.len() != 32 {
                return skip("Ed25519 key of the wrong length");
            }
            (KeyFamily::Ed25519, DecodingKey::from_ed_der(&x), 0)
        }
        "oct" => {
            if !rules.allow_oct {
                return skip("symmetric (`oct`) key in a public key set");
            }
            let Some(k) = &jwk.k else {
                return skip("oct key without `k`");
            };
            let Ok(secret) = b64::decode(k) else {
                return skip("oct `k` is not base64url");
            };
            if secret.len() < 32 {
                return skip("HMAC secret shorter than 32 bytes");
            }
            let len = secret.len();
            (KeyFamily::Hmac, DecodingKey::from_secret(&secret), len)
        }
        _ => return skip("unsupported `kty`"),
    };
    if let Some(alg) = alg {
        if KeyFamily::of(alg) != Some(family) {
            return skip("`alg` does not fit the key type");
        }
        if family == KeyFamily::Hmac && secret_len < hmac_min_len(alg) {
            return skip("HMAC secret shorter than its algorithm's hash");
        }
    }
    Ok(PreparedKey::new(
        kid.map(Arc::from),
        family,
        alg.map(|alg| [alg].into_iter().collect()),
        key,
        secret_len,
    ))
}
