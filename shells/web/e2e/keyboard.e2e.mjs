// No keyboard trap (WCAG 2.1.2) and focus that never falls to the page body: Tab inside the
// terminal goes to the shell while it has focus, and Escape then Tab leaves the terminal and
// the editor; after a dialog and after a delete the focus is somewhere sensible; tabs follow
// the WAI-ARIA tabs pattern (arrows move between them without moving into the editor).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, openWorkspace, signUp, terminalText, treeRow, waitForTerminal } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("keyboard");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const focused = (page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return "body";
    if (a.closest(".xterm")) return "terminal";
    if (a.closest(".monaco-editor")) return "editor";
    return a.getAttribute("aria-label") || a.getAttribute("role") || a.tagName.toLowerCase();
  });

test("keyboard", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";

  await t.test("the IDE opens with two files", async () => {
    await signUp(page, server.url, "ada");
    ws = await createWorkspace(page, "keys");
    await api.login("ada", PASSWORD);
    await api.put(ws, "a.py", "print('a')\n");
    await api.put(ws, "b.py", "print('b')\n");
    await openWorkspace(page, "keys");
    await waitForTerminal(page);
  });

  await t.test("Tab in the terminal goes to the shell; Escape then Tab leaves it", async () => {
    await page.locator("[data-testid=terminal] .xterm").click();
    await page.keyboard.type("echo tabcomp_");
    await page.keyboard.press("Tab"); // completion, or a bell: either way the shell got it
    assert.equal(await focused(page), "terminal");
    await page.keyboard.press("Control+u");
    await page.keyboard.type("echo still_here");
    await page.keyboard.press("Enter");
    await waitFor(async () => (await terminalText(page)).includes("still_here"), { what: "the shell to answer" });
    await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    const after = await focused(page);
    assert.notEqual(after, "terminal");
    assert.notEqual(after, "body");
    // Back in, then out backwards.
    await page.locator("[data-testid=terminal] .xterm").click();
    await page.keyboard.press("Escape");
    await page.keyboard.press("Shift+Tab");
    assert.ok(!["terminal", "body"].includes(await focused(page)));
  });

  await t.test("Escape then Tab leaves the editor; plain Tab indents", async () => {
    await treeRow(page, "a.py").click();
    await page.locator('[role=tab][data-path="a.py"][aria-selected=true]').waitFor();
    await page.locator("[data-testid=editor] .view-lines").click();
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "editor");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    assert.ok(!["editor", "body"].includes(await focused(page)), await focused(page));
  });

  await t.test("arrow keys move between tabs without entering the editor", async () => {
    await treeRow(page, "b.py").click();
    await page.locator('[role=tab][data-path="b.py"][aria-selected=true]').waitFor();
    await page.locator('[role=tab][data-path="b.py"]').focus();
    await page.keyboard.press("ArrowLeft");
    await page.locator('[role=tab][data-path="a.py"][aria-selected=true]').waitFor();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-path")), "a.py");
    await page.keyboard.press("End");
    await page.locator('[role=tab][data-path="b.py"][aria-selected=true]').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-path")), "b.py");
    // The bottom panels too.
    await page.getByRole("tab", { name: "Terminal", exact: true }).focus();
    await page.keyboard.press("ArrowRight");
    await page.locator('[role=tab][aria-selected=true]', { hasText: "Output" }).waitFor();
    assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ""), /Output/);
    await page.keyboard.press("ArrowLeft");
  });

  await t.test("focus returns after a dialog and after a delete", async () => {
    const row = treeRow(page, "a.py");
    const rowOfFocus = () => page.evaluate(() => document.activeElement?.closest("[role=treeitem]")?.getAttribute("data-path") ?? null);
    await row.hover();
    await row.getByRole("button", { name: "Rename a.py" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await waitFor(async () => (await dialog.count()) === 0, { what: "the dialog to close" });
    assert.equal(await rowOfFocus(), "a.py");

    await row.hover();
    await row.getByRole("button", { name: "Delete a.py" }).click();
    await dialog.waitFor();
    await dialog.getByRole("button", { name: /Delete/ }).click();
    await waitFor(async () => (await treeRow(page, "a.py").count()) === 0, { what: "a.py to go" });
    // Focus moves on the next animation frame after the row goes: wait for two, not a time.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const where = await focused(page);
    assert.notEqual(where, "body", "the focus fell to the page body after the delete");
    assert.deepEqual(page.problems, []);
  });
});
