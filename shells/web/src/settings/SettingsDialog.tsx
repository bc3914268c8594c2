// The settings dialog: theme, font size, tab size and autosave, saved on the server for the
// signed-in person (settings.ts) and applied at once to the page, Monaco and the terminal.
import { useState } from "react";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";
import { DialogFooter, Modal } from "../ui/Dialog";
import { FONT_SIZES, TAB_SIZES, settingsStore, useUserSettings, type Theme } from "./settings";

export function SettingsDialog({ client, onClose }: { client: ApiClient; onClose(): void }) {
  const current = useUserSettings();
  const [theme, setTheme] = useState<Theme>(current.theme);
  const [fontSize, setFontSize] = useState(String(current.font_size));
  const [tabSize, setTabSize] = useState(String(current.tab_size));
  const [autosave, setAutosave] = useState(current.autosave);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setError(null);
    setBusy(true);
    try {
      await settingsStore.update(client, {
        theme,
        font_size: Number(fontSize),
        tab_size: Number(tabSize),
        autosave,
      });
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <Modal title="Settings" onCancel={onClose}>
      <form
        className="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field">
          <span>Theme</span>
          <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)} data-autofocus>
            <option value="dark">Dark</option>
            <option value="light">Light</option>
          </select>
        </label>
        <label className="field">
          <span>Font size</span>
          <input type="number" min={FONT_SIZES.min} max={FONT_SIZES.max} step={1} value={fontSize} onChange={(e) => setFontSize(e.target.value)} />
        </label>
        <label className="field">
          <span>Tab size</span>
          <input type="number" min={TAB_SIZES.min} max={TAB_SIZES.max} step={1} value={tabSize} onChange={(e) => setTabSize(e.target.value)} />
        </label>
        <label className="row">
          <input type="checkbox" checked={autosave} onChange={(e) => setAutosave(e.target.checked)} />
          <span>Autosave (after a second of quiet, when the editor loses focus, and before Run)</span>
        </label>
        <DialogFooter error={error} confirm={busy ? "Saving…" : "Save settings"} busy={busy} onCancel={onClose} />
      </form>
    </Modal>
  );
}
