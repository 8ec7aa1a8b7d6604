import { useApp } from '../../storeContext.js';
import { accessDeniedHint, dfuModeSteps } from '../../text.js';

/** No device yet: how to start the bootloader, and the driver fix once access was denied. */
export function EmptyDevices() {
  const accessDenied = useApp((state) => (state.failure?.error.kind === 'access-denied' ? state.failure.error : undefined));
  return (
    <div className="empty-devices">
      <p className="empty-title">No DFU device connected</p>
      <ol>
        {dfuModeSteps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      {accessDenied && (
        <p className="warning-text" role="alert">
          {accessDeniedHint(accessDenied.platform)}
        </p>
      )}
      <p className="muted">No board at hand? Turn on “Show simulated devices alongside real boards” below.</p>
    </div>
  );
}
