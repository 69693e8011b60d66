import codecs

import pytest

from topicstance.ingest.decode import Skip, decode_bytes


def test_utf8_with_and_without_bom():
    assert decode_bytes("Kyiv – “quoted”".encode()) == ("Kyiv – “quoted”", "utf-8")
    text, enc = decode_bytes(codecs.BOM_UTF8 + "Kyiv – x".encode())
    assert (text, enc) == ("Kyiv – x", "utf-8-sig")


def test_utf16_with_bom():
    text, enc = decode_bytes("Привет, Kyiv".encode("utf-16"))
    assert (text, enc) == ("Привет, Kyiv", "utf-16")


def test_cp1252_fallback_is_reported():
    text, enc = decode_bytes("“smart quotes” – café".encode("cp1252"))
    assert text == "“smart quotes” – café" and enc == "cp1252"


def test_latin1_bytes_outside_cp1252():
    text, enc = decode_bytes(b"caf\xe9 \x81 ok")
    assert enc == "latin-1" and text.startswith("café")


@pytest.mark.parametrize("data,reason", [(b"", "empty"), (b"  \n\t ", "empty"),
                                         (b"\x00\x01\x02binary\x00", "binary"),
                                         (bytes(range(1, 32)) * 50, "binary")])
def test_empty_and_binary_are_skipped_with_reason(data, reason):
    with pytest.raises(Skip, match=reason):
        decode_bytes(data)
