/** Spans over a sentence's tokens as IOB2 tags, the form CoNLL files and conlleval read. */
export function spansToTags(length: number, spans: readonly { start: number; end: number; type: string }[]): string[] {
  const tags = Array.from({ length }, () => 'O');
  for (const span of spans) {
    tags[span.start] = `B-${span.type}`;
    for (let i = span.start + 1; i < span.end; i++) tags[i] = `I-${span.type}`;
  }
  return tags;
}

/** The entity types an IOB2 label set names (`B-PER`, `I-PER` → `PER`), in label order. */
export function entityTypesOf(labels: readonly string[]): string[] {
  return [...new Set(labels.filter((l) => l !== 'O').map((l) => l.slice(2)))];
}
