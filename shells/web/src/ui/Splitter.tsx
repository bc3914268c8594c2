// A draggable divider between two panels (also moved with the arrow keys when focused). It
// reports the new size of the panel it controls, clamped to [min, max].
import type { KeyboardEvent, PointerEvent } from "react";

interface Props {
  orientation: "vertical" | "horizontal"; // vertical: a column divider (changes a width)
  size: number;
  min: number;
  max: number;
  invert?: boolean; // the controlled panel is after the divider (dragging up/left grows it)
  label: string;
  onResize(size: number): void;
}

export function Splitter({ orientation, size, min, max, invert, label, onResize }: Props) {
  const clamp = (v: number) => Math.max(min, Math.min(max, v));
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const start = orientation === "vertical" ? e.clientX : e.clientY;
    const startSize = size;
    const target = e.currentTarget;
    target.setPointerCapture(e.pointerId);
    const move = (ev: globalThis.PointerEvent) => {
      const delta = (orientation === "vertical" ? ev.clientX : ev.clientY) - start;
      onResize(clamp(startSize + (invert ? -delta : delta)));
    };
    const up = () => {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
      target.removeEventListener("pointercancel", up);
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
    target.addEventListener("pointercancel", up);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const grow = orientation === "vertical" ? "ArrowRight" : "ArrowDown";
    const shrink = orientation === "vertical" ? "ArrowLeft" : "ArrowUp";
    let delta = 0;
    if (e.key === grow) delta = 20;
    if (e.key === shrink) delta = -20;
    if (!delta) return;
    e.preventDefault();
    onResize(clamp(size + (invert ? -delta : delta)));
  };
  return (
    <div
      className={`splitter ${orientation}`}
      role="separator"
      aria-orientation={orientation}
      aria-label={label}
      aria-valuenow={Math.round(size)}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}
