//! Model-based test of [`MemoryRevocation`]: random sequences of revocations (tokens and
//! subjects), lifts, clock steps and checks against a small store, compared after every event
//! with a reference that keeps every accepted revocation until its end and has no capacity.
//!
//! What must hold: a revocation the store accepted is honoured until its end, whatever came
//! after (no eviction, no weakening); a revocation is refused only when the store holds its
//! capacity in revocations in force; a check says "revoked" exactly when the reference does.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Duration;

use proptest::prelude::*;
use tower_jwt_auth::RegisteredClaims;
use tower_jwt_auth::clock::Clock;
use tower_jwt_auth::revocation::{
    Check, EXP_MARGIN, MemoryRevocation, Revocation, RevocationStatus, StoreFull,
};
use tower_jwt_auth::testing::ManualClock;

const ISS: &str = "https://issuer.example";
const CAPACITY: u64 = 4;

#[derive(Debug, Clone)]
enum Event {
    /// Revoke token `jti` whose `exp` is now + the offset (seconds, may be in the past).
    RevokeJti {
        jti: u8,
        exp: i16,
    },
    /// Revoke subject `sub` as of now + `at` for `ttl` seconds.
    RevokeSubject {
        sub: u8,
        at: i16,
        ttl: u16,
    },
    Unrevoke {
        sub: u8,
    },
    Advance(u16),
    /// Check a token with this `jti`, `sub` and `iat` (now + offset).
    Check {
        jti: Option<u8>,
        sub: Option<u8>,
        iat: Option<i16>,
    },
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => (0u8..7, -400i16..900).prop_map(|(jti, exp)| Event::RevokeJti { jti, exp }),
        3 => (0u8..7, -300i16..300, 0u16..900)
            .prop_map(|(sub, at, ttl)| Event::RevokeSubject { sub, at, ttl }),
        1 => (0u8..7).prop_map(|sub| Event::Unrevoke { sub }),
        2 => (0u16..500).prop_map(Event::Advance),
        6 => (
            proptest::option::of(0u8..7),
            proptest::option::of(0u8..7),
            proptest::option::of(-300i16..300),
        )
            .prop_map(|(jti, sub, iat)| Event::Check { jti, sub, iat }),
    ]
}

/// The reference: every accepted revocation, with its end (seconds by the clock).
#[derive(Default)]
struct Reference {
    tokens: HashMap<u8, f64>,
    subjects: HashMap<u8, (i64, f64)>,
}

fn live(until: f64, now: f64) -> bool {
    now < until
}

fn run(events: &[Event]) -> Result<(), String> {
    let clock = ManualClock::at(1_800_000_000.0);
    let store = MemoryRevocation::with_clock_and_capacity(clock.clone(), CAPACITY);
    let mut model = Reference::default();
    let full = Err(StoreFull { capacity: CAPACITY });
    for (step, event) in events.iter().enumerate() {
        let now = clock.now_unix_secs();
        let fail = |what: String| Err(format!("step {step} {event:?}: {what}"));
        match *event {
            Event::RevokeJti { jti, exp } => {
                let exp = now as i64 + i64::from(exp);
                let until = exp as f64 + EXP_MARGIN.as_secs_f64();
                let got = store.revoke_jti(ISS, &format!("j{jti}"), exp);
                let present = model.tokens.get(&jti).is_some_and(|u| live(*u, now));
                let in_force = model.tokens.values().filter(|u| live(**u, now)).count() as u64;
                if until <= now {
                    if got != Ok(false) {
                        return fail(format!("{got:?} for a token past its end"));
                    }
                } else if got == full {
                    if present || in_force < CAPACITY {
                        return fail(format!("refused with {in_force} tokens in force"));
                    }
                } else if got == Ok(true) {
                    if !present && in_force >= CAPACITY {
                        return fail("accepted past the capacity".into());
                    }
                    let end = model.tokens.entry(jti).or_insert(until);
                    *end = if live(*end, now) {
                        end.max(until)
                    } else {
                        until
                    };
                } else {
                    return fail(format!("unexpected {got:?}"));
                }
            }
            Event::RevokeSubject { sub, at, ttl } => {
                let at = now as i64 + i64::from(at);
                let until = now + f64::from(ttl);
                let got = store.revoke_subject(
                    ISS,
                    &format!("s{sub}"),
                    at,
                    Duration::from_secs(u64::from(ttl)),
                );
                let present = model.subjects.get(&sub).is_some_and(|(_, u)| live(*u, now));
                let in_force = model
                    .subjects
                    .values()
                    .filter(|(_, u)| live(*u, now))
                    .count() as u64;
                match got {
                    Err(_) if present || in_force < CAPACITY => {
                        return fail(format!("refused with {in_force} subjects in force"));
                    }
                    Err(_) => {}
                    Ok(()) if !present && in_force >= CAPACITY => {
                        return fail("accepted past the capacity".into());
                    }
                    Ok(()) if present => {
                        let (cutoff, end) = model.subjects.get_mut(&sub).unwrap();
                        *cutoff = (*cutoff).max(at);
                        *end = end.max(until);
                    }
                    Ok(()) => {
                        model.subjects.insert(sub, (at, until));
                    }
                }
            }
            Event::Unrevoke { sub } => {
                store.unrevoke_subject(ISS, &format!("s{sub}"));
                model.subjects.remove(&sub);
            }
            Event::Advance(secs) => clock.advance(Duration::from_secs(u64::from(secs))),
            Event::Check { jti, sub, iat } => {
                let iat = iat.map(|offset| now as i64 + i64::from(offset));
                let mut claims = RegisteredClaims::default();
                claims.iss = Some(ISS.to_owned());
                claims.jti = jti.map(|j| format!("j{j}"));
                claims.sub = sub.map(|s| format!("s{s}"));
                claims.iat = iat;
                let want = jti.is_some_and(|j| model.tokens.get(&j).is_some_and(|u| live(*u, now)))
                    || sub.is_some_and(|s| {
                        model.subjects.get(&s).is_some_and(|(cutoff, u)| {
                            live(*u, now) && iat.is_none_or(|iat| iat <= *cutoff)
                        })
                    });
                let want = if want {
                    RevocationStatus::Revoked
                } else {
                    RevocationStatus::NotRevoked
                };
                match store.check(&claims) {
                    Check::Ready(got) if got == want => {}
                    other => return fail(format!("store says {other:?}, reference {want:?}")),
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn memory_revocation_honours_every_accepted_revocation_until_its_end(
        events in proptest::collection::vec(event(), 1..64),
    ) {
        let outcome = run(&events);
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
