"""``split_words`` splits as ``shlex.split`` does, also where it skips shlex."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from profiler.dockerfile.words import split_words

# Quotes, escapes, shell punctuation and every kind of whitespace shlex and str.split
# disagree on (vertical tab, form feed, no-break space), with plain word characters.
_ALPHABET = "ab -=./#$*\t\n\r\x0b\x0c\x1f\xa0\u2003é'\"\\;&|<>()`{}[]~!"


def _shlex_words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


@settings(max_examples=500)
@given(st.text(alphabet=_ALPHABET, max_size=24))
def test_split_words_agrees_with_shlex(text: str) -> None:
    assert split_words(text) == _shlex_words(text)


def test_split_words_plain_and_quoted() -> None:
    assert split_words("--from=build /out/ /opt/app/") == ["--from=build", "/out/", "/opt/app/"]
    assert split_words('"my file" ./dest') == ["my file", "./dest"]
    assert split_words("a\\ b c") == ["a b", "c"]
    assert split_words("a\xa0b") == ["a\xa0b"]  # no-break space is no separator to shlex
    assert split_words("'unclosed x") == ["'unclosed", "x"]
