// The web verifier's page: upload a file, follow the progress, show what the server's
// view says (the `verify --json` report, the history tree, pictures). Plain DOM, no
// framework; text is always set as text, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function icon(name, cls) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("aria-hidden", "true");
  if (cls) svg.setAttribute("class", cls);
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", "#i-" + name);
  svg.append(use);
  return svg;
}

const ICONS = {
  trusted: "trusted", valid: "valid", tampered: "tampered", invalid: "invalid",
  unsigned: "unsigned", error: "error", missing: "missing",
};

function badge(status) {
  return h("span", { class: "badge v-" + (status === "missing" ? "error" : status) },
    icon(ICONS[status] || "error"), status);
}

function timecode(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const m = Math.floor(seconds / 60);
  const s = (seconds - 60 * m).toFixed(3).padStart(6, "0");
  return String(m).padStart(2, "0") + ":" + s;
}

const range = (r) => (r ? (r[0] === r[1] ? String(r[0]) : r[0] + "–" + r[1]) : "–");
const rects = (rs) => rs.map(([x, y, w, hh]) => `${w}×${hh} at ${x},${y}`).join("; ");

// ------------------------------------------------------------------ picking and upload

let info = null;
let previewUrl = null;

async function loadInfo() {
  try {
    const r = await fetch("/api/info");
    info = await r.json();
  } catch {
    return;
  }
  const t = info.trust;
  const anchors = t.anchors
    ? `${t.anchors} trust anchor${t.anchors > 1 ? "s" : ""}` +
      (t.allowed_signers ? `, ${t.allowed_signers} allowed signer(s)` : "")
    : "no trust anchors (nothing can be “trusted”, at best “valid”)";
  $("settings").textContent =
    `Checks content credentials (C2PA) on this machine, against ${anchors}` +
    (info.registry ? "; unsigned files are looked up in the registry." : ".");
  $("limit").textContent = `Up to ${Math.floor(info.limits.upload_bytes / 1048576)} MB.`;
}

function start(file, sidecar) {
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  if (sidecar) form.append("sidecar", sidecar, sidecar.name);
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = file.type.startsWith("image/") ? URL.createObjectURL(file) : null;
  $("alert").hidden = true;
  $("result").hidden = true;
  $("pick").hidden = true;
  $("busy").hidden = false;
  $("busy-name").textContent = file.name;
  $("upload-bar").value = 0;
  $("work-bar").removeAttribute("value");
  $("status").textContent = "Uploading…";

  const xhr = new XMLHttpRequest();
  let seen = 0;
  let done = false;
  xhr.open("POST", "/api/view");
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) {
      const pct = Math.round((100 * e.loaded) / e.total);
      $("upload-bar").value = pct;
      $("status").textContent = `Uploading… ${pct}%`;
    }
  };
  xhr.upload.onload = () => {
    $("upload-bar").value = 100;
    $("status").textContent = "Checking the credentials…";
  };
  const consume = () => {
    if (xhr.status !== 200) return;
    const text = xhr.responseText;
    let nl;
    while ((nl = text.indexOf("\n", seen)) >= 0) {
      const line = text.slice(seen, nl);
      seen = nl + 1;
      if (!line.trim()) continue;
      const event = JSON.parse(line);
      if (event.progress) progress(event.progress);
      else if (event.result) { done = true; show(event.result); }
      else if (event.error) { done = true; fail(event.error); }
    }
  };
  xhr.onprogress = consume;
  xhr.onload = () => {
    if (xhr.status !== 200) {
      let message = `The server answered ${xhr.status}.`;
      try { message = JSON.parse(xhr.responseText).error || message; } catch { /* keep */ }
      fail(message);
      return;
    }
    consume();
    if (!done) fail("The server's answer ended early.");
  };
  xhr.onerror = () => fail("The upload failed: is the server still running?");
  xhr.send(form);
}

const STAGES = {
  reading: "Checking the credentials…",
  "looking up": "Looking the file up in the registry…",
  decoding: "Decoding frames to find what changed",
  drawing: "Drawing the changed frames…",
};

function progress(p) {
  const bar = $("work-bar");
  if (p.stage === "decoding" && p.total) {
    bar.max = p.total;
    bar.value = p.done;
    $("status").textContent = `${STAGES.decoding}: frame ${p.done} of ${p.total}`;
  } else if (p.stage === "decoding") {
    bar.removeAttribute("value");
    $("status").textContent = `${STAGES.decoding}: frame ${p.done}`;
  } else {
    $("status").textContent = STAGES[p.stage] || p.stage;
  }
}

function fail(message) {
  $("busy").hidden = true;
  $("pick").hidden = false;
  const alert = $("alert");
  alert.textContent = message;
  alert.hidden = false;
}

// ------------------------------------------------------------------------------ result

let view = null;

function show(v) {
  view = v;
  const report = v.report.reports[0];
  $("busy").hidden = true;
  $("result").hidden = false;
  const box = $("verdict");
  box.className = "verdict v-" + report.verdict;
  $("verdict-icon").setAttribute("href", "#i-" + report.verdict);
  $("verdict-word").textContent = report.verdict;
  $("verdict-words").textContent = v.words.verdict;
  $("verdict-message").textContent = `${report.path}: ${report.message}`;
  const reg = $("registry");
  reg.hidden = !v.registry;
  if (v.registry) {
    reg.textContent =
      `Found in the registry (${v.registry.registry}), similarity ` +
      `${Math.round(v.registry.similarity * 100)}%: the credentials below are the signed ` +
      "original's, and the timeline compares your file with it.";
  }
  facts(report, v.words, v.registry);
  problems(report, v.words);
  timeline(report, v.pictures);
  picture(report, v.pictures);
  history(v.history, v.words);
  $("verdict-word").setAttribute("tabindex", "-1");
  $("verdict-word").focus();
}

function facts(r, words, registry) {
  const dl = $("facts");
  dl.replaceChildren();
  const row = (k, ...v) => dl.append(h("dt", {}, k), h("dd", {}, ...v));
  if (r.metadata_location) {
    row("Warning", "The file's own metadata (EXIF, XMP or container tags) gives away where it was made.");
  }
  if (r.signer) {
    row("Signed by", r.signer.subject);
    row("Certificate issued by", r.signer.issuer);
  }
  if (r.trust) row("Trust", h("strong", {}, r.trust.decision.replace("_", " ")), ": ", r.trust.reason);
  if (r.validity) row("Certificate", r.validity.explanation);
  if (r.timestamp) {
    row("Signed at", r.timestamp.time || "not recorded");
    row("Timestamp", r.timestamp.explanation);
  }
  if (r.claim_generator) row("Made with", r.claim_generator);
  if (r.title) row("Title", r.title);
  for (const a of r.authors) row("Author", a);
  for (const i of r.identities) {
    const who = [i.name, i.organization].filter(Boolean).join(", ") || "(unnamed)";
    const roles = i.roles.length ? ` (${i.roles.map((x) => x.replace("cawg.", "")).join(", ")})` : "";
    row("Creator", who + roles + " ", badge(i.status === "unverified" ? "unsigned" : i.status),
      " ", i.explanation);
  }
  if (r.capture) row("Capture", captureText(r.capture));
  for (const a of r.actions) row("Action", actionText(a, words));
  if (registry) {
    row("Credentials from", `the registry ${registry.registry}, manifest ${registry.manifest_id}`);
  } else if (r.manifest_source && r.manifest_source !== "embedded") {
    row("Credentials from", `${r.manifest_source}: ${r.sidecar || ""}`);
  }
  for (const i of r.ingredients) {
    row("Ingredient", `${i.title || "(untitled)"} (${i.relationship || "ingredient"})` +
      (i.failures.length ? ` — failures: ${i.failures.join(", ")}` : ""));
  }
  $("facts-box").hidden = !dl.childElementCount;
}

function actionText(a, words) {
  const name = a.action.replace(/^c2pa\./, "").replace(/_/g, " ");
  const how = a.digital_source_type ? words.source_types[a.digital_source_type] : null;
  return how ? `${name}: ${how}` : name;
}

function captureText(c) {
  const withheld = new Set(c.redacted);
  const parts = [];
  const device = [c.make, c.model].filter(Boolean).join(" ");
  if (device) parts.push(device + (c.lens ? ` with ${c.lens}` : ""));
  else if (withheld.has("device")) parts.push("device redacted");
  if (c.captured_at) parts.push(`taken ${c.captured_at}`);
  else if (withheld.has("time")) parts.push("time redacted");
  if (c.position) parts.push(`at ${c.position.latitude.toFixed(6)}, ${c.position.longitude.toFixed(6)}`);
  else if (withheld.has("location")) parts.push("location redacted");
  return parts.join("; ") || "no capture facts recorded";
}

function problems(r, words) {
  const ul = $("problems");
  ul.replaceChildren();
  for (const f of r.failures) {
    const plain = words.codes[f.code];
    ul.append(h("li", {},
      h("code", {}, f.code), f.ingredient ? " (in an ingredient)" : "",
      plain ? h("span", {}, ": ", h("strong", {}, plain)) : null,
      f.explanation ? h("span", { class: "muted" }, ` — ${f.explanation}`) : null));
  }
  $("problems-box").hidden = !r.failures.length;
}

// ---------------------------------------------------------------------- frame timeline

const STATUS_WORDS = {
  intact: "intact: exactly as signed",
  reencoded: "re-encoded: the same picture, compressed again",
  edited: "edited: the picture changed",
  inserted: "inserted: not in the signed video",
  missing: "missing: signed, but cut out",
};

function segLength(s) {
  const r = s.checked_range || s.signed_range;
  return r[1] - r[0] + 1;
}

function segText(s) {
  return `${s.status}: checked frames ${range(s.checked_range)}, signed frames ` +
    `${range(s.signed_range)}, ${timecode(s.start_time)} to ${timecode(s.end_time)}`;
}

function timeline(r, pictures) {
  const box = $("timeline-box");
  const frames = r.frames;
  box.hidden = !frames || !frames.segments.length;
  if (box.hidden) return;
  const summary = Object.entries(frames.summary).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`);
  $("timeline-summary").textContent =
    `${frames.checked_frame_count} frames checked against ${frames.signed_frame_count} signed: ` +
    summary.join(", ") + "." +
    (frames.retimed ? ` The frame rate changed from ${frames.retimed.from_fps} to ` +
      `${frames.retimed.to_fps} fps (not counted as missing or inserted).` : "");
  const bar = $("timeline");
  const tip = $("tip");
  bar.replaceChildren();
  const total = frames.segments.reduce((n, s) => n + segLength(s), 0);
  let pos = 0;
  const buttons = frames.segments.map((s, k) => {
    const left = pos / total;
    pos += segLength(s);
    const b = h("button", {
      type: "button", class: `seg s-${s.status}`, "aria-label": segText(s),
      "aria-pressed": "false", "data-segment": String(k), "data-status": s.status,
    });
    b.style.width = `${(100 * segLength(s)) / total}%`;
    const showTip = () => {
      tip.textContent = segText(s);
      tip.hidden = false;
      tip.style.left = `${Math.min(left * 100, 60)}%`;
    };
    b.addEventListener("mouseenter", showTip);
    b.addEventListener("focus", showTip);
    b.addEventListener("mouseleave", () => { tip.hidden = true; });
    b.addEventListener("blur", () => { tip.hidden = true; });
    b.addEventListener("click", () => select(k));
    b.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step && buttons[k + step]) { e.preventDefault(); buttons[k + step].focus(); }
    });
    bar.append(b);
    return b;
  });
  axis(frames.segments, total);
  const legend = $("legend");
  legend.replaceChildren(...Object.keys(STATUS_WORDS).filter((k) => frames.summary[k])
    .map((k) => h("li", {}, h("span", { class: `swatch s-${k}`, "aria-hidden": "true" }), STATUS_WORDS[k])));
  const tbody = $("segments").tBodies[0];
  tbody.replaceChildren(...frames.segments.map((s, k) => h("tr", { "data-segment": String(k) },
    h("td", {}, s.status), h("td", {}, range(s.checked_range)), h("td", {}, range(s.signed_range)),
    h("td", {}, timecode(s.start_time)), h("td", {}, timecode(s.end_time)),
    h("td", {}, rects(s.regions)),
    h("td", {}, s.checked_range ? h("button", { type: "button", class: "secondary",
      onclick: () => { select(k); buttons[k].focus(); } }, "Show") : ""))));
  const first = frames.segments.findIndex((s) => s.status === "edited" || s.status === "inserted");
  $("selected").replaceChildren();
  if (first >= 0) select(first);

  function select(k) {
    buttons.forEach((b, j) => {
      b.classList.toggle("selected", j === k);
      b.setAttribute("aria-pressed", String(j === k));
    });
    const s = frames.segments[k];
    const pic = pictures.find((p) => p.segment === k);
    const out = $("selected");
    if (pic) {
      out.replaceChildren(figure(pic, `Frame ${pic.frame} (${segText(s)})`));
    } else {
      out.replaceChildren(h("p", {}, segText(s) + ". " + (s.status === "missing"
        ? "These frames are not in your file, so there is nothing to show."
        : "Nothing changed in these frames that needs outlining.")));
    }
  }
}

function axis(segments, total) {
  const el = $("axis");
  el.replaceChildren();
  const anchors = [];
  let pos = 0;
  for (const s of segments) {
    if (s.checked_range) anchors.push([s.start_time, pos]);
    pos += segLength(s);
    if (s.checked_range) anchors.push([s.end_time, pos]);
  }
  if (!anchors.length) return;
  const t0 = anchors[0][0];
  const t1 = anchors[anchors.length - 1][0];
  const span = Math.max(t1 - t0, 1e-3);
  const most = Math.max(2, Math.floor(el.clientWidth / 80)); // labels never overlap
  const step = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => span / s <= most) || 1200;
  for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) {
    let p = anchors[anchors.length - 1][1];
    for (let i = 1; i < anchors.length; i++) {
      const [ta, pa] = anchors[i - 1];
      const [tb, pb] = anchors[i];
      if (t >= ta && t <= tb) { p = tb > ta ? pa + ((t - ta) / (tb - ta)) * (pb - pa) : pa; break; }
    }
    const tick = h("span", { class: "tick" }, timecode(t));
    tick.style.left = `${(100 * p) / total}%`;
    el.append(tick);
  }
}

function figure(pic, caption) {
  const regions = pic.regions.length ? `Changed regions outlined: ${rects(pic.regions)}.` : "";
  return h("figure", { class: "picture" },
    h("img", { src: pic.src, width: pic.width, height: pic.height,
      alt: `${caption}. ${regions}` }),
    h("figcaption", {}, `${caption}. ${regions}`));
}

function picture(r, pictures) {
  const box = $("picture-box");
  const fig = $("picture");
  const still = pictures.find((p) => p.segment === null);
  fig.replaceChildren();
  if (still) {
    fig.replaceChildren(...figure(still, "Your file").childNodes);
  } else if (previewUrl && !r.frames) {
    fig.append(h("img", { src: previewUrl, alt: "Your file" }),
      h("figcaption", {}, r.verdict === "tampered" ? "No visible change located." : "Your file."));
  }
  box.hidden = !still && !(previewUrl && !r.frames);
}

// --------------------------------------------------------------------------- history

function history(tree, words) {
  const box = $("history-box");
  box.hidden = !tree || !tree.root;
  if (box.hidden) return;
  $("history").replaceChildren(node(tree.root, words));
}

function node(n, words) {
  const kids = n.ingredients.map((i) => node(i, words));
  const actions = n.actions.map((a) => actionText(a, words)).join("; ");
  return h("li", {},
    h("div", { class: "node" },
      h("p", { class: "node-title" }, n.title || "(untitled)", " ", badge(n.status),
        n.relationship ? h("span", { class: "muted" }, ` ${n.relationship}`) : null),
      n.signer ? h("p", {}, `Signed by ${n.signer}` + (n.signed_at ? ` at ${n.signed_at}` : "")) : null,
      n.claim_generator ? h("p", {}, `Made with ${n.claim_generator}`) : null,
      actions ? h("p", {}, `Actions: ${actions}`) : null,
      n.authors.length ? h("p", {}, `Author: ${n.authors.join(", ")}`) : null,
      n.failures.length ? h("p", {}, "Failures: ", ...n.failures.map((c) =>
        h("span", {}, h("code", {}, c), words.codes[c] ? ` (${words.codes[c]}) ` : " "))) : null),
    kids.length ? h("ul", {}, kids) : null);
}

// ---------------------------------------------------------------------------- wiring

function download() {
  const report = view.report;
  const blob = new Blob([JSON.stringify(report, null, 2) + "\n"], { type: "application/json" });
  const a = h("a", { href: URL.createObjectURL(blob), download: `${report.reports[0].path}.verify.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function wire() {
  const form = $("form");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    start($("file").files[0], $("sidecar").files[0]);
  });
  for (const ev of ["dragenter", "dragover"]) {
    document.addEventListener(ev, (e) => { e.preventDefault(); form.classList.add("over"); });
  }
  document.addEventListener("dragleave", (e) => {
    if (e.target === document.documentElement || e.target === form) form.classList.remove("over");
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    form.classList.remove("over");
    const files = [...e.dataTransfer.files];
    const sidecar = files.find((f) => f.name.toLowerCase().endsWith(".c2pa"));
    const file = files.find((f) => f !== sidecar);
    if (file) start(file, sidecar);
    else fail("Drop the media file itself (its .c2pa sidecar may come with it).");
  });
  $("download").addEventListener("click", download);
  $("again").addEventListener("click", () => {
    $("result").hidden = true;
    $("pick").hidden = false;
    form.reset();
    $("file").focus();
  });
  loadInfo();
}

wire();
