/**
 * The one way faultline writes a percentage — report.html, the terminal summary, the verdict's reason, junit.xml
 * and the live progress line — so a reader comparing two of them sees the same figure written the same way:
 * no space before the sign (as the experiment file writes bounds: `1%`), one decimal from 10% up, two below.
 */

/**
 * A fraction as a percentage: `0%`, `0.25%`, `2.50%`, `22.1%`, `100%`. A value that is not 0 or 100% is never
 * written as if it were (`<0.01%`, `99.9%`): "no errors" and "always up" must mean exactly that.
 */
export function formatPercent(fraction: number): string {
  const pct = fraction * 100;
  if (!Number.isFinite(pct)) return `${pct}%`;
  if (pct === 0 || pct === 100) return `${pct}%`;
  if (pct > 0 && pct < 0.005) return '<0.01%';
  if (pct >= 99.95 && pct < 100) return '99.9%';
  return `${Math.abs(pct) >= 10 ? pct.toFixed(1) : pct.toFixed(2)}%`;
}
