"""Reading the parts of a C2PA manifest that reports show, from c2pa-python's JSON."""

from __future__ import annotations

import json
from typing import Any

import c2pa

from .models import Action, Ingredient

__all__ = [
    "HARD_BINDING_MISMATCH",
    "actions",
    "certificate_info",
    "dn",
    "generator",
    "ingredients",
    "is_trust_only",
]


# The asset no longer matches what was signed, while the signature itself holds.
HARD_BINDING_MISMATCH = frozenset(
    {
        "assertion.dataHash.mismatch",
        "assertion.bmffHash.mismatch",
        "assertion.boxesHash.mismatch",
        "assertion.collectionHash.mismatch",
    }
)


def is_trust_only(code: str) -> bool:
    """Codes that say 'not trusted', which decide trusted vs valid but not validity."""
    return code.endswith(".untrusted")


def certificate_info(reader: c2pa.Reader, label: str | None) -> dict[str, Any]:
    try:
        doc = json.loads(reader.crjson())
    except (c2pa.C2paError, ValueError):
        return {}
    for m in doc.get("manifests") or []:
        if m.get("label") == label:
            info: dict[str, Any] = (m.get("signature") or {}).get("certificateInfo") or {}
            return info
    return {}


def dn(name: dict[str, Any] | None) -> str:
    if not name:
        return ""
    return ", ".join(f"{k}={v}" for k, v in name.items())


def generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info") or []
    if info:
        first = info[0]
        return " ".join(str(x) for x in (first.get("name"), first.get("version")) if x)
    gen = manifest.get("claim_generator")
    return str(gen) if gen else None


def actions(manifest: dict[str, Any]) -> list[Action]:
    out: list[Action] = []
    for a in manifest.get("assertions") or []:
        if not str(a.get("label", "")).startswith("c2pa.actions"):
            continue
        for act in (a.get("data") or {}).get("actions") or []:
            agent = act.get("softwareAgent")
            if isinstance(agent, dict):
                agent = " ".join(str(x) for x in (agent.get("name"), agent.get("version")) if x)
            out.append(
                Action(
                    action=str(act.get("action", "")),
                    digital_source_type=act.get("digitalSourceType"),
                    software_agent=agent,
                    when=act.get("when"),
                )
            )
    return out


def ingredients(manifest: dict[str, Any]) -> list[Ingredient]:
    out = []
    for ing in manifest.get("ingredients") or []:
        vr = ((ing.get("validation_results") or {}).get("activeManifest") or {}).get("failure")
        out.append(
            Ingredient(
                title=ing.get("title"),
                relationship=ing.get("relationship"),
                format=ing.get("format"),
                manifest=ing.get("active_manifest"),
                # Trust is judged when verifying, with the verifier's anchors, not by
                # what the signer's tool thought of it at signing time.
                failures=tuple(
                    sorted({c for f in vr or [] if not is_trust_only(c := str(f.get("code")))})
                ),
            )
        )
    return out
