// Changes made behind the editor's back (through the API, as another tab or a command would):
// a clean open file follows the server, a file with unsaved edits is never overwritten, and
// saving over a newer version shows both versions and lets the person choose. Autosave is
// turned off here, so each save is the one the scenario makes (autosave.e2e.mjs covers
// autosave meeting a conflict).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, newFile, openWorkspace, saveWithKeyboard, signUp, treeRow, typeInEditor } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("conflict");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const editorText = (page) => page.locator("[data-testid=editor] .view-lines").innerText();
const normal = (text) => text.replace(/\u00a0/g, " ");

test("edits are never overwritten silently", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";
  // The page's reads and writes of notes.py, to say what happened when a step fails.
  const traffic = [];
  page.on("response", (res) => {
    const req = res.request();
    if (!req.url().endsWith("/files/notes.py")) return;
    const ifMatch = req.headers()["if-match"] ?? "";
    traffic.push(`${req.method()} if-match=${ifMatch} -> ${res.status()} etag=${res.headers()["etag"] ?? ""}`);
  });

  await t.test("set up a saved file", async () => {
    await signUp(page, server.url, "linus");
    ws = await createWorkspace(page, "conflicts");
    await openWorkspace(page, "conflicts");
    await page.getByRole("button", { name: "Settings" }).click();
    const settings = page.getByRole("dialog", { name: "Settings" });
    await settings.getByRole("checkbox", { name: /Autosave/ }).uncheck();
    await settings.getByRole("button", { name: "Save settings" }).click();
    await waitFor(async () => (await page.getByTestId("status-autosave").innerText()) === "Autosave off", { what: "autosave off" });
    await newFile(page, "notes.py");
    await typeInEditor(page, "x = 1\n");
    await saveWithKeyboard(page);
    await api.login("linus", PASSWORD);
  });

  await t.test("a clean open file follows changes made elsewhere", async () => {
    const now = await api.file(ws, "notes.py");
    await api.put(ws, "notes.py", "x = 2  # changed elsewhere\n", now.version);
    await waitFor(async () => normal(await editorText(page)).includes("changed elsewhere"), { what: "the editor to reload" });
    assert.equal(await page.getByTestId("status-save").innerText(), "All saved");
  });

  await t.test("files created elsewhere appear in the tree", async () => {
    await api.put(ws, "made.txt", "x\n");
    await treeRow(page, "made.txt").waitFor();
  });

  await t.test("unsaved edits are kept when the file changes on the server", async () => {
    await typeInEditor(page, "y = 3\n");
    const now = await api.file(ws, "notes.py");
    await api.put(ws, "notes.py", "x = 100  # from the API\n", now.version);
    await page.locator('[role=tab][data-path="notes.py"] .tab-warn').waitFor();
    await page.getByTestId("changed-banner").waitFor();
    const text = normal(await editorText(page));
    assert.match(text, /y = 3/);
    assert.doesNotMatch(text, /from the API/);
  });

  await t.test("saving shows the conflict with both versions; keep mine", async () => {
    await page.keyboard.press("Control+s");
    const dialog = page.getByRole("dialog", { name: "Save conflict" });
    await dialog.waitFor();
    await waitFor(async () => {
      const text = normal(await dialog.innerText());
      return text.includes("from the API") && text.includes("y = 3");
    }, { what: "both versions in the diff" });
    await screenshot(page, "conflict-dialog");
    assert.equal(await page.getByTestId("status-save").innerText(), "Conflict");
    await dialog.getByRole("button", { name: "Save my version" }).click();
    await waitFor(async () => (await page.getByTestId("status-save").innerText()) === "All saved", { what: "the save" });
    const stored = await api.file(ws, "notes.py");
    assert.equal(stored.text, "x = 2  # changed elsewhere\ny = 3\n");
  });

  await t.test("another conflict; take the server's version", async () => {
    await typeInEditor(page, "z = 4\n");
    const now = await api.file(ws, "notes.py");
    await api.put(ws, "notes.py", "server wins\n", now.version);
    await page.keyboard.press("Control+s");
    const dialog = page.getByRole("dialog", { name: "Save conflict" });
    await dialog.getByRole("button", { name: "Use the server's version" }).click();
    await waitFor(async () => normal(await editorText(page)).includes("server wins"), { what: "the server's text" });
    assert.equal(await page.getByTestId("status-save").innerText(), "All saved");
    assert.equal((await api.file(ws, "notes.py")).text, "server wins\n");
  });

  await t.test("the changed-on-server banner opens the comparison", async () => {
    await typeInEditor(page, "w = 5\n");
    const now = await api.file(ws, "notes.py");
    await api.put(ws, "notes.py", "compare me\n", now.version);
    await page.getByTestId("changed-banner").getByRole("button", { name: "Compare and choose" }).click();
    const dialog = page.getByRole("dialog", { name: "Save conflict" });
    await waitFor(async () => normal(await dialog.innerText()).includes("compare me"), { what: "the server's version" });
    await dialog.getByRole("button", { name: "Use the server's version" }).click();
    await waitFor(async () => normal(await editorText(page)).includes("compare me"), { what: "the server's text" });
    assert.equal(await page.getByTestId("changed-banner").count(), 0);
    // back to the text the next case starts from
    const again = await api.file(ws, "notes.py");
    await api.put(ws, "notes.py", "server wins\n", again.version);
    await waitFor(async () => normal(await editorText(page)).includes("server wins"), { what: "the reload" });
  });

  await t.test("decide later keeps the edits and the conflict", async () => {
    await typeInEditor(page, "mine = True\n");
    const now = await api.file(ws, "notes.py");
    await api.put(ws, "notes.py", "theirs = True\n", now.version);
    await page.keyboard.press("Control+s");
    const dialog = page.getByRole("dialog", { name: "Save conflict" });
    await dialog.getByRole("button", { name: "Decide later" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.match(normal(await editorText(page)), /mine = True/);
    assert.equal(await page.getByTestId("status-save").innerText(), "Conflict");
    assert.equal((await api.file(ws, "notes.py")).text, "theirs = True\n");
    await page.keyboard.press("Control+s"); // reopens the choice
    await dialog.getByRole("button", { name: "Save my version" }).click();
    // Failed once under a loaded full run (not reproduced alone): say what each side held.
    let stored = null;
    try {
      await waitFor(async () => (stored = (await api.file(ws, "notes.py")).text) === "server wins\nmine = True\n", { what: "the save" });
    } catch (err) {
      const editor = normal(await editorText(page));
      const status = await page.getByTestId("status-save").innerText();
      const open = (await dialog.count()) > 0 ? normal(await dialog.innerText()) : "no dialog";
      throw new Error(
        `${err.message}; stored ${JSON.stringify(stored)}, editor ${JSON.stringify(editor)}, status ${status}, ` +
          `dialog ${JSON.stringify(open)}, traffic ${JSON.stringify(traffic.slice(-8))}`,
      );
    }
  });

  await t.test("Enter after a word the suggestions only repeat starts a new line", async () => {
    // The flake of the step above: with "True" already in the file, typing "True" opens the
    // word suggestions, and an Enter that accepted "True" (no change) lost the line break.
    await typeInEditor(page, "\nflag = True");
    await page.keyboard.press("Control+Space"); // open the list now, not when typing happens to
    await page.locator("[data-testid=editor] .suggest-widget.visible").waitFor();
    await page.keyboard.press("Enter");
    await page.keyboard.type("done = 1");
    await page.keyboard.press("Control+s");
    let saved = "";
    await waitFor(async () => (saved = (await api.file(ws, "notes.py")).text).endsWith("flag = True\ndone = 1"), {
      what: "the new line, saved",
    }).catch((e) => {
      throw new Error(`${e.message}; stored ${JSON.stringify(saved.slice(-80))}`);
    });
  });

  assert.deepEqual(page.problems, []);
});
