// Search across files (Ctrl+Shift+F) and go to file (Ctrl+P) in the IDE, against the real
// server: the panel's "Search" box finds a word in another file (served by the library's
// search route, never by downloading every file) and a click jumps to its line; Ctrl+P opens a
// file by a fuzzy name. Then closing several tabs leaves no page error (Monaco's "Canceled"),
// the IDE is usable at 800x600, and at phone width the list works and the IDE asks for a wider
// screen.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, openWorkspace, signUp, treeRow } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("search");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

/**
 * ide17: every control of the top bar and of the explorer's head is whole on screen, its label
 * on one line, none over another, and the workspace's name shows (at 800 px they spilled over
 * the links, the name squeezed to nothing and Download cut off by the explorer's edge).
 */
async function assertControlsWhole(page, width) {
  const name = await page.getByTestId("workspace-name").boundingBox();
  assert.ok(name && name.width > 20, `the workspace's name at ${width}px: ${JSON.stringify(name)}`);
  const controls = await page.evaluate(() =>
    [...document.querySelectorAll(".topbar button, .topbar a, .explorer-head button")].map((el) => {
      const r = el.getBoundingClientRect();
      const clip = el.closest(".ide-tree, .topbar").getBoundingClientRect();
      const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
      return { label: el.textContent.trim(), x: r.x, y: r.y, w: r.width, h: r.height, clipRight: clip.right, oneLine: r.height < 2 * lineHeight };
    }),
  );
  for (const c of controls) {
    assert.ok(c.w > 0 && c.x >= 0 && c.x + c.w <= Math.min(width, c.clipRight) + 0.5, `${c.label} whole at ${width}px: ${JSON.stringify(c)}`);
    assert.ok(c.oneLine, `${c.label} on one line at ${width}px: ${JSON.stringify(c)}`);
  }
  for (const a of controls) {
    for (const b of controls) {
      const apart = a === b || a.x + a.w <= b.x + 0.5 || b.x + b.w <= a.x + 0.5 || a.y + a.h <= b.y + 0.5 || b.y + b.h <= a.y + 0.5;
      assert.ok(apart, `${a.label} overlaps ${b.label} at ${width}px`);
    }
  }
}

test("search and go to file", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";
  const reads = [];
  page.on("request", (r) => {
    if (/\/files\//.test(r.url()) && r.method() === "GET") reads.push(r.url());
  });

  await t.test("files written elsewhere are in the explorer", async () => {
    await signUp(page, server.url, "grace");
    ws = await createWorkspace(page, "findme");
    await api.login("grace", PASSWORD);
    await api.put(ws, "main.py", "from helpers import shout\n\nprint(shout('hi'))\n");
    const body = Array.from({ length: 30 }, (_, i) => `# filler line ${i + 1}`).join("\n");
    await api.put(ws, "lib/helpers.py", `${body}\ndef shout(text):\n    return text.upper() + '!'  # zebra\n`);
    for (let i = 0; i < 5; i++) await api.put(ws, `notes/n${i}.txt`, `note ${i}\n`);
    await openWorkspace(page, "findme");
    await treeRow(page, "main.py").waitFor();
  });

  await t.test("Ctrl+Shift+F finds a word in another file and a click jumps to its line", async () => {
    await page.keyboard.press("Control+Shift+F");
    const box = page.getByRole("textbox", { name: "Search" });
    await box.waitFor();
    assert.equal(await box.evaluate((el) => el === document.activeElement), true);
    await box.fill("zebra");
    const hit = page.locator('.search-hit[data-path="lib/helpers.py"][data-line="32"]');
    await hit.waitFor();
    assert.equal(await page.locator(".search-hit").count(), 1);
    await screenshot(page, "search-results");
    assert.equal(reads.length, 0, `the search downloaded files: ${reads.join(", ")}`);
    await hit.click();
    await page.locator('[role=tab][data-path="lib/helpers.py"][aria-selected=true]').waitFor();
    await waitFor(
      async () =>
        page.evaluate(() => {
          const line = document.querySelector("[data-testid=editor] .current-line");
          const number = document.querySelector("[data-testid=editor] .active-line-number");
          return number?.textContent?.trim() === "32" && !!line;
        }),
      { what: "the cursor on line 32" },
    );
  });

  await t.test("matches in several files are grouped by file", async () => {
    await page.keyboard.press("Control+Shift+F");
    await page.getByRole("textbox", { name: "Search" }).fill("note");
    const groups = page.getByRole("list", { name: "Search results" }).locator(".search-file");
    await waitFor(async () => (await groups.count()) === 5, { what: "five files" });
    const names = (await groups.allInnerTexts()).map((t) => t.trim()).sort();
    assert.deepEqual(names, [0, 1, 2, 3, 4].map((i) => `notes/n${i}.txt (1)`));
    assert.equal(await page.locator(".search-hit").count(), 5);
  });

  await t.test("Escape closes the panel", async () => {
    await page.keyboard.press("Control+Shift+F");
    await page.getByRole("textbox", { name: "Search" }).press("Escape");
    await waitFor(async () => (await page.getByRole("region", { name: "Search" }).count()) === 0, { what: "the panel to close" });
  });

  await t.test("Ctrl+P opens a file by a fuzzy name", async () => {
    await page.keyboard.press("Control+p");
    const dialog = page.getByRole("dialog", { name: "Go to file" });
    await dialog.waitFor();
    await page.keyboard.type("mnpy");
    await dialog.locator('[role=option][aria-selected=true]').filter({ hasText: "main.py" }).waitFor();
    await page.keyboard.press("Enter");
    await page.locator('[role=tab][data-path="main.py"][aria-selected=true]').waitFor();
    assert.equal(await dialog.count(), 0);
  });

  await t.test("closing several tabs leaves no page error", async () => {
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Control+p");
      await page.getByRole("dialog", { name: "Go to file" }).waitFor();
      await page.keyboard.type(`notes/n${i}`);
      await page.keyboard.press("Enter");
      await page.locator(`[role=tab][data-path="notes/n${i}.txt"][aria-selected=true]`).waitFor();
      await page.locator("[data-testid=editor] .view-lines").click();
    }
    for (let round = 0; round < 7; round++) {
      const tab = page.locator("[role=tab][aria-selected=true][data-path]");
      if ((await tab.count()) === 0) break;
      await tab.locator(".tab-close").click();
    }
    // What is checked is an absence (no late `Canceled` rejection), which no condition can
    // announce: Monaco's pending work gets a short window to fail in.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.deepEqual(page.problems, []);
  });

  await t.test("usable at 1280x800 and at 800x600", async () => {
    // The narrowest width with the top bar on one row (below 1280 px it takes two).
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole("button", { name: /Run/ }).waitFor();
    await assertControlsWhole(page, 1280);
    await page.setViewportSize({ width: 800, height: 600 });
    await page.getByRole("button", { name: /Run/ }).waitFor();
    for (const name of ["Workspace files", "Panels"]) {
      const box = await page.getByRole(name === "Panels" ? "tablist" : "tree", { name }).boundingBox();
      assert.ok(box && box.width > 0 && box.x + box.width <= 800 && box.y + box.height <= 600, `${name}: ${JSON.stringify(box)}`);
    }
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 800), true);
    await assertControlsWhole(page, 800);
    // The way out of the terminal and the editor is still said, whole.
    const hint = page.getByTestId("focus-hint");
    assert.match(await hint.innerText(), /Esc\s*then\s*Tab\s*leaves the terminal or editor/);
    assert.equal(await hint.evaluate((el) => el.getBoundingClientRect().width > 0 && el.scrollWidth <= el.clientWidth), true, "the hint is whole");
    await screenshot(page, "ide-800x600");
  });

  await t.test("at phone width the IDE asks for a wider screen and the list works", async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByText("The IDE needs a wider screen").waitFor();
    assert.equal(await page.getByRole("tree", { name: "Workspace files" }).isVisible(), false);
    await screenshot(page, "ide-phone");
    await page.goto(server.url + "/");
    const row = page.locator('tr[data-workspace="findme"]');
    await row.waitFor();
    assert.ok(await row.getByRole("button", { name: "Open" }).isVisible());
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 390), true, "no sideways scrolling");
    await screenshot(page, "workspaces-phone");
    assert.deepEqual(page.problems, []);
  });
});
