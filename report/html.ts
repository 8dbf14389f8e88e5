/**
 * The report as one self-contained HTML file: the data as JSON, uPlot (its minified build and
 * stylesheet, from the installed package) and the page script inlined, so it opens from disk with
 * no network. Colours come from CSS variables with a dark variant for `prefers-color-scheme: dark`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pageScript } from "./client.js";
import type { ReportData } from "./data.js";

const require = createRequire(import.meta.url);

function asset(name: string): string {
  return readFileSync(require.resolve(`uplot/dist/${name}`), "utf8");
}

/** JSON that is safe inside a <script> element: no `</script>`, no HTML comment openers. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Inline script text must not close its element early. */
function scriptText(code: string): string {
  return code.replace(/<\/(script)/gi, "<\\/$1");
}

const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --grid: #d8dee4; --row: #f6f8fa;
  --c1: #0969da; --c2: #8250df; --c3: #cf222e; --alert: #bc4c00; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --grid: #30363d; --row: #161b22;
    --c1: #4493f8; --c2: #ab7df8; --c3: #f85149; --alert: #db6d28; --ok: #3fb950; }
}
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, sans-serif; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h2 { border-bottom: 1px solid var(--grid); padding-bottom: 4px; }
.note { color: var(--muted); } .ok { color: var(--ok); } .alerts li { color: var(--alert); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--grid); padding: 3px 8px; text-align: left; vertical-align: top; }
th { cursor: pointer; user-select: none; background: var(--row); }
th[data-dir="asc"]::after { content: " \\25B2"; } th[data-dir="desc"]::after { content: " \\25BC"; }
tbody tr:nth-child(even) { background: var(--row); }
pre { max-width: 640px; max-height: 400px; overflow: auto; font-size: 12px; }
.chart { margin: 8px 0 16px; }
.u-title { color: var(--fg); } .u-legend { color: var(--fg); }
`;

export function reportHtml(data: ReportData): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>evolve report</title>",
    `<style>${asset("uPlot.min.css")}</style>`,
    `<style>${STYLE}</style>`,
    "</head><body><main id=\"report\"><noscript>This report draws its tables and charts with JavaScript; enable it to read the report.</noscript></main>",
    `<script type="application/json" id="evolve-data">${scriptJson(data)}</script>`,
    `<script>${scriptText(asset("uPlot.iife.min.js"))}</script>`,
    `<script>${scriptText(pageScript())}</script>`,
    "</body></html>",
    "",
  ].join("\n");
}
