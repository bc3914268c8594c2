// Never lose work (issue 17): autosave writes without Ctrl+S, on blur (a page whose clock is
// paused, so only the blur can write), and never over a change made elsewhere; a reload keeps unsaved edits (autosave off), tabs and expanded folders; a deep link
// survives a login; a workspace stops from the IDE and from the list, both showing the same.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import {
  PASSWORD,
  createWorkspace,
  editorText,
  newFile,
  openWorkspace,
  signUp,
  treeRow,
  typeInEditor,
  waitForIde,
} from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("autosave");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const statusSave = (page) => page.getByTestId("status-save").innerText();
const statusPod = (page) => page.getByTestId("status-pod").innerText();

async function setAutosave(page, on) {
  await page.getByRole("button", { name: "Settings" }).click();
  const dialog = page.getByRole("dialog", { name: "Settings" });
  const box = dialog.getByRole("checkbox", { name: /Autosave/ });
  if ((await box.isChecked()) !== on) await box.click();
  await dialog.getByRole("button", { name: "Save settings" }).click();
  await dialog.waitFor({ state: "detached" });
  await waitFor(async () => (await page.getByTestId("status-autosave").innerText()) === (on ? "Autosave on" : "Autosave off"), {
    what: "the autosave state",
  });
}

test("work is never lost", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";

  await t.test("set up", async () => {
    await signUp(page, server.url, "margaret");
    ws = await createWorkspace(page, "keep");
    await openWorkspace(page, "keep");
    await api.login("margaret", PASSWORD);
    assert.equal(await page.getByTestId("status-autosave").innerText(), "Autosave on");
    await newFile(page, "auto.py");
  });

  await t.test("autosave writes after a moment of quiet, without Ctrl+S", async () => {
    await typeInEditor(page, "print(1)\n");
    await waitFor(async () => (await api.file(ws, "auto.py")).text === "print(1)\n", { what: "the autosave" });
    await waitFor(async () => (await statusSave(page)) === "All saved", { what: "the status" });
    assert.equal(await page.locator('[role=tab][data-path="auto.py"]').getAttribute("data-dirty"), "false");
  });

  await t.test("autosave never writes over a change made elsewhere", async () => {
    // Hold the autosave's write until the file has changed on the server, then let it go: the
    // server refuses it (412) and the page shows the conflict instead of overwriting.
    let held = null;
    let release;
    const released = new Promise((r) => (release = r));
    await page.route(`**/api/v1/workspaces/${ws}/files/auto.py`, async (route) => {
      if (route.request().method() !== "PUT") return route.continue();
      held = route;
      await released;
      await route.continue();
    });
    await typeInEditor(page, "mine = 1\n");
    await waitFor(() => held !== null, { what: "the autosave's write" });
    const now = await api.file(ws, "auto.py");
    await api.put(ws, "auto.py", "theirs = 1\n", now.version);
    release();
    await page.getByTestId("conflict-banner").waitFor();
    await waitFor(async () => (await statusSave(page)) === "Conflict", { what: "the conflict" });
    await page.unroute(`**/api/v1/workspaces/${ws}/files/auto.py`);
    assert.equal((await api.file(ws, "auto.py")).text, "theirs = 1\n");
    assert.match(await editorText(page), /mine = 1/);
    // More typing does not make autosave pick a side either.
    await typeInEditor(page, "more = 2\n");
    await page.getByTestId("conflict-banner").getByRole("button", { name: "Choose a version" }).click();
    const dialog = page.getByRole("dialog", { name: "Save conflict" });
    await dialog.waitFor();
    assert.equal((await api.file(ws, "auto.py")).text, "theirs = 1\n");
    await dialog.getByRole("button", { name: "Save my version" }).click();
    await waitFor(async () => (await api.file(ws, "auto.py")).text === "print(1)\nmine = 1\nmore = 2\n", { what: "my version" });
    await waitFor(async () => (await statusSave(page)) === "All saved", { what: "the status" });
  });

  await t.test("a reload keeps unsaved edits (autosave off), tabs and expanded folders", async () => {
    await setAutosave(page, false);
    await api.put(ws, "src/lib.py", "def f():\n    return 1\n");
    await treeRow(page, "src").click();
    await treeRow(page, "src/lib.py").click();
    await page.locator('[role=tab][data-path="src/lib.py"][aria-selected=true]').waitFor();
    await typeInEditor(page, "# unsaved edit\n");
    await waitFor(async () => (await statusSave(page)) === "1 unsaved file", { what: "the unsaved edit" });
    await waitFor(
      async () => (await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("codeyard.draft.")).map((k) => localStorage.getItem(k)).join())).includes("# unsaved edit"),
      { what: "the draft in the browser" },
    );
    await page.reload();
    await waitForIde(page, "keep");
    await page.locator('[role=tab][data-path="auto.py"]').waitFor();
    await page.locator('[role=tab][data-path="src/lib.py"][aria-selected=true][data-dirty=true]').waitFor();
    await waitFor(async () => (await editorText(page)).includes("# unsaved edit"), { what: "the edit back in the editor" });
    await treeRow(page, "src/lib.py").waitFor(); // src is still expanded
    assert.equal(await statusSave(page), "1 unsaved file");
    assert.equal(await page.getByTestId("status-autosave").innerText(), "Autosave off");
    assert.equal((await api.file(ws, "src/lib.py")).text, "def f():\n    return 1\n"); // nothing written
    await page.keyboard.press("Control+s");
    await waitFor(async () => (await api.file(ws, "src/lib.py")).text === "def f():\n    return 1\n# unsaved edit\n", { what: "the save" });
    await screenshot(page, "reload-kept-edits");
  });

  await t.test("a draft over a file changed meanwhile comes back as a conflict, not an overwrite", async () => {
    await typeInEditor(page, "# draft\n");
    await waitFor(
      async () => (await page.evaluate(() => Object.keys(localStorage).map((k) => localStorage.getItem(k)).join())).includes("# draft"),
      { what: "the draft in the browser" },
    );
    const now = await api.file(ws, "src/lib.py");
    await api.put(ws, "src/lib.py", "changed = True\n", now.version);
    await page.reload();
    await waitForIde(page, "keep");
    await waitFor(async () => (await editorText(page)).includes("# draft"), { what: "the draft back" });
    await page.getByTestId("changed-banner").waitFor();
    await page.keyboard.press("Control+s");
    const dialog = page.getByRole("dialog", { name: "Save conflict" });
    await dialog.waitFor();
    assert.equal((await api.file(ws, "src/lib.py")).text, "changed = True\n");
    await dialog.getByRole("button", { name: "Use the server's version" }).click();
    await waitFor(async () => (await statusSave(page)) === "All saved", { what: "the server's version" });
  });

  await t.test("a deep link survives a login", async () => {
    const visitor = await newPage(browser);
    await visitor.goto(`${server.url}/w/${ws}`);
    await visitor.getByRole("heading", { name: "Log in" }).waitFor();
    await visitor.getByLabel("Username").fill("margaret");
    await visitor.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await visitor.getByRole("button", { name: "Log in" }).click();
    await waitForIde(visitor, "keep");
    assert.equal(new URL(visitor.url()).pathname, `/w/${ws}`);
    assert.deepEqual(visitor.problems, []);
    await visitor.context().close();
  });

  await t.test("autosave writes when the editor loses focus, without waiting for quiet", async () => {
    await setAutosave(page, true);
    await treeRow(page, "auto.py").click();
    await page.locator('[role=tab][data-path="auto.py"][aria-selected=true]').waitFor();
    const before = (await api.file(ws, "auto.py")).text;
    // The page's clock becomes Playwright's, paused while typing: autosave's quiet-time timer
    // (set after this) cannot fire, so a write can only come from the editor losing focus.
    await page.clock.install();
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 100);
    await typeInEditor(page, "# blur\n");
    assert.equal((await api.file(ws, "auto.py")).text, before, "nothing written while typing");
    await treeRow(page, "auto.py").focus(); // focus leaves the editor
    await waitFor(async () => (await api.file(ws, "auto.py")).text === `${before}# blur\n`, { what: "the write on blur" });
    await page.clock.resume();
    await waitFor(async () => (await statusSave(page)) === "All saved", { what: "the status" });
  });

  let list = null;
  const badge = () => list.locator(`tr[data-id="${ws}"] .badge`).innerText();
  await t.test("Stop workspace from the IDE; the list in another tab shows it too", async () => {
    list = await page.context().newPage();
    await list.goto(server.url);
    await waitFor(async () => (await badge()) === "running", { what: "the list's running state" });
    await page.getByRole("button", { name: "Stop workspace" }).click();
    await waitFor(async () => (await statusPod(page)) === "Pod: stopped", { timeout: 60_000, what: "the IDE to say stopped" });
    await waitFor(async () => (await badge()) === "stopped", { what: "the list to say stopped" });
    assert.equal((await api.call("GET", `/workspaces/${ws}`).then((r) => r.json())).state, "stopped");
    await page.getByRole("button", { name: "Start workspace" }).click();
    await waitFor(async () => (await statusPod(page)) === "Pod: running", { timeout: 60_000, what: "the pod to run again" });
    await waitFor(async () => (await badge()) === "running", { what: "the list to say running" });
  });

  await t.test("Stop workspace from the list; the IDE follows", async () => {
    await list.locator(`tr[data-id="${ws}"]`).getByRole("button", { name: "Stop workspace" }).click();
    await waitFor(async () => (await badge()) === "stopped", { timeout: 60_000, what: "the list to say stopped" });
    await waitFor(async () => (await statusPod(page)) === "Pod: stopped", { what: "the IDE to say stopped" });
    assert.equal(await list.locator(`tr[data-id="${ws}"]`).getByRole("button", { name: "Stop workspace" }).isDisabled(), true);
    await page.getByRole("button", { name: "Start workspace" }).waitFor();
    await screenshot(list, "list-stopped");
    await list.close();
  });

  assert.deepEqual(page.problems, []);
});
