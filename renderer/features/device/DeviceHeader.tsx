import { useApp } from '../../storeContext.js';
import { formatBcd, formatUsbId } from '../../text.js';

export function DeviceHeader() {
  const device = useApp((state) => state.session?.device);
  const disconnect = useApp((state) => state.disconnect);
  const isBusy = useApp((state) => state.session?.job !== undefined);
  if (!device) return null;
  return (
    <header className="device-header">
      <h1>
        {device.product ?? 'DFU device'}
        {device.isSimulated && <span className="tag tag-simulated">simulated</span>}
      </h1>
      <span className="device-meta">{formatUsbId(device.vendorId, device.productId)}</span>
      {device.serialNumber && <span className="device-meta">serial {device.serialNumber}</span>}
      <span className="device-meta">BL {formatBcd(device.bcdDevice)}</span>
      <span className="device-meta">{device.family === 'unknown' ? 'family unknown' : `STM32${device.family}`}</span>
      <button className="button subtle" onClick={() => void disconnect()} disabled={isBusy}>
        Disconnect
      </button>
    </header>
  );
}
