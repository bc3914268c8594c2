// Modal dialogs: a text prompt (names, paths) and a confirmation. Focus goes to the first field
// or button and stays inside (Tab and Shift+Tab wrap around), Escape cancels, Enter confirms,
// and focus returns where it was when it closes, or, when that element is gone (a deleted row),
// to a sensible place (ui/focus.ts), never the page body.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { describeError } from "../api/errors";
import { restoreFocus } from "./focus";

const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])";

interface ModalProps {
  title: string;
  onCancel(): void;
  children: ReactNode;
  wide?: boolean;
  label?: string;
}

export function Modal({ title, onCancel, children, wide, label }: ModalProps) {
  const box = useRef<HTMLDivElement>(null);
  // Read while rendering, before an autoFocus field in the dialog takes the focus.
  const [previous] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const first = box.current?.querySelector<HTMLElement>("[data-autofocus], input, textarea, button");
    first?.focus();
    return () => restoreFocus(previous);
  }, [previous]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div
        ref={box}
        className={wide ? "modal wide" : "modal"}
        role="dialog"
        aria-modal="true"
        aria-label={label ?? title}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onCancel();
          } else if (e.key === "Tab" && box.current) {
            const all = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute("disabled"));
            if (all.length === 0) return;
            const first = all[0];
            const last = all[all.length - 1];
            if (e.shiftKey && document.activeElement === first) {
              e.preventDefault();
              last.focus();
            } else if (!e.shiftKey && document.activeElement === last) {
              e.preventDefault();
              first.focus();
            }
          }
        }}
      >
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

interface FooterProps {
  error: string | null;
  confirm: ReactNode;
  busy: boolean;
  danger?: boolean;
  onCancel(): void;
  /** Without it the confirming button submits the dialog's form. */
  onConfirm?(): void;
  /** Cancel takes the focus when the dialog opens (a dialog with no field). */
  focusCancel?: boolean;
}

/** Every dialog's last rows: the error as an alert, then Cancel and the confirming button. */
export function DialogFooter({ error, confirm, busy, danger, onCancel, onConfirm, focusCancel }: FooterProps) {
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="row end">
        <button type="button" onClick={onCancel} data-autofocus={focusCancel ? "" : undefined}>
          Cancel
        </button>
        <button type={onConfirm ? "button" : "submit"} className={danger ? "danger" : "primary"} disabled={busy} onClick={onConfirm}>
          {confirm}
        </button>
      </div>
    </>
  );
}

interface PromptProps {
  title: string;
  label: string;
  initial?: string;
  confirm: string;
  extra?: ReactNode; // more fields, above the text field
  validate?(value: string): string | null;
  onSubmit(value: string): Promise<void> | void;
  onCancel(): void;
}

export function PromptDialog({ title, label, initial = "", confirm, extra, validate, onSubmit, onCancel }: PromptProps) {
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // select the name without its extension, like desktop file managers
    const dot = initial.lastIndexOf(".");
    input.current?.setSelectionRange(0, dot > 0 ? dot : initial.length);
  }, [initial]);
  const submit = async () => {
    const problem = validate?.(value) ?? null;
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(value);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={title} onCancel={onCancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {extra}
        <label className="field">
          <span>{label}</span>
          <input
            ref={input}
            value={value}
            autoFocus
            spellCheck={false}
            aria-invalid={error ? true : undefined}
            onChange={(e) => {
              setValue(e.target.value);
              setError(null);
            }}
          />
        </label>
        <DialogFooter error={error} confirm={confirm} busy={busy} onCancel={onCancel} />
      </form>
    </Modal>
  );
}

interface ConfirmProps {
  title: string;
  message: ReactNode;
  confirm: string;
  danger?: boolean;
  onConfirm(): Promise<void> | void;
  onCancel(): void;
}

export function ConfirmDialog({ title, message, confirm, danger, onConfirm, onCancel }: ConfirmProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Modal title={title} onCancel={onCancel}>
      <div className="modal-body">{message}</div>
      <DialogFooter
        error={error}
        confirm={confirm}
        busy={busy}
        danger={danger}
        focusCancel
        onCancel={onCancel}
        onConfirm={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } catch (err) {
            setError(describeError(err));
            setBusy(false);
          }
        }}
      />
    </Modal>
  );
}
