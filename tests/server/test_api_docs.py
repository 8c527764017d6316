"""/docs and /redoc load nothing from outside the server (they used to take Swagger UI
from a CDN: a blank page offline), and every asset they reference is served."""

from __future__ import annotations

import re

import pytest

from tests.server.conftest import Live

CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",),
                 ".png": ("image/png",), ".json": ("application/json",)}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_use_only_our_own_assets(live: Live, page: str) -> None:
    client = live.client()
    html = client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert re.findall(r"(?:https?:)?//[\w.-]+", html.text) == [], "the page loads something from elsewhere"
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', html.text))
    referenced |= set(re.findall(r"""(?:url:|spec-url=)\s*['"]([^'"]+)['"]""", html.text))
    assert "/openapi.json" in referenced and len(referenced) >= 3, referenced
    for url in sorted(referenced):
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rfind("."):]
        assert asset.headers["content-type"].split(";")[0] in CONTENT_TYPES[suffix], (url, asset.headers)
        assert len(asset.content) > 100, url


def test_the_swagger_ui_bundle_is_version_5_for_openapi_3_1(live: Live) -> None:
    """FastAPI writes OpenAPI 3.1, which Swagger UI renders from version 5 on."""
    client = live.client()
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert "SwaggerUIBundle" in bundle and version and int(version.group(1)) >= 5
