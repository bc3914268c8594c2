// Saves bytes fetched with the bearer header as a file: routes that want the header cannot be
// plain links (a token never goes into a URL), so the page fetches, then clicks a blob link.
export function saveBlob(blob: Blob, fileName: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}
