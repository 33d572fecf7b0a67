"""RS256 test material: RSA keys (cryptography), JWKS documents and tokens (PyJWT), and
hand-built tokens for the attacks PyJWT refuses to produce (alg none, HS256 with the RSA
public key as the HMAC secret, tampered parts). Used by tests/test_jwt_attacks.py,
tests/conftest.py (seeds), bench/jwt_bench.py and `python tests/jwt_support.py` (which
prints the fixed vectors of tests/sql/12_jwt.sql)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://idp.example.test/"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(obj: Any) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class Key:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, kid: str, bits: int = 2048) -> Key:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @classmethod
    def from_pem(cls, kid: str, pem: str) -> Key:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return cls(kid, key)

    def pem(self) -> str:
        return self.private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode()

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                "n": _uint(numbers.n), "e": _uint(numbers.e)}

    def sign(self, claims: dict[str, Any], kid: str | None = None,
             headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256",
                          headers={"kid": kid or self.kid, **(headers or {})})


def jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [k.jwk() for k in keys]}


def claims(audience: str | list[str], subject: str, now: float | None = None,
           lifetime: int = 600, **extra: Any) -> dict[str, Any]:
    now = time.time() if now is None else now
    return {"iss": ISSUER, "aud": audience, "sub": subject, "iat": int(now),
            "nbf": int(now), "exp": int(now) + lifetime, **extra}


def unsigned(payload: dict[str, Any], kid: str) -> str:
    """alg none: header and payload, empty signature (and a variant with junk appended)."""
    return f"{b64url_json({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{b64url_json(payload)}."


def hs256_with_public_key(payload: dict[str, Any], key: Key) -> str:
    """The alg-confusion forgery: HS256 with the RSA public key (PEM, as a JWKS consumer
    might hold it) as the HMAC secret."""
    head = f"{b64url_json({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{b64url_json(payload)}"
    mac = hmac.new(key.public_pem(), head.encode(), hashlib.sha256).digest()
    return f"{head}.{b64url(mac)}"


def tamper_payload(token: str, **changes: Any) -> str:
    """Same header and signature, payload changed (e.g. another subject)."""
    head, payload, sig = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(changes)
    return f"{head}.{b64url_json(body)}.{sig}"


if __name__ == "__main__":  # the fixed vectors of tests/sql/12_jwt.sql
    import sys
    t0 = 1_900_000_000  # 2030-03-17; the pgTAP file moves internal.now() there
    k1, k2, other = Key.generate("k1"), Key.generate("k2"), Key.generate("k1")
    weak = Key.generate("weak", 1024)
    vec = {
        "jwks_k1": jwks(k1), "jwks_k1_k2": jwks(k1, k2), "jwks_weak": jwks(weak),
        "valid_a": k1.sign(claims("claw-a", "alice", t0, scope="queue:read jobs:write")),
        "valid_a_list": k1.sign(claims(["other", "claw-a"], "alice", t0)),
        "valid_a_k2": k2.sign(claims("claw-a", "alice", t0)),
        "ambiguous": k1.sign(claims(["claw-a", "claw-b"], "alice", t0)),
        "valid_b": k1.sign(claims("claw-b", "bob", t0)),
        "nbf_future": k1.sign(claims("claw-a", "alice", t0, nbf=t0 + 3600)),
        "iat_future": k1.sign(claims("claw-a", "alice", t0, iat=t0 + 3600)),
        "wrong_aud": k1.sign(claims("claw-x", "alice", t0)),
        "wrong_iss": k1.sign({**claims("claw-a", "alice", t0), "iss": "https://evil.test/"}),
        "unknown_kid": k1.sign(claims("claw-a", "alice", t0), kid="k9"),
        "unknown_sub": k1.sign(claims("claw-a", "mallory", t0)),
        "no_exp": k1.sign({k: v for k, v in claims("claw-a", "alice", t0).items() if k != "exp"}),
        "alg_none": unsigned(claims("claw-a", "alice", t0), "k1"),
        "alg_hs256": hs256_with_public_key(claims("claw-a", "alice", t0), k1),
        "other_key": other.sign(claims("claw-a", "alice", t0)),
        "disabled": k1.sign(claims("claw-a", "carol", t0)),
    }
    vec["tampered"] = tamper_payload(vec["valid_a"], sub="carol")
    json.dump(vec, sys.stdout, indent=1)
