// The main path through the product, in Chromium against the real server: sign up, create a
// workspace, create main.py in the explorer, type in Monaco, save with Ctrl+S, run it in the
// terminal, make a file from the terminal and see it in the explorer, run with F5, reload
// (files and the terminal session survive), log out, and a second user cannot see the first
// one's workspace. Screenshots of each screen at 1280x800, and the IDE at 1920x1080.
// Autosave is turned off for this person (through the settings API) so that the dirty marker
// and Ctrl+S are what saves here, not autosave's timer racing the assertions under load;
// autosave itself is autosave.e2e.mjs's.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import {
  PASSWORD,
  createWorkspace,
  runInTerminal,
  shellPid,
  terminalText,
  waitForTerminal,
  logIn,
  logOut,
  newFile,
  openWorkspace,
  saveWithKeyboard,
  signUp,
  treeRow,
  typeInEditor,
  typeThenPress,
  waitForIde,
} from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("flow");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test("sign up, edit, save, run, reload, log out, and users are isolated", async (t) => {
  const page = await newPage(browser, { width: 1280, height: 800 });
  const base = server.url;
  let wsId = "";
  let pid = "";

  await t.test("the login page is the start for a visitor", async () => {
    await page.goto(base + "/");
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/login");
    await screenshot(page, "login");
  });

  await t.test("sign up", async () => {
    await signUp(page, base, "ada");
    await page.getByText("No workspaces yet").waitFor();
  });

  await t.test("autosave off, through the settings API", async () => {
    const api = new Api(base);
    await api.login("ada", PASSWORD);
    const res = await api.call("PUT", "/me/settings", { json: { autosave: false } });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).autosave, false);
    // The page loads the settings once per sign-in: a reload reads them again.
    await page.reload();
    await page.getByText("No workspaces yet").waitFor();
  });

  await t.test("create a workspace", async () => {
    wsId = await createWorkspace(page, "first project");
    assert.match(wsId, /^[0-9a-f-]{36}$/);
    await screenshot(page, "workspaces");
  });

  await t.test("open it: the pod starts", async () => {
    await openWorkspace(page, "first project");
    assert.equal(new URL(page.url()).pathname, `/w/${wsId}`);
  });

  await t.test("create main.py in the explorer, type code, save with Ctrl+S", async () => {
    await waitFor(async () => (await page.getByTestId("status-autosave").innerText()) === "Autosave off", {
      what: "autosave off in the IDE",
    });
    await newFile(page, "main.py");
    await typeInEditor(page, 'print("hello from main")\nprint(6 * 7)\n');
    await waitFor(async () => (await page.getByTestId("status-save").innerText()) === "1 unsaved file", {
      what: "the dirty marker",
    });
    assert.equal(await page.locator('[role=tab][data-path="main.py"]').getAttribute("data-dirty"), "true");
    await saveWithKeyboard(page);
    assert.equal(await page.locator('[role=tab][data-path="main.py"]').getAttribute("data-dirty"), "false");
    const api = new Api(base);
    await api.login("ada", PASSWORD);
    const stored = await api.file(wsId, "main.py");
    assert.equal(stored.text, 'print("hello from main")\nprint(6 * 7)\n');
    assert.equal(await treeRow(page, "main.py").getAttribute("aria-selected"), "true");
  });

  await t.test("run it in the terminal and see its output", async () => {
    await waitForTerminal(page);
    await runInTerminal(page, "python3 main.py", "hello from main");
    await waitFor(async () => /hello from main\s+42/.test((await terminalText(page)).replace(/\u00a0/g, " ")), {
      what: "both lines of output",
    });
    await screenshot(page, "ide-terminal");
  });

  await t.test("a file made in the terminal appears in the explorer", async () => {
    await runInTerminal(page, "echo x > made.txt && echo made-$((6*7))", "made-42");
    await treeRow(page, "made.txt").waitFor();
    pid = await shellPid(page);
  });

  await t.test("F5 saves and runs the file: output and verdict", async () => {
    // Typed and F5 pressed with no wait between (issue 13, item 18: F5 ran a stale copy).
    await page.locator("[data-testid=editor] .monaco-editor .view-lines").click();
    await page.keyboard.press("Control+End");
    await typeThenPress(page, "import sys; print('to stderr', file=sys.stderr)", "F5");
    const output = page.getByTestId("run-output");
    await page.getByTestId("verdict").waitFor({ timeout: 60_000 });
    const text = await output.innerText();
    assert.match(text, /hello from main/);
    assert.match(text, /42/);
    assert.match(text, /to stderr/);
    assert.match(await page.getByTestId("verdict").innerText(), /^OK · exit 0 · cpu \d+ ms · wall [\d.]+ m?s · memory [\d.]+ [KMG]iB$/);
    assert.equal(await page.getByTestId("status-save").innerText(), "All saved");
    await screenshot(page, "ide-run-1280x800");
  });

  await t.test("the IDE fits 1920x1080 too", async () => {
    await page.setViewportSize({ width: 1920, height: 1080 });
    await waitFor(async () => (await page.locator(".statusbar").boundingBox())?.y > 1000, { what: "the relayout" });
    await screenshot(page, "ide-1920x1080");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await t.test("reload: the session, the files and the terminal session survive", async () => {
    await page.reload();
    await waitForIde(page, "first project");
    await treeRow(page, "made.txt").waitFor();
    await treeRow(page, "main.py").click();
    await page.locator("[data-testid=editor] .view-lines").filter({ hasText: "hello from main" }).waitFor();
    await waitForTerminal(page);
    await waitFor(async () => (await terminalText(page)).includes("made-42"), { what: "the scrollback" });
    assert.equal(await shellPid(page), pid);
  });

  await t.test("log out, and another user does not see the workspace", async () => {
    await logOut(page);
    await screenshot(page, "logged-out");
    await signUp(page, base, "grace");
    await page.getByText("No workspaces yet").waitFor();
    assert.equal(await page.getByRole("link", { name: "first project" }).count(), 0);
    await page.goto(`${base}/w/${wsId}`);
    await page.getByText("This workspace does not exist, or it is not yours.").waitFor();
    await logOut(page);
    await logIn(page, base, "ada");
    await page.getByRole("link", { name: "first project" }).waitFor();
  });

  assert.deepEqual(page.problems, []);
});
