// Evaluates every entry of a FEEL corpus with feelin (an independent FEEL interpreter) and writes
// the results in the normalised shape the differential test compares:
//   {"t": <FEEL type name>, "v": <value>}   numbers as decimal strings, temporals as ISO text,
//   {"t": "error", "v": <message>}          when feelin rejects the expression.
// Usage: node feelin_runner.mjs <corpus.json> <results.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { evaluate } from 'feelin';

function normalise(value) {
  if (value === null || value === undefined) return { t: 'null' };
  if (typeof value === 'boolean') return { t: 'boolean', v: value };
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { t: 'number', v: String(value) } : { t: 'null' };
  }
  if (typeof value === 'string') return { t: 'string', v: value };
  if (typeof value === 'function') return { t: 'function' };
  if (Array.isArray(value)) return { t: 'list', v: value.map(normalise) };
  const kind = value.constructor ? value.constructor.name : 'Object';
  switch (kind) {
    case 'FeelDate': return { t: 'date', v: value.toJSON() };
    case 'FeelTime': return { t: 'time', v: value.toJSON() };
    case 'FeelDateTime': return { t: 'date and time', v: value.toJSON() };
    case 'FeelDuration':
      return { t: value.yearsMonths ? 'years and months duration' : 'days and time duration',
               v: value.toJSON() };
    case 'FeelRange': return { t: 'range' };
    case 'FeelFunction': return { t: 'function' };
    default: {
      const entries = {};
      for (const [k, v] of Object.entries(value)) entries[k] = normalise(v);
      return { t: 'context', v: entries };
    }
  }
}

const corpus = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = corpus.map(({ expression, context }) => {
  try {
    return normalise(evaluate(expression, context || {}).value);
  } catch (error) {
    return { t: 'error', v: String(error.message || error) };
  }
});
writeFileSync(process.argv[3], JSON.stringify(results, null, 1));
