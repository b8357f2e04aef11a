"""Encryption at rest for NIK and phone, and the keyed hash used to find a NIK.

One secret (``ENCRYPTION_KEY``) is stretched with HKDF into an AES-256-GCM key
and an HMAC-SHA256 key, so neither can be derived from the other.
"""

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_NONCE_BYTES = 12


class Vault:
    """Encrypts, decrypts and hashes personal data with keys derived from one secret."""

    def __init__(self, secret: str):
        self._aead = AESGCM(self._derive(secret, b"lindungi encryption"))
        self._hash_key = self._derive(secret, b"lindungi lookup hash")

    @staticmethod
    def _derive(secret: str, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())

    def encrypt(self, plaintext: str) -> bytes:
        """Return nonce + ciphertext of ``plaintext``."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), None)

    def decrypt(self, blob: bytes) -> str:
        """Return the plaintext of a value made by :meth:`encrypt`."""
        return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], None).decode()

    def lookup_hash(self, value: str) -> str:
        """Return the keyed hash that finds ``value`` without storing it."""
        return hmac.digest(self._hash_key, value.encode(), hashlib.sha256).hex()


def vault() -> Vault:
    """Return the current app's vault, built once per app."""
    ext = current_app.extensions
    if "donate_vault" not in ext:
        ext["donate_vault"] = Vault(current_app.config["ENCRYPTION_KEY"])
    return ext["donate_vault"]


def mask_nik(nik: str) -> str:
    """Show only the last four digits of a NIK."""
    return "•" * 12 + nik[-4:]
