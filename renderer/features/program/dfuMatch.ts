import { formatUsbId } from '../../text.js';
import type { DeviceInfo, ImageSummary } from '../../../core/api.js';

// DFU 1.1 appendix B (the file suffix): idVendor/idProduct 0xFFFF mean "any device".
const ANY_ID = 0xffff;

/** Why a .dfu file does not fit the connected device (empty when it fits or is not a .dfu). */
export function dfuMismatch(image: Pick<ImageSummary, 'dfu'>, device: Pick<DeviceInfo, 'vendorId' | 'productId' | 'alternates'>): string[] {
  const dfu = image.dfu;
  if (!dfu) return [];
  const reasons: string[] = [];
  const vendorFits = dfu.vendorId === ANY_ID || dfu.vendorId === device.vendorId;
  const productFits = dfu.productId === ANY_ID || dfu.productId === device.productId;
  if (!vendorFits || !productFits) {
    reasons.push(`The file is for USB device ${formatUsbId(dfu.vendorId, dfu.productId)}; this device is ${formatUsbId(device.vendorId, device.productId)}.`);
  }
  const known = new Set(device.alternates.map((alternate) => alternate.alternate));
  const missing = dfu.alternates.filter((alternate) => !known.has(alternate));
  if (missing.length > 0) {
    reasons.push(`The file targets alternate setting${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which this device does not have.`);
  }
  return reasons;
}
