// The explorer and the workspace list, by mouse and by keyboard: folders, files, rename (F2),
// move (dialog and drag and drop), delete with confirmation, tabs following renames, icons by
// type, readable errors; workspaces renamed and deleted.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, newFile, openWorkspace, signUp, treeRow } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("explorer");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

async function treePaths(page) {
  return page.locator("[role=treeitem]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-path")));
}

test("explorer and workspace list", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";

  await t.test("folders and files, with icons by type", async () => {
    await signUp(page, server.url, "margaret");
    ws = await createWorkspace(page, "tree work");
    await openWorkspace(page, "tree work");
    await page.getByRole("button", { name: "New folder" }).click();
    await page.getByRole("dialog").getByLabel("Folder name").fill("src");
    await page.keyboard.press("Enter");
    await treeRow(page, "src").waitFor();
    await treeRow(page, "src").click(); // selects it (and opens it): new items go inside
    await newFile(page, "util.py", "src");
    assert.equal(await treeRow(page, "src/util.py").locator(".file-icon").innerText(), "py");
    await page.locator('[role=tab][data-path="src/util.py"][aria-selected=true]').waitFor();
  });

  await t.test("a name that exists is refused with a message", async () => {
    await treeRow(page, "src/util.py").click();
    await page.getByRole("button", { name: "New file" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("File name").fill("util.py");
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.getByRole("alert").filter({ hasText: "already exists" }).waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  await t.test("rename with F2; the open tab follows", async () => {
    await treeRow(page, "src/util.py").focus();
    await page.keyboard.press("F2");
    const input = page.getByRole("dialog").getByLabel("New name");
    await input.fill("helpers.py");
    await page.keyboard.press("Enter");
    await treeRow(page, "src/helpers.py").waitFor();
    await page.locator('[role=tab][data-path="src/helpers.py"]').waitFor();
    assert.equal(await page.locator('[role=tab][data-path="src/util.py"]').count(), 0);
  });

  await t.test("move with the dialog", async () => {
    await treeRow(page, "src/helpers.py").hover();
    await treeRow(page, "src/helpers.py").getByRole("button", { name: "Move helpers.py" }).click();
    const input = page.getByRole("dialog").getByLabel("To folder (empty for the top level)");
    await input.fill("");
    await page.keyboard.press("Enter");
    await treeRow(page, "helpers.py").waitFor();
    await page.locator('[role=tab][data-path="helpers.py"]').waitFor();
  });

  await t.test("move by drag and drop onto a folder", async () => {
    await treeRow(page, "helpers.py").dragTo(treeRow(page, "src"));
    await treeRow(page, "src/helpers.py").waitFor();
    await api.login("margaret", PASSWORD);
    assert.equal((await api.file(ws, "src/helpers.py")).status, 200);
  });

  await t.test("keyboard: arrows move, Enter opens", async () => {
    await api.put(ws, "zz.txt", "last file\n");
    await treeRow(page, "zz.txt").waitFor();
    await treeRow(page, "src").focus();
    await page.keyboard.press("End");
    await waitFor(() => treeRow(page, "zz.txt").evaluate((el) => el === document.activeElement), { what: "focus on the last row" });
    await page.keyboard.press("ArrowUp");
    await waitFor(() => treeRow(page, "src/helpers.py").evaluate((el) => el === document.activeElement), { what: "focus moving up" });
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.locator('[role=tab][data-path="zz.txt"][aria-selected=true]').waitFor();
    assert.equal(await treeRow(page, "zz.txt").getAttribute("aria-selected"), "true");
    await screenshot(page, "explorer");
  });

  await t.test("delete a folder after confirming; its tabs close", async () => {
    await treeRow(page, "src").focus();
    await page.keyboard.press("Delete");
    const dialog = page.getByRole("dialog", { name: "Delete folder" });
    await dialog.getByText("and everything in it").waitFor();
    await screenshot(page, "explorer-delete-confirm");
    await dialog.getByRole("button", { name: "Delete" }).click();
    await treeRow(page, "src").waitFor({ state: "detached" });
    await waitFor(async () => (await page.locator('[role=tab][data-path="src/helpers.py"]').count()) === 0, { what: "the tab to close" });
    assert.deepEqual(await treePaths(page), ["zz.txt"]);
  });

  await t.test("the top level stays reachable once a folder is selected", async () => {
    const tree = page.getByRole("tree", { name: "Workspace files" });
    /** Opens the New file dialog, checks where it would create, and closes it. */
    const newFileGoes = async (title) => {
      await page.getByRole("button", { name: "New file" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      const name = await dialog.getByRole("heading").innerText();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      assert.equal(name, title);
    };
    await page.getByRole("button", { name: "New folder" }).click();
    await page.getByRole("dialog").getByLabel("Folder name").fill("lib");
    await page.keyboard.press("Enter");
    await treeRow(page, "lib").click();
    await newFile(page, "mathutils.py", "lib");
    await newFileGoes("New file in lib/");
    // A click on the tree's empty space selects the root.
    const box = await tree.boundingBox();
    await tree.click({ position: { x: box.width / 2, y: box.height - 10 } });
    await newFileGoes("New file at the top level");
    await newFile(page, "main.py");
    // Escape in the tree selects the root too.
    await treeRow(page, "lib").click();
    await newFileGoes("New file in lib/");
    await treeRow(page, "lib").focus();
    await page.keyboard.press("Escape");
    await newFileGoes("New file at the top level");
    // The dialog offers the top level whatever is selected.
    await treeRow(page, "lib").click();
    await page.getByRole("button", { name: "New file" }).click();
    await page.getByRole("dialog", { name: "New file in lib/" }).waitFor();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Location").selectOption({ label: "top level (/)" });
    await page.getByRole("dialog", { name: "New file at the top level" }).waitFor();
    await dialog.getByLabel("File name").fill("other.py");
    await page.keyboard.press("Enter");
    await treeRow(page, "other.py").waitFor();
    assert.equal((await api.file(ws, "other.py")).status, 200);
  });

  await t.test("rename and delete workspaces from the list", async () => {
    await page.getByRole("link", { name: "Codeyard" }).click();
    await page.getByRole("button", { name: "Rename tree work" }).click();
    await page.getByRole("dialog").getByLabel("Name").fill("renamed work");
    await page.keyboard.press("Enter");
    await page.getByRole("link", { name: "renamed work" }).waitFor();
    await page.getByRole("button", { name: "Delete renamed work" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete workspace" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("link", { name: "renamed work" }).waitFor();
    await page.getByRole("button", { name: "Delete renamed work" }).click();
    await dialog.getByLabel(/Type the workspace's name/).fill("renamed work"); // it holds files
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("No workspaces yet").waitFor();
    assert.equal((await api.call("GET", `/workspaces/${ws}`)).status, 404);
  });

  assert.deepEqual(page.problems, []);
});
