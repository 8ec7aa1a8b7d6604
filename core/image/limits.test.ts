import { MAX_IMAGE_BYTES } from '../contract/requests.js';
import { MAX_FIRMWARE_FILE_BYTES } from './limits.js';

describe('image limits', () => {
  it('allow the app and the CLI the same firmware file size', () => {
    expect(MAX_FIRMWARE_FILE_BYTES).toBe(MAX_IMAGE_BYTES);
  });
});
