import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A modal question (the native `<dialog>`: focus stays inside, Escape
 * cancels, focus returns to where it was). Focus starts on the safe choice.
 * Buttons are never disabled while it works (a disabled button drops the
 * keyboard focus); a second press is ignored instead.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLButtonElement>('[data-cancel]')?.focus();
    return () => {
      dialog.close();
      // The element removed with the dialog took the focus along; give it back to what opened it.
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="dialog-title"
      aria-describedby="dialog-body"
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      {/* A form, so that Enter in a field of the dialog confirms. */}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!props.busy) props.onConfirm();
        }}
      >
        <h2 id="dialog-title">{props.title}</h2>
        <div id="dialog-body">{props.children}</div>
        <div class="dialog-actions">
          <button type="button" class="button" data-cancel onClick={() => !props.busy && props.onCancel()}>
            Cancel
          </button>
          <button type="submit" class={props.danger ? 'button danger' : 'button primary'} aria-disabled={props.busy ? true : undefined}>
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
