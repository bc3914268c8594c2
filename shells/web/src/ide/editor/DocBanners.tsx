// The banners above the editor about the active document: changed on the server while it has
// unsaved edits, in conflict (a save, Ctrl+S or autosave, found a newer version and the person
// chose to decide later, or has not seen the choice yet), or deleted on the server.
import type { OpenDoc } from "./documents";

interface Props {
  doc: OpenDoc | undefined;
  onCompare(path: string): void; // show both versions (fetching the server's when needed)
  onShowConflict(path: string): void;
}

export function DocBanners({ doc, onCompare, onShowConflict }: Props) {
  if (!doc) return null;
  return (
    <>
      {doc.remoteChanged && !doc.conflict && (
        <div className="banner warn" role="status" data-testid="changed-banner">
          {doc.path} changed on the server while you were editing it; your edits are kept.
          <button className="link" onClick={() => onCompare(doc.path)}>
            Compare and choose
          </button>
        </div>
      )}
      {doc.conflict && (
        <div className="banner warn" role="status" data-testid="conflict-banner">
          {doc.path} changed on the server as well; your edits are kept but not saved.
          <button className="link" onClick={() => onShowConflict(doc.path)}>
            Choose a version
          </button>
        </div>
      )}
      {doc.deleted && (
        <div className="banner warn" role="status">
          {doc.path} was deleted on the server. Saving creates it again; closing the tab drops it.
        </div>
      )}
    </>
  );
}
