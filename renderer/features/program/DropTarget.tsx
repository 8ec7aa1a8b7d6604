import { useApp } from '../../storeContext.js';

// Selectors must return stable values: a fresh [] on every call would re-render forever.
const NONE = [] as const;

export const FIRMWARE_EXTENSIONS = '.hex,.ihx,.ihex,.bin,.dfu,.srec,.s19,.s28,.s37,.mot,.elf,.axf,.out';

/** The empty Flash tab: drop or open a file, or pick a recent one. */
export function DropTarget() {
  const openDialog = useApp((state) => state.openDialog);
  const openFile = useApp((state) => state.openFile);
  const openRecent = useApp((state) => state.openRecent);
  const recent = useApp((state) => state.session?.recentFiles) ?? NONE;
  return (
    <section className="drop-target" aria-label="Firmware file">
      <p className="drop-title">Drop a .hex .bin .dfu .srec .elf file anywhere in this window</p>
      <div className="drop-actions">
        <button className="button primary" data-open-file onClick={() => void openDialog()}>
          Open file…
        </button>
        <label className="button">
          Choose from disk
          <input
            className="sr-only"
            type="file"
            accept={FIRMWARE_EXTENSIONS}
            data-testid="file-input"
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (file) void openFile(file);
              event.target.value = '';
            }}
          />
        </label>
      </div>
      {recent.length > 0 && (
        <div className="recent">
          <h3>Recent files</h3>
          <ul>
            {recent.slice(0, 6).map((file) => (
              <li key={file.token}>
                <button className="link" onClick={() => void openRecent(file)} title={file.path}>
                  {file.fileName}
                </button>
                <span className="muted"> {file.path}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
