import * as prettier from 'prettier';

/** Formats generated Markdown with the repository's Prettier settings, so `format:check` passes. */
export async function formatMarkdown(text: string, file: string): Promise<string> {
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, parser: 'markdown', filepath: file });
}
