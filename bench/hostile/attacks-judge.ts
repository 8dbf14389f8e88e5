/** Attacks on time (timers, microtasks) and on the judge (the driver, the codec, the pairing of results). */
import type { Attack } from "./attack.js";

export const timerAttacks: Attack[] = [
  {
    name: "virtual-hour-long-sleep",
    category: "timers",
    tries: "await a one-hour setTimeout (virtual time: must pass at once)",
    source: `export async function attack() { await new Promise((r) => setTimeout(r, 3_600_000)); return "slept"; }`,
    assert: '[{ type: equals, value: "slept" }]',
    expect: ["ok"],
  },
  {
    name: "stray-interval",
    category: "timers",
    tries: "leave a setInterval running after returning",
    source: `export function attack() { setInterval(() => {}, 10); return "left a timer"; }`,
    expect: ["stray-timers"],
  },
  {
    name: "timer-into-the-next-case",
    category: "timers",
    tries: "a timer meant to fire during the next case and change what it returns",
    source: `export function attack() { setTimeout(() => { (String.prototype as any).concat = () => "poisoned"; }, 5); return "armed"; }`,
    expect: ["stray-timers"],
  },
  {
    name: "endless-await-loop",
    category: "timers",
    tries: "for (;;) await null",
    source: `export async function attack() { for (;;) await null; }`,
    expect: ["timeout"],
  },
  {
    name: "queue-microtask-flood",
    category: "timers",
    tries: "a queueMicrotask that queues itself forever",
    source: `export function attack() { return new Promise(() => { const again = () => queueMicrotask(again); again(); }); }`,
    expect: ["timeout"],
  },
  {
    name: "never-settles",
    category: "timers",
    tries: "return a promise nothing can settle",
    source: `export function attack() { return new Promise(() => {}); }`,
    expect: ["never-settled"],
  },
  {
    name: "atomics-wait",
    category: "timers",
    tries: "Atomics.wait to block the worker thread",
    source: `export function attack() { const g = globalThis as any; return g.Atomics.wait(new g.Int32Array(new g.SharedArrayBuffer(4)), 0, 0); }`,
    expect: ["throw"],
  },
  {
    name: "timer-from-string",
    category: "timers",
    tries: "setTimeout('code string')",
    source: `export function attack() { (setTimeout as any)("globalThis.x = 1", 1); return "queued"; }`,
    expect: ["throw"],
  },
  {
    name: "busy-wait-on-real-clock",
    category: "timers",
    tries: "spin on Date.now() for a thousand seconds",
    source: `export function attack() { const t = Date.now(); while (Date.now() - t < 1e6) {} return "done"; }`,
    expect: ["timeout"],
  },
];

export const judgeAttacks: Attack[] = [
  {
    name: "drive-the-driver",
    category: "judge",
    tries: "globalThis.__evolve.start()/.step() so later outputs pair with other cases (issue 10)",
    source: `export function attack() {
      const g = globalThis as any;
      for (let i = 0; i < 3; i++) { try { g.__evolve.start(); } catch {} try { g.__evolve.step(); } catch {} }
      return "driven";
    }`,
    assert: '[{ type: equals, value: "driven" }]',
    expect: ["ok"],
  },
  {
    name: "call-every-hidden-global",
    category: "judge",
    tries: "call every non-standard global function (hunting for the driver under another name)",
    source: `export function attack() {
      const standard = new Set(["setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate", "queueMicrotask"]);
      const called: string[] = [];
      for (const k of Object.getOwnPropertyNames(globalThis)) {
        const v = (globalThis as any)[k];
        if (typeof v === "function" && !/^[A-Z]/.test(k) && !standard.has(k) && !["eval", "isFinite", "isNaN", "parseFloat", "parseInt", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape"].includes(k)) {
          try { v(); } catch {}
          called.push(k);
        }
      }
      return called;
    }`,
    assert: "[{ type: equals, value: [] }]",
    expect: ["ok"],
  },
  {
    name: "prototype-setters-for-reply-fields",
    category: "judge",
    tries: "accessors on Object.prototype and Array.prototype for the names a reply is built from",
    source: `export function attack() {
      for (const k of ["s", "n", "v", "e", "c", "t", "status", "value", "error", "nonce", "get", "set", "writable", "0", "1", "2"]) {
        const forged = Object.assign(Object.create(null), { get() { return "forged"; }, set() {}, configurable: true });
        Object.defineProperty(Object.prototype, k, forged);
        Object.defineProperty(Array.prototype, k, forged);
      }
      return "installed";
    }`,
    assert: '[{ type: equals, value: "installed" }]',
    expect: ["ok"],
  },
  {
    name: "replace-json",
    category: "judge",
    tries: "JSON.stringify and JSON.parse replaced by forgeries",
    source: `export function attack() { const J = JSON as any; J.stringify = () => '{"s":"ok","v":"forged"}'; J.parse = () => ({ s: "ok", v: "forged" }); return "replaced"; }`,
    assert: '[{ type: equals, value: "replaced" }]',
    expect: ["ok"],
  },
  {
    name: "tojson-on-prototypes",
    category: "judge",
    tries: "Object.prototype.toJSON and Array.prototype.toJSON returning forged replies",
    source: `export function attack() { (Object.prototype as any).toJSON = () => ({ s: "ok", v: "forged" }); (Array.prototype as any).toJSON = () => "forged"; return "installed"; }`,
    assert: '[{ type: equals, value: "installed" }]',
    expect: ["ok"],
  },
  {
    name: "replace-promise-then",
    category: "judge",
    tries: "Promise.prototype.then and Promise.resolve replaced",
    source: `export function attack() { const P = Promise as any; P.prototype.then = function (ok: any) { ok("forged"); }; P.resolve = () => ({ then: (ok: any) => ok("forged") }); return "replaced"; }`,
    assert: '[{ type: equals, value: "replaced" }]',
    expect: ["ok"],
  },
  {
    name: "reply-shaped-output",
    category: "judge",
    tries: "return a string shaped like the driver's reply",
    source: `export function attack() { return '{"s":"ok","n":"0","t":0,"c":[]}\\n"forged"'; }`,
    assert: '[{ type: contains, value: "forged" }]',
    expect: ["ok"],
  },
  {
    name: "forged-codec-tags",
    category: "judge",
    tries: "an output object carrying the codec's own $evolve tags",
    source: `export function attack() { return { $evolve: "Error", name: "x", message: "y", nested: { $evolve: "bigint", value: "1" } }; }`,
    assert: '[{ type: equals, value: { $evolve: Error, name: x, message: y, nested: { $evolve: bigint, value: "1" } } }]',
    expect: ["ok"],
  },
  {
    name: "freeze-the-global",
    category: "judge",
    tries: "freeze the global, or at least make it non-extensible, so the host cannot reach the driver again",
    source: `export function attack() { try { Object.freeze(globalThis); } catch {} try { Object.preventExtensions(globalThis); } catch {} return "tried"; }`,
    assert: '[{ type: equals, value: "tried" }]',
    expect: ["ok"],
  },
  {
    name: "hijack-collections",
    category: "judge",
    tries: "Map/Set prototype methods and iterators replaced",
    source: `export function attack() {
      (Map.prototype as any).set = () => {}; (Map.prototype as any).get = () => "forged"; (Set.prototype as any).add = () => {};
      (Map.prototype as any).entries = function* () { yield ["forged", 1]; };
      (Object.getPrototypeOf(new Map().entries()) as any).next = () => ({ done: true });
      return "hijacked";
    }`,
    assert: '[{ type: equals, value: "hijacked" }]',
    expect: ["ok"],
  },
  {
    name: "forged-has-instance",
    category: "judge",
    tries: "Symbol.hasInstance on Map/Date/Error to make a plain object encode as one",
    source: `export function attack() { for (const C of [Map, Set, Date, Error, RegExp] as any[]) Object.defineProperty(C, Symbol.hasInstance, { value: () => true }); return { a: 1 }; }`,
    assert: "[{ type: equals, value: { a: 1 } }]",
    expect: ["ok"],
  },
  {
    name: "squat-driver-names",
    category: "judge",
    tries: "non-configurable globals under every name the driver might use",
    source: `export function attack() {
      for (const k of ["__evolve", "__evolveCalls", "__evolveLoad", "__evolveTools", "__evolveCov", "__evolveExport", "__evolveArg"]) {
        try { Object.defineProperty(globalThis, k, { value: () => "forged", configurable: false, writable: false }); } catch {}
      }
      return "squatted";
    }`,
    assert: '[{ type: equals, value: "squatted" }]',
    expect: ["ok"],
  },
  {
    name: "replace-reflect-and-object",
    category: "judge",
    tries: "Reflect.apply, Object.keys and Object.defineProperty replaced",
    source: `export function attack() { const R = Reflect as any, O = Object as any; R.apply = () => "forged"; O.keys = () => ["forged"]; O.defineProperty = () => {}; return "replaced"; }`,
    assert: '[{ type: equals, value: "replaced" }]',
    expect: ["ok"],
  },
  {
    name: "export-hand-over-reused",
    category: "judge",
    tries: "keep the bundle's tool hand-over and call it later with forged tools",
    source: `declare const __evolveExport: (t: unknown) => void;
      let later: any; try { later = __evolveExport; } catch {}
      export function attack() { later?.({ echo: () => "forged", attack: () => "forged" }); return "handed over"; }`,
    assert: '[{ type: equals, value: "handed over" }]',
    expect: ["ok"],
  },
  {
    name: "stack-exhausted-before-encoding",
    category: "judge",
    tries: "an output getter that recurses to the stack limit while the driver encodes it",
    source: `export function attack() { const deep = (n: number): number => deep(n + 1) + 1; return { get x() { return deep(0); } }; }`,
    expect: ["throw"],
  },
];
