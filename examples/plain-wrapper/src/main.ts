import { sampleRows, scoreBatch } from './score-batch.js';

const rows = sampleRows();
const { flagged, decisions } = await scoreBatch(rows, 'nightly-review');
process.stdout.write(`scored ${rows.length} transactions, ${flagged} flagged for review\n`);
for (const d of decisions) process.stdout.write(`  ${d.guard}: ${d.action} ${d.code} (${d.message})\n`);
