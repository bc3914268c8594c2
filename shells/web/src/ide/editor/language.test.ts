import { describe, expect, it } from "vitest";
import { languageForPath } from "./language";

describe("languageForPath", () => {
  it.each([
    ["main.py", "python"],
    ["src/app.js", "javascript"],
    ["x.mjs", "javascript"],
    ["types.ts", "typescript"],
    ["a.c", "c"],
    ["a.h", "c"],
    ["a.cpp", "cpp"],
    ["a.HPP", "cpp"],
    ["main.go", "go"],
    ["lib.rs", "rust"],
    ["Main.java", "java"],
    ["run.sh", "shell"],
    ["data.json", "json"],
    ["README.md", "markdown"],
    ["index.html", "html"],
    ["style.css", "css"],
    ["ci.yml", "yaml"],
    ["q.sql", "sql"],
    ["Dockerfile", "dockerfile"],
    ["Makefile", "makefile"],
    ["dir.d/.bashrc", "shell"],
  ])("%s is %s", (path, language) => {
    expect(languageForPath(path)).toBe(language);
  });

  it.each(["notes", "weird.xyz", "trailing.", "archive.tar.zz"])("%s is plain text", (path) => {
    expect(languageForPath(path)).toBe("plaintext");
  });
});
