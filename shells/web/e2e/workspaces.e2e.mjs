// The workspace list against the real server (issue 13, item 20): rows keep their order across
// the 5-second refresh, a name the person already uses is refused with a clear message, and the
// delete confirmation names the workspace beyond doubt, asks for its name when it holds files,
// and deletes the workspace that was clicked even when the list refreshed meanwhile.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, signUp } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("workspaces");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const rowIds = (page) => page.locator("tr[data-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
const loads = async (page) => Number(await page.locator("main.workspaces").getAttribute("data-loads"));

/** Waits until the list has been fetched and shown again by its periodic refresh. */
async function nextRefresh(page) {
  const seen = await loads(page);
  await waitFor(async () => (await loads(page)) > seen, { timeout: 15_000, what: "the list's refresh" });
}

test("the workspace list", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let older = "";
  let newer = "";

  await t.test("rows keep their order when the list refreshes", async () => {
    await signUp(page, server.url, "edsger");
    await api.login("edsger", PASSWORD);
    older = await createWorkspace(page, "Python basics");
    await api.put(older, "main.py", "print('the older one')\n");
    newer = await createWorkspace(page, "Python basics 2");
    assert.deepEqual(await rowIds(page), [older, newer]);
    await nextRefresh(page);
    assert.deepEqual(await rowIds(page), [older, newer]);
  });

  await t.test("a name already used is refused with a clear message", async () => {
    await page.getByLabel("New workspace name").fill("Python basics");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.getByRole("alert").filter({ hasText: "You already have a workspace named “Python basics”" }).waitFor();
    const list = await (await api.call("GET", "/workspaces")).json();
    assert.equal(list.items.length, 2);
  });

  await t.test("the confirmation names the workspace and deletes the one clicked, across a refresh", async () => {
    await page.locator(`tr[data-id="${older}"]`).getByRole("button", { name: /^Delete/ }).click();
    const dialog = page.getByRole("dialog", { name: "Delete workspace" });
    assert.equal(await dialog.getByTestId("delete-name").innerText(), "Python basics");
    const facts = dialog.getByTestId("delete-facts");
    await facts.getByText(older.replace(/-/g, "").slice(0, 8)).waitFor();
    await dialog.getByTestId("delete-contents").filter({ hasText: "It holds 1 file or folder." }).waitFor();
    await screenshot(page, "workspace-delete-confirm");
    const confirm = dialog.getByRole("button", { name: "Delete", exact: true });
    assert.equal(await confirm.isDisabled(), true);
    const name = dialog.getByLabel(/Type the workspace's name/);
    await name.fill("Python basics 2");
    assert.equal(await confirm.isDisabled(), true);
    await nextRefresh(page); // the list refreshes under the open dialog
    await name.fill("Python basics");
    await confirm.click();
    await dialog.waitFor({ state: "detached" });
    await waitFor(async () => (await rowIds(page)).length === 1, { what: "the row to go" });
    assert.deepEqual(await rowIds(page), [newer]);
    assert.equal((await api.call("GET", `/workspaces/${older}`)).status, 404);
    assert.equal((await api.call("GET", `/workspaces/${newer}`)).status, 200);
  });

  await t.test("an empty workspace is deleted without typing its name", async () => {
    await page.locator(`tr[data-id="${newer}"]`).getByRole("button", { name: /^Delete/ }).click();
    const dialog = page.getByRole("dialog", { name: "Delete workspace" });
    await dialog.getByTestId("delete-contents").filter({ hasText: "It is empty." }).waitFor();
    assert.equal(await dialog.getByLabel(/Type the workspace's name/).count(), 0);
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("No workspaces yet").waitFor();
    assert.equal((await api.call("GET", `/workspaces/${newer}`)).status, 404);
  });

  assert.deepEqual(page.problems, []);
});
