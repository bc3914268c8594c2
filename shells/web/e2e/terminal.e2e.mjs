// The terminal panel against the real server's terminal WebSocket: it follows its panel's
// size, survives switching panels, and when the shell exits (or the workspace is stopped) it
// says so, does not restart anything by itself, and starts again on request. (Running code, files from the shell, reloads and server restarts are in
// ide_flow and restart.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import {
  PASSWORD,
  createWorkspace,
  openWorkspace,
  runInTerminal,
  shellPid,
  signUp,
  sttySize,
  waitForTerminal,
} from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("terminal");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test("the terminal panel", async (t) => {
  const page = await newPage(browser);
  let ws = "";

  await t.test("it connects once the pod runs", async () => {
    await signUp(page, server.url, "dennis");
    ws = await createWorkspace(page, "shell work");
    await openWorkspace(page, "shell work");
    await waitForTerminal(page);
    assert.equal(await page.getByTestId("terminal-banner").count(), 0);
  });

  await t.test("it follows its panel's size", async () => {
    const before = await sttySize(page);
    assert.ok(before.rows > 5 && before.cols > 40, JSON.stringify(before));
    const splitter = page.getByRole("separator", { name: "Resize the terminal" });
    await splitter.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowUp"); // the panel grows by 100 px
    await waitFor(async () => (await sttySize(page)).rows > before.rows, { what: "more rows after the resize" });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await waitFor(async () => (await sttySize(page)).cols > before.cols, { what: "more columns in a wider window" });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await t.test("switching to Output and back keeps the shell", async () => {
    const pid = await shellPid(page);
    await page.getByRole("tab", { name: "Output" }).click();
    await page.getByRole("tab", { name: "Terminal" }).click();
    assert.equal(await shellPid(page), pid);
  });

  await t.test("when the shell exits the panel says so and starts a new one", async () => {
    const pid = await shellPid(page);
    await page.keyboard.type("exit 3");
    await page.keyboard.press("Enter");
    const closed = page.getByTestId("terminal-closed");
    await closed.filter({ hasText: "The shell exited (code 3)" }).waitFor();
    await screenshot(page, "terminal-exited");
    await closed.getByRole("button", { name: "Start a new shell" }).click();
    await waitForTerminal(page);
    const fresh = await shellPid(page);
    assert.notEqual(fresh, pid);
    await runInTerminal(page, "echo alive-$((1+1))", "alive-2");
  });

  await t.test("a workspace stopped elsewhere stays stopped until asked", async () => {
    const api = new Api(server.url);
    await api.login("dennis", PASSWORD);
    assert.equal((await api.call("POST", `/workspaces/${ws}/stop`)).status, 200);
    const closed = page.getByTestId("terminal-closed");
    await closed.filter({ hasText: "The workspace stopped" }).waitFor();
    await waitFor(async () => (await page.getByTestId("status-pod").innerText()) === "Pod: stopped", { what: "the pod state" });
    assert.equal((await (await api.call("GET", `/workspaces/${ws}`)).json()).state, "stopped");
    await closed.getByRole("button", { name: "Start it again" }).click();
    await waitForTerminal(page);
    await waitFor(async () => (await page.getByTestId("status-pod").innerText()) === "Pod: running", { what: "the pod to run" });
    await runInTerminal(page, "echo again-$((3+4))", "again-7");
  });

  assert.deepEqual(page.problems, []);
});
