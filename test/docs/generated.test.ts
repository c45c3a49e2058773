import { describe, expect, it } from 'vitest';
import { fillSection } from '../../scripts/lib/generated.js';

describe('generated doc sections', () => {
  it('replaces the content between the markers, literally', () => {
    const md = 'a\n<!-- t -->\nold\n<!-- /t -->\nb';
    expect(fillSection(md, 't', 'cost $& and $1')).toBe('a\n<!-- t -->\ncost $& and $1\n<!-- /t -->\nb');
  });

  it('refuses a doc without the section, rather than leave stale figures looking fresh', () => {
    expect(() => fillSection('no markers', 'figures', 'x')).toThrow(/no <!-- figures -->/);
  });
});
