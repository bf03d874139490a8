//! Small serde helpers that accept a JSON value of any type and record whether it had the type
//! the verifier wants, so a wrong type becomes a precise rejection instead of a generic parse error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A member's value: of the expected type, or of another one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Loose<T> {
    Ok(T),
    WrongType,
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the `visit_*` methods for the JSON types a visitor does not want, answering `WrongType`.
macro_rules! wrong_types {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> { Ok(Loose::WrongType) })*
    };
}

macro_rules! wrong_containers {
    (seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Ok(Loose::WrongType)
        }
    };
    (map) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map)?;
            Ok(Loose::WrongType)
        }
    };
}

macro_rules! wrong_unit {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Loose::WrongType)
        }
    };
}

/// A string member.
impl<'de> Deserialize<'de> for Loose<String> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose::Ok(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose::Ok(v))
            }
            wrong_types!(
                visit_bool(bool),
                visit_i64(i64),
                visit_u64(u64),
                visit_f64(f64)
            );
            wrong_unit!();
            wrong_containers!(seq);
            wrong_containers!(map);
        }
        d.deserialize_any(V)
    }
}

/// A `NumericDate` member (RFC 7519 §2: a JSON number, possibly non-integer).
impl<'de> Deserialize<'de> for Loose<f64> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<f64>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Loose::Ok(v as f64))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Loose::Ok(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(if v.is_finite() {
                    Loose::Ok(v)
                } else {
                    Loose::WrongType
                })
            }
            wrong_types!(visit_bool(bool), visit_str(&str));
            wrong_unit!();
            wrong_containers!(seq);
            // With serde_json's `arbitrary_precision` feature (which any crate in a build can turn
            // on), numbers arrive as a one-member map holding the number's text.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut number = None;
                let mut members = 0;
                while let Some(key) = map.next_key::<String>()? {
                    members += 1;
                    if key == ARBITRARY_PRECISION_TOKEN {
                        number = Some(map.next_value::<String>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(match number.map(|n| n.parse::<f64>()) {
                    Some(Ok(v)) if members == 1 && v.is_finite() => Loose::Ok(v),
                    _ => Loose::WrongType,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// The member name serde_json uses for numbers under its `arbitrary_precision` feature.
const ARBITRARY_PRECISION_TOKEN: &str = "$serde_json::private::Number";

/// For `#[serde(deserialize_with = "present")]`: a member that is present is `Some`, even when
/// it is `null`, so `null` is never mistaken for an absent member.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A string or an array of strings (`aud`, and `scp` as some providers send it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StrOrList {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for Loose<StrOrList> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<StrOrList>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose::Ok(StrOrList::One(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose::Ok(StrOrList::One(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                let mut all_strings = true;
                while let Some(item) = seq.next_element::<Loose<String>>()? {
                    match item {
                        Loose::Ok(s) if all_strings => items.push(s),
                        Loose::Ok(_) => {}
                        Loose::WrongType => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    Loose::Ok(StrOrList::Many(items))
                } else {
                    Loose::WrongType
                })
            }
            wrong_types!(
                visit_bool(bool),
                visit_i64(i64),
                visit_u64(u64),
                visit_f64(f64)
            );
            wrong_unit!();
            wrong_containers!(map);
        }
        d.deserialize_any(V)
    }
}

/// The deepest nesting of arrays and objects in a JSON text (strings skipped), scanned without
/// parsing or allocating, so a claim set nested too deeply is refused before any parser sees it.
pub(crate) fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Whether a byte slice holds a JSON object (its first non-blank byte is `{`).
///
/// serde's derived structs also accept JSON arrays (fields by position), so every header and
/// claim set is checked with this first.
pub(crate) fn is_json_object(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_skips_strings() {
        assert_eq!(json_depth(br#"{}"#), 1);
        assert_eq!(json_depth(br#"{"a":[{"b":[]}]}"#), 4);
        assert_eq!(json_depth(br#"{"a":"[[[[{{{{"}"#), 1);
        assert_eq!(json_depth(br#"{"a":"\"[[[["}"#), 1);
        assert_eq!(json_depth(br#"{"a":"\\","b":[[]]}"#), 3);
    }

    #[test]
    fn loose_string_marks_other_types() {
        assert_eq!(
            serde_json::from_str::<Loose<String>>(r#""a""#).unwrap(),
            Loose::Ok("a".into())
        );
        assert_eq!(
            serde_json::from_str::<Loose<String>>(r#"["a"]"#).unwrap(),
            Loose::WrongType
        );
        assert_eq!(
            serde_json::from_str::<Loose<String>>(r#"{"a":1}"#).unwrap(),
            Loose::WrongType
        );
        assert_eq!(
            serde_json::from_str::<Loose<String>>("null").unwrap(),
            Loose::WrongType
        );
    }

    #[test]
    fn loose_number_accepts_fractions_and_refuses_strings() {
        assert_eq!(
            serde_json::from_str::<Loose<f64>>("1.5").unwrap(),
            Loose::Ok(1.5)
        );
        assert_eq!(
            serde_json::from_str::<Loose<f64>>("17").unwrap(),
            Loose::Ok(17.0)
        );
        assert_eq!(
            serde_json::from_str::<Loose<f64>>(r#""17""#).unwrap(),
            Loose::WrongType
        );
    }

    #[test]
    fn numbers_in_arbitrary_precision_form_are_numbers() {
        let json = r#"{"$serde_json::private::Number":"1700000000.5"}"#;
        assert_eq!(
            serde_json::from_str::<Loose<f64>>(json).unwrap(),
            Loose::Ok(1_700_000_000.5)
        );
        let two = r#"{"$serde_json::private::Number":"1","x":2}"#;
        assert_eq!(
            serde_json::from_str::<Loose<f64>>(two).unwrap(),
            Loose::WrongType
        );
        assert_eq!(
            serde_json::from_str::<Loose<f64>>(r#"{"a":1}"#).unwrap(),
            Loose::WrongType
        );
    }

    #[test]
    fn numeric_edge_cases() {
        assert_eq!(
            serde_json::from_str::<Loose<f64>>("1e308").unwrap(),
            Loose::Ok(1e308)
        );
        assert_eq!(
            serde_json::from_str::<Loose<f64>>("-0").unwrap(),
            Loose::Ok(0.0)
        );
        assert!(
            serde_json::from_str::<Loose<f64>>("1e400").is_err(),
            "out of range is malformed"
        );
        assert_eq!(
            serde_json::from_str::<Loose<f64>>("18446744073709551616").unwrap(),
            Loose::Ok(2f64.powi(64))
        );
    }

    #[test]
    fn str_or_list_refuses_mixed_arrays() {
        assert_eq!(
            serde_json::from_str::<Loose<StrOrList>>(r#"["a","b"]"#).unwrap(),
            Loose::Ok(StrOrList::Many(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            serde_json::from_str::<Loose<StrOrList>>(r#"["a",1]"#).unwrap(),
            Loose::WrongType
        );
    }
}
