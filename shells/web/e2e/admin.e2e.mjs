// The admin console against the real server (issue 20, docs/admin.md): an admin (made with the
// real CLI) disables a user whose terminal is open in another browser context — that person's
// terminal closes and their page goes back to the login —, stops their workspace, and filters
// the audit log to the disable and exports it as CSV. A non-admin sees no Admin link and no
// console. org20: the periodic re-check of terminal logins is an hour here, so only the
// logins-ended event (docs/admin.md) can close the terminal within the few seconds allowed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, logIn, openWorkspace, runInTerminal, signUp, waitForTerminal } from "./lib/steps.mjs";

const CLI_BIN = process.env.CODEYARD_CLI_BIN ?? "";

let server;
let browser;

before(async () => {
  if (!CLI_BIN) throw new Error("CODEYARD_CLI_BIN must be set (run through ctest)");
  server = await CodeyardServer.start("admin", { settings: ["terminal.reauth_interval_s=3600"] });
  execFileSync(CLI_BIN, ["user", "add", "root", "--role", "admin", "--password-stdin", "--data", server.dataDir], {
    input: PASSWORD + "\n",
    stdio: ["pipe", "pipe", "pipe"],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test("the admin console", async (t) => {
  const user = await newPage(browser);
  const admin = await newPage(browser);

  await t.test("a person works in a terminal and sees no admin console", async () => {
    await signUp(user, server.url, "dana");
    await createWorkspace(user, "dana lab");
    assert.equal(await user.getByRole("link", { name: "Admin" }).count(), 0);
    await openWorkspace(user, "dana lab");
    await waitForTerminal(user);
    await runInTerminal(user, "echo before-$((40+2))", "before-42");
  });

  await t.test("an admin disables them: their terminal closes and their session ends", async () => {
    await logIn(admin, server.url, "root");
    await admin.getByRole("link", { name: "Admin" }).click();
    await admin.getByRole("tab", { name: "Users" }).waitFor();
    await admin.getByLabel("Search users").fill("dan");
    const row = admin.locator('tr[data-user="dana"]');
    await row.waitFor();
    // The unfiltered list may show first; the search's answer leaves dana alone.
    await waitFor(async () => (await admin.locator("tr[data-user]").count()) === 1, { what: "the search's one row" });
    await row.getByRole("button", { name: "Disable dana" }).click();
    await row.getByRole("cell", { name: "disabled", exact: true }).waitFor();
    await user.getByRole("heading", { name: "Log in" }).waitFor({ timeout: 10_000 });
    await screenshot(admin, "admin-users");
  });

  await t.test("the admin stops the workspace", async () => {
    const tab = admin.getByRole("tab", { name: "Users" });
    await tab.focus();
    await admin.keyboard.press("ArrowRight"); // the tabs follow the arrow keys
    assert.equal(await admin.getByRole("tab", { name: "Workspaces" }).getAttribute("aria-selected"), "true");
    await admin.getByLabel("State").selectOption("running");
    const stop = admin.getByRole("button", { name: "Stop dana lab" });
    await stop.waitFor();
    await stop.click();
    await waitFor(async () => (await admin.getByRole("button", { name: "Stop dana lab" }).count()) === 0, {
      what: "the workspace gone from the running list",
    });
    await admin.getByLabel("State").selectOption("stopped");
    await admin.getByRole("button", { name: "Stop dana lab" }).waitFor();
    assert.ok(await admin.getByRole("button", { name: "Stop dana lab" }).isDisabled());
  });

  await t.test("the audit log filters to the disable and exports it", async () => {
    await admin.getByRole("tab", { name: "Audit log" }).click();
    await admin.getByLabel("Action").fill("user.disable");
    await admin.getByRole("button", { name: "Filter" }).click();
    await waitFor(async () => (await admin.locator("tr[data-action]").count()) === 1, { what: "one audit row" });
    assert.equal(await admin.locator("tr[data-action]").getAttribute("data-action"), "user.disable");
    const [download] = await Promise.all([admin.waitForEvent("download"), admin.getByRole("button", { name: "Export CSV" }).click()]);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\r\n");
    assert.equal(csv[0], "id,ts,actor_id,action,target,source,request_id,detail");
    assert.equal(csv.length, 2);
    assert.match(csv[1], /user\.disable/);
    await screenshot(admin, "admin-audit");
  });

  assert.deepEqual(admin.problems, []);
});
