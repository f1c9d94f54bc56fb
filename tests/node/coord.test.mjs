// coord.test.mjs — the multi-tab protocol through the wasm build's exports
// (docs/wasm-abi.md, "The multi-tab protocol"): two machines in one Node process, their
// channels and locks played by this file, their storage one shared memdb database. A
// follower's write reaches the leader and comes back answered; the leader's tab closes,
// the follower takes over at a higher epoch, and a write re-sent to it is answered
// from its record instead of running twice. The protocol's many-client, crash-at-every-
// step checks are the native simulator's (tests/native/test_coord_sim.c).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadAlone, setup } from './helpers.mjs';
import { decodeResult } from '../../src/js/codec.js';
import {
  checkChannelMessage, decodeAnswers, dropSpares, encodeAnswers, encodeCoordRequest, framedPart, offerSpare,
  postFrame, replyFields as replyOf, spareStats, sqlBody,
} from '../../src/js/protocol.js';
import { ACT } from '../../src/js/coord.js';
import {
  ANS_RESULT, COORD_ANNOUNCE, COORD_DIRECT_HEAD, COORD_DONE, COORD_HEADER, COORD_LEASE_END,
  COORD_LEASE_IDLE, COORD_NO_BUDGET, COORD_REJECTED, COORD_REPLY, COORD_REQUEST, COORD_VERSION,
  REQ_BEGIN, REQ_COMMIT,
  REQ_EXEC, SQLITE_WORKER_DIED, SQLITE_WORKER_RESULT_NOT_KEPT, SQLW_MAGIC_RESULT,
} from '../../src/js/proto.js';

const { core } = await setup();
const x = core.exports;

/* Copies bytes into wasm memory (scratch). Returns the pointer. */
function put(bytes) {
  const p = x.scratch(bytes.length || 1);
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  return p;
}

/* Copies a request body into a block coord_local takes (it frees it). Returns its pointer. */
function owned(bytes) {
  const p = x.alloc(bytes.length);
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  return p;
}

/* An exec request body: u32 length of the SQL, then the SQL. */
function execBody(sql) {
  const text = new TextEncoder().encode(sql);
  const body = new Uint8Array(4 + text.length);
  new DataView(body.buffer).setUint32(0, text.length, true);
  body.set(text, 4);
  return body;
}

/* Opens the shared database with the raw exports (coord_attach needs the handle). */
function openShared() {
  const names = new TextEncoder().encode('/coord-shared\0memdb\0');
  const p = put(names);
  const db = x.open(p, p + names.indexOf(0) + 1, 0);
  assert.ok(db && x.errcode(db) === 0);
  return db;
}

/* One client: its machine, and what its actions did. */
class Client {
  constructor(n) {
    this.id = new Uint8Array(16).fill(n);
    this.c = x.coord_create(put(this.id), 5000, 30000, 0);
    assert.ok(this.c);
    this.db = 0;
    this.leader = false;
    this.epoch = 0;
    this.replies = new Map();   // seq → { status, kind, body }
    this.outbox = [];           // [channel, to, bytes]
    this.drain();
  }

  /* Performs the machine's actions. */
  drain() {
    for (let a = x.coord_next(this.c); a; a = x.coord_next(this.c)) {
      const data = new Uint8Array(x.memory.buffer, x.coord_act_data(), x.coord_act_len()).slice();
      const id = new Uint8Array(x.memory.buffer, x.coord_act_id(), 16).slice();
      if (a === ACT.POST_LEADER || a === ACT.POST_ALL || a === ACT.POST_CLIENT) this.outbox.push([a, id, data]);
      else if (a === ACT.ROLE) {
        this.leader = x.coord_act_leader() === 1;
        this.epoch = x.coord_act_epoch();
      } else if (a === ACT.OPEN_STORAGE) {
        this.db = openShared();
        x.coord_attach(this.c, this.db);
        x.coord_storage_opened(this.c, 0, 0);
      } else if (a === ACT.TIMER) {
        this.timer = x.coord_act_at();
      } else if (a === ACT.LOCAL_REPLY) {
        this.replies.set(x.coord_act_seq(), { status: x.coord_act_status(), kind: x.coord_act_kind(), body: data });
      }
    }
  }

  /* The timer it asked for is due: tick at that time. */
  tick() {
    x.coord_tick(this.c, this.timer);
    this.drain();
  }

  /* Closes everything (the tab is gone). */
  close() {
    x.coord_destroy(this.c);
    if (this.db) x.close(this.db);
    this.c = 0;
  }
}

/* Delivers every posted message to the clients it is for, until none is left. */
function deliver(clients) {
  for (let moved = true; moved;) {
    moved = false;
    for (const from of clients) {
      const out = from.outbox.splice(0);
      for (const [channel, to, bytes] of out) {
        moved = true;
        for (const c of clients) {
          if (c === from || !c.c) continue;
          if (channel === ACT.POST_CLIENT && !c.id.every((b, i) => b === to[i])) continue;
          x.coord_message(c.c, put(bytes), bytes.length, 0);
          c.drain();
        }
      }
    }
  }
}

/* The SQWR of a reply, decoded; fails the test when the reply is not a success. */
function answer(reply) {
  assert.ok(reply, 'no reply');
  assert.equal(reply.status, COORD_DONE, decodeResult(reply.body).message);
  const r = decodeResult(reply.body);
  assert.equal(r.rc, 0, r.message);
  return r;
}

test('100 a follower writes through the leader; a new leader answers a re-send from its record', () => {
  const check = openShared();
  const run = (sql) => {
    const body = execBody(sql);
    x.exec(check, put(body.subarray(4)), body.length - 4, 0, 0);
  };
  run('CREATE TABLE t(k TEXT)');
  const a = new Client(1);
  const b = new Client(2);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  deliver([a, b]);
  assert.equal(a.leader, true);
  assert.equal(a.epoch, 1);

  // b's write goes to a and comes back answered.
  const w1 = execBody("INSERT INTO t VALUES ('b-1')");
  x.coord_local(b.c, 1, 0, REQ_EXEC, owned(w1), w1.length, COORD_NO_BUDGET, 0, 0);
  b.drain();
  deliver([a, b]);
  assert.equal(answer(b.replies.get(1)).changes, 1);

  // b's second write reaches a, which runs it, but a's tab closes before b hears back.
  const w2 = execBody("INSERT INTO t VALUES ('b-2')");
  x.coord_local(b.c, 2, 0, REQ_EXEC, owned(w2), w2.length, COORD_NO_BUDGET, 0, 0);
  b.drain();
  const [, , request] = b.outbox.shift();
  x.coord_message(a.c, put(request), request.length, 0);
  a.drain();
  a.outbox.length = 0;          // the reply is lost with the tab
  a.close();

  // b takes over: a higher epoch, and its pending write is answered from the record
  // (on the next tick: the new role goes to the page first).
  x.coord_leader_granted(b.c, 0);
  b.drain();
  deliver([b]);
  assert.equal(b.leader, true);
  assert.equal(b.epoch, 2);
  assert.equal(b.replies.get(2), undefined);
  b.tick();
  assert.equal(answer(b.replies.get(2)).changes, 1);
  const body = execBody('SELECT k, count(*) AS n FROM t GROUP BY k ORDER BY k');
  x.exec(check, put(body.subarray(4)), body.length - 4, 0, 0);
  const rows = decodeResult(new Uint8Array(x.memory.buffer, x.result_ptr(check), x.result_len(check)).slice()).resultSets[0].rows;
  assert.deepEqual(rows, [{ k: 'b-1', n: 1 }, { k: 'b-2', n: 1 }]);
  b.close();
  x.close(check);
});

test("105 the follower's hop: a page's own REQUEST runs on the leader, its REPLY reads back, the worker forwards nothing", () => {
  const keep = openShared();
  const a = new Client(21);
  const b = new Client(22);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  deliver([a, b]);
  assert.equal(x.coord_direct(a.c), 0, 'the leader names no leader');
  const at = x.coord_direct(b.c);
  assert.ok(at);
  const head = new Uint8Array(x.memory.buffer, at, COORD_DIRECT_HEAD).slice();
  assert.deepEqual([...head.subarray(COORD_HEADER)], [...a.id]);

  // The page encodes the REQUEST itself (the parts as the page sends them) ...
  const parts = sqlBody("CREATE TABLE hop(k TEXT); INSERT INTO hop VALUES ('p') RETURNING k", null);
  const sent = encodeCoordRequest(head, { seq: 1, lease: 0, acked: 1, kind: REQ_EXEC, budget: COORD_NO_BUDGET }, parts);
  const checked = checkChannelMessage(sent, a.id);
  assert.equal(checked.type, COORD_REQUEST);
  // ... and tells its worker, which posts nothing.
  const body = new Uint8Array([...parts[0], ...parts[1]]);
  x.coord_local(b.c, 1, 0, REQ_EXEC, owned(body), body.length, COORD_NO_BUDGET, 1, 0);
  b.drain();
  assert.equal(b.outbox.length, 0);
  assert.equal(x.coord_idle(b.c), 0);

  // The leader runs it and answers b's channel, which the page and the worker both hear.
  x.coord_message(a.c, put(sent), sent.length, 0);
  a.drain();
  const reply = a.outbox.find(([channel]) => channel === ACT.POST_CLIENT)[2];
  const m = checkChannelMessage(reply, b.id);
  assert.equal(m.type, COORD_REPLY);
  const { seq, status, body: answerBody } = replyOf(m.bytes);
  assert.equal(seq, 1);
  assert.equal(status, COORD_DONE);
  assert.equal(answerBody[0], ANS_RESULT);
  const result = decodeResult(answerBody.subarray(1));
  assert.equal(result.rc, 0, result.message);
  assert.deepEqual(result.resultSets[0].rows, [{ k: 'p' }]);
  deliver([a, b]);
  assert.equal(b.replies.get(1), undefined, 'the worker forwards no answer its page took');
  assert.equal(x.coord_idle(b.c), 1);
  a.close();
  b.close();
  x.close(keep);
});

test('110 junk on the channels is dropped, never acted on', () => {
  const a = new Client(3);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  a.outbox.length = 0;
  const junk = [new Uint8Array(0), new TextEncoder().encode('SQWC'), new Uint8Array(200).fill(0xff),
    new Uint8Array([0x53, 0x51, 0x57, 0x43, 1, 0, 3, 0, ...new Array(60).fill(7)])];
  for (const bytes of junk) {
    assert.equal(x.coord_message(a.c, put(bytes), bytes.length, 0), 0);
    a.drain();
  }
  assert.equal(a.outbox.length, 0);
  assert.equal(x.coord_is_leader(a.c), 1);
  a.close();
});

test("120 connection settings belong to the tab that set them, and follow it to a new leader", () => {
  const keep = openShared();    // the shared memory database lives while a connection does
  const a = new Client(11);
  const b = new Client(12);
  const c = new Client(13);
  const all = [a, b, c];
  x.coord_leader_granted(a.c, 0);
  a.drain();
  deliver(all);
  assert.equal(a.leader, true);
  const send = (client, seq, sql) => {
    const body = execBody(sql);
    x.coord_local(client.c, seq, 0, REQ_EXEC, owned(body), body.length, COORD_NO_BUDGET, 0, 0);
    client.drain();
    deliver(all.filter((k) => k.c));
    return decodeResult(client.replies.get(seq).body);
  };
  assert.equal(send(a, 1, 'CREATE TABLE fp(id INTEGER PRIMARY KEY); CREATE TABLE fc(pid REFERENCES fp(id))').rc, 0);
  // b turns foreign keys on: its own requests check them, c's do not.
  assert.equal(send(b, 1, 'PRAGMA foreign_keys = ON').rc, 0);
  const fk = send(b, 2, 'INSERT INTO fc VALUES (99)');
  assert.equal(fk.rc, 787, fk.message);
  assert.equal(send(c, 1, 'INSERT INTO fc VALUES (98)').rc, 0);
  assert.equal(send(b, 3, 'INSERT INTO fc VALUES (97)').rc, 787);
  assert.deepEqual(send(c, 2, 'PRAGMA foreign_keys').resultSets[0].rows, [{ foreign_keys: 0 }]);
  assert.deepEqual(send(b, 4, 'PRAGMA foreign_keys').resultSets[0].rows, [{ foreign_keys: 1 }]);
  // The leader's tab closes; b leads now, on a connection of its own: b's setting holds,
  // c still has none.
  a.close();
  x.coord_leader_granted(b.c, 0);
  b.drain();
  deliver([b, c]);
  b.tick();
  assert.equal(b.leader, true);
  assert.equal(send(b, 5, 'INSERT INTO fc VALUES (96)').rc, 787);
  assert.equal(send(c, 3, 'INSERT INTO fc VALUES (95)').rc, 0);
  assert.deepEqual(send(b, 6, 'SELECT pid FROM fc ORDER BY pid').resultSets[0].rows, [{ pid: 95 }, { pid: 98 }]);
  // c turns them off for itself... and its tab dies: its settings go with it.
  assert.equal(send(c, 4, 'PRAGMA recursive_triggers = ON').rc, 0);
  const mine = `SELECT count(*) AS n FROM _sqlw_settings WHERE client = x'${'0d'.repeat(16)}'`;
  assert.deepEqual(send(b, 7, mine).resultSets[0].rows, [{ n: 1 }]);
  c.close();
  x.coord_client_gone(b.c, put(new Uint8Array(16).fill(13)), 0);
  b.drain();
  assert.deepEqual(send(b, 8, mine).resultSets[0].rows, [{ n: 0 }]);
  assert.deepEqual(send(b, 9, 'PRAGMA foreign_keys').resultSets[0].rows, [{ foreign_keys: 1 }]);
  b.close();
  x.close(keep);
});

test('130 a request whose leaders all stop before answering is given up after 3, never sent to a 4th', () => {
  const keep = openShared();
  const b = new Client(21);
  const body = execBody('SELECT 1');
  x.coord_local(b.c, 1, 0, REQ_EXEC, owned(body), body.length, COORD_NO_BUDGET, 0, 0);
  b.drain();
  let received = 0;
  for (let i = 0; i < 4; i++) {
    // A new tab takes the lead, gets b's request (re-sent to it), and dies with it.
    const leader = new Client(30 + i);
    x.coord_leader_granted(leader.c, 0);
    leader.drain();
    for (const [channel, , bytes] of leader.outbox.splice(0)) {
      if (channel === ACT.POST_ALL) x.coord_message(b.c, put(bytes), bytes.length, 0);
    }
    b.drain();
    for (const [channel] of b.outbox.splice(0)) if (channel === ACT.POST_LEADER) received++;
    leader.close();
  }
  assert.equal(received, 3, 'sent to three leaders, not to the fourth');
  const reply = b.replies.get(1);
  assert.equal(reply.status, COORD_REJECTED);
  assert.equal(decodeResult(reply.body).rc, SQLITE_WORKER_DIED);
  assert.match(decodeResult(reply.body).message, /^3 tabs serving the database stopped/);
  b.close();
  x.close(keep);
});

test('140 a write whose answer is over 64 KiB is recorded without it: a re-send is told it was applied', () => {
  const keep = openShared();
  const a = new Client(41);
  const b = new Client(42);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  deliver([a, b]);
  const setup = execBody('CREATE TABLE big(v TEXT)');
  x.coord_local(a.c, 1, 0, REQ_EXEC, owned(setup), setup.length, COORD_NO_BUDGET, 0, 0);
  a.drain();
  // b's write returns 100 KB; a runs it, and its tab closes before b hears back.
  const w = execBody("INSERT INTO big VALUES (printf('%.100000c', 'x')) RETURNING v");
  x.coord_local(b.c, 1, 0, REQ_EXEC, owned(w), w.length, COORD_NO_BUDGET, 0, 0);
  b.drain();
  const [, , request] = b.outbox.shift();
  x.coord_message(a.c, put(request), request.length, 0);
  a.drain();
  a.outbox.length = 0;
  a.close();
  x.coord_leader_granted(b.c, 0);
  b.drain();
  deliver([b]);
  b.tick();
  const reply = b.replies.get(1);
  assert.equal(reply.status, COORD_REJECTED);
  assert.equal(decodeResult(reply.body).rc, SQLITE_WORKER_RESULT_NOT_KEPT);
  assert.match(decodeResult(reply.body).message, /^the request was applied/);
  const count = execBody('SELECT count(*) AS n FROM big');
  x.coord_local(b.c, 2, 0, REQ_EXEC, owned(count), count.length, COORD_NO_BUDGET, 0, 0);
  b.drain();
  assert.deepEqual(answer(b.replies.get(2)).resultSets[0].rows, [{ n: 1 }]);
  b.close();
  x.close(keep);
});

test('150 an answer over 256 MiB is SQLITE_TOOBIG, and so is a value over the length limit', () => {
  const db = openShared();
  const run = (sql) => {
    const body = execBody(sql);
    x.exec(db, put(body.subarray(4)), body.length - 4, 0, 0);
    return decodeResult(new Uint8Array(x.memory.buffer, x.result_ptr(db), x.result_len(db)).slice());
  };
  const two = run('SELECT zeroblob(150000000) UNION ALL SELECT zeroblob(150000001)');
  assert.equal(two.rc, 18, two.message);
  assert.match(two.message, /larger than an answer can carry/);
  const one = run('SELECT zeroblob(300000000)');
  assert.equal(one.rc, 18, one.message);
  assert.deepEqual(run('SELECT 1 AS one').resultSets[0].rows, [{ one: 1 }]);
  x.close(db);
});

test('160 the user\'s SQL may read the pages of the file (sqlite_dbpage) but not write them', () => {
  const keep = openShared();
  const a = new Client(51);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  const send = (seq, sql) => {
    const body = execBody(sql);
    x.coord_local(a.c, seq, 0, REQ_EXEC, owned(body), body.length, COORD_NO_BUDGET, 0, 0);
    a.drain();
    return a.replies.get(seq);
  };
  const read = decodeResult(send(1, 'SELECT length(data) AS n FROM sqlite_dbpage WHERE pgno = 1').body);
  assert.equal(read.rc, 0, read.message);
  assert.ok(read.resultSets[0].rows[0].n >= 512);
  for (const [i, sql] of ["UPDATE sqlite_dbpage SET data = zeroblob(4096) WHERE pgno = 1",
    'DELETE FROM sqlite_dbpage WHERE pgno = 2', 'INSERT INTO sqlite_dbpage(pgno, data) VALUES (1, zeroblob(4096))'].entries()) {
    const r = decodeResult(send(2 + i, sql).body);
    assert.equal(r.rc, 23, `${sql}: ${r.message}`);   // SQLITE_AUTH
  }
  assert.equal(decodeResult(send(9, 'SELECT 1').body).rc, 0);
  a.close();
  x.close(keep);
});

test('170 a withdrawn request (CANCEL) is dropped by the leader, held or not yet arrived; the others run', () => {
  const keep = openShared();
  const a = new Client(61);
  const b = new Client(62);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  deliver([a, b]);
  const local = (client, seq, lease, kind, sql) => {
    const body = sql ? execBody(sql) : new Uint8Array(0);
    x.coord_local(client.c, seq, lease, kind, owned(body), body.length, COORD_NO_BUDGET, 0, 0);
    client.drain();
  };
  local(a, 1, 0, REQ_EXEC, 'CREATE TABLE w(x TEXT)');
  local(a, 2, 0, REQ_BEGIN, null);                     // a's transaction holds the others
  // b's request 1 is held by the leader, then withdrawn.
  local(b, 1, 0, REQ_EXEC, "INSERT INTO w VALUES ('held, withdrawn')");
  deliver([a, b]);
  x.coord_cancel(b.c, 1, 0);
  b.drain();
  deliver([a, b]);
  // b's request 2 is withdrawn before it reaches the leader: the withdrawal overtakes it.
  local(b, 2, 0, REQ_EXEC, "INSERT INTO w VALUES ('overtaken')");
  const [request] = b.outbox.splice(0);
  x.coord_cancel(b.c, 2, 0);
  b.drain();
  deliver([a, b]);
  x.coord_message(a.c, put(request[2]), request[2].length, 0);
  a.drain();
  // b's request 3 goes through when the transaction ends.
  local(b, 3, 0, REQ_EXEC, "INSERT INTO w VALUES ('kept')");
  deliver([a, b]);
  local(a, 3, 2, REQ_COMMIT, null);
  deliver([a, b]);
  assert.equal(answer(b.replies.get(3)).changes, 1);
  assert.equal(b.replies.get(1), undefined);
  assert.equal(b.replies.get(2), undefined);
  local(a, 4, 0, REQ_EXEC, 'SELECT x FROM w ORDER BY x');
  assert.deepEqual(answer(a.replies.get(4)).resultSets[0].rows, [{ x: 'kept' }]);
  a.close();
  b.close();
  x.close(keep);
});

/* A multi-tab message (src/core/coord.h) with any header values: what a forger can post. */
function forge(type, epoch, sender, fields = new Uint8Array(0), body = new Uint8Array(0)) {
  const u8 = new Uint8Array(32 + fields.length + body.length);
  const dv = new DataView(u8.buffer);
  u8.set([0x53, 0x51, 0x57, 0x43]);
  dv.setUint16(4, COORD_VERSION, true);
  dv.setUint16(6, type, true);
  dv.setBigUint64(8, BigInt(epoch), true);
  u8.set(sender, 16);
  u8.set(fields, 32);
  u8.set(body, 32 + fields.length);
  return u8;
}

/* REPLY fields: target, u32 seq, u8 status, 3 zero bytes, u32 body length. */
function replyFields(target, seq, status, nBody) {
  const f = new Uint8Array(28);
  const dv = new DataView(f.buffer);
  f.set(target);
  dv.setUint32(16, seq, true);
  f[20] = status;
  dv.setUint32(24, nBody, true);
  return f;
}

test('180 forged messages without live ids change nothing: no step-down, no wrapped epoch, no settled request, no ended lease', () => {
  const keep = openShared();
  const a = new Client(51);
  const b = new Client(52);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  deliver([a, b]);
  assert.equal(a.leader, true);
  const stranger = new Uint8Array(16).fill(0xee);
  const max = 0xffffffffffffffffn;
  // An ANNOUNCE at epoch 2^64-1 from nobody: the leader keeps leading at its epoch.
  const announce = forge(COORD_ANNOUNCE, max, stranger);
  x.coord_message(a.c, put(announce), announce.length, 0);
  a.drain();
  assert.equal(x.coord_is_leader(a.c), 1);
  assert.equal(a.epoch, 1);
  // b's write is pending; a forged REPLY (from nobody) and LEASE_END do not settle it.
  const w = execBody('CREATE TABLE t(x)');
  x.coord_local(b.c, 1, 0, REQ_EXEC, owned(w), w.length, COORD_NO_BUDGET, 0, 0);
  b.drain();
  const fake = new Uint8Array([ANS_RESULT, ...new TextEncoder().encode(SQLW_MAGIC_RESULT)]);
  const reply = forge(COORD_REPLY, max, stranger, replyFields(b.id, 1, COORD_DONE, fake.length), fake);
  x.coord_message(b.c, put(reply), reply.length, 0);
  b.drain();
  assert.equal(b.replies.get(1), undefined, 'a REPLY from a stranger settled the request');
  const leaseEnd = forge(COORD_LEASE_END, 1, stranger, (() => {
    const f = new Uint8Array(24);
    f.set(b.id);
    new DataView(f.buffer).setUint32(16, 7, true);
    f[20] = COORD_LEASE_IDLE;
    return f;
  })());
  x.coord_message(b.c, put(leaseEnd), leaseEnd.length, 0);
  b.drain();
  deliver([a, b]);
  assert.equal(answer(b.replies.get(1)).rc, 0);
  // The leader's tab closes; b takes over at the stored epoch's successor, not the forged one's.
  a.close();
  x.coord_leader_granted(b.c, 0);
  b.drain();
  assert.equal(b.leader, true);
  assert.equal(b.epoch, 2);
  b.close();
  x.close(keep);
});

test('190 a stored epoch at the top saturates: the next leader does not wrap to 0', () => {
  const keep = openShared();
  const body = execBody("CREATE TABLE IF NOT EXISTS _sqlw_meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID; INSERT OR REPLACE INTO _sqlw_meta VALUES ('epoch', 9223372036854775807)");
  x.exec(keep, put(body.subarray(4)), body.length - 4, 0, 0);
  const a = new Client(61);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  assert.equal(a.leader, true);
  assert.ok(a.epoch > 9.2e18, String(a.epoch));    // 2^63-1 (a double here)
  a.close();
  const b = new Client(62);
  x.coord_leader_granted(b.c, 0);
  b.drain();
  assert.equal(b.leader, true);
  assert.ok(b.epoch > 9.2e18, `wrapped: ${b.epoch}`);
  b.close();
  const read = execBody("SELECT v FROM _sqlw_meta WHERE k = 'epoch'");
  x.exec(keep, put(read.subarray(4)), read.length - 4, 0, 0);
  const stored = decodeResult(new Uint8Array(x.memory.buffer, x.result_ptr(keep), x.result_len(keep)).slice(), { bigint: 'always' });
  assert.deepEqual(stored.resultSets[0].rows, [{ v: 9223372036854775807n }]);
  x.close(keep);
});

test('200 checkChannelMessage: junk, oversized, foreign and self-sent messages are refused before any copy', () => {
  const me = new Uint8Array(16).fill(1);
  const other = new Uint8Array(16).fill(2);
  assert.equal(typeof checkChannelMessage('SQWC', me), 'string');
  assert.equal(typeof checkChannelMessage(new Uint8Array(31), me), 'string');
  assert.equal(typeof checkChannelMessage({ length: 100 }, me), 'string');
  assert.deepEqual(Object.keys(checkChannelMessage(forge(COORD_ANNOUNCE, 1, other), me)).sort(), ['bytes', 'sender', 'type']);
  assert.equal(checkChannelMessage(forge(COORD_ANNOUNCE, 1, other), me).sender, '02'.repeat(16));
  assert.match(checkChannelMessage(forge(COORD_ANNOUNCE, 1, me), me), /from this client/);
  assert.match(checkChannelMessage(forge(0xfff, 1, other), me), /unknown type/);
  const wrongVersion = forge(COORD_ANNOUNCE, 1, other);
  wrongVersion[4] = COORD_VERSION + 1;
  assert.match(checkChannelMessage(wrongVersion, me), /wire version/);
  // A body length that is not the message's, or larger than any request: refused.
  assert.match(checkChannelMessage(forge(COORD_REPLY, 1, other, replyFields(me, 1, COORD_DONE, 10), new Uint8Array(9)), me), /length/);
  assert.match(checkChannelMessage(forge(COORD_REPLY, 1, other, replyFields(me, 1, COORD_DONE, 300 * 1024 * 1024)), me), /larger than any/);
  assert.match(checkChannelMessage(forge(COORD_REPLY, 1, other, replyFields(other, 1, COORD_DONE, 0)), me), /another client/);
  assert.equal(checkChannelMessage(forge(COORD_REPLY, 1, other, replyFields(me, 1, COORD_DONE, 3), new Uint8Array(3)), me).type, COORD_REPLY);
  // What the machine itself posts passes.
  const a = new Client(71);
  x.coord_leader_granted(a.c, 0);
  a.drain();
  const [, , announce] = a.outbox.find(([channel, , bytes]) => channel === ACT.POST_ALL && bytes[6] === COORD_ANNOUNCE);
  assert.equal(checkChannelMessage(announce, me).type, COORD_ANNOUNCE);
  a.close();
});

test("210 an answer alone in its frame is framed in place, once; any other part is copied, an app's bytes untouched", () => {
  const body = framedPart(100000);
  for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
  const frame = encodeAnswers([{ id: 7, kind: 1, parts: [body] }]);
  assert.equal(frame, body.buffer, 'the frame is the part\'s own buffer');
  const [a] = decodeAnswers(frame);
  assert.equal(a.id, 7);
  assert.equal(a.body.length, 100000);
  assert.ok(a.body.every((b, i) => b === (i & 0xff)));
  // The same part beside another answer, and bytes of any other origin, are copied.
  const two = decodeAnswers(encodeAnswers([{ id: 1, kind: 1, parts: [framedPart(3)] }, { id: 2, kind: 1, parts: [new Uint8Array([9])] }]));
  assert.deepEqual(two.map((e) => [e.id, [...e.body]]), [[1, [0, 0, 0]], [2, [9]]]);
  const app = new Uint8Array(32 + 5).fill(3);
  const own = app.subarray(32);
  const frame2 = encodeAnswers([{ id: 3, kind: 1, parts: [own] }]);
  assert.notEqual(frame2, app.buffer);
  assert.ok(app.every((b) => b === 3), 'the app\'s buffer is not written');
  assert.deepEqual([...decodeAnswers(frame2)[0].body], [3, 3, 3, 3, 3]);
});

test('220 small answers share slabs of one buffer: each keeps its own bytes after many more, in and out of a frame', () => {
  const db = core.open('/coord-slabs', { vfs: 'memdb' });
  const { machine: m } = leadAlone(core, db);
  const answers = [];
  try {
    // Enough answers of ~100 bytes to fill several slabs, all kept before any is read.
    for (let seq = 1; seq <= 400; seq++) {
      const body = execBody(`SELECT ${seq} AS n, '${'x'.repeat(seq % 50)}' AS pad`);
      for (const a of m.local(seq, 0, REQ_EXEC, body, COORD_NO_BUDGET)) {
        if (a.act === ACT.LOCAL_REPLY) answers.push({ id: a.seq, kind: a.kind, parts: [a.data] });
      }
    }
    assert.equal(answers.length, 400);
    assert.ok(new Set(answers.map((a) => a.parts[0].buffer)).size > 1, 'the answers span more than one slab');
    const check = (id, bytes) => {
      const row = decodeResult(bytes).resultSets[0].rows[0];
      assert.deepEqual([row.n, row.pad], [id, 'x'.repeat(id % 50)], `answer ${id}`);
    };
    for (const a of answers) check(a.id, a.parts[0]);
    const framed = decodeAnswers(encodeAnswers(answers));
    assert.deepEqual(framed.map((e) => e.id), answers.map((a) => a.id));
    for (const e of framed) check(e.id, e.body);
  } finally {
    m.destroy();
    db.close();
  }
});

test('230 a frame may sit in a longer buffer (its length is in its header); the length is checked', () => {
  const frame = encodeAnswers([{ id: 5, kind: 1, parts: [new Uint8Array([1, 2, 3])] }]);
  const longer = new Uint8Array(frame.byteLength + 40).fill(0xee);
  longer.set(new Uint8Array(frame));
  const [a] = decodeAnswers(longer.buffer);
  assert.deepEqual([a.id, [...a.body]], [5, [1, 2, 3]]);
  const dv = new DataView(longer.buffer);
  dv.setUint32(12, longer.length + 1, true);
  assert.throws(() => decodeAnswers(longer.buffer), /malformed frame: a length of \d+ in a buffer of \d+/);
  dv.setUint32(12, frame.byteLength - 1, true);
  assert.throws(() => decodeAnswers(longer.buffer), /malformed frame: entry longer than the frame/);
  dv.setUint32(12, frame.byteLength + 4, true);
  assert.throws(() => decodeAnswers(longer.buffer), /malformed frame: bytes after the last entry/);
});

test('240 a frame buffer given back is reused by the next transferred frame, never by a small one; the spares are bounded', () => {
  dropSpares();
  try {
    // Refused: not an ArrayBuffer, too small to be a transferred frame's, over the bound.
    for (const bad of [new Uint8Array(65536), new ArrayBuffer(100), new ArrayBuffer(9 * 1024 * 1024), null, 'x']) {
      assert.equal(offerSpare(bad), false);
    }
    assert.deepEqual(spareStats(), { count: 0, bytes: 0 });
    const spare = new ArrayBuffer(65536);
    new Uint8Array(spare).fill(0xab);
    assert.equal(offerSpare(spare), true);
    assert.equal(offerSpare(spare), false, 'offered twice, kept once');
    // A small frame is copied when posted: a new, exact buffer.
    const small = encodeAnswers([{ id: 1, kind: 1, parts: [new Uint8Array(10)] }]);
    assert.notEqual(small, spare);
    // A frame of 20 KB is built in the spare, over the old bytes, and reads back whole.
    const body = new Uint8Array(20000).map((_, i) => i % 251);
    const big = encodeAnswers([{ id: 2, kind: 1, parts: [body] }, { id: 3, kind: 1, parts: [new Uint8Array([7])] }]);
    assert.equal(big, spare);
    const [a, b] = decodeAnswers(big);
    assert.deepEqual([a.id, a.body.length, b.id, [...b.body]], [2, 20000, 3, [7]]);
    assert.ok(a.body.every((v, i) => v === i % 251));
    assert.deepEqual(spareStats(), { count: 0, bytes: 0 });
    // A large answer's own buffer (framedPart) comes from a spare too.
    assert.equal(offerSpare(big), true);
    const part = framedPart(30000);
    assert.equal(part.buffer, big);
    // Bounded: 64 buffers and 16 MiB at most, the oldest dropped first.
    const many = Array.from({ length: 70 }, () => new ArrayBuffer(8192));
    for (const m of many) offerSpare(m);
    assert.deepEqual(spareStats(), { count: 64, bytes: 64 * 8192 });
    for (let i = 0; i < 3; i++) offerSpare(new ArrayBuffer(8 * 1024 * 1024));
    assert.ok(spareStats().bytes <= 16 * 1024 * 1024, `${spareStats().bytes} bytes kept`);
  } finally {
    dropSpares();
  }
});

test('250 answer slabs are written again only once the answers are framed, and never under a live answer', () => {
  const db = core.open('/coord-slab-reuse', { vfs: 'memdb' });
  const { machine: m } = leadAlone(core, db);
  try {
    const run = (from, to) => {
      const out = [];
      for (let seq = from; seq <= to; seq++) {
        for (const a of m.local(seq, 0, REQ_EXEC, execBody(`SELECT ${seq} AS n, '${'y'.repeat(60)}' AS pad`), COORD_NO_BUDGET)) {
          if (a.act === ACT.LOCAL_REPLY) out.push({ id: a.seq, kind: a.kind, parts: [a.data] });
        }
      }
      return out;
    };
    const ids = (frame) => decodeAnswers(frame).map((e) => decodeResult(e.body).resultSets[0].rows[0].n);
    const n = (a) => decodeResult(a.parts[0]).resultSets[0].rows[0].n;
    const first = run(1, 200);
    const slabs = new Set(first.map((a) => a.parts[0].buffer));
    // Answers not yet framed keep their bytes while more are made (no answersFramed).
    const second = run(201, 400);
    assert.deepEqual(first.map(n), Array.from({ length: 200 }, (_, i) => i + 1));
    assert.ok(new Set(second.filter((a) => slabs.has(a.parts[0].buffer)).map((a) => a.parts[0].buffer)).size <= 1,
      'only the last slab goes on, past its answers');
    const frame1 = encodeAnswers([...first, ...second]);
    m.answersFramed();
    // Now the same slabs take the next answers; the frame built before is its own copy.
    const third = run(401, 600);
    assert.ok(third.some((a) => slabs.has(a.parts[0].buffer)), 'the slabs are written again');
    assert.deepEqual(ids(frame1), Array.from({ length: 400 }, (_, i) => i + 1));
    assert.deepEqual(ids(encodeAnswers(third)), Array.from({ length: 200 }, (_, i) => i + 401));
  } finally {
    m.destroy();
    db.close();
  }
});

test('260 a small frame is copied when posted, and its buffer carries the next frame of its size', () => {
  const posted = [];
  const port = { postMessage: (m, transfer) => posted.push(transfer ? m : structuredClone(m)) };
  const f1 = encodeAnswers([{ id: 1, kind: 1, parts: [new Uint8Array([1, 2, 3])] }]);
  postFrame(port, f1);
  const f2 = encodeAnswers([{ id: 2, kind: 1, parts: [new Uint8Array([4, 5, 6])] }]);
  assert.equal(f2, f1, 'the same buffer, built over');
  postFrame(port, f2);
  // What was posted is the receiver's own copy: both frames read back as they were.
  assert.deepEqual(posted.map((b) => decodeAnswers(b).map((e) => [e.id, [...e.body]])), [[[1, [1, 2, 3]]], [[2, [4, 5, 6]]]]);
  // A frame of another size gets its own buffer.
  const f3 = encodeAnswers([{ id: 3, kind: 1, parts: [new Uint8Array(7)] }]);
  assert.notEqual(f3, f1);
});
