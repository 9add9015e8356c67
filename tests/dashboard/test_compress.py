"""Gzip of the dashboard's answers: who gets it, what is worth it, static files once."""

from __future__ import annotations

import gzip

import pytest
from flask import Flask, Response

from dashboard.compress import GzipCache, accepts_gzip, compressed, enable_gzip


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("*", True),
    ],
)
def test_accepts_gzip(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_big_answers_are_gzipped_small_ones_and_other_types_not() -> None:
    cache = GzipCache()
    body = b'{"figure": [' + b"1.25, " * 2000 + b"0]}"
    big = compressed(Response(body, mimetype="application/json"), "/_dash-update-component",
                     "gzip", cache)  # fmt: skip
    assert big.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(big.get_data()) == body
    assert int(big.headers["Content-Length"]) == len(big.get_data()) < len(body) / 10
    assert "Accept-Encoding" in big.headers["Vary"]
    small = compressed(Response(b"{}", mimetype="application/json"), "/x", "gzip", cache)
    assert "Content-Encoding" not in small.headers
    png = compressed(Response(body, mimetype="image/png"), "/x", "gzip", cache)
    assert "Content-Encoding" not in png.headers
    refused = compressed(Response(body, mimetype="application/json"), "/x", None, cache)
    assert "Content-Encoding" not in refused.headers


def test_a_static_file_is_compressed_once() -> None:
    cache = GzipCache()
    body = b"var plotly = 1;\n" * 1000
    calls = []

    def fresh() -> Response:
        response = Response(body, mimetype="application/javascript")
        response.headers["ETag"] = '"v1"'
        calls.append(response)
        return response

    first = compressed(fresh(), "/assets/plotly-basic.min.js", "gzip", cache).get_data()
    second = compressed(fresh(), "/assets/plotly-basic.min.js", "gzip", cache).get_data()
    assert first is second  # the very bytes kept from the first time
    assert gzip.decompress(first) == body


def test_enable_gzip_on_a_flask_app() -> None:
    app = Flask(__name__)
    text = "kitprof " * 1000

    @app.route("/page")
    def page() -> str:
        return text

    enable_gzip(app)
    client = app.test_client()
    zipped = client.get("/page", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()).decode() == text
    plain = client.get("/page")
    assert plain.get_data().decode() == text
