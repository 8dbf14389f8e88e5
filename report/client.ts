/// <reference lib="dom" />
/**
 * The report page's own script. It runs in the browser, not in Node: `pageScript` inlines these
 * functions' source with `Function.prototype.toString`, so they are type-checked with the engine
 * yet import nothing and call only each other (the data comes from a JSON script element, charts
 * from the inlined uPlot global). Every text from the repository (diffs, reasons, subjects:
 * candidate output among them) goes in through `textContent`, never as markup.
 */
import type { ReportData } from "./data.js";

/** Per chart, what the page drew: read by the browser test and useful when debugging a blank chart. */
export interface DrawnChart {
  id: string;
  title: string;
  /** Non-null y values across the chart's series (the threshold line not counted). */
  points: number;
}

declare const uPlot: new (opts: unknown, data: unknown, target: HTMLElement) => { destroy(): void; setSize(s: { width: number; height: number }): void };

/** One table cell: plain text, [shown text, sort value], or an element (a diff's <details>). */
type Cell = string | [string, number | string | null] | HTMLElement;

interface Series {
  label: string;
  values: Array<number | null>;
  color: string;
}

/** What every part of the page draws with: elements, sections, number formats, tables and charts. */
interface Kit {
  el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string | null, cls?: string): HTMLElementTagNameMap[K];
  section(title: string, note?: string): HTMLElement;
  fmt(x: number | null | undefined, digits?: number): string;
  pct(x: number | null): string;
  ms(x: number | null): string;
  when(t: number): string;
  css(name: string): string;
  table(parent: HTMLElement, head: string[], rows: Cell[][], id: string): void;
  chart(parent: HTMLElement, id: string, title: string, x: number[], series: Series[], o: { time?: boolean; threshold?: { label: string; value: number } }): void;
}

function pageKit(main: HTMLElement, drawn: DrawnChart[]): Kit {
  const el: Kit["el"] = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const kit: Kit = {
    el,
    section: (title, note) => {
      const s = el("section");
      s.append(el("h2", title));
      if (note) s.append(el("p", note, "note"));
      main.append(s);
      return s;
    },
    fmt: (x, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : String(Math.round(x * 10 ** digits) / 10 ** digits)),
    pct: (x) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`),
    ms: (x) => (x === null ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`),
    when: (t) => new Date(t).toISOString().replace("T", " ").slice(0, 16),
    css: (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim(),
    table: (parent, head, rows, id) => sortableTable(kit, parent, head, rows, id),
    chart: (parent, id, title, x, series, o) => {
      const points = lineChart(kit, main.clientWidth, parent, id, title, x, series, o);
      if (points > 0) drawn.push({ id, title, points });
    },
  };
  return kit;
}

/** A table whose columns sort on click. */
function sortableTable(kit: Kit, parent: HTMLElement, head: string[], rows: Cell[][], id: string): void {
  const { el } = kit;
  if (rows.length === 0) {
    parent.append(el("p", "none", "note"));
    return;
  }
  const t = el("table");
  t.id = id;
  const tr = el("tr");
  head.forEach((h, i) => {
    const th = el("th", h);
    th.tabIndex = 0;
    th.title = "sort";
    th.addEventListener("click", () => sortRows(t, i, th));
    tr.append(th);
  });
  t.append(el("thead"));
  t.tHead!.append(tr);
  const body = el("tbody");
  for (const r of rows) {
    const row = el("tr");
    for (const c of r) {
      const td = el("td");
      if (c instanceof HTMLElement) td.append(c);
      else if (Array.isArray(c)) {
        td.textContent = c[0];
        if (c[1] !== null) td.dataset["sort"] = String(c[1]);
      } else td.textContent = c;
      row.append(td);
    }
    body.append(row);
  }
  t.append(body);
  const wrap = el("div", null, "table-wrap");
  wrap.append(t);
  parent.append(wrap);
}

function sortRows(t: HTMLTableElement, col: number, th: HTMLElement): void {
  const dir = th.dataset["dir"] === "asc" ? "desc" : "asc";
  for (const h of Array.from(t.tHead!.rows[0]!.cells)) delete h.dataset["dir"];
  th.dataset["dir"] = dir;
  const key = (r: HTMLTableRowElement): number | string | null => {
    const cell = r.cells[col]!;
    const v = cell.dataset["sort"] ?? cell.textContent ?? "";
    if (v === "" || v === "-") return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  };
  const rows = Array.from(t.tBodies[0]!.rows);
  rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    // Missing values go last in both directions.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return dir === "asc" ? c : -c;
  });
  t.tBodies[0]!.append(...rows);
}

/** One uPlot chart; x ascending, series of numbers or nulls, an optional threshold drawn dashed. Returns the points drawn (0: a note instead). */
function lineChart(kit: Kit, pageWidth: number, parent: HTMLElement, id: string, title: string, x: number[], series: Series[], o: { time?: boolean; threshold?: { label: string; value: number } }): number {
  const { el, css } = kit;
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null && Number.isFinite(v)).length, 0);
  if (points === 0) {
    parent.append(el("p", `${title}: nothing to draw yet`, "note"));
    return 0;
  }
  const box = el("div", null, "chart");
  box.id = id;
  parent.append(box);
  const axis = { stroke: css("--fg"), grid: { stroke: css("--grid") }, ticks: { stroke: css("--grid") } };
  // Generations are whole numbers: no ticks at 0.2, 0.4, ...
  const xAxis = o.time ? axis : { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] };
  const all = [...series];
  if (o.threshold) all.push({ label: o.threshold.label, values: x.map(() => o.threshold!.value), color: css("--alert") });
  const opts = {
    title,
    width: Math.max(320, Math.min(960, pageWidth - 8)),
    height: 260,
    scales: { x: { time: o.time === true } },
    axes: [xAxis, axis],
    series: [{ label: o.time ? "day" : "generation" }, ...all.map((s, i) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, points: { show: true, size: 6 }, ...(o.threshold && i === all.length - 1 ? { dash: [6, 4], points: { show: false } } : {}) }))],
  };
  new uPlot(opts, [x, ...all.map((s) => s.values)], box);
  return points;
}

/** The header, open alerts, recommendations and the score chart. */
function renderOverview(kit: Kit, data: ReportData): void {
  const { el, section, when, css, chart } = kit;
  document.title = `evolve report: ${data.workspace}`;
  const head = section("evolve report");
  head.append(el("p", `${data.workspace} on ${data.branch}, generated ${when(data.generatedAt)} UTC${data.since === null ? "" : `, since ${when(data.since)} UTC`}`, "note"));
  const alerts = section("Open alerts");
  if (data.alerts.length === 0) alerts.append(el("p", "none", "ok"));
  else {
    const ul = el("ul", null, "alerts");
    for (const a of data.alerts) ul.append(el("li", a));
    alerts.append(ul);
  }
  const rec = section("Recommendations", "what the reflection over history and live use suggests, most urgent first");
  const ol = el("ol");
  for (const r of data.recommendations) ol.append(el("li", r));
  rec.append(ol);

  const gens = [...data.generations].reverse();
  const scores = section("Score per generation", "golden-suite score (train) and holdout recorded in each generation's Evolve-* trailers");
  chart(scores, "chart-score", "score and holdout", gens.map((g) => g.generation), [
    { label: "score", values: gens.map((g) => g.score), color: css("--c1") },
    { label: "holdout", values: gens.map((g) => g.holdout), color: css("--c2") },
  ], {});
}

/** Live metrics per generation (charts and table) and per UTC day. */
function renderLive(kit: Kit, data: ReportData): void {
  const { section, fmt, pct, ms, css, chart, table } = kit;
  const live = data.live;
  const byGen = live.byGeneration.filter((r) => r.generation !== null);
  const liveSec = section("Live metrics per generation", `${live.overall.interactions} completed interaction(s); each attributed to the generation that served it`);
  const gx = byGen.map((r) => r.generation!);
  chart(liveSec, "chart-latency", "response time (ms)", gx, [
    { label: "median", values: byGen.map((r) => r.responseMedianMs), color: css("--c1") },
    { label: "p95", values: byGen.map((r) => r.responseP95Ms), color: css("--c2") },
  ], { threshold: { label: "alert (p95)", value: live.thresholds.responseTimeMs } });
  chart(liveSec, "chart-rates", "error and task success rates", gx, [
    { label: "error rate", values: byGen.map((r) => r.errorRate), color: css("--c3") },
    { label: "task success", values: byGen.map((r) => r.taskSuccessRate), color: css("--c1") },
  ], { threshold: { label: "alert (error rate)", value: live.thresholds.errorRate } });
  chart(liveSec, "chart-satisfaction", "user satisfaction (1-5)", gx, [{ label: "mean rating", values: byGen.map((r) => r.satisfaction), color: css("--c2") }], {
    threshold: { label: "alert", value: live.thresholds.userSatisfaction },
  });
  table(liveSec, ["gen", "interactions", "median", "p95", "error rate", "success", "rating", "live regression"], byGen.map((r) => [
    [String(r.generation), r.generation], [String(r.interactions), r.interactions], [ms(r.responseMedianMs), r.responseMedianMs], [ms(r.responseP95Ms), r.responseP95Ms],
    [pct(r.errorRate), r.errorRate], [pct(r.taskSuccessRate), r.taskSuccessRate], [fmt(r.satisfaction, 2), r.satisfaction], r.regression ?? "-",
  ]), "table-live");

  const days = live.byDay;
  const overTime = section("Live metrics over time", "per UTC day");
  const dx = days.map((d) => Date.parse(`${d.key}T00:00:00Z`) / 1000);
  chart(overTime, "chart-days-latency", "response time per day (ms)", dx, [
    { label: "median", values: days.map((d) => d.responseMedianMs), color: css("--c1") },
    { label: "p95", values: days.map((d) => d.responseP95Ms), color: css("--c2") },
  ], { time: true, threshold: { label: "alert (p95)", value: live.thresholds.responseTimeMs } });
  chart(overTime, "chart-days-rates", "error and task success rates per day", dx, [
    { label: "error rate", values: days.map((d) => d.errorRate), color: css("--c3") },
    { label: "task success", values: days.map((d) => d.taskSuccessRate), color: css("--c1") },
  ], { time: true, threshold: { label: "alert (error rate)", value: live.thresholds.errorRate } });
}

/** Accepted changes with their diffs, rejected attempts, operators and A/B tests. */
function renderChanges(kit: Kit, data: ReportData): void {
  const { el, section, fmt, when, table } = kit;
  const acc = section("Accepted changes", "each generation is a commit; `git show gen-N` shows the same");
  const diffCell = (g: ReportData["generations"][number]): HTMLElement => {
    if (g.diff === "") return el("span", "-");
    const d = el("details");
    d.append(el("summary", "diff"));
    d.append(el("pre", g.diff + (g.diffTruncated ? "\n[cut: run git show for the rest]" : "")));
    return d;
  };
  table(acc, ["gen", "tags", "time (UTC)", "action", "operator", "score", "holdout", "delta", "fixed", "what and why", "diff"], data.generations.map((g) => [
    [String(g.generation), g.generation], g.tags.join(" "), [when(g.time), g.time], g.action, g.operator, [fmt(g.score), g.score], [fmt(g.holdout), g.holdout], [fmt(g.delta), g.delta],
    g.fixed.join(", ") || "-", g.subject + (g.reverts ? ` (reverts ${g.reverts.slice(0, 10)})` : ""), diffCell(g),
  ]), "table-generations");

  const rej = section("Rejected attempts", `${data.rejected.total} rejected candidate(s), by operator and the stage that stopped them`);
  table(rej, ["operator", "stage", "count", "most frequent reason", "of"], data.rejected.groups.map((g) => [g.operator, g.stage, [String(g.count), g.count], g.topReason, [String(g.topReasonCount), g.topReasonCount]]), "table-rejected");
  const ops = section("Operators", "how often each operator was tried and accepted on this branch (Laplace-smoothed rate)");
  table(ops, ["operator", "tried", "accepted", "rate"], data.operators.map((o) => [o.operator, [String(o.tried), o.tried], [String(o.accepted), o.accepted], [fmt(o.rate), o.rate]]), "table-operators");

  const ab = section("A/B tests", "prompt and parameter variants against the tip on paired case runs");
  table(ab, ["gen", "variant", "accepted", "wins", "losses", "ties", "sign test p", "Wilcoxon p"], data.abTests.map((t) => [
    [String(t.generation), t.generation], t.description, t.accepted ? "yes" : "no", [String(t.wins), t.wins], [String(t.losses), t.losses], [String(t.ties), t.ties], [fmt(t.p, 4), t.p], [fmt(t.wilcoxonP, 4), t.wilcoxonP],
  ]), "table-ab");
}

function reportPage(): void {
  const data = JSON.parse(document.getElementById("evolve-data")!.textContent!) as ReportData;
  const drawn: DrawnChart[] = [];
  (window as unknown as { __evolveReport: { charts: DrawnChart[] } }).__evolveReport = { charts: drawn };
  const kit = pageKit(document.getElementById("report")!, drawn);
  renderOverview(kit, data);
  renderLive(kit, data);
  renderChanges(kit, data);
}

/**
 * The page script: every function above by its source, in one scope, then the call that draws the
 * page. The functions must stay plain declarations that reach nothing outside this list.
 */
export function pageScript(): string {
  const parts = [pageKit, sortableTable, sortRows, lineChart, renderOverview, renderLive, renderChanges, reportPage];
  return `(() => {\n${parts.map((f) => f.toString()).join("\n")}\nreportPage();\n})();`;
}
