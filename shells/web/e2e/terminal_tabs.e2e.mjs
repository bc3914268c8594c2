// Several terminals per workspace as tabs, each its own shell on the server: two terminals run
// different commands at once and keep them across a reload; one is renamed and one closed
// (its shell ends); Ctrl+V and Ctrl+Shift+V paste into the shell (not ^V), and Enter after
// them runs the line (not ^M). With terminal.max_per_workspace=2, the page offers two tabs and
// says why not a third.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { createWorkspace, openWorkspace, signUp, terminalText, waitForIde, waitForTerminal } from "./lib/steps.mjs";

let server;
let browser;

before(async () => {
  server = await CodeyardServer.start("terminal-tabs");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

const shellTab = (page, name) => page.getByRole("tablist", { name: "Terminals" }).getByRole("tab", { name });

async function typeLine(page, text) {
  await page.locator("[data-testid=terminal] .xterm").click();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

// Ctrl+V as the desktop sends it: on Linux the browser turns the key into its paste command
// (CDP-injected keys get no such binding, so the test names the command as Chrome would).
async function pasteKey(page, shift) {
  const cdp = await page.context().newCDPSession(page);
  const key = { key: shift ? "V" : "v", code: "KeyV", windowsVirtualKeyCode: 86, modifiers: shift ? 10 : 2 };
  await cdp.send("Input.dispatchKeyEvent", { type: "rawKeyDown", ...key, commands: ["paste"] });
  await cdp.send("Input.dispatchKeyEvent", { type: "keyUp", ...key });
  await cdp.detach();
}

async function seen(page, text) {
  await waitFor(async () => (await terminalText(page)).replace(/\u00a0/g, " ").includes(text), { what: `terminal output ${text}` });
}

test("terminal tabs", async (t) => {
  const page = await newPage(browser);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });

  await t.test("two terminals run different commands", async () => {
    await signUp(page, server.url, "ken");
    await createWorkspace(page, "tabs");
    await openWorkspace(page, "tabs");
    await waitForTerminal(page);
    await typeLine(page, "for i in 1 2 3 4 5 6 7 8 9; do echo one_$i; sleep 1; done &");
    await page.getByRole("button", { name: "New terminal" }).click();
    await shellTab(page, "Shell 2").and(page.locator("[aria-selected=true]")).waitFor();
    await waitFor(async () => (await page.locator("[data-testid=terminal] .xterm-rows").innerText()).includes("$"), { what: "the second prompt" });
    await typeLine(page, "echo two_$((20+2)) pid=$$");
    await seen(page, "two_22");
    assert.ok(!(await terminalText(page)).includes("one_"), "the second shell shows the first's output");
    await shellTab(page, "Shell 1").click();
    await seen(page, "one_3");
    assert.ok(!(await terminalText(page)).includes("two_22"));
    await screenshot(page, "terminal-tabs");
  });

  await t.test("arrow keys move between terminal tabs; F2 renames", async () => {
    await shellTab(page, "Shell 1").focus();
    await page.keyboard.press("ArrowRight");
    await shellTab(page, "Shell 2").and(page.locator("[aria-selected=true]")).waitFor();
    await page.keyboard.press("F2");
    const dialog = page.getByRole("dialog", { name: "Rename terminal" });
    await dialog.getByLabel("Name").fill("server");
    await dialog.getByRole("button", { name: "Rename" }).click();
    await shellTab(page, "server").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-terminal")), "2");
  });

  await t.test("a reload keeps the tabs over the same shells", async () => {
    await page.reload();
    await waitForIde(page, "tabs");
    await shellTab(page, "server").and(page.locator("[aria-selected=true]")).waitFor();
    await seen(page, "two_22");
  });

  await t.test("Ctrl+V and Ctrl+Shift+V paste", async () => {
    await page.locator("[data-testid=terminal] .xterm").click();
    await page.evaluate(() => navigator.clipboard.writeText("echo pasted_$((6*7))"));
    await pasteKey(page, false);
    await page.keyboard.press("Enter");
    await seen(page, "pasted_42");
    await page.evaluate(() => navigator.clipboard.writeText("echo shift_$((5+5))"));
    await pasteKey(page, true);
    await page.keyboard.press("Enter");
    await seen(page, "shift_10");
    const text = (await terminalText(page)).replace(/\u00a0/g, " ");
    assert.ok(!text.includes("^V") && !text.includes("^M"), text.slice(-400));
  });

  await t.test("closing a terminal ends its shell and selects the other", async () => {
    await shellTab(page, "server").getByRole("button", { name: "Close server" }).click();
    await waitFor(async () => (await shellTab(page, "server").count()) === 0, { what: "the tab to close" });
    await shellTab(page, "Shell 1").and(page.locator("[aria-selected=true]")).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-terminal")), "1");
    // Its number is free again once its shell has hung up (the hidden panel then goes away);
    // a new terminal before that gets the next number.
    await waitFor(async () => (await page.locator("[data-ending]").count()) === 0, { what: "the closed shell to hang up" });
    await page.getByRole("button", { name: "New terminal" }).click();
    await shellTab(page, "Shell 2").and(page.locator("[aria-selected=true]")).waitFor();
    await waitFor(async () => (await page.locator("[data-testid=terminal] .xterm-rows").innerText()).includes("$"), { what: "a fresh prompt" });
    assert.ok(!(await terminalText(page)).includes("two_22"), "a closed terminal's shell came back");
    assert.deepEqual(page.problems, []);
  });
});

// The tab limit is the server's terminal.max_per_workspace, not a number in the page: with 2,
// a second tab opens and the New terminal button then says why a third cannot.
test("terminal tabs follow the server's limit", async (t) => {
  const limited = await CodeyardServer.start("terminal-tabs-limit", { settings: ["terminal.max_per_workspace=2"] });
  t.after(() => limited.dispose());
  const page = await newPage(browser);
  await signUp(page, limited.url, "lin");
  await createWorkspace(page, "two");
  await openWorkspace(page, "two");
  await waitForTerminal(page);
  const add = page.getByRole("button", { name: "New terminal" });
  assert.equal(await add.isEnabled(), true);
  await add.click();
  await shellTab(page, "Shell 2").and(page.locator("[aria-selected=true]")).waitFor();
  await waitFor(async () => !(await add.isEnabled()), { what: "New terminal to be disabled at two tabs" });
  assert.equal(await page.getByRole("tablist", { name: "Terminals" }).getByRole("tab").count(), 2);
  assert.match((await add.getAttribute("title")) ?? "", /At most 2 terminals.*terminal\.max_per_workspace/);
  // Closing one frees a place again.
  await shellTab(page, "Shell 2").getByRole("button", { name: "Close Shell 2" }).click();
  await waitFor(async () => await add.isEnabled(), { what: "New terminal enabled again after a close" });
  assert.deepEqual(page.problems, []);
});
