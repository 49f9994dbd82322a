import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sources } from '../../src/features/catalog.js';
import { renderEventSources } from '../../src/features/event-docs.js';
import { generatedBlock, normalizeMarkdown } from '../support/markdown.js';

const doc = normalizeMarkdown(readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8'));

describe('docs/events.md, the producer reference', () => {
  it('lists every source of the catalog as rendered from its schema', () => {
    const block = generatedBlock(doc, 'sources');
    expect(block, 'docs/events.md lost its sources:begin/end markers').toBeDefined();
    expect(block).toBe(normalizeMarkdown(renderEventSources(sources)));
  });

  it('says what a producer must know, written by hand', () => {
    // Independent of the renderer: facts a producer of the shipped catalog relies on.
    expect(doc).toContain('### `"source": "clickstream"`');
    expect(doc).toMatch(/\| `user_id` \| string \| yes \| 1–128 characters \|/);
    expect(doc).toMatch(/\| `event_type` \| one of `page_view`, `click`, `add_to_cart`, `purchase` \| yes \|/);
    expect(doc).toMatch(/\| `price` \| number \| no \| ≥ 0 \|/);
    expect(doc).toMatch(/a record put twice counts twice/);
  });
});
