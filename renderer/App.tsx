import { useEffect, useRef } from 'react';
import { useApp } from './storeContext.js';
import { Tabs, type TabItem } from './ui/Tabs.js';
import { ErrorBox } from './ui/ErrorBox.js';
import { DevicePicker } from './features/device/DevicePicker.js';
import { DeviceHeader } from './features/device/DeviceHeader.js';
import { DeviceInfoPanel } from './features/device/DeviceInfoPanel.js';
import { ActionBar, FlashTab } from './features/program/FlashTab.js';
import { useWindowDrop } from './features/program/useWindowDrop.js';
import { MemoryTab } from './features/memoryMap/MemoryTab.js';
import { OptionBytesTab } from './features/optionBytes/OptionBytesTab.js';
import { ReadBackTab } from './features/readBack/ReadBackTab.js';
import { DiffViewer } from './features/verify/DiffViewer.js';
import { LogPanel } from './features/log/LogPanel.js';
import { Confirmations } from './Confirmations.js';
import type { Tab } from './store.js';
import { registerFileInput } from './filePicker.js';
import { FIRMWARE_EXTENSIONS } from './features/program/DropTarget.js';

const tabs: readonly TabItem<Tab>[] = [
  { id: 'flash', label: 'Flash' },
  { id: 'memory', label: 'Memory' },
  { id: 'option-bytes', label: 'Option bytes' },
  { id: 'device', label: 'Device' },
  { id: 'read-back', label: 'Read back' },
];

export function App() {
  useWindowDrop();
  useOpenShortcut();
  const isDragging = useApp((state) => state.isDragging);
  return (
    <div className="app">
      <FilePicker />
      <DevicePicker />
      <main className="main">
        <DeviceHeader />
        <MainArea />
      </main>
      <LogPanel />
      <Confirmations />
      {isDragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>Drop the firmware file to load it</p>
        </div>
      )}
    </div>
  );
}

function MainArea() {
  const hasDevice = useApp((state) => state.session?.device !== undefined);
  const tab = useApp((state) => (state.session?.device ? state.tab : 'flash'));
  const setTab = useApp((state) => state.setTab);
  const isDiffOpen = useApp((state) => state.isDiffOpen && state.session?.lastResult?.verify !== undefined);
  const items = tabs.map((item) => ({ ...item, isDisabled: !hasDevice && item.id !== 'flash' }));
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Each tab starts at its top, not at the previous tab's scroll position.
    if (panel.current) panel.current.scrollTop = 0;
  }, [tab, isDiffOpen]);
  return (
    <>
      <Tabs items={items} selected={tab} onSelect={setTab} label="Device views" />
      <Messages />
      <div ref={panel} className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {isDiffOpen ? (
          <DiffViewer />
        ) : tab === 'flash' ? (
          <FlashTab />
        ) : tab === 'memory' ? (
          <MemoryTab />
        ) : tab === 'option-bytes' ? (
          <OptionBytesTab />
        ) : tab === 'device' ? (
          <DeviceInfoPanel />
        ) : (
          <ReadBackTab />
        )}
      </div>
      {tab === 'flash' && !isDiffOpen && <ActionBar />}
    </>
  );
}

/** Failures of calls that are not jobs (open, connect, save) and short notices. */
function Messages() {
  const failure = useApp((state) => state.failure);
  const notice = useApp((state) => state.notice);
  const dismissFailure = useApp((state) => state.dismissFailure);
  const dismissNotice = useApp((state) => state.dismissNotice);
  return (
    <>
      {failure && (
        <div className="message">
          <ErrorBox error={failure.error} action={failure.action}>
            <button className="button subtle" onClick={dismissFailure}>
              Dismiss
            </button>
          </ErrorBox>
        </div>
      )}
      {notice && (
        <div className="banner ok message" role="status">
          <span>{notice}</span>
          <button className="button subtle" onClick={dismissNotice}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}

/** Where there is no native dialog, "Open file…" (button or Ctrl/Cmd+O) opens this file input. */
function FilePicker() {
  const openFile = useApp((state) => state.openFile);
  return (
    <input
      ref={registerFileInput}
      className="sr-only"
      type="file"
      accept={FIRMWARE_EXTENSIONS}
      tabIndex={-1}
      aria-hidden="true"
      data-testid="open-file-input"
      onChange={(event) => {
        const file = event.target.files?.[0];
        if (file) void openFile(file);
        event.target.value = '';
      }}
    />
  );
}

/**
 * Ctrl/Cmd+O opens a file, as File > Open would. In a plain browser Ctrl+O is the browser's own
 * shortcut and does not count as a user gesture, so the page may not open its file chooser from
 * it: the key moves focus to the "Open file…" button instead, where Enter opens the chooser.
 */
function useOpenShortcut() {
  const openDialog = useApp((state) => state.openDialog);
  const hasNativeDialogs = useApp((state) => state.hasNativeDialogs);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'o') {
        event.preventDefault();
        if (hasNativeDialogs) void openDialog();
        else document.querySelector<HTMLButtonElement>('[data-open-file]')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openDialog, hasNativeDialogs]);
}
