"""Bytes -> text: UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252/latin-1.

Returns the text and the encoding used; empty and binary inputs are reported
as skips by raising :class:`Skip` with the reason.
"""
from __future__ import annotations

import codecs


class Skip(Exception):
    """A file or row that is skipped; the message is the recorded reason."""


def decode_bytes(data: bytes) -> tuple[str, str]:
    if not data or not data.strip():
        raise Skip("empty file")
    if data.startswith(codecs.BOM_UTF8):
        enc, body = "utf-8-sig", data[len(codecs.BOM_UTF8):]
        text = body.decode("utf-8", errors="strict") if _utf8_ok(body) else body.decode("cp1252", errors="replace")
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        enc = "utf-16"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise Skip("invalid UTF-16 despite its byte-order mark") from None
    else:
        if b"\x00" in data[:8192]:
            raise Skip("binary file (NUL bytes)")
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, enc = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, enc = data.decode("latin-1"), "latin-1"
    if _looks_binary(text):
        raise Skip("binary file (control characters)")
    if not text.strip():
        raise Skip("empty file")
    return text, enc


def _utf8_ok(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or ch == "\ufffd")
    return bad / len(sample) > 0.05
