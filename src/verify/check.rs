//! The checks of one token: header, key, signature, claims, time; and the wait for keys.

use super::rules::{check_time, tenant_issuer};
use super::*;

/// What the cache keeps of a cold verification besides the claims.
pub(crate) struct Facts {
    exp: f64,
    nbf: Option<f64>,
    iat: Option<f64>,
    issuer: usize,
    /// The key that verified the signature, how the token named it, and the store's generation
    /// read before the key was looked up.
    key: Arc<PreparedKey>,
    alg: jsonwebtoken::Algorithm,
    kid: Option<Box<str>>,
    generation: u64,
    /// The tenant template a discovery document taught, when the issuer matched through it.
    template: Option<Arc<String>>,
    /// Bytes of the decoded claim set (the cache's weight of the entry).
    claims_len: usize,
}

impl<C: DeserializeOwned + Send + Sync + 'static> Verifier<C> {
    /// Completes a verification that needed keys: waits for them (bounded), then verifies again.
    pub(crate) async fn finish(
        &self,
        token: &str,
        pending: Pending,
    ) -> Result<Verified<C>, AuthError> {
        let issuer = match pending {
            Pending::NotLoaded(index) | Pending::KidMiss(index) => Some(index),
            Pending::Failed(_) => None,
        };
        self.finish_inner(token, pending).await.map_err(|error| {
            // The header's `alg` and `kid` and the issuer, for the audit event (read again:
            // this is the rare path).
            let shared = &self.shared;
            let error = match jws::parse_compact(token, usize::MAX, shared.allowed, &shared.typ) {
                Ok(parsed) => error.with_header(parsed.alg, parsed.kid.as_deref()),
                Err(_) => error,
            };
            match issuer.and_then(|i| self.shared.issuers.get(i)) {
                Some(state) => error.with_issuer(&state.iss),
                None => error,
            }
        })
    }

    async fn finish_inner(&self, token: &str, pending: Pending) -> Result<Verified<C>, AuthError> {
        let (index, kid_miss) = match pending {
            Pending::Failed(error) => return Err(error),
            Pending::NotLoaded(index) => (index, false),
            Pending::KidMiss(index) => (index, true),
        };
        let Some(remote) = self
            .shared
            .issuers
            .get(index)
            .and_then(|i| i.remote.as_ref())
        else {
            return Err(AuthError::new(
                AuthErrorKind::UnknownKey,
                "no key for this token",
            ));
        };
        if kid_miss {
            remote.await_kid_miss().await?;
        } else {
            remote.await_first_load().await?;
        }
        match self.verify_cached(token, false) {
            Ok(verified) => Ok(verified),
            Err(Pending::Failed(error)) => Err(error),
            // A fetch that started after the miss succeeded without the key: the token's fault.
            Err(Pending::KidMiss(_)) => Err(AuthError::new(
                AuthErrorKind::UnknownKey,
                "no key for this token",
            )),
            Err(Pending::NotLoaded(_)) => Err(keys_unavailable("keys unavailable")),
        }
    }

    /// Verifies a token with the keys at hand, synchronously: from the verified-token cache when
    /// it holds the token (every check but the signature runs again), else in full.
    pub(crate) fn verify_now(&self, token: &str) -> Result<Verified<C>, Pending> {
        self.verify_cached(token, true)
    }

    /// [`verify_now`](Self::verify_now); `count` says whether the cache lookup counts in the
    /// metrics (not when a request verifies again after waiting for keys).
    fn verify_cached(&self, token: &str, count: bool) -> Result<Verified<C>, Pending> {
        let Some(cache) = &self.shared.token_cache else {
            return self.verify_cold(token).map(|(verified, _)| verified);
        };
        if token.len() > self.shared.max_token_len {
            return Err(AuthError::new(AuthErrorKind::TooLarge, "token too large").into());
        }
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(hit) = cache.cache.get(&hash) {
            if let Some(verified) = hit.verified.downcast_ref::<Verified<C>>()
                && self.key_still_current(&hit)
            {
                let issuer = &self.shared.issuers[hit.issuer];
                let trail = |error: AuthError| {
                    error
                        .with_header(hit.alg, hit.kid.as_deref())
                        .with_issuer(&issuer.iss)
                };
                if let Some(remote) = &issuer.remote
                    && let Usable::Expired = remote.usable()
                {
                    return Err(trail(keys_unavailable("keys expired")).into());
                }
                check_time(&self.shared, hit.exp, hit.nbf, hit.iat).map_err(trail)?;
                if count {
                    crate::telemetry::token_cache(true);
                }
                let mut verified = verified.clone();
                verified.cached = true;
                return Ok(verified);
            }
            cache.cache.invalidate(&hash);
        }
        if count {
            crate::telemetry::token_cache(false);
        }
        let (verified, facts) = self.verify_cold(token)?;
        let now = self.shared.clock.now_unix_secs();
        let ttl = Duration::try_from_secs_f64(facts.exp - now).unwrap_or(Duration::ZERO);
        if !ttl.is_zero() {
            let entry = CachedToken {
                verified: Arc::new(verified.clone()),
                exp: facts.exp,
                nbf: facts.nbf,
                iat: facts.iat,
                issuer: facts.issuer,
                key: facts.key,
                alg: facts.alg,
                kid: facts.kid,
                generation: AtomicU64::new(facts.generation),
                template: facts.template,
                ttl,
                weight: cache.weight(facts.claims_len),
            };
            cache.cache.insert(hash, Arc::new(entry));
        }
        Ok(verified)
    }

    /// The full verification: header, key, signature, claims. A refusal records the header's
    /// `alg` and `kid` and the issuer the token matched, for the audit event.
    fn verify_cold(&self, token: &str) -> Result<(Verified<C>, Facts), Pending> {
        let shared = &*self.shared;
        let parsed = jws::parse_compact(token, shared.max_token_len, shared.allowed, &shared.typ)?;
        let mut matched = None;
        self.verify_parsed(&parsed, &mut matched)
            .map_err(|pending| match pending {
                Pending::Failed(error) => {
                    let error = error.with_header(parsed.alg, parsed.kid.as_deref());
                    Pending::Failed(match matched {
                        Some(index) => error.with_issuer(&shared.issuers[index].iss),
                        None => error,
                    })
                }
                other => other,
            })
    }

    fn verify_parsed(
        &self,
        parsed: &jws::Parsed<'_>,
        matched: &mut Option<usize>,
    ) -> Result<(Verified<C>, Facts), Pending> {
        let shared = &*self.shared;
        let payload = jws::decode_payload(parsed)?;
        if json_depth(&payload) > shared.max_claims_depth {
            return Err(AuthError::malformed("claims nested too deeply").into());
        }
        if !is_json_object(&payload) {
            return Err(AuthError::malformed("claims are not a JSON object").into());
        }
        let mut de = serde_json::Deserializer::from_slice(&payload);
        let raw = ClaimsSeed {
            required: &shared.required,
        }
        .deserialize(&mut de)
        .and_then(|raw| de.end().map(|()| raw))
        .map_err(|e| {
            AuthError::malformed("claims are not a valid JSON object")
                .with_source(JsonError::from(&e))
        })?;

        let issuer = match &raw.iss {
            // A multi-tenant issuer matches only through a tenant on its allow-list, never by
            // its configured identifier (a `{tenantid}` template, or discovery's `common`).
            Some(Loose::Ok(iss)) => shared
                .issuers
                .iter()
                .position(|i| !i.tenants.is_set() && i.iss == *iss)
                .map(|index| (index, None))
                .or_else(|| tenant_issuer(&shared.issuers, iss, raw.tid.as_ref())),
            Some(Loose::WrongType) => None,
            None => {
                return Err(AuthError::new(AuthErrorKind::WrongIssuer, "issuer missing").into());
            }
        };
        let Some((index, template)) = issuer else {
            // A multi-tenant issuer that has not learned its template yet can't tell: the token
            // waits for its first key set (503 if it never comes), it is not refused as foreign.
            let learning = shared.issuers.iter().position(|i| {
                i.tenants.is_set()
                    && i.remote
                        .as_ref()
                        .is_some_and(|r| matches!(r.usable(), Usable::NotLoaded))
            });
            return Err(match (learning, &raw.iss) {
                (Some(index), Some(Loose::Ok(_))) => Pending::NotLoaded(index),
                _ => AuthError::new(AuthErrorKind::WrongIssuer, "issuer not accepted").into(),
            });
        };
        *matched = Some(index);
        let issuer = &shared.issuers[index];
        if let Some(remote) = &issuer.remote {
            match remote.usable() {
                Usable::Yes => {}
                Usable::NotLoaded => return Err(Pending::NotLoaded(index)),
                Usable::Expired => return Err(keys_unavailable("keys expired").into()),
            }
        }
        let generation = issuer.store.generation();
        let key = match jws::verify_signature(parsed, &issuer.store, shared.allowed) {
            Ok(key) => key,
            Err(e) if e.kind() == AuthErrorKind::UnknownKey && issuer.remote.is_some() => {
                return Err(Pending::KidMiss(index));
            }
            Err(e) => return Err(e.into()),
        };
        self.check_claims(&raw, issuer)?;
        let time = |v: &Option<Loose<f64>>| match v {
            Some(Loose::Ok(t)) => Some(*t),
            _ => None,
        };
        let facts = Facts {
            exp: time(&raw.exp).unwrap_or(f64::NEG_INFINITY),
            nbf: time(&raw.nbf),
            iat: time(&raw.iat),
            issuer: index,
            key,
            alg: parsed.alg,
            kid: parsed.kid.as_deref().map(Box::from),
            generation,
            template,
            claims_len: payload.len(),
        };

        let registered = raw.to_registered().map_err(|WrongClaimType(_)| {
            AuthError::new(
                AuthErrorKind::InvalidClaim,
                "registered claim of the wrong type",
            )
        })?;
        let registered = Arc::new(registered);
        // When `C` is `RegisteredClaims`, the single parse above already produced it.
        let claims = match (Arc::clone(&registered) as Arc<dyn Any + Send + Sync>).downcast::<C>() {
            Ok(same) => same,
            Err(_) => Arc::new(serde_json::from_slice::<C>(&payload).map_err(|e| {
                AuthError::new(
                    AuthErrorKind::InvalidClaim,
                    "claims do not have the expected shape",
                )
                .with_source(JsonError::from(&e))
            })?),
        };
        let verified = Verified {
            claims: Claims(claims),
            registered: Claims(registered),
            binding: raw.cnf.map(Arc::new),
            issuer: index,
            cached: false,
        };
        Ok((verified, facts))
    }

    fn check_claims(&self, raw: &RawClaims, issuer: &IssuerState) -> Result<(), AuthError> {
        let shared = &*self.shared;
        let invalid = |d| AuthError::new(AuthErrorKind::InvalidClaim, d);
        let exp = match raw.exp {
            None => return Err(invalid("exp missing")),
            Some(Loose::WrongType) => return Err(invalid("exp is not a number")),
            Some(Loose::Ok(exp)) => exp,
        };
        let nbf = match raw.nbf {
            Some(Loose::WrongType) => return Err(invalid("nbf is not a number")),
            Some(Loose::Ok(nbf)) => Some(nbf),
            None => None,
        };
        let iat = match raw.iat {
            Some(Loose::WrongType) => return Err(invalid("iat is not a number")),
            Some(Loose::Ok(iat)) => Some(iat),
            None => None,
        };
        check_time(shared, exp, nbf, iat)?;
        if shared.rfc9068 {
            let not_access =
                || AuthError::new(AuthErrorKind::NotAccepted, "ID token, not an access token");
            if raw.id_token_member {
                return Err(not_access());
            }
            // RFC 9068 §2.2: `client_id` is a string.
            if matches!(raw.client_id, Some(Loose::WrongType)) {
                return Err(invalid("client_id is not a string"));
            }
            if let (Some(Loose::Ok(client)), Some(Loose::Ok(aud))) = (&raw.client_id, &raw.aud) {
                let names_client = match aud {
                    StrOrList::One(a) => a == client,
                    StrOrList::Many(list) => list.contains(client),
                };
                if names_client {
                    return Err(not_access());
                }
            }
        }
        if !shared.skip_audience {
            let accepted = issuer.audiences.as_deref().unwrap_or(&shared.audiences);
            let wrong = |d| AuthError::new(AuthErrorKind::WrongAudience, d);
            let ok = match &raw.aud {
                None => return Err(wrong("audience missing")),
                Some(Loose::WrongType) => false,
                Some(Loose::Ok(StrOrList::One(aud))) => accepted.contains(aud),
                Some(Loose::Ok(StrOrList::Many(auds))) => auds.iter().any(|a| accepted.contains(a)),
            };
            if !ok {
                return Err(wrong("audience not accepted"));
            }
        }
        let n = shared.required.len();
        let all_required = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        if raw.required_found != all_required
            || !shared.required_registered.iter().all(|name| raw.has(name))
        {
            return Err(invalid("required claim missing"));
        }
        Ok(())
    }
}
