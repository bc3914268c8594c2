// Icons by file type for the explorer: a short label and a colour class, no icon font needed.

export interface FileIcon {
  label: string; // two or three letters, or a glyph
  tone: string; // CSS class suffix: icon-<tone>
  title: string; // spoken / tooltip name of the type
}

const BY_EXTENSION: Record<string, FileIcon> = {
  py: { label: "py", tone: "blue", title: "Python" },
  js: { label: "js", tone: "yellow", title: "JavaScript" },
  mjs: { label: "js", tone: "yellow", title: "JavaScript" },
  cjs: { label: "js", tone: "yellow", title: "JavaScript" },
  ts: { label: "ts", tone: "blue", title: "TypeScript" },
  tsx: { label: "tsx", tone: "blue", title: "TypeScript" },
  jsx: { label: "jsx", tone: "yellow", title: "JavaScript" },
  c: { label: "c", tone: "teal", title: "C" },
  h: { label: "h", tone: "teal", title: "C header" },
  cc: { label: "c++", tone: "teal", title: "C++" },
  cpp: { label: "c++", tone: "teal", title: "C++" },
  cxx: { label: "c++", tone: "teal", title: "C++" },
  hpp: { label: "h++", tone: "teal", title: "C++ header" },
  go: { label: "go", tone: "teal", title: "Go" },
  rs: { label: "rs", tone: "orange", title: "Rust" },
  java: { label: "jv", tone: "orange", title: "Java" },
  rb: { label: "rb", tone: "red", title: "Ruby" },
  sh: { label: "$", tone: "green", title: "Shell script" },
  bash: { label: "$", tone: "green", title: "Shell script" },
  json: { label: "{}", tone: "yellow", title: "JSON" },
  md: { label: "md", tone: "grey", title: "Markdown" },
  txt: { label: "txt", tone: "grey", title: "Text" },
  html: { label: "<>", tone: "orange", title: "HTML" },
  css: { label: "#", tone: "blue", title: "CSS" },
  yml: { label: "yml", tone: "purple", title: "YAML" },
  yaml: { label: "yml", tone: "purple", title: "YAML" },
  toml: { label: "tml", tone: "purple", title: "TOML" },
  csv: { label: "csv", tone: "green", title: "CSV" },
  sql: { label: "sql", tone: "purple", title: "SQL" },
  png: { label: "img", tone: "purple", title: "Image" },
  jpg: { label: "img", tone: "purple", title: "Image" },
  jpeg: { label: "img", tone: "purple", title: "Image" },
  gif: { label: "img", tone: "purple", title: "Image" },
  svg: { label: "svg", tone: "purple", title: "SVG image" },
};

const FILE: FileIcon = { label: "•", tone: "grey", title: "File" };
const MAKEFILE: FileIcon = { label: "mk", tone: "orange", title: "Makefile" };

export function iconForFile(name: string): FileIcon {
  if (name === "Makefile" || name === "makefile") return MAKEFILE;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return FILE;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? FILE;
}

export function iconForDir(open: boolean): FileIcon {
  return { label: open ? "▾" : "▸", tone: "folder", title: open ? "Open folder" : "Folder" };
}
