// The last code a person typed per problem and language, in localStorage, so a reload (or
// coming back later) keeps it. Storage may be missing or full (private windows): then the
// editor simply starts from the starter code.

const PREFIX = "codeyard:problem-code:";

export function codeKey(problem: string, language: string): string {
  return `${PREFIX}${problem}:${language}`;
}

export function loadCode(problem: string, language: string, storage: Storage | undefined = globalThis.localStorage): string | null {
  try {
    return storage?.getItem(codeKey(problem, language)) ?? null;
  } catch {
    return null;
  }
}

export function saveCode(problem: string, language: string, code: string, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(codeKey(problem, language), code);
  } catch {
    // full or disabled: the code stays in the editor only
  }
}
