/**
 * One self-contained feedback page per student: score, per-question verdicts with the
 * messages, problems with the notebook itself, then every cell that ran with its outputs.
 * Viewable offline: figures are drawn by plotly.js inlined once in the page (only when the
 * submission showed a figure) from their JSON spec; images are data: URIs.
 *
 * Submissions are untrusted, so nothing they printed is ever inserted as HTML: text is escaped,
 * a figure's spec goes in as escaped JSON, SVG is shown through an <img> (scripts in it do not
 * run), and text/html outputs are not rendered (their text/plain form is shown instead).
 */
import type { Output } from "../../kernel/notebook";
import { joinSource } from "../../kernel/notebook";
import { plotlyScriptTags, scriptJson } from "../../src/plot/html";
import type { RanCell, SubmissionReport } from "./grade";

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const MAX_TEXT = 20_000;

function clip(s: string): string {
  return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + `\n… (${s.length - MAX_TEXT} more characters not shown)` : s;
}

function outputHtml(o: Output, figures: { id: string; spec: unknown }[], where: string): string {
  if (o.output_type === "stream") {
    return `<pre class="${o.name}">${escapeHtml(clip(joinSource(o.text)))}</pre>`;
  }
  if (o.output_type === "error") return `<pre class="stderr">${escapeHtml(clip(`${o.ename}: ${o.evalue}`))}</pre>`;
  const data = o.data as Record<string, unknown>;
  const text = (k: string) => (typeof data[k] === "string" || Array.isArray(data[k]) ? joinSource(data[k] as string | string[]) : "");
  const plotly = data["application/vnd.plotly.v1+json"] as { data?: unknown; layout?: unknown } | undefined;
  if (plotly && typeof plotly === "object") {
    const id = `fig-${where}-${figures.length}`;
    figures.push({ id, spec: { data: plotly.data ?? [], layout: plotly.layout ?? {} } });
    return `<div class="figure" id="${id}"></div>`;
  }
  for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
    const b64 = text(mime).replace(/\s+/g, "");
    if (b64 && /^[A-Za-z0-9+/=]+$/.test(b64)) return `<img alt="figure" src="data:${mime};base64,${b64}">`;
  }
  const svg = text("image/svg+xml");
  if (svg) return `<img alt="figure" src="data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}">`;
  const plain = text("text/latex") || text("text/plain") || (data["text/html"] ? "(an HTML output, not shown here)" : "");
  return plain ? `<pre>${escapeHtml(clip(plain))}</pre>` : "";
}

function cellHtml(c: RanCell, i: number, figures: { id: string; spec: unknown }[]): string {
  const label =
    c.kind === "test" ? `test cell <code>${escapeHtml(c.gradeId ?? "")}</code> (locked; hidden tests not shown)` :
    c.kind === "solution" ? `your answer <code>${escapeHtml(c.gradeId ?? "")}</code>` :
    c.kind === "readonly" ? `read-only cell <code>${escapeHtml(c.gradeId ?? "")}</code>` : "your cell";
  const status = c.status === "ok" ? "" : ` <span class="bad">${escapeHtml(c.status)}</span>`;
  return `<section class="cell ${c.kind}"><div class="label">${label}${status}</div>
<pre class="source">${escapeHtml(clip(c.source))}</pre>
${c.outputs.map((o) => outputHtml(o, figures, String(i))).join("\n")}</section>`;
}

/** The feedback page of one student (a complete HTML document). */
export function feedbackHtml(r: SubmissionReport): string {
  const figures: { id: string; spec: unknown }[] = [];
  const cells = r.cells.map((c, i) => cellHtml(c, i, figures)).join("\n");
  const rows = r.questions
    .map((q) => {
      const cls = q.status === "passed" ? "ok" : q.status === "partial" ? "partial" : "bad";
      return `<tr class="${cls}"><td><code>${escapeHtml(q.gradeId)}</code></td><td>${q.earned} / ${q.points}</td><td>${escapeHtml(q.status)}</td><td><pre>${escapeHtml(clip(q.message))}</pre></td></tr>`;
    })
    .join("\n");
  const issues = r.issues.length ? `<h2>Problems with the notebook</h2><ul>${r.issues.map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ul>` : "";
  const stopped = r.stopped ? `<p class="bad">Stopped early: ${escapeHtml(r.stopped)}</p>` : "";
  const plot = figures.length
    ? `${plotlyScriptTags()}<script>${figures.map((f) => `Plotly.newPlot(${scriptJson(f.id)}, ${scriptJson((f.spec as { data: unknown }).data)}, ${scriptJson((f.spec as { layout: unknown }).layout)}, {staticPlot: false, displaylogo: false});`).join("\n")}</script>`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Feedback: ${escapeHtml(r.assignment)} — ${escapeHtml(r.student)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ccc; padding: .3rem .5rem; vertical-align: top; text-align: left; }
tr.ok td:nth-child(3) { color: #176317; } tr.bad td:nth-child(3), .bad { color: #a11; } tr.partial td:nth-child(3) { color: #a60; }
pre { white-space: pre-wrap; margin: .3rem 0; } td pre { margin: 0; }
.cell { border-left: 3px solid #ccc; margin: 1rem 0; padding-left: .8rem; } .cell.test { border-color: #557; } .cell.solution { border-color: #4a4; }
.label { font-size: 13px; color: #555; } pre.source { background: #f6f6f6; padding: .4rem; } pre.stderr { color: #a11; }
</style></head><body>
<h1>${escapeHtml(r.assignment)}: ${r.score} / ${r.maxScore}</h1>
<p>Student <code>${escapeHtml(r.student)}</code>. ${escapeHtml(r.summary)}.</p>
${stopped}
<table><tr><th>graded cell</th><th>points</th><th>result</th><th>message</th></tr>
${rows}
</table>
${issues}
<h2>What ran</h2>
<p>The notebook as graded: your answers and cells, with the locked cells as released.</p>
${cells}
${plot}
</body></html>
`;
}
