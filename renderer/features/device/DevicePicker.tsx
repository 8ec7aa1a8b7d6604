import { useApp } from '../../storeContext.js';
import { formatBcd, formatUsbId } from '../../text.js';
import { formatSize } from '../../../core/format.js';
import { EmptyDevices } from './EmptyDevices.js';
import type { DeviceSummary } from '../../../core/contract/programmer.js';

// Selectors must return stable values: a fresh [] on every call would re-render forever.
const NONE = [] as const;

/** The left column: every attached DFU device, live; click (or Enter) connects. */
export function DevicePicker() {
  const devices = useApp((state) => state.session?.devices) ?? NONE;
  const selectedId = useApp((state) => state.session?.device?.id ?? state.session?.selectedDeviceId);
  const showSimulated = useApp((state) => state.session?.settings.showSimulatedDevices ?? false);
  const updateSettings = useApp((state) => state.updateSettings);
  const isBusy = useApp((state) => state.session?.job !== undefined);
  // Demo boards are listed while no real board is attached, whatever the setting says.
  const isListingDemoBoards = !showSimulated && devices.some((device) => device.isSimulated);
  return (
    <nav className="device-picker" aria-label="Devices">
      <h2 className="sidebar-title">Devices</h2>
      {devices.length === 0 ? (
        <EmptyDevices />
      ) : (
        <ul className="device-list">
          {devices.map((device) => (
            <DeviceRow key={device.id} device={device} isSelected={device.id === selectedId} isDisabled={isBusy && device.id !== selectedId} />
          ))}
        </ul>
      )}
      {isListingDemoBoards && <p className="sidebar-note">Simulated boards are listed while no real board is attached.</p>}
      <label className="toggle sidebar-footer">
        <input type="checkbox" checked={showSimulated} onChange={(event) => void updateSettings({ showSimulatedDevices: event.target.checked })} />
        Show simulated devices alongside real boards
      </label>
    </nav>
  );
}

function DeviceRow({ device, isSelected, isDisabled }: { device: DeviceSummary; isSelected: boolean; isDisabled: boolean }) {
  const selectDevice = useApp((state) => state.selectDevice);
  // Main reads the option bytes as a board connects; the selected row says its read protection.
  const rdp = useApp((state) => (isSelected ? state.session?.readProtection : undefined));
  // Known once connected: the chip family and its flash (read from the chip, else as described).
  const info = useApp((state) => (isSelected && state.session?.device?.id === device.id ? state.session.device : undefined));
  const flash = info?.alternates.find((alternate) => alternate.role === 'flash')?.layout?.region;
  // The flash-size register's answer where connect read it (an STM32L072xB describes 192 KiB for 128).
  const flashBytes = info?.flashSizeBytes ?? (flash ? flash.segments.reduce((total, segment) => total + (segment.end - segment.start), 0) : undefined);
  return (
    <li>
      <button
        className={`device-row${isSelected ? ' selected' : ''}`}
        aria-current={isSelected ? 'true' : undefined}
        disabled={isDisabled}
        onClick={() => void selectDevice(device.id)}
        data-device-id={device.id}
      >
        <span className="device-name">
          {device.product ?? 'DFU device'}
          {device.isSimulated && <span className="tag tag-simulated">simulated</span>}
          {rdp !== undefined && (
            <span className={`tag ${rdp === 0 ? 'tag-rdp' : 'tag-rdp-on'}`} data-testid="device-rdp" title={readProtectionTitle[rdp]}>
              RDP {rdp}
            </span>
          )}
        </span>
        <span className="device-meta">
          {formatUsbId(device.vendorId, device.productId)} · BL {formatBcd(device.bcdDevice)}
        </span>
        {info && (
          <span className="device-chip" data-testid="device-chip">
            STM32{info.family}
            {flashBytes !== undefined ? ` · ${formatSize(flashBytes)} flash` : ''}
          </span>
        )}
        <span className="device-meta" title={`${device.serialNumber ? `serial ${device.serialNumber}` : 'no serial'} · ${device.path}`}>
          {device.serialNumber ? `serial ${device.serialNumber}` : 'no serial'} · {device.path}
        </span>
      </button>
    </li>
  );
}

const readProtectionTitle = {
  0: 'Read protection level 0: the flash can be read and verified',
  1: 'Read protection level 1: the flash cannot be read over DFU; removing it erases the flash',
  2: 'Read protection level 2: locked for good',
} as const;
