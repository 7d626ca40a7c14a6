#!/usr/bin/env node
// Validate C2PA manifests with @trustnxt/c2pa-ts, an implementation that shares no code
// with c2pa-rs / c2pa-python. Prints one JSON object per input file (JSON Lines) to stdout.
//
// Usage: node validate.mjs [--force-bmff] [--patch-es512-hash] [--] FILE...
//
//   --force-bmff  Also read ISO BMFF files whose ftyp brands c2pa-ts does not list
//                 (it only accepts "heic"/"mif1", so plain MP4 with "isom"/"mp42" is refused).
//                 The brand check lives only in BMFF.canRead(), which the BMFF constructor
//                 calls; we swap that static method out for the duration of the constructor
//                 call. Everything after construction (box parsing, JUMBF extraction, BMFF
//                 hash v2/v3 validation) is c2pa-ts's unmodified code.
//   --patch-es512-hash
//                 Work around a c2pa-ts 0.9.4 bug: its COSE algorithm table maps ES512 (-36)
//                 to ECDSA with SHA-256 instead of SHA-512, so every ES512 claim signature
//                 fails with claimSignature.mismatch. This sets the hash to SHA-512 (no-op
//                 once fixed upstream). Used by the tests to prove the bug is theirs.
//
// Exit status: 0 if every file has a manifest with a valid signature and valid hard binding,
// 1 if any file does not, 2 on usage errors.
//
// Verdict fields:
//   path             the argument as given
//   format           "jpeg" | "png" | "bmff" | "mp3" | "unknown"
//   bmff_brands      [major, ...compatible] for ISO BMFF files, else null
//   forced_bmff      true if the brand check was bypassed for this file
//   patched_es512    true if --patch-es512-hash changed c2pa-ts's algorithm table
//   has_manifest     a C2PA manifest store was found and parsed
//   signature_valid  claim signature verified (true), failed (false), not evaluated (null)
//   hash_valid       data/BMFF hash matched (true), mismatched/malformed (false),
//                    not evaluated (null; c2pa-ts skips hard-binding checks once any
//                    earlier error, e.g. a bad signature or credential, was recorded)
//   credential_valid signing certificate profile checks passed (c2pa-ts calls this
//                    "signingCredential.trusted" although it has no trust list)
//   valid            c2pa-ts's own overall ValidationResult.isValid
//   status_codes     every status code c2pa-ts reported, in order
//   failure_codes    the subset reported as errors
//   status           full entries: {code, success, url, explanation}
//   error            null, or why the file could not be read/validated at all

import * as fs from 'node:fs/promises';
import { BMFF, JPEG, MP3, PNG } from '@trustnxt/c2pa-ts/asset';
import { Algorithms, CoseAlgorithmIdentifier } from '@trustnxt/c2pa-ts/cose';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore, ValidationResult } from '@trustnxt/c2pa-ts/manifest';

const SIGNATURE_OK = new Set(['claimSignature.validated']);
const SIGNATURE_BAD = new Set([
  'claimSignature.mismatch',
  'claimSignature.missing',
  'algorithm.unsupported',
]);
const HASH_OK = new Set(['assertion.dataHash.match', 'assertion.bmffHash.match']);
const HASH_BAD = new Set([
  'assertion.dataHash.mismatch',
  'assertion.dataHash.malformed',
  'assertion.bmffHash.mismatch',
  'assertion.bmffHash.malformed',
]);
const CREDENTIAL_OK = new Set(['signingCredential.trusted']);
const CREDENTIAL_BAD = new Set([
  'signingCredential.invalid',
  'signingCredential.expired',
  'signingCredential.untrusted',
]);

/** Fix c2pa-ts's ES512 table entry (SHA-256 -> SHA-512); true if anything was changed. */
function patchEs512Hash() {
  const es512 = Algorithms.getAlgorithm(CoseAlgorithmIdentifier.ES512);
  if (!es512 || es512.alg.hash === 'SHA-512') return false;
  es512.alg = { ...es512.alg, hash: 'SHA-512' };
  return true;
}

/** [major, ...compatible] brands if the buffer starts like an ISO BMFF file, else null. */
function bmffBrands(buf) {
  if (buf.length < 16) return null;
  const type = Buffer.from(buf.subarray(4, 8)).toString('latin1');
  if (type !== 'ftyp') return null;
  const size = Math.min(new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0), buf.length);
  const brands = [Buffer.from(buf.subarray(8, 12)).toString('latin1')];
  for (let pos = 16; pos + 4 <= size; pos += 4) {
    brands.push(Buffer.from(buf.subarray(pos, pos + 4)).toString('latin1'));
  }
  return brands;
}

/** Construct a c2pa-ts BMFF asset without its brand allow-list (see header comment). */
function constructBmffIgnoringBrand(buf) {
  const original = Object.getOwnPropertyDescriptor(BMFF, 'canRead');
  Object.defineProperty(BMFF, 'canRead', { ...original, value: () => true });
  try {
    return new BMFF(buf);
  } finally {
    Object.defineProperty(BMFF, 'canRead', original);
  }
}

function openAsset(buf, forceBmff, verdict) {
  if (JPEG.canRead(buf)) {
    verdict.format = 'jpeg';
    return new JPEG(buf);
  }
  if (PNG.canRead(buf)) {
    verdict.format = 'png';
    return new PNG(buf);
  }
  const brands = bmffBrands(buf);
  if (brands) {
    verdict.format = 'bmff';
    verdict.bmff_brands = brands;
    if (BMFF.canRead(buf)) return new BMFF(buf);
    if (forceBmff) {
      verdict.forced_bmff = true;
      return constructBmffIgnoringBrand(buf);
    }
    throw new Error(
      `c2pa-ts refuses this ISO BMFF file: brands ${JSON.stringify(brands)} ` +
        'not in its allow-list ["heic","mif1"] (use --force-bmff)',
    );
  }
  if (MP3.canRead(buf)) {
    verdict.format = 'mp3';
    return new MP3(buf);
  }
  throw new Error('unsupported or unrecognised file format');
}

/** false if an error entry is in `bad`, else true if a success entry is in `ok`, else null. */
function verdictFor(failed, passed, ok, bad) {
  if (failed.some((c) => bad.has(c))) return false;
  if (passed.some((c) => ok.has(c))) return true;
  return null;
}

async function validateFile(path, forceBmff, patchedEs512) {
  const verdict = {
    path,
    format: 'unknown',
    bmff_brands: null,
    forced_bmff: false,
    patched_es512: patchedEs512,
    has_manifest: false,
    signature_valid: null,
    hash_valid: null,
    credential_valid: null,
    valid: false,
    status_codes: [],
    failure_codes: [],
    status: [],
    error: null,
  };
  let asset;
  try {
    asset = openAsset(new Uint8Array(await fs.readFile(path)), forceBmff, verdict);
  } catch (e) {
    verdict.error = `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`;
    return verdict;
  }

  let jumbf;
  try {
    jumbf = asset.getManifestJUMBF();
  } catch (e) {
    verdict.error = `manifest extraction failed: ${e?.message ?? String(e)}`;
    return verdict;
  }
  if (!jumbf) {
    verdict.error = 'no C2PA manifest store found';
    return verdict;
  }

  let result;
  try {
    const manifests = ManifestStore.read(SuperBox.fromBuffer(jumbf));
    verdict.has_manifest = true;
    result = await manifests.validate(asset);
  } catch (e) {
    // c2pa-ts's documented way to turn an exception into a well-formed result
    result = ValidationResult.fromError(e);
    verdict.error = `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`;
  }

  verdict.status = result.statusEntries.map((s) => ({
    code: s.code,
    success: s.success ?? null,
    url: s.url ?? null,
    explanation: s.explanation ?? null,
  }));
  verdict.status_codes = result.statusEntries.map((s) => s.code);
  verdict.failure_codes = result.statusEntries.filter((s) => s.success === false).map((s) => s.code);
  const passed = result.statusEntries.filter((s) => s.success !== false).map((s) => s.code);
  verdict.signature_valid = verdictFor(verdict.failure_codes, passed, SIGNATURE_OK, SIGNATURE_BAD);
  verdict.hash_valid = verdictFor(verdict.failure_codes, passed, HASH_OK, HASH_BAD);
  verdict.credential_valid = verdictFor(verdict.failure_codes, passed, CREDENTIAL_OK, CREDENTIAL_BAD);
  verdict.valid = result.isValid;
  return verdict;
}

const USAGE = 'usage: node validate.mjs [--force-bmff] [--patch-es512-hash] [--] FILE...\n';

async function main(argv) {
  let forceBmff = false;
  let patchEs512 = false;
  const paths = [];
  let options = true;
  for (const arg of argv) {
    if (options && arg === '--') options = false;
    else if (options && arg === '--force-bmff') forceBmff = true;
    else if (options && arg === '--patch-es512-hash') patchEs512 = true;
    else if (options && (arg === '-h' || arg === '--help')) {
      process.stdout.write(USAGE);
      return 0;
    } else if (options && arg.startsWith('--')) {
      process.stderr.write(`unknown option ${arg}\n`);
      return 2;
    } else paths.push(arg);
  }
  if (paths.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const patchedEs512 = patchEs512 ? patchEs512Hash() : false;
  let allValid = true;
  for (const path of paths) {
    const verdict = await validateFile(path, forceBmff, patchedEs512);
    if (!(verdict.signature_valid && verdict.hash_valid)) allValid = false;
    process.stdout.write(JSON.stringify(verdict) + '\n');
  }
  return allValid ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
