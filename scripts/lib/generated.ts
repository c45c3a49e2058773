/**
 * What the measuring scripts write: the figures between `<!-- name -->` … `<!-- /name -->` markers
 * in a doc, and an attack lab report as JSON, Markdown and HTML. A missing marker is an error: a
 * script that silently wrote nothing would leave stale figures looking fresh.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Report, toHtml, toMarkdown } from '@bulwark/attack-lab';

/** `md` with the section `name` replaced by `content`. */
export function fillSection(md: string, name: string, content: string): string {
  const marker = new RegExp(`<!-- ${name} -->[\\s\\S]*?<!-- /${name} -->`);
  if (!marker.test(md)) throw new Error(`no <!-- ${name} --> … <!-- /${name} --> section to fill`);
  return md.replace(marker, () => `<!-- ${name} -->\n${content}\n<!-- /${name} -->`);
}

/** Rewrites the doc at `path` with every section of `sections` filled. */
export function fillSections(path: string, sections: Readonly<Record<string, string>>): void {
  let md = readFileSync(path, 'utf8');
  for (const [name, content] of Object.entries(sections)) md = fillSection(md, name, content);
  writeFileSync(path, md);
}

/** Writes `<name>.json`, `<name>.md` and `<name>.html` of a report into `dir`. */
export function writeReport(dir: string, name: string, report: Report): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), toMarkdown(report));
  writeFileSync(join(dir, `${name}.html`), toHtml(report));
}
