/**
 * Code evaluated inside each task's vm context before the candidate: virtual timers, the coverage
 * hook and the call protocol. It is a string (not a function's toString) so no transpiler helper can
 * leak into it. It captures the intrinsics it needs before the candidate runs, so a candidate that
 * tampers with globals can spoil only its own results.
 *
 * Protocol (every value crossing to the host is a primitive string built here):
 * - the host sets the primitive `__evolveCalls` (JSON: [[tool, argsJson], ...]) on the fresh
 *   context's global object before anything runs; this driver takes and deletes it;
 * - `__evolve.load()` runs the bundle's loader (the tool modules' top-level code) once per context:
 *   {"s":"loaded"} or a final {"s":"throw"};
 * - `__evolve.start()` begins the next call: a final state if it settled synchronously, else
 *   {"s":"pending"};
 * - `__evolve.step()` reports the state: {"s":"pending"} after firing the next due virtual timer,
 *   or a final {"s": "ok"|"throw"|"missing-tool"|"never-settled"|"stray-timers", ...}.
 * Final states carry `c`, the coverage ids hit while loading plus those hit during the call.
 *
 * Output encoding (`v` of an ok result, decoded by ./codec.ts): JSON, where values JSON cannot hold
 * are objects tagged with a "$evolve" key (see codec.ts for the table).
 */
/** Longest encoded output a case may return (characters); longer outputs fail the case as "throw". */
export const MAX_OUTPUT_CHARS = 4_000_000;

export const DRIVER_SOURCE = String.raw`
(function (g) {
  "use strict";
  const O = Object, A = Array, N = Number, S = String, M = Map, St = Set, P = Promise, D = Date;
  const apply = Reflect.apply, ownKeys = O.keys, isArray = A.isArray, hasOwn = O.prototype.hasOwnProperty;
  const stringify = JSON.stringify, parse = JSON.parse;
  const then = P.prototype.then, resolveP = P.resolve;
  const mapEntries = M.prototype.entries, setValues = St.prototype.values, setHas = St.prototype.has;
  const setAdd = St.prototype.add, setDelete = St.prototype.delete, mapSet = M.prototype.set;
  const mapDelete = M.prototype.delete, mapClear = M.prototype.clear;
  const mapSize = O.getOwnPropertyDescriptor(M.prototype, "size").get;
  const dateIso = D.prototype.toISOString, dateTime = D.prototype.getTime;
  const isView = ArrayBuffer.isView, isNaNf = N.isNaN, isFiniteF = N.isFinite;
  const symToString = Symbol.prototype.toString, bigToString = BigInt.prototype.toString;
  const sort = A.prototype.sort;
  const ErrorCtor = Error;

  const calls = parse(g.__evolveCalls);
  delete g.__evolveCalls;
  let nextCall = 0;
  // Cleanup callbacks would run later on the host's event loop, outside the per-case time limit.
  delete g.FinalizationRegistry;
  // Binary buffers live outside the V8 heap, so the worker's heap limit would not bound them
  // (measured: ~0.5 GB resident in one second under a 64 MB heap limit).
  for (const k of ["ArrayBuffer", "SharedArrayBuffer", "DataView", "Atomics", "WebAssembly",
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
    "Uint32Array", "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) delete g[k];

  // ---- virtual timers: a queue ordered by (due, seq) on a clock that jumps to the next due time
  let clock = 0, seq = 0, nextId = 1;
  const timers = new M();
  function schedule(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("timer callback must be a function (strings are not evaluated)");
    let delay = N(ms);
    if (!(delay >= 1)) delay = repeat ? 1 : 0;
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
    if (typeof fn !== "function") throw new TypeError("queueMicrotask callback must be a function");
    apply(then, apply(resolveP, P, []), [function () { fn(); }]);
  };

  // ---- coverage: instrumented code calls __evolveCov(id)
  let covered = new St(), loadCovered = [];
  g.__evolveCov = function __evolveCov(id) { apply(setAdd, covered, [id]); };

  // ---- output encoding
  const defineProp = O.defineProperty;
  // Plain assignment of "__proto__" would set the prototype instead of a key.
  function put(o, k, v) { defineProp(o, k, { value: v, enumerable: true, writable: true, configurable: true }); }
  function tag(name, extra) { const o = { $evolve: name }; if (extra) for (const k of ownKeys(extra)) o[k] = extra[k]; return o; }
  function encode(v, seen, depth) {
    if (depth > 200) throw new RangeError("output nests deeper than 200 levels");
    switch (typeof v) {
      case "undefined": return tag("undefined");
      case "boolean": case "string": return v;
      case "number":
        if (isNaNf(v)) return tag("NaN");
        if (!isFiniteF(v)) return tag(v > 0 ? "Infinity" : "-Infinity");
        if (v === 0 && 1 / v < 0) return tag("-0");
        return v;
      case "bigint": return tag("bigint", { value: apply(bigToString, v, []) });
      case "symbol": return tag("symbol", { description: apply(symToString, v, []) });
      case "function": return tag("function", { name: typeof v.name === "string" ? v.name : "" });
    }
    if (v === null) return null;
    if (apply(setHas, seen, [v])) return tag("circular");
    apply(setAdd, seen, [v]);
    try {
      if (isArray(v)) { const out = []; for (let i = 0; i < v.length; i++) out[i] = encode(v[i], seen, depth + 1); return out; }
      if (isView(v)) { const out = []; const n = typeof v.length === "number" ? v.length : 0; for (let i = 0; i < n; i++) out[i] = encode(v[i], seen, depth + 1); return out; }
      if (v instanceof M) {
        const out = []; const it = apply(mapEntries, v, []);
        for (let r = it.next(); !r.done; r = it.next()) out[out.length] = [encode(r.value[0], seen, depth + 1), encode(r.value[1], seen, depth + 1)];
        return tag("Map", { entries: out });
      }
      if (v instanceof St) {
        const out = []; const it = apply(setValues, v, []);
        for (let r = it.next(); !r.done; r = it.next()) out[out.length] = encode(r.value, seen, depth + 1);
        return tag("Set", { values: out });
      }
      if (v instanceof D) { const t = apply(dateTime, v, []); return tag("Date", { value: isNaNf(t) ? null : apply(dateIso, v, []) }); }
      if (v instanceof ErrorCtor) return tag("Error", { name: S(v.name), message: S(v.message) });
      if (v instanceof N || v instanceof S || v instanceof Boolean) return encode(v.valueOf(), seen, depth + 1);
      if (typeof v.toJSON === "function") return encode(v.toJSON(), seen, depth + 1);
      const out = {};
      for (const k of ownKeys(v)) put(out, k, encode(v[k], seen, depth + 1));
      if (apply(hasOwn, out, ["$evolve"])) return tag("object", { value: out });
      return out;
    } finally {
      apply(setDelete, seen, [v]);
    }
  }
  function describe(e) {
    try {
      // Duck-typed: an error from another realm is not instanceof this realm's Error.
      if (e !== null && typeof e === "object" && typeof e.message === "string") { const n = S(e.name), m = e.message; return m ? n + ": " + m : n; }
      if (typeof e === "string") return e;
      return "non-error value thrown: " + stringify(encode(e, new St(), 0));
    } catch (inner) {
      return "unprintable thrown value";
    }
  }
  function coveredList() {
    const all = new St(loadCovered); const it = apply(setValues, covered, []);
    for (let r = it.next(); !r.done; r = it.next()) apply(setAdd, all, [r.value]);
    const out = []; const it2 = apply(setValues, all, []);
    for (let r = it2.next(); !r.done; r = it2.next()) out[out.length] = r.value;
    return apply(sort, out, [function (a, b) { return a - b; }]);
  }
  function final(state, extra) {
    const o = { s: state, c: coveredList(), t: clock };
    if (extra) for (const k of ownKeys(extra)) o[k] = extra[k];
    return stringify(o);
  }

  // ---- call protocol; cur is the call in progress (a stale promise of an earlier call that
  // settles later must not touch it)
  let cur = null, tools = null;
  function settle(mine, ok, v) {
    if (cur !== mine || mine.status !== "pending") return;
    if (ok) { mine.status = "ok"; mine.value = v; } else { mine.status = "throw"; mine.error = describe(v); }
  }
  function report() {
    const c = cur;
    if (c.timerError !== null && c.status === "pending") { c.status = "throw"; c.error = "uncaught in a timer callback: " + c.timerError; }
    if (c.status === "missing-tool" || c.status === "throw") return final(c.status, { e: c.error });
    if (c.status === "ok") {
      const pending = apply(mapSize, timers, []);
      if (pending > 0) return final("stray-timers", { e: pending + " timer(s) still queued after the result settled" });
      let out;
      try { out = stringify(encode(c.value, new St(), 0)); } catch (e) { return final("throw", { e: "output cannot be encoded: " + describe(e) }); }
      if (out.length > ${MAX_OUTPUT_CHARS}) return final("throw", { e: "output is longer than ${MAX_OUTPUT_CHARS} characters once encoded" });
      return final("ok", { v: out });
    }
    return null;
  }
  const api = {
    load() {
      try {
        const load = g.__evolveLoad;
        if (typeof load !== "function") throw new ErrorCtor("the bundle did not define its loader");
        load();
        tools = g.__evolveTools;
      } catch (e) {
        return final("throw", { e: "loading the tool modules failed: " + describe(e) });
      } finally {
        loadCovered = coveredList();
      }
      return "{\"s\":\"loaded\"}";
    },
    start() {
      const call = calls[nextCall++];
      const mine = { status: "pending", value: undefined, error: "", timerError: null };
      cur = mine;
      apply(mapClear, timers, []);
      covered = new St();
      try {
        const fn = tools && typeof tools === "object" ? tools[call[0]] : undefined;
        if (typeof fn !== "function") {
          const names = tools && typeof tools === "object" ? ownKeys(tools) : [];
          mine.status = "missing-tool";
          mine.error = "tool \"" + call[0] + "\" is not exported by any tool module (available: " + (names.join(", ") || "none") + ")";
        } else {
          const args = parse(call[1]);
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
      return report() || "{\"s\":\"pending\"}";
    },
    step() {
      const done = report();
      if (done !== null) return done;
      if (apply(mapSize, timers, []) === 0) return final("never-settled", { e: "the result promise is pending and no timer is queued, so nothing can settle it" });
      // fire the earliest timer (ties: scheduling order), advancing virtual time to it
      let best, bestId;
      const it = apply(mapEntries, timers, []);
      for (let r = it.next(); !r.done; r = it.next()) {
        const t = r.value[1];
        if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) { best = t; bestId = r.value[0]; }
      }
      clock = best.due;
      if (best.every > 0) { best.due = clock + best.every; best.seq = seq++; } else apply(mapDelete, timers, [bestId]);
      const mine = cur;
      try { apply(best.fn, undefined, best.args); } catch (e) { if (mine.timerError === null) mine.timerError = describe(e); }
      return "{\"s\":\"pending\"}";
    },
  };
  O.defineProperty(g, "__evolve", { value: O.freeze(api), writable: false, configurable: false, enumerable: false });
})(globalThis);
`;
