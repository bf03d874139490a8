#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target (corpus/<target>/seed-*): small valid inputs the
fuzzer mutates from. Run from fuzz/: python3 seeds.py"""
import base64, hashlib, hmac, json, os

SECRET = b"fuzzing-secret-fuzzing-secret-32"
ISS, AUD, EXP = "https://issuer.example", "api", 4_000_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(header: dict, claims: dict) -> str:
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    mac = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)


def write(target: str, seeds: list) -> None:
    os.makedirs(f"corpus/{target}", exist_ok=True)
    for i, seed in enumerate(seeds):
        with open(f"corpus/{target}/seed-{i:02}", "wb") as f:
            f.write(seed if isinstance(seed, bytes) else seed.encode())


good = {"iss": ISS, "aud": AUD, "sub": "alice", "exp": EXP, "iat": 1_700_000_000}
at_jwt = dict(good, client_id="cli", jti="t-1", tenant="t", scope="a b")
tokens = [
    sign({"alg": "HS256", "typ": "JWT", "kid": "h"}, good),
    sign({"alg": "HS256", "kid": "h"}, dict(good, aud=[AUD, "x"], nbf=1_700_000_000)),
    sign({"alg": "HS256"}, dict(good, scp=["a", "b"], cnf={"jkt": "x"})),
    sign({"alg": "HS256", "typ": "at+jwt", "kid": "h"}, at_jwt),
    sign({"alg": "RS256", "kid": "r"}, good),
    sign({"alg": "none"}, good),
]
write("verify", tokens)

headers = [
    {"alg": "HS256", "typ": "JWT"},
    {"alg": "HS256", "typ": "at+jwt", "kid": "x"},
    {"alg": "HS256", "crit": ["exp"], "exp": 1},
    {"alg": "HS256", "typ": "application/at+jwt", "cty": "JWT"},
]
payloads = [good, at_jwt, dict(good, exp=1.5e300, aud=None), {"nested": [[[{"a": [1]}]]]}]
write(
    "verify_signed",
    [json.dumps(h) + "\n" + json.dumps(p) for h, p in zip(headers, payloads)],
)

# token_extraction: parts separated by 0x00, each <selector byte><header value>; the selector modulo
# 4 names the header: 0 Authorization, 1 Cookie, 2 x-token, 3 Sec-Fetch-Site (0x04, not 0x00,
# selects Authorization: 0x00 is the separator).
plain = sign({"alg": "HS256", "typ": "JWT"}, good)
write(
    "token_extraction",
    [
        b"\x04Bearer " + plain.encode(),
        b"\x01access_token=" + plain.encode() + b"; other=1",
        b"\x02" + plain.encode() + b"\x00\x03cross-site\x00\x01access_token=x",
        b"\x04Bearer a.b.c\x00\x04bearer  a.b.c",
        b"\x04Basic dXNlcjpwYXNz",
    ],
)

write(
    "jwks",
    [
        json.dumps({"keys": [{"kty": "oct", "k": b64(SECRET), "kid": "h", "alg": "HS256"}]}),
        json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": "e", "use": "sig",
                              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                              "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}),
        json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "d",
                              "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}),
        json.dumps({"keys": [{"kty": "RSA", "kid": "r", "e": "AQAB", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"}]}),
        json.dumps({"keys": []}),
    ],
)
