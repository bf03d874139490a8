//! The builder's claim and header policy (leeway, required claims, `typ`, RFC 9068) and its clock.

use std::sync::Arc;
use std::time::Duration;

use super::VerifierBuilder;
use crate::clock::Clock;
use crate::verify::jws::TypPolicy;

impl<C> VerifierBuilder<C> {
    /// Tolerance for clock skew when checking `exp` and `nbf`. Defaults to 60 seconds.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{Issuer, Verifier, clock::FixedClock, testing::TestKey};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = || Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").clock(FixedClock(1_700_000_000.0));
    /// // The clock says 1_700_000_000; the token expired 30 s ago.
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_699_999_970}));
    /// let lenient = builder().leeway(Duration::from_secs(60)).build()?;
    /// assert!(lenient.verify(&token).await.is_ok());
    /// let strict = builder().leeway(Duration::from_secs(10)).build()?;
    /// assert_eq!(strict.verify(&token).await.unwrap_err().code(), "expired");
    /// # Ok(())
    /// # }
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuses tokens issued longer ago than `age` (by their `iat`, with the leeway), for
    /// providers that issue long-lived tokens; a token without `iat` is then refused too. Off by
    /// default.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{Issuer, Verifier, clock::FixedClock, testing::TestKey};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let token = |iat: Option<i64>| { let mut c = serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_800_000_000}); if let Some(iat) = iat { c["iat"] = iat.into(); } key.token(&c) };
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
    ///     .audience("api")
    ///     .clock(FixedClock(1_700_000_000.0))
    ///     .max_token_age(Duration::from_secs(3600))
    ///     .build()?;
    /// assert!(verifier.verify(&token(Some(1_700_000_000 - 3600))).await.is_ok());
    /// let old = verifier.verify(&token(Some(1_700_000_000 - 7200))).await.unwrap_err();
    /// assert_eq!((old.code(), old.description()), ("expired", "token too old"));
    /// let no_iat = verifier.verify(&token(None)).await.unwrap_err();
    /// assert_eq!((no_iat.code(), no_iat.description()), ("invalid_claim", "iat missing"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_token_age(mut self, age: Duration) -> Self {
        self.max_token_age = Some(age);
        self
    }

    /// Claims that must be present (a member with the value `null` counts as present), in
    /// addition to `exp`, `iss`, and `aud` (unless
    /// [`insecure_skip_audience`](Self::insecure_skip_audience)). `cnf` can't be required:
    /// sender-constrained tokens are never accepted as bearer tokens.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let token = |extra: serde_json::Value| { let mut c = json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}); c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone()); key.token(&c) };
    /// let verifier = builder.required_claims(["tenant"]).build()?;
    /// assert!(verifier.verify(&token(json!({"tenant": "acme"}))).await.is_ok());
    /// assert!(verifier.verify(&token(json!({"tenant": null}))).await.is_ok());
    /// assert_eq!(verifier.verify(&token(json!({}))).await.unwrap_err().code(), "invalid_claim");
    /// # Ok(())
    /// # }
    /// ```
    pub fn required_claims<I, S>(mut self, claims: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required.extend(claims.into_iter().map(Into::into));
        self
    }

    /// The accepted `typ` header values, compared case-insensitively with the `application/`
    /// prefix optional ([RFC 7515 §4.1.9](https://www.rfc-editor.org/rfc/rfc7515#section-4.1.9)).
    ///
    /// Defaults to `JWT` and `at+jwt` (plus tokens without `typ`): a logout token, a DPoP proof
    /// or a security event token is never accepted as an access token
    /// ([RFC 8725 §3.11](https://www.rfc-editor.org/rfc/rfc8725#section-3.11)).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let typed = |typ: &str| key.sign(&json!({"alg": "ES256", "kid": "k1", "typ": typ}), &json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let verifier = builder.token_types(["at+jwt"]).build()?;
    /// assert!(verifier.verify(&typed("application/AT+JWT")).await.is_ok());
    /// assert_eq!(verifier.verify(&typed("JWT")).await.unwrap_err().code(), "wrong_type");
    /// # Ok(())
    /// # }
    /// ```
    pub fn token_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.typ.accepted = types
            .into_iter()
            .map(|t| TypPolicy::normalize(t.as_ref()))
            .collect();
        self
    }

    /// Refuses tokens without a `typ` header. Defaults to `false` (tokens without `typ` pass).
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = || Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let claims = json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60});
    /// let untyped = key.sign(&json!({"alg": "ES256", "kid": "k1"}), &claims);
    /// assert!(builder().build()?.verify(&untyped).await.is_ok());
    /// let verifier = builder().require_token_type(true).build()?;
    /// assert_eq!(verifier.verify(&untyped).await.unwrap_err().code(), "wrong_type");
    /// # Ok(())
    /// # }
    /// ```
    pub fn require_token_type(mut self, require: bool) -> Self {
        self.typ.allow_absent = !require;
        self
    }

    /// The clock token times are checked against. Defaults to
    /// [`SystemClock`](crate::clock::SystemClock).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{ManualClock, TestKey}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": 1_700_000_060}));
    /// let clock = ManualClock::at(1_700_000_000.0); // the token expires 60 s later
    /// let verifier = builder.clock(clock.clone()).build()?;
    /// assert!(verifier.verify(&token).await.is_ok());
    /// clock.advance(Duration::from_secs(120)); // past `exp` plus the 60 s leeway
    /// assert_eq!(verifier.verify(&token).await.unwrap_err().code(), "expired");
    /// # Ok(())
    /// # }
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The JWT access token profile of [RFC 9068](https://www.rfc-editor.org/rfc/rfc9068): `typ`
    /// must be `at+jwt` (or `application/at+jwt`), the claims `iss exp aud sub client_id iat jti`
    /// are required, and an audience is compulsory (no `insecure_skip_audience`). An ID token
    /// never passes as an access token: one carrying `nonce`, `at_hash` or `c_hash`, or whose
    /// `aud` names its own `client_id`, is refused with `invalid_token`.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let claims = json!({"iss": "https://issuer.example", "aud": "api", "sub": "alice", "client_id": "app", "iat": now(), "jti": "t-1", "exp": now() + 60});
    /// let verifier = builder.rfc9068().build()?;
    /// let access_token = key.sign(&json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}), &claims);
    /// assert!(verifier.verify(&access_token).await.is_ok());
    /// assert_eq!(verifier.verify(&key.token(&claims)).await.unwrap_err().code(), "wrong_type"); // `typ: JWT`
    /// # Ok(())
    /// # }
    /// ```
    pub fn rfc9068(mut self) -> Self {
        self.rfc9068 = true;
        self
    }
}
