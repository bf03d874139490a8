//! What the store writes and reads in Redis: the write scripts and the grammar of a subject's value.

use super::subject_covers;
use redis::Value;
use std::time::Duration;

/// `revoke_jti`: the key's time to live only grows. A missing key gets `1`; an existing one
/// (whatever another writer put there) keeps its value, and one without a time to live keeps
/// none. KEYS[1] the key, ARGV[1] the time to live in milliseconds.
pub(super) const REVOKE_JTI: &str = r"
local ttl = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left == -2 then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
elseif left >= 0 and left < ttl then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
";

/// `revoke_subject`: the revocation time and the time to live only grow. A value that is not a
/// number, or a key of another type, already revokes every token of the subject and is kept;
/// "a number" is exactly what [`revoked_at`] reads (digits, an optional sign and fraction, ASCII
/// white space around). KEYS[1] the key, ARGV[1] the NumericDate, ARGV[2] the time to live in
/// milliseconds. (`KEEPTTL` needs Redis 6.0 or later.)
pub(super) const REVOKE_SUBJECT: &str = r"
local at = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left == -2 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if redis.call('TYPE', KEYS[1]).ok == 'string' then
  local old = redis.call('GET', KEYS[1])
  if string.match(old, '^[ \t\n\r\f]*[+-]?%d+%.?%d*[ \t\n\r\f]*$') and tonumber(old) < at then
    redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
  end
end
if left >= 0 and left < ttl then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
";

/// A time to live in milliseconds, from 1 to 2^53 (about 285,000 years: exact in Lua's numbers).
pub(crate) fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, 1 << 53)
}

pub(super) fn subject_answer(value: &Value, iat: Option<i64>) -> bool {
    match value {
        Value::Nil => false,
        Value::BulkString(bytes) => match std::str::from_utf8(bytes).ok().and_then(revoked_at) {
            Some(at) => subject_covers(at, iat),
            // Not a time: the writer meant "revoked"; refuse every token of the subject.
            None => true,
        },
        Value::Int(at) => subject_covers(*at, iat),
        // Anything else under the key (another type: WRONGTYPE) was written to revoke.
        _ => true,
    }
}

/// The NumericDate in a subject key's value: ASCII digits with an optional sign and fraction,
/// white space around (the grammar the write script uses too). Anything else (`1e9`, `inf`,
/// `0x10`, words) is not a time, and so revokes every token of the subject.
pub(super) fn revoked_at(value: &str) -> Option<i64> {
    let value = value.trim_matches([' ', '\t', '\n', '\r', '\x0c']);
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    value.parse::<i64>().ok().or_else(|| {
        let float = value.parse::<f64>().ok().filter(|f| f.is_finite())?;
        #[allow(clippy::cast_possible_truncation)] // Saturating, and NumericDates are small.
        Some(float.floor() as i64)
    })
}
