// The server restarts under an open IDE: the page says it lost the connection (and the
// terminal that it is reconnecting), keeps the person's unsaved edits, and recovers by itself
// when the server is back (same session, the save goes through, the terminal reconnects).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import {
  PASSWORD,
  createWorkspace,
  newFile,
  openWorkspace,
  runInTerminal,
  saveWithKeyboard,
  signUp,
  typeInEditor,
  waitForTerminal,
} from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("restart");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test("the UI recovers from a server restart", async (t) => {
  const page = await newPage(browser);
  let ws = "";

  await t.test("an open IDE with a saved file", async () => {
    await signUp(page, server.url, "barbara");
    ws = await createWorkspace(page, "resilient");
    await openWorkspace(page, "resilient");
    await newFile(page, "app.js");
    await typeInEditor(page, "console.log('before');\n");
    await saveWithKeyboard(page);
    await waitForTerminal(page);
  });

  await t.test("the server goes away: the page says so and keeps the edits", async () => {
    await server.stop();
    await page.getByTestId("offline-banner").waitFor();
    await page.getByTestId("terminal-banner").waitFor();
    assert.equal(await page.getByTestId("status-connection").innerText(), "Server: offline");
    await typeInEditor(page, "console.log('during');\n");
    await page.keyboard.press("Control+s");
    await waitFor(async () => (await page.getByTestId("status-save").innerText()) === "Save failed", { what: "the failed save" });
    await page.getByTestId("message").filter({ hasText: "Cannot save app.js" }).waitFor();
    await screenshot(page, "server-down");
  });

  await t.test("the server comes back: the page recovers without a reload", async () => {
    await server.launch();
    await page.getByTestId("offline-banner").waitFor({ state: "detached", timeout: 30_000 });
    assert.equal(await page.getByTestId("status-connection").innerText(), "Server: online");
    await page.keyboard.press("Control+s");
    await waitFor(async () => (await page.getByTestId("status-save").innerText()) === "All saved", { what: "the save" });
    const api = new Api(server.url);
    await api.login("barbara", PASSWORD);
    assert.equal((await api.file(ws, "app.js")).text, "console.log('before');\nconsole.log('during');\n");
    assert.equal(new URL(page.url()).pathname, `/w/${ws}`); // still signed in, same page
  });

  await t.test("the terminal reconnects by itself", async () => {
    await waitForTerminal(page);
    await page.getByTestId("terminal-banner").waitFor({ state: "detached" });
    await runInTerminal(page, "cat app.js | wc -l && echo back-$((2+3))", "back-5");
  });

  await t.test("and F5 runs again", async () => {
    await page.keyboard.press("F5");
    await page.getByTestId("verdict").waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId("run-output").innerText(), /before\s+during/);
  });

  assert.deepEqual(page.problems, []);
});
