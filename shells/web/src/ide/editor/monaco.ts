// Monaco, bundled: the editor's features, the languages languageForPath names, and its web
// workers as files of this build (Vite's ?worker imports), so the editor works with no network
// beyond the Codeyard server. Imported lazily by the IDE page, so the login and workspace pages
// load without it.
import "monaco-editor/esm/vs/editor/edcore.main.js";
import * as monaco from "monaco-editor/esm/vs/editor/editor.api.js";
import "monaco-editor/esm/vs/basic-languages/python/python.contribution.js";
import "monaco-editor/esm/vs/basic-languages/javascript/javascript.contribution.js";
import "monaco-editor/esm/vs/basic-languages/typescript/typescript.contribution.js";
import "monaco-editor/esm/vs/basic-languages/cpp/cpp.contribution.js";
import "monaco-editor/esm/vs/basic-languages/go/go.contribution.js";
import "monaco-editor/esm/vs/basic-languages/rust/rust.contribution.js";
import "monaco-editor/esm/vs/basic-languages/java/java.contribution.js";
import "monaco-editor/esm/vs/basic-languages/kotlin/kotlin.contribution.js";
import "monaco-editor/esm/vs/basic-languages/ruby/ruby.contribution.js";
import "monaco-editor/esm/vs/basic-languages/php/php.contribution.js";
import "monaco-editor/esm/vs/basic-languages/lua/lua.contribution.js";
import "monaco-editor/esm/vs/basic-languages/shell/shell.contribution.js";
import "monaco-editor/esm/vs/basic-languages/markdown/markdown.contribution.js";
import "monaco-editor/esm/vs/basic-languages/html/html.contribution.js";
import "monaco-editor/esm/vs/basic-languages/css/css.contribution.js";
import "monaco-editor/esm/vs/basic-languages/scss/scss.contribution.js";
import "monaco-editor/esm/vs/basic-languages/yaml/yaml.contribution.js";
import "monaco-editor/esm/vs/basic-languages/sql/sql.contribution.js";
import "monaco-editor/esm/vs/basic-languages/xml/xml.contribution.js";
import "monaco-editor/esm/vs/basic-languages/ini/ini.contribution.js";
import "monaco-editor/esm/vs/basic-languages/dockerfile/dockerfile.contribution.js";
import "monaco-editor/esm/vs/language/json/monaco.contribution.js";
import EditorWorker from "monaco-editor/esm/vs/editor/editor.worker.js?worker";
import JsonWorker from "monaco-editor/esm/vs/language/json/json.worker.js?worker";

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

window.MonacoEnvironment = {
  getWorker(_id: string, label: string): Worker {
    return label === "json" ? new JsonWorker() : new EditorWorker();
  },
};

// Monaco cancels its own pending requests when the editor switches models (the word
// highlighter's, for one) and leaves the rejected promise unhandled: an expected cancellation,
// not an error of the page. Only that exact error is silenced.
window.addEventListener("unhandledrejection", (event) => {
  const reason = event.reason as { name?: unknown; message?: unknown } | null;
  if (reason && reason.name === "Canceled" && reason.message === "Canceled") event.preventDefault();
});

// Makefiles are tab-indented shell-ish text: highlight them as shell.
if (!monaco.languages.getLanguages().some((l) => l.id === "makefile")) {
  monaco.languages.register({ id: "makefile", filenames: ["Makefile", "makefile"] });
}

export { monaco };
export type Monaco = typeof monaco;
