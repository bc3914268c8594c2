// Monaco's language id for a file, by its name. Only languages registered in monaco.ts are
// named here; anything else is plain text.

const BY_EXTENSION: Record<string, string> = {
  py: "python",
  pyw: "python",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "javascript",
  ts: "typescript",
  tsx: "typescript",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  cxx: "cpp",
  hh: "cpp",
  hpp: "cpp",
  hxx: "cpp",
  go: "go",
  rs: "rust",
  java: "java",
  kt: "kotlin",
  rb: "ruby",
  php: "php",
  lua: "lua",
  sh: "shell",
  bash: "shell",
  zsh: "shell",
  json: "json",
  md: "markdown",
  markdown: "markdown",
  html: "html",
  htm: "html",
  css: "css",
  scss: "scss",
  yml: "yaml",
  yaml: "yaml",
  sql: "sql",
  xml: "xml",
  ini: "ini",
  toml: "ini",
  dockerfile: "dockerfile",
};

const BY_NAME: Record<string, string> = {
  Dockerfile: "dockerfile",
  Makefile: "makefile",
  makefile: "makefile",
  ".bashrc": "shell",
  ".profile": "shell",
};

export function languageForPath(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (BY_NAME[name]) return BY_NAME[name];
  const dot = name.lastIndexOf(".");
  if (dot < 0 || dot === name.length - 1) return "plaintext";
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? "plaintext";
}
