//! Unit tests of the claim types.

use super::*;

fn raw(json: &str, required: &[String]) -> Result<RawClaims, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    ClaimsSeed { required }.deserialize(&mut de)
}

#[test]
fn duplicates_of_read_members_are_errors() {
    for json in [
        r#"{"exp":1,"exp":2}"#,
        r#"{"iss":"a","iss":"b"}"#,
        r#"{"aud":"a","aud":"b"}"#,
        r#"{"cnf":{},"cnf":{}}"#,
        r#"{"\u0065xp":1,"exp":2}"#,
    ] {
        assert!(raw(json, &[]).is_err(), "{json}");
    }
    assert!(raw(r#"{"other":1,"other":2}"#, &[]).is_ok());
    assert!(raw(r#"{"tenant":1,"tenant":2}"#, &["tenant".to_owned()]).is_err());
}

#[test]
fn scopes_merge_scope_and_scp() {
    let c: RegisteredClaims =
        serde_json::from_str(r#"{"scope":"read  write","scp":["admin","read"]}"#).unwrap();
    assert_eq!(
        c.scopes.iter().collect::<Vec<_>>(),
        ["admin", "read", "write"]
    );
    let c: RegisteredClaims = serde_json::from_str(r#"{"scp":"a b"}"#).unwrap();
    assert!(c.scopes.contains("a") && c.scopes.contains("b"));
}

#[test]
fn registered_claims_read_types_strictly() {
    let c: RegisteredClaims =
        serde_json::from_str(r#"{"iss":"i","aud":["a","b"],"exp":1.9,"sub":"s"}"#).unwrap();
    assert_eq!(c.aud, ["a", "b"]);
    assert_eq!(c.exp, Some(1));
    assert!(serde_json::from_str::<RegisteredClaims>(r#"{"exp":"1"}"#).is_err());
    assert!(serde_json::from_str::<RegisteredClaims>(r#"{"iss":["i"]}"#).is_err());
}

#[test]
fn required_claims_are_noticed() {
    let req = ["tenant".to_owned(), "roles".to_owned()];
    let r = raw(r#"{"roles":[],"x":1}"#, &req).unwrap();
    assert_eq!(r.required_found, 0b10);
}
