// The organization page against the real server (issue 20, docs/organizations.md "The web
// page"): an owner makes an organization, adds a member and sets quotas, all in the pages;
// the member stores files and runs a command in the organization's workspace; the owner then sees the organization's usage for today, non-zero and equal to what
// GET /orgs/{id}/usage says, and exports it as CSV; the member sees the meter of the quota the
// owner set (warning from 80 %), on the page at 800×600 and in brief above the workspace list;
// someone who is no member gets the not-found view.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, signUp } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("orgs");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

async function register(username) {
  const api = new Api(server.url);
  const res = await api.call("POST", "/auth/register", { json: { username, password: PASSWORD } });
  api.token = (await ok(res)).access_token;
  return api;
}

async function ok(res) {
  assert.ok(res.ok, `${res.status} ${await res.clone().text()}`);
  return res.status === 204 ? null : res.json();
}

/** The seconds as the page writes them (orgs/logic.ts formatSeconds). */
const seconds = (n) => (n >= 100 ? String(Math.round(n)) : String(Number(n.toFixed(2))));

test("the organization page", async (t) => {
  const owner = await newPage(browser);
  const member = await newPage(browser, { width: 800, height: 600 });
  const outsider = await newPage(browser);
  let olga;
  let mia;

  await t.test("an owner makes an organization, adds a member and sets a quota in the page", async () => {
    await signUp(owner, server.url, "olga");
    olga = new Api(server.url);
    await olga.login("olga", PASSWORD);
    mia = await register("mia");

    await owner.getByRole("link", { name: "Organizations" }).click();
    const create = owner.getByRole("form", { name: "Create an organization" });
    await create.getByLabel("Name").fill("CS 101");
    await create.getByLabel("Slug").fill("cs101");
    await create.getByRole("button", { name: "Create organization" }).click();
    await owner.getByRole("heading", { name: "CS 101" }).waitFor();
    assert.equal(new URL(owner.url()).pathname, "/orgs/cs101");
    assert.match(await owner.getByTestId("org-role").innerText(), /your role: owner/);
    const add = owner.getByRole("form", { name: "Add a member" });
    await add.getByLabel("Username").fill("mia");
    await add.getByRole("button", { name: "Add member" }).click();
    await owner.locator('tr[data-member="mia"]').waitFor();
    // Nothing limited yet: every quota says so.
    assert.match(await owner.getByRole("region", { name: "Organization quotas" }).innerText(), /Running workspaces: 0 \(unlimited\)/);

    const edit = owner.getByRole("button", { name: "Edit quotas" });
    await edit.click();
    const dialog = owner.getByRole("dialog", { name: "Quotas of CS 101" });
    await dialog.getByLabel("Stored bytes (per member)").fill("1000");
    await dialog.getByLabel("Running workspaces (organization)").fill("5");
    await dialog.getByRole("button", { name: "Save quotas" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.ok(await edit.evaluate((el) => el === document.activeElement), "the focus is back on Edit quotas");
    const meter = owner.getByRole("meter", { name: "Running workspaces (organization)" });
    assert.equal(await meter.getAttribute("aria-valuetext"), "Running workspaces: 0 of 5");
    const org = await ok(await olga.call("GET", "/orgs/cs101"));
    assert.equal(org.quotas.member.max_stored_bytes, 1000);
  });

  await t.test("a member stores files and runs a command in the organization", async () => {
    const ws = await ok(await mia.call("POST", "/workspaces", { json: { name: "lab", org_id: "cs101" } }));
    await mia.put(ws.id, "notes.txt", "x".repeat(850));
    const run = await ok(
      await mia.call("POST", `/workspaces/${ws.id}/exec`, {
        json: { argv: ["sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done"] },
      }),
    );
    assert.equal(run.stdout.trim(), "done");
  });

  await t.test("the owner sees the organization's usage as the API says, and exports it", async () => {
    // The usage route takes the organization's id (not its slug: it answers 404 for one).
    const { id } = await ok(await olga.call("GET", "/orgs/cs101"));
    const report = await ok(await olga.call("GET", `/orgs/${id}/usage`));
    const today = report.to;
    const day = report.days.filter((d) => d.day === today);
    assert.equal(day.length, 1, JSON.stringify(report));
    assert.ok(day[0].runs >= 1 && day[0].cpu_seconds > 0, JSON.stringify(day[0]));

    await owner.reload();
    const row = owner.locator(`tr[data-day="${today}"]`);
    await row.waitFor();
    const cells = await row.getByRole("cell").allInnerTexts();
    assert.equal(cells[0], today);
    assert.equal(cells[1], seconds(day[0].cpu_seconds));
    assert.equal(cells[2], seconds(day[0].wall_seconds));
    assert.equal(cells[5], String(day[0].jobs));
    assert.equal(cells[6], String(day[0].runs));
    assert.notEqual(cells[1], "0");

    const [download] = await Promise.all([owner.waitForEvent("download"), owner.getByRole("button", { name: "Export CSV" }).click()]);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\r\n");
    assert.equal(csv[0], "day,org_id,user_id,cpu_seconds,wall_seconds,peak_memory_bytes,jobs,runs,stored_bytes");
    assert.equal(csv.length, 2);
    assert.ok(csv[1].startsWith(`${today},`));
    await screenshot(owner, "org-owner");
  });

  await t.test("the member sees the quota the owner set, before reaching it", async () => {
    await member.goto(`${server.url}/login`);
    await member.getByLabel("Username").fill("mia");
    await member.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await member.getByRole("button", { name: "Log in" }).click();
    // In brief above the workspace list, named after the organization.
    const brief = member.getByRole("meter", { name: "Stored bytes (CS 101)" });
    await brief.waitFor();
    assert.equal(await brief.getAttribute("aria-valuetext"), "Stored bytes: 850 B of 1000 B");
    await member.getByRole("region", { name: "Quotas" }).getByRole("link", { name: "CS 101" }).click();

    const mine = member.getByRole("meter", { name: "Stored bytes (mine)" });
    await mine.waitFor();
    assert.equal(await mine.getAttribute("aria-valuetext"), "Stored bytes: 850 B of 1000 B");
    assert.equal(await member.locator('[data-quota="max_stored_bytes"][data-level="warn"]').count(), 1);
    assert.match(await member.getByTestId("org-role").innerText(), /your role: member/);
    // A member may not edit quotas or members, and reads only their own usage.
    assert.equal(await member.getByRole("button", { name: "Edit quotas" }).count(), 0);
    assert.equal(await member.getByRole("form", { name: "Add a member" }).count(), 0);
    await member.getByRole("heading", { name: "My usage" }).waitFor();
    await member.locator("tr[data-day]").first().waitFor();
    // 800×600: nothing wider than the window.
    const wide = await member.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(wide, false, "the page fits 800 px");
    await screenshot(member, "org-member-800");
  });

  await t.test("someone who is no member gets the not-found view", async () => {
    await signUp(outsider, server.url, "nils");
    await outsider.goto(`${server.url}/orgs/cs101`);
    await outsider.getByText("There is no page at this address.").waitFor();
    assert.equal(await outsider.getByRole("heading", { name: "CS 101" }).count(), 0);
    await waitFor(async () => (await outsider.getByRole("meter").count()) === 0, { what: "no meter" });
  });

  for (const page of [owner, member, outsider]) assert.deepEqual(page.problems, []);
});
