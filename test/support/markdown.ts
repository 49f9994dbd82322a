/**
 * Markdown as the docs' formatter leaves it, compared by content: table cells
 * are trimmed and separator rows dropped, so column padding (Biome aligns
 * tables) never matters, and every other line is kept as it is.
 */
export function normalizeMarkdown(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => {
      if (!line.trimStart().startsWith('|')) return line;
      const cells = line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => c.trim());
      return cells.every((c) => /^:?-+:?$/.test(c)) ? undefined : `| ${cells.join(' | ')} |`;
    })
    .filter((line) => line !== undefined)
    .join('\n');
}

/** The text between `<!-- <name>:begin … -->` and `<!-- <name>:end -->`, or undefined. */
export function generatedBlock(markdown: string, name: string): string | undefined {
  return new RegExp(`<!-- ${name}:begin[^>]*-->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(markdown)?.[1];
}
