// Changes pushed, not polled: with the IDE open, a file written through the API (another tab,
// a script) and one made by a command in the terminal appear in the explorer, and an open
// file takes its new content, while the page's requests for the tree stay at what the page
// loaded itself: no polling while the events channel (/api/v1/events) is connected.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, openWorkspace, runInTerminal, signUp, treeRow, waitForTerminal } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("events");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test("the explorer follows pushed changes without polling the tree", async (t) => {
  const page = await newPage(browser);
  const tree = { asked: 0, answered: 0 };
  const isTree = (url) => /\/api\/v1\/workspaces\/[^/]+\/tree(\?|$)/.test(url);
  page.on("request", (r) => isTree(r.url()) && (tree.asked += 1));
  page.on("requestfinished", (r) => isTree(r.url()) && (tree.answered += 1));
  page.on("requestfailed", (r) => isTree(r.url()) && (tree.answered += 1));
  let ready = false;
  page.on("websocket", (ws) => {
    if (!ws.url().endsWith("/api/v1/events")) return;
    ws.on("framereceived", (f) => {
      if (typeof f.payload === "string" && f.payload.includes('"type":"ready"')) ready = true;
    });
  });

  await signUp(page, server.url, "grace");
  const ws = await createWorkspace(page, "pushed");
  await openWorkspace(page, "pushed");
  await waitFor(async () => ready, { what: "the events channel" });
  await waitFor(async () => tree.asked > 0 && tree.answered === tree.asked, { what: "the page's own tree loads" });
  const loaded = tree.asked;
  const api = new Api(server.url);
  await api.login("grace", PASSWORD);

  await t.test("a file written through the API appears", async () => {
    await api.put(ws, "from-api.txt", "one\n");
    // The fallback poll is 10 s, and off while connected: 5 s is pushed, not polled.
    await treeRow(page, "from-api.txt").waitFor({ timeout: 5000 });
  });

  await t.test("an open file takes the new content", async () => {
    await treeRow(page, "from-api.txt").click();
    await page.locator('[role=tab][data-path="from-api.txt"][aria-selected=true]').waitFor();
    const { version } = await api.file(ws, "from-api.txt");
    await api.put(ws, "from-api.txt", "two pushed\n", version);
    await page.locator(".monaco-editor .view-lines").filter({ hasText: "two pushed" }).waitFor({ timeout: 5000 });
  });

  await t.test("a file made in the terminal appears", async () => {
    await waitForTerminal(page);
    await runInTerminal(page, "echo made > from-shell.txt; echo done-$((6*7))", "done-42");
    await treeRow(page, "from-shell.txt").waitFor({ timeout: 10_000 });
  });

  await t.test("a deleted file leaves the tree", async () => {
    const res = await api.call("DELETE", `/workspaces/${ws}/files/from-shell.txt`);
    assert.ok(res.ok, `delete: ${res.status}`);
    await treeRow(page, "from-shell.txt").waitFor({ state: "detached", timeout: 5000 });
  });

  await screenshot(page, "events-pushed-tree");
  assert.equal(tree.asked, loaded, "no tree request after the page's own loads");

  await t.test("deleting the workspace elsewhere tells the open page", async () => {
    const res = await api.call("DELETE", `/workspaces/${ws}`);
    assert.ok(res.ok, `delete: ${res.status}`);
    await page.getByText("This workspace was deleted.").waitFor({ timeout: 5000 });
  });
  assert.deepEqual(page.problems, []);
});
