// The browser upload's SHA-256 and part sizes, under Node: `node tests/js/sha256.test.mjs`.
// tests/js/test_sha256_js.py runs it from pytest, passing the SHA-256 Python's hashlib
// computes for the 1 MiB pattern below in STEWARD_PATTERN_SHA256 (alone, that test skips).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MAX_PARTS,
  MiB,
  Sha256,
  partSizeFor,
  sha256OfBlob,
} from "../../steward/static/steward/upload.js";

const text = (s) => new TextEncoder().encode(s);
const hex = (bytes) => new Sha256().update(bytes).digest();

// FIPS 180-4 examples and the NIST long-message vector.
const VECTORS = [
  ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  [
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
  [
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
  ],
  ["a".repeat(1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"],
];

// The pattern pytest hashes with hashlib as well: byte i is (i * 31 + 7) mod 256.
function pattern(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

test("known vectors", () => {
  for (const [input, expected] of VECTORS) assert.equal(hex(text(input)), expected);
});

test("every length around a block's padding boundary matches one-shot hashing", () => {
  // 55, 56 and 64 bytes change how the length fits in the last block.
  const data = pattern(200);
  for (let length = 0; length <= 200; length++) {
    const whole = hex(data.subarray(0, length));
    const hash = new Sha256();
    for (let i = 0; i < length; i += 7) hash.update(data.subarray(i, Math.min(i + 7, length)));
    assert.equal(hash.digest(), whole, `length ${length}`);
  }
});

const expected = process.env.STEWARD_PATTERN_SHA256;
const fromPytest = expected ? {} : { skip: "hashlib's answer comes from pytest (test_sha256_js.py)" };

test("the 1 MiB pattern matches Python's hashlib, in any slicing", fromPytest, async () => {
  const data = pattern(MiB);
  assert.equal(hex(data), expected);
  const hash = new Sha256();
  for (let i = 0, step = 1; i < data.length; i += step, step = (step * 7 + 3) % 9001) {
    hash.update(data.subarray(i, i + step));
  }
  assert.equal(hash.digest(), expected);
  // As the page reads a File: in 4 MiB slices of a Blob.
  const seen = [];
  assert.equal(await sha256OfBlob(new Blob([data]), (n) => seen.push(n)), expected);
  assert.deepEqual(seen, [MiB]);
});

test("a digest ends the hash", () => {
  const hash = new Sha256().update(text("abc"));
  hash.digest();
  assert.throws(() => hash.update(text("d")));
});

test("part sizes: at least 5 MiB, whole MiB, at most 10 000 parts", () => {
  assert.equal(partSizeFor(1), 5 * MiB);
  assert.equal(partSizeFor(11 * MiB), 5 * MiB);
  assert.equal(partSizeFor(50_000 * MiB), 5 * MiB);
  assert.equal(partSizeFor(50_000 * MiB + 1), 6 * MiB);
  for (const size of [1, 5 * MiB, 80 * 1024 * MiB, 1099511627776]) {
    const part = partSizeFor(size);
    assert.ok(part >= 5 * MiB && part % MiB === 0);
    assert.ok(Math.ceil(size / part) <= MAX_PARTS, `${size} bytes`);
  }
});
