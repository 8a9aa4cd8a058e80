"""The one error the RDB codecs raise: what was wrong, for the reader to place at an offset."""

from __future__ import annotations


class EncodingError(ValueError):
    """A compact encoding (listpack, ziplist, intset, zipmap, LZF) that does not decode."""
