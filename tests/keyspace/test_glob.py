"""The glob matcher: Redis's results for every pattern feature, fuzzed against a naive
reference, and bounded time on patterns that make backtracking matchers explode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_glob import reference_match

from ferrite_host.keyspace.glob import MAX_STAR_NESTING, compile_glob, glob_match

#: Pattern bytes chosen to hit every feature and its corner cases often.
PATTERN_ALPHABET = st.sampled_from([*list(b"ab*?[]^-\\A"), 255, 128])
SUBJECT_ALPHABET = st.sampled_from([*list(b"abA]-^\\*"), 255, 128])


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(PATTERN_ALPHABET, max_size=10).map(bytes),
    st.lists(SUBJECT_ALPHABET, max_size=8).map(bytes),
    st.booleans(),
)
def test_agrees_with_the_reference(pattern: bytes, subject: bytes, nocase: bool) -> None:
    assert glob_match(pattern, subject, nocase) == reference_match(pattern, subject, nocase)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        (b"*", b"", False),  # KEYS/SCAN special-case a bare *
        (b"**", b"", False),
        (b"*", b"x", True),
        (b"", b"", True),
        (b"", b"a", False),
        (b"h?llo", b"hello", True),
        (b"h*llo", b"heeeello", True),
        (b"h[ae]llo", b"hallo", True),
        (b"h[^e]llo", b"hello", False),
        (b"h[a-b]llo", b"hbllo", True),
        (b"h[b-a]llo", b"hbllo", True),  # reversed range
        (b"h\\*llo", b"h*llo", True),
        (b"h\\*llo", b"hello", False),
        (b"ab\\", b"ab\\", True),  # a trailing backslash is literal
        (b"[abc", b"b", True),  # unterminated class: the rest of the pattern
        (b"[", b"[", False),
        (b"[^", b"x", True),
        (b"[]", b"]", False),  # `]` right after `[` closes an empty class
        (b"[^]", b"x", True),
        (b"[a-]", b"]", True),  # the range runs from `a` to `]`
        (b"[\\]]", b"]", True),
        (b"[a-\xff]", b"A", True),  # ranges compare signed chars: -1..97
        (b"[a-\xff]", b"b", False),
    ],
)
def test_redis_semantics(pattern: bytes, subject: bytes, expected: bool) -> None:
    assert glob_match(pattern, subject) is expected
    assert reference_match(pattern, subject) is expected


def test_nocase_folds_ascii_but_not_escapes_in_classes() -> None:
    assert glob_match(b"HELLO*", b"hello world", nocase=True)
    assert glob_match(b"[A-C]x", b"bX", nocase=True)
    assert not glob_match(b"[\\A]", b"a", nocase=True)
    assert not glob_match(b"HELLO*", b"hello", nocase=False)


def test_star_nesting_limit() -> None:
    subject = b"a" * (MAX_STAR_NESTING + 1)
    assert glob_match(b"*a" * MAX_STAR_NESTING, subject)
    assert glob_match(b"*a" * MAX_STAR_NESTING + b"*", subject)
    assert not glob_match(b"*a" * (MAX_STAR_NESTING + 1), subject)


def test_glob_bombs_are_bounded() -> None:
    """Each would take minutes with a backtracking matcher; here they are instant."""
    assert not glob_match(b"a*" * 20 + b"b", b"a" * 40)
    assert not glob_match(b"*a" * 500 + b"b", b"a" * 5000)
    assert not glob_match(b"*?" * 300 + b"[b]", b"a" * 3000, nocase=True)
    assert glob_match(b"*a" * 500, b"a" * 5000)


def test_compiled_patterns_are_reused() -> None:
    assert compile_glob(b"user:*") is compile_glob(b"user:*")
