"""A client for a registry served over HTTP (`provenance serve`, or any service speaking
the C2PA Soft Binding Resolution API with our algorithm).

The server only says which manifests it thinks match. The client fetches each store,
validates it, and applies the anti-spoofing rule itself against the soft binding signed
inside it: a registry, honest or not, cannot make a manifest match a file it does not
fit.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from ..errors import RegistrationRefused, RegistryError
from ..models import Match, RegisterResult, RegisterStatus
from .config import MAX_STORE_BYTES, TOKEN_ENV
from .manifest import read_store
from .match import BlockTable, Candidate, rank, scan_votes
from .query import Query
from .softbinding import ALG
from .store import Registration, Registry

__all__ = ["HttpRegistry"]

_TIMEOUT = 60.0
_MAX_JSON = 4 * 1024 * 1024


class HttpRegistry(Registry):
    """A registry at an http(s):// base URL."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = _TIMEOUT):
        self.base = base_url.rstrip("/")
        self.location = self.base
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.timeout = timeout
        self._stores: dict[str, bytes] = {}

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        auth: bool = False,
        limit: int = _MAX_JSON,
    ) -> tuple[int, bytes]:
        headers = {"accept": "application/json, application/c2pa"}
        if content_type:
            headers["content-type"] = content_type
        if auth and self.token:
            headers["authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                return int(resp.status), _read(resp, limit)
        except urllib.error.HTTPError as e:
            return int(e.code), _read(e, _MAX_JSON)
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise RegistryError(f"{self.base}: cannot reach the registry ({reason})") from None

    def search(self, query: Query, *, max_results: int = 10) -> list[Match]:
        """The server's matches for the query (`POST /matches/byBinding`), best first."""
        doc = {"alg": ALG, "value": base64.b64encode(query.encode()).decode("ascii")}
        status, body = self._request(
            "POST",
            f"/matches/byBinding?maxResults={max_results}",
            body=json.dumps(doc).encode(),
            content_type="application/json",
        )
        ids = [m["manifestId"] for m in _json(self.base, status, body).get("matches") or []]
        candidates = []
        for order, manifest_id in enumerate(ids[:max_results]):
            store = self.manifest_store(str(manifest_id))
            if store is None:
                continue
            try:
                reg = read_store(store)
            except RegistrationRefused:
                continue  # a store that does not validate proves nothing
            if reg.manifest_id != manifest_id:
                continue  # served under another manifest's id
            table = BlockTable.of(reg.binding)
            candidates.append(
                Candidate(
                    order, reg.manifest_id, reg.binding.kind, reg.title, reg.signer, order, table
                )
            )
        return rank(query, candidates, scan_votes(query, candidates), max_results)

    def manifest_store(self, manifest_id: str) -> bytes | None:
        """The store the server holds under this id (`GET /manifests/{id}`), or None."""
        if manifest_id in self._stores:
            return self._stores[manifest_id]
        quoted = urllib.parse.quote(manifest_id, safe=":")
        status, body = self._request("GET", f"/manifests/{quoted}", limit=MAX_STORE_BYTES)
        if status == 404:
            return None
        if status != 200:
            raise RegistryError(f"{self.base}: manifest {manifest_id}: {_message(status, body)}")
        self._stores[manifest_id] = body
        return body

    def register(self, registrations: Sequence[Registration]) -> list[RegisterResult]:
        """POST each store; the server validates and indexes it itself."""
        results = []
        for reg in registrations:
            path = "/manifests" + (
                f"?format={urllib.parse.quote(reg.format)}" if reg.format else ""
            )
            status, body = self._request(
                "POST", path, body=reg.store, content_type="application/c2pa", auth=True
            )
            if status == 409:
                results.append(RegisterResult(reg.manifest_id, RegisterStatus.CONFLICT))
                continue
            if status == 422:
                raise RegistrationRefused(f"{self.base}: {_message(status, body)}")
            doc = _json(self.base, status, body, ok=(200, 201))
            results.append(RegisterResult(str(doc["manifestId"]), RegisterStatus(doc["status"])))
        return results


def _read(resp: Any, limit: int) -> bytes:
    data: bytes = resp.read(limit + 1)
    if len(data) > limit:
        raise RegistryError(f"the registry's answer is over {limit} bytes")
    return data


def _message(status: int, body: bytes) -> str:
    try:
        return f"{status} {json.loads(body)['error']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}"


def _json(base: str, status: int, body: bytes, ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
    if status not in ok:
        raise RegistryError(f"{base}: {_message(status, body)}")
    try:
        doc = json.loads(body)
    except ValueError:
        raise RegistryError(f"{base}: the registry answered something that is not JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{base}: unexpected answer from the registry")
    return doc
