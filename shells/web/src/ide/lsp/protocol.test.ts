import { describe, expect, it } from "vitest";
import { fileUri, lspUrl, markerOf, pathOfUri } from "./protocol";

describe("the editor's LSP shapes", () => {
  it("names the language-server socket of a workspace", () => {
    expect(lspUrl({ protocol: "https:", host: "yard.example" }, "w 1", "python")).toBe(
      "wss://yard.example/api/v1/workspaces/w%201/lsp?language=python",
    );
    expect(lspUrl({ protocol: "http:", host: "127.0.0.1:8080" }, "id", "cpp")).toBe("ws://127.0.0.1:8080/api/v1/workspaces/id/lsp?language=cpp");
  });

  it("maps workspace paths to the pod's file URIs and back", () => {
    expect(fileUri("src/a b.py")).toBe("file:///workspace/src/a%20b.py");
    expect(pathOfUri("file:///workspace/src/a%20b.py")).toBe("src/a b.py");
    expect(pathOfUri("file:///usr/lib/python3/os.py")).toBeNull();
  });

  it("turns a diagnostic into a marker counted from 1 that underlines something", () => {
    const m = markerOf({ range: { start: { line: 0, character: 11 }, end: { line: 0, character: 11 } }, message: "invalid syntax", severity: 1 });
    expect(m).toMatchObject({ severity: "error", startLineNumber: 1, startColumn: 12, endLineNumber: 1, endColumn: 13 });
    expect(markerOf({ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 4 } }, message: "w", severity: 2 })).toMatchObject({
      severity: "warning",
      endColumn: 5,
    });
    expect(markerOf({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: "x" }).severity).toBe("error");
  });
});
