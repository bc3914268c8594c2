// Code review end to end, two people in two browser contexts against the real server: the
// author submits a workspace for review from the IDE; the reviewer (who set their own level on
// the Reviews page) finds it in the queue, claims it, comments on line 3 from the editor and
// requests changes; the author's page learns of it live (the bell and the review's status,
// with no reload), the author edits line 3 in the IDE and resubmits; the reviewer's page follows
// live, shows the diff between the revisions and the comment as outdated, and approves; both
// see the whole history. Every wait is on a condition; "live" waits are far below the bell's
// 30 s fallback poll, which is off while the events channel is connected.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, openWorkspace, saveWithKeyboard, signUp, treeRow } from "./lib/steps.mjs";

const LIVE = 10_000;
let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("reviews");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

async function status(page) {
  return page.getByTestId("review-status").innerText();
}

async function waitStatus(page, text, timeout = LIVE) {
  await waitFor(async () => (await status(page)) === text, { timeout, what: `status ${text}` });
}

async function bellCount(page) {
  const badge = page.getByTestId("bell-count");
  return (await badge.count()) === 0 ? 0 : Number(await badge.innerText());
}

/** The bell's list, opened, as text; closed again with Escape. */
async function bellText(page) {
  await page.getByTestId("bell").click();
  const panel = page.getByRole("dialog", { name: "Notifications" });
  await panel.waitFor();
  const text = await panel.innerText();
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
  return text;
}

async function historyActions(page) {
  await page.getByRole("tab", { name: "History" }).click();
  await page.getByTestId("history").waitFor();
  return page.locator("[data-testid=history] li").evaluateAll((lis) => lis.map((li) => li.dataset.action));
}

test("submit, claim, comment on a line, request changes, resubmit, approve", async (t) => {
  const author = await newPage(browser);
  const reviewer = await newPage(browser);
  const title = "Sum the numbers";

  await signUp(author, server.url, "ada");
  await signUp(reviewer, server.url, "bert");

  // The reviewer makes themself a level 2 reviewer (self-service).
  await reviewer.getByRole("link", { name: "Reviews" }).click();
  await waitFor(async () => (await reviewer.getByTestId("my-level").innerText()) === "Now: 0", { what: "level 0" });
  await reviewer.getByLabel("Reviewer level", { exact: true }).selectOption("2");
  await reviewer.getByRole("button", { name: "Save level" }).click();
  await waitFor(async () => (await reviewer.getByTestId("my-level").innerText()) === "Now: 2", { what: "level 2" });

  // The author's workspace, with a file written behind the UI, opened in the IDE.
  const wsId = await createWorkspace(author, "summer");
  const api = new Api(server.url);
  await api.login("ada", PASSWORD);
  await api.put(wsId, "main.py", "a = 1\nb = 2\nc = 3\nprint(a + b + c)\n");
  await openWorkspace(author, "summer");
  await treeRow(author, "main.py").waitFor();

  await t.test("the author submits from the IDE", async () => {
    await author.getByRole("button", { name: "Submit for review" }).click();
    const dialog = author.getByRole("dialog", { name: "Submit for review" });
    await dialog.getByLabel("Title").fill(title);
    await dialog.getByLabel("Description").fill("Adds the three numbers.");
    await dialog.getByLabel("Priority").selectOption("high");
    await dialog.getByLabel("Required reviewer level").selectOption("2");
    await dialog.getByRole("button", { name: "Submit" }).click();
    const created = author.getByTestId("created-review");
    await created.waitFor();
    assert.match(await created.innerText(), /pending as revision 1, priority high, for reviewers of level 2/);
    await screenshot(author, "reviews-1-submitted");
    await author.getByRole("link", { name: "Open the review" }).click();
    await waitStatus(author, "Pending");
  });
  const reviewUrl = author.url();

  await t.test("the reviewer sees it in the queue, live, and claims it", async () => {
    await waitFor(async () => (await bellCount(reviewer)) >= 1, { timeout: LIVE, what: "the reviewer's bell" });
    const row = reviewer.getByRole("table", { name: "My queue" }).locator(`tr[data-review="${title}"]`);
    await row.waitFor({ timeout: LIVE });
    assert.match(await row.innerText(), /high/);
    await screenshot(reviewer, "reviews-2-queue");
    await row.getByRole("button", { name: `Claim ${title}` }).click();
    await waitStatus(reviewer, "In review");
    assert.equal(reviewer.url(), reviewUrl);
    await waitStatus(author, "In review"); // pushed to the author's open page
  });

  await t.test("the reviewer comments on line 3 from the editor", async () => {
    const code = reviewer.getByTestId("review-code");
    await code.locator(".view-lines").filter({ hasText: "c = 3" }).waitFor();
    await code.locator(".line-numbers").filter({ hasText: /^3$/ }).click();
    await waitFor(async () => (await reviewer.getByLabel("Start line").inputValue()) === "3", { what: "line 3 selected" });
    assert.equal(await reviewer.getByLabel("End line").inputValue(), "3");
    await reviewer.keyboard.press("Alt+c"); // the editor's "comment on the selected lines"
    const box = reviewer.getByLabel(/^Comment on main\.py, lines 3–3/);
    await waitFor(async () => box.evaluate((el) => el === document.activeElement), { what: "the comment box focused" });
    await reviewer.keyboard.type("Why is c a constant?");
    await reviewer.getByRole("button", { name: "Add comment" }).first().click();
    const thread = reviewer.locator('[data-testid=thread][data-line="3"]');
    await thread.waitFor();
    assert.match(await thread.innerText(), /line 3[\s\S]*Why is c a constant\?/);
    await code.locator(".comment-line").first().waitFor(); // marked in the editor
    const inline = code.locator('.inline-thread[data-line="3"]'); // and shown under its line
    await inline.filter({ hasText: "Why is c a constant?" }).waitFor();
  });

  await t.test("the reviewer requests changes; the author's page learns it live", async () => {
    const before = await bellCount(author);
    await reviewer.getByRole("button", { name: "Request changes" }).click();
    const dialog = reviewer.getByRole("dialog", { name: "Request changes" });
    // The dialog keeps the focus: Tab and Shift+Tab go round its fields and buttons.
    const inside = () => dialog.evaluate((d) => d.contains(document.activeElement));
    for (const key of ["Tab", "Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]) {
      await reviewer.keyboard.press(key);
      assert.ok(await inside(), `focus left the dialog after ${key}`);
    }
    await dialog.getByRole("button", { name: "Request changes" }).click();
    await dialog.getByRole("alert").filter({ hasText: "needs a message" }).waitFor(); // a message is required
    await dialog.getByLabel(/Message/).fill("Compute c from a and b.");
    await dialog.getByRole("button", { name: "Request changes" }).click();
    await waitStatus(reviewer, "Changes requested");
    await screenshot(reviewer, "reviews-3-changes-requested");

    await waitStatus(author, "Changes requested");
    await waitFor(async () => (await bellCount(author)) > before, { timeout: LIVE, what: "the author's bell" });
    assert.match(await bellText(author), /bert decided “Sum the numbers”: Changes requested|decided “Sum the numbers”: Changes requested/);
    assert.match(await author.getByTestId("decision-message").innerText(), /Compute c from a and b\./);
    await author.locator('[data-testid=thread][data-line="3"]').waitFor();
    await screenshot(author, "reviews-4-author-notified");
    // Mark all read empties the count.
    await author.getByTestId("bell").click();
    await author.getByRole("dialog", { name: "Notifications" }).getByRole("button", { name: "Mark all read" }).click();
    await author.getByTestId("bell-count").waitFor({ state: "detached" });
    await author.keyboard.press("Escape");
    assert.ok(await author.getByTestId("bell").evaluate((b) => b === document.activeElement), "focus back on the bell");
  });

  await t.test("the author edits line 3 in the IDE and resubmits", async () => {
    await author.getByRole("button", { name: "Open workspace" }).click();
    await treeRow(author, "main.py").click();
    await author.locator('[role=tab][data-path="main.py"][aria-selected=true]').waitFor();
    const lines = author.locator("[data-testid=editor] .view-lines");
    await lines.filter({ hasText: "c = 3" }).waitFor();
    await lines.click();
    await author.keyboard.press("Control+Home");
    await author.keyboard.press("ArrowDown");
    await author.keyboard.press("ArrowDown");
    await author.keyboard.press("End");
    await author.keyboard.type(" + a");
    await saveWithKeyboard(author);
    assert.equal((await api.file(wsId, "main.py")).text, "a = 1\nb = 2\nc = 3 + a\nprint(a + b + c)\n");
    await author.goBack();
    await waitStatus(author, "Changes requested");
    const thread = author.locator('[data-testid=thread][data-line="3"]');
    await thread.getByLabel("Reply").fill("Now computed from a.");
    await thread.getByRole("button", { name: "Reply" }).click();
    await thread.filter({ hasText: "Now computed from a." }).waitFor();
    await author.getByRole("button", { name: "Resubmit" }).click();
    await waitStatus(author, "In review");
    assert.equal(await author.getByTestId("review-revision").innerText(), "2");
  });

  await t.test("the reviewer sees the diff and the outdated comment, and approves", async () => {
    await waitStatus(reviewer, "In review");
    await waitFor(async () => (await reviewer.getByTestId("review-revision").innerText()) === "2", { timeout: LIVE, what: "revision 2" });
    await reviewer.locator('[data-testid=thread][data-line="3"] .badge.outdated').waitFor({ timeout: LIVE });
    await reviewer.locator('[data-testid=review-code] .inline-thread[data-line="3"]').filter({ hasText: "outdated" }).waitFor();
    const thread = reviewer.locator('[data-testid=thread][data-line="3"]');
    assert.match(await thread.innerText(), /Why is c a constant\?[\s\S]*ada[\s\S]*Now computed from a\./);
    await thread.getByRole("button", { name: "Resolve" }).click();
    await thread.locator(".resolved-badge").waitFor();
    await thread.getByRole("button", { name: "Unresolve" }).waitFor();
    await reviewer.getByRole("tab", { name: "Changes" }).click();
    const file = reviewer.locator('.diff-file[data-path="main.py"]');
    await file.waitFor();
    assert.match(await file.locator(".diff-removed").innerText(), /c = 3$/m);
    assert.match(await file.locator(".diff-added").innerText(), /c = 3 \+ a/);
    await screenshot(reviewer, "reviews-5-diff");
    await reviewer.getByRole("button", { name: "Approve" }).click();
    const dialog = reviewer.getByRole("dialog", { name: "Approve" });
    await dialog.getByLabel(/Message/).fill("Thanks.");
    await dialog.getByRole("button", { name: "Approve" }).click();
    await waitStatus(reviewer, "Approved");
    await waitStatus(author, "Approved");
  });

  await t.test("both see the history", async () => {
    const expected = ["created", "claimed", "commented", "decided", "commented", "resubmitted", "resolved", "decided"];
    for (const page of [author, reviewer]) {
      assert.deepEqual(await historyActions(page), expected);
      const text = await page.getByTestId("history").innerText();
      assert.match(text, /Compute c from a and b\./);
      assert.match(text, /Changes requested → In review/);
    }
    await screenshot(author, "reviews-6-history-author");
    await screenshot(reviewer, "reviews-6-history-reviewer");
  });

  assert.deepEqual(author.problems, []);
  assert.deepEqual(reviewer.problems, []);
});
