// Files in and out (issue 17): a folder with a binary file uploaded with the Upload button,
// checked byte for byte through the API; the whole workspace downloaded as a zip through a
// signed link and unzipped (Info-ZIP's unzip), compared byte for byte with what was uploaded;
// a file dropped from the desktop onto a folder; one file downloaded through its own link; an
// upload's progress bar while it goes; the size cap refusing an upload with a clear message; an
// image opening as a picture and Markdown as rendered text beside its source.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { Api, CodeyardServer, launchBrowser, newPage, screenshot, waitFor } from "./lib/harness.mjs";
import { PASSWORD, createWorkspace, openWorkspace, signUp, treeRow } from "./lib/steps.mjs";

// A 1x1 red PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);
const CAP_BYTES = 3 << 20;
const FILE_CAP_BYTES = 4 << 20; // over the workspace cap: the file cap is checked in the page

let server;
let browser;
let scratch;

before(async () => {
  server = await CodeyardServer.start("files", {
    settings: [`files.max_workspace_bytes=${CAP_BYTES}`, `files.max_file_bytes=${FILE_CAP_BYTES}`],
  });
  browser = await launchBrowser();
  scratch = mkdtempSync(join(tmpdir(), "codeyard-files-"));
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Every file under `dir`, by path relative to `base`, with its bytes. */
function filesUnder(dir, base = dir) {
  const out = {};
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, filesUnder(full, base));
    else out[relative(base, full)] = readFileSync(full);
  }
  return out;
}

test("files in and out", async (t) => {
  const page = await newPage(browser);
  const api = new Api(server.url);
  let ws = "";
  const project = join(scratch, "proj");
  const uploaded = {
    "main.py": Buffer.from("print('hello')\n"),
    "data/blob.bin": randomBytes(300_000),
    "img/dot.png": PNG,
    "README.md": Buffer.from("# Notes\n\nSome **bold** text.\n\n![the dot](img/dot.png)\n"),
  };
  for (const [path, bytes] of Object.entries(uploaded)) {
    mkdirSync(join(project, path, ".."), { recursive: true });
    writeFileSync(join(project, path), bytes);
  }

  await t.test("upload a folder with a binary file", async () => {
    await signUp(page, server.url, "ada");
    ws = await createWorkspace(page, "transfers");
    await openWorkspace(page, "transfers");
    await api.login("ada", PASSWORD);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("menuitem", { name: "Folder…" }).click(),
    ]);
    await chooser.setFiles(project);
    await treeRow(page, "proj").waitFor();
    // Files go up one after another, in the order the chooser lists them: wait for every one.
    for (const path of Object.keys(uploaded)) {
      await waitFor(async () => (await api.call("GET", `/workspaces/${ws}/files/proj/${path}`)).ok, {
        what: `${path} in storage`,
      });
    }
    for (const [path, bytes] of Object.entries(uploaded)) {
      const res = await api.call("GET", `/workspaces/${ws}/files/proj/${path}`);
      assert.equal(res.status, 200, path);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), `${path} arrived byte for byte`);
    }
  });

  await t.test("download the workspace as a zip and compare it byte for byte", async () => {
    await page.keyboard.press("Escape"); // the root: Download takes the whole workspace
    await page.getByRole("tree", { name: "Workspace files" }).click({ position: { x: 5, y: 300 } });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download", exact: true }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "transfers.zip");
    const zip = join(scratch, "transfers.zip");
    await download.saveAs(zip);
    const out = join(scratch, "unzipped");
    execFileSync("unzip", ["-q", zip, "-d", out]);
    const got = filesUnder(join(out, "proj"));
    assert.deepEqual(Object.keys(got).sort(), Object.keys(uploaded).sort());
    for (const [path, bytes] of Object.entries(uploaded)) assert.ok(got[path].equals(bytes), `${path} unzipped byte for byte`);
    // The link carried no access token.
    assert.ok(!download.url().includes(api.token));
    assert.match(download.url(), /\/api\/v1\/downloads\//);
  });

  await t.test("a folder downloads as its own zip from its row", async () => {
    await treeRow(page, "proj").hover();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      treeRow(page, "proj").getByRole("button", { name: "Download proj" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "proj.zip");
    const list = execFileSync("unzip", ["-Z1", await download.path()]).toString().split("\n").filter(Boolean).sort();
    assert.deepEqual(list, ["proj/", "proj/README.md", "proj/data/", "proj/data/blob.bin", "proj/img/", "proj/img/dot.png", "proj/main.py"]);
  });

  await t.test("an image opens as a picture", async () => {
    await treeRow(page, "proj").click();
    await treeRow(page, "proj/img").click();
    await treeRow(page, "proj/img/dot.png").click();
    const img = page.getByTestId("image-view").getByRole("img", { name: "dot.png" });
    await img.waitFor();
    await waitFor(async () => (await img.evaluate((el) => el.complete && el.naturalWidth)) === 1, { what: "the picture to load" });
    assert.match(await img.getAttribute("src"), /^data:image\/png;base64,/);
    await screenshot(page, "files-image");
    // A GIF and an SVG (the picture, not its XML) open the same way.
    const pictures = {
      "proj/img/dot.gif": [Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64"), "image/gif", 1],
      "proj/img/box.svg": [Buffer.from("<svg xmlns='http://www.w3.org/2000/svg' width='8' height='8'><rect width='8' height='8'/></svg>"), "image/svg+xml", 8],
    };
    for (const [path, [bytes, type, width]] of Object.entries(pictures)) {
      await api.put(ws, path, bytes);
      await treeRow(page, path).click();
      const pic = page.getByTestId("image-view").getByRole("img", { name: path.split("/").pop() });
      await waitFor(async () => (await pic.evaluate((el) => el.complete && el.naturalWidth)) === width, { what: `${path} as a picture` });
      assert.ok((await pic.getAttribute("src")).startsWith(`data:${type};base64,`), path);
    }
  });

  await t.test("a picture a program writes shows up and opens, as plt.savefig's would", async () => {
    // The local sandbox has no matplotlib (it is the host's python3): the program writes the
    // PNG's bytes itself, which is what savefig does at the end.
    await api.put(ws, "plot.py", `import base64\nopen("plot.png", "wb").write(base64.b64decode("${PNG.toString("base64")}"))\n`);
    await treeRow(page, "plot.py").click();
    await page.locator('[role=tab][data-path="plot.py"][aria-selected=true]').waitFor();
    await page.keyboard.press("F5");
    await waitFor(async () => /^OK · exit 0/.test(await page.getByTestId("verdict").innerText().catch(() => "")), { timeout: 60_000, what: "the run" });
    await treeRow(page, "plot.png").click();
    const img = page.getByTestId("image-view").getByRole("img", { name: "plot.png" });
    await waitFor(async () => (await img.evaluate((el) => el.complete && el.naturalWidth)) === 1, { what: "the plot as a picture" });
  });

  await t.test("Markdown shows rendered beside its source", async () => {
    await treeRow(page, "proj/README.md").click();
    const preview = page.getByTestId("markdown-view");
    await preview.getByRole("heading", { name: "Notes" }).waitFor();
    assert.equal(await preview.locator("strong").innerText(), "bold");
    // Its image, named relative to the .md file, is the workspace's proj/img/dot.png.
    const dot = preview.getByRole("img", { name: "the dot" });
    await waitFor(async () => (await dot.evaluate((el) => el.complete && el.naturalWidth)) === 1, { what: "the Markdown's image" });
    assert.match(await dot.getAttribute("src"), /^data:image\/png;base64,/);
    await page.getByTestId("editor").waitFor(); // the source stays beside it
  });

  await t.test("a file dropped from the desktop onto a folder lands in it", async () => {
    await treeRow(page, "proj/data").click(); // expanded, so what lands in it shows
    const data = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([0, 1, 2, 255])], "dropped.bin"));
      return dt;
    });
    await treeRow(page, "proj/data").dispatchEvent("dragover", { dataTransfer: data });
    await treeRow(page, "proj/data").dispatchEvent("drop", { dataTransfer: data });
    await treeRow(page, "proj/data/dropped.bin").waitFor();
    const res = await api.call("GET", `/workspaces/${ws}/files/proj/data/dropped.bin`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(Buffer.from([0, 1, 2, 255])));
  });

  await t.test("files dropped on the explorer's empty space land at the top level", async () => {
    const data = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["one"], "top1.txt"));
      dt.items.add(new File(["two"], "top2.txt"));
      return dt;
    });
    const tree = page.getByRole("tree", { name: "Workspace files" });
    await tree.dispatchEvent("dragover", { dataTransfer: data });
    await tree.dispatchEvent("drop", { dataTransfer: data });
    await treeRow(page, "top1.txt").waitFor();
    await treeRow(page, "top2.txt").waitFor();
    assert.equal((await api.file(ws, "top2.txt")).text, "two");
  });

  await t.test("a file downloads through its own link, byte for byte", async () => {
    await treeRow(page, "proj/data/blob.bin").click();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download", exact: true }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "blob.bin");
    assert.ok(readFileSync(await download.path()).equals(uploaded["data/blob.bin"]), "the file arrived byte for byte");
    assert.match(download.url(), /\/api\/v1\/downloads\//);
    assert.ok(!download.url().includes(api.token));
  });

  await t.test("an upload shows its progress while it goes", async () => {
    // The upload's write is held until the bar has been seen.
    let release;
    const released = new Promise((r) => (release = r));
    let target = "";
    await page.route("**/big.txt", async (route) => {
      target = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^.*?\/files\//, ""));
      await released;
      await route.continue();
    });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("menuitem", { name: "Files…" }).click(),
    ]);
    await chooser.setFiles({ name: "big.txt", mimeType: "text/plain", buffer: Buffer.alloc(1 << 20, "x") });
    const bar = page.getByTestId("upload-progress");
    await bar.filter({ hasText: "0/1 files" }).waitFor();
    assert.match(await bar.innerText(), /of 1\.0 MB/);
    assert.ok(await bar.getByRole("progressbar", { name: "Upload progress" }).isVisible());
    release();
    await bar.waitFor({ state: "detached" });
    await page.unroute("**/big.txt");
    assert.match(target, /(^|\/)big\.txt$/);
    const res = await api.call("GET", `/workspaces/${ws}/files/${target}`);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 1 << 20);
  });

  await t.test("the workspace size cap refuses an upload before sending, counting what it holds", async () => {
    // Under the cap by itself, over it with what the workspace already holds.
    const puts = [];
    const watch = (req) => req.method() === "PUT" && puts.push(req.url());
    page.on("request", watch);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("menuitem", { name: "Files…" }).click(),
    ]);
    await chooser.setFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: randomBytes(CAP_BYTES - 1000) });
    const alert = page.getByTestId("message");
    await alert.filter({ hasText: "Cannot upload: the workspace holds" }).waitFor();
    assert.match(await alert.innerText(), /holds .*max_workspace_bytes/);
    page.off("request", watch);
    assert.deepEqual(puts, [], "nothing was sent");
    assert.equal((await api.call("GET", `/workspaces/${ws}/files/huge.bin`)).status, 404);
  });

  await t.test("a file over the file cap is named at once, before anything is sent", async () => {
    const puts = [];
    const watch = (req) => req.method() === "PUT" && puts.push(req.url());
    page.on("request", watch);
    await page.keyboard.press("Escape"); // the top level
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("menuitem", { name: "Files…" }).click(),
    ]);
    await chooser.setFiles([
      { name: "small.txt", mimeType: "text/plain", buffer: Buffer.from("small") },
      { name: "big.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(FILE_CAP_BYTES + 1) },
    ]);
    const alert = page.getByTestId("message");
    await alert.filter({ hasText: "Cannot upload big.bin" }).waitFor();
    assert.match(await alert.innerText(), /max_file_bytes/);
    page.off("request", watch);
    assert.deepEqual(puts, [], "nothing of the batch was sent");
    assert.equal((await api.call("GET", `/workspaces/${ws}/files/small.txt`)).status, 404);
  });

  assert.deepEqual(page.problems, []);
});
