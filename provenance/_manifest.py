"""Reading the parts of a C2PA manifest that reports show, from c2pa-python's JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._rules import blocking, timestamp_ruling
from ._vocab import ACTIONS_LABEL, CREATIVE_WORK_LABEL
from .models import Action, Ingredient, SignerInfo, StatusEntry, TimestampInfo

__all__ = [
    "actions",
    "assertion_data",
    "authors",
    "dn",
    "generator",
    "ingredients",
    "signer",
    "status_entries",
    "timestamp",
]


def dn(name: Mapping[str, Any] | None) -> str:
    """A distinguished name as the C2PA library spells it (`CN=..., O=...`)."""
    if not name:
        return ""
    return ", ".join(f"{k}={v}" for k, v in name.items())


def generator(manifest: Mapping[str, Any]) -> str | None:
    """The claim generator: name and version of the tool that wrote the manifest."""
    info = manifest.get("claim_generator_info") or []
    if info:
        first = info[0]
        return " ".join(str(x) for x in (first.get("name"), first.get("version")) if x)
    gen = manifest.get("claim_generator")
    return str(gen) if gen else None


def assertion_data(manifest: Mapping[str, Any], label: str) -> dict[str, Any] | None:
    """The data of the manifest's assertion with this label, when it is an object."""
    for a in manifest.get("assertions") or []:
        if a.get("label") == label and isinstance(a.get("data"), dict):
            data: dict[str, Any] = a["data"]
            return data
    return None


def authors(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """The authors' names the manifest's CreativeWork assertion states (`sign --author`)."""
    data = assertion_data(manifest, CREATIVE_WORK_LABEL) or {}
    people = data.get("author")
    if isinstance(people, dict):
        people = [people]
    names = (p.get("name") if isinstance(p, dict) else p for p in people or [])
    return tuple(str(n) for n in names if isinstance(n, str) and n.strip())


def actions(manifest: Mapping[str, Any]) -> list[Action]:
    """Every action of the manifest's `c2pa.actions` assertions, in order."""
    out: list[Action] = []
    for a in manifest.get("assertions") or []:
        if not str(a.get("label", "")).startswith(ACTIONS_LABEL):
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


def ingredients(manifest: Mapping[str, Any]) -> list[Ingredient]:
    """The manifest's ingredients, each with the failures recorded for its own manifest."""
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
                failures=blocking(str(f.get("code")) for f in vr or []),
            )
        )
    return out


def signer(manifest: Mapping[str, Any], certificate: Mapping[str, Any]) -> SignerInfo | None:
    """The signer, from its certificate's details when they were read (`crjson`), else
    from the names in the manifest's signature summary (common name, issuer's O)."""
    sig = manifest.get("signature_info") or {}
    algorithm = str(sig.get("alg", "")).lower() or None
    if certificate.get("subject"):
        return SignerInfo(
            subject=dn(certificate.get("subject")),
            issuer=dn(certificate.get("issuer")),
            serial_number=certificate.get("serialNumber"),  # hex
            not_before=(certificate.get("validity") or {}).get("notBefore"),
            not_after=(certificate.get("validity") or {}).get("notAfter"),
            algorithm=algorithm,
        )
    if not sig:
        return None
    name, org = sig.get("common_name"), sig.get("issuer")
    serial = str(sig.get("cert_serial_number") or "")  # decimal here, hex in certificates
    return SignerInfo(
        subject=f"CN={name}" if name else "",
        issuer=f"O={org}" if org else "",
        serial_number=f"{int(serial):x}" if serial.isdigit() else None,
        algorithm=algorithm,
        certificate=False,
    )


def timestamp(
    manifest: Mapping[str, Any],
    signature: Mapping[str, Any],
    success: Mapping[str, str],
    *,
    anchors_supplied: bool,
) -> TimestampInfo:
    """The signing time, and what proves it: from the manifest's signature info, the
    signature's timestamp details (`signature`: the crJSON `signature` block) and the
    library's success codes with their explanations."""
    sig = manifest.get("signature_info") or {}
    stamp = signature.get("timeStampInfo") or {}
    time = sig.get("time") or stamp.get("timestamp")
    subject = (stamp.get("certificateInfo") or {}).get("subject") or {}
    authority = subject.get("CN") or _after_colon(success.get("timeStamp.validated"))
    version = manifest.get("claim_version")
    ruling = timestamp_ruling(
        present=bool(time) or "timeStamp.validated" in success,
        verified="timeStamp.validated" in success,
        chain_checked="timeStamp.trusted" in success,
        authority=str(authority) if authority else None,
        claim_version=version if isinstance(version, int) else None,
        anchors_supplied=anchors_supplied,
    )
    return TimestampInfo(
        time=time,
        source="timestamp" if time else "none",
        trusted=ruling.trusted,
        validated=ruling.verified,
        authority=str(authority) if authority else None,
        explanation=ruling.explanation,
    )


def _after_colon(explanation: str | None) -> str | None:
    """The name in "timestamp message digest matched: NAME"."""
    if not explanation or ": " not in explanation:
        return None
    return explanation.split(": ", 1)[1].strip() or None


def status_entries(
    items: Iterable[Mapping[str, Any]] | None, *, ingredient: bool
) -> list[StatusEntry]:
    """Validation statuses from the library's JSON."""
    return [
        StatusEntry(
            code=str(i.get("code", "")),
            explanation=str(i.get("explanation", "")),
            url=str(i.get("url", "")),
            ingredient=ingredient,
        )
        for i in items or []
    ]
