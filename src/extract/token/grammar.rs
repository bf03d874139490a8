//! The grammars a token is read with: cookie pairs (RFC 6265), optional whitespace, and RFC
//! 6750's `b64token`.

/// Calls `found` with the value of every cookie named `name` in one `Cookie` header
/// (RFC 6265 §4.2.1), surrounding double quotes removed. Empty values are left out.
pub(super) fn cookie_values<'h>(header: &'h [u8], name: &[u8], mut found: impl FnMut(&'h [u8])) {
    for pair in header.split(|b| *b == b';') {
        let pair = trim_ows(pair);
        let Some(eq) = pair.iter().position(|b| *b == b'=') else {
            continue;
        };
        if trim_ows(&pair[..eq]) != name {
            continue;
        }
        let mut value = trim_ows(&pair[eq + 1..]);
        if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
            value = &value[1..value.len() - 1];
        }
        if !value.is_empty() {
            found(value);
        }
    }
}

pub(super) fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Checks the RFC 6750 §2.1 `b64token` grammar: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`.
pub(super) fn as_b64token(token: &[u8]) -> Option<&str> {
    let body_end = token.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
    if body_end == 0 {
        return None;
    }
    // Branch-free per byte and checked 64 bytes at a time, so the compiler can use SIMD compares:
    // a token of a few hundred bytes is checked on every request.
    let ok = token[..body_end]
        .chunks(64)
        .all(|chunk| chunk.iter().fold(true, |ok, b| ok & is_b64token_char(*b)));
    if !ok {
        return None;
    }
    std::str::from_utf8(token).ok()
}

fn is_b64token_char(b: u8) -> bool {
    b.is_ascii_lowercase()
        | b.is_ascii_uppercase()
        | b.is_ascii_digit()
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+')
        | (b == b'/')
}
