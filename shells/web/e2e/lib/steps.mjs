// What a person does in the UI, as reusable steps for the end-to-end scenarios. Each step ends
// by waiting for the UI to show its result.
import assert from "node:assert/strict";
import { waitFor } from "./harness.mjs";

export const PASSWORD = "correct horse battery";

export async function signUp(page, base, username) {
  await page.goto(`${base}/signup`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Repeat password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("button", { name: "Create workspace" }).waitFor();
  assert.equal(await page.getByTestId("current-user").innerText(), username);
}

export async function logIn(page, base, username) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Create workspace" }).waitFor();
}

export async function logOut(page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
}

/** Creates a workspace from the list page; returns its id. */
export async function createWorkspace(page, name) {
  await page.getByLabel("New workspace name").fill(name);
  await page.getByRole("button", { name: "Create workspace" }).click();
  const link = page.getByRole("link", { name, exact: true });
  await link.waitFor();
  return (await link.getAttribute("href")).replace(/^\/w\//, "");
}

export async function openWorkspace(page, name) {
  await page.locator(`tr[data-workspace="${name}"]`).getByRole("button", { name: "Open" }).click();
  await waitForIde(page, name);
}

export async function waitForIde(page, name) {
  await page.getByTestId("workspace-name").filter({ hasText: name }).waitFor();
  await page.getByRole("tree", { name: "Workspace files" }).waitFor();
  await waitFor(async () => (await page.getByTestId("status-pod").innerText()) === "Pod: running", {
    timeout: 60_000,
    what: "the pod to run",
  });
}

export function treeRow(page, path) {
  return page.locator(`[role=treeitem][data-path="${path}"]`);
}

/**
 * Creates a file with the explorer's New file button (in the selected row's folder, `dir`);
 * it opens in the editor.
 */
export async function newFile(page, name, dir = "") {
  const path = dir ? `${dir}/${name}` : name;
  await page.getByRole("button", { name: "New file" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("File name").fill(name);
  await dialog.getByRole("button", { name: "Create" }).click();
  await treeRow(page, path).waitFor();
  await page.locator(`[role=tab][data-path="${path}"][aria-selected=true]`).waitFor();
  await page.locator("[data-testid=editor] .monaco-editor .view-lines").waitFor();
}

/** Types into Monaco (its own auto-closing of brackets and quotes included). */
export async function typeInEditor(page, text) {
  await page.locator("[data-testid=editor] .monaco-editor .view-lines").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(text);
}

/** Ctrl+S, then waits for the status bar to say everything is saved. */
export async function saveWithKeyboard(page) {
  await page.keyboard.press("Control+s");
  await waitFor(async () => (await page.getByTestId("status-save").innerText()) === "All saved", {
    what: "the save",
  });
}

export async function terminalText(page) {
  return page.locator("[data-testid=terminal] .xterm-rows").innerText();
}

export async function waitForTerminal(page) {
  await waitFor(async () => (await page.getByTestId("status-terminal").innerText()) === "Terminal: connected", {
    timeout: 60_000,
    what: "the terminal to connect",
  });
}

/** Types a command into the terminal and waits for `expect` (a string or RegExp) to appear. */
export async function runInTerminal(page, command, expect) {
  await page.getByRole("tab", { name: "Terminal" }).click();
  await page.locator("[data-testid=terminal] .xterm").click();
  await page.keyboard.type(command);
  await page.keyboard.press("Enter");
  await waitFor(
    async () => {
      const text = await terminalText(page);
      return typeof expect === "string" ? text.includes(expect) : expect.test(text);
    },
    { what: `terminal output ${expect}` },
  );
}

const nbsp = (text) => text.replace(/\u00a0/g, " ");

/** The last match of `re` (global, with a capture group) in the terminal's text. */
export async function lastTerminalMatch(page, re) {
  const all = [...nbsp(await terminalText(page)).matchAll(re)];
  return all.length ? all[all.length - 1] : null;
}

/** The shell's $$, asked with a fresh marker so the answer differs from the command line. */
export async function shellPid(page) {
  const marker = `m${Date.now() % 100000}`;
  await runInTerminal(page, `echo ${marker}=$$`, new RegExp(`${marker}=\\d+`));
  return (await lastTerminalMatch(page, new RegExp(`${marker}=(\\d+)`, "g")))[1];
}

/** `stty size` as the shell sees it. */
export async function sttySize(page) {
  const marker = `s${Date.now() % 100000}`;
  await runInTerminal(page, `echo ${marker} $(stty size)`, new RegExp(`${marker} \\d+ \\d+`));
  const m = await lastTerminalMatch(page, new RegExp(`${marker} (\\d+) (\\d+)`, "g"));
  return { rows: Number(m[1]), cols: Number(m[2]) };
}

/**
 * Types `text` and then presses `key` with no wait at all between them: every key event is
 * sent to the browser at once (CDP), not one after the other with an acknowledgement each, as a
 * person typing fast and pressing F5 does. The page gets the key press before it has done any
 * work of its own that the typing scheduled (React renders, timers).
 */
export async function typeThenPress(page, text, key) {
  const cdp = await page.context().newCDPSession(page);
  const sends = [];
  for (const ch of text) {
    if (ch === "\n") {
      const enter = { key: "Enter", code: "Enter", windowsVirtualKeyCode: 13 };
      sends.push(cdp.send("Input.dispatchKeyEvent", { type: "keyDown", text: "\r", ...enter }));
      sends.push(cdp.send("Input.dispatchKeyEvent", { type: "keyUp", ...enter }));
    } else {
      sends.push(cdp.send("Input.dispatchKeyEvent", { type: "keyDown", text: ch, key: ch }));
      sends.push(cdp.send("Input.dispatchKeyEvent", { type: "keyUp", key: ch }));
    }
  }
  const keyCodes = { F5: 116 };
  const k = { key, code: key, windowsVirtualKeyCode: keyCodes[key] };
  sends.push(cdp.send("Input.dispatchKeyEvent", { type: "rawKeyDown", ...k }));
  sends.push(cdp.send("Input.dispatchKeyEvent", { type: "keyUp", ...k }));
  await Promise.all(sends);
  await cdp.detach();
}

/** The text Monaco shows (its model's lines as rendered, spaces normalised). */
export async function editorText(page) {
  return (await page.locator("[data-testid=editor] .view-lines").innerText()).replace(/\u00a0/g, " ");
}
