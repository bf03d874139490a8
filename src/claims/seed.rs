//! [`ClaimsSeed`]'s one-pass reader: each member once, the registered ones typed loosely.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

use super::{Binding, ClaimsSeed, RawClaims};
use crate::de::Loose;

/// The members of `cnf` this crate reads; a duplicate makes the whole claim unreadable.
#[derive(serde::Deserialize)]
struct RawCnf {
    #[serde(default)]
    jkt: Option<Loose<String>>,
    #[serde(default, rename = "x5t#S256")]
    x5t_s256: Option<Loose<String>>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum CnfValue {
    Object(RawCnf),
    Other(IgnoredAny),
}

impl From<CnfValue> for Binding {
    fn from(value: CnfValue) -> Self {
        let CnfValue::Object(cnf) = value else {
            return Self {
                unreadable: true,
                ..Self::default()
            };
        };
        let mut unreadable = false;
        let mut read = |member: Option<Loose<String>>| match member {
            None => None,
            Some(Loose::Ok(value)) => Some(value.into_boxed_str()),
            Some(Loose::WrongType) => {
                unreadable = true;
                None
            }
        };
        let jkt = read(cnf.jkt);
        let x5t_s256 = read(cnf.x5t_s256);
        Self {
            jkt,
            x5t_s256,
            unreadable,
        }
    }
}

enum Field {
    Iss,
    Sub,
    Aud,
    Exp,
    Nbf,
    Iat,
    Jti,
    Scope,
    Scp,
    Cnf,
    Tid,
    ClientId,
    /// `nonce`, `at_hash`, `c_hash`; also a required claim (its index) when configured as one.
    IdTokenOnly(Option<usize>),
    Required(usize),
    Other,
}

struct FieldSeed<'a>(&'a [String]);

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Field;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Field;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        Ok(match v {
            "iss" => Field::Iss,
            "sub" => Field::Sub,
            "aud" => Field::Aud,
            "exp" => Field::Exp,
            "nbf" => Field::Nbf,
            "iat" => Field::Iat,
            "jti" => Field::Jti,
            "scope" => Field::Scope,
            "scp" => Field::Scp,
            "cnf" => Field::Cnf,
            "tid" => Field::Tid,
            "client_id" => Field::ClientId,
            "nonce" | "at_hash" | "c_hash" => {
                Field::IdTokenOnly(self.0.iter().position(|r| r == v))
            }
            other => match self.0.iter().position(|r| r == other) {
                Some(i) => Field::Required(i),
                None => Field::Other,
            },
        })
    }
}

fn set_once<'de, A: MapAccess<'de>, T: de::Deserialize<'de>>(
    slot: &mut Option<T>,
    name: &'static str,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = RawClaims;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawClaims, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = RawClaims;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims, A::Error> {
        let mut out = RawClaims::default();
        while let Some(field) = map.next_key_seed(FieldSeed(self.required))? {
            match field {
                Field::Iss => set_once(&mut out.iss, "iss", &mut map)?,
                Field::Sub => set_once(&mut out.sub, "sub", &mut map)?,
                Field::Aud => set_once(&mut out.aud, "aud", &mut map)?,
                Field::Exp => set_once(&mut out.exp, "exp", &mut map)?,
                Field::Nbf => set_once(&mut out.nbf, "nbf", &mut map)?,
                Field::Iat => set_once(&mut out.iat, "iat", &mut map)?,
                Field::Jti => set_once(&mut out.jti, "jti", &mut map)?,
                Field::Scope => set_once(&mut out.scope, "scope", &mut map)?,
                Field::Scp => set_once(&mut out.scp, "scp", &mut map)?,
                Field::Tid => set_once(&mut out.tid, "tid", &mut map)?,
                Field::ClientId => set_once(&mut out.client_id, "client_id", &mut map)?,
                Field::IdTokenOnly(required) => {
                    map.next_value::<IgnoredAny>()?;
                    if let Some(i) = required {
                        let bit = 1u64 << i;
                        if out.required_found & bit != 0 {
                            return Err(de::Error::custom("duplicate required claim"));
                        }
                        out.required_found |= bit;
                    }
                    out.id_token_member = true;
                }
                Field::Cnf => {
                    if out.cnf.is_some() {
                        return Err(de::Error::duplicate_field("cnf"));
                    }
                    out.cnf = Some(Binding::from(map.next_value::<CnfValue>()?));
                }
                Field::Required(i) => {
                    let bit = 1u64 << i;
                    if out.required_found & bit != 0 {
                        return Err(de::Error::custom("duplicate required claim"));
                    }
                    map.next_value::<IgnoredAny>()?;
                    out.required_found |= bit;
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}
