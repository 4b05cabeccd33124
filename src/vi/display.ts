/** Showing a checked derivation in a notebook: the title in Markdown, the aligned chain in LaTeX. */
import { showLatex, showMarkdown } from "../plot";
import type { Rng } from "../runtime/rng";
import { CheckError } from "../runtime/check";
import { stepsHold, type Derivation } from "./derivation";

/**
 * Check `d` on `draws` random parameter sets, display it with a ✓ per step, and throw a
 * CheckError naming the first failing step (after displaying it with its ✗), so a wrong sign
 * stops the notebook at the step that broke. Returns nothing (so a notebook cell ending with it
 * prints no report object); call `d.check(...)` for the report itself.
 */
export function showDerivation(d: Derivation, opts: { rng: Rng; draws?: number }): void {
  const report = d.check({ rng: opts.rng, draws: opts.draws ?? 20 });
  showMarkdown(`**${d.title}**${d.source ? `  \n*${d.source}*` : ""}`);
  showLatex(`$$${d.toLatex({ report })}$$`);
  if (!report.ok) throw new CheckError(`✗ ${report.firstFailure!.message}`);
  const worst = Math.max(...report.steps.map((s) => s.worst));
  console.log(`✓ ${d.name}: ${stepsHold(d.steps.length)} on ${report.draws} random draws (worst relative error ${worst.toExponential(1)})`);
}
