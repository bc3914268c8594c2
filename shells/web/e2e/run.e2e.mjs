// Run (F5) runs what the editors show, in Chromium against the real server: the last keystrokes
// before F5 are in the run (item 18 of issue 13), every unsaved file of the workspace is saved
// before the run, so an imported module runs as edited (item 19), and after the workspace was
// stopped elsewhere, F5 starts it and the terminal follows the pod back (item 22).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, waitFor } from "./lib/harness.mjs";
import {
  PASSWORD,
  createWorkspace,
  editorText,
  newFile,
  openWorkspace,
  runInTerminal,
  signUp,
  treeRow,
  typeInEditor,
  typeThenPress,
  waitForTerminal,
} from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("run");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const statusSave = (page) => page.getByTestId("status-save").innerText();

/** Waits for the run that F5 started to finish; returns its output and verdict. */
async function runResult(page) {
  const verdict = page.getByTestId("verdict");
  await verdict.waitFor({ timeout: 60_000 });
  return { output: await page.getByTestId("run-output").innerText(), verdict: await verdict.innerText() };
}

test("Run runs what the editors show", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";

  await t.test("set up", async () => {
    await signUp(page, server.url, "barbara");
    ws = await createWorkspace(page, "runs");
    await openWorkspace(page, "runs");
    await api.login("barbara", PASSWORD);
    await newFile(page, "main.py");
  });

  await t.test("F5 right after typing runs the last keystrokes too", async () => {
    await page.locator("[data-testid=editor] .monaco-editor .view-lines").click();
    await typeThenPress(page, "import sys\nprint('to stderr', file=sys.stderr)", "F5");
    const { output, verdict } = await runResult(page);
    const shown = await editorText(page);
    assert.match(shown, /file=sys\.stderr\)/);
    assert.match(output, /to stderr/);
    assert.match(verdict, /^OK · exit 0/);
    assert.equal((await api.file(ws, "main.py")).text, "import sys\nprint('to stderr', file=sys.stderr)");
    await waitFor(async () => (await statusSave(page)) === "All saved", { what: "nothing unsaved" });
  });

  await t.test("F5 saves every edited file first: an imported module runs as the editor shows it", async () => {
    await api.put(ws, "app.py", "from lib.mathutils import double\nprint(double(21))\n");
    await api.put(ws, "lib/mathutils.py", "def double(x):\n    return 2 * x\n");
    await treeRow(page, "app.py").click();
    await waitFor(async () => (await editorText(page)).includes("double(21)"), { what: "app.py to open" });
    await treeRow(page, "lib").click();
    await treeRow(page, "lib/mathutils.py").click();
    await page.locator('[role=tab][data-path="lib/mathutils.py"][aria-selected=true]').waitFor();
    await typeInEditor(page, "\ndef broken(:");
    await page.locator('[role=tab][data-path="lib/mathutils.py"][data-dirty=true]').waitFor();
    await page.locator('[role=tab][data-path="app.py"]').click();
    await page.locator('[role=tab][data-path="app.py"][aria-selected=true]').waitFor();
    await page.keyboard.press("F5");
    await waitFor(async () => /SyntaxError/.test(await page.getByTestId("run-output").innerText()), {
      timeout: 60_000,
      what: "the run to see the broken module",
    });
    const { verdict } = await runResult(page);
    assert.doesNotMatch(verdict, /^OK/);
    assert.match((await api.file(ws, "lib/mathutils.py")).text, /def broken\(/);
    await waitFor(async () => (await statusSave(page)) === "All saved", { what: "nothing unsaved" });
  });

  await t.test("after a stop elsewhere, F5 starts the workspace and the terminal follows it", async () => {
    await page.locator('[role=tab][data-path="lib/mathutils.py"]').click();
    await page.keyboard.press("Control+a");
    await page.keyboard.type("def double(x):\n");
    await page.keyboard.press("Enter"); // Monaco indents the body
    await page.keyboard.type("return 2 * x\n");
    await page.keyboard.press("Control+s");
    await page.locator('[role=tab][data-path="lib/mathutils.py"][data-dirty=false]').waitFor();
    await page.getByRole("tab", { name: "Terminal" }).click();
    await waitForTerminal(page);
    assert.equal((await api.call("POST", `/workspaces/${ws}/stop`)).status, 200);
    await page.getByTestId("terminal-closed").filter({ hasText: "The workspace stopped" }).waitFor();
    await page.locator('[role=tab][data-path="app.py"]').click();
    await page.locator('[role=tab][data-path="app.py"][aria-selected=true]').waitFor();
    await page.keyboard.press("F5");
    await waitFor(async () => /^OK · exit 0/.test(await page.getByTestId("verdict").innerText()), {
      timeout: 60_000,
      what: "the run to succeed",
    });
    assert.match(await page.getByTestId("run-output").innerText(), /42/);
    await page.getByRole("tab", { name: "Terminal" }).click();
    await waitForTerminal(page);
    assert.equal(await page.getByTestId("terminal-closed").count(), 0);
    await waitFor(async () => (await page.getByTestId("status-pod").innerText()) === "Pod: running", { what: "the pod state" });
    await runInTerminal(page, "echo back-$((20+22))", "back-42");
  });

  assert.deepEqual(page.problems, []);
});
