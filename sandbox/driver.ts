/**
 * Code evaluated inside each task's vm context before the candidate: virtual timers, the coverage
 * hook, the output encoder and the call protocol. It is a string (not a function's toString) so no
 * transpiler helper can leak into it. It captures the intrinsics it needs before the candidate runs,
 * so a candidate that tampers with globals can spoil only its own results.
 *
 * Nothing of the driver is reachable from candidate code. The driver script evaluates to one
 * function, `entry`, which the host keeps. To call it, the host defines it (and a request) on the
 * context's global under names drawn at random per worker process, and runs a script calling it;
 * `entry` deletes those names before any candidate code runs. So candidate code sees the same
 * globals in a golden run and in real use, and cannot call into the driver.
 *
 * Requests (a JSON array, set by the host) and replies (a string built here, never by JSON.stringify
 * on objects, whose toJSON a candidate could replace):
 * - `["load", nonce]` with the bundle's loader function in the loader slot: runs the tool modules'
 *   top-level code once per context -> state "loaded" or "throw";
 * - `["start", nonce, tool, argsJson]`: begins a call -> a final state if it settled synchronously,
 *   else "pending";
 * - `["step", nonce]`: fires the next due virtual timer -> "pending", or a final state
 *   "ok" | "throw" | "missing-tool" | "never-settled" | "stray-timers".
 * A reply is a header `{"s":state,"n":nonce,"t":virtualMs,"c":[coverage ids],"e":error?}`, and for
 * "ok" a newline and the encoded output. The nonce is the request's: the host pairs every reply with
 * the call it started and refuses any other.
 *
 * The bundle (see ./build.ts) is wrapped as `(function (__evolveCov, __evolveExport) { ... })`: the
 * coverage hook and the way the entry module hands over its tools are parameters, not globals.
 *
 * Output encoding (decoded by ./codec.ts): JSON, where values JSON cannot hold are objects tagged
 * with a "$evolve" key (see codec.ts for the table). The encoder writes text directly and stops as
 * soon as it passes MAX_OUTPUT_CHARS, so a huge output costs no more than its first megabyte.
 */
import { MAX_CUTTABLE_CHARS, MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS } from "./limits.js";

/** Global names through which the host reaches `entry`; drawn at random per worker process. */
export interface DriverSlots {
  entry: string;
  request: string;
  loader: string;
}

/** The driver's source for the given slot names (valid identifiers). */
export function driverSource(slots: DriverSlots): string {
  return `(function (g, ENTRY, REQUEST, LOADER) {\n${DRIVER_BODY}\n})(this, ${JSON.stringify(slots.entry)}, ${JSON.stringify(slots.request)}, ${JSON.stringify(slots.loader)})`;
}

const DRIVER_BODY = String.raw`
  "use strict";
  const O = Object, A = Array, N = Number, S = String, M = Map, St = Set, P = Promise, D = Date, R = RegExp;
  const apply = Reflect.apply, keysOf = O.keys, isArray = A.isArray, defineProp = O.defineProperty;
  const getProto = O.getPrototypeOf, isProtoOf = O.prototype.isPrototypeOf;
  const getter = (o, k) => O.getOwnPropertyDescriptor(o, k).get;
  const stringify = JSON.stringify, parse = JSON.parse;
  const then = P.prototype.then, resolveP = P.resolve;
  const mapEntries = M.prototype.entries, mapSet = M.prototype.set, mapDelete = M.prototype.delete;
  const mapClear = M.prototype.clear, mapSize = getter(M.prototype, "size");
  const setValues = St.prototype.values, setHas = St.prototype.has, setAdd = St.prototype.add, setDelete = St.prototype.delete;
  const mapNext = getProto(new M()[Symbol.iterator]()).next, setNext = getProto(new St()[Symbol.iterator]()).next;
  const dateIso = D.prototype.toISOString, dateTime = D.prototype.getTime;
  const reSource = getter(R.prototype, "source"), reFlags = getter(R.prototype, "flags");
  const numValue = N.prototype.valueOf, strValue = S.prototype.valueOf, boolValue = Boolean.prototype.valueOf;
  const isView = ArrayBuffer.isView, isNaNf = N.isNaN, isFiniteF = N.isFinite, isInteger = N.isInteger;
  const symToString = Symbol.prototype.toString, bigToString = BigInt.prototype.toString, strSlice = S.prototype.slice;
  const sort = A.prototype.sort;
  const MapProto = M.prototype, SetProto = St.prototype, DateProto = D.prototype, RegExpProto = R.prototype;
  const ErrorProto = Error.prototype, NumberProto = N.prototype, StringProto = S.prototype, BooleanProto = Boolean.prototype;
  const ErrorCtor = Error, TypeErrorCtor = TypeError, RangeErrorCtor = RangeError;
  const MAX_OUT = ${MAX_OUTPUT_CHARS}, MAX_MSG = ${MAX_MESSAGE_CHARS}, MAX_CUT = ${MAX_CUTTABLE_CHARS};

  // Cleanup callbacks would run later on the host's event loop, outside the per-case time limit.
  delete g.FinalizationRegistry;
  // Binary buffers live outside the V8 heap, so the worker's heap limit would not bound them
  // (measured: ~0.5 GB resident in one second under a 64 MB heap limit).
  for (const k of ["ArrayBuffer", "SharedArrayBuffer", "DataView", "Atomics", "WebAssembly",
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
    "Uint32Array", "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) delete g[k];

  // Appending through defineProperty: an index setter on Array.prototype cannot intercept it. The
  // descriptor has no prototype, so a "get" or "value" accessor put on Object.prototype cannot leak in.
  function push(arr, v) {
    const d = O.create(null);
    d.value = v; d.writable = true; d.enumerable = true; d.configurable = true;
    defineProp(arr, arr.length, d);
  }

  // ---- virtual timers: a queue ordered by (due, seq) on a clock that jumps to the next due time
  let clock = 0, seq = 0, nextId = 1;
  const timers = new M();
  function schedule(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeErrorCtor("timer callback must be a function (strings are not evaluated)");
    let delay = N(ms);
    // As Node does: a delay that is not a number >= 1, or does not fit 32 bits, is 1 ms (0 for immediates).
    if (!(delay >= 1) || delay > 2147483647) delay = repeat ? 1 : 0;
    const id = nextId++;
    apply(mapSet, timers, [id, { due: clock + delay, seq: seq++, fn: fn, args: args, every: repeat ? delay : 0 }]);
    return id;
  }
  function clear(id) { apply(mapDelete, timers, [id]); }
  g.setTimeout = function setTimeout(fn, ms, ...args) { return schedule(fn, ms, args, false); };
  g.setInterval = function setInterval(fn, ms, ...args) { return schedule(fn, ms, args, true); };
  g.setImmediate = function setImmediate(fn, ...args) { return schedule(fn, 0, args, false); };
  g.clearTimeout = clear; g.clearInterval = clear; g.clearImmediate = clear;
  g.queueMicrotask = function queueMicrotask(fn) {
    if (typeof fn !== "function") throw new TypeErrorCtor("queueMicrotask callback must be a function");
    apply(then, apply(resolveP, P, []), [function () { fn(); }]);
  };

  // ---- coverage: instrumented code calls __evolveCov(id), a parameter of the bundle's wrapper
  let covered = new St(), loadCovered = new St();
  function cover(id) { if (isInteger(id) && id >= 0) apply(setAdd, covered, [id]); }
  function addAll(into, from) {
    const it = apply(setValues, from, []);
    for (let r = apply(setNext, it, []); !r.done; r = apply(setNext, it, [])) apply(setAdd, into, [r.value]);
  }
  function coveredIds() {
    const all = new St();
    addAll(all, loadCovered);
    addAll(all, covered);
    const list = [];
    const it = apply(setValues, all, []);
    for (let r = apply(setNext, it, []); !r.done; r = apply(setNext, it, [])) push(list, r.value);
    apply(sort, list, [function (a, b) { return a - b; }]);
    let text = "";
    for (let i = 0; i < list.length; i++) text += (i > 0 ? "," : "") + list[i];
    return text;
  }

  // ---- output encoding, straight to text, bounded by limit (characters)
  const tooLong = {};
  function encode(value, limit) {
    let out = "";
    const seen = new St();
    function add(s) { out += s; if (out.length > limit) throw tooLong; }
    function str(s) { if (s.length > limit) throw tooLong; add(stringify(s)); }
    function walk(v, depth) {
      if (depth > 200) throw new RangeErrorCtor("output nests deeper than 200 levels");
      switch (typeof v) {
        case "undefined": add('{"$evolve":"undefined"}'); return;
        case "boolean": add(v ? "true" : "false"); return;
        case "string": str(v); return;
        case "number":
          if (isNaNf(v)) add('{"$evolve":"NaN"}');
          else if (!isFiniteF(v)) add(v > 0 ? '{"$evolve":"Infinity"}' : '{"$evolve":"-Infinity"}');
          else if (v === 0 && 1 / v < 0) add('{"$evolve":"-0"}');
          else add("" + v);
          return;
        case "bigint": add('{"$evolve":"bigint","value":'); str(apply(bigToString, v, [])); add("}"); return;
        case "symbol": add('{"$evolve":"symbol","description":'); str(apply(symToString, v, [])); add("}"); return;
        case "function": { const n = v.name; add('{"$evolve":"function","name":'); str(typeof n === "string" ? n : ""); add("}"); return; }
      }
      if (v === null) { add("null"); return; }
      if (apply(setHas, seen, [v])) { add('{"$evolve":"circular"}'); return; }
      apply(setAdd, seen, [v]);
      try { walkObject(v, depth); } finally { apply(setDelete, seen, [v]); }
    }
    function list(v, depth) {
      const n = v.length;
      add("[");
      for (let i = 0; i < n; i++) { if (i > 0) add(","); walk(v[i], depth + 1); }
      add("]");
    }
    function walkObject(v, depth) {
      if (isArray(v)) return list(v, depth);
      if (isView(v)) { if (typeof v.length === "number") return list(v, depth); add("[]"); return; }
      // Prototype checks cannot be fooled by Symbol.hasInstance; a fake (Object.create(Map.prototype))
      // makes the captured method throw, which fails only the candidate's own output.
      if (apply(isProtoOf, MapProto, [v])) {
        const it = apply(mapEntries, v, []);
        add('{"$evolve":"Map","entries":[');
        let first = true;
        for (let r = apply(mapNext, it, []); !r.done; r = apply(mapNext, it, [])) {
          if (!first) add(",");
          first = false;
          add("["); walk(r.value[0], depth + 1); add(","); walk(r.value[1], depth + 1); add("]");
        }
        add("]}");
        return;
      }
      if (apply(isProtoOf, SetProto, [v])) {
        const it = apply(setValues, v, []);
        add('{"$evolve":"Set","values":[');
        let first = true;
        for (let r = apply(setNext, it, []); !r.done; r = apply(setNext, it, [])) {
          if (!first) add(",");
          first = false;
          walk(r.value, depth + 1);
        }
        add("]}");
        return;
      }
      if (apply(isProtoOf, DateProto, [v])) {
        const t = apply(dateTime, v, []);
        add('{"$evolve":"Date","value":');
        if (isNaNf(t)) add("null"); else str(apply(dateIso, v, []));
        add("}");
        return;
      }
      if (apply(isProtoOf, RegExpProto, [v])) {
        const source = apply(reSource, v, []), flags = apply(reFlags, v, []);
        add('{"$evolve":"RegExp","source":'); str(S(source)); add(',"flags":'); str(S(flags)); add("}");
        return;
      }
      if (apply(isProtoOf, ErrorProto, [v])) {
        const name = S(v.name), message = S(v.message);
        add('{"$evolve":"Error","name":'); str(name); add(',"message":'); str(message); add("}");
        return;
      }
      if (apply(isProtoOf, NumberProto, [v])) return walk(apply(numValue, v, []), depth + 1);
      if (apply(isProtoOf, StringProto, [v])) return walk(apply(strValue, v, []), depth + 1);
      if (apply(isProtoOf, BooleanProto, [v])) return walk(apply(boolValue, v, []), depth + 1);
      const toJSON = v.toJSON;
      if (typeof toJSON === "function") return walk(apply(toJSON, v, []), depth + 1);
      const keys = keysOf(v);
      const n = keys.length;
      let tagged = false;
      for (let i = 0; i < n; i++) if (keys[i] === "$evolve") tagged = true;
      if (tagged) add('{"$evolve":"object","value":');
      add("{");
      for (let i = 0; i < n; i++) {
        const k = S(keys[i]);
        if (i > 0) add(",");
        str(k); add(":"); walk(v[k], depth + 1);
      }
      add("}");
      if (tagged) add("}");
    }
    walk(value, 0);
    return out;
  }

  // A message longer than MAX_MSG is cut; one too long to cut cheaply is only measured.
  function cut(s) {
    const len = s.length;
    if (len <= MAX_MSG) return s;
    if (len > MAX_CUT) return "(a message of " + len + " characters, not shown)";
    return apply(strSlice, s, [0, MAX_MSG - 40]) + "… (" + len + " characters)";
  }
  function describe(e) {
    try {
      // Duck-typed: an error from another realm is not an instance of this realm's Error.
      if (e !== null && typeof e === "object" && typeof e.message === "string") {
        const n = S(e.name), m = e.message;
        return cut(m ? n + ": " + m : n);
      }
      if (typeof e === "string") return cut(e);
      let shown;
      try { shown = encode(e, MAX_MSG); } catch (x) { if (x !== tooLong) throw x; shown = "(too long to show)"; }
      return cut("non-error value thrown: " + shown);
    } catch (inner) {
      return "unprintable thrown value";
    }
  }

  // Coverage goes with final states only: a "pending" reply per virtual timer must stay cheap.
  function header(state, nonce, error) {
    let h = '{"s":"' + state + '","n":' + stringify(nonce) + ',"t":' + (isFiniteF(clock) ? clock : -1);
    if (state !== "pending" && state !== "loaded" && state !== "bad-request") h += ',"c":[' + coveredIds() + "]";
    if (error !== undefined) h += ',"e":' + stringify(cut(S(error)));
    return h + "}";
  }

  // ---- call protocol; cur is the call in progress (a stale promise of an earlier call that
  // settles later must not touch it)
  let cur = null, tools = null, exportOpen = false;
  function exportTools(t) { if (exportOpen) tools = t; }
  function settle(mine, ok, v) {
    if (cur !== mine || mine.status !== "pending") return;
    if (ok) { mine.status = "ok"; mine.value = v; } else { mine.status = "throw"; mine.error = describe(v); }
  }
  function report(c) {
    if (c.timerError !== null && c.status === "pending") { c.status = "throw"; c.error = "uncaught in a timer callback: " + c.timerError; }
    if (c.status === "missing-tool" || c.status === "throw") return header(c.status, c.nonce, c.error);
    if (c.status !== "ok") return null;
    const pending = apply(mapSize, timers, []);
    if (pending > 0) return header("stray-timers", c.nonce, pending + " timer(s) still queued after the result settled");
    let out;
    try {
      out = encode(c.value, MAX_OUT);
    } catch (e) {
      if (e === tooLong) return header("throw", c.nonce, "output is longer than " + MAX_OUT + " characters once encoded");
      return header("throw", c.nonce, "output cannot be encoded: " + describe(e));
    }
    return header("ok", c.nonce) + "\n" + out;
  }
  function load(loader, nonce) {
    covered = new St();
    loadCovered = new St();
    tools = null;
    exportOpen = true;
    try {
      if (typeof loader !== "function") throw new ErrorCtor("the bundle did not define its loader");
      apply(loader, undefined, [cover, exportTools]);
    } catch (e) {
      return header("throw", nonce, "loading the tool modules failed: " + describe(e));
    } finally {
      exportOpen = false;
      loadCovered = covered;
      covered = new St();
    }
    if (tools === null || typeof tools !== "object") return header("throw", nonce, "loading the tool modules failed: the bundle exported no tools");
    return header("loaded", nonce);
  }
  function start(nonce, tool, argsJson) {
    const mine = { status: "pending", value: undefined, error: "", timerError: null, nonce: nonce };
    cur = mine;
    // Every call starts from the same virtual time and timer ids, as in a fresh context: earlier
    // calls of a golden run leave no trace in what the timers report.
    apply(mapClear, timers, []);
    clock = 0; seq = 0; nextId = 1;
    covered = new St();
    try {
      const fn = tools[tool];
      if (typeof fn !== "function") {
        const names = keysOf(tools);
        let list = "";
        for (let i = 0; i < names.length && list.length < MAX_MSG; i++) list += (i > 0 ? ", " : "") + S(names[i]);
        mine.status = "missing-tool";
        mine.error = "tool " + stringify(tool) + " is not exported by any tool module (available: " + (list || "none") + ")";
      } else {
        const args = parse(argsJson);
        const result = apply(fn, undefined, isArray(args) ? args : [args]);
        if (result !== null && (typeof result === "object" || typeof result === "function") && typeof result.then === "function") {
          apply(then, apply(resolveP, P, [result]), [function (v) { settle(mine, true, v); }, function (e) { settle(mine, false, e); }]);
        } else {
          settle(mine, true, result);
        }
      }
    } catch (e) {
      settle(mine, false, e);
    }
    return report(mine) || header("pending", nonce);
  }
  function step(nonce) {
    const mine = cur;
    if (mine === null || mine.nonce !== nonce) return header("bad-request", nonce, "no call in progress with this nonce");
    const done = report(mine);
    if (done !== null) return done;
    if (apply(mapSize, timers, []) === 0) return header("never-settled", nonce, "the result promise is pending and no timer is queued, so nothing can settle it");
    // fire the earliest timer (ties: scheduling order), advancing virtual time to it
    let best, bestId;
    const it = apply(mapEntries, timers, []);
    for (let r = apply(mapNext, it, []); !r.done; r = apply(mapNext, it, [])) {
      const t = r.value[1];
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) { best = t; bestId = r.value[0]; }
    }
    clock = best.due;
    if (best.every > 0) { best.due = clock + best.every; best.seq = seq++; } else apply(mapDelete, timers, [bestId]);
    try { apply(best.fn, undefined, best.args); } catch (e) { if (mine.timerError === null) mine.timerError = describe(e); }
    return header("pending", nonce);
  }
  function entry() {
    const raw = g[REQUEST], loader = g[LOADER];
    // Gone before any candidate code runs: the candidate never sees a way into the driver.
    try { delete g[ENTRY]; delete g[REQUEST]; delete g[LOADER]; } catch (e) { return header("bad-request", "", "the driver's slots were tampered with"); }
    let request;
    try { request = parse(raw); } catch (e) { return header("bad-request", "", "malformed request"); }
    const op = request[0], nonce = request[1];
    if (typeof nonce !== "string") return header("bad-request", "", "malformed request");
    if (op === "load") return load(loader, nonce);
    if (op === "start") return start(nonce, request[2], request[3]);
    if (op === "step") return step(nonce);
    return header("bad-request", nonce, "unknown request");
  }
  return entry;
`;
