// Diagnostics and completion from a real language server in the workspace's pod (pylsp, and
// clangd for C), through the server's language-server WebSocket: a red underline under
// `def broken(:` after typing it, gone once fixed, completion offering a module's members, and
// a red underline under an undeclared name in a .c file.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { createWorkspace, newFile, openWorkspace, signUp, typeInEditor } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("lsp");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const errors = (page) => page.locator("[data-testid=editor] .squiggly-error");

test("language servers in the editor", async (t) => {
  const page = await newPage(browser);

  await t.test("a pylsp diagnostic appears as a red underline", async () => {
    await signUp(page, server.url, "lena");
    await createWorkspace(page, "code help");
    await openWorkspace(page, "code help");
    await newFile(page, "broken.py");
    await typeInEditor(page, "def broken(:");
    const typed = Date.now();
    await waitFor(async () => (await errors(page).count()) > 0, { timeout: 60_000, what: "a red underline from pylsp" });
    console.log(`first diagnostic ${Date.now() - typed} ms after typing (pylsp starting included)`);
    await screenshot(page, "lsp-diagnostic");
  });

  await t.test("fixing the line takes the underline away, breaking it again brings it back", async () => {
    // Monaco closed the bracket: "def broken(:)". Make it valid.
    await page.keyboard.press("Control+a");
    await page.keyboard.type("def fine():\n");
    await page.keyboard.type("pass");
    await waitFor(async () => (await errors(page).count()) === 0, { what: "the underline to go" });
    await page.keyboard.press("Control+a");
    const typed = Date.now();
    await page.keyboard.type("def broken(:");
    await waitFor(async () => (await errors(page).count()) > 0, { what: "the underline to come back" });
    console.log(`diagnostic ${Date.now() - typed} ms after typing (server warm)`);
  });

  await t.test("completion comes from the server", async () => {
    await page.keyboard.press("Control+a");
    await page.keyboard.type("import os\nos.pa");
    await page.keyboard.press("Control+Space");
    const row = page.locator(".suggest-widget .monaco-list-row", { hasText: "pardir" });
    await row.first().waitFor({ timeout: 30_000 });
    assert.ok((await row.count()) > 0);
    assert.deepEqual(page.problems, []);
  });

  await t.test("clangd underlines an undeclared name in a C file", async () => {
    await page.keyboard.press("Escape");
    await newFile(page, "broken.c");
    await typeInEditor(page, "int answer = undeclared_name;");
    const typed = Date.now();
    await waitFor(async () => (await errors(page).count()) > 0, { timeout: 60_000, what: "a red underline from clangd" });
    console.log(`clangd: the underline ${Date.now() - typed} ms after the last keystroke (clangd started with the file)`);
    await screenshot(page, "lsp-clangd-diagnostic");
    assert.deepEqual(page.problems, []);
  });
});
