#!/usr/bin/env node
// loadgen.js — the CouchDB-replication-protocol side of villagesync's peer
// benchmark (bench/peer_bench).
//
// The C++ harness starts `pouchdb-server` (4.2.0) itself and runs this script
// once per step, as a subprocess (pinned to a CPU with taskset). This script
// plays the devices: PouchDB 9.0.0 clients whose local databases are leveldb
// PouchDBs at `${dir}/${name}`, replicating against the server database
// `${server}/county` (created if missing: the remote PouchDB does that on its
// first request).
//
// Usage:  node loadgen.js <command> --server http://HOST:PORT --dir DIR [flags]
//
// Commands (the "timed" part is measured with process.hrtime.bigint()):
//   push --dataset FILE --devices N
//       Untimed: write each device i's records (dataset lines with
//       "device" == i) into ${dir}/dev${i} with bulkDocs, 500 at a time.
//       Timed: all N devices replicate to the server at once.
//       -> {"seconds","requests","docs_written"}
//   pull --name NAME
//       Timed: replicate the server into ${dir}/NAME (new, or incremental
//       from its checkpoint). Then hash the whole local database.
//       -> {"seconds","requests","docs_written","docs","hash"}
//   edit --name NAME --edits FILE
//       Untimed, local only: set one top-level field per edit line.
//       -> {"edited"}   (number of edit lines applied)
//   push-one --name NAME
//       Timed: replicate ${dir}/NAME to the server.
//       -> {"seconds","requests","docs_written"}
//   sync --name NAME [--max-seconds 1800] [--stall-seconds 120]
//       The poor-link scenario. Timed: repeat one-shot PouchDB.sync (both
//       directions) until one attempt succeeds, backing off 1 s, 2 s, ... at
//       most 16 s between failed attempts. An attempt that makes no progress
//       (no 'change' event and no HTTP response) for --stall-seconds is
//       cancelled, its requests aborted, and counted as failed, because
//       PouchDB 9 has no request timeout of its own: a stalled connection
//       hangs it forever. Fails when --max-seconds have passed.
//       -> {"seconds","requests","attempts","failed_attempts",
//           "pushed","pulled","docs","hash"}
//   verify
//       Hash of the server's `county` database, read over HTTP.
//       -> {"docs","hash"}
//
// `edit` accepts (and ignores) --server and `verify` accepts (and ignores)
// --dir, so the harness may pass both to every command. Flags may also be
// written --flag=value.
//
// Output: exactly one JSON line on stdout; all logging goes to stderr.
// On failure: {"error":"..."} (plus counts where the command has them) and
// exit status 1.
//
// "requests" counts every HTTP request made to the server (including failed
// ones and those of failed attempts): every remote PouchDB is created with a
// `fetch` option that counts, then delegates to PouchDB.fetch.
//
// Canonical content hash (the C++ side computes the same bytes): over the
// winning revisions of the non-deleted docs, sorted by key
// `${collection}/${id}` (id = _id after the first ':'), concatenate
//   `${collection}/${id}\n` `village=${village}\n`
// and then `${name}=${value}\n` for every other top-level field in ascending
// name order, skipping _id, _rev, _revisions, _conflicts, _attachments,
// collection and village; lowercase hex SHA-256 of the UTF-8 bytes.

'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const readline = require('readline');

// Keep stdout for the single result line: anything PouchDB (or we) log via
// console goes to stderr.
for (const m of ['log', 'info', 'warn', 'debug']) console[m] = console.error;

const PouchDB = require('pouchdb');

const BULK_CHUNK = 500;        // records per bulkDocs when seeding devices
const EDIT_CHUNK = 500;        // edit lines read and applied per round
const PAGE = 1000;             // allDocs page size when hashing
const BACKOFF_START_MS = 1000; // sync: first wait after a failed attempt
const BACKOFF_MAX_MS = 16000;  // sync: longest wait

// ---------------------------------------------------------------------------
// Command line

const COMMANDS = {
  // command: [required flags, optional flags with defaults]
  push: [['server', 'dir', 'dataset', 'devices'], {}],
  pull: [['server', 'dir', 'name'], {}],
  edit: [['dir', 'name', 'edits'], {server: null}],
  'push-one': [['server', 'dir', 'name'], {}],
  sync: [['server', 'dir', 'name'], {'max-seconds': '1800', 'stall-seconds': '120'}],
  verify: [['server'], {dir: null}],
};

function parseArgs(argv) {
  const command = argv[0];
  if (!Object.prototype.hasOwnProperty.call(COMMANDS, command)) {
    throw new Error(`unknown command ${JSON.stringify(command)}; expected one of ` +
      Object.keys(COMMANDS).join(', '));
  }
  const [required, optional] = COMMANDS[command];
  const flags = Object.assign({}, optional);
  for (let i = 1; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${JSON.stringify(argv[i])}`);
    const name = m[1];
    if (!required.includes(name) && !(name in optional)) {
      throw new Error(`flag --${name} is not valid for ${command}`);
    }
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new Error(`flag --${name} needs a value`);
      value = argv[++i];
    }
    flags[name] = value;
  }
  for (const name of required) {
    if (flags[name] === undefined) throw new Error(`${command} needs --${name}`);
  }
  return {command, flags};
}

function positiveNumber(flags, name, integer) {
  const v = Number(flags[name]);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Helpers

/** Error whose extra fields go into the {"error":...} line. */
class CommandError extends Error {
  constructor(message, extra) {
    super(message);
    this.extra = extra || {};
  }
}

// Every HTTP request to the server goes through countingFetch.
let requests = 0;
// Called whenever an HTTP response arrives (sync's stall detector uses it).
let onHttpResponse = null;

/**
 * Remote PouchDB for `${server}/county` whose requests are counted.
 * `abortSignal`, if given, aborts every in-flight request of this object
 * (sync uses it to tear down a cancelled attempt's hung connections).
 */
function openRemote(server, abortSignal) {
  const url = server.replace(/\/+$/, '') + '/county';
  return new PouchDB(url, {
    fetch: (reqUrl, opts) => {
      requests++;
      if (abortSignal) {
        opts = Object.assign({}, opts, {
          signal: opts && opts.signal ? AbortSignal.any([opts.signal, abortSignal]) : abortSignal,
        });
      }
      const p = PouchDB.fetch(reqUrl, opts);
      if (onHttpResponse) p.then(() => onHttpResponse && onHttpResponse(), () => {});
      return p;
    },
  });
}

/** Local leveldb PouchDB at ${dir}/${name}, opened before returning. */
async function openLocal(dir, name) {
  fs.mkdirSync(dir, {recursive: true});
  const db = new PouchDB(path.join(dir, name));
  await db.info(); // make sure opening/creating is not part of a timed section
  return db;
}

function nowNs() {
  return process.hrtime.bigint();
}

function secondsSince(startNs) {
  return Number(nowNs() - startNs) / 1e9;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Async iterator over the parsed JSON objects of a JSON Lines file. */
async function* readJsonLines(file) {
  const rl = readline.createInterface({
    input: fs.createReadStream(file, {encoding: 'utf8'}),
    crlfDelay: Infinity,
  });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${lineNo}: bad JSON: ${e.message}`);
    }
  }
}

/** Throw if a bulkDocs answer has any per-document error. */
function checkBulkResult(results, what) {
  const bad = results.filter((r) => r.error);
  if (bad.length) {
    const r = bad[0];
    throw new Error(`${what}: ${bad.length} document(s) not written, first ` +
      `${r.id}: ${r.name || r.error} ${r.message || r.reason || ''}`.trim());
  }
}

/** Throw unless a replication result is a clean, complete one. */
function checkReplicationResult(res, what) {
  if (!res || res.ok === false || res.status !== 'complete' ||
      res.doc_write_failures > 0 || (res.errors && res.errors.length)) {
    throw new Error(`${what}: replication did not complete cleanly (status ` +
      `${res && res.status}, doc_write_failures ${res && res.doc_write_failures})`);
  }
}

// ---------------------------------------------------------------------------
// Canonical content hash

const SKIPPED_FIELDS = new Set(['_id', '_rev', '_revisions', '_conflicts',
  '_attachments', 'collection', 'village']);

/** The bytes one document contributes to the hash, and its sort key. */
function canonicalEntry(doc) {
  const colon = doc._id.indexOf(':');
  if (colon < 0) throw new Error(`doc ${JSON.stringify(doc._id)} has no ':' in its _id`);
  if (typeof doc.collection !== 'string' || typeof doc.village !== 'string') {
    throw new Error(`doc ${JSON.stringify(doc._id)} lacks a string collection/village`);
  }
  const key = doc.collection + '/' + doc._id.slice(colon + 1);
  let text = key + '\n' + 'village=' + doc.village + '\n';
  const names = Object.keys(doc).filter((n) => !SKIPPED_FIELDS.has(n)).sort();
  for (const name of names) {
    if (typeof doc[name] !== 'string') {
      throw new Error(`doc ${JSON.stringify(doc._id)} field ${name} is not a string`);
    }
    text += name + '=' + doc[name] + '\n';
  }
  return {key, text};
}

/**
 * {docs, hash} of every non-deleted doc of `db` (local or remote), read with
 * allDocs include_docs in pages of PAGE. Design docs are not data and are
 * left out. The per-doc text is kept (not whole docs) so the docs can be
 * sorted by canonical key, which need not follow _id order.
 */
async function contentHash(db) {
  const entries = [];
  let opts = {include_docs: true, limit: PAGE};
  for (;;) {
    const page = await db.allDocs(opts);
    for (const row of page.rows) {
      if (row.id.startsWith('_design/')) continue;
      entries.push(canonicalEntry(row.doc));
    }
    if (page.rows.length < PAGE) break;
    opts = {include_docs: true, limit: PAGE, startkey: page.rows[page.rows.length - 1].id, skip: 1};
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const h = crypto.createHash('sha256');
  for (const e of entries) h.update(e.text, 'utf8');
  return {docs: entries.length, hash: h.digest('hex')};
}

// ---------------------------------------------------------------------------
// Commands

/** push: seed N device databases (untimed), then all push at once (timed). */
async function cmdPush(flags) {
  const n = positiveNumber(flags, 'devices', true);
  const locals = [];
  for (let i = 0; i < n; i++) locals.push(await openLocal(flags.dir, `dev${i}`));

  // Untimed setup: stream the dataset, writing each device's records in
  // bulkDocs chunks of BULK_CHUNK.
  const pending = locals.map(() => []);
  let records = 0;
  let skipped = 0;
  const flush = async (i) => {
    const docs = pending[i];
    pending[i] = [];
    if (docs.length) {
      checkBulkResult(await locals[i].bulkDocs(docs),
        `seeding ${path.join(flags.dir, `dev${i}`)} (does it already exist?)`);
    }
  };
  for await (const rec of readJsonLines(flags.dataset)) {
    const i = rec.device;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      skipped++;
      continue;
    }
    pending[i].push(Object.assign({_id: rec.collection + ':' + rec.id,
      collection: rec.collection, village: rec.village}, rec.fields));
    records++;
    if (pending[i].length >= BULK_CHUNK) await flush(i);
  }
  for (let i = 0; i < n; i++) await flush(i);
  if (skipped) console.error(`push: skipped ${skipped} record(s) of devices outside 0..${n - 1}`);
  console.error(`push: seeded ${records} records into ${n} device databases`);

  // Timed: every device replicates to the server through its own remote.
  const remotes = locals.map(() => openRemote(flags.server));
  const start = nowNs();
  const settled = await Promise.allSettled(
    locals.map((local, i) => PouchDB.replicate(local, remotes[i])));
  const seconds = secondsSince(start);

  let docsWritten = 0;
  settled.forEach((s, i) => {
    if (s.status === 'rejected') {
      throw new CommandError(`push: device ${i} replication failed: ${s.reason && s.reason.message}`,
        {seconds, requests});
    }
    checkReplicationResult(s.value, `push: device ${i}`);
    docsWritten += s.value.docs_written;
  });
  if (docsWritten !== records) {
    throw new CommandError(`push: docs_written ${docsWritten} != ${records} records`,
      {seconds, requests, docs_written: docsWritten});
  }
  await Promise.all(locals.map((db) => db.close()));
  return {seconds, requests, docs_written: docsWritten};
}

/** pull: server -> ${dir}/NAME (timed), then hash the local database. */
async function cmdPull(flags) {
  const local = await openLocal(flags.dir, flags.name);
  const remote = openRemote(flags.server);
  const start = nowNs();
  const res = await PouchDB.replicate(remote, local);
  const seconds = secondsSince(start);
  checkReplicationResult(res, 'pull');
  const {docs, hash} = await contentHash(local);
  await local.close();
  return {seconds, requests, docs_written: res.docs_written, docs, hash};
}

/** edit: apply the edits file to ${dir}/NAME, locally and untimed. */
async function cmdEdit(flags) {
  const local = await openLocal(flags.dir, flags.name);
  let edited = 0;

  // Applies one chunk of edits: read the docs it touches, set the fields in
  // file order (several edits of one doc all land in one new revision), write.
  const apply = async (edits) => {
    const ids = [...new Set(edits.map((e) => e.collection + ':' + e.id))];
    const res = await local.allDocs({keys: ids, include_docs: true});
    const docs = new Map();
    for (const row of res.rows) {
      if (!row.doc) {
        throw new Error(`edit: doc ${JSON.stringify(row.key)} missing from ${flags.name}` +
          (row.value && row.value.deleted ? ' (deleted)' : ''));
      }
      docs.set(row.id, row.doc);
    }
    for (const e of edits) docs.get(e.collection + ':' + e.id)[e.field] = e.value;
    checkBulkResult(await local.bulkDocs([...docs.values()]), 'edit');
    edited += edits.length;
  };

  let chunk = [];
  for await (const e of readJsonLines(flags.edits)) {
    if (typeof e.field !== 'string' || e.field.startsWith('_') ||
        e.field === 'collection' || typeof e.value !== 'string') {
      throw new Error(`edit: bad edit ${JSON.stringify(e)}`);
    }
    chunk.push(e);
    if (chunk.length >= EDIT_CHUNK) {
      await apply(chunk);
      chunk = [];
    }
  }
  if (chunk.length) await apply(chunk);
  await local.close();
  return {edited};
}

/** push-one: ${dir}/NAME -> server (timed). */
async function cmdPushOne(flags) {
  const local = await openLocal(flags.dir, flags.name);
  const remote = openRemote(flags.server);
  const start = nowNs();
  const res = await PouchDB.replicate(local, remote);
  const seconds = secondsSince(start);
  checkReplicationResult(res, 'push-one');
  await local.close();
  return {seconds, requests, docs_written: res.docs_written};
}

/**
 * One sync attempt. Resolves (never rejects) with
 * {ok, error, written: {push, pull}}. The attempt is cancelled when it has
 * made no progress (no 'change' event and no HTTP response) for stallMs, or
 * when the overall deadline passes; its in-flight requests are then aborted.
 */
async function syncAttempt(local, server, stallMs, deadlineNs) {
  const abort = new AbortController();
  const remote = openRemote(server, abort.signal);
  const written = {push: 0, pull: 0};
  let lastProgress = Date.now();
  onHttpResponse = () => { lastProgress = Date.now(); };

  const sync = PouchDB.sync(local, remote);
  sync.on('change', (info) => {
    lastProgress = Date.now();
    // change.docs_written is cumulative for that direction in this attempt.
    written[info.direction] = Math.max(written[info.direction], info.change.docs_written);
  });

  let watchdog;
  const outcome = await new Promise((resolve) => {
    sync.then((res) => resolve({ok: true, res}), (err) => resolve({ok: false, error: err}));
    watchdog = setInterval(() => {
      if (nowNs() >= deadlineNs) {
        resolve({ok: false, error: new Error('cancelled: --max-seconds reached'), deadline: true});
      } else if (Date.now() - lastProgress >= stallMs) {
        resolve({ok: false, error: new Error(`cancelled: no progress for ${stallMs / 1000} s`)});
      }
    }, 250);
  });
  clearInterval(watchdog);
  onHttpResponse = null;

  if (outcome.ok) {
    // Both directions must have completed cleanly; a 'cancelled' status here
    // would mean something cancelled us, which is a failure too.
    try {
      checkReplicationResult(outcome.res.push, 'sync push');
      checkReplicationResult(outcome.res.pull, 'sync pull');
    } catch (e) {
      return {ok: false, error: e, written, fatal: true};
    }
    written.push = outcome.res.push.docs_written;
    written.pull = outcome.res.pull.docs_written;
    return {ok: true, written};
  }
  // Failed or stalled: stop both directions and drop their connections.
  sync.cancel();
  abort.abort();
  return {ok: false, error: outcome.error, written, deadline: outcome.deadline};
}

/** sync: retry one-shot two-way sync over a poor link until it succeeds. */
async function cmdSync(flags) {
  const maxSeconds = positiveNumber(flags, 'max-seconds', false);
  const stallMs = positiveNumber(flags, 'stall-seconds', false) * 1000;
  const local = await openLocal(flags.dir, flags.name);

  let attempts = 0;
  let failedAttempts = 0;
  let pushed = 0;
  let pulled = 0;
  let backoffMs = BACKOFF_START_MS;
  const start = nowNs();
  const deadline = start + BigInt(Math.round(maxSeconds * 1e9));
  const counts = () => ({seconds: secondsSince(start), requests, attempts,
    failed_attempts: failedAttempts, pushed, pulled});

  for (;;) {
    attempts++;
    const a = await syncAttempt(local, flags.server, stallMs, deadline);
    pushed += a.written.push;
    pulled += a.written.pull;
    if (a.ok) break;
    failedAttempts++;
    const msg = (a.error && (a.error.message || a.error.reason || a.error.name)) || String(a.error);
    console.error(`sync: attempt ${attempts} failed after ${secondsSince(start).toFixed(1)} s ` +
      `(pushed ${a.written.push}, pulled ${a.written.pull}): ${msg}`);
    if (a.fatal) throw new CommandError(`sync: ${msg}`, counts());
    const remainingMs = Number(deadline - nowNs()) / 1e6;
    if (a.deadline || remainingMs <= 0) {
      throw new CommandError(`sync: no successful attempt within --max-seconds ${maxSeconds}`, counts());
    }
    await sleep(Math.min(backoffMs, remainingMs));
    backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
    if (nowNs() >= deadline) {
      throw new CommandError(`sync: no successful attempt within --max-seconds ${maxSeconds}`, counts());
    }
  }
  const result = counts();
  console.error(`sync: succeeded on attempt ${attempts} after ${result.seconds.toFixed(1)} s`);
  const {docs, hash} = await contentHash(local);
  await local.close();
  return Object.assign(result, {docs, hash});
}

/** verify: hash of the server's database, read directly over HTTP. */
async function cmdVerify(flags) {
  return contentHash(openRemote(flags.server));
}

// ---------------------------------------------------------------------------
// Main

const HANDLERS = {
  push: cmdPush,
  pull: cmdPull,
  edit: cmdEdit,
  'push-one': cmdPushOne,
  sync: cmdSync,
  verify: cmdVerify,
};

function finish(obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(code));
}

// Requests aborted after a cancelled sync attempt can surface inside PouchDB
// as promise rejections nobody handles; they are expected, so log them only.
process.on('unhandledRejection', (reason) => {
  console.error('loadgen: unhandled rejection (ignored):', reason && (reason.message || reason));
});

async function main() {
  let result;
  try {
    const {command, flags} = parseArgs(process.argv.slice(2));
    result = await HANDLERS[command](flags);
  } catch (e) {
    console.error(e && e.stack ? e.stack : e);
    const message = (e && (e.message || e.reason || e.name)) || String(e);
    finish(Object.assign({error: message}, e && e.extra), 1);
    return;
  }
  finish(result, 0);
}

main();
