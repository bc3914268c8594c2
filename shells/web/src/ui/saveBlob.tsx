// Saving bytes fetched with the bearer header as a file: routes that want the header cannot be
// plain links (a token never goes into a URL), so the page fetches, then clicks a blob link.
// `ExportButtons` are the lists' "Export CSV" and "Export JSON" doing that.
import { describeError } from "../api/errors";

export function saveBlob(blob: Blob, fileName: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

export type ExportFormat = "csv" | "json";

/** "Export CSV" and "Export JSON": `fetchAs(format)`'s bytes saved as `fileName(format)`. */
export function ExportButtons({
  fetchAs,
  fileName,
  onError,
}: {
  fetchAs: (format: ExportFormat) => Promise<Blob>;
  fileName: (format: ExportFormat) => string;
  onError: (message: string) => void;
}) {
  const download = async (format: ExportFormat) => {
    try {
      saveBlob(await fetchAs(format), fileName(format));
    } catch (e) {
      onError(describeError(e));
    }
  };
  return (
    <>
      <button type="button" onClick={() => void download("csv")}>
        Export CSV
      </button>
      <button type="button" onClick={() => void download("json")}>
        Export JSON
      </button>
    </>
  );
}
