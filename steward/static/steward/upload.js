// The Files step of a submission: uploads the archive and the sample in parts, the way the
// datacollective SDK does (the MDC multipart protocol), with progress, resuming after a
// reload. Plain JavaScript, no build step. An ES module: tests/js/sha256.test.mjs imports
// its pure parts (Sha256, sha256OfBlob, partSizeFor) under Node, where there is no document.

export const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB; // S3's minimum for every part but the last
export const MAX_PARTS = 10000;
export const MAX_FILE_SIZE = 1099511627776; // 1 TiB, the API's limit
const PARALLEL_PUTS = 3;
const RETRIES = 2; // a failed part is tried three times in all
const RETRY_DELAY_MS = 1000; // then twice as long before each further try
const HASH_CHUNK = 4 * MiB;
const STATE_PREFIX = "steward.upload:";

/** The part size for a file: at least 5 MiB, whole MiB, and at most 10 000 parts. */
export function partSizeFor(size) {
  return Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

// --- SHA-256 (FIPS 180-4), incremental ---------------------------------------------------
// WebCrypto's subtle.digest needs the whole input at once, and the server needs the SHA-256
// of files far larger than memory, so the file is hashed here slice by slice.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
  0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
  0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
  0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
  0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

// One 64-byte block of `bytes` at `offset` into the state `h`; `w` is scratch space.
// Sums may pass 2^32; `| 0` brings them back to 32 bits, as the algorithm adds modulo 2^32.
function compress(h, w, bytes, offset) {
  for (let i = 0; i < 16; i++, offset += 4) {
    w[i] =
      (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
}

export class Sha256 {
  constructor() {
    this.h = new Int32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
      0x5be0cd19,
    ]);
    this.w = new Int32Array(64);
    this.block = new Uint8Array(64); // the start of a block not yet full
    this.filled = 0;
    this.length = 0; // bytes taken so far
    this.done = false;
  }

  /** Add bytes (a Uint8Array); any number, in any slicing, gives the same digest. */
  update(bytes) {
    if (this.done) throw new Error("Sha256: update() after digest()");
    let offset = 0;
    this.length += bytes.length;
    if (this.filled > 0) {
      offset = Math.min(64 - this.filled, bytes.length);
      this.block.set(bytes.subarray(0, offset), this.filled);
      this.filled += offset;
      if (this.filled < 64) return this;
      compress(this.h, this.w, this.block, 0);
      this.filled = 0;
    }
    for (; offset + 64 <= bytes.length; offset += 64) compress(this.h, this.w, bytes, offset);
    if (offset < bytes.length) {
      this.block.set(bytes.subarray(offset), 0);
      this.filled = bytes.length - offset;
    }
    return this;
  }

  /** The digest as 64 lower-case hex digits; the hash takes no more input afterwards. */
  digest() {
    const bits = this.length * 8; // exact: files stay far below 2^53 bits
    // 0x80, zeros up to 56 bytes into a block, then the length in bits, big-endian.
    const padding = new Uint8Array((this.filled < 56 ? 64 : 128) - this.filled);
    padding[0] = 0x80;
    const view = new DataView(padding.buffer);
    view.setUint32(padding.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(padding.length - 4, bits >>> 0);
    this.update(padding);
    this.done = true;
    return Array.from(this.h, (word) => (word >>> 0).toString(16).padStart(8, "0")).join("");
  }
}

/** The SHA-256 of a Blob (a File), read a few MiB at a time; `onProgress(bytesHashed)`. */
export async function sha256OfBlob(blob, onProgress, signal) {
  const hash = new Sha256();
  for (let offset = 0; offset < blob.size; offset += HASH_CHUNK) {
    signal?.throwIfAborted();
    const end = Math.min(offset + HASH_CHUNK, blob.size);
    hash.update(new Uint8Array(await blob.slice(offset, end).arrayBuffer()));
    onProgress?.(end);
  }
  return hash.digest();
}

// --- Saved uploads: what a reload needs to resume ----------------------------------------
// Keyed by submission, purpose and the file's name, size and date, which are all a browser
// can tell of a file the user picks again.

function stateKey(submission, purpose, file) {
  return `${STATE_PREFIX}${submission}:${purpose}:${file.name}:${file.size}:${file.lastModified}`;
}

function loadState(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

function saveState(key, state) {
  try {
    localStorage.setItem(key, JSON.stringify(state));
  } catch {
    // Storage full or turned off: the upload works, it just cannot resume after a reload.
  }
}

function removeState(key) {
  try {
    localStorage.removeItem(key);
  } catch {}
}

function savedStates(submission, purpose) {
  const prefix = `${STATE_PREFIX}${submission}:${purpose}:`;
  const found = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      const state = key?.startsWith(prefix) && loadState(key);
      if (state?.fileUploadId) found.push({ key, state });
    }
  } catch {}
  return found.sort((x, y) => (x.state.startedAt || 0) - (y.state.startedAt || 0));
}

// --- Talking to the API ------------------------------------------------------------------

class UploadError extends Error {
  // kind: "network", "http" (with status and the server's words), "no_etag", "aborted"
  constructor(kind, { status = 0, detail = "", retryable = false } = {}) {
    super(detail || kind);
    this.kind = kind;
    this.status = status;
    this.detail = detail;
    this.retryable = retryable;
  }
}

async function httpError(response) {
  let detail = "";
  try {
    detail = (await response.json()).error || "";
  } catch {}
  const { status } = response;
  return new UploadError("http", {
    status,
    detail: detail || `${status} ${response.statusText}`.trim(),
    retryable: status >= 500 || status === 429,
  });
}

function fetchError(error) {
  if (error?.name === "AbortError") return new UploadError("aborted");
  return new UploadError("network", { detail: String(error), retryable: true });
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new UploadError("aborted"));
      },
      { once: true },
    );
  });
}

/** Run `task` on each item, `limit` at a time; stop starting new ones after a failure. */
async function eachWithLimit(items, limit, task) {
  let next = 0;
  let failure = null;
  async function worker() {
    while (next < items.length && !failure) {
      const item = items[next++];
      try {
        await task(item);
      } catch (error) {
        failure = failure || { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

// --- The uploader: one per file input ----------------------------------------------------

function fill(template, values = {}) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

class Uploader {
  constructor(section, messages) {
    const data = section.dataset;
    this.messages = messages;
    this.submission = data.submission;
    this.purpose = data.purpose;
    this.csrfToken = data.csrfToken;
    this.refreshUrl = data.refreshUrl;
    this.base =
      data.purpose === "sample"
        ? `${data.apiBase}/submissions/${encodeURIComponent(data.submission)}/sample`
        : `${data.apiBase}/uploads`;
    this.lang = document.documentElement.lang || undefined;
    const find = (name) => section.querySelector(`[data-${name}]`);
    this.input = find("input");
    this.progress = find("progress");
    this.status = find("status");
    this.error = find("error");
    this.stopButton = find("stop");
    this.resume = find("resume");
    this.busy = false;

    this.input.addEventListener("change", () => {
      const file = this.input.files[0];
      if (file) this.upload(file);
    });
    this.stopButton.addEventListener("click", () => this.controller?.abort());
    find("resume-button").addEventListener("click", () => this.input.click());
    find("discard-button").addEventListener("click", () => this.discard());
    this.offerResume();
    section.hidden = false;
  }

  say(name, values) {
    return fill(this.messages[name], values);
  }

  size(bytes) {
    const units = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) {
      bytes /= 1024;
      i++;
    }
    return new Intl.NumberFormat(this.lang, {
      style: "unit",
      unit: units[i],
      maximumFractionDigits: i ? 1 : 0,
    }).format(bytes);
  }

  percent(fraction) {
    return new Intl.NumberFormat(this.lang, { style: "percent" }).format(fraction);
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  showError(text) {
    this.error.querySelector("p").textContent = text;
    this.error.hidden = !text;
  }

  async api(method, url, body) {
    let response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        signal: this.controller.signal,
        headers: {
          Accept: "application/json",
          "X-CSRFToken": this.csrfToken,
          ...(body ? { "Content-Type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      throw fetchError(error);
    }
    if (!response.ok) {
      const error = await httpError(response);
      error.retryable = error.retryable && method === "GET";
      throw error;
    }
    return response.status === 204 ? null : response.json();
  }

  /** Offer to resume an upload this browser left unfinished, or hide the offer. */
  offerResume() {
    const saved = savedStates(this.submission, this.purpose).pop();
    this.resume.hidden = !saved || this.busy;
    if (this.resume.hidden) return;
    const { name, size } = saved.state;
    this.resume.querySelector("[data-resume-text]").textContent = this.say("resume_offer", {
      name,
      size: this.size(size),
    });
    this.resume.querySelector("[data-resume-button]").textContent = this.say("resume_button", {
      name,
    });
    this.resume.querySelector("[data-discard-button]").textContent = this.say("discard_button");
    this.resumeKey = saved.key;
  }

  /** Cancel the interrupted upload on the server and forget it here. */
  async discard() {
    const state = loadState(this.resumeKey);
    removeState(this.resumeKey);
    this.offerResume();
    if (!state) return;
    this.controller = new AbortController();
    try {
      await this.api("DELETE", `${this.base}/${state.fileUploadId}`);
    } catch {
      // Already gone or completed: the server expires what is left.
    }
    this.setStatus(this.say("discarded", { name: state.name }));
  }

  async upload(file) {
    if (this.busy) return;
    this.showError("");
    const problem = !/\.(tar\.gz|tgz)$/i.test(file.name)
      ? "bad_name"
      : file.size === 0
        ? "empty"
        : file.size > MAX_FILE_SIZE
          ? "too_large"
          : null;
    if (problem) {
      this.input.value = "";
      this.showError(this.say(problem, { name: file.name }));
      return;
    }
    this.busy = true;
    this.resume.hidden = true;
    this.input.disabled = true;
    this.stopButton.hidden = false;
    this.progress.hidden = false;
    this.controller = new AbortController();
    this.file = file;
    this.sent = 0;
    this.hashed = 0;
    this.shownTenth = -1;
    try {
      await this.run(file);
      this.setStatus(this.say("done", { name: file.name }));
      await this.refresh();
    } catch (error) {
      this.fail(error);
    } finally {
      this.controller.abort(); // stops the hashing too, if the transfer failed first
      this.busy = false;
      this.input.disabled = false;
      // Picking the same file again must fire "change", to resume it.
      this.input.value = "";
      this.stopButton.hidden = true;
      this.offerResume();
    }
  }

  async run(file) {
    const key = stateKey(this.submission, this.purpose, file);
    // The checksum is computed while the parts go up: reading is local, sending is not.
    const hashing = sha256OfBlob(
      file,
      (bytes) => {
        this.hashed = bytes;
        this.report();
      },
      this.controller.signal,
    );
    hashing.catch(() => {}); // awaited below; a failed transfer must not leave it unhandled
    for (let restarted = false; ; restarted = true) {
      try {
        const { state, parts } = await this.transfer(file, key);
        const checksum = await hashing;
        this.setStatus(this.say("finishing", { name: file.name }));
        await this.api("POST", `${this.base}/${state.fileUploadId}`, {
          uploadId: state.uploadId,
          parts,
          checksum,
        });
        // This file is in; any other interrupted upload for the same purpose is moot.
        for (const saved of savedStates(this.submission, this.purpose)) removeState(saved.key);
        return;
      } catch (error) {
        // 410: the upload expired or was cancelled. Forget it and start once more afresh.
        if (error.status !== 410 || restarted) throw error;
        removeState(key);
        this.setStatus(this.say("restarting", { name: file.name }));
      }
    }
  }

  /** Send every part the server lacks; returns the upload's state and its full part list. */
  async transfer(file, key) {
    this.sent = 0;
    let state = loadState(key);
    const stored = new Map();
    if (state) {
      try {
        const listing = await this.api("GET", `${this.base}/${state.fileUploadId}/parts`);
        for (const part of listing.parts) stored.set(part.partNumber, part);
      } catch (error) {
        if (error.status !== 404 && error.status !== 410) throw error;
        removeState(key);
        state = null;
        this.setStatus(this.say("restarting", { name: file.name }));
      }
    }
    if (!state) {
      this.setStatus(this.say("preparing", { name: file.name }));
      const started = await this.api("POST", this.base, {
        submissionId: this.submission,
        filename: file.name,
        fileSize: file.size,
        mimeType: "application/gzip",
      });
      state = {
        fileUploadId: started.fileUploadId,
        uploadId: started.uploadId,
        name: file.name,
        size: file.size,
        lastModified: file.lastModified,
        partSize: partSizeFor(file.size),
        startedAt: Date.now(),
      };
      saveState(key, state);
    }
    const { partSize } = state;
    const count = Math.ceil(file.size / partSize);
    const sizeOf = (n) => Math.min(partSize, file.size - (n - 1) * partSize);
    const etags = new Map();
    for (const [n, part] of stored) {
      // A part of the wrong size was cut short; send it again.
      if (n <= count && part.size === sizeOf(n)) etags.set(n, part.etag);
    }
    const missing = [];
    for (let n = 1; n <= count; n++) {
      if (etags.has(n)) this.sent += sizeOf(n);
      else missing.push(n);
    }
    if (etags.size) {
      this.setStatus(this.say("resuming", { name: file.name, count: etags.size, total: count }));
    }
    this.report();
    await eachWithLimit(missing, PARALLEL_PUTS, async (n) => {
      etags.set(n, await this.sendPart(state, file, n, partSize, sizeOf(n)));
      this.sent += sizeOf(n);
      this.report();
    });
    const parts = [...etags].sort((x, y) => x[0] - y[0]);
    return { state, parts: parts.map(([partNumber, etag]) => ({ partNumber, etag })) };
  }

  /** PUT one part to a fresh URL, trying again after a network or server failure. */
  async sendPart(state, file, n, partSize, size) {
    const signal = this.controller.signal;
    for (let attempt = 0; ; attempt++) {
      try {
        const { url } = await this.api("GET", `${this.base}/${state.fileUploadId}/parts/${n}`);
        const start = (n - 1) * partSize;
        let response;
        try {
          // No credentials and no Content-Type: the URL itself authorizes the PUT, and an
          // S3 presigned URL is signed without either.
          response = await fetch(url, {
            method: "PUT",
            body: file.slice(start, start + size),
            credentials: "omit",
            signal,
          });
        } catch (error) {
          throw fetchError(error);
        }
        if (!response.ok) {
          const error = await httpError(response);
          // 403: the URL expired meanwhile; the next try asks for a new one.
          error.retryable = error.retryable || response.status === 403;
          throw error;
        }
        const etag = response.headers.get("ETag");
        if (!etag) throw new UploadError("no_etag");
        return etag.trim().replace(/^"|"$/g, "");
      } catch (error) {
        if (!error.retryable || attempt >= RETRIES || signal.aborted) throw error;
        await sleep(RETRY_DELAY_MS * 2 ** attempt, signal);
      }
    }
  }

  /** Move the bar; say the progress in words only every tenth, not to flood screen readers. */
  report() {
    const size = this.file.size;
    // Sending and hashing both read the whole file; the bar counts both.
    this.progress.max = 2 * size;
    this.progress.value = this.sent + this.hashed;
    const uploading = this.sent < size;
    const fraction = uploading ? this.sent / size : this.hashed / size;
    const tenth = Math.floor(fraction * 10) + (uploading ? 0 : 100);
    if (tenth === this.shownTenth || (!uploading && this.hashed >= size)) return;
    this.shownTenth = tenth;
    const values = {
      name: this.file.name,
      done: this.size(this.sent),
      total: this.size(size),
      percent: this.percent(fraction),
    };
    this.setStatus(this.say(uploading ? "uploading" : "hashing", values));
  }

  fail(error) {
    if (error.kind === "aborted" || error.name === "AbortError") {
      this.setStatus(this.say("stopped"));
      return;
    }
    this.setStatus("");
    let text;
    if (error.kind === "network") text = this.say("network");
    else if (error.kind === "no_etag") text = this.say("no_etag");
    else if (error.status === 401) text = this.say("signed_out");
    else text = this.say("refused", { error: error.detail || String(error) });
    this.showError(text);
  }

  /** Show the attached files as the server now has them (the step's htmx fragment). */
  async refresh() {
    const target = document.getElementById("attached-files");
    try {
      const response = await fetch(this.refreshUrl, {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      if (!response.ok || !target) return;
      target.outerHTML = await response.text();
      // Let htmx poll the new table while a large file is still being checked.
      window.htmx?.process(document.getElementById("attached-files"));
    } catch {
      // The upload is done; the table catches up on the next page load.
    }
  }
}

function start() {
  const messages = document.getElementById("upload-messages");
  const capable = typeof fetch === "function" && "arrayBuffer" in Blob.prototype;
  if (!messages || !capable) return; // the page's no-JavaScript explanation stays
  const texts = JSON.parse(messages.textContent);
  for (const section of document.querySelectorAll("[data-upload]")) new Uploader(section, texts);
  for (const fallback of document.querySelectorAll("[data-upload-fallback]")) {
    fallback.hidden = true;
  }
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
