"""Who made it and how, in one line each: the words `sign`, `verify` and `history` share
for a creator identity and for capture facts."""

from __future__ import annotations

from provenance.models import CaptureFacts, CreatorIdentity, Position

__all__ = ["capture_line", "identity_line", "position_text"]


def identity_line(i: CreatorIdentity) -> str:
    """`Jane Doe, Daily Planet (cawg.creator): TRUSTED - why`."""
    who = ", ".join(x for x in (i.name, i.organization) if x) or "(unnamed)"
    roles = f" ({', '.join(i.roles)})" if i.roles else ""
    return f"{who}{roles}: {i.status.value.upper()} - {i.explanation}"


def position_text(p: Position) -> str:
    """`48.858400, 2.294500, 35 m`."""
    alt = f", {p.altitude:g} m" if p.altitude is not None else ""
    return f"{p.latitude:.6f}, {p.longitude:.6f}{alt}"


def capture_line(c: CaptureFacts) -> str:
    """The capture facts people look for first: device, time, exposure, place; a withheld
    group is said to be withheld, never left to look absent."""
    withheld = {r.value for r in c.redacted}
    parts = []
    device = " ".join(x for x in (c.make, c.model) if x)
    if device:
        parts.append(device + (f" with {c.lens}" if c.lens else ""))
    elif "device" in withheld:
        parts.append("device redacted")
    if c.captured_at:
        parts.append(f"taken {c.captured_at}")
    elif "time" in withheld:
        parts.append("time redacted")
    exposure = [
        f"{c.exposure_time} s" if c.exposure_time else "",
        f"f/{c.f_number:g}" if c.f_number is not None else "",
        f"ISO {c.iso}" if c.iso is not None else "",
        f"{c.focal_length:g} mm" if c.focal_length is not None else "",
    ]
    if any(exposure):
        parts.append(" ".join(x for x in exposure if x))
    if c.position:
        parts.append(f"at {position_text(c.position)}")
    elif "location" in withheld:
        parts.append("location redacted")
    return "; ".join(parts) or "no capture facts recorded"
