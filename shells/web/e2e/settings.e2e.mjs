// Settings (issue 17): theme, font size, tab size and autosave, chosen in the IDE's dialog, kept
// per user on the server (GET/PUT /api/v1/me/settings), applied to the page, Monaco and the
// terminal, and found again after a reload and in another browser.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, logIn, newFile, openWorkspace, signUp, typeInEditor, waitForIde } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("settings");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const theme = (page) => page.evaluate(() => document.documentElement.dataset.theme);
const editorFontSize = (page) => page.locator("[data-testid=editor] .view-lines").evaluate((el) => getComputedStyle(el).fontSize);
const terminalFontSize = (page) => page.locator("[data-testid=terminal] .xterm-rows").evaluate((el) => getComputedStyle(el).fontSize);

async function expectApplied(page) {
  await waitFor(async () => (await theme(page)) === "light", { what: "the light theme" });
  await waitFor(async () => (await editorFontSize(page)) === "18px", { what: "the editor's font size" });
  await waitFor(async () => (await terminalFontSize(page)) === "17px", { what: "the terminal's font size" });
  await waitFor(async () => (await page.getByTestId("status-autosave").innerText()) === "Autosave off", { what: "autosave off" });
}

test("settings are the person's, kept on the server", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";

  await t.test("defaults, then the dialog changes them", async () => {
    await signUp(page, server.url, "hedy");
    ws = await createWorkspace(page, "prefs");
    await openWorkspace(page, "prefs");
    await newFile(page, "main.py");
    assert.equal(await theme(page), "dark");
    assert.equal(await editorFontSize(page), "14px");
    await api.login("hedy", PASSWORD);
    const { limits, ...defaults } = await (await api.call("GET", "/me/settings")).json();
    assert.deepEqual(defaults, { theme: "dark", font_size: 14, autosave: true, tab_size: 4, updated_at: 0 });
    assert.equal(limits.max_terminals, 4); // the server's limits come with the settings

    await page.getByRole("button", { name: "Settings" }).click();
    const dialog = page.getByRole("dialog", { name: "Settings" });
    await dialog.getByLabel("Theme").selectOption("light");
    await dialog.getByLabel("Font size").fill("18");
    await dialog.getByLabel("Tab size").fill("2");
    await dialog.getByRole("checkbox", { name: /Autosave/ }).uncheck();
    await dialog.getByRole("button", { name: "Save settings" }).click();
    await dialog.waitFor({ state: "detached" });
    await expectApplied(page);
    await screenshot(page, "ide-light-theme");
    const stored = await (await api.call("GET", "/me/settings")).json();
    assert.equal(stored.theme, "light");
    assert.equal(stored.font_size, 18);
    assert.equal(stored.tab_size, 2);
    assert.equal(stored.autosave, false);
    assert.ok(stored.updated_at > 0);
  });

  await t.test("the tab size is the editor's indentation", async () => {
    await typeInEditor(page, "if True:\npass");
    await page.keyboard.press("Control+s");
    await waitFor(async () => (await api.file(ws, "main.py")).text === "if True:\n  pass", { what: "the indented save" });
  });

  await t.test("a reload keeps them", async () => {
    await page.reload();
    await waitForIde(page, "prefs");
    await page.locator('[role=tab][data-path="main.py"]').click();
    await expectApplied(page);
  });

  await t.test("another browser finds them after logging in", async () => {
    const other = await newPage(browser);
    await logIn(other, server.url, "hedy");
    await waitFor(async () => (await theme(other)) === "light", { what: "the light theme on the list" });
    await other.goto(`${server.url}/w/${ws}`);
    await waitForIde(other, "prefs");
    await other.getByRole("treeitem", { name: /main\.py/ }).click();
    await expectApplied(other);
    assert.deepEqual(other.problems, []);
    await other.context().close();
  });

  await t.test("the server refuses bad values and keeps the stored ones", async () => {
    for (const body of [{ font_size: 100 }, { tab_size: 0 }, { theme: "blue" }, { fontSize: 12 }, { autosave: "yes" }, { font_size: 12.5 }]) {
      const res = await api.call("PUT", "/me/settings", { json: body });
      assert.equal(res.status, 400, JSON.stringify(body));
      const error = (await res.json()).error;
      assert.equal(error.code, "invalid_argument");
      assert.ok(error.message.length > 0);
    }
    const stored = await (await api.call("GET", "/me/settings")).json();
    assert.equal(stored.font_size, 18);
    assert.equal(stored.theme, "light");
    const anonymous = await fetch(`${server.url}/api/v1/me/settings`);
    assert.equal(anonymous.status, 401);
  });

  assert.deepEqual(page.problems, []);
});
