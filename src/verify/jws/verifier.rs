//! [`JwsVerifier`] and [`Jws`]'s methods: building from a JWKS, verifying, reading the result.

use jsonwebtoken::Algorithm;

use super::*;

impl Jws {
    /// The algorithm the signature was checked with: the header's `alg`, once allowed.
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, JwsVerifier, testing::{TestKey, jwks}};
    ///
    /// let hs256 = TestKey::hmac(Algorithm::HS256, [7u8; 32]).with_kid("a");
    /// let hs384 = TestKey::hmac(Algorithm::HS384, [8u8; 48]).with_kid("b");
    /// let verifier = JwsVerifier::from_jwks(&jwks(&[&hs256, &hs384]), [Algorithm::HS256, Algorithm::HS384])?;
    /// let jws = verifier.verify(&hs384.sign_parts(r#"{"alg":"HS384","kid":"b"}"#, b"hi"))?;
    /// assert_eq!(jws.alg(), Algorithm::HS384);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The `kid` header, if any.
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, JwsVerifier};
    ///
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).with_kid("k1");
    /// # let verifier = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::HS256])?;
    /// let with_kid = verifier.verify(&key.sign_parts(r#"{"alg":"HS256","kid":"k1"}"#, b"hi"))?;
    /// assert_eq!(with_kid.kid(), Some("k1"));
    /// let without = verifier.verify(&key.sign_parts(r#"{"alg":"HS256"}"#, b"hi"))?;
    /// assert_eq!(without.kid(), None);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The decoded payload: any bytes, JSON or not.
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, JwsVerifier};
    ///
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).with_kid("k1");
    /// # let verifier = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::HS256])?;
    /// let jws = verifier.verify(&key.sign_parts(r#"{"alg":"HS256"}"#, &[0, 159, 255]))?;
    /// assert_eq!(jws.payload(), [0, 159, 255]);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

impl JwsVerifier {
    /// A verifier for the keys of a JWKS document (`oct` keys included: the set comes from the
    /// application itself) and an algorithm allow-list.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the document is not a JWKS, the allow-list is empty, or no key is usable.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, ConfigError, JwsVerifier, testing::TestKey};
    ///
    /// let jwks = TestKey::hmac(Algorithm::HS256, [7u8; 32]).jwks();
    /// assert!(JwsVerifier::from_jwks(&jwks, [Algorithm::HS256]).is_ok());
    /// assert_eq!(JwsVerifier::from_jwks(&jwks, []).unwrap_err(), ConfigError::NoAlgorithms);
    /// // The key says HS256: no key is usable with ES256 only.
    /// let err = JwsVerifier::from_jwks(&jwks, [Algorithm::ES256]).unwrap_err();
    /// assert!(matches!(err, ConfigError::NoUsableKeys { .. }));
    /// assert!(matches!(JwsVerifier::from_jwks("{}", [Algorithm::HS256]), Err(ConfigError::InvalidKeySet { .. })));
    /// ```
    pub fn from_jwks(
        jwks: &str,
        algorithms: impl IntoIterator<Item = Algorithm>,
    ) -> Result<Self, ConfigError> {
        let allowed: AlgSet = algorithms.into_iter().collect();
        if allowed.is_empty() {
            return Err(ConfigError::NoAlgorithms);
        }
        let rules = KeySetRules {
            allow_oct: true,
            max_keys: DEFAULT_MAX_KEYS,
            allowed: Some(allowed),
        };
        let parsed =
            parse_jwks(jwks.as_bytes(), rules).map_err(|reason| ConfigError::InvalidKeySet {
                issuer: String::new(),
                reason: reason.to_owned(),
            })?;
        if parsed.keys.is_empty() {
            return Err(ConfigError::NoUsableKeys {
                issuer: String::new(),
                skipped: parsed.skipped.iter().map(ToString::to_string).collect(),
            });
        }
        let store = KeyStore::new(DEFAULT_MAX_KEYS);
        store.replace(parsed);
        Ok(Self {
            store,
            allowed,
            // A bare JWS is typed `JOSE` (RFC 7515 §4.1.9); JWTs pass too.
            typ: TypPolicy {
                allow_absent: true,
                accepted: vec!["jwt".to_owned(), "at+jwt".to_owned(), "jose".to_owned()],
            },
        })
    }

    /// Verifies a compact JWS and returns its payload.
    ///
    /// # Errors
    ///
    /// An [`AuthError`] saying why the JWS was refused.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, JwsVerifier, testing::TestKey};
    ///
    /// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).with_kid("k1");
    /// # let verifier = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::HS256])?;
    /// assert!(verifier.verify(&key.sign_parts(r#"{"alg":"HS256"}"#, b"hi")).is_ok());
    /// // An algorithm off the allow-list, whatever the key.
    /// let hs512 = TestKey::hmac(Algorithm::HS512, [7u8; 64]);
    /// let err = verifier.verify(&hs512.sign_parts(r#"{"alg":"HS512"}"#, b"hi")).unwrap_err();
    /// assert_eq!(err.code(), "alg_not_allowed");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(&self, token: &str) -> Result<Jws, AuthError> {
        let parsed = parse_compact(token, DEFAULT_MAX_TOKEN_LEN, Some(self.allowed), &self.typ)?;
        verify_signature(&parsed, &self.store, Some(self.allowed))?;
        let payload = decode_payload(&parsed)?;
        Ok(Jws {
            alg: parsed.alg,
            kid: parsed.kid,
            payload,
        })
    }
}
